package djangosession_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/djangobridge/bridge/py"

	"github.com/djangobridge/bridge/djangosession"
	"github.com/djangobridge/bridge/djangosession/djangosessiontest"
)

// The Set-Cookie values below are what Django's SessionMiddleware wrote for the same settings
// (HttpResponse.set_cookie / delete_cookie, Morsel.OutputString), checked with Django 3.2.25,
// 4.2.30 and 6.1.3 (identical); compat_test/http_live_test.go compares with Django live.
const (
	// SESSION_COOKIE_AGE 1209600 at 1700000000.
	wantSetDefault = "sessionid=" + key1 + "; expires=Tue, 28 Nov 2023 22:13:20 GMT; HttpOnly; Max-Age=1209600; Path=/; SameSite=Lax"
	wantDelete     = `sessionid=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/; SameSite=Lax`
)

// mwEnv is a middleware over an in-memory cache on the fixtures' fixed clock.
type mwEnv struct {
	m     *djangosession.Middleware
	st    *djangosession.Store
	cache *djangosessiontest.Cache
}

func newMW(t *testing.T, cfg djangosession.Config) mwEnv {
	t.Helper()
	st, cache, _ := newTestStore(t, cfg)
	return mwEnv{m: &djangosession.Middleware{Store: st}, st: st, cache: cache}
}

// do runs one request with an optional session cookie through the middleware.
func (e mwEnv) do(t *testing.T, cookie string, h http.HandlerFunc) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	if cookie != "" {
		req.Header.Set("Cookie", cookie)
	}
	rec := httptest.NewRecorder()
	e.m.Handler(h).ServeHTTP(rec, req)
	return rec
}

// mustSession is FromContext for handlers in tests.
func mustSession(t *testing.T, r *http.Request) *djangosession.Session {
	t.Helper()
	s, err := djangosession.FromContext(r.Context())
	if err != nil {
		t.Errorf("FromContext: %v", err)
		return nil
	}
	return s
}

// setCookieFor replaces the session key in a Set-Cookie value by "KEY".
func setCookieFor(rec *httptest.ResponseRecorder) (string, string) {
	sc := rec.Header().Values("Set-Cookie")
	if len(sc) != 1 {
		return "", strings.Join(sc, " | ")
	}
	v := sc[0]
	name, rest, _ := strings.Cut(v, "=")
	key, attrs, _ := strings.Cut(rest, ";")
	return key, name + "=KEY;" + attrs
}

func TestMiddlewareNewSession(t *testing.T) {
	e := newMW(t, djangosession.Config{})
	rec := e.do(t, "", func(w http.ResponseWriter, r *http.Request) {
		mustSession(t, r).Set("cart", "3 apples")
		_, _ = io.WriteString(w, "ok")
	})
	key, sc := setCookieFor(rec)
	want := strings.Replace(wantSetDefault, key1, "KEY", 1)
	if sc != want {
		t.Fatalf("Set-Cookie\n got %s\nwant %s", sc, want)
	}
	if len(key) != 32 {
		t.Fatalf("new key %q", key)
	}
	if got := rec.Header().Get("Vary"); got != "Cookie" {
		t.Errorf("Vary = %q", got)
	}
	d := stored(t, e.st, e.cache, key)
	if v, _ := d.String("cart"); v != "3 apples" {
		t.Errorf("stored %v", d.Keys())
	}
	if rec.Body.String() != "ok" {
		t.Errorf("body %q", rec.Body.String())
	}
}

func TestMiddlewareReadOnly(t *testing.T) {
	e := newMW(t, djangosession.Config{})
	seed(t, e.st, e.cache, key1, py.DictOf("a", int64(1)))
	var got int64
	rec := e.do(t, "sessionid="+key1, func(w http.ResponseWriter, r *http.Request) {
		got, _ = mustSession(t, r).Int("a")
	})
	if got != 1 {
		t.Errorf("read %d", got)
	}
	if sc := rec.Header().Values("Set-Cookie"); len(sc) != 0 {
		t.Errorf("Set-Cookie on a read: %q", sc)
	}
	if v := rec.Header().Get("Vary"); v != "Cookie" {
		t.Errorf("Vary = %q, want Cookie (accessed)", v)
	}
	if n := e.cache.Calls("set"); n != 1 { // the seed
		t.Errorf("%d sets", n)
	}
}

