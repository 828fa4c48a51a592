package compattest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql" // test-only drivers
	_ "github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"

	"github.com/djangobridge/bridge/auth"
	"github.com/djangobridge/bridge/auth/authdb"
	"github.com/djangobridge/bridge/auth/hashers"
	"github.com/djangobridge/bridge/auth/hashers/xhashers"
	"github.com/djangobridge/bridge/djangosession"
	"github.com/djangobridge/bridge/internal/pybridge"
)

// Users as Django sees them, on every Django version and on SQLite, PostgreSQL and MariaDB:
// Django (ORM, in the bridge's own database) makes users, groups and permissions; Go reads
// each user with the same fields, computes the same permission set as get_all_permissions()
// and the same has_perm answers, checks passwords Django set, upgrades hashes where Django
// would (and Django then accepts them without upgrading again), and a Go Login makes a
// session Django's get_user accepts, with last_login updated.

// djangoUser is users_ops.py's _info.
type djangoUser struct {
	ID          string          `json:"pk"`
	Username    string          `json:"username"`
	FirstName   string          `json:"first_name"`
	LastName    string          `json:"last_name"`
	Email       string          `json:"email"`
	IsStaff     bool            `json:"is_staff"`
	IsActive    bool            `json:"is_active"`
	IsSuperuser bool            `json:"is_superuser"`
	LastLogin   *string         `json:"last_login"`
	DateJoined  string          `json:"date_joined"`
	Perms       []string        `json:"perms"`
	HasPerm     map[string]bool `json:"has_perm"`
	Password    string          `json:"password_hash"`
}

var probePerms = []string{"auth.view_group", "auth.change_group", "sessions.view_session",
	"contenttypes.view_contenttype", "auth.add_permission", "nosuch.perm"}

func usersSeed(custom bool) map[string]any {
	cheap := func(class string, attrs map[string]any) map[string]any {
		return map[string]any{"class": class, "attrs": attrs}
	}
	seed := map[string]any{
		"groups": []any{
			map[string]any{"name": "editors", "perms": []string{"auth.change_group", "sessions.view_session"}},
			map[string]any{"name": "viewers", "perms": []string{"auth.view_group", "sessions.view_session"}},
		},
		"users": []any{
			map[string]any{"username": "alice", "password": "wonderland", "email": "alice@example.com",
				"first_name": "Alice", "last_name": "Liddell", "is_staff": true,
				"groups": []string{"editors", "viewers"}, "perms": []string{"contenttypes.view_contenttype"}},
			map[string]any{"username": "root", "password": "s3cret-root", "is_superuser": true, "is_staff": true},
			map[string]any{"username": "carol", "password": "inactive-pw", "is_active": false,
				"groups": []string{"editors"}},
			map[string]any{"username": "dave", "password": "pbkdf2-cheap", "first_name": "Dävé ☃",
				"hasher": cheap("PBKDF2PasswordHasher", map[string]any{"iterations": 1000})},
			map[string]any{"username": "erin", "password": "argon2-cheap",
				"hasher": cheap("Argon2PasswordHasher", map[string]any{"time_cost": 1, "memory_cost": 64, "parallelism": 1})},
			map[string]any{"username": "frank", "password": "bcrypt-cheap",
				"hasher": cheap("BCryptSHA256PasswordHasher", map[string]any{"rounds": 4})},
			map[string]any{"username": "gina", "password": "md5-legacy",
				"hasher": cheap("MD5PasswordHasher", nil)},
		},
		"has_perm": probePerms,
	}
	if custom { // email is USERNAME_FIELD, unique
		for _, u := range seed["users"].([]any) {
			m := u.(map[string]any)
			m["email"] = m["username"].(string) + "@example.com"
		}
	}
	return seed
}

// goDB opens the bridge's database with a Go driver: the same server and credentials as the
// URL the bridge got, the database it made.
func goDB(t *testing.T, b *pybridge.Bridge, rawURL string) (*sql.DB, string) {
	t.Helper()
	info := b.Info.Database
	var driver, dsn, ph string
	switch info.Vendor {
	case "sqlite":
		driver, dsn, ph = "sqlite", info.Name+"?_pragma=busy_timeout(10000)", "?"
	case "postgresql":
		u, err := url.Parse(rawURL)
		if err != nil {
			t.Fatal("DJANGOBRIDGE_POSTGRES is not a URL") // never print it: it holds a password
		}
		u.Path = "/" + info.Name
		driver, dsn, ph = "pgx", u.String(), "$1"
	case "mysql":
		u, err := url.Parse(rawURL)
		if err != nil {
			t.Fatal("DJANGOBRIDGE_MYSQL is not a URL")
		}
		pw, _ := u.User.Password()
		driver, dsn, ph = "mysql", fmt.Sprintf("%s:%s@tcp(%s)/%s", u.User.Username(), pw, u.Host, info.Name), "?"
	default:
		t.Fatalf("bridge database vendor %q", info.Vendor)
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatalf("sql.Open(%s): %v", driver, err)
	}
	t.Cleanup(func() { db.Close() })
	return db, ph
}

