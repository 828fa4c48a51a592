package csrf

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/djangobridge/bridge/internal/pycookie"
)

// Django's CSRF defaults (django/conf/global_settings.py, the same in every supported version)
// and the constants of django/middleware/csrf.py.
const (
	// DefaultCookieName is CSRF_COOKIE_NAME's default.
	DefaultCookieName = "csrftoken"
	// DefaultCookieAge is CSRF_COOKIE_AGE's default: 52 weeks.
	DefaultCookieAge = 60 * 60 * 24 * 7 * 52 * time.Second
	// DefaultCookiePath is CSRF_COOKIE_PATH's default.
	DefaultCookiePath = "/"
	// DefaultHeaderName is CSRF_HEADER_NAME's default: the request.META name of the
	// X-CSRFToken header.
	DefaultHeaderName = "HTTP_X_CSRFTOKEN"
	// DefaultMaxBodyBytes is the default of Config.MaxBodyBytes: Django's
	// DATA_UPLOAD_MAX_MEMORY_SIZE default, 2.5 MiB.
	DefaultMaxBodyBytes = 2621440

	// SessionKey is CSRF_SESSION_KEY: where the secret lives with CSRF_USE_SESSIONS.
	SessionKey = "_csrftoken"
	// FormField is the POST field of Django's {% csrf_token %}.
	FormField = "csrfmiddlewaretoken"
	// SecretLength is CSRF_SECRET_LENGTH.
	SecretLength = 32
	// TokenLength is CSRF_TOKEN_LENGTH: a masked token (mask + cipher).
	TokenLength = 2 * SecretLength
	// AllowedChars is CSRF_ALLOWED_CHARS.
	AllowedChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
)

// Versions lists the Django versions whose CSRF behaviour Config.DjangoVersion selects.
var Versions = []string{"3.2", "4.2", "5.2", "6.0", "6.1"}

// version is a DjangoVersion as an ordinal.
type version int

const (
	v32 version = iota
	v42
	v52
	v60
	v61
)