// A handler that never asks for the session costs no cache call and changes no header.
func TestMiddlewareLazy(t *testing.T) {
	e := newMW(t, djangosession.Config{})
	seed(t, e.st, e.cache, key1, py.DictOf("a", int64(1)))
	rec := e.do(t, "sessionid="+key1, func(w http.ResponseWriter, r *http.Request) {})
	if e.cache.Calls("get") != 0 {
		t.Errorf("%d gets", e.cache.Calls("get"))
	}
	if len(rec.Header()) != 0 {
		t.Errorf("headers %v", rec.Header())
	}
}

func TestMiddlewareExistingModified(t *testing.T) {
	e := newMW(t, djangosession.Config{})
	seed(t, e.st, e.cache, key1, py.DictOf("a", int64(1)))
	rec := e.do(t, "other=1; sessionid="+key1, func(w http.ResponseWriter, r *http.Request) {
		mustSession(t, r).Set("a", int64(2))
	})
	if sc := rec.Header().Get("Set-Cookie"); sc != wantSetDefault {
		t.Fatalf("Set-Cookie\n got %s\nwant %s", sc, wantSetDefault)
	}
	if v, _ := stored(t, e.st, e.cache, key1).Int("a"); v != 2 {
		t.Errorf("stored a=%d", v)
	}
}

// Django deletes the cookie of an emptied session; a stale or forged cookie never becomes the
// key of a new session.
func TestMiddlewareEmptyAndBadCookies(t *testing.T) {
	tests := []struct {
		name   string
		cookie string
		seed   bool
		h      func(s *djangosession.Session)
		// want: "delete", "new" (a cookie with a new key), "none"
		want string
	}{
		{"flush", "sessionid=" + key1, true, func(s *djangosession.Session) { _ = s.Flush(context.Background()) }, "delete"},
		{"stale key read", "sessionid=" + key1, false, func(s *djangosession.Session) { s.Get("a") }, "delete"},
		{"stale key written", "sessionid=" + key1, false, func(s *djangosession.Session) { s.Set("a", int64(1)) }, "new"},
		// Hand-made: shorter than Django's 8 characters; Django drops it without looking.
		{"short key untouched", "sessionid=abc", false, nil, "delete"},
		{"short key written", "sessionid=abc", false, func(s *djangosession.Session) { s.Set("a", int64(1)) }, "new"},
		{"empty value", "sessionid=", false, nil, "delete"},
		// Hand-made: characters a session key never has; the cache has nothing there.
		{"forged key", `sessionid="../../etc;passwd\""`, false, func(s *djangosession.Session) { s.Get("a") }, "delete"},
		{"valid key untouched", "sessionid=" + key1, true, nil, "none"},
		{"no cookie, read", "", false, func(s *djangosession.Session) { s.Get("a") }, "none"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newMW(t, djangosession.Config{})
			if tt.seed {
				seed(t, e.st, e.cache, key1, py.DictOf("a", int64(1)))
			}
			rec := e.do(t, tt.cookie, func(w http.ResponseWriter, r *http.Request) {
				if tt.h != nil {
					tt.h(mustSession(t, r))
				}
			})
			sc := rec.Header().Values("Set-Cookie")
			switch tt.want {
			case "delete":
				if len(sc) != 1 || sc[0] != wantDelete {
					t.Fatalf("Set-Cookie = %q, want the delete header", sc)
				}
				if v := rec.Header().Get("Vary"); v != "Cookie" {
					t.Errorf("Vary = %q", v)
				}
			case "new":
				key, _ := setCookieFor(rec)
				if len(key) != 32 || key == key1 {
					t.Fatalf("Set-Cookie = %q, want a new key", sc)
				}
				if v, _ := stored(t, e.st, e.cache, key).Int("a"); v != 1 {
					t.Errorf("new session not stored")
				}
			case "none":
				if len(sc) != 0 {
					t.Fatalf("Set-Cookie = %q", sc)
				}
			}
			if tt.seed && tt.want == "none" {
				stored(t, e.st, e.cache, key1)
			}
		})
	}
}

