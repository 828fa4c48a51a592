package csrf_test

import (
	"crypto/tls"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/djangobridge/bridge/csrf"
	"github.com/djangobridge/bridge/djangosession"
	"github.com/djangobridge/bridge/djangosession/djangosessiontest"
)

// Tokens Django made for the secret: _mask_cipher_secret in Django 6.1.3 and in 3.2.25.
const (
	secret    = "abcdefghijklmnopqrstuvwxyzABCDEF"
	djToken61 = "I5U0LkF5gIYKq35DOf9mAKGTNTSpIXxHI6W3PpLcoR8VCgjS4wrFU52gbiiQaq1c"
	djToken32 = "MBMrpHYDQBqbUYxEjWpOpdWZCGup0IDRMCOutM4KYKAm6bLTzdH7Jyim05UQsb7m"
)

func TestMaskUnmask(t *testing.T) {
	for _, tok := range []string{djToken61, djToken32} {
		if got, err := csrf.Unmask(tok); err != nil || got != secret {
			t.Errorf("Unmask(%s) = %q, %v", tok, got, err)
		}
	}
	tok, err := csrf.Mask(secret)
	if err != nil || len(tok) != csrf.TokenLength || tok == djToken61 {
		t.Fatalf("Mask: %q %v", tok, err)
	}
	if got, _ := csrf.Unmask(tok); got != secret {
		t.Errorf("round trip: %q", got)
	}
	// Hand-made: wrong lengths and characters.
	for _, bad := range []string{"", secret, djToken61[:63], djToken61[:63] + "-"} {
		if _, err := csrf.Unmask(bad); !errors.Is(err, csrf.ErrMalformedToken) {
			t.Errorf("Unmask(%q): %v", bad, err)
		}
	}
	for _, bad := range []string{"short", secret[:31] + "!", djToken61} {
		if _, err := csrf.Mask(bad); !errors.Is(err, csrf.ErrMalformedToken) {
			t.Errorf("Mask(%q): %v", bad, err)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		cfg     csrf.Config
		setting string
	}{
		{csrf.Config{DjangoVersion: "5.0"}, "DjangoVersion"},
		{csrf.Config{CSRFTrustedOrigins: []string{"https://ok.example", "example.com"}}, "CSRF_TRUSTED_ORIGINS"},
		{csrf.Config{DjangoVersion: "3.2", CSRFTrustedOrigins: []string{"https://example.com"}}, "CSRF_TRUSTED_ORIGINS"},
		{csrf.Config{CSRFTrustedOrigins: []string{"https://[::1"}}, "CSRF_TRUSTED_ORIGINS"},
		{csrf.Config{CSRFCookieMasked: true}, "CSRF_COOKIE_MASKED"},
		{csrf.Config{DjangoVersion: "3.2", CSRFCookieMasked: true}, "CSRF_COOKIE_MASKED"},
		{csrf.Config{CSRFHeaderName: "X-CSRFToken"}, "CSRF_HEADER_NAME"},
		{csrf.Config{CSRFHeaderName: "HTTP_"}, "CSRF_HEADER_NAME"},
		{csrf.Config{CSRFCookieName: "csrf token"}, "CSRF_COOKIE_NAME"},
		{csrf.Config{CSRFCookieDomain: "example.com; Secure"}, "CSRF_COOKIE_DOMAIN"},
		{csrf.Config{CSRFCookiePath: "/a\r\nX: y"}, "CSRF_COOKIE_PATH"},
		{csrf.Config{CSRFCookieSameSite: 9}, "CSRF_COOKIE_SAMESITE"},
	}
	for _, tt := range tests {
		_, err := csrf.New(tt.cfg)
		var ce *csrf.ConfigError
		if !errors.Is(err, csrf.ErrConfig) || !errors.As(err, &ce) || ce.Setting != tt.setting {
			t.Errorf("New(%+v) = %v, want a ConfigError for %s", tt.cfg, err, tt.setting)
		}
	}
	// Valid: every version, 4.2's masked cookie, 3.2's host-form trusted origins.
	for _, cfg := range []csrf.Config{
		{}, {DjangoVersion: "3.2", CSRFTrustedOrigins: []string{".example.com"}}, {DjangoVersion: "4.2", CSRFCookieMasked: true},
		{DjangoVersion: "6.0", CSRFHeaderName: "HTTP_X_XSRF_TOKEN", CSRFTrustedOrigins: []string{"https://*.example.com:8443"}},
	} {
		if _, err := csrf.New(cfg); err != nil {
			t.Errorf("New(%+v): %v", cfg, err)
		}
	}
	// The zero Middleware is Django's defaults; an invalid one answers 500, and Check says why.
	var zero csrf.Middleware
	if err := zero.Check(httptest.NewRequest("POST", "/", nil)); !errors.Is(err, csrf.ErrForbidden) {
		t.Errorf("zero Middleware: %v", err)
	}
}

// post is a form POST from example.com's own page.
func post(body string) *http.Request {
	req := httptest.NewRequest("POST", "http://example.com/", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Cookie", "csrftoken="+secret)
	return req
}

func TestBodyLimitAndRestore(t *testing.T) {
	m, err := csrf.New(csrf.Config{MaxBodyBytes: 200})
	if err != nil {
		t.Fatal(err)
	}
	var got string
	h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got = string(b)
		r.Body = io.NopCloser(strings.NewReader(got))
		got += "|" + r.FormValue("x")
	}))
	body := "x=1&csrfmiddlewaretoken=" + djToken61
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, post(body))
	if rec.Code != 200 || got != body+"|1" {
		t.Fatalf("%d: the handler read %q, want the body as sent", rec.Code, got)
	}
	// Too large, with and without Content-Length: 400, the handler is not called.
	for _, chunked := range []bool{false, true} {
		req := post(body + "&pad=" + strings.Repeat("a", 200))
		if chunked {
			req.ContentLength = -1
		}
		if err := m.Check(req); !errors.Is(err, csrf.ErrBodyTooLarge) {
			t.Errorf("chunked=%v: Check = %v, want ErrBodyTooLarge", chunked, err)
		}
		got = ""
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, post(body+"&pad="+strings.Repeat("a", 200)))
		if rec.Code != http.StatusBadRequest || got != "" {
			t.Errorf("chunked=%v: %d, handler read %q", chunked, rec.Code, got)
		}
	}
	// A body that breaks off is Django's UnreadablePostError: no form token, so the header's.
	req := post("")
	req.Body = io.NopCloser(io.MultiReader(strings.NewReader("csrfmiddlewaretoken="+djToken61), iotest.ErrReader(errors.New("reset"))))
	var e *csrf.Error
	if err := m.Check(req); !errors.As(err, &e) || e.Reason != csrf.ReasonCSRFTokenMissing {
		t.Errorf("broken body: %v", err)
	}
	req.Header.Set("X-CSRFToken", djToken32)
	if err := m.Check(req); err != nil {
		t.Errorf("broken body, header token: %v", err)
	}
	// A malformed multipart body: Django's MultiPartParserError, 400.
	req = post("--b\r\nContent-Disposition: form-data; name=\"csrfmiddlewaretoken\"\r\n\r\nabc")
	req.Header.Set("Content-Type", "multipart/form-data; boundary=b")
	if err := m.Check(req); !errors.Is(err, csrf.ErrMalformedBody) {
		t.Errorf("malformed multipart: %v", err)
	}
	// Unlimited.
	m2, _ := csrf.New(csrf.Config{MaxBodyBytes: -1})
	if err := m2.Check(post("pad=" + strings.Repeat("a", 4<<20) + "&csrfmiddlewaretoken=" + djToken61)); err != nil {
		t.Errorf("MaxBodyBytes -1: %v", err)
	}
}