// Config holds Django's CSRF settings. Each field is named after the Django setting it stands
// for, and its zero value is Django's default, so a zero Config is a startproject Django's
// CSRF: the secret in the csrftoken cookie, the token in the csrfmiddlewaretoken form field or
// the X-CSRFToken header.
type Config struct {
	// DjangoVersion selects the behaviour of one Django version: "3.2", "4.2", "5.2", "6.0" or
	// "6.1" (default: "6.1"). See the package documentation for what differs.
	DjangoVersion string

	// CSRFCookieName is CSRF_COOKIE_NAME (Django default: "csrftoken").
	CSRFCookieName string

	// CSRFCookieAge is CSRF_COOKIE_AGE (Django default: 52 weeks), in whole seconds as Django
	// writes Max-Age. A negative value is Django's None: a browser-session cookie, with neither
	// Max-Age nor expires.
	CSRFCookieAge time.Duration

	// CSRFCookieDomain is CSRF_COOKIE_DOMAIN (Django default: None, no Domain attribute). It
	// also widens the HTTPS Referer check to that domain, as in Django.
	CSRFCookieDomain string

	// CSRFCookiePath is CSRF_COOKIE_PATH (Django default: "/").
	CSRFCookiePath string

	// CSRFCookieSecure is CSRF_COOKIE_SECURE (Django default: False).
	CSRFCookieSecure bool

	// CSRFCookieHTTPOnly is CSRF_COOKIE_HTTPONLY (Django default: False).
	CSRFCookieHTTPOnly bool

	// CSRFCookieSameSite is CSRF_COOKIE_SAMESITE (Django default: "Lax"). Zero means
	// http.SameSiteLaxMode; http.SameSiteDefaultMode is Django's None (no SameSite attribute).
	CSRFCookieSameSite http.SameSite

	// CSRFHeaderName is CSRF_HEADER_NAME, written as in Django: the request.META name of the
	// header (Django default: "HTTP_X_CSRFTOKEN", the X-CSRFToken header).
	CSRFHeaderName string

	// CSRFTrustedOrigins is CSRF_TRUSTED_ORIGINS (Django default: []). From Django 4.0 each
	// entry is an origin with its scheme, "https://example.com", where a "*" before the host
	// allows its subdomains: "https://*.example.com". Django 3.2 takes hosts instead:
	// "example.com", ".example.com".
	CSRFTrustedOrigins []string

	// CSRFUseSessions is CSRF_USE_SESSIONS (Django default: False): the secret lives in the
	// session under "_csrftoken" instead of a cookie. It needs djangosession's Middleware
	// around this one.
	CSRFUseSessions bool

	// CSRFCookieMasked is CSRF_COOKIE_MASKED (Django 4.2 only; default False): a new cookie
	// holds a masked token instead of the secret.
	CSRFCookieMasked bool

	// SessionCookieDomain is SESSION_COOKIE_DOMAIN (Django default: None). With
	// CSRFUseSessions it takes CSRFCookieDomain's place in the HTTPS Referer check.
	SessionCookieDomain string

	// CSRFFailureView is CSRF_FAILURE_VIEW: it answers a request that failed the check in
	// Handler. [Failure] gives it the *Error. Nil means a 403 Forbidden whose text/plain body
	// gives Django's reason.
	CSRFFailureView http.Handler

	// IsSecure is request.is_secure(): whether the request came over HTTPS. Nil means
	// r.TLS != nil; behind a TLS-terminating proxy use [ProxySSLHeader], Django's
	// SECURE_PROXY_SSL_HEADER.
	IsSecure func(r *http.Request) bool

	// GetHost is request.get_host(): the host (with its port, if any) the request was sent
	// to, or ok false for Django's DisallowedHost. Nil means r.Host, as Go received it:
	// checking it against ALLOWED_HOSTS (and USE_X_FORWARDED_HOST) is the Go server's
	// business, as Django's CommonMiddleware does it before CSRF runs.
	GetHost func(r *http.Request) (host string, ok bool)

	// GetPort is request.get_port(), used with a cookie domain in the HTTPS Referer check
	// (SERVER_PORT, or X-Forwarded-Port with USE_X_FORWARDED_PORT). Nil means the port of
	// the local address the request came in on (http.LocalAddrContextKey), else "443" or
	// "80" by IsSecure.
	GetPort func(r *http.Request) string

	// MaxBodyBytes bounds the POST body read for the csrfmiddlewaretoken field
	// (url-encoded and multipart forms; other bodies are not read). Default:
	// DefaultMaxBodyBytes (Django's DATA_UPLOAD_MAX_MEMORY_SIZE); negative: no limit. A
	// larger body fails the check with ErrBodyTooLarge (Django: 400, RequestDataTooBig).
	// Multipart uploads larger than this need a larger value: like Django, the check reads
	// the body of a form POST even when the token comes in the header.
	MaxBodyBytes int64

	// Now is the clock of the cookie's expires attribute. Nil means time.Now.
	Now func() time.Time
}

// ProxySSLHeader is Django's SECURE_PROXY_SSL_HEADER = (name, value) as a Config.IsSecure:
// a request is secure when its header equals value (Django 4.0+ compares the first
// comma-separated part, stripped; 3.2 the whole value), and otherwise secure when it has no
// such header and came over TLS. name is an HTTP header name ("X-Forwarded-Proto"), not
// Django's META form.
func ProxySSLHeader(djangoVersion, name, value string) func(r *http.Request) bool {
	whole := djangoVersion == "3.2"
	return func(r *http.Request) bool {
		vals := r.Header.Values(name)
		if len(vals) == 0 {
			return r.TLS != nil
		}
		v := strings.Join(vals, ",")
		if !whole {
			v, _, _ = strings.Cut(v, ",")
			v = strings.TrimSpace(v)
		}
		return v == value
	}
}