// A cache value that is not a session is a miss, as in Django.
func TestMiddlewareCorruptValue(t *testing.T) {
	e := newMW(t, djangosession.Config{})
	// Hand-made: bytes that are not a pickle.
	if err := e.cache.Set(context.Background(), e.st.CacheKey(key1), []byte("\x80\x05garbage"), 3600e9); err != nil {
		t.Fatal(err)
	}
	var has bool
	rec := e.do(t, "sessionid="+key1, func(w http.ResponseWriter, r *http.Request) {
		has = mustSession(t, r).Has("a")
	})
	if has || rec.Header().Get("Set-Cookie") != wantDelete {
		t.Fatalf("has=%v Set-Cookie=%q", has, rec.Header().Get("Set-Cookie"))
	}
}

func TestMiddlewareCacheOutage(t *testing.T) {
	for _, op := range []string{"get", "set", "add", "has"} {
		t.Run(op, func(t *testing.T) {
			e := newMW(t, djangosession.Config{})
			seed(t, e.st, e.cache, key1, py.DictOf("_auth_user_id", "1"))
			var hookErr error
			e.m.ErrorFunc = func(w http.ResponseWriter, r *http.Request, err error) {
				hookErr = err
				http.Error(w, "session store unavailable", http.StatusServiceUnavailable)
			}
			e.cache.Hook = func(o, _ string) error {
				if o == op {
					return errDown
				}
				return nil
			}
			cookie := "sessionid=" + key1
			if op == "add" || op == "has" {
				cookie = "" // a new session: the create fails
			}
			var loadErr error
			rec := e.do(t, cookie, func(w http.ResponseWriter, r *http.Request) {
				s, err := djangosession.FromContext(r.Context())
				if err != nil {
					loadErr = err
					http.Error(w, "handler saw "+err.Error(), http.StatusInternalServerError)
					return
				}
				s.Set("x", int64(1))
				_, _ = io.WriteString(w, "handler body")
			})
			if rec.Code != http.StatusServiceUnavailable || !errors.Is(hookErr, errDown) {
				t.Fatalf("code %d, ErrorFunc got %v", rec.Code, hookErr)
			}
			if op == "get" && !errors.Is(loadErr, errDown) {
				t.Errorf("FromContext error = %v", loadErr)
			}
			if strings.Contains(rec.Body.String(), "handler") {
				t.Errorf("the handler's body leaked: %q", rec.Body.String())
			}
			if sc := rec.Header().Values("Set-Cookie"); len(sc) != 0 {
				t.Errorf("Set-Cookie %q: an outage must not log the user out", sc)
			}
			e.cache.Hook = nil
			if d := stored(t, e.st, e.cache, key1); d.Has("x") || d.Len() != 1 {
				t.Errorf("stored session changed: %v", d.Keys())
			}
		})
	}
}

// Django's SessionInterrupted: the session was deleted (logout elsewhere) during the request.
func TestMiddlewareSessionInterrupted(t *testing.T) {
	e := newMW(t, djangosession.Config{})
	seed(t, e.st, e.cache, key1, py.DictOf("a", int64(1)))
	rec := e.do(t, "sessionid="+key1, func(w http.ResponseWriter, r *http.Request) {
		mustSession(t, r).Set("a", int64(2))
		_ = e.st.Delete(r.Context(), key1) // a concurrent logout
		_, _ = io.WriteString(w, "handler body")
	})
	if rec.Code != http.StatusBadRequest || strings.Contains(rec.Body.String(), "handler") {
		t.Fatalf("code %d body %q, want Django's 400", rec.Code, rec.Body.String())
	}
	if len(e.cache.Keys()) != 0 || len(rec.Header().Values("Set-Cookie")) != 0 {
		t.Errorf("the deleted session came back or a cookie was set")
	}
}

