package csrf

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/djangobridge/bridge/djangosession"
)

// CSRF values of django.middleware.csrf.
const (
	// CSRFSessionKey is CSRF_SESSION_KEY: where the CSRF secret lives with CSRF_USE_SESSIONS.
	CSRFSessionKey = "_csrftoken"
	// CSRFSecretLength is CSRF_SECRET_LENGTH.
	CSRFSecretLength = 32
	// CSRFTokenLength is CSRF_TOKEN_LENGTH: a masked token (mask + cipher).
	CSRFTokenLength = 2 * CSRFSecretLength
	// CSRFAllowedChars is CSRF_ALLOWED_CHARS.
	CSRFAllowedChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	// CSRFFormField is the form field of Django's {% csrf_token %}.
	CSRFFormField = "csrfmiddlewaretoken"
	// DefaultCSRFHeaderName is CSRF_HEADER_NAME's default, "HTTP_X_CSRFTOKEN", as a header name.
	DefaultCSRFHeaderName = "X-CSRFToken"
)

// ErrCSRF: a request failed the CSRF check (Django answers 403 Forbidden). The *[CSRFError]
// that carries Django's reason unwraps to it.
var ErrCSRF = errors.New("csrf: CSRF verification failed")

// CSRFError is a failed CSRF check, with Django's reason (e.g. "CSRF token missing.").
type CSRFError struct {
	Reason string
}

func (e *CSRFError) Error() string { return "csrf: CSRF verification failed: " + e.Reason }

// Unwrap returns ErrCSRF.
func (e *CSRFError) Unwrap() error { return ErrCSRF }

// CSRF is django.middleware.csrf.CsrfViewMiddleware with CSRF_USE_SESSIONS = True: the secret
// lives in the session under "_csrftoken", so a Go handler can hand out tokens Django accepts
// and accept the tokens of forms Django rendered (the csrfmiddlewaretoken field, or the
// X-CSRFToken header). It needs the session [Middleware]. The zero value is Django's defaults.
//
// What is stored follows the session's Django version: 3.2 stores a masked 64-character token;
// 4.2+ store the 32-character secret (4.2 with CSRF_COOKIE_MASKED, a masked token). Every
// version's readers accept both forms in requests.
//
// Differences from Django: the Origin header is checked for every version (3.2 did not), the
// host is the request's Host as Go received it (Django's get_host also checks ALLOWED_HOSTS,
// which is the Go server's business), and the Referer check of HTTPS requests without Origin
// does not allow SESSION_COOKIE_DOMAIN (only the host and CSRFTrustedOrigins).
type CSRF struct {
	// CSRFHeaderName is CSRF_HEADER_NAME as an HTTP header name (Django default:
	// "HTTP_X_CSRFTOKEN", i.e. "X-CSRFToken").
	CSRFHeaderName string

	// CSRFTrustedOrigins is CSRF_TRUSTED_ORIGINS (Django default: []), e.g.
	// "https://example.com", "https://*.example.com".
	CSRFTrustedOrigins []string

	// CSRFCookieMasked is CSRF_COOKIE_MASKED (Django 4.2 only; default False): store a masked
	// token instead of the secret.
	CSRFCookieMasked bool

	// IsSecure reports whether a request came over HTTPS (Django's request.is_secure(), with
	// SECURE_PROXY_SSL_HEADER). Nil means r.TLS != nil.
	IsSecure func(r *http.Request) bool

	// FailureHandler answers a request that failed the check in Handler (Django's
	// CSRF_FAILURE_VIEW). The error is in the request context: see CSRFFailureReason. Nil
	// means a plain 403 Forbidden.
	FailureHandler http.Handler
}

func (c *CSRF) headerName() string {
	if c.CSRFHeaderName == "" {
		return DefaultCSRFHeaderName
	}
	return c.CSRFHeaderName
}

// newCSRFString is _get_new_csrf_string(): 32 characters from CSRFAllowedChars, uniform.
func newCSRFString() (string, error) {
	var out [CSRFSecretLength]byte
	var buf [64]byte
	n := 0
	for n < len(out) {
		if _, err := rand.Read(buf[:]); err != nil {
			return "", fmt.Errorf("csrf: reading random bytes: %w", err)
		}
		for _, b := range buf {
			if b >= 248 { // 248 = 4 * 62
				continue
			}
			out[n] = CSRFAllowedChars[b%62]
			n++
			if n == len(out) {
				break
			}
		}
	}
	return string(out[:]), nil
}

// validCSRFChars reports whether s has only CSRFAllowedChars.
func validCSRFChars(s string) bool {
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(CSRFAllowedChars, s[i]) < 0 {
			return false
		}
	}
	return true
}

// MaskCSRFSecret is _mask_cipher_secret(secret): a fresh random mask followed by the secret
// enciphered with it, a 64-character token. The secret must be 32 CSRFAllowedChars.
func MaskCSRFSecret(secret string) (string, error) {
	if len(secret) != CSRFSecretLength || !validCSRFChars(secret) {
		return "", fmt.Errorf("csrf: a CSRF secret is %d characters of CSRFAllowedChars: %w", CSRFSecretLength, djangosession.ErrCorrupt)
	}
	mask, err := newCSRFString()
	if err != nil {
		return "", err
	}
	return maskWith(secret, mask), nil
}