// ErrConfig: a Config that Django would not run with, or that cannot be written as a cookie.
// The *[ConfigError] that says which setting unwraps to it.
var ErrConfig = errors.New("csrf: invalid configuration")

// ConfigError is an invalid Config setting.
type ConfigError struct {
	Setting string // the Django setting, e.g. "CSRF_TRUSTED_ORIGINS"
	Problem string // what is wrong and what to do
}

func (e *ConfigError) Error() string { return "csrf: " + e.Setting + ": " + e.Problem }

// Unwrap returns ErrConfig.
func (e *ConfigError) Unwrap() error { return ErrConfig }

// settings is a validated Config with the defaults filled in and the trusted origins parsed
// as Django's CsrfViewMiddleware does.
type settings struct {
	Config
	v        version
	header   string // the HTTP header name of CSRFHeaderName
	source   string // the token source in a reason: "the 'X-Csrftoken' HTTP header"
	sameSite string // the SameSite attribute, "" for none
	maxAge   int64  // seconds; -1: none

	// Django 4.0+: csrf_trusted_origins_hosts, allowed_origins_exact,
	// allowed_origin_subdomains.
	trustedHosts []string
	exact        map[string]bool
	subdomains   map[string][]string
}

func parseVersion(s string) (version, bool) {
	switch s {
	case "3.2":
		return v32, true
	case "4.2":
		return v42, true
	case "5.2":
		return v52, true
	case "6.0":
		return v60, true
	case "", "6.1":
		return v61, true
	}
	return 0, false
}