func TestMiddlewareStatus(t *testing.T) {
	tests := []struct {
		version string
		status  int
		saved   bool
	}{
		{"6.1", 200, true}, {"6.1", 404, true}, {"6.1", 500, false}, {"6.1", 503, false},
		{"4.2", 502, false}, {"3.2", 500, false}, {"3.2", 503, true}, {"3.2", 302, true},
	}
	for _, tt := range tests {
		t.Run(tt.version+"/"+http.StatusText(tt.status), func(t *testing.T) {
			e := newMW(t, djangosession.Config{DjangoVersion: tt.version})
			rec := e.do(t, "", func(w http.ResponseWriter, r *http.Request) {
				mustSession(t, r).Set("a", int64(1))
				w.WriteHeader(tt.status)
			})
			if rec.Code != tt.status {
				t.Fatalf("code %d", rec.Code)
			}
			saved := len(e.cache.Keys()) == 1
			if saved != tt.saved || saved != (rec.Header().Get("Set-Cookie") != "") {
				t.Errorf("saved=%v cookie=%q, want saved=%v", saved, rec.Header().Get("Set-Cookie"), tt.saved)
			}
		})
	}
}

// SESSION_SAVE_EVERY_REQUEST saves an untouched session; 5.2.14+/6.0.5+/6.1 then add Vary:
// Cookie, older versions do not (CVE-2026-35192).
func TestMiddlewareSaveEveryRequest(t *testing.T) {
	for _, tt := range []struct {
		version string
		vary    string
	}{{"3.2", ""}, {"4.2", ""}, {"5.2", "Cookie"}, {"6.0", "Cookie"}, {"6.1", "Cookie"}} {
		t.Run(tt.version, func(t *testing.T) {
			e := newMW(t, djangosession.Config{DjangoVersion: tt.version})
			e.m.SessionSaveEveryRequest = true
			seed(t, e.st, e.cache, key1, py.DictOf("a", int64(1)))
			rec := e.do(t, "sessionid="+key1, func(w http.ResponseWriter, r *http.Request) {})
			if sc := rec.Header().Get("Set-Cookie"); sc != wantSetDefault {
				t.Errorf("Set-Cookie %q", sc)
			}
			if v := rec.Header().Get("Vary"); v != tt.vary {
				t.Errorf("Vary = %q, want %q", v, tt.vary)
			}
			if ttl, _ := e.cache.TTL(e.st.CacheKey(key1)); ttl != 1209600e9 {
				t.Errorf("TTL %v", ttl)
			}
		})
	}
}