func TestExemptPlacements(t *testing.T) {
	m, _ := csrf.New(csrf.Config{})
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})
	mux := http.NewServeMux()
	mux.Handle("POST /exempt", csrf.Exempt(ok))
	mux.Handle("POST /checked", ok)
	tests := []struct {
		name string
		h    http.Handler
		path string
		code int
	}{
		{"direct", m.Handler(csrf.Exempt(ok)), "/", 200},
		{"ServeMux route", m.Handler(mux), "/exempt", 200},
		{"ServeMux other route", m.Handler(mux), "/checked", 403},
		{"outside Handler", csrf.Exempt(m.Handler(ok)), "/", 200},
		{"not exempt", m.Handler(ok), "/", 403},
		{"behind another wrapper (not seen)", m.Handler(http.StripPrefix("/api", csrf.Exempt(ok))), "/api/", 403},
	}
	for _, tt := range tests {
		rec := httptest.NewRecorder()
		tt.h.ServeHTTP(rec, httptest.NewRequest("POST", "http://example.com"+tt.path, nil))
		if rec.Code != tt.code {
			t.Errorf("%s: %d, want %d", tt.name, rec.Code, tt.code)
		}
	}
}

func TestTokenErrorsAndCommit(t *testing.T) {
	m, _ := csrf.New(csrf.Config{})
	// Outside Handler.
	if _, err := m.Token(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil)); !errors.Is(err, csrf.ErrNoMiddleware) {
		t.Errorf("Token outside Handler: %v", err)
	}
	if err := m.Rotate(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil)); !errors.Is(err, csrf.ErrNoMiddleware) {
		t.Errorf("Rotate outside Handler: %v", err)
	}
	// After the first byte: too late; before a Flush: the cookie goes out with it.
	var late error
	srv := httptest.NewServer(m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/late" {
			io.WriteString(w, "body first")
			_, late = m.Token(w, r)
			return
		}
		if _, err := m.Token(w, r); err != nil {
			t.Error(err)
		}
		http.NewResponseController(w).Flush()
		io.WriteString(w, "streamed")
	})))
	defer srv.Close()
	for _, path := range []string{"/late", "/flush"} {
		resp, err := srv.Client().Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		cookies := resp.Header.Values("Set-Cookie")
		if path == "/late" && (len(cookies) != 0 || !errors.Is(late, csrf.ErrHeaderWritten)) {
			t.Errorf("late Token: %v, Set-Cookie %q", late, cookies)
		}
		if path == "/flush" && (len(cookies) != 1 || !strings.HasPrefix(cookies[0], "csrftoken=")) {
			t.Errorf("Token then Flush: Set-Cookie %q", cookies)
		}
	}
}

