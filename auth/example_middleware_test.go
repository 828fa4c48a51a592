package auth_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/djangobridge/bridge/auth"
	"github.com/djangobridge/bridge/djangosession"
	"github.com/djangobridge/bridge/djangosession/djangosessiontest"
)

// A page that needs a login and an API that answers 401, behind the session middleware and
// the user middleware. In a real service Users is an *authdb.Users.
func ExampleLoginRequired() {
	store, err := djangosession.NewStore(djangosession.Config{SessionEngine: djangosession.EngineCache, Cache: djangosessiontest.NewCache()})
	if err != nil {
		log.Fatal(err)
	}
	users := memUsers{"42": {Username: "alice", IsActive: true, PasswordHash: "pbkdf2_sha256$1000000$salt$hash"}}
	am := &auth.Manager{SecretKey: "django-insecure-example", Users: users}

	hello := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, _ := auth.UserFromContext(r.Context())
		fmt.Fprintf(w, "hello %s", u)
	})
	required := auth.LoginRequired{
		LoginURL: "/login/",
		API:      func(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/api/") },
	}
	mux := http.NewServeMux()
	mux.Handle("/", required.Handler(hello))
	h := (&djangosession.Middleware{Store: store}).Handler(am.Middleware(mux, nil))

	get := func(path, cookie string) {
		r := httptest.NewRequest("GET", path, nil)
		if cookie != "" {
			r.AddCookie(&http.Cookie{Name: "sessionid", Value: cookie})
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		fmt.Println(w.Code, w.Header().Get("Location"), strings.TrimSpace(w.Body.String()))
	}
	get("/orders/?page=2", "")
	get("/api/orders", "")

	// A session Django (or Go) logged in.
	s := store.New()
	if err := am.Login(context.Background(), s, auth.User{ID: "42"}); err != nil {
		log.Fatal(err)
	}
	if err := s.Save(context.Background()); err != nil {
		log.Fatal(err)
	}
	get("/orders/", s.Key())
	// Output:
	// 302 /login/?next=/orders/%3Fpage%3D2 <a href="/login/?next=/orders/%3Fpage%3D2">Found</a>.
	// 401  authentication required
	// 200  hello alice
}
