package messages

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/djangobridge/bridge/djangosession"
	"github.com/djangobridge/bridge/internal/pycookie"
)

// Storage is MESSAGE_STORAGE: where Django keeps the messages between requests.
type Storage int

const (
	// FallbackStorage is "django.contrib.messages.storage.fallback.FallbackStorage", Django's
	// default: the messages cookie first, the session for what does not fit.
	FallbackStorage Storage = iota
	// CookieStorage is "django.contrib.messages.storage.cookie.CookieStorage": the messages
	// cookie only; the oldest messages that do not fit are dropped.
	CookieStorage
	// SessionStorage is "django.contrib.messages.storage.session.SessionStorage": the
	// session's "_messages" only.
	SessionStorage
)

// String returns the MESSAGE_STORAGE path.
func (s Storage) String() string {
	switch s {
	case FallbackStorage:
		return "django.contrib.messages.storage.fallback.FallbackStorage"
	case CookieStorage:
		return "django.contrib.messages.storage.cookie.CookieStorage"
	case SessionStorage:
		return "django.contrib.messages.storage.session.SessionStorage"
	}
	return "Storage(" + strconv.Itoa(int(s)) + ")"
}

// Versions lists the Django versions whose message storage Config.DjangoVersion selects.
var Versions = []string{"3.2", "4.2", "5.2", "6.0", "6.1"}

type version int

const (
	v32 version = iota
	v42
	v52
	v60
	v61
)

// Config holds the settings django.contrib.messages reads. The zero value of each field is
// Django's default, except SecretKey, which the cookie storages need.
type Config struct {
	// DjangoVersion is the Django version of the app: "3.2", "4.2", "5.2", "6.0" or "6.1"
	// (default: "6.1"). It decides how extra_tags is written, how a full cookie is trimmed and
	// which old cookie formats are read.
	DjangoVersion string

	// MessageStorage is MESSAGE_STORAGE (Django default: FallbackStorage).
	MessageStorage Storage

	// MessageLevel is MESSAGE_LEVEL (Django default: Info): AddTo drops a message of a lower
	// level, as add_message does. Zero means Info; use Debug (or 1) to record everything.
	MessageLevel int

	// SecretKey is SECRET_KEY: it signs the messages cookie (get_cookie_signer). Required by
	// FallbackStorage and CookieStorage.
	SecretKey string

	// SecretKeyFallbacks is SECRET_KEY_FALLBACKS (Django 4.1+; default []): older keys whose
	// cookies are still read. Django 3.2 has no such setting; New refuses it there.
	SecretKeyFallbacks []string

	// SessionCookieDomain is SESSION_COOKIE_DOMAIN (Django default: None), which the messages
	// cookie also uses.
	SessionCookieDomain string

	// SessionCookieSecure is SESSION_COOKIE_SECURE (Django default: False).
	SessionCookieSecure bool

	// DisableSessionCookieHTTPOnly is the inverse of SESSION_COOKIE_HTTPONLY (Django default:
	// True): set it for SESSION_COOKIE_HTTPONLY = False.
	DisableSessionCookieHTTPOnly bool

	// SessionCookieSameSite is SESSION_COOKIE_SAMESITE (Django default: "Lax"). Zero means
	// http.SameSiteLaxMode; http.SameSiteDefaultMode is Django's None (no SameSite attribute).
	SessionCookieSameSite http.SameSite

	// Now is the clock of the cookie's signing timestamp; nil means time.Now.
	Now func() time.Time

	// LostFunc is told of messages that could not be stored at the end of a request: those
	// CookieStorage drops because the cookie is full (Django raises "Not all temporary
	// messages could be stored." when DEBUG is on), and those FallbackStorage could not put in
	// the session (no session middleware, or the session could not be loaded). Nil logs them
	// with slog's default logger at Warn level, without their text.
	LostFunc func(r *http.Request, lost []Message, err error)
}

// ConfigError reports an invalid Config field.
type ConfigError struct {
	Field string // the Django setting, e.g. "SECRET_KEY"
	Msg   string
}

func (e *ConfigError) Error() string { return "messages: " + e.Field + ": " + e.Msg }

