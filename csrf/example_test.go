package csrf_test

import (
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"time"

	"github.com/djangobridge/bridge/csrf"
)

// A Go service next to a startproject Django (CSRF in the csrftoken cookie): the page hands
// out a token, the form posts it back.
func ExampleMiddleware() {
	m, err := csrf.New(csrf.Config{}) // Django's defaults, newest version
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /form", func(w http.ResponseWriter, r *http.Request) {
		token, err := m.Token(w, r) // {% csrf_token %}
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		fmt.Fprintf(w, `<input type="hidden" name="csrfmiddlewaretoken" value="%s">`, token)
	})
	mux.HandleFunc("POST /form", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "saved")
	})
	h := m.Handler(mux)

	// The browser gets the page, with the csrftoken cookie.
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "http://example.com/form", nil))
	cookie := rec.Result().Cookies()[0]
	token := strings.Split(rec.Body.String(), `value="`)[1][:64]
	fmt.Println("cookie:", cookie.Name, len(cookie.Value), "characters")

	post := func(form url.Values) *httptest.ResponseRecorder {
		req := httptest.NewRequest("POST", "http://example.com/form", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", "http://example.com")
		req.AddCookie(cookie)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	rec = post(url.Values{"csrfmiddlewaretoken": {token}})
	fmt.Println(rec.Code, rec.Body.String())
	rec = post(url.Values{"title": {"no token"}})
	fmt.Println(rec.Code, strings.Split(rec.Body.String(), "\n")[4])
	// Output:
	// cookie: csrftoken 32 characters
	// 200 saved
	// 403     CSRF token missing.
}

// Check works alone, for a framework that has its own middleware chain.
func ExampleMiddleware_Check() {
	m, err := csrf.New(csrf.Config{DjangoVersion: "5.2", CSRFTrustedOrigins: []string{"https://*.example.com"}})
	if err != nil {
		log.Fatal(err)
	}
	req := httptest.NewRequest("POST", "http://api.example.com/items", nil)
	req.Header.Set("Origin", "https://evil.example")
	err = m.Check(req)
	var e *csrf.Error
	fmt.Println(errors.Is(err, csrf.ErrForbidden), errors.As(err, &e))
	fmt.Println(e.Reason)

	req.Header.Set("Origin", "https://shop.example.com")
	req.Header.Set("Cookie", "csrftoken=abcdefghijklmnopqrstuvwxyzABCDEF")
	req.Header.Set("X-CSRFToken", "abcdefghijklmnopqrstuvwxyzABCDEF") // the cookie's value, as JavaScript sends it
	fmt.Println(m.Check(req))
	// Output:
	// true true
	// Origin checking failed - https://evil.example does not match any trusted origins.
	// <nil>
}

// Exempt is csrf_exempt: a webhook posted by another site.
func ExampleExempt() {
	m, _ := csrf.New(csrf.Config{})
	mux := http.NewServeMux()
	mux.Handle("POST /webhook", csrf.Exempt(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "hook")
	})))
	mux.HandleFunc("POST /profile", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "profile") })
	h := m.Handler(mux)
	for _, path := range []string{"/webhook", "/profile"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("POST", "http://example.com"+path, nil))
		fmt.Println(path, rec.Code)
	}
	// Output:
	// /webhook 200
	// /profile 403
}

// The cookie is the one Django writes: attributes in Python's order, expires from Max-Age.
func ExampleMiddleware_EnsureCookie() {
	m, _ := csrf.New(csrf.Config{
		CSRFCookieSecure: true,
		Now:              func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) },
	})
	h := m.EnsureCookie(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "<script src=app.js></script>")
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "https://example.com/", nil))
	sc := rec.Header().Get("Set-Cookie")
	fmt.Println(sc[:10] + "..." + sc[42:])
	fmt.Println("Vary:", rec.Header().Get("Vary"))
	// Output:
	// csrftoken=...; expires=Fri, 01 Jan 2027 03:04:05 GMT; Max-Age=31449600; Path=/; SameSite=Lax; Secure
	// Vary: Cookie
}

// New reports settings Django would refuse, here its system check 4_0.E001.
func ExampleNew() {
	_, err := csrf.New(csrf.Config{CSRFTrustedOrigins: []string{"example.com"}})
	fmt.Println(errors.Is(err, csrf.ErrConfig))
	fmt.Println(err)
	// Output:
	// true
	// csrf: CSRF_TRUSTED_ORIGINS: As of Django 4.0, the values in the CSRF_TRUSTED_ORIGINS setting must start with a scheme (usually http:// or https://) but found example.com. See the release notes for details.
}

// A token Django 6.1.3's _mask_cipher_secret made.
func ExampleUnmask() {
	secret, err := csrf.Unmask("I5U0LkF5gIYKq35DOf9mAKGTNTSpIXxHI6W3PpLcoR8VCgjS4wrFU52gbiiQaq1c")
	fmt.Println(secret, err)
	// Output:
	// abcdefghijklmnopqrstuvwxyzABCDEF <nil>
}
