package djangosession_test

import (
	"crypto/tls"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/djangobridge/bridge/csrf"
	"github.com/djangobridge/bridge/py"

	"github.com/djangobridge/bridge/djangosession"
)

// Django 6.1.3's _mask_cipher_secret("abcdefghijklmnopqrstuvwxyzABCDEF") gave this token (3.2.25
// gave "MBMrpHYD..."); both unmask to the secret.
const (
	csrfSecret  = "abcdefghijklmnopqrstuvwxyzABCDEF"
	csrfToken61 = "I5U0LkF5gIYKq35DOf9mAKGTNTSpIXxHI6W3PpLcoR8VCgjS4wrFU52gbiiQaq1c"
	csrfToken32 = "MBMrpHYDQBqbUYxEjWpOpdWZCGup0IDRMCOutM4KYKAm6bLTzdH7Jyim05UQsb7m"
)

func TestCSRFMasking(t *testing.T) {
	for _, tok := range []string{csrfToken61, csrfToken32} {
		got, err := csrf.UnmaskCSRFToken(tok)
		if err != nil || got != csrfSecret {
			t.Errorf("Unmask(%s) = %q, %v", tok, got, err)
		}
	}
	tok, err := csrf.MaskCSRFSecret(csrfSecret)
	if err != nil || len(tok) != 64 || tok == csrfToken61 {
		t.Fatalf("Mask: %q %v", tok, err)
	}
	if got, _ := csrf.UnmaskCSRFToken(tok); got != csrfSecret {
		t.Errorf("round trip: %q", got)
	}
	// Hand-made: wrong lengths and characters.
	for _, bad := range []string{"", csrfSecret, csrfToken61[:63], csrfToken61[:63] + "-"} {
		if _, err := csrf.UnmaskCSRFToken(bad); !errors.Is(err, djangosession.ErrCorrupt) {
			t.Errorf("Unmask(%q): %v", bad, err)
		}
	}
	if _, err := csrf.MaskCSRFSecret("short"); !errors.Is(err, djangosession.ErrCorrupt) {
		t.Errorf("Mask(short): %v", err)
	}
}

// csrfRequest runs a request through the session middleware and CSRF.Handler.
func csrfRequest(t *testing.T, e mwEnv, c *csrf.CSRF, req *http.Request) (*httptest.ResponseRecorder, bool) {
	t.Helper()
	req.Header.Set("Cookie", "sessionid="+key1)
	reached := false
	rec := httptest.NewRecorder()
	e.m.Handler(c.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { reached = true }))).ServeHTTP(rec, req)
	return rec, reached
}

func postForm(token string) *http.Request {
	body := url.Values{csrf.CSRFFormField: {token}}.Encode()
	req := httptest.NewRequest(http.MethodPost, "http://example.com/go/", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return req
}

func TestCSRFCheck(t *testing.T) {
	header := func(method, name, value string) *http.Request {
		req := httptest.NewRequest(method, "http://example.com/go/", nil)
		if name != "" {
			req.Header.Set(name, value)
		}
		return req
	}
	withHeader := func(req *http.Request, k, v string) *http.Request { req.Header.Set(k, v); return req }
	secure := func(req *http.Request) *http.Request { req.TLS = &tls.ConnectionState{}; return req }
	tests := []struct {
		name   string
		stored string // session "_csrftoken"; "-" = none
		req    *http.Request
		reason string // "" = accepted
	}{
		{"GET needs nothing", "-", header(http.MethodGet, "", ""), ""},
		{"form, masked token, secret stored (4.1+)", csrfSecret, postForm(csrfToken61), ""},
		{"form, masked token, masked stored (3.2)", csrfToken32, postForm(csrfToken61), ""},
		{"form, unmasked 32-char token", csrfSecret, postForm(csrfSecret), ""},
		{"header", csrfSecret, header(http.MethodPut, "X-CSRFToken", csrfToken32), ""},
		{"same origin", csrfSecret, withHeader(postForm(csrfToken61), "Origin", "http://example.com"), ""},
		{"https with referer", csrfSecret, secure(withHeader(postForm(csrfToken61), "Referer", "https://example.com/form/")), ""},
		{"no secret", "-", postForm(csrfToken61), "CSRF cookie not set."},
		{"no token", csrfSecret, header(http.MethodDelete, "", ""), "CSRF token missing."},
		// Hand-made tokens: a changed character, a bad length, a bad character.
		{"wrong token", csrfSecret, postForm(csrfToken61[:63] + "x"), "CSRF token from POST incorrect."},
		{"bad length", csrfSecret, postForm(csrfToken61[:40]), "CSRF token from POST has incorrect length."},
		{"bad chars", csrfSecret, header(http.MethodPost, "X-CSRFToken", csrfToken61[:63]+"!"), "CSRF token from the 'X-Csrftoken' HTTP header has invalid characters."},
		{"cross origin", csrfSecret, withHeader(postForm(csrfToken61), "Origin", "http://evil.example"), "Origin checking failed - http://evil.example does not match any trusted origins."},
		{"https without referer", csrfSecret, secure(postForm(csrfToken61)), "Referer checking failed - no Referer."},
		{"https, insecure referer", csrfSecret, secure(withHeader(postForm(csrfToken61), "Referer", "http://example.com/")), "Referer checking failed - Referer is insecure while host is secure."},
		{"https, foreign referer", csrfSecret, secure(withHeader(postForm(csrfToken61), "Referer", "https://evil.example/")), "Referer checking failed - https://evil.example/ does not match any trusted origins."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newMW(t, djangosession.Config{})
			d := py.DictOf("a", int64(1))
			if tt.stored != "-" {
				d.Set(csrf.CSRFSessionKey, tt.stored)
			}
			seed(t, e.st, e.cache, key1, d)
			c := &csrf.CSRF{}
			var reason *csrf.CSRFError
			c.FailureHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				reason = csrf.CSRFFailureReason(r)
				w.WriteHeader(http.StatusForbidden)
			})
			rec, reached := csrfRequest(t, e, c, tt.req)
			if tt.reason == "" {
				if !reached {
					t.Fatalf("rejected: %d %v", rec.Code, reason)
				}
				return
			}
			if reached || rec.Code != http.StatusForbidden || reason == nil || reason.Reason != tt.reason {
				t.Fatalf("reached=%v code=%d reason=%v, want %q", reached, rec.Code, reason, tt.reason)
			}
			if !errors.Is(reason, csrf.ErrCSRF) {
				t.Error("CSRFError does not match ErrCSRF")
			}
		})
	}
}