func maskWith(secret, mask string) string {
	b := make([]byte, 0, CSRFTokenLength)
	b = append(b, mask...)
	for i := 0; i < CSRFSecretLength; i++ {
		x := strings.IndexByte(CSRFAllowedChars, secret[i])
		y := strings.IndexByte(CSRFAllowedChars, mask[i])
		b = append(b, CSRFAllowedChars[(x+y)%62])
	}
	return string(b)
}

// UnmaskCSRFToken is _unmask_cipher_token(token): the secret of a 64-character masked token.
func UnmaskCSRFToken(token string) (string, error) {
	if len(token) != CSRFTokenLength || !validCSRFChars(token) {
		return "", fmt.Errorf("csrf: a masked CSRF token is %d characters of CSRFAllowedChars: %w", CSRFTokenLength, djangosession.ErrCorrupt)
	}
	mask, cipher := token[:CSRFSecretLength], token[CSRFSecretLength:]
	b := make([]byte, CSRFSecretLength)
	for i := range b {
		x := strings.IndexByte(CSRFAllowedChars, cipher[i])
		y := strings.IndexByte(CSRFAllowedChars, mask[i])
		b[i] = CSRFAllowedChars[((x-y)%62+62)%62]
	}
	return string(b), nil
}

// storesMasked reports whether the session's Django stores a masked token.
func (c *CSRF) storesMasked(s *djangosession.Session) bool {
	switch s.DjangoVersion() {
	case djangosession.Django32:
		return true
	case djangosession.Django42:
		return c.CSRFCookieMasked
	}
	return false
}

// sessionSecret is _get_secret(): the secret stored in the session, unmasked, or "" when
// there is none (or what is there is not a token Django could use).
func sessionSecret(s *djangosession.Session) string {
	v, _ := s.String(CSRFSessionKey)
	switch {
	case len(v) == CSRFTokenLength:
		sec, err := UnmaskCSRFToken(v)
		if err != nil {
			return ""
		}
		return sec
	case len(v) == CSRFSecretLength && validCSRFChars(v):
		return v
	}
	return ""
}

// store writes secret to the session in the form the Django version stores, if the session
// does not hold that value already.
func (c *CSRF) store(s *djangosession.Session, secret string) error {
	v := secret
	if c.storesMasked(s) {
		cur, _ := s.String(CSRFSessionKey)
		if len(cur) == CSRFTokenLength && sessionSecret(s) == secret {
			return nil
		}
		var err error
		if v, err = MaskCSRFSecret(secret); err != nil {
			return err
		}
	}
	if cur, ok := s.String(CSRFSessionKey); !ok || cur != v {
		s.Set(CSRFSessionKey, v)
	}
	return nil
}

// Token is django.middleware.csrf.get_token: a fresh masked token for a form or a header,
// made from the session's secret. A session without one gets a new secret (and is modified,
// so that the middleware saves it).
func (c *CSRF) Token(s *djangosession.Session) (string, error) {
	secret := sessionSecret(s)
	if secret == "" {
		var err error
		if secret, err = newCSRFString(); err != nil {
			return "", err
		}
	}
	if err := c.store(s, secret); err != nil {
		return "", err
	}
	return MaskCSRFSecret(secret)
}

// Rotate is django.middleware.csrf.rotate_token, which login calls: the session gets a new
// CSRF secret, and tokens made from the old one stop working.
func (c *CSRF) Rotate(s *djangosession.Session) error {
	secret, err := newCSRFString()
	if err != nil {
		return err
	}
	return c.store(s, secret)
}

// Django's rejection reasons.
const (
	reasonNoCSRFCookie   = "CSRF cookie not set."
	reasonTokenMissing   = "CSRF token missing."
	reasonBadOrigin      = "Origin checking failed - %s does not match any trusted origins."
	reasonNoReferer      = "Referer checking failed - no Referer."
	reasonBadReferer     = "Referer checking failed - %s does not match any trusted origins."
	reasonMalformedRef   = "Referer checking failed - Referer is malformed."
	reasonInsecureRef    = "Referer checking failed - Referer is insecure while host is secure."
	reasonIncorrectToken = "incorrect"
)

func reject(reason string, args ...any) error {
	if len(args) > 0 {
		reason = fmt.Sprintf(reason, args...)
	}
	return &CSRFError{Reason: reason}
}

// Check is CsrfViewMiddleware.process_view for r: safe methods (GET, HEAD, OPTIONS, TRACE) pass;
// any other request needs an allowed Origin (or, over HTTPS without Origin, Referer), a CSRF
// secret in the session and a matching token in the csrfmiddlewaretoken POST field or the
// CSRFHeaderName header. A failure is a *[CSRFError] (errors.Is(err, ErrCSRF)). The session
// comes from the request's context ([FromContext]); its load error is returned as it is.
func (c *CSRF) Check(r *http.Request) error {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return nil
	}
	if origin := r.Header.Values("Origin"); len(origin) > 0 {
		if !c.originVerified(r, origin[0]) {
			return reject(reasonBadOrigin, origin[0])
		}
	} else if c.isSecure(r) {
		if err := c.checkReferer(r); err != nil {
			return err
		}
	}
	s, err := djangosession.FromContext(r.Context())
	if err != nil {
		return err
	}
	return c.CheckToken(r, s)
}

