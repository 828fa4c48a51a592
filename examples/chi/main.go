// Command chi is the nethttp example on the go-chi/chi router: Django's session and CSRF
// middleware are plain net/http middleware, so they go into router.Use like chi's own. It
// expects a Django project on its startproject settings: sessions in the database (SQLite,
// db.sqlite3) and the CSRF secret in the csrftoken cookie. Serve both behind the same domain,
// so that the browser sends Django's cookies here.
//
//	DJANGO_SECRET_KEY=... go run ./chi -db /path/to/db.sqlite3
//
// Routes:
//
//	GET  /whoami   the id of the logged-in Django user, or 401
//	POST /cart     (CSRF-checked) adds the form field "item" to session["cart"] and flashes a message
//	POST /logout   (CSRF-checked) logs the user out of Django too
package main

import (
	"database/sql"
	"encoding/json"
	"flag"
	"log"
	"net/http"
	"os"

	"github.com/go-chi/chi/v5"
	_ "modernc.org/sqlite" // the "sqlite" database/sql driver

	"github.com/djangobridge/bridge/auth"
	"github.com/djangobridge/bridge/auth/authdb"
	"github.com/djangobridge/bridge/csrf"
	"github.com/djangobridge/bridge/djangosession"
	"github.com/djangobridge/bridge/djangosession/dbstore"
	"github.com/djangobridge/bridge/messages"
)

func main() {
	dbPath := flag.String("db", "db.sqlite3", "path of the Django project's SQLite database")
	addr := flag.String("addr", "127.0.0.1:8001", "listen address")
	flag.Parse()
	secretKey := os.Getenv("DJANGO_SECRET_KEY") // settings.SECRET_KEY; never log it
	if secretKey == "" {
		log.Fatal("chi: set DJANGO_SECRET_KEY to the Django project's SECRET_KEY")
	}
	// mode=rw: fail rather than create an empty database; busy_timeout: wait for Django's writes.
	db, err := sql.Open("sqlite", "file:"+*dbPath+"?mode=rw&_pragma=busy_timeout(5000)")
	if err == nil {
		err = db.Ping() // mode=rw: the file must exist
	}
	if err != nil {
		log.Fatalf("chi: Django's database %s: %v (did `python manage.py migrate` make it?)", *dbPath, err)
	}
	h, err := newHandler(db, secretKey)
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("chi: listening on http://%s", *addr)
	log.Fatal(http.ListenAndServe(*addr, h))
}

// newHandler returns the service: the routes inside Django's session and CSRF middleware.
func newHandler(db *sql.DB, secretKey string) (http.Handler, error) {
	table, err := dbstore.New(db, dbstore.Options{Dialect: dbstore.SQLite})
	if err != nil {
		return nil, err
	}
	store, err := djangosession.NewStore(djangosession.Config{
		SessionEngine: djangosession.EngineDB, // Django's default SESSION_ENGINE
		DB:            table,
		SecretKey:     secretKey,
		DjangoVersion: djangosession.Django52,
	})
	if err != nil {
		return nil, err
	}
	sessions := &djangosession.Middleware{Store: store}    // SESSION_COOKIE_*: Django's defaults
	cs, err := csrf.New(csrf.Config{DjangoVersion: "5.2"}) // CSRF_*: Django's defaults
	if err != nil {
		return nil, err
	}
	am, err := newAuth(db, secretKey)
	if err != nil {
		return nil, err
	}

	router := chi.NewRouter()
	// Django's order: SessionMiddleware, then CsrfViewMiddleware, then the views.
	router.Use(sessions.Handler, cs.Handler)
	router.Get("/whoami", func(w http.ResponseWriter, r *http.Request) {
		user, ok := currentUser(am, w, r)
		if !ok {
			return
		}
		if !user.IsAuthenticated() {
			writeJSON(w, http.StatusUnauthorized, map[string]any{"error": "not logged in"})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"user_id": user.ID})
	})
	router.Post("/cart", func(w http.ResponseWriter, r *http.Request) {
		item := r.PostFormValue("item")
		if item == "" || len(item) > 100 {
			writeJSON(w, http.StatusBadRequest, map[string]any{"error": "item: 1 to 100 bytes"})
			return
		}
		s, err := djangosession.FromContext(r.Context())
		if err != nil {
			return // the middleware answers (500)
		}
		cart, _ := s.Get("cart") // a Python list is a []any
		items, _ := cart.([]any)
		items = append(items, item)
		s.Set("cart", items) // saved by the middleware; Django reads request.session["cart"]
		// Django shows it on its next page with MESSAGE_STORAGE = SessionStorage (README.md).
		err = messages.Add(s, messages.Message{Level: messages.Info, Message: "Added " + item + " to your cart."})
		if err != nil {
			serverError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"cart": items})
	})
	router.Post("/logout", func(w http.ResponseWriter, r *http.Request) {
		s, err := djangosession.FromContext(r.Context())
		if err != nil {
			return
		}
		if err := am.Logout(r.Context(), s); err != nil { // the user is logged out of Django too
			serverError(w, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	return router, nil
}

// newAuth is django.contrib.auth's session side, reading password hashes from auth_user.
func newAuth(db *sql.DB, secretKey string) (*auth.Manager, error) {
	pw, err := authdb.NewPasswordHashFunc(db, authdb.Options{}) // auth_user, "?" placeholders
	if err != nil {
		return nil, err
	}
	return &auth.Manager{SecretKey: secretKey, PasswordHash: pw}, nil
}

// currentUser is request.user: the zero auth.User for an anonymous visitor. When ok is false
// the response has been written.
func currentUser(am *auth.Manager, w http.ResponseWriter, r *http.Request) (user auth.User, ok bool) {
	s, err := djangosession.FromContext(r.Context())
	if err != nil {
		return auth.User{}, false // the middleware answers (500)
	}
	user, err = am.GetUser(r.Context(), s)
	if err != nil { // the database failed: not the same as "logged out"
		serverError(w, err)
		return auth.User{}, false
	}
	return user, true
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// serverError logs err (the library's errors never hold a session key or a secret) and answers
// 500 without details.
func serverError(w http.ResponseWriter, err error) {
	log.Print(err)
	http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
}