func TestCSRFTrustedOrigins(t *testing.T) {
	c := &csrf.CSRF{CSRFTrustedOrigins: []string{"https://app.example.com", "https://*.shop.example"}}
	for origin, ok := range map[string]bool{
		"https://app.example.com": true, "https://a.shop.example": true, "https://shop.example": true,
		"http://a.shop.example": false, "https://app.example.com.evil": false, "null": false,
	} {
		e := newMW(t, djangosession.Config{})
		seed(t, e.st, e.cache, key1, py.DictOf(csrf.CSRFSessionKey, csrfSecret))
		req := postForm(csrfToken61)
		req.Header.Set("Origin", origin)
		if _, reached := csrfRequest(t, e, c, req); reached != ok {
			t.Errorf("Origin %s: accepted=%v, want %v", origin, reached, ok)
		}
	}
}

// The default failure answer is Django's 403; a session load failure is the middleware's.
func TestCSRFHandlerDefaults(t *testing.T) {
	e := newMW(t, djangosession.Config{})
	seed(t, e.st, e.cache, key1, py.DictOf("a", int64(1)))
	rec, _ := csrfRequest(t, e, &csrf.CSRF{}, postForm(csrfToken61))
	if rec.Code != http.StatusForbidden {
		t.Errorf("code %d", rec.Code)
	}
	e.cache.Hook = func(string, string) error { return errDown }
	e.m.ErrorFunc = func(w http.ResponseWriter, r *http.Request, err error) { w.WriteHeader(http.StatusServiceUnavailable) }
	rec, reached := csrfRequest(t, e, &csrf.CSRF{}, postForm(csrfToken61))
	if reached || rec.Code != http.StatusServiceUnavailable {
		t.Errorf("cache down: reached=%v code=%d", reached, rec.Code)
	}
}

func TestCSRFTokenAndRotate(t *testing.T) {
	tests := []struct {
		version string
		masked  bool
		stored  int // length of what is stored
	}{{"3.2", false, 64}, {"4.2", false, 32}, {"4.2", true, 64}, {"5.2", false, 32}, {"6.1", false, 32}}
	for _, tt := range tests {
		e := newMW(t, djangosession.Config{DjangoVersion: tt.version})
		c := &csrf.CSRF{CSRFCookieMasked: tt.masked}
		s := e.st.New()
		tok, err := c.Token(s)
		if err != nil || len(tok) != 64 {
			t.Fatalf("Token: %q %v", tok, err)
		}
		v, _ := s.String(csrf.CSRFSessionKey)
		if len(v) != tt.stored || !s.Modified() {
			t.Errorf("%s masked=%v: stored %q", tt.version, tt.masked, v)
		}
		tok2, _ := c.Token(s)
		v2, _ := s.String(csrf.CSRFSessionKey)
		if v2 != v || tok2 == tok {
			t.Errorf("%s: a second Token changed the secret or repeated the mask", tt.version)
		}
		sec1, _ := csrf.UnmaskCSRFToken(tok)
		sec2, _ := csrf.UnmaskCSRFToken(tok2)
		if sec1 != sec2 {
			t.Errorf("%s: tokens of different secrets", tt.version)
		}
		if err := c.Rotate(s); err != nil {
			t.Fatal(err)
		}
		tok3, _ := c.Token(s)
		if sec3, _ := csrf.UnmaskCSRFToken(tok3); sec3 == sec1 {
			t.Errorf("%s: Rotate kept the secret", tt.version)
		}
	}
	// 4.2+ rewrite a masked (3.2-era) token as its secret; the secret is kept.
	e := newMW(t, djangosession.Config{DjangoVersion: "6.1"})
	s := e.st.New()
	s.Set(csrf.CSRFSessionKey, csrfToken32)
	tok, _ := (&csrf.CSRF{}).Token(s)
	if v, _ := s.String(csrf.CSRFSessionKey); v != csrfSecret {
		t.Errorf("stored %q", v)
	}
	if sec, _ := csrf.UnmaskCSRFToken(tok); sec != csrfSecret {
		t.Errorf("token of %q", sec)
	}
}