// ErrNoMiddleware is returned by AddTo and Get for a context that did not come through
// [Middleware.Handler] (Django's MessageFailure).
var ErrNoMiddleware = errors.New("messages: no message storage in the context (is the handler wrapped by Middleware.Handler?)")

// Middleware is django.contrib.messages.middleware.MessageMiddleware: it gives the handler the
// request's message storage (AddTo, Get) and, before the first byte of the response, stores
// the messages left as Django's storage would: the messages cookie set or deleted, the
// session's "_messages" written or removed. It is safe for concurrent use.
//
// FallbackStorage and SessionStorage need djangosession's Middleware around this one, as
// Django needs SessionMiddleware above MessageMiddleware:
//
//	sessions.Handler(msgs.Handler(mux))
type Middleware struct {
	cfg      Config
	v        version
	sameSite string
}

// New validates cfg and returns the middleware.
func New(cfg Config) (*Middleware, error) {
	m := &Middleware{cfg: cfg}
	switch cfg.DjangoVersion {
	case "3.2":
		m.v = v32
	case "4.2":
		m.v = v42
	case "5.2":
		m.v = v52
	case "6.0":
		m.v = v60
	case "", "6.1":
		m.v = v61
	default:
		return nil, &ConfigError{"DjangoVersion", fmt.Sprintf("%q is not a supported Django version; use one of %s", cfg.DjangoVersion, strings.Join(Versions, ", "))}
	}
	switch cfg.MessageStorage {
	case FallbackStorage, CookieStorage:
		if cfg.SecretKey == "" {
			return nil, &ConfigError{"SECRET_KEY", "empty: " + cfg.MessageStorage.String() + " signs the messages cookie with it"}
		}
	case SessionStorage:
	default:
		return nil, &ConfigError{"MESSAGE_STORAGE", fmt.Sprintf("%d is not a Storage", cfg.MessageStorage)}
	}
	if m.v == v32 && len(cfg.SecretKeyFallbacks) > 0 {
		return nil, &ConfigError{"SECRET_KEY_FALLBACKS", "is a Django 4.1+ setting; Django 3.2 reads cookies signed with SECRET_KEY only"}
	}
	if m.cfg.MessageLevel == 0 {
		m.cfg.MessageLevel = Info
	}
	if strings.ContainsFunc(cfg.SessionCookieDomain, func(r rune) bool { return r < 0x21 || r == ';' || r == 0x7f }) {
		return nil, &ConfigError{"SESSION_COOKIE_DOMAIN", fmt.Sprintf("%q has a space, a control character or ';', which would break the Set-Cookie header", cfg.SessionCookieDomain)}
	}
	switch cfg.SessionCookieSameSite {
	case 0, http.SameSiteLaxMode:
		m.sameSite = "Lax"
	case http.SameSiteStrictMode:
		m.sameSite = "Strict"
	case http.SameSiteNoneMode:
		m.sameSite = "None"
	case http.SameSiteDefaultMode:
	default:
		return nil, &ConfigError{"SESSION_COOKIE_SAMESITE", fmt.Sprintf("%d is not an http.SameSite value", cfg.SessionCookieSameSite)}
	}
	return m, nil
}

type ctxKey struct{}

// state is the request's storage: BaseStorage's fields, and FallbackStorage's _used_storages.
type state struct {
	m *Middleware
	r *http.Request

	mu        sync.Mutex
	loaded    bool
	loadedMsg []Message // _loaded_data
	queued    []Message // _queued_messages
	used      bool
	addedNew  bool
	// cookieUsed and sessionUsed are FallbackStorage._used_storages; cookieBad is the
	// CookieStorage's own "used" flag, set by a cookie it could not read.
	cookieUsed, sessionUsed, cookieBad bool
	done                               bool
}

