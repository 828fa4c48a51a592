package csrf

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/djangobridge/bridge/internal/pycookie"

	"github.com/djangobridge/bridge/djangosession"
)

// ErrForbidden: the request failed the CSRF check; Django answers 403 Forbidden. The *[Error]
// that carries Django's reason unwraps to it.
var ErrForbidden = errors.New("csrf: CSRF verification failed")

// Error is a failed CSRF check with Django's reason, the string Django's failure view gets
// (e.g. "CSRF token missing." or "CSRF cookie not set.").
type Error struct {
	Reason string
}

func (e *Error) Error() string {
	return "csrf: CSRF verification failed (Django answers 403): " + e.Reason
}

// Unwrap returns ErrForbidden.
func (e *Error) Unwrap() error { return ErrForbidden }

// Django's rejection reasons (django/middleware/csrf.py). The %s of the origin and referer
// reasons is the Origin header as sent, or the Referer as Python's urlsplit(...).geturl()
// gives it back.
const (
	ReasonNoCSRFCookie      = "CSRF cookie not set."
	ReasonBadOrigin         = "Origin checking failed - %s does not match any trusted origins." // 4.0+
	ReasonNoReferer         = "Referer checking failed - no Referer."
	ReasonBadReferer        = "Referer checking failed - %s does not match any trusted origins."
	ReasonMalformedReferer  = "Referer checking failed - Referer is malformed."
	ReasonInsecureReferer   = "Referer checking failed - Referer is insecure while host is secure."
	ReasonCSRFTokenMissing  = "CSRF token missing."              // 4.0+
	ReasonBadToken          = "CSRF token missing or incorrect." // 3.2's only token reason
	ReasonIncorrectLength   = "has incorrect length"             // 4.0+, in "CSRF cookie %s." and "CSRF token from %s %s."
	ReasonInvalidCharacters = "has invalid characters"           // 4.0+, likewise
)

// ErrNoMiddleware: Token, Rotate or EnsureCookie's get_token was called for a request that
// did not come through [Middleware.Handler] (Django's request.META holds the CSRF state the
// middleware's process_request put there).
var ErrNoMiddleware = errors.New("csrf: the request did not come through this Middleware's Handler (or EnsureCookie): wrap the handler with it")

// ErrHeaderWritten: Token or Rotate was called after the response header was written, too
// late to set the cookie (or to save the session). Call them before the first Write.
var ErrHeaderWritten = errors.New("csrf: the response header was already written: get the CSRF token before the first Write or WriteHeader")

// Middleware is django.middleware.csrf.CsrfViewMiddleware for net/http, in cookie mode
// (Django's default, CSRF_COOKIE_*) or session mode (CSRF_USE_SESSIONS, inside djangosession's
// Middleware). Make one with [New]; the zero Middleware uses the zero Config. A Middleware is
// safe for concurrent use.
type Middleware struct {
	cfg  Config
	once sync.Once
	s    *settings
	err  error
}

// New validates cfg as Django's settings checks would and returns its Middleware. The error
// is a *[ConfigError] naming the setting.
func New(cfg Config) (*Middleware, error) {
	m := &Middleware{cfg: cfg}
	if _, err := m.settings(); err != nil {
		return nil, err
	}
	return m, nil
}

func (m *Middleware) settings() (*settings, error) {
	m.once.Do(func() { m.s, m.err = m.cfg.settings() })
	return m.s, m.err
}

// random is the source of new secrets and masks.
func (m *Middleware) random() io.Reader { return rand.Reader }

// state is what Django keeps in request.META for one request: CSRF_COOKIE and its flags.
type state struct {
	owner     *Middleware
	checked   bool // csrf_processing_done: the check passed once for this request
	mu        sync.Mutex
	cookie    string // META["CSRF_COOKIE"]
	hasCookie bool
	update    bool // 4.0+: CSRF_COOKIE_NEEDS_UPDATE; 3.2: CSRF_COOKIE_USED
	committed bool // process_response ran
	sess      *djangosession.Session
	sessErr   error
}

type stateKey struct{}
type exemptKey struct{}
type failureKey struct{}

func stateFrom(r *http.Request) *state {
	st, _ := r.Context().Value(stateKey{}).(*state)
	return st
}

