package authdb_test

import (
	"database/sql"
	"errors"
	"log"
	"net/http"

	"github.com/djangobridge/bridge/auth"
	"github.com/djangobridge/bridge/auth/authdb"
	"github.com/djangobridge/bridge/auth/hashers/xhashers"
	"github.com/djangobridge/bridge/djangosession"
)

// A Go login form next to a Django 5.2 site on PostgreSQL: Authenticate checks the password
// against auth_user.password (upgrading the hash when Django would), Login writes the session
// Django reads and sets last_login. db comes from sql.Open with the driver of your choice.
func ExampleUsers_Authenticate() {
	var db *sql.DB // sql.Open("pgx", ...)
	hs, err := xhashers.Default("5.2")
	if err != nil {
		log.Fatal(err)
	}
	users, err := authdb.NewUsers(db, authdb.UserOptions{Options: authdb.Options{Placeholder: "$1"}, Hashers: hs})
	if err != nil {
		log.Fatal(err)
	}
	am := &auth.Manager{SecretKey: "your SECRET_KEY", Users: users}

	_ = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, err := users.Authenticate(r.Context(), r.PostFormValue("username"), r.PostFormValue("password"))
		if errors.Is(err, authdb.ErrBadCredentials) {
			http.Error(w, "Please enter a correct username and password.", http.StatusOK)
			return
		}
		if err != nil {
			http.Error(w, "try again later", http.StatusServiceUnavailable)
			return
		}
		s, err := djangosession.FromContext(r.Context())
		if err != nil {
			return
		}
		if err := am.Login(r.Context(), s, u); err != nil {
			http.Error(w, "try again later", http.StatusServiceUnavailable)
			return
		}
		ok, _ := users.HasPerm(r.Context(), u, "shop.change_order")
		_ = ok
		http.Redirect(w, r, "/", http.StatusFound)
	})
}
