package djangosession_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/djangobridge/bridge/auth"
	"github.com/djangobridge/bridge/py"

	"github.com/djangobridge/bridge/djangosession"
)

const (
	testSecret  = "djangobridge-compat-secret-key-not-for-production"
	oldSecret   = "an-old-secret-key"
	alicePW     = "pbkdf2_sha256$1000000$djangobridgesalt$aGFzaA=="
	alicePWNew  = "pbkdf2_sha256$1000000$othersalt$bmV3aGFzaA=="
	errDBString = "database is down"
)

var errDB = errors.New(errDBString)

// users is a PasswordHashFunc over a map; "db-down" fails as a database outage would.
func users(m map[string]string) auth.PasswordHashFunc {
	return func(_ context.Context, id string) (string, error) {
		if id == "db-down" {
			return "", errDB
		}
		pw, ok := m[id]
		if !ok {
			return "", djangosession.ErrNotFound
		}
		return pw, nil
	}
}

func newAuth(pw map[string]string) *auth.Manager {
	return &auth.Manager{SecretKey: testSecret, PasswordHash: users(pw)}
}

// loggedIn seeds key1 with a session logged in as id, with the given auth hash.
func loggedIn(t *testing.T, e mwEnv, id, hash string) {
	t.Helper()
	seed(t, e.st, e.cache, key1, py.DictOf(
		"cart", "x",
		auth.SessionKey, id,
		auth.BackendSessionKey, auth.ModelBackend,
		auth.HashSessionKey, hash,
	))
}

func TestGetUser(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name      string
		version   string
		id        string
		hash      string
		backend   string // "" = ModelBackend
		pw        string // alice's current password hash
		fallbacks []string
		wantUser  bool
		wantErr   error
		after     string // "kept", "flushed", "cycled"; a mismatch keeps the session (anonymous): Django's next request flushes it
	}{
		{"valid", "6.1", "1", auth.SessionAuthHash(alicePW, testSecret), "", alicePW, nil, true, nil, "kept"},
		{"password changed", "6.1", "1", auth.SessionAuthHash(alicePW, testSecret), "", alicePWNew, nil, false, nil, "kept"},
		// Hand-made: a hash that was never Django's.
		{"forged hash", "6.1", "1", "00" + auth.SessionAuthHash(alicePW, testSecret)[2:], "", alicePW, nil, false, nil, "kept"},
		{"empty hash", "6.1", "1", "", "", alicePW, nil, false, nil, "kept"},
		{"user deleted", "6.1", "2", "whatever", "", alicePW, nil, false, nil, "kept"},
		{"backend not configured", "6.1", "1", auth.SessionAuthHash(alicePW, testSecret), "myapp.Backend", alicePW, nil, false, nil, "kept"},
		{"database down", "6.1", "db-down", "x", "", alicePW, nil, false, errDB, "kept"},
		{"fallback key rotates", "6.1", "1", auth.SessionAuthHash(alicePW, oldSecret), "", alicePW, []string{oldSecret}, true, nil, "cycled"},
		{"fallback key 4.2", "4.2", "1", auth.SessionAuthHash(alicePW, oldSecret), "", alicePW, []string{oldSecret}, true, nil, "cycled"},
		{"no fallbacks in 3.2", "3.2", "1", auth.SessionAuthHash(alicePW, oldSecret), "", alicePW, []string{oldSecret}, false, nil, "kept"},
		{"legacy sha1 in 3.2", "3.2", "1", auth.LegacySessionAuthHash(alicePW, testSecret), "", alicePW, nil, true, nil, "kept"},
		{"legacy sha1 in 4.2", "4.2", "1", auth.LegacySessionAuthHash(alicePW, testSecret), "", alicePW, nil, false, nil, "kept"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newMW(t, djangosession.Config{DjangoVersion: tt.version})
			a := newAuth(map[string]string{"1": tt.pw, "db-down": ""})
			a.SecretKeyFallbacks = tt.fallbacks
			loggedIn(t, e, tt.id, tt.hash)
			if tt.backend != "" {
				s, _ := e.st.Load(ctx, key1)
				s.Set(auth.BackendSessionKey, tt.backend)
				if err := s.Save(ctx); err != nil {
					t.Fatal(err)
				}
			}
			s, err := e.st.Load(ctx, key1)
			if err != nil {
				t.Fatal(err)
			}
			u, err := a.GetUser(ctx, s)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if u.IsAuthenticated() != tt.wantUser || (tt.wantUser && u.ID != "1") {
				t.Fatalf("user = %+v, want authenticated=%v", u, tt.wantUser)
			}
			switch tt.after {
			case "kept":
				if s.Key() != key1 || s.Len() == 0 {
					t.Errorf("session changed: key %q, %d keys", s.Key(), s.Len())
				}
				stored(t, e.st, e.cache, key1)
			case "flushed":
				if s.Key() != "" || s.Len() != 0 || len(e.cache.Keys()) != 0 {
					t.Errorf("not flushed: key %q, %d keys, cache %q", s.Key(), s.Len(), e.cache.Keys())
				}
			case "cycled":
				if s.Key() == key1 || s.Key() == "" {
					t.Errorf("key not cycled: %q", s.Key())
				}
				if h, _ := s.String(auth.HashSessionKey); h != auth.SessionAuthHash(alicePW, testSecret) {
					t.Errorf("hash not rewritten with SECRET_KEY")
				}
				if v, _ := s.String("cart"); v != "x" || !s.Modified() {
					t.Errorf("data lost or session not modified")
				}
			}
		})
	}
}