// AddTo is messages.add_message(request, ...): it queues m for the request's storage, which
// stores it when the response starts. As in Django, a message whose text is empty or whose
// level is below MESSAGE_LEVEL is dropped without an error. The stored messages are read
// now, so that an unreadable session fails here rather than after the handler; an error
// leaves the storage as it was. It fails with ErrNoMiddleware outside [Middleware.Handler],
// for a message that is not valid UTF-8, and after the response has started.
func AddTo(ctx context.Context, m Message) error {
	st, _ := ctx.Value(ctxKey{}).(*state)
	if st == nil {
		return ErrNoMiddleware
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.done {
		return errors.New("messages: AddTo after the response started: the message could not be stored")
	}
	if m.Message == "" || m.Level < st.m.cfg.MessageLevel {
		return nil
	}
	if _, err := st.m.cookieParts([]Message{m}); err != nil {
		return err
	}
	if err := st.load(ctx); err != nil {
		return err
	}
	st.addedNew = true
	st.queued = append(st.queued, m)
	return nil
}

// Get is iterating over get_messages(request): it returns the stored messages and those
// added during this request, oldest first, and marks them read, so that they are not stored
// again (Django's storage.used). It fails with ErrNoMiddleware outside [Middleware.Handler],
// and with the session's error when the session cannot be loaded or its "_messages" cannot be
// read (Django: a 500). A messages cookie that is forged or unreadable is ignored, as in
// Django.
func Get(ctx context.Context) ([]Message, error) {
	st, _ := ctx.Value(ctxKey{}).(*state)
	if st == nil {
		return nil, ErrNoMiddleware
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if err := st.load(ctx); err != nil {
		return nil, err
	}
	st.used = true
	st.loadedMsg = append(st.loadedMsg, st.queued...)
	st.queued = nil
	return append([]Message(nil), st.loadedMsg...), nil
}

// load is _loaded_messages: the storage's _get, once.
func (st *state) load(ctx context.Context) error {
	if st.loaded {
		return nil
	}
	var msgs []Message
	switch st.m.cfg.MessageStorage {
	case CookieStorage:
		msgs, _, _ = st.getCookie()
	case SessionStorage:
		var err error
		if msgs, err = st.getSession(ctx); err != nil {
			return err
		}
	default:
		// FallbackStorage._get: the cookie; the session only when the cookie was read and
		// says that not all messages are in it.
		c, present, all := st.getCookie()
		msgs = c
		if present && !all {
			s, err := st.getSession(ctx)
			if err != nil {
				return err
			}
			msgs = append(msgs, s...)
			if len(s) > 0 {
				st.sessionUsed = true
			}
		}
		if len(c) > 0 {
			st.cookieUsed = true
		}
	}
	st.loaded, st.loadedMsg = true, msgs
	return nil
}

// getCookie is CookieStorage._get: present is false when the cookie is missing, empty or
// cannot be read (Django's None); all is false when it ends with the NotFinished sentinel.
func (st *state) getCookie() (msgs []Message, present, all bool) {
	v, ok := pycookie.Get(st.r, CookieName)
	if !ok || v == "" {
		return nil, false, true
	}
	msgs, notFinished, err := st.m.DecodeCookie(v)
	if err != nil {
		st.cookieBad = true // Django: self.used = True, so CookieStorage deletes the cookie
		return nil, false, true
	}
	return msgs, true, !notFinished
}

// getSession is SessionStorage._get.
func (st *state) getSession(ctx context.Context) ([]Message, error) {
	s, err := djangosession.FromContext(ctx)
	if err != nil {
		return nil, fmt.Errorf("messages: %s needs the session: %w", st.m.cfg.MessageStorage, err)
	}
	return Peek(s)
}

// update is BaseStorage.update, run by MessageMiddleware.process_response.
func (st *state) update(w http.ResponseWriter) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.done {
		return
	}
	st.done = true
	var msgs []Message
	switch {
	case st.used || (st.m.cfg.MessageStorage == CookieStorage && st.cookieBad):
		msgs = st.queued
	case st.addedNew:
		msgs = append(append([]Message(nil), st.loadedMsg...), st.queued...)
	default:
		return
	}
	ctx := context.WithoutCancel(st.r.Context())
	var lost []Message
	var err error
	switch st.m.cfg.MessageStorage {
	case CookieStorage:
		lost, err = st.storeCookie(w, msgs, true)
	case SessionStorage:
		if err = st.storeSession(ctx, msgs); err != nil {
			lost = msgs
		}
	default:
		// FallbackStorage._store: the messages that do not fit in the cookie go to the
		// session; a storage that held messages and gets none is emptied.
		for i, used := range []bool{st.cookieUsed, st.sessionUsed} {
			var e error
			switch {
			case len(msgs) > 0 && i == 0:
				msgs, e = st.storeCookie(w, msgs, false)
			case len(msgs) > 0:
				if e = st.storeSession(ctx, msgs); e == nil {
					msgs = nil
				}
			case used && i == 0:
				_, e = st.storeCookie(w, nil, false)
			case used:
				e = st.storeSession(ctx, nil)
			}
			if err == nil {
				err = e
			}
		}
		lost = msgs
	}
	if len(lost) > 0 || err != nil {
		if f := st.m.cfg.LostFunc; f != nil {
			f(st.r, lost, err)
		} else {
			var msg any
			if err != nil {
				msg = err.Error()
			}
			slog.WarnContext(st.r.Context(), "messages: messages could not be stored", "storage", st.m.cfg.MessageStorage.String(), "lost", len(lost), "error", msg)
		}
	}
}

// storeCookie is CookieStorage._store plus _update_cookie: the cookie set or deleted; it
// returns the messages that did not fit.
func (st *state) storeCookie(w http.ResponseWriter, msgs []Message, removeOldest bool) ([]Message, error) {
	value, unstored, err := st.m.storeCookie(msgs, removeOldest)
	if err != nil {
		return msgs, err
	}
	c := st.m.cfg
	h := w.Header()
	if value != "" {
		h.Add("Set-Cookie", pycookie.SetCookie(CookieName, value, nil, "", c.SessionCookieDomain, "/",
			c.SessionCookieSecure, !c.DisableSessionCookieHTTPOnly, st.m.sameSite))
	} else {
		h.Add("Set-Cookie", pycookie.DeleteCookie(CookieName, "/", c.SessionCookieDomain, st.m.sameSite))
	}
	return unstored, nil
}

// storeSession is SessionStorage._store.
func (st *state) storeSession(ctx context.Context, msgs []Message) error {
	s, err := djangosession.FromContext(ctx)
	if err != nil {
		return fmt.Errorf("messages: %s needs the session: %w", st.m.cfg.MessageStorage, err)
	}
	if len(msgs) == 0 {
		s.Pop(SessionKey)
		return nil
	}
	enc, err := Encode(msgs, st.m.v == v32)
	if err != nil {
		return err
	}
	return s.Set(SessionKey, enc)
}

// Handler returns next wrapped by the message middleware.
func (m *Middleware) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := &state{m: m}
		r = r.WithContext(context.WithValue(r.Context(), ctxKey{}, st))
		st.r = r
		mw := &responseWriter{ResponseWriter: w, st: st}
		next.ServeHTTP(mw, r)
		if !mw.started {
			mw.started = true
			st.update(w)
		}
	})
}

