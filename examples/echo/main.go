// Command echo is the nethttp example on labstack/echo v4. Django's session and CSRF middleware
// are net/http middleware: echo.WrapMiddleware turns each into an echo middleware for e.Use.
// Handlers reach the session through c.Request().Context(), and write their own responses,
// errors included: an error a handler returns reaches echo's HTTPErrorHandler only after the
// wrapped middleware has returned, when the session has been saved as for a 200. It expects a
// Django project on its startproject settings: sessions in the database (SQLite, db.sqlite3)
// and the CSRF secret in the csrftoken cookie. Serve both behind the same domain, so that the
// browser sends Django's cookies here.
//
//	DJANGO_SECRET_KEY=... go run ./echo -db /path/to/db.sqlite3
//
// Routes:
//
//	GET  /whoami   the id of the logged-in Django user, or 401
//	POST /cart     (CSRF-checked) adds the form field "item" to session["cart"] and flashes a message
//	POST /logout   (CSRF-checked) logs the user out of Django too
package main

import (
	"database/sql"
	"flag"
	"log"
	"net/http"
	"os"

	"github.com/labstack/echo/v4"
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
		log.Fatal("echo: set DJANGO_SECRET_KEY to the Django project's SECRET_KEY")
	}
	// mode=rw: fail rather than create an empty database; busy_timeout: wait for Django's writes.
	db, err := sql.Open("sqlite", "file:"+*dbPath+"?mode=rw&_pragma=busy_timeout(5000)")
	if err == nil {
		err = db.Ping() // mode=rw: the file must exist
	}
	if err != nil {
		log.Fatalf("echo: Django's database %s: %v (did `python manage.py migrate` make it?)", *dbPath, err)
	}
	h, err := newHandler(db, secretKey)
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("echo: listening on http://%s", *addr)
	log.Fatal(http.ListenAndServe(*addr, h))
}

// newHandler returns the service: echo with Django's session and CSRF middleware.
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

	e := echo.New()
	// Django's order: SessionMiddleware, then CsrfViewMiddleware, then the views.
	e.Use(echo.WrapMiddleware(sessions.Handler), echo.WrapMiddleware(cs.Handler))
	e.GET("/whoami", func(c echo.Context) error {
		user, ok := currentUser(am, c)
		if !ok {
			return nil
		}
		if !user.IsAuthenticated() {
			return c.JSON(http.StatusUnauthorized, map[string]any{"error": "not logged in"})
		}
		return c.JSON(http.StatusOK, map[string]any{"user_id": user.ID})
	})
	e.POST("/cart", func(c echo.Context) error {
		item := c.FormValue("item")
		if item == "" || len(item) > 100 {
			return c.JSON(http.StatusBadRequest, map[string]any{"error": "item: 1 to 100 bytes"})
		}
		s, err := djangosession.FromContext(c.Request().Context())
		if err != nil {
			return nil // the middleware answers (500)
		}
		cart, _ := s.Get("cart") // a Python list is a []any
		items, _ := cart.([]any)
		items = append(items, item)
		s.Set("cart", items) // saved by the middleware; Django reads request.session["cart"]
		// Django shows it on its next page with MESSAGE_STORAGE = SessionStorage (README.md).
		err = messages.Add(s, messages.Message{Level: messages.Info, Message: "Added " + item + " to your cart."})
		if err != nil {
			return serverError(c, err)
		}
		return c.JSON(http.StatusOK, map[string]any{"cart": items})
	})
	e.POST("/logout", func(c echo.Context) error {
		s, err := djangosession.FromContext(c.Request().Context())
		if err != nil {
			return nil
		}
		if err := am.Logout(c.Request().Context(), s); err != nil { // the user is logged out of Django too
			return serverError(c, err)
		}
		return c.NoContent(http.StatusNoContent)
	})
	return e, nil
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
func currentUser(am *auth.Manager, c echo.Context) (user auth.User, ok bool) {
	s, err := djangosession.FromContext(c.Request().Context())
	if err != nil {
		return auth.User{}, false // the middleware answers (500)
	}
	user, err = am.GetUser(c.Request().Context(), s)
	if err != nil { // the database failed: not the same as "logged out"
		_ = serverError(c, err)
		return auth.User{}, false
	}
	return user, true
}

// serverError logs err (the library's errors never hold a session key or a secret) and answers
// 500 without details. It writes the response itself rather than return err to echo (see the
// package doc).
func serverError(c echo.Context, err error) error {
	log.Print(err)
	return c.String(http.StatusInternalServerError, http.StatusText(http.StatusInternalServerError))
}
