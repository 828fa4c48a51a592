package djangosession_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/djangobridge/bridge/djangosession"
	"github.com/djangobridge/bridge/djangosession/djangosessiontest"
)

// The session middleware in front of a plain net/http handler. With chi:
//
//	r := chi.NewRouter()
//	r.Use(mw.Handler)
//
// With gin (wrap the engine, which is an http.Handler):
//
//	engine := gin.New()
//	http.ListenAndServe(addr, mw.Handler(engine)) // in handlers: djangosession.FromContext(c.Request.Context())
//
// With echo:
//
//	e := echo.New()
//	e.Use(echo.WrapMiddleware(mw.Handler)) // in handlers: djangosession.FromContext(c.Request().Context())
func ExampleMiddleware() {
	clock := djangosessiontest.NewClock(time.Unix(1700000000, 0).UTC())
	cache := djangosessiontest.NewCache() // in production: a redisstore or memcachestore adapter
	cache.Now = clock.Now
	store, err := djangosession.NewStore(cache, djangosession.Config{
		DjangoVersion: "5.2",
		Now:           clock.Now, // leave nil in production
	})
	if err != nil {
		log.Fatal(err)
	}
	mw := &djangosession.Middleware{Store: store} // Django's default cookie settings

	mux := http.NewServeMux()
	mux.HandleFunc("/visit", func(w http.ResponseWriter, r *http.Request) {
		s, err := djangosession.FromContext(r.Context())
		if err != nil {
			return // the cache is down: the middleware answers 500
		}
		n, _ := s.Int("visits")
		s.Set("visits", n+1)
		fmt.Fprintf(w, "visit %d\n", n+1)
	})
	handler := mw.Handler(mux)

	cookie := ""
	for range 2 {
		req := httptest.NewRequest(http.MethodGet, "/visit", nil)
		if cookie != "" {
			req.Header.Set("Cookie", cookie)
		}
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		setCookie := rec.Header().Get("Set-Cookie")
		cookie, _, _ = strings.Cut(setCookie, ";")
		_, attrs, _ := strings.Cut(setCookie, "; ")
		fmt.Print(rec.Body.String())
		fmt.Println("  Set-Cookie: sessionid=<32 chars>;", attrs)
		fmt.Println("  Vary:", rec.Header().Get("Vary"))
	}
	// Output:
	// visit 1
	//   Set-Cookie: sessionid=<32 chars>; expires=Tue, 28 Nov 2023 22:13:20 GMT; HttpOnly; Max-Age=1209600; Path=/; SameSite=Lax
	//   Vary: Cookie
	// visit 2
	//   Set-Cookie: sessionid=<32 chars>; expires=Tue, 28 Nov 2023 22:13:20 GMT; HttpOnly; Max-Age=1209600; Path=/; SameSite=Lax
	//   Vary: Cookie
}

// Who is logged in, as Django's request.user: the password hash comes from the caller (see the
// authdb package for a database/sql lookup of auth_user.password).
func ExampleAuth_GetUser() {
	ctx := context.Background()
	store, err := djangosession.NewStore(djangosessiontest.NewCache(), djangosession.Config{})
	if err != nil {
		log.Fatal(err)
	}
	passwords := map[string]string{"42": "pbkdf2_sha256$1000000$salt$hash"}
	auth := &djangosession.Auth{
		SecretKey: "django-insecure-example",
		PasswordHash: func(ctx context.Context, id string) (string, error) {
			if pw, ok := passwords[id]; ok {
				return pw, nil
			}
			return "", djangosession.ErrNotFound
		},
	}

	s := store.New()
	if err := auth.Login(ctx, s, djangosession.User{ID: "42"}); err != nil {
		log.Fatal(err)
	}
	u, _ := auth.GetUser(ctx, s)
	fmt.Println("logged in as", u.ID, "via", u.Backend)

	// The password is changed in Django: the session no longer authenticates.
	passwords["42"] = "pbkdf2_sha256$1000000$salt$other"
	u, _ = auth.GetUser(ctx, s)
	fmt.Println("authenticated:", u.IsAuthenticated(), "session empty:", s.IsEmpty())
	// Output:
	// logged in as 42 via django.contrib.auth.backends.ModelBackend
	// authenticated: false session empty: true
}

// A message added in Go is shown by the next Django page that renders get_messages(request).
func ExampleAddMessage() {
	store, err := djangosession.NewStore(djangosessiontest.NewCache(), djangosession.Config{DjangoVersion: "5.2"})
	if err != nil {
		log.Fatal(err)
	}
	s := store.New()
	if err := djangosession.AddMessage(s, djangosession.Message{Level: djangosession.MessageSuccess, Message: "Saved – from Go"}); err != nil {
		log.Fatal(err)
	}
	v, _ := s.String(djangosession.MessagesKey)
	fmt.Println(v)
	// Output:
	// [["__json_message", 0, 25, "Saved \u2013 from Go", ""]]
}

// CSRF with CSRF_USE_SESSIONS = True: a Go endpoint accepts the token of a form Django
// rendered, and can hand out tokens that Django accepts.
func ExampleCSRF() {
	store, err := djangosession.NewStore(djangosessiontest.NewCache(), djangosession.Config{})
	if err != nil {
		log.Fatal(err)
	}
	mw := &djangosession.Middleware{Store: store}
	csrf := &djangosession.CSRF{}
	var token, cookie string
	issue := mw.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, err := djangosession.FromContext(r.Context())
		if err != nil {
			return
		}
		token, _ = csrf.Token(s) // what {% csrf_token %} puts in a form
	}))
	rec := httptest.NewRecorder()
	issue.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/form", nil))
	cookie, _, _ = strings.Cut(rec.Header().Get("Set-Cookie"), ";")

	protected := mw.Handler(csrf.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "accepted")
	})))
	for _, tok := range []string{token, "forged"} {
		req := httptest.NewRequest(http.MethodPost, "/submit", strings.NewReader("csrfmiddlewaretoken="+tok))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Cookie", cookie)
		rec := httptest.NewRecorder()
		protected.ServeHTTP(rec, req)
		fmt.Println(rec.Code, strings.TrimSpace(strings.SplitN(rec.Body.String(), "\n", 2)[0]))
	}
	// Output:
	// 200 accepted
	// 403 Forbidden (403)
}