func TestLiveUsers(t *testing.T) {
	pybridge.RequireServers(t)
	dbs := pybridge.RequireDatabases(t)
	sqliteDir := t.TempDir()
	for _, v := range pybridge.Versions() {
		t.Run("django-"+v, func(t *testing.T) {
			for _, db := range []struct{ name, url string }{
				{"sqlite", "sqlite:///" + filepath.Join(sqliteDir, "django-"+v+".sqlite3")},
				{"postgres", dbs.Postgres},
				{"mysql", dbs.MySQL},
			} {
				t.Run(db.name, func(t *testing.T) { checkUsers(t, v, db.url, false) })
				if db.name == "sqlite" {
					db.url = "sqlite:///" + filepath.Join(sqliteDir, "django-"+v+"-members.sqlite3")
				}
				t.Run(db.name+"/custom user model", func(t *testing.T) { checkUsers(t, v, db.url, true) })
			}
		})
	}
}

// checkUsers runs on auth.User, or (custom) on compat_test/djproject/members' Member: a UUID
// primary key, email as USERNAME_FIELD, table members_member.
func checkUsers(t *testing.T, djangoID, dbURL string, custom bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	env := []string{"DJANGOBRIDGE_DB_URL=" + dbURL}
	key := func(username string) string { return username } // the natural key
	if custom {
		env = append(env, "DJANGOBRIDGE_AUTH_USER_MODEL=members.Member")
		key = func(username string) string { return username + "@example.com" }
	}
	b, err := pybridge.StartEnv(ctx, djangoID, env)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var seeded struct {
		Users map[string]djangoUser `json:"users"`
	}
	if err := b.Call(ctx, "users_seed", usersSeed(custom), &seeded); err != nil {
		t.Fatal(err)
	}
	db, ph := goDB(t, b, dbURL)
	hs, err := xhashers.Default(djangoID)
	if err != nil {
		t.Fatal(err)
	}
	legacy, _ := hashers.Legacy(djangoID)
	opts := authdb.UserOptions{Options: authdb.Options{Placeholder: ph}, Hashers: append(hs, legacy...)}
	if custom {
		opts.Table, opts.UUIDPrimaryKey, opts.UsernameColumn = "members_member", true, "email"
		opts.UserPermissionsTable, opts.UserGroupsTable = "members_member_user_permissions", "members_member_groups"
		opts.M2MUserColumn = "member_id"
	}
	users, err := authdb.NewUsers(db, opts)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("GetUser fields and permissions", func(t *testing.T) {
		for name, d := range seeded.Users {
			u, err := users.GetUser(ctx, d.ID)
			if !d.IsActive {
				if !errors.Is(err, auth.ErrNotFound) {
					t.Errorf("%s (inactive): GetUser = %v, %v; Django's get_user returns None", name, u, err)
				}
				// AllowAllUsersModelBackend: found, inactive, without permissions.
				allOpts := opts
				allOpts.AllowAllUsers = true
				all, _ := authdb.NewUsers(db, allOpts)
				if u, err = all.GetUser(ctx, d.ID); err != nil {
					t.Fatalf("%s with AllowAllUsers: %v", name, err)
				}
				var dj struct {
					OK bool `json:"ok"`
				}
				allow := map[string]any{"AUTHENTICATION_BACKENDS": []string{"django.contrib.auth.backends.AllowAllUsersModelBackend"}}
				if err := b.Call(ctx, "users_authenticate", map[string]any{"username": key(name), "password": "inactive-pw", "settings": allow}, &dj); err != nil {
					t.Fatal(err)
				}
				if _, err := all.Authenticate(ctx, key(name), "inactive-pw"); (err == nil) != dj.OK {
					t.Errorf("%s: Authenticate with AllowAllUsers: %v; Django's authenticate ok=%v", name, err, dj.OK)
				}
			} else if err != nil {
				t.Fatalf("%s: GetUser: %v", name, err)
			}
			compareUser(t, name, u, d)
			perms, err := users.AllPermissions(ctx, u)
			if err != nil {
				t.Fatal(err)
			}
			if perms == nil {
				perms = []string{}
			}
			if !reflect.DeepEqual(perms, d.Perms) && !(len(perms) == 0 && len(d.Perms) == 0) {
				t.Errorf("%s: AllPermissions = %v, Django get_all_permissions() = %v", name, perms, d.Perms)
			}
			for _, p := range probePerms {
				got, err := users.HasPerm(ctx, u, p)
				if err != nil || got != d.HasPerm[p] {
					t.Errorf("%s: HasPerm(%s) = %v, %v; Django %v", name, p, got, err, d.HasPerm[p])
				}
			}
		}
		if _, err := users.GetUser(ctx, "999999"); !errors.Is(err, auth.ErrNotFound) {
			t.Errorf("missing user: %v", err)
		}
		if _, err := users.GetUser(ctx, "abc"); !errors.Is(err, auth.ErrNotFound) {
			t.Errorf("non-integer id: %v", err)
		}
		if custom {
			if _, err := users.GetUser(ctx, "0b9c6a2e-6b1f-4c1a-9f5e-2d7c1e0a9b8f"); !errors.Is(err, auth.ErrNotFound) {
				t.Errorf("missing UUID: %v", err)
			}
		}
	})

	t.Run("Authenticate", func(t *testing.T) {
		for _, c := range []struct{ user, pw string }{
			{"alice", "wonderland!"}, {"nobody", "x"}, {"carol", "inactive-pw"},
		} {
			if _, err := users.Authenticate(ctx, key(c.user), c.pw); !errors.Is(err, authdb.ErrBadCredentials) {
				t.Errorf("Authenticate(%s, wrong) = %v, want ErrBadCredentials", c.user, err)
			}
		}
		u, err := users.Authenticate(ctx, key("alice"), "wonderland")
		if err != nil || u.ID != seeded.Users["alice"].ID {
			t.Fatalf("Authenticate(alice) = %v, %v", u.ID, err)
		}
		if u.PasswordHash != seeded.Users["alice"].Password {
			t.Errorf("alice's hash (the version's default) was rewritten")
		}
		// Hashes Django would upgrade: Go upgrades them to the version's default; Django then
		// accepts the new hash and leaves it alone.
		for _, c := range []struct{ user, pw string }{
			{"dave", "pbkdf2-cheap"}, {"erin", "argon2-cheap"}, {"frank", "bcrypt-cheap"}, {"gina", "md5-legacy"},
		} {
			before := seeded.Users[c.user].Password
			u, err := users.Authenticate(ctx, key(c.user), c.pw)
			if err != nil {
				t.Errorf("Authenticate(%s): %v", c.user, err)
				continue
			}
			n, _ := hashers.Iterations(djangoID)
			if u.PasswordHash == before || !strings.HasPrefix(u.PasswordHash, fmt.Sprintf("pbkdf2_sha256$%d$", n)) {
				t.Errorf("%s: hash not upgraded to pbkdf2_sha256 with %d iterations", c.user, n)
			}
			var after struct {
				OK       bool   `json:"ok"`
				Password string `json:"password_hash"`
			}
			if err := b.Call(ctx, "users_authenticate", map[string]any{"username": key(c.user), "password": c.pw}, &after); err != nil {
				t.Fatal(err)
			}
			if !after.OK || after.Password != u.PasswordHash {
				t.Errorf("%s: Django's authenticate after Go's upgrade: ok=%v, hash changed again=%v", c.user, after.OK, after.Password != u.PasswordHash)
			}
		}
	})

	t.Run("Go Login, Django get_user and last_login", func(t *testing.T) {
		config := "redis"
		if !slices.Contains(b.Info.Configs, "redis") {
			config = "pymemcache"
		}
		store := storeForConfig(t, b, config, func(*djangosession.Config) {})
		now := time.Now().UTC().Truncate(time.Microsecond)
		m := &auth.Manager{SecretKey: liveSecretKey(), Users: users, Now: func() time.Time { return now }}
		u, err := users.GetUser(ctx, seeded.Users["alice"].ID)
		if err != nil {
			t.Fatal(err)
		}
		s := store.New()
		if err := m.Login(ctx, s, u); err != nil {
			t.Fatal(err)
		}
		if err := s.Save(ctx); err != nil {
			t.Fatal(err)
		}
		e := &httpLiveEnv{b: b, config: config}
		if got := e.djangoUser(t, s.Key()); got != u.ID {
			t.Fatalf("Django get_user after a Go Login = %q, want %s", got, u.ID)
		}
		var info djangoUser
		if err := b.Call(ctx, "users_info", map[string]any{"username": key("alice")}, &info); err != nil {
			t.Fatal(err)
		}
		if info.LastLogin == nil || !sameTime(t, *info.LastLogin, now) {
			t.Errorf("Django's last_login = %v, want %s", info.LastLogin, now.Format(time.RFC3339Nano))
		}
		got, err := m.GetUser(ctx, s)
		if err != nil || got.ID != u.ID || !got.LastLogin.Equal(now) || got.Username != key("alice") {
			t.Errorf("Go GetUser after Login: %#v, last_login %v, %v", got, got.LastLogin, err)
		}
	})
}