func (c Config) settings() (*settings, error) {
	s := &settings{Config: c}
	var ok bool
	if s.v, ok = parseVersion(c.DjangoVersion); !ok {
		return nil, &ConfigError{"DjangoVersion", fmt.Sprintf("%q is not a supported Django version; use one of %s", c.DjangoVersion, strings.Join(Versions, ", "))}
	}
	if s.CSRFCookieName == "" {
		s.CSRFCookieName = DefaultCookieName
	}
	if !pycookie.Legal(s.CSRFCookieName) {
		return nil, &ConfigError{"CSRF_COOKIE_NAME", fmt.Sprintf("%q is not a cookie name Python's http.cookies accepts (letters, digits and !#$%%&'*+-.^_`|~:)", s.CSRFCookieName)}
	}
	switch {
	case s.CSRFCookieAge == 0:
		s.maxAge = int64(DefaultCookieAge / time.Second)
	case s.CSRFCookieAge < 0:
		s.maxAge = -1
	default:
		s.maxAge = int64(s.CSRFCookieAge / time.Second)
	}
	if s.CSRFCookiePath == "" {
		s.CSRFCookiePath = DefaultCookiePath
	}
	for _, f := range []struct{ name, v string }{{"CSRF_COOKIE_DOMAIN", s.CSRFCookieDomain}, {"CSRF_COOKIE_PATH", s.CSRFCookiePath}, {"SESSION_COOKIE_DOMAIN", s.SessionCookieDomain}} {
		if strings.ContainsFunc(f.v, func(r rune) bool { return r < 0x21 || r == ';' || r == 0x7f }) {
			return nil, &ConfigError{f.name, fmt.Sprintf("%q has a space, a control character or ';', which would break the Set-Cookie header", f.v)}
		}
	}
	switch s.CSRFCookieSameSite {
	case 0, http.SameSiteLaxMode:
		s.sameSite = "Lax"
	case http.SameSiteStrictMode:
		s.sameSite = "Strict"
	case http.SameSiteNoneMode:
		s.sameSite = "None"
	case http.SameSiteDefaultMode:
	default:
		return nil, &ConfigError{"CSRF_COOKIE_SAMESITE", fmt.Sprintf("%d is not an http.SameSite value", s.CSRFCookieSameSite)}
	}
	if s.CSRFHeaderName == "" {
		s.CSRFHeaderName = DefaultHeaderName
	}
	switch name, ok := strings.CutPrefix(s.CSRFHeaderName, "HTTP_"); {
	case ok && name != "" && pycookie.Legal(name) && !strings.Contains(name, "-"):
		s.header = http.CanonicalHeaderKey(strings.ReplaceAll(name, "_", "-"))
	case s.CSRFHeaderName == "CONTENT_TYPE" || s.CSRFHeaderName == "CONTENT_LENGTH":
		s.header = http.CanonicalHeaderKey(strings.ReplaceAll(s.CSRFHeaderName, "_", "-"))
	default:
		return nil, &ConfigError{"CSRF_HEADER_NAME", fmt.Sprintf("%q is not a request.META header name; write it as Django does, e.g. \"HTTP_X_CSRFTOKEN\" for the X-CSRFToken header", s.CSRFHeaderName)}
	}
	s.source = "the '" + pyTitle(strings.ReplaceAll(strings.TrimPrefix(s.CSRFHeaderName, "HTTP_"), "_", "-")) + "' HTTP header"
	if s.CSRFCookieMasked && s.v != v42 {
		return nil, &ConfigError{"CSRF_COOKIE_MASKED", "is a Django 4.2 setting (3.2 always masks the cookie, 5.0+ never do); set it only with DjangoVersion \"4.2\""}
	}
	if s.MaxBodyBytes == 0 {
		s.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if s.Now == nil {
		s.Now = time.Now
	}
	s.exact = map[string]bool{}
	s.subdomains = map[string][]string{}
	for _, o := range c.CSRFTrustedOrigins {
		if s.v == v32 {
			// Django 3.2 compares each entry with the Referer's host.
			if strings.Contains(o, "://") {
				return nil, &ConfigError{"CSRF_TRUSTED_ORIGINS", fmt.Sprintf("Django 3.2 takes hosts here (\"example.com\", \".example.com\"), not origins; %q would never match", o)}
			}
			continue
		}
		if !strings.Contains(o, "://") {
			// Django's system check 4_0.E001.
			return nil, &ConfigError{"CSRF_TRUSTED_ORIGINS", fmt.Sprintf("As of Django 4.0, the values in the CSRF_TRUSTED_ORIGINS setting must start with a scheme (usually http:// or https://) but found %s. See the release notes for details.", o)}
		}
		u, err := urlsplit(o, true)
		if err != nil {
			return nil, &ConfigError{"CSRF_TRUSTED_ORIGINS", fmt.Sprintf("%q is not a URL Python's urlsplit accepts (%v); Django would fail every unsafe request", o, err)}
		}
		host := strings.TrimLeft(u.netloc, "*")
		s.trustedHosts = append(s.trustedHosts, host)
		if strings.Contains(o, "*") {
			s.subdomains[u.scheme] = append(s.subdomains[u.scheme], host)
		} else {
			s.exact[o] = true
		}
	}
	return s, nil
}

// pyTitle is Python's str.title() for ASCII: a letter after a non-letter is upper case, any
// other letter lower case.
func pyTitle(s string) string {
	b := []byte(s)
	prevLetter := false
	for i, c := range b {
		isUpper, isLower := c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z'
		switch {
		case isLower && !prevLetter:
			b[i] = c - 32
		case isUpper && prevLetter:
			b[i] = c + 32
		}
		prevLetter = isUpper || isLower
	}
	return string(b)
}

// host is request.get_host().
func (s *settings) host(r *http.Request) (string, bool) {
	if s.GetHost != nil {
		return s.GetHost(r)
	}
	return r.Host, true
}

func (s *settings) isSecure(r *http.Request) bool {
	if s.IsSecure != nil {
		return s.IsSecure(r)
	}
	return r.TLS != nil
}

// port is request.get_port().
func (s *settings) port(r *http.Request) string {
	if s.GetPort != nil {
		return s.GetPort(r)
	}
	if a, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		if _, p, err := net.SplitHostPort(a.String()); err == nil {
			return p
		}
	}
	if s.isSecure(r) {
		return "443"
	}
	return "80"
}