func TestMiddlewareCookieAttributes(t *testing.T) {
	tests := []struct {
		name  string
		cfg   djangosession.Config
		m     djangosession.Middleware
		setup func(s *djangosession.Session)
		want  string
	}{
		{"browser close setting", djangosession.Config{SessionExpireAtBrowserClose: true}, djangosession.Middleware{},
			nil, "sessionid=KEY; HttpOnly; Path=/; SameSite=Lax"},
		{"set_expiry(0)", djangosession.Config{}, djangosession.Middleware{},
			func(s *djangosession.Session) { s.SetExpirySeconds(0) }, "sessionid=KEY; HttpOnly; Path=/; SameSite=Lax"},
		{"set_expiry(60)", djangosession.Config{}, djangosession.Middleware{},
			func(s *djangosession.Session) { s.SetExpirySeconds(60) },
			"sessionid=KEY; expires=Tue, 14 Nov 2023 22:14:20 GMT; HttpOnly; Max-Age=60; Path=/; SameSite=Lax"},
		// Django: Domain=.example.com, SESSION_COOKIE_PATH="/app", SECURE=True, HTTPONLY=False,
		// SAMESITE=None (Python None), EXPIRE_AT_BROWSER_CLOSE.
		{"domain secure no samesite", djangosession.Config{SessionExpireAtBrowserClose: true},
			djangosession.Middleware{SessionCookieDomain: ".example.com", SessionCookiePath: "/app", SessionCookieSecure: true,
				DisableSessionCookieHTTPOnly: true, SessionCookieSameSite: http.SameSiteDefaultMode},
			nil, "sessionid=KEY; Domain=.example.com; Path=/app; Secure"},
		{"name strict age", djangosession.Config{SessionCookieAge: 3600e9}, djangosession.Middleware{SessionCookieName: "sid", SessionCookieSameSite: http.SameSiteStrictMode},
			nil, "sid=KEY; expires=Tue, 14 Nov 2023 23:13:20 GMT; HttpOnly; Max-Age=3600; Path=/; SameSite=Strict"},
		{"samesite none", djangosession.Config{}, djangosession.Middleware{SessionCookieSameSite: http.SameSiteNoneMode, SessionCookieSecure: true},
			nil, "sessionid=KEY; expires=Tue, 28 Nov 2023 22:13:20 GMT; HttpOnly; Max-Age=1209600; Path=/; SameSite=None; Secure"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newMW(t, tt.cfg)
			m := tt.m
			m.Store = e.st
			e.m = &m
			rec := e.do(t, "", func(w http.ResponseWriter, r *http.Request) {
				s := mustSession(t, r)
				s.Set("a", int64(1))
				if tt.setup != nil {
					tt.setup(s)
				}
			})
			if _, sc := setCookieFor(rec); sc != tt.want {
				t.Errorf("Set-Cookie\n got %s\nwant %s", sc, tt.want)
			}
		})
	}
}

