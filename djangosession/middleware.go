package djangosession

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/djangobridge/bridge/internal/pycookie"
)

// Django's session cookie defaults (global_settings.py, the same in every supported version).
const (
	DefaultSessionCookieName = "sessionid"
	DefaultSessionCookiePath = "/"
)

// Middleware is django.contrib.sessions.middleware.SessionMiddleware for net/http: it reads the
// session cookie, gives the handler the session through [FromContext], and after the handler
// saves the session and sets or deletes the cookie exactly as Django's process_response does, so
// that a Go handler and a Django view behind the same domain share one session.
//
// The fields are Django's SESSION_COOKIE_* settings; the zero value of each is Django's default.
// SESSION_COOKIE_AGE, SESSION_EXPIRE_AT_BROWSER_CLOSE and the Django version come from the
// Store's [Config]. Store is required. A Middleware must not be changed after its first use; it is
// safe for concurrent use.
//
// The session is loaded on the first call of FromContext, not before: a request whose handler
// never uses the session does not touch the cache (unless SessionSaveEveryRequest is set). The
// session is saved, and the cookie written, when the handler writes the response header (its
// first Write, WriteHeader or Flush), or when it returns without writing; changes made to the
// session after that point are not saved.
//
// Errors: a cookie that names no session, a forged or malformed cookie, a key shorter than
// Django accepts and a cache value that is not a session all give a new empty session, as in
// Django. A cache that cannot be reached is never taken for "no session": the response is
// replaced by ErrorFunc's (by default 500), and nothing is saved. A session deleted during the
// request (Django's SessionInterrupted) gives ErrorFunc an error matching [ErrUpdate] (by
// default 400).
type Middleware struct {
	// Store loads and saves the sessions (required).
	Store *Store

	// SessionCookieName is SESSION_COOKIE_NAME (Django default: "sessionid").
	SessionCookieName string

	// SessionCookieDomain is SESSION_COOKIE_DOMAIN (Django default: None, no Domain attribute).
	SessionCookieDomain string

	// SessionCookiePath is SESSION_COOKIE_PATH (Django default: "/").
	SessionCookiePath string

	// SessionCookieSecure is SESSION_COOKIE_SECURE (Django default: False).
	SessionCookieSecure bool

	// DisableSessionCookieHTTPOnly is the inverse of SESSION_COOKIE_HTTPONLY (Django default:
	// True): set it for SESSION_COOKIE_HTTPONLY = False.
	DisableSessionCookieHTTPOnly bool

	// SessionCookieSameSite is SESSION_COOKIE_SAMESITE (Django default: "Lax"). Zero means
	// http.SameSiteLaxMode; http.SameSiteDefaultMode is Django's None (no SameSite attribute).
	SessionCookieSameSite http.SameSite

	// SessionSaveEveryRequest is SESSION_SAVE_EVERY_REQUEST (Django default: False).
	SessionSaveEveryRequest bool

	// ErrorFunc writes the response when the session cannot be loaded or saved: err matches
	// ErrUpdate when the session was deleted during the request (Django answers 400,
	// SessionInterrupted), and is a cache or codec error otherwise (Django answers 500). Nil
	// means [DefaultErrorFunc]. It is called before anything of the handler's response has
	// been sent; what the handler writes afterwards is discarded.
	ErrorFunc func(w http.ResponseWriter, r *http.Request, err error)

	// LateChangeFunc is told of a session change made after the response started that could
	// not be saved (see [ErrLateChange]): one that needs a new cookie, or made by a handler
	// that panicked, or whose save failed. Nil logs it with slog's default logger at Error
	// level. A change to the same session is saved when the handler returns, without a call.
	LateChangeFunc func(r *http.Request, err error)
}

// DefaultErrorFunc answers 400 Bad Request for an error matching ErrUpdate (Django's
// SessionInterrupted is a BadRequest) and 500 Internal Server Error otherwise, with Django's
// plain bodies. It does not reveal the error.
func DefaultErrorFunc(w http.ResponseWriter, r *http.Request, err error) {
	w.Header().Set("Content-Type", "text/html")
	if errors.Is(err, ErrUpdate) {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte("<h1>Bad Request (400)</h1>"))
		return
	}
	w.WriteHeader(http.StatusInternalServerError)
	_, _ = w.Write([]byte("<h1>Server Error (500)</h1>"))
}

// ErrNoSession is returned by FromContext for a context that did not come through
// [Middleware.Handler].
var ErrNoSession = errors.New("djangosession: no session in the context (is the handler wrapped by Middleware.Handler?)")

// errResponseReplaced is returned by Write after the middleware answered with ErrorFunc.
var errResponseReplaced = errors.New("djangosession: the response was replaced because the session could not be loaded or saved")

type ctxKey struct{}

