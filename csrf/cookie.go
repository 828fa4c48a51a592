package csrf

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// cookieHeader is the Set-Cookie value of Django's response.set_cookie(CSRF_COOKIE_NAME,
// value, max_age=CSRF_COOKIE_AGE, domain=..., path=..., secure=..., httponly=...,
// samesite=...), as Python's Morsel.OutputString writes it: attributes sorted by their lower
// case names, expires computed from Max-Age and the clock.
func cookieHeader(s *settings, value string) string {
	var b strings.Builder
	b.WriteString(s.CSRFCookieName)
	b.WriteByte('=')
	b.WriteString(pyCookieQuote(value))
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

var ccDelim = regexp.MustCompile(`\s*,\s*`)

// patchVaryCookie is patch_vary_headers(response, ("Cookie",)): Cookie is added unless the
// Vary header has it (in any case); a "*" among the values makes the header "*".
func patchVaryCookie(h http.Header) {
	var fields []string
	if vals := h.Values("Vary"); len(vals) > 0 {
		fields = ccDelim.Split(strings.Join(vals, ", "), -1)
	}
	has := false
	for _, f := range fields {
		if strings.EqualFold(f, "Cookie") {
			has = true
		}
	}
	if !has {
		fields = append(fields, "Cookie")
	}
	for _, f := range fields {
		if f == "*" {
			h.Set("Vary", "*")
			return
		}
	}
	h.Set("Vary", strings.Join(fields, ", "))
}

// requestCookie is request.COOKIES.get(name) with Django's parse_cookie: the Cookie headers
// split on ";", each chunk on its first "=", both sides stripped, the value unquoted as
// Python's http.cookies does; a later chunk wins.
func requestCookie(r *http.Request, name string) (string, bool) {
	value, found := "", false
	for _, line := range r.Header.Values("Cookie") {
		for chunk := range strings.SplitSeq(line, ";") {
			k, v, ok := strings.Cut(chunk, "=")
			if !ok {
				k, v = "", chunk
			}
			k, v = strip(k), strip(v)
			if (k != "" || v != "") && k == name {
				value, found = pyCookieUnquote(v), true
			}
		}
	}
	return value, found
}

// pyCookieUnquote is http.cookies._unquote.
func pyCookieUnquote(s string) string {
	if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' {
		return s
	}
	s = s[1 : len(s)-1]
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 >= len(s) {
			b.WriteByte(c)
			continue
		}
		if i+3 < len(s) && s[i+1] >= '0' && s[i+1] <= '3' && isOctal(s[i+2]) && isOctal(s[i+3]) {
			b.WriteRune(rune((s[i+1]-'0')*64 + (s[i+2]-'0')*8 + (s[i+3] - '0')))
			i += 3
			continue
		}
		b.WriteByte(s[i+1])
		i++
	}
	return b.String()
}

func isOctal(c byte) bool { return c >= '0' && c <= '7' }

// pyCookieQuote is http.cookies._quote: a value of legal characters as it is, any other in
// double quotes with escapes.
func pyCookieQuote(s string) string {
	if isCookieToken(s) {
		return s
	}
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20 || c >= 0x7f || c == ',' || c == ';':
			b.WriteString("\\" + strconv.FormatInt(int64(c)/64, 8) + strconv.FormatInt(int64(c)/8%8, 8) + strconv.FormatInt(int64(c)%8, 8))
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// isLegalCookieChar is http.cookies._LegalChars: ASCII letters, digits and !#$%&'*+-.^_`|~:
func isLegalCookieChar(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~:", c) >= 0
}