func sameTime(t *testing.T, iso string, want time.Time) bool {
	t.Helper()
	got, err := time.Parse(time.RFC3339Nano, iso)
	if err != nil {
		t.Fatalf("Django time %q: %v", iso, err)
	}
	return got.Equal(want)
}

func compareUser(t *testing.T, name string, u auth.User, d djangoUser) {
	t.Helper()
	if u.ID != d.ID || u.Username != d.Username || u.FirstName != d.FirstName || u.LastName != d.LastName ||
		u.Email != d.Email || u.IsStaff != d.IsStaff || u.IsActive != d.IsActive || u.IsSuperuser != d.IsSuperuser ||
		u.PasswordHash != d.Password {
		t.Errorf("%s: Go %#v differs from Django's %s/%q/%q/%q/staff=%v/active=%v/super=%v (or the password hash)",
			name, u, d.ID, d.Username, d.FirstName, d.Email, d.IsStaff, d.IsActive, d.IsSuperuser)
	}
	if !sameTime(t, d.DateJoined, u.DateJoined) {
		t.Errorf("%s: date_joined Go %s, Django %s", name, u.DateJoined.Format(time.RFC3339Nano), d.DateJoined)
	}
	if (d.LastLogin == nil) != u.LastLogin.IsZero() {
		t.Errorf("%s: last_login Go %v, Django %v", name, u.LastLogin, d.LastLogin)
	}
}

