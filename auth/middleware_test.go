package auth_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/djangobridge/bridge/auth"
	"github.com/djangobridge/bridge/djangosession"
	"github.com/djangobridge/bridge/djangosession/djangosessiontest"
)

type memUsers map[string]auth.User

func (m memUsers) GetUser(_ context.Context, id string) (auth.User, error) {
	if u, ok := m[id]; ok {
		return u, nil
	}
	if id == "down" {
		return auth.User{}, errors.New("connection refused")
	}
	return auth.User{}, auth.ErrNotFound
}

func TestMiddlewareAndLoginRequired(t *testing.T) {
	ctx := context.Background()
	store, err := djangosession.NewStore(djangosession.Config{SessionEngine: djangosession.EngineCache, Cache: djangosessiontest.NewCache()})
	if err != nil {
		t.Fatal(err)
	}
	users := memUsers{"7": {Username: "alice", IsActive: true, IsStaff: false, PasswordHash: "pbkdf2_sha256$1$s$h"}}
	m := &auth.Manager{SecretKey: "k", Users: users}
	s := store.New()
	if err := m.Login(ctx, s, auth.User{ID: "7"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Save(ctx); err != nil {
		t.Fatal(err)
	}
	down := store.New()
	down.Set(auth.SessionKey, "down")
	down.Set(auth.BackendSessionKey, auth.ModelBackend)
	if err := down.Save(ctx); err != nil {
		t.Fatal(err)
	}

	page := func(w http.ResponseWriter, r *http.Request) {
		u, ok := auth.UserFromContext(r.Context())
		if !ok {
			t.Error("no user in the context")
		}
		w.Write([]byte("hello " + u.String()))
	}
	mw := &djangosession.Middleware{Store: store}
	lr := auth.LoginRequired{API: func(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/api/") }}
	h := mw.Handler(m.Middleware(lr.Handler(http.HandlerFunc(page)), nil))
	staff := mw.Handler(m.Middleware(auth.LoginRequired{Test: func(u auth.User) bool { return u.IsStaff }}.Handler(http.HandlerFunc(page)), nil))

	tests := []struct {
		name   string
		h      http.Handler
		path   string
		cookie string
		code   int
		body   string
		loc    string
	}{
		{"logged in", h, "/orders/", s.Key(), 200, "hello alice", ""},
		{"anonymous page", h, "/orders/?p=1", "", 302, "", "/accounts/login/?next=/orders/%3Fp%3D1"},
		{"anonymous API", h, "/api/orders", "", 401, "authentication required\n", ""},
		{"unknown cookie", h, "/orders/", "nosuchsessionkeyxxxxxxxxxxxxxxxx", 302, "", "/accounts/login/?next=/orders/"},
		{"database down", h, "/orders/", down.Key(), 500, "auth: cannot load the user\n", ""},
		{"not staff", staff, "/admin/", s.Key(), 302, "", "/accounts/login/?next=/admin/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", tt.path, nil)
			if tt.cookie != "" {
				r.AddCookie(&http.Cookie{Name: "sessionid", Value: tt.cookie})
			}
			w := httptest.NewRecorder()
			tt.h.ServeHTTP(w, r)
			if w.Code != tt.code || (tt.body != "" && w.Body.String() != tt.body) || w.Header().Get("Location") != tt.loc {
				t.Errorf("%d %q Location %q; want %d %q %q", w.Code, w.Body.String(), w.Header().Get("Location"), tt.code, tt.body, tt.loc)
			}
		})
	}
	if u, ok := auth.UserFromContext(ctx); ok || u.IsAuthenticated() {
		t.Error("UserFromContext outside the middleware")
	}
}

func TestUserNeverPrintsPasswordHash(t *testing.T) {
	u := auth.User{ID: "1", Username: "alice", PasswordHash: "pbkdf2_sha256$1$salt$SECRETHASH"}
	for _, f := range []string{"%v", "%+v", "%#v", "%s"} {
		if got := fmt.Sprintf(f, u); strings.Contains(got, "SECRETHASH") {
			t.Errorf("%s prints the hash: %s", f, got)
		}
	}
	if (auth.User{}).String() != "AnonymousUser" {
		t.Error("anonymous String")
	}
}