// ownState is the state of r if m made it (an outer Handler or EnsureCookie of the same
// Middleware), or nil.
func (m *Middleware) ownState(r *http.Request) *state {
	if st := stateFrom(r); st != nil && st.owner == m {
		return st
	}
	return nil
}

// Failure returns the *Error that Config.CSRFFailureView is answering, or nil.
func Failure(r *http.Request) *Error {
	e, _ := r.Context().Value(failureKey{}).(*Error)
	return e
}

// secretValue is what the request carries: the cookie, or the session's "_csrftoken" string.
// In session mode a session that cannot be loaded gives its error.
func (s *settings) secretValue(r *http.Request) (value string, ok bool, sess *djangosession.Session, err error) {
	if !s.CSRFUseSessions {
		value, ok = pycookie.Get(r, s.CSRFCookieName)
		return value, ok, nil, nil
	}
	sess, err = djangosession.FromContext(r.Context())
	if err != nil {
		if errors.Is(err, djangosession.ErrNoSession) {
			err = fmt.Errorf("csrf: CSRFUseSessions needs djangosession's Middleware.Handler around csrf's Handler (Django: SessionMiddleware before CsrfViewMiddleware): %w", err)
		}
		return "", false, nil, err
	}
	v, found := sess.Get(SessionKey)
	value, ok = v.(string)
	return value, found && ok, sess, nil
}

// processRequest is CsrfViewMiddleware.process_request: the request's secret into the state.
func (m *Middleware) processRequest(s *settings, r *http.Request) (*state, error) {
	st := &state{owner: m}
	value, ok, sess, err := s.secretValue(r)
	st.sess, st.sessErr = sess, err
	if err != nil || !ok {
		return st, err
	}
	if s.v == v32 {
		// _get_token: the cookie sanitized, the session value as it is.
		if !s.CSRFUseSessions {
			if value, _, err = sanitize32(m.random(), value); err != nil {
				return st, err
			}
		}
		st.cookie, st.hasCookie = value, true
		return st, nil
	}
	if !s.CSRFUseSessions && formatProblem(value, len(value)) != "" {
		// InvalidTokenFormat: a new cookie, sent with this response.
		return st, m.addNewCookie(s, st)
	}
	if len(value) == TokenLength {
		sec, ok := unmask(value)
		if !ok {
			return st, nil // a session value Django would fail on (500): no secret
		}
		value = sec
	}
	st.cookie, st.hasCookie = value, true
	return st, nil
}

// addNewCookie is _add_new_csrf_cookie (4.0+).
func (m *Middleware) addNewCookie(s *settings, st *state) error {
	secret, err := newString(m.random())
	if err != nil {
		return err
	}
	if s.CSRFCookieMasked {
		if secret, err = maskSecret(m.random(), secret); err != nil {
			return err
		}
	}
	st.cookie, st.hasCookie, st.update = secret, true, true
	return nil
}

// getToken is django.middleware.csrf.get_token on the state.
func (m *Middleware) getToken(s *settings, st *state) (string, error) {
	var secret string
	if s.v == v32 {
		if !st.hasCookie {
			sec, err := newString(m.random())
			if err != nil {
				return "", err
			}
			tok, err := maskSecret(m.random(), sec)
			if err != nil {
				return "", err
			}
			st.cookie, st.hasCookie = tok, true
		}
		sec, ok := unmask(st.cookie)
		if !ok {
			return "", fmt.Errorf("csrf: the session's %q value is not a CSRF token (Django 3.2 fails on it too): %w", SessionKey, ErrMalformedToken)
		}
		secret = sec
		st.update = true
	} else {
		if !st.hasCookie {
			if err := m.addNewCookie(s, st); err != nil {
				return "", err
			}
		}
		st.update = true
		secret = st.cookie
		if s.CSRFCookieMasked && len(secret) == TokenLength {
			// Django 4.2 masks the masked cookie here, which gives a token of the wrong
			// secret; the secret is what it means.
			secret, _ = unmask(secret)
		}
	}
	return maskSecret(m.random(), secret)
}

// rotate is rotate_token on the state.
func (m *Middleware) rotate(s *settings, st *state) error {
	if s.v != v32 {
		return m.addNewCookie(s, st)
	}
	sec, err := newString(m.random())
	if err != nil {
		return err
	}
	tok, err := maskSecret(m.random(), sec)
	if err != nil {
		return err
	}
	st.cookie, st.hasCookie, st.update = tok, true, true
	return nil
}