func TestGetUserNeedsConfig(t *testing.T) {
	e := newMW(t, djangosession.Config{})
	s := e.st.New()
	var ce *djangosession.ConfigError
	if _, err := (&auth.Manager{SecretKey: "x"}).GetUser(context.Background(), s); !errors.As(err, &ce) {
		t.Errorf("no PasswordHash: %v", err)
	}
	if _, err := (&auth.Manager{PasswordHash: users(nil)}).GetUser(context.Background(), s); !errors.As(err, &ce) {
		t.Errorf("no SecretKey: %v", err)
	}
}

func TestLogin(t *testing.T) {
	ctx := context.Background()
	pw := map[string]string{"1": alicePW, "2": alicePWNew}
	tests := []struct {
		name     string
		version  string
		seedID   string // "" = an anonymous session with data; "-" = no session
		seedHash string
		loginAs  string
		want     string // "cycled", "flushed", "same"
	}{
		{"anonymous session is cycled", "6.1", "", "", "1", "cycled"},
		{"new session", "6.1", "-", "", "1", "cycled"},
		{"same user same hash keeps the key", "6.1", "1", auth.SessionAuthHash(alicePW, testSecret), "1", "same"},
		{"other user is flushed", "6.1", "2", auth.SessionAuthHash(alicePWNew, testSecret), "1", "flushed"},
		{"same user old hash is flushed", "6.1", "1", auth.SessionAuthHash("old", testSecret), "1", "flushed"},
		{"3.2 anonymous", "3.2", "", "", "1", "cycled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newMW(t, djangosession.Config{DjangoVersion: tt.version})
			a := newAuth(pw)
			var s *djangosession.Session
			switch tt.seedID {
			case "-":
				s = e.st.New()
			case "":
				seed(t, e.st, e.cache, key1, py.DictOf("cart", "x"))
			default:
				loggedIn(t, e, tt.seedID, tt.seedHash)
			}
			if s == nil {
				var err error
				if s, err = e.st.Load(ctx, key1); err != nil {
					t.Fatal(err)
				}
			}
			if err := a.Login(ctx, s, auth.User{ID: tt.loginAs}); err != nil {
				t.Fatal(err)
			}
			id, _ := s.String(auth.SessionKey)
			be, _ := s.String(auth.BackendSessionKey)
			h, _ := s.String(auth.HashSessionKey)
			if id != "1" || be != auth.ModelBackend || h != auth.SessionAuthHash(alicePW, testSecret) {
				t.Errorf("auth keys: %q %q %q", id, be, h)
			}
			_, hadCart := s.String("cart")
			switch tt.want {
			case "cycled":
				if s.Key() == key1 || len(s.Key()) != 32 || (tt.seedID == "" && !hadCart) {
					t.Errorf("key %q, cart kept=%v", s.Key(), hadCart)
				}
				if tt.seedID == "" {
					if _, err := e.cache.Get(ctx, e.st.CacheKey(key1)); !errors.Is(err, djangosession.ErrNotFound) {
						t.Errorf("the old key survived the cycle")
					}
				}
			case "same":
				if s.Key() != key1 || !hadCart {
					t.Errorf("key %q, cart kept=%v", s.Key(), hadCart)
				}
			case "flushed":
				if s.Key() != "" || hadCart {
					t.Errorf("key %q, cart kept=%v: another user's session was reused", s.Key(), hadCart)
				}
			}
			if err := s.Save(ctx); err != nil {
				t.Fatal(err)
			}
			u, err := a.GetUser(ctx, s)
			if err != nil || u.ID != "1" {
				t.Errorf("GetUser after Login: %+v %v", u, err)
			}
		})
	}
}