// LoginRequired's redirect equals login_required's (redirect_to_login) in every Django version.
func TestLiveLoginRedirect(t *testing.T) {
	pybridge.RequireServers(t)
	pybridge.ForEachVersion(t, func(t *testing.T, b *pybridge.Bridge) {
		cases := []struct {
			path, loginURL, field string
			secure                bool
		}{
			{"/orders/", "", "", false},
			{"/orders/?page=2&sort=-date", "", "", false},
			{"/caf%C3%A9/a%20b/", "/login/", "", false},
			{"/a/?q=%E2%82%AC&x=1+2&y=a%26b", "/login/?source=app", "", false},
			{"/x/~y/(z)*/", "/accounts/login/", "return_to", true},
			{"/deep/path/?next=/evil", "https://sso.example.com/login/", "", true},
			{"/deep/path/", "http://testserver/login/", "", false},
			{"/deep/path/", "//other.example/login/", "", false},
		}
		for _, c := range cases {
			req := map[string]any{"path": c.path, "secure": c.secure}
			if c.loginURL != "" {
				req["login_url"] = c.loginURL
			} else {
				req["settings"] = map[string]any{"LOGIN_URL": auth.DefaultLoginURL} // the project sets "/login/"
			}
			if c.field != "" {
				req["redirect_field_name"] = c.field
			}
			var resp struct {
				Status   int    `json:"status"`
				Location string `json:"location"`
			}
			if err := b.Call(context.Background(), "redirect_to_login", req, &resp); err != nil {
				t.Fatal(err)
			}
			scheme := "http"
			if c.secure {
				scheme = "https"
			}
			r := httptest.NewRequest("GET", scheme+"://testserver"+c.path, nil)
			if !c.secure {
				r.TLS = nil
			}
			w := httptest.NewRecorder()
			lr := auth.LoginRequired{LoginURL: c.loginURL, RedirectFieldName: c.field}
			lr.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { t.Error("anonymous request passed") })).ServeHTTP(w, r)
			if w.Code != resp.Status || w.Header().Get("Location") != resp.Location {
				t.Errorf("%s (LOGIN_URL %q): Go %d %q, Django %d %q", c.path, c.loginURL, w.Code, w.Header().Get("Location"), resp.Status, resp.Location)
			}
		}
	})
}
