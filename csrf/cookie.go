package csrf

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/djangobridge/bridge/internal/pycookie"
)

// cookieHeader is the Set-Cookie value of Django's response.set_cookie(CSRF_COOKIE_NAME,
// value, max_age=CSRF_COOKIE_AGE, domain=..., path=..., secure=..., httponly=...,
// samesite=...), as Python's Morsel.OutputString writes it: attributes sorted by their lower
// case names, expires computed from Max-Age and the clock.
func cookieHeader(s *settings, value string) string {
	var b strings.Builder
	b.WriteString(s.CSRFCookieName)
	b.WriteByte('=')
	b.WriteString(pycookie.Quote(value))
	if s.CSRFCookieDomain != "" {
		b.WriteString("; Domain=")
		b.WriteString(s.CSRFCookieDomain)
	}
	if s.maxAge >= 0 {
		b.WriteString("; expires=")
		b.WriteString(s.Now().Add(time.Duration(s.maxAge) * time.Second).UTC().Format(http.TimeFormat))
	}
	if s.CSRFCookieHTTPOnly {
		b.WriteString("; HttpOnly")
	}
	if s.maxAge >= 0 {
		b.WriteString("; Max-Age=")
		b.WriteString(strconv.FormatInt(s.maxAge, 10))
	}
	b.WriteString("; Path=")
	b.WriteString(s.CSRFCookiePath)
	if s.sameSite != "" {
		b.WriteString("; SameSite=")
		b.WriteString(s.sameSite)
	}
	if s.CSRFCookieSecure {
		b.WriteString("; Secure")
	}
	return b.String()
}

// setCookie replaces any Set-Cookie of name in h by value, as Django's response.cookies is
// keyed by name.
func setCookie(h http.Header, name, value string) {
	old := h.Values("Set-Cookie")
	kept := make([]string, 0, len(old)+1)
	for _, v := range old {
		if !strings.HasPrefix(v, name+"=") {
			kept = append(kept, v)
		}
	}
	h["Set-Cookie"] = append(kept, value)
}
