package csrf

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/djangobridge/bridge/djangosession"
	"github.com/djangobridge/bridge/djangosession/djangosessiontest"
)

// The fixtures of testdata/django-<version>.json are Django's CsrfViewMiddleware on a table of
// requests (compat_test/gen_csrf_fixtures.py); the test replays each request through Handler
// with the same settings and compares status, reason, Set-Cookie, Vary, the tokens get_token
// returned and the session's secret afterwards.

type fixtureFile struct {
	Django string        `json:"django"`
	Now    int64         `json:"now"`
	Cases  []fixtureCase `json:"cases"`
}

type fixtureCase struct {
	Name        string            `json:"name"`
	Method      string            `json:"method"`
	Secure      bool              `json:"secure"`
	Host        string            `json:"host"`
	ServerPort  *string           `json:"server_port"`
	Headers     map[string]string `json:"headers"`
	Cookies     map[string]string `json:"cookies"`
	Session     map[string]string `json:"session"`
	Body        *string           `json:"body"`
	ContentType *string           `json:"content_type"`
	Settings    map[string]any    `json:"settings"`
	Actions     []string          `json:"actions"`
	Exempt      bool              `json:"exempt"`
	Result      struct {
		Status    int      `json:"status"`
		Exception string   `json:"exception"`
		Reason    *string  `json:"reason"`
		SetCookie []string `json:"set_cookie"`
		Vary      *string  `json:"vary"`
		Tokens    []string `json:"tokens"`
		Session   *string  `json:"session"`
	} `json:"result"`
}

func loadFixture(t *testing.T, version string) fixtureFile {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "django-"+version+".json"))
	if err != nil {
		t.Fatalf("%v (make it with compat_test/gen_csrf_fixtures.py, see testdata/README.md)", err)
	}
	var f fixtureFile
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(f.Django, version+".") || len(f.Cases) < 50 {
		t.Fatalf("testdata/django-%s.json is Django %s with %d cases", version, f.Django, len(f.Cases))
	}
	return f
}

// configOf is the Config of a case's Django settings.
func configOf(t *testing.T, version string, settings map[string]any, now time.Time) Config {
	t.Helper()
	c := Config{DjangoVersion: version, Now: func() time.Time { return now }}
	for k, v := range settings {
		switch k {
		case "_vary":
		case "CSRF_COOKIE_NAME":
			c.CSRFCookieName = v.(string)
		case "CSRF_COOKIE_AGE":
			if v == nil {
				c.CSRFCookieAge = -1
			} else {
				c.CSRFCookieAge = time.Duration(v.(float64)) * time.Second
			}
		case "CSRF_COOKIE_DOMAIN":
			c.CSRFCookieDomain = v.(string)
		case "CSRF_COOKIE_PATH":
			c.CSRFCookiePath = v.(string)
		case "CSRF_COOKIE_SECURE":
			c.CSRFCookieSecure = v.(bool)
		case "CSRF_COOKIE_HTTPONLY":
			c.CSRFCookieHTTPOnly = v.(bool)
		case "CSRF_COOKIE_SAMESITE":
			switch v {
			case nil:
				c.CSRFCookieSameSite = http.SameSiteDefaultMode
			case "Strict":
				c.CSRFCookieSameSite = http.SameSiteStrictMode
			case "None":
				c.CSRFCookieSameSite = http.SameSiteNoneMode
			default:
				t.Fatalf("samesite %v", v)
			}
		case "CSRF_HEADER_NAME":
			c.CSRFHeaderName = v.(string)
		case "CSRF_TRUSTED_ORIGINS":
			for _, o := range v.([]any) {
				c.CSRFTrustedOrigins = append(c.CSRFTrustedOrigins, o.(string))
			}
		case "CSRF_USE_SESSIONS":
			c.CSRFUseSessions = v.(bool)
		case "CSRF_COOKIE_MASKED":
			c.CSRFCookieMasked = v.(bool)
		case "SESSION_COOKIE_DOMAIN":
			c.SessionCookieDomain = v.(string)
		case "ALLOWED_HOSTS":
			// request.get_host()'s check, for the hosts these cases use.
			var allowed []string
			for _, h := range v.([]any) {
				allowed = append(allowed, h.(string))
			}
			c.GetHost = func(r *http.Request) (string, bool) {
				domain, _, _ := strings.Cut(strings.ToLower(r.Host), ":")
				return r.Host, slices.Contains(allowed, domain)
			}
		case "SECURE_PROXY_SSL_HEADER":
			h := v.([]any)
			name := strings.ReplaceAll(strings.TrimPrefix(h[0].(string), "HTTP_"), "_", "-")
			c.IsSecure = ProxySSLHeader(version, name, h[1].(string))
		default:
			t.Fatalf("setting %s has no Config field in this test", k)
		}
	}
	return c
}

