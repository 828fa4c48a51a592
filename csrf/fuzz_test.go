package csrf

import (
	"crypto/tls"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzCheck: any request headers and body give nil, an *Error or one of the documented
// errors, never a panic; a token accepted for a cookie unmasks to its secret.
func FuzzCheck(f *testing.F) {
	for _, s := range []string{"", "https://example.com/", "https://[::1]/", "https://[v1.x]/", "null", "http://a]b"} {
		f.Add(uint8(0), s, s, "abcdefghijklmnopqrstuvwxyzABCDEF", "I5U0LkF5gIYKq35DOf9mAKGTNTSpIXxHI6W3PpLcoR8VCgjS4wrFU52gbiiQaq1c", "csrfmiddlewaretoken=%zz+&", true)
	}
	f.Fuzz(func(t *testing.T, v uint8, origin, referer, cookie, header, body string, secure bool) {
		m, err := New(Config{DjangoVersion: Versions[int(v)%len(Versions)], CSRFTrustedOrigins: trustedFor(Versions[int(v)%len(Versions)]), MaxBodyBytes: 1 << 10})
		if err != nil {
			t.Fatal(err)
		}
		req := httptest.NewRequest("POST", "http://example.com/", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if v&8 != 0 {
			req.Header.Set("Content-Type", "multipart/form-data; boundary=b")
		}
		if origin != "" {
			req.Header["Origin"] = []string{origin}
		}
		if referer != "" {
			req.Header["Referer"] = []string{referer}
		}
		req.Header["Cookie"] = []string{"csrftoken=" + cookie}
		req.Header["X-Csrftoken"] = []string{header}
		if secure {
			req.TLS = &tls.ConnectionState{}
		}
		err = m.Check(req)
		var e *Error
		switch {
		case err == nil:
			if s := secretOf(header); body == "" && s != "" && secretOf(cookie) != "" && s != secretOf(cookie) {
				t.Fatalf("accepted header %q for cookie %q", header, cookie)
			}
		case errors.As(err, &e), errors.Is(err, ErrBodyTooLarge), errors.Is(err, ErrMalformedBody):
		default:
			t.Fatalf("unexpected error %v", err)
		}
	})
}

func trustedFor(v string) []string {
	if v == "3.2" {
		return []string{".example.org"}
	}
	return []string{"https://*.example.org"}
}