// CheckToken is the token half of Check (_check_token), with the session given.
func (c *CSRF) CheckToken(r *http.Request, s *djangosession.Session) error {
	secret := sessionSecret(s)
	if secret == "" {
		return reject(reasonNoCSRFCookie)
	}
	token, source := "", "POST"
	if r.Method == http.MethodPost {
		token = r.PostFormValue(CSRFFormField)
	}
	if token == "" {
		vals := r.Header.Values(c.headerName())
		if len(vals) == 0 {
			return reject(reasonTokenMissing)
		}
		token, source = vals[0], "the '"+http.CanonicalHeaderKey(c.headerName())+"' HTTP header"
	}
	if !validCSRFChars(token) {
		return reject("CSRF token from %s has invalid characters.", source)
	}
	if len(token) != CSRFSecretLength && len(token) != CSRFTokenLength {
		return reject("CSRF token from %s has incorrect length.", source)
	}
	if len(token) == CSRFTokenLength {
		token, _ = UnmaskCSRFToken(token)
	}
	if !constantTimeEqual(token, secret) {
		return reject("CSRF token from %s %s.", source, reasonIncorrectToken)
	}
	return nil
}

func (c *CSRF) isSecure(r *http.Request) bool {
	if c.IsSecure != nil {
		return c.IsSecure(r)
	}
	return r.TLS != nil
}

func (c *CSRF) scheme(r *http.Request) string {
	if c.isSecure(r) {
		return "https"
	}
	return "http"
}

// originVerified is _origin_verified.
func (c *CSRF) originVerified(r *http.Request, origin string) bool {
	if origin == c.scheme(r)+"://"+r.Host {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil {
		return false
	}
	for _, t := range c.CSRFTrustedOrigins {
		if !strings.Contains(t, "*") {
			if origin == t {
				return true
			}
			continue
		}
		tu, err := url.Parse(strings.Replace(t, "*", "wildcard", 1))
		if err != nil || tu.Scheme != u.Scheme {
			continue
		}
		pattern := strings.Replace(tu.Host, "wildcard", "", 1)
		if isSameDomain(u.Host, pattern) {
			return true
		}
	}
	return false
}

// checkReferer is _check_referer (HTTPS requests without Origin).
func (c *CSRF) checkReferer(r *http.Request) error {
	vals := r.Header.Values("Referer")
	if len(vals) == 0 {
		return reject(reasonNoReferer)
	}
	u, err := url.Parse(vals[0])
	if err != nil || u.Scheme == "" || u.Host == "" {
		return reject(reasonMalformedRef)
	}
	if u.Scheme != "https" {
		return reject(reasonInsecureRef)
	}
	for _, t := range c.CSRFTrustedOrigins {
		tu, err := url.Parse(strings.Replace(t, "*", "wildcard", 1))
		if err != nil {
			continue
		}
		if isSameDomain(u.Host, strings.Replace(tu.Host, "wildcard", "", 1)) {
			return nil
		}
	}
	if !isSameDomain(u.Host, r.Host) {
		return reject(reasonBadReferer, vals[0])
	}
	return nil
}

// isSameDomain is django.utils.http.is_same_domain: pattern ".example.com" matches
// example.com and its subdomains; any other pattern matches exactly. Case-insensitive.
func isSameDomain(host, pattern string) bool {
	if pattern == "" {
		return false
	}
	host, pattern = strings.ToLower(host), strings.ToLower(pattern)
	return pattern[0] == '.' && (strings.HasSuffix(host, pattern) || host == pattern[1:]) || host == pattern
}

type csrfReasonKey struct{}

// CSRFFailureReason returns the *CSRFError a FailureHandler was called for, or nil.
func CSRFFailureReason(r *http.Request) *CSRFError {
	e, _ := r.Context().Value(csrfReasonKey{}).(*CSRFError)
	return e
}

// Handler wraps next with Check: a request that fails it is answered by FailureHandler (403
// Forbidden by default), one whose session cannot be loaded is left to the session middleware's
// ErrorFunc. It must be inside [Middleware.Handler].
func (c *CSRF) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := c.Check(r)
		if err == nil {
			next.ServeHTTP(w, r)
			return
		}
		var ce *CSRFError
		if !errors.As(err, &ce) {
			// The session middleware replaces this with its ErrorFunc's answer.
			http.Error(w, "Server Error (500)", http.StatusInternalServerError)
			return
		}
		if c.FailureHandler != nil {
			c.FailureHandler.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), csrfReasonKey{}, ce)))
			return
		}
		http.Error(w, "Forbidden (403)\nCSRF verification failed. Request aborted.", http.StatusForbidden)
	})
}

// constantTimeEqual is Django's constant_time_compare.
func constantTimeEqual(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