// requestState is the per-request session state the context carries.
type requestState struct {
	m             *Middleware
	cookiePresent bool
	cookieKey     string

	mu      sync.Mutex
	sess    *Session
	loadErr error
	loaded  bool
}

// load is FromContext's lazy load.
func (rs *requestState) load(ctx context.Context) (*Session, error) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if !rs.loaded {
		rs.loaded = true
		if !rs.cookiePresent {
			rs.sess = rs.m.Store.New()
		} else {
			rs.sess, rs.loadErr = rs.m.Store.Load(ctx, rs.cookieKey)
		}
	}
	return rs.sess, rs.loadErr
}

// FromContext returns the session of the request whose context is ctx, loading it on the first
// call. It fails with ErrNoSession outside [Middleware.Handler], and with the cache's error when
// the session cannot be loaded; the middleware then answers the request with its ErrorFunc, so
// the handler should just return.
func FromContext(ctx context.Context) (*Session, error) {
	rs, _ := ctx.Value(ctxKey{}).(*requestState)
	if rs == nil {
		return nil, ErrNoSession
	}
	return rs.load(ctx)
}

// Handler returns next wrapped by the session middleware. It panics if m.Store is nil, a
// programming error found at start-up.
func (m *Middleware) Handler(next http.Handler) http.Handler {
	if m.Store == nil {
		panic("djangosession: Middleware.Store is nil")
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rs := &requestState{m: m}
		rs.cookieKey, rs.cookiePresent = pycookie.Get(r, m.cookieName())
		sw := &responseWriter{ResponseWriter: w, r: r, rs: rs}
		r = r.WithContext(context.WithValue(r.Context(), ctxKey{}, rs))
		sw.r = r
		returned := false
		defer func() {
			if !returned { // the handler panicked: nothing is saved, a late change is reported
				sw.lateChange(false)
			}
		}()
		next.ServeHTTP(sw, r)
		returned = true
		if !sw.committed {
			sw.commit(http.StatusOK)
			return
		}
		sw.lateChange(true)
	})
}

// ErrLateChange: the session changed after the response had started (its header is where
// the cookie goes). A change to the same, non-empty session is saved when the handler returns;
// one that needs a new cookie (a new or cycled key, an emptied session), or made by a handler
// that panicked, cannot reach the browser: it is reported to [Middleware].LateChangeFunc,
// never dropped silently.
var ErrLateChange = errors.New("djangosession: the session changed after the response started")

// lateChange handles the changes made to the session after commit: it saves them when the
// handler returned and the cookie the browser has still names the session, and reports them
// otherwise.
func (w *responseWriter) lateChange(returned bool) {
	if !w.committed || w.replaced || w.hijacked {
		return
	}
	rs := w.rs
	rs.mu.Lock()
	s := rs.sess
	rs.mu.Unlock()
	if s == nil || s.gen == w.commitGen {
		return
	}
	ctx := context.WithoutCancel(w.r.Context())
	var err error
	switch {
	case !returned:
		err = fmt.Errorf("%w, and the handler panicked: not saved", ErrLateChange)
	case s.Key() == "" || s.Key() != w.commitKey || s.IsEmpty() || w.rs.m.Store.eng == nil:
		err = fmt.Errorf("%w, and needs a cookie the response can no longer set (a new or cycled key, an emptied or signed-cookie session): not saved", ErrLateChange)
	default:
		if err = s.Save(ctx); err == nil {
			return
		}
		err = fmt.Errorf("%w; saving it failed: %w", ErrLateChange, err)
	}
	w.rs.m.lateChangeFunc()(w.r, err)
}

func (m *Middleware) lateChangeFunc() func(*http.Request, error) {
	if m.LateChangeFunc != nil {
		return m.LateChangeFunc
	}
	return func(r *http.Request, err error) {
		slog.ErrorContext(r.Context(), "djangosession: a session change was lost", "method", r.Method, "path", r.URL.Path, "error", err.Error())
	}
}

func (m *Middleware) cookieName() string {
	if m.SessionCookieName == "" {
		return m.Store.cfg.SessionCookieName
	}
	return m.SessionCookieName
}

func (m *Middleware) cookiePath() string {
	if m.SessionCookiePath == "" {
		return DefaultSessionCookiePath
	}
	return m.SessionCookiePath
}

// sameSite is the SameSite attribute value, "" for none.
func (m *Middleware) sameSite() string {
	switch m.SessionCookieSameSite {
	case 0, http.SameSiteLaxMode:
		return "Lax"
	case http.SameSiteStrictMode:
		return "Strict"
	case http.SameSiteNoneMode:
		return "None"
	}
	return ""
}

func (m *Middleware) errorFunc() func(http.ResponseWriter, *http.Request, error) {
	if m.ErrorFunc != nil {
		return m.ErrorFunc
	}
	return DefaultErrorFunc
}