func TestLoginErrors(t *testing.T) {
	ctx := context.Background()
	e := newMW(t, djangosession.Config{})
	a := newAuth(map[string]string{"1": alicePW})
	a.AuthenticationBackends = []string{auth.ModelBackend, "other.Backend"}
	s := e.st.New()
	if err := a.Login(ctx, s, auth.User{ID: "1"}); !errors.Is(err, auth.ErrNoBackend) {
		t.Errorf("two backends, none given: %v", err)
	}
	if err := a.Login(ctx, s, auth.User{ID: "9", Backend: "other.Backend"}); !errors.Is(err, djangosession.ErrNotFound) {
		t.Errorf("unknown user: %v", err)
	}
	if err := a.Login(ctx, s, auth.User{ID: "db-down", Backend: "other.Backend"}); !errors.Is(err, errDB) {
		t.Errorf("database down: %v", err)
	}
	if err := a.Login(ctx, s, auth.User{}); err == nil {
		t.Errorf("empty user accepted")
	}
	if s.Has(auth.SessionKey) {
		t.Errorf("a failed login left auth keys")
	}
	if err := a.Login(ctx, s, auth.User{ID: "1", Backend: "other.Backend"}); err != nil {
		t.Fatal(err)
	}
	if b, _ := s.String(auth.BackendSessionKey); b != "other.Backend" {
		t.Errorf("backend %q", b)
	}
}

// Login and Logout through the middleware: the cookie follows.
func TestLoginLogoutHTTP(t *testing.T) {
	e := newMW(t, djangosession.Config{})
	a := newAuth(map[string]string{"1": alicePW})
	seed(t, e.st, e.cache, key1, py.DictOf("cart", "x"))
	rec := e.do(t, "sessionid="+key1, func(w http.ResponseWriter, r *http.Request) {
		s := mustSession(t, r)
		if err := a.Login(r.Context(), s, auth.User{ID: "1"}); err != nil {
			t.Error(err)
		}
	})
	key, _ := setCookieFor(rec)
	if len(key) != 32 || key == key1 {
		t.Fatalf("login: Set-Cookie %q", rec.Header().Values("Set-Cookie"))
	}
	var who auth.User
	e.do(t, "sessionid="+key, func(w http.ResponseWriter, r *http.Request) {
		var err error
		if who, err = a.GetUser(r.Context(), mustSession(t, r)); err != nil {
			t.Error(err)
		}
	})
	if who.ID != "1" {
		t.Fatalf("after login: %+v", who)
	}
	rec = e.do(t, "sessionid="+key, func(w http.ResponseWriter, r *http.Request) {
		if err := a.Logout(r.Context(), mustSession(t, r)); err != nil {
			t.Error(err)
		}
	})
	if got := rec.Header().Get("Set-Cookie"); got != wantDelete {
		t.Errorf("logout: Set-Cookie %q", got)
	}
	if len(e.cache.Keys()) != 0 {
		t.Errorf("logout left %q", e.cache.Keys())
	}
}

func TestUpdateSessionAuthHash(t *testing.T) {
	ctx := context.Background()
	e := newMW(t, djangosession.Config{})
	loggedIn(t, e, "1", auth.SessionAuthHash(alicePW, testSecret))
	a := newAuth(map[string]string{"1": alicePWNew})
	s, _ := e.st.Load(ctx, key1)
	if err := a.UpdateSessionAuthHash(ctx, s, alicePWNew); err != nil {
		t.Fatal(err)
	}
	if s.Key() == key1 {
		t.Error("key not cycled")
	}
	if u, err := a.GetUser(ctx, s); err != nil || u.ID != "1" {
		t.Errorf("GetUser with the new password: %+v %v", u, err)
	}
}