// Rotate (auth's login): the old token stops working, the new one works.
func TestRotate(t *testing.T) {
	for _, v := range csrf.Versions {
		m, _ := csrf.New(csrf.Config{DjangoVersion: v})
		var tok string
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("GET", "http://example.com/login", nil)
		req.Header.Set("Cookie", "csrftoken="+secret)
		m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if err := m.Rotate(w, r); err != nil {
				t.Fatal(err)
			}
			tok, _ = m.Token(w, r)
		})).ServeHTTP(rec, req)
		c := rec.Result().Cookies()
		if len(c) != 1 || c[0].Value == secret {
			t.Fatalf("%s: cookies after Rotate %v", v, c)
		}
		withNew := post("csrfmiddlewaretoken=" + djToken61)
		withNew.Header.Set("Cookie", "csrftoken="+c[0].Value)
		if err := m.Check(withNew); !errors.Is(err, csrf.ErrForbidden) {
			t.Errorf("%s: the old token passes with the rotated cookie: %v", v, err)
		}
		fresh := post("csrfmiddlewaretoken=" + tok)
		fresh.Header.Set("Cookie", "csrftoken="+c[0].Value)
		if err := m.Check(fresh); err != nil {
			t.Errorf("%s: the new token: %v", v, err)
		}
	}
}

func TestSessionModeNeedsSessionMiddleware(t *testing.T) {
	m, _ := csrf.New(csrf.Config{CSRFUseSessions: true})
	req := httptest.NewRequest("POST", "http://example.com/", nil)
	if err := m.Check(req); !errors.Is(err, djangosession.ErrNoSession) || errors.Is(err, csrf.ErrForbidden) {
		t.Errorf("Check without a session: %v", err)
	}
	rec := httptest.NewRecorder()
	reached := false
	m.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { reached = true })).ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if rec.Code != 500 || reached {
		t.Errorf("Handler without a session: %d reached=%v", rec.Code, reached)
	}
}