// delete_cookie adds Secure for __Host-/__Secure- names and SameSite=None.
func TestMiddlewareDeleteCookieVariants(t *testing.T) {
	tests := []struct {
		m    djangosession.Middleware
		want string
	}{
		{djangosession.Middleware{SessionCookieName: "__Host-sid", SessionCookieDomain: "x.com", SessionCookieSameSite: http.SameSiteDefaultMode},
			`__Host-sid=""; Domain=x.com; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/; Secure`},
		{djangosession.Middleware{SessionCookieName: "s", SessionCookieSameSite: http.SameSiteNoneMode},
			`s=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/; SameSite=None; Secure`},
	}
	for _, tt := range tests {
		t.Run(tt.m.SessionCookieName, func(t *testing.T) {
			e := newMW(t, djangosession.Config{})
			m := tt.m
			m.Store = e.st
			e.m = &m
			rec := e.do(t, tt.m.SessionCookieName+"=short", func(http.ResponseWriter, *http.Request) {})
			if got := rec.Header().Get("Set-Cookie"); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestMiddlewareVaryMerge(t *testing.T) {
	for _, tt := range []struct{ before, want string }{
		{"Accept-Encoding", "Accept-Encoding, Cookie"},
		{"cookie", "cookie"},
		{"*", "*"},
	} {
		e := newMW(t, djangosession.Config{})
		rec := e.do(t, "", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Vary", tt.before)
			mustSession(t, r).Get("a")
		})
		if got := rec.Header().Get("Vary"); got != tt.want {
			t.Errorf("Vary %q -> %q, want %q", tt.before, got, tt.want)
		}
	}
}

// The cookie is written before the first byte; later changes are not saved.
func TestMiddlewareCommitOnFirstWrite(t *testing.T) {
	e := newMW(t, djangosession.Config{})
	var flushed bool
	rec := e.do(t, "", func(w http.ResponseWriter, r *http.Request) {
		s := mustSession(t, r)
		s.Set("a", int64(1))
		if err := http.NewResponseController(w).Flush(); err != nil {
			t.Errorf("Flush through ResponseController: %v", err)
		}
		flushed = true
		s.Set("b", int64(2)) // after the header: saved when the handler returns
		if _, _, err := http.NewResponseController(w).Hijack(); !errors.Is(err, http.ErrNotSupported) {
			t.Errorf("Hijack on a recorder: %v", err)
		}
	})
	key, _ := setCookieFor(rec)
	if !flushed || !rec.Flushed || len(key) != 32 {
		t.Fatalf("flushed=%v key=%q", rec.Flushed, key)
	}
	if d := stored(t, e.st, e.cache, key); !d.Has("b") || !d.Has("a") {
		t.Errorf("stored %v; want a, and b changed after the first byte", d.Keys())
	}
	// Unwrap reaches the recorder.
	e.do(t, "", func(w http.ResponseWriter, r *http.Request) {
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			t.Fatal("no Unwrap")
		}
		if _, ok := u.Unwrap().(*httptest.ResponseRecorder); !ok {
			t.Errorf("Unwrap gave %T", u.Unwrap())
		}
	})
}

// Django's parse_cookie: quoted values are unquoted, the last duplicate wins.
func TestMiddlewareCookieParsing(t *testing.T) {
	for _, cookie := range []string{
		`sessionid="` + key1 + `"`,
		"sessionid=zzzzzzzzzzzzzzzzzzzzzz; sessionid=" + key1,
		" a=1 ;sessionid = " + key1 + " ; b",
	} {
		e := newMW(t, djangosession.Config{})
		seed(t, e.st, e.cache, key1, py.DictOf("a", int64(7)))
		var got int64
		e.do(t, cookie, func(w http.ResponseWriter, r *http.Request) { got, _ = mustSession(t, r).Int("a") })
		if got != 7 {
			t.Errorf("Cookie %q: session not found", cookie)
		}
	}
}

func TestFromContextWithoutMiddleware(t *testing.T) {
	if _, err := djangosession.FromContext(context.Background()); !errors.Is(err, djangosession.ErrNoSession) {
		t.Fatalf("err = %v", err)
	}
}

// TestMiddlewareLateChanges: a change after the response started that needs a new cookie, or
// made by a handler that panics, is reported to LateChangeFunc, never dropped silently.
func TestMiddlewareLateChanges(t *testing.T) {
	e := newMW(t, djangosession.Config{})
	seed(t, e.st, e.cache, key1, py.DictOf("a", int64(1)))
	var reported []error
	e.m.LateChangeFunc = func(_ *http.Request, err error) { reported = append(reported, err) }

	e.do(t, "sessionid="+key1, func(w http.ResponseWriter, r *http.Request) {
		s := mustSession(t, r)
		io.WriteString(w, "body")
		if err := s.CycleKey(r.Context()); err != nil {
			t.Error(err)
		}
	})
	if len(reported) != 1 || !errors.Is(reported[0], djangosession.ErrLateChange) {
		t.Fatalf("CycleKey after the first byte: reported %v, want one ErrLateChange", reported)
	}

	reported = nil
	seed(t, e.st, e.cache, key1, py.DictOf("a", int64(1))) // CycleKey deleted it
	func() {
		defer func() { recover() }()
		e.do(t, "sessionid="+key1, func(w http.ResponseWriter, r *http.Request) {
			s := mustSession(t, r)
			io.WriteString(w, "body")
			s.Set("late", "x")
			panic("handler bug")
		})
	}()
	if len(reported) != 1 || !errors.Is(reported[0], djangosession.ErrLateChange) {
		t.Errorf("a change before a panic: reported %v, want one ErrLateChange", reported)
	}
	if stored(t, e.st, e.cache, key1).Has("late") {
		t.Error("the change of a handler that panicked was saved")
	}
}