// secretOf is the secret a 32- or 64-character value stands for, or "".
func secretOf(v string) string {
	if !validChars(v) {
		return ""
	}
	switch len(v) {
	case SecretLength:
		return v
	case TokenLength:
		s, _ := unmask(v)
		return s
	}
	return ""
}

// label is gen_csrf_fixtures.py's label().
func label(v, given string, hasGiven bool, final string) string {
	switch s := secretOf(v); {
	case hasGiven && v == given:
		return "input"
	case s != "" && hasGiven && s == secretOf(given):
		return fmt.Sprintf("input-secret-%d", len(v))
	case s != "" && s == secretOf(final):
		return fmt.Sprintf("new-secret-%d", len(v))
	}
	return fmt.Sprintf("other-%d", len(v))
}

// sessionEnv is a djangosession Store over an in-memory cache.
type sessionEnv struct {
	mw *djangosession.Middleware
}

func newSessionEnv(t *testing.T, version string) *sessionEnv {
	t.Helper()
	st, err := djangosession.NewStore(djangosession.Config{SessionEngine: djangosession.EngineCache, Cache: djangosessiontest.NewCache(), DjangoVersion: version})
	if err != nil {
		t.Fatal(err)
	}
	return &sessionEnv{mw: &djangosession.Middleware{Store: st}}
}

// seed saves a session holding values and returns its key.
func (e *sessionEnv) seed(t *testing.T, values map[string]string) string {
	t.Helper()
	rec := httptest.NewRecorder()
	e.mw.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, err := djangosession.FromContext(r.Context())
		if err != nil {
			t.Fatal(err)
		}
		s.Set("seeded", "1")
		for k, v := range values {
			s.Set(k, v)
		}
	})).ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	c := rec.Result().Cookies()
	if len(c) != 1 {
		t.Fatalf("seeding a session: Set-Cookie %q", rec.Header().Values("Set-Cookie"))
	}
	return c[0].Value
}

func TestDjangoFixtures(t *testing.T) {
	for _, version := range Versions {
		t.Run("django-"+version, func(t *testing.T) {
			f := loadFixture(t, version)
			now := time.Unix(f.Now, 0)
			for _, tc := range f.Cases {
				t.Run(tc.Name, func(t *testing.T) { runFixtureCase(t, version, now, tc) })
			}
		})
	}
}

