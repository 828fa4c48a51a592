package pycookie

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Get is request.COOKIES.get(name) with Django's parse_cookie: the Cookie headers
// split on ";", each chunk on its first "=", both sides stripped, the value unquoted as
// Python's http.cookies does; a later chunk wins. Go's own parser drops values Django keeps.
func Get(r *http.Request, name string) (string, bool) {
	value, found := "", false
	for _, line := range r.Header.Values("Cookie") {
		for chunk := range strings.SplitSeq(line, ";") {
			k, v, ok := strings.Cut(chunk, "=")
			if !ok {
				k, v = "", chunk
			}
			k, v = strip(k), strip(v)
			if (k != "" || v != "") && k == name {
				value, found = Unquote(v), true
			}
		}
	}
	return value, found
}

// strip is str.strip() for the ASCII whitespace that matters in a header.
func strip(s string) string { return strings.Trim(s, " \t\n\r\v\f") }

// Unquote is http.cookies._unquote: a value in double quotes loses them, and its
// backslash escapes (\ooo octal, \c) are undone.
func Unquote(s string) string {
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
			n := (s[i+1]-'0')*64 + (s[i+2]-'0')*8 + (s[i+3] - '0')
			b.WriteRune(rune(n))
			i += 3
			continue
		}
		b.WriteByte(s[i+1])
		i++
	}
	return b.String()
}

func isOctal(c byte) bool { return c >= '0' && c <= '7' }

// HTTPDate is django.utils.http.http_date: "Wdy, DD Mon YYYY HH:MM:SS GMT".
func HTTPDate(unix int64) string {
	return time.Unix(unix, 0).UTC().Format(http.TimeFormat)
}

// SetCookie renders a Set-Cookie value as Django's HttpResponse.set_cookie does through
// Python's Morsel.OutputString: the attributes sorted by their lower-case names.
func SetCookie(name, value string, maxAge *int64, expires, domain, path string, secure, httpOnly bool, sameSite string) string {
	var b strings.Builder
	b.WriteString(name)
	b.WriteByte('=')
	b.WriteString(Quote(value))
	if domain != "" {
		b.WriteString("; Domain=")
		b.WriteString(domain)
	}
	if expires != "" {
		b.WriteString("; expires=")
		b.WriteString(expires)
	}
	if httpOnly {
		b.WriteString("; HttpOnly")
	}
	if maxAge != nil {
		b.WriteString("; Max-Age=")
		b.WriteString(strconv.FormatInt(*maxAge, 10))
	}
	if path != "" {
		b.WriteString("; Path=")
		b.WriteString(path)
	}
	if sameSite != "" {
		b.WriteString("; SameSite=")
		b.WriteString(sameSite)
	}
	if secure {
		b.WriteString("; Secure")
	}
	return b.String()
}

// DeleteCookie is HttpResponse.delete_cookie(name, path, domain, samesite).
func DeleteCookie(name, path, domain, sameSite string) string {
	secure := strings.HasPrefix(name, "__Secure-") || strings.HasPrefix(name, "__Host-") || strings.EqualFold(sameSite, "none")
	zero := int64(0)
	return SetCookie(name, "", &zero, "Thu, 01 Jan 1970 00:00:00 GMT", domain, path, secure, false, sameSite)
}

// Legal reports whether s is non-empty and made only of http.cookies' _LegalChars, the
// values Quote leaves as they are.
func Legal(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isLegal(s[i]) {
			return false
		}
	}
	return true
}

// Quote is http.cookies._quote: a value made only of legal characters stays as it is;
// any other (the empty string included) is put in double quotes with escapes.
func Quote(s string) string {
	if Legal(s) {
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

// isLegal is http.cookies._LegalChars: ASCII letters, digits and !#$%&'*+-.^_`|~:
func isLegal(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~:", c) >= 0
}

var ccDelim = regexp.MustCompile(`\s*,\s*`)

// PatchVary is patch_vary_headers(response, ("Cookie",)): Cookie is added unless the
// Vary header has it (in any case); a "*" among the values makes the header "*".
func PatchVary(h http.Header) {
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