// responseWriter stores the messages before the first byte of the response, so that the
// session middleware outside sees the session as this one leaves it.
type responseWriter struct {
	http.ResponseWriter
	st      *state
	started bool
}

// Unwrap returns the wrapped ResponseWriter, for http.ResponseController.
func (w *responseWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *responseWriter) start() {
	if !w.started {
		w.started = true
		w.st.update(w.ResponseWriter)
	}
}

// WriteHeader stores the messages, then sends the header. Informational (1xx) headers other
// than 101 pass through.
func (w *responseWriter) WriteHeader(code int) {
	if code < 100 || code > 199 || code == http.StatusSwitchingProtocols {
		w.start()
	}
	w.ResponseWriter.WriteHeader(code)
}

// Write stores the messages (status 200 unless WriteHeader was called) and writes b.
func (w *responseWriter) Write(b []byte) (int, error) {
	w.start()
	return w.ResponseWriter.Write(b)
}

// Flush stores the messages and flushes the response, through http.ResponseController.
func (w *responseWriter) Flush() { _ = w.FlushError() }

// FlushError is Flush that reports the error of the wrapped writer.
func (w *responseWriter) FlushError() error {
	w.start()
	return http.NewResponseController(w.ResponseWriter).Flush()
}

// Hijack hands the connection to the handler; the messages are not stored.
func (w *responseWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	w.started = true
	w.st.mu.Lock()
	w.st.done = true
	w.st.mu.Unlock()
	return http.NewResponseController(w.ResponseWriter).Hijack()
}
