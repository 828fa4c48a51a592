package auth_test

import (
	"context"
	"fmt"
	"log"

	"github.com/djangobridge/bridge/auth"
	"github.com/djangobridge/bridge/djangosession"
	"github.com/djangobridge/bridge/djangosession/djangosessiontest"
)

// Who is logged in, as Django's request.user: the password hash comes from the caller (see the
// authdb package for a database/sql lookup of auth_user.password).
func ExampleManager_GetUser() {
	ctx := context.Background()
	store, err := djangosession.NewStore(djangosession.Config{SessionEngine: djangosession.EngineCache, Cache: djangosessiontest.NewCache()})
	if err != nil {
		log.Fatal(err)
	}
	passwords := map[string]string{"42": "pbkdf2_sha256$1000000$salt$hash"}
	am := &auth.Manager{
		SecretKey: "django-insecure-example",
		PasswordHash: func(ctx context.Context, id string) (string, error) {
			if pw, ok := passwords[id]; ok {
				return pw, nil
			}
			return "", djangosession.ErrNotFound
		},
	}

	s := store.New()
	if err := am.Login(ctx, s, auth.User{ID: "42"}); err != nil {
		log.Fatal(err)
	}
	u, _ := am.GetUser(ctx, s)
	fmt.Println("logged in as", u.ID, "via", u.Backend)

	// The password is changed in Django: the session no longer authenticates. Go leaves the
	// session to Django, which flushes it on its next request.
	passwords["42"] = "pbkdf2_sha256$1000000$salt$other"
	u, _ = am.GetUser(ctx, s)
	fmt.Println("authenticated:", u.IsAuthenticated(), "session kept:", !s.IsEmpty())
	// Output:
	// logged in as 42 via django.contrib.auth.backends.ModelBackend
	// authenticated: false session kept: true
}