func runFixtureCase(t *testing.T, version string, now time.Time, tc fixtureCase) {
	cfg := configOf(t, version, tc.Settings, now)
	var (
		st      *state
		sess    *djangosession.Session
		reason  *string
		tokens  []string
		reached bool
	)
	capture := func(r *http.Request) {
		st = stateFrom(r)
		if cfg.CSRFUseSessions {
			sess, _ = djangosession.FromContext(r.Context())
		}
	}
	cfg.CSRFFailureView = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		capture(r)
		s := Failure(r).Reason
		reason = &s
		w.WriteHeader(http.StatusForbidden)
	})
	m, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	view := http.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached = true
		capture(r)
		for _, a := range tc.Actions {
			if a == "get_token" {
				tok, err := m.Token(w, r)
				if err != nil {
					t.Fatalf("Token: %v", err)
				}
				tokens = append(tokens, tok)
			} else if err := m.Rotate(w, r); err != nil {
				t.Fatalf("Rotate: %v", err)
			}
		}
		if v, ok := tc.Settings["_vary"].(string); ok {
			w.Header().Set("Vary", v)
		}
		_, _ = io.WriteString(w, "ok")
	}))
	if tc.Exempt {
		view = Exempt(view)
	}
	h := m.Handler(view)

	scheme := "http"
	if tc.Secure {
		scheme = "https"
	}
	var body io.Reader
	if tc.Body != nil {
		body = strings.NewReader(*tc.Body)
	}
	req := httptest.NewRequest(tc.Method, scheme+"://"+tc.Host+"/form/", body)
	req.Host = tc.Host
	if tc.Secure {
		req.TLS = &tls.ConnectionState{}
	} else {
		req.TLS = nil
	}
	if tc.ServerPort != nil {
		// SERVER_PORT: the port of the local address the request came in on.
		port, err := strconv.Atoi(*tc.ServerPort)
		if err != nil {
			t.Fatal(err)
		}
		req = req.WithContext(context.WithValue(req.Context(), http.LocalAddrContextKey, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port}))
	}
	if tc.ContentType != nil {
		req.Header.Set("Content-Type", *tc.ContentType)
	}
	for k, v := range tc.Headers {
		req.Header[http.CanonicalHeaderKey(k)] = []string{v}
	}
	var cookies []string
	for k, v := range tc.Cookies {
		cookies = append(cookies, k+"="+v)
	}
	given, hasGiven := "", false
	name := cfg.CSRFCookieName
	if name == "" {
		name = DefaultCookieName
	}
	if v, ok := tc.Cookies[name]; ok {
		given, hasGiven = v, true
	}
	if tc.Session != nil {
		env := newSessionEnv(t, version)
		cookies = append(cookies, "sessionid="+env.seed(t, tc.Session))
		h = env.mw.Handler(h)
		given, hasGiven = tc.Session[SessionKey]
	}
	if len(cookies) > 0 {
		req.Header.Set("Cookie", strings.Join(cookies, "; "))
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)

	if tc.Result.Exception != "" {
		// Django fails the request with an exception (a 500); Go rejects it.
		if rec.Code != http.StatusForbidden || reached {
			t.Fatalf("Django: %s; Go: %d, reached=%v, want a rejection", tc.Result.Exception, rec.Code, reached)
		}
		return
	}
	if rec.Code != tc.Result.Status {
		t.Errorf("status %d, Django %d (reason %v, Django %v)", rec.Code, tc.Result.Status, deref(reason), deref(tc.Result.Reason))
	}
	if deref(reason) != deref(tc.Result.Reason) {
		t.Errorf("reason\n Go     %q\n Django %q", deref(reason), deref(tc.Result.Reason))
	}
	final := ""
	if st != nil {
		final = st.cookie
	}
	var goSet []string
	for _, sc := range rec.Header().Values("Set-Cookie") {
		if strings.HasPrefix(sc, "sessionid=") {
			continue
		}
		n, rest, _ := strings.Cut(sc, "=")
		v, attrs, found := strings.Cut(rest, ";")
		sep := ""
		if found {
			sep = ";"
		}
		goSet = append(goSet, n+"=<"+label(v, given, hasGiven, final)+">"+sep+attrs)
	}
	if !slices.Equal(goSet, tc.Result.SetCookie) {
		t.Errorf("Set-Cookie\n Go     %q\n Django %q", goSet, tc.Result.SetCookie)
	}
	if tc.Session == nil {
		got := "<nil>"
		if v := rec.Header().Values("Vary"); len(v) > 0 {
			got = strings.Join(v, ", ")
		}
		if got != deref(tc.Result.Vary) {
			t.Errorf("Vary: Go %q, Django %q", got, deref(tc.Result.Vary))
		}
	}
	var goTokens []string
	for _, tok := range tokens {
		goTokens = append(goTokens, label(tok, given, hasGiven, final))
	}
	if !slices.Equal(goTokens, tc.Result.Tokens) && !(len(goTokens) == 0 && len(tc.Result.Tokens) == 0) {
		t.Errorf("tokens\n Go     %q\n Django %q", goTokens, tc.Result.Tokens)
	}
	if tc.Session != nil {
		var got *string
		if sess != nil {
			if v, ok := sess.String(SessionKey); ok {
				l := label(v, given, hasGiven, final)
				got = &l
			}
		}
		if deref(got) != deref(tc.Result.Session) {
			t.Errorf("session %s: Go %q, Django %q", SessionKey, deref(got), deref(tc.Result.Session))
		}
	}
}

func deref(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}