// responseWriter commits the session before the first byte of the response.
type responseWriter struct {
	http.ResponseWriter
	r         *http.Request
	rs        *requestState
	committed bool
	replaced  bool
	hijacked  bool
	commitGen uint64 // the session's change count at commit
	commitKey string // the key the response's cookie names (or the request's)
}

// Unwrap returns the wrapped ResponseWriter, for http.ResponseController.
func (w *responseWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// WriteHeader saves the session and sets the cookie, then sends the header. Informational
// (1xx) headers other than 101 pass through without a commit.
func (w *responseWriter) WriteHeader(code int) {
	if !w.committed && (code < 100 || code > 199 || code == http.StatusSwitchingProtocols) {
		w.commit(code)
	}
	if w.replaced {
		return
	}
	w.ResponseWriter.WriteHeader(code)
}

// Write commits the session (status 200 unless WriteHeader was called) and writes b.
func (w *responseWriter) Write(b []byte) (int, error) {
	if !w.committed {
		w.WriteHeader(http.StatusOK)
	}
	if w.replaced {
		return 0, errResponseReplaced
	}
	return w.ResponseWriter.Write(b)
}

// Flush commits the session and flushes the response, through http.ResponseController.
func (w *responseWriter) Flush() { _ = w.FlushError() }

// FlushError is Flush that reports the error of the wrapped writer.
func (w *responseWriter) FlushError() error {
	if !w.committed {
		w.WriteHeader(http.StatusOK)
	}
	if w.replaced {
		return errResponseReplaced
	}
	return http.NewResponseController(w.ResponseWriter).Flush()
}

// Hijack hands the connection to the handler, through http.ResponseController. The session
// is not saved and no cookie is set.
func (w *responseWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	w.committed = true
	c, rw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	w.hijacked = w.hijacked || err == nil
	return c, rw, err
}

// replace answers with ErrorFunc instead of the handler's response.
func (w *responseWriter) replace(err error) {
	w.replaced = true
	h := w.ResponseWriter.Header()
	for k := range h {
		delete(h, k)
	}
	w.rs.m.errorFunc()(w.ResponseWriter, w.r, err)
}

// commit is SessionMiddleware.process_response for a response with the given status.
func (w *responseWriter) commit(status int) {
	w.committed = true
	rs, m := w.rs, w.rs.m
	rs.mu.Lock()
	loaded, loadErr, s := rs.loaded, rs.loadErr, rs.sess
	rs.mu.Unlock()
	if loaded && loadErr != nil {
		w.replace(loadErr)
		return
	}
	accessed, modified := false, false
	var empty bool
	w.commitKey = rs.cookieKey
	defer func() { // s as the commit leaves it (it may load and save it)
		if s != nil {
			w.commitGen, w.commitKey = s.gen, s.Key()
		}
	}()
	if s != nil {
		accessed, modified, empty = s.Accessed(), s.Modified(), s.IsEmpty()
	} else {
		// A SessionStore(cookie) never used: Django drops a key it does not accept at once.
		empty = !rs.cookiePresent || !ValidSessionKey(rs.cookieKey)
	}
	h := w.ResponseWriter.Header()
	vary := false
	if rs.cookiePresent && empty {
		h.Add("Set-Cookie", pycookie.DeleteCookie(m.cookieName(), m.cookiePath(), m.SessionCookieDomain, m.sameSite()))
		vary = true
	} else {
		vary = accessed
		if (modified || m.SessionSaveEveryRequest) && !empty {
			ctx := context.WithoutCancel(w.r.Context())
			if s == nil {
				var err error
				if s, err = rs.load(ctx); err != nil {
					w.replace(err)
					return
				}
			}
			st := m.Store
			var maxAge *int64
			expires := ""
			if !s.ExpireAtBrowserClose() {
				age, err := s.ExpiryAge()
				if err != nil {
					w.replace(err)
					return
				}
				secs := int64(age / time.Second)
				maxAge = &secs
				expires = pycookie.HTTPDate(st.cfg.Now().Unix() + secs)
			}
			skip := status >= 500
			if st.cfg.version == 0 { // 3.2: "if response.status_code != 500"
				skip = status == 500
			}
			if !skip {
				if err := s.Save(ctx); err != nil {
					w.replace(err)
					return
				}
				h.Add("Set-Cookie", pycookie.SetCookie(m.cookieName(), s.Key(), maxAge, expires,
					m.SessionCookieDomain, m.cookiePath(), m.SessionCookieSecure, !m.DisableSessionCookieHTTPOnly, m.sameSite()))
				if st.cfg.version >= 2 { // 5.2.14+, 6.0.5+, 6.1: vary whenever the cookie is set
					vary = true
				}
			}
		}
	}
	if vary {
		pycookie.PatchVary(h)
	}
}