// processResponse is CsrfViewMiddleware.process_response: the cookie (or the session value)
// is (re)sent when a token was used or the secret changed.
func (m *Middleware) processResponse(s *settings, st *state, h http.Header) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.committed {
		return
	}
	st.committed = true
	if !st.update {
		return
	}
	st.update = false
	if s.CSRFUseSessions {
		if st.sess == nil {
			return
		}
		if cur, ok := st.sess.Get(SessionKey); !ok || cur != any(st.cookie) {
			st.sess.Set(SessionKey, st.cookie)
		}
		return
	}
	setCookie(h, s.CSRFCookieName, cookieHeader(s, st.cookie))
	pycookie.PatchVary(h)
}

// latin1 is a header value as Django's reason has it: its bytes decoded as latin-1 (WSGI), so
// each byte from 0x80 up is the character of that code point.
func latin1(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			b := make([]rune, 0, len(s))
			for j := 0; j < len(s); j++ {
				b = append(b, rune(s[j]))
			}
			return string(b)
		}
	}
	return s
}

func isSafe(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return true
	}
	return false
}

// Check is CsrfViewMiddleware.process_view for r: nil for a safe method (GET, HEAD, OPTIONS,
// TRACE) or an exempt request; otherwise r needs, per Config.DjangoVersion, an Origin header
// that matches (4.0+), a Referer that matches when the request is secure and (4.0+) has no
// Origin, a secret (the cookie, or the session's) and a token for it in the
// csrfmiddlewaretoken field of a form POST or in the CSRF_HEADER_NAME header.
//
// A rejection is an *[Error] with Django's reason (errors.Is(err, ErrForbidden)). Other
// errors: a *[ConfigError]; ErrBodyTooLarge and ErrMalformedBody (Django answers 400); in
// session mode the session's load error. Check reads a form body (up to MaxBodyBytes) and
// puts it back, so the handler can read it again. It works alone, without Handler.
func (m *Middleware) Check(r *http.Request) error {
	s, err := m.settings()
	if err != nil {
		return err
	}
	if isSafe(r.Method) || r.Context().Value(exemptKey{}) != nil {
		return nil
	}
	if s.v != v32 {
		if vals, ok := r.Header["Origin"]; ok {
			origin := strings.Join(vals, ",")
			if !s.originVerified(r, origin) {
				return &Error{fmt.Sprintf(ReasonBadOrigin, latin1(origin))}
			}
		} else if s.isSecure(r) {
			if err := s.checkReferer(r); err != nil {
				return err
			}
		}
	} else if s.isSecure(r) {
		if err := s.checkReferer32(r); err != nil {
			return err
		}
	}
	return m.checkToken(s, r)
}

// originVerified is _origin_verified (4.0+).
func (s *settings) originVerified(r *http.Request, origin string) bool {
	if host, ok := s.host(r); ok {
		scheme := "http"
		if s.isSecure(r) {
			scheme = "https"
		}
		if origin == scheme+"://"+host {
			return true
		}
	}
	if s.exact[origin] {
		return true
	}
	u, err := urlsplit(origin, s.v >= v42)
	if err != nil {
		return false
	}
	for _, host := range s.subdomains[u.scheme] {
		if isSameDomain(u.netloc, host) {
			return true
		}
	}
	return false
}

// parseReferer is the common start of both versions' Referer checks.
func (s *settings) parseReferer(r *http.Request) (splitURL, error) {
	vals, ok := r.Header["Referer"]
	if !ok {
		return splitURL{}, &Error{ReasonNoReferer}
	}
	// Django 3.2 does not catch urlparse's ValueError (a 500); it is malformed here.
	u, err := urlsplit(strings.Join(vals, ","), s.v >= v42)
	if err != nil || u.scheme == "" || u.netloc == "" {
		return splitURL{}, &Error{ReasonMalformedReferer}
	}
	if u.scheme != "https" {
		return splitURL{}, &Error{ReasonInsecureReferer}
	}
	return u, nil
}