// In session mode the secret is saved with the session, and the session is read on every
// request (Django's process_request does), so Vary: Cookie is on every response.
func TestSessionMode(t *testing.T) {
	st, err := djangosession.NewStore(djangosession.Config{SessionEngine: djangosession.EngineCache, Cache: djangosessiontest.NewCache()})
	if err != nil {
		t.Fatal(err)
	}
	m, _ := csrf.New(csrf.Config{CSRFUseSessions: true})
	var tok string
	h := (&djangosession.Middleware{Store: st}).Handler(m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/form" {
			tok, _ = m.Token(w, r)
		}
	})))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "http://example.com/form", nil))
	c := rec.Result().Cookies()
	if len(c) != 1 || c[0].Name != "sessionid" || len(tok) != 64 {
		t.Fatalf("GET /form: cookies %v, token %q", c, tok)
	}
	req := httptest.NewRequest("POST", "http://example.com/submit", strings.NewReader(url.Values{"csrfmiddlewaretoken": {tok}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(c[0])
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 200 || rec.Header().Get("Vary") != "Cookie" {
		t.Errorf("POST with the session's token: %d, Vary %q", rec.Code, rec.Header().Get("Vary"))
	}
}

func TestProxySSLHeader(t *testing.T) {
	tests := []struct {
		version, value string
		tls, want      bool
	}{
		{"6.1", "https", false, true},
		{"6.1", " https , http", false, true},
		{"3.2", " https , http", false, false},
		{"6.1", "http", true, false},
		{"6.1", "", true, false},
	}
	for _, tt := range tests {
		req := httptest.NewRequest("GET", "/", nil)
		req.Header.Set("X-Forwarded-Proto", tt.value)
		if tt.tls {
			req.TLS = &tls.ConnectionState{}
		}
		if got := csrf.ProxySSLHeader(tt.version, "X-Forwarded-Proto", "https")(req); got != tt.want {
			t.Errorf("%s %q tls=%v: %v", tt.version, tt.value, tt.tls, got)
		}
	}
	req := httptest.NewRequest("GET", "/", nil)
	req.TLS = &tls.ConnectionState{}
	if !csrf.ProxySSLHeader("6.1", "X-Forwarded-Proto", "https")(req) {
		t.Error("no header over TLS: not secure")
	}
}

// The default deny answer gives Django's reason, as text.
func TestDefaultDeny(t *testing.T) {
	m, _ := csrf.New(csrf.Config{})
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("POST", "http://example.com/", nil)
	req.Header.Set("Origin", "http://<script>.example")
	m.Handler(http.NotFoundHandler()).ServeHTTP(rec, req)
	want := "Forbidden (403)\nCSRF verification failed. Request aborted.\n\nReason given for failure:\n    Origin checking failed - http://<script>.example does not match any trusted origins.\n"
	if rec.Code != 403 || rec.Body.String() != want || rec.Header().Get("Content-Type") != "text/plain; charset=utf-8" || rec.Header().Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("%d %q %v", rec.Code, rec.Body.String(), rec.Header())
	}
}

// EnsureCookie around Handler, or Handler twice, share one state: one cookie, whose secret
// the handler's token is of, and one check.
func TestNested(t *testing.T) {
	m, _ := csrf.New(csrf.Config{})
	var tok string
	inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var err error
		if tok, err = m.Token(w, r); err != nil {
			t.Fatal(err)
		}
	})
	for name, h := range map[string]http.Handler{
		"EnsureCookie(Handler)": m.EnsureCookie(m.Handler(inner)),
		"Handler(EnsureCookie)": m.Handler(m.EnsureCookie(inner)),
		"Handler(Handler)":      m.Handler(m.Handler(inner)),
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "http://example.com/", nil))
		c := rec.Result().Cookies()
		if len(c) != 1 {
			t.Fatalf("%s: Set-Cookie %q", name, rec.Header().Values("Set-Cookie"))
		}
		if s, _ := csrf.Unmask(tok); s != c[0].Value {
			t.Errorf("%s: token of %q, cookie %q", name, s, c[0].Value)
		}
	}
	// Another Middleware's state is not this one's.
	other, _ := csrf.New(csrf.Config{})
	var err error
	other.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, err = m.Token(w, r)
	})).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "http://example.com/", nil))
	if !errors.Is(err, csrf.ErrNoMiddleware) {
		t.Errorf("Token under another Middleware's Handler: %v", err)
	}
}

// GetToken and RotateToken work from the request's context alone (an auth package's login).
func TestContextFunctions(t *testing.T) {
	if _, err := csrf.GetToken(httptest.NewRequest("GET", "/", nil).Context()); !errors.Is(err, csrf.ErrNoMiddleware) {
		t.Errorf("GetToken outside Handler: %v", err)
	}
	if err := csrf.RotateToken(httptest.NewRequest("GET", "/", nil).Context()); !errors.Is(err, csrf.ErrNoMiddleware) {
		t.Errorf("RotateToken outside Handler: %v", err)
	}
	m, _ := csrf.New(csrf.Config{DjangoVersion: "4.2"})
	var tok string
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "http://example.com/login", nil)
	req.Header.Set("Cookie", "csrftoken="+secret)
	m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := csrf.RotateToken(r.Context()); err != nil {
			t.Fatal(err)
		}
		var err error
		if tok, err = csrf.GetToken(r.Context()); err != nil {
			t.Fatal(err)
		}
	})).ServeHTTP(rec, req)
	c := rec.Result().Cookies()
	if len(c) != 1 || c[0].Value == secret {
		t.Fatalf("cookies after RotateToken %v", c)
	}
	if s, _ := csrf.Unmask(tok); s != c[0].Value {
		t.Errorf("GetToken gave a token of %q, the cookie is %q", s, c[0].Value)
	}
}