// cookieDomain is the good_referer setting: SESSION_COOKIE_DOMAIN with CSRF_USE_SESSIONS,
// else CSRF_COOKIE_DOMAIN; with a port appended unless it is 443 or 80.
func (s *settings) cookieDomain(r *http.Request) string {
	d := s.CSRFCookieDomain
	if s.CSRFUseSessions {
		d = s.SessionCookieDomain
	}
	if d == "" {
		return ""
	}
	if p := s.port(r); p != "443" && p != "80" {
		d += ":" + p
	}
	return d
}

// checkReferer is _check_referer (4.0+).
func (s *settings) checkReferer(r *http.Request) error {
	u, err := s.parseReferer(r)
	if err != nil {
		return err
	}
	for _, h := range s.trustedHosts {
		if isSameDomain(u.netloc, h) {
			return nil
		}
	}
	bad := &Error{fmt.Sprintf(ReasonBadReferer, latin1(u.geturl(s.v < v52)))}
	good := s.cookieDomain(r)
	if good == "" {
		host, ok := s.host(r)
		if !ok {
			return bad
		}
		good = host
	}
	if !isSameDomain(u.netloc, good) {
		return bad
	}
	return nil
}

// checkReferer32 is Django 3.2's Referer check: CSRF_TRUSTED_ORIGINS are host patterns.
func (s *settings) checkReferer32(r *http.Request) error {
	u, err := s.parseReferer(r)
	if err != nil {
		return err
	}
	good := append([]string(nil), s.CSRFTrustedOrigins...)
	if d := s.cookieDomain(r); d != "" {
		good = append(good, d)
	} else if host, ok := s.host(r); ok {
		good = append(good, host)
	}
	for _, h := range good {
		if isSameDomain(u.netloc, h) {
			return nil
		}
	}
	return &Error{fmt.Sprintf(ReasonBadReferer, latin1(u.geturl(true)))}
}

// requestToken is the token the request offers: the form field of a POST, else the header.
// n is its length as Python counts it; header reports whether it came from the header;
// present is false when neither is there.
func (s *settings) requestToken(r *http.Request) (token string, n int, header, present bool, err error) {
	if r.Method == http.MethodPost {
		token, n, err = formToken(r, s.MaxBodyBytes)
		if err != nil && !errors.Is(err, errUnreadable) {
			return "", 0, false, false, err
		}
	}
	if token != "" {
		return token, n, false, true, nil
	}
	vals, ok := r.Header[s.header]
	token = strings.Join(vals, ",")
	return token, len(token), true, ok, nil
}

// checkToken is _check_token (4.0+), or the token half of 3.2's process_view.
func (m *Middleware) checkToken(s *settings, r *http.Request) error {
	value, ok, _, err := s.secretValue(r)
	if err != nil {
		return err
	}
	if s.v == v32 {
		var csrfToken string
		if ok && !s.CSRFUseSessions {
			if csrfToken, _, err = sanitize32(m.random(), value); err != nil {
				return err
			}
		} else if ok {
			csrfToken = value
		}
		if !ok {
			return &Error{ReasonNoCSRFCookie}
		}
		token, _, _, _, err := s.requestToken(r)
		if err != nil {
			return err
		}
		if token, _, err = sanitize32(m.random(), token); err != nil {
			return err
		}
		a, _ := unmask(token)
		b, okb := unmask(csrfToken)
		if !okb || !constantTimeEqual(a, b) {
			return &Error{ReasonBadToken}
		}
		return nil
	}
	secret := value
	if ok && !s.CSRFUseSessions {
		if p := formatProblem(value, len(value)); p != "" {
			return &Error{"CSRF cookie " + p + "."}
		}
	}
	if !ok {
		return &Error{ReasonNoCSRFCookie}
	}
	if len(secret) == TokenLength {
		secret, _ = unmask(secret)
	}
	token, n, header, present, err := s.requestToken(r)
	if err != nil {
		return err
	}
	if !present {
		return &Error{ReasonCSRFTokenMissing}
	}
	source := "POST"
	if header {
		source = s.source
	}
	if p := formatProblem(token, n); p != "" {
		return &Error{"CSRF token from " + source + " " + p + "."}
	}
	if len(token) == TokenLength {
		token, _ = unmask(token)
	}
	if !constantTimeEqual(token, secret) {
		return &Error{"CSRF token from " + source + " incorrect."}
	}
	return nil
}
