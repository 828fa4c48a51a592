package compattest

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"

	"github.com/djangobridge/bridge/auth"
	"github.com/djangobridge/bridge/auth/authdb"
	"github.com/djangobridge/bridge/djangosession"
	"github.com/djangobridge/bridge/djangosession/dbstore"
	"github.com/djangobridge/bridge/internal/pybridge"
	"github.com/djangobridge/bridge/internal/tagged"
	"github.com/djangobridge/bridge/py"
)

// TestLiveEngines runs every session engine Django ships against a real Django, for every
// Django version and every database the db engines run on (SQLite, PostgreSQL, MariaDB), in
// both directions: Django logs in and Go sees the user; Go changes the session and Django sees
// the change, the other values unchanged; Go logs a user in and Django accepts the cookie;
// Django logs out and Go sees an anonymous user; an expired row, file or cookie is anonymous
// on both sides; Go's ClearExpired and Django's clearsessions remove the same sessions; and
// under cached_db a cache copy evicted behind Django's back loses nothing on either side.
func TestLiveEngines(t *testing.T) {
	if testing.Short() {
		t.Skip("live test (needs the Django venvs and the test servers): skipped under -short")
	}
	pybridge.RequireServers(t)
	dbs := pybridge.RequireDatabases(t)
	for _, v := range pybridge.Versions() {
		t.Run("django-"+v, func(t *testing.T) {
			for _, db := range []struct{ name, url string }{
				{"sqlite", ""},
				{"postgres", dbs.Postgres},
				{"mysql", dbs.MySQL},
			} {
				t.Run(db.name, func(t *testing.T) {
					t.Parallel()
					env := startEngineBridge(t, v, db.url)
					engines := []string{"db", "cached_db"}
					if db.name == "sqlite" {
						// The file and signed-cookie engines do not touch the database: once
						// per version is enough.
						engines = append(engines, "file", "signed_cookies")
					}
					for _, engine := range engines {
						t.Run(engine, func(t *testing.T) { env.run(t, engine) })
					}
				})
				// USE_TZ = False: expire_date holds naive local times in TIME_ZONE (a zone with
				// DST, east of UTC, so that a UTC-for-local mix-up would show).
				t.Run(db.name+"/USE_TZ=False", func(t *testing.T) {
					t.Parallel()
					env := startEngineBridge(t, v, db.url, "DJANGOBRIDGE_USE_TZ=0", "DJANGOBRIDGE_TIME_ZONE="+naiveZone)
					t.Run("db", func(t *testing.T) { env.run(t, "db") })
				})
			}
		})
	}
}

// engineEnv is one bridge (one Django version on one database) and what Go needs to share its
// sessions: the same database, the same cache, the same SESSION_FILE_PATH and SECRET_KEY.
// naiveZone is TIME_ZONE of the USE_TZ = False runs.
const naiveZone = "Europe/Paris"

type engineEnv struct {
	b      *pybridge.Bridge
	config string // the cache of cached_db: Redis, or memcached on Django 3.2 (no RedisCache)
	naive  bool   // USE_TZ = False, TIME_ZONE naiveZone
	db     *sql.DB
	tbl    *dbstore.Table
	auth   *auth.Manager
}

func startEngineBridge(t *testing.T, djangoID, baseURL string, extraEnv ...string) *engineEnv {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	env := append([]string(nil), extraEnv...)
	naive := slices.Contains(extraEnv, "DJANGOBRIDGE_USE_TZ=0")
	if baseURL != "" {
		env = append(env, "DJANGOBRIDGE_DB_URL="+baseURL)
	} else {
		env = append(env, "DJANGOBRIDGE_DB_URL=sqlite:///"+filepath.Join(t.TempDir(), "django.sqlite3"))
	}
	b, err := pybridge.StartEnv(ctx, djangoID, env)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	db, dialect := openBridgeDatabase(t, b.Info.Database, baseURL)
	tbl, err := dbstore.New(db, dbstore.Options{Dialect: dialect, DisableUseTZ: naive, TimeZone: naiveZone})
	if err != nil {
		t.Fatal(err)
	}
	ph := "?"
	if dialect == dbstore.Postgres {
		ph = "$1"
	}
	pw, err := authdb.NewPasswordHashFunc(db, authdb.Options{Placeholder: ph})
	if err != nil {
		t.Fatal(err)
	}
	config := "redis"
	if !slices.Contains(b.Info.Configs, config) {
		config = "pymemcache"
	}
	return &engineEnv{b: b, config: config, naive: naive, db: db, tbl: tbl, auth: &auth.Manager{SecretKey: liveSecretKey(), PasswordHash: pw}}
}

// openBridgeDatabase opens the database the bridge migrated: its SQLite file, or its own
// database on the server of baseURL (whose credentials the bridge does not report).
func openBridgeDatabase(t *testing.T, d pybridge.Database, baseURL string) (*sql.DB, dbstore.Dialect) {
	t.Helper()
	var driver, dsn string
	var dialect dbstore.Dialect
	switch d.Vendor {
	case "sqlite":
		driver, dsn, dialect = "sqlite", d.Name, dbstore.SQLite
	case "postgresql", "mysql":
		u, err := url.Parse(baseURL)
		if err != nil {
			t.Fatal(err)
		}
		pass, _ := u.User.Password()
		if d.Vendor == "postgresql" {
			u.Path = "/" + d.Name
			driver, dsn, dialect = "pgx", u.String(), dbstore.Postgres
		} else {
			driver, dsn, dialect = "mysql", u.User.Username()+":"+pass+"@tcp("+u.Host+")/"+d.Name, dbstore.MySQL
		}
	default:
		t.Fatalf("bridge database vendor %q", d.Vendor)
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, dialect
}

// store is the Go Store for engine, configured as the bridge's Django.
func (e *engineEnv) store(t *testing.T, engine string, edit func(*djangosession.Config)) *djangosession.Store {
	t.Helper()
	return storeForConfig(t, e.b, e.config, func(c *djangosession.Config) {
		c.SessionEngine = engine
		c.DB = e.tbl
		c.SecretKey = liveSecretKey()
		c.SessionFilePath = e.b.Info.SessionFilePath
		if e.naive {
			c.DisableUseTZ, c.TimeZone = true, naiveZone
		}
		if edit != nil {
			edit(c)
		}
	})
}

// engineResp is what the bridge's session ops answer.
type engineResp struct {
	SessionKey *string         `json:"session_key"`
	Exists     bool            `json:"exists"`
	Data       json.RawMessage `json:"data"`
	UserID     *string         `json:"user_id"`
	File       *string         `json:"file"`
	Removed    *int            `json:"removed"`
}

func (r engineResp) key(t *testing.T) string {
	t.Helper()
	if r.SessionKey == nil || *r.SessionKey == "" {
		t.Fatalf("Django answered no session key: %+v", r)
	}
	return *r.SessionKey
}

func (e *engineEnv) call(t *testing.T, op string, req map[string]any) engineResp {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, ok := req["config"]; !ok {
		req["config"] = e.config
	}
	var out engineResp
	if err := e.b.Call(ctx, op, req, &out); err != nil {
		t.Fatalf("%s: %v", op, err)
	}
	return out
}

// goUser is who Go sees logged in under key ("" for anonymous).
func (e *engineEnv) goUser(t *testing.T, st *djangosession.Store, key string) string {
	t.Helper()
	s, err := st.Load(context.Background(), key)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	u, err := e.auth.GetUser(context.Background(), s)
	if err != nil {
		t.Fatalf("GetUser: %v", err)
	}
	return u.ID
}

func (e *engineEnv) run(t *testing.T, engine string) {
	ctx := context.Background()
	st := e.store(t, engine, nil)
	op := func(name string, req map[string]any) engineResp {
		req["engine"] = engine
		return e.call(t, name, req)
	}

	// Django logs in; Go sees the user, changes the session; Django sees the change.
	login := op("login", map[string]any{"username": "alice"})
	key := login.key(t)
	if got := e.goUser(t, st, key); got != "1" {
		t.Fatalf("Go sees user %q in Django's login session, want 1", got)
	}
	s, err := st.Load(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	s.Set("go_note", "from Go ✓")
	if err := s.Save(ctx); err != nil {
		t.Fatalf("Save: %v", err)
	}
	key = s.Key() // signed cookies: the new cookie value
	seen := op("session_load", map[string]any{"session_key": key})
	got := taggedDict(t, seen.Data)
	if v, _ := got.String("go_note"); v != "from Go ✓" {
		t.Errorf("Django sees go_note %q", v)
	}
	for _, k := range []string{auth.SessionKey, auth.BackendSessionKey, auth.HashSessionKey} {
		want, _ := taggedDict(t, login.Data).String(k)
		if v, _ := got.String(k); v != want {
			t.Errorf("Django sees %s = %q after Go's save, was %q", k, v, want)
		}
	}

	// Django logs out (flush); Go sees an anonymous user under the old key (a signed cookie
	// stays valid after a logout, in Django as in Go: it is the session), and under the new
	// cookie Django sends.
	out := op("logout", map[string]any{"session_key": key})
	want := "" // the old key names a flushed session
	if engine == "signed_cookies" {
		want = "1" // the old cookie still is a valid session, in Django as in Go
	}
	if u := e.goUser(t, st, key); u != want {
		t.Errorf("after Django's logout Go sees user %q under the old key, want %q", u, want)
	}
	if out.SessionKey != nil && *out.SessionKey != "" {
		if u := e.goUser(t, st, *out.SessionKey); u != "" {
			t.Errorf("after Django's logout Go sees user %q under the new key", u)
		}
	}

	// Go logs in; Django accepts the session.
	ns := st.New()
	if err := e.auth.Login(ctx, ns, auth.User{ID: "1"}); err != nil {
		t.Fatal(err)
	}
	ns.Set("cart", []any{"sku-1"})
	if err := ns.Save(ctx); err != nil {
		t.Fatal(err)
	}
	if u := op("get_user", map[string]any{"session_key": ns.Key()}); u.UserID == nil || *u.UserID != "1" {
		t.Errorf("Django's get_user of Go's login session: %v, want 1", u.UserID)
	}

	e.checkLazySaves(t, st, op)
	e.checkExpired(t, engine, st, op)
	if engine == "db" || engine == "cached_db" || engine == "file" {
		e.checkClearExpired(t, engine, st, op)
	}
	if engine == "cached_db" {
		e.checkEviction(t, st, op)
	}
}

// checkLazySaves: Django stores a session of nested values; Go loads it (its values built on
// demand), changes a nested value in place and sets keys, three saves in a row (the cache
// engine appends to the stored pickle, the JSON engines splice into the stored JSON); Django
// then reads exactly the dict Go meant, keys in order.
func (e *engineEnv) checkLazySaves(t *testing.T, st *djangosession.Store, op func(string, map[string]any) engineResp) {
	ctx := context.Background()
	want := py.DictOf("_auth_user_id", "1", "cart", []any{py.DictOf("sku", "A-1", "qty", int64(1)), py.DictOf("sku", "B-2", "qty", int64(3))},
		"prefs", py.DictOf("theme", "dark", "tags", []any{"x", "y"}), "visits", int64(1))
	data, err := tagged.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	// Django's login session, with the values set through Django (session_create makes no
	// cookie under signed_cookies).
	login := op("login", map[string]any{"username": "alice"})
	key := op("session_modify", map[string]any{"session_key": login.key(t), "set": json.RawMessage(data)}).key(t)
	want = taggedDict(t, op("session_load", map[string]any{"session_key": key}).Data)
	for round := range 3 {
		s, err := st.Load(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		if uid, _ := s.String("_auth_user_id"); uid != "1" {
			t.Fatalf("round %d: Go reads _auth_user_id %q", round, uid)
		}
		cart, _ := s.Get("cart")
		cart.([]any)[1].(*py.Dict).Set("qty", int64(10+round))
		s.MarkModified()
		s.Set("visits", int64(2+round))
		s.Set(fmt.Sprintf("round_%d", round), "ok")
		if err := s.Save(ctx); err != nil {
			t.Fatalf("round %d: Save: %v", round, err)
		}
		key = s.Key()
		c, _ := want.Get("cart")
		c.([]any)[1].(*py.Dict).Set("qty", int64(10+round))
		want.Set("visits", int64(2+round))
		want.Set(fmt.Sprintf("round_%d", round), "ok")
		got := taggedDict(t, op("session_load", map[string]any{"session_key": key}).Data)
		if !py.Equal(got, want) || fmt.Sprint(got.Keys()) != fmt.Sprint(want.Keys()) {
			t.Fatalf("round %d: Django reads %v\nwant %v", round, got, want)
		}
	}
}

// checkExpired: a session past its expiry is anonymous on both sides.
func (e *engineEnv) checkExpired(t *testing.T, engine string, st *djangosession.Store, op func(string, map[string]any) engineResp) {
	ctx := context.Background()
	key := e.expiredSession(t, engine, st, op)
	if engine == "cached_db" {
		// Django reads the cache copy first: the copy lives until its own timeout, and Django
		// still serves it (so does Go). Evicted, the expired row is what both sides read.
		if u := e.goUser(t, st, key); u != "1" {
			t.Errorf("cached_db: Go does not read the live cache copy of an expired row: %q", u)
		}
		if err := storeCache(t, st).Delete(ctx, st.CacheKey(key)); err != nil {
			t.Fatal(err)
		}
	}
	s, err := st.Load(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	if u, _ := e.auth.GetUser(ctx, s); u.ID != "" {
		t.Errorf("Go sees user %q in an expired session", u.ID)
	}
	if s.LoadError() == nil {
		t.Error("Go's LoadError is nil for an expired session")
	}
	if u := op("get_user", map[string]any{"session_key": key}); u.UserID != nil {
		t.Errorf("Django sees user %v in the expired session", *u.UserID)
	}
}

// expiredSession makes a session of alice's so old that it has expired: Django logs her in
// with its clock three weeks back (SESSION_COOKIE_AGE is two); for files, which expire by their
// modification time, the file's mtime is set back as well. A signed cookie carries the time it
// was signed, which the bridge's clock does not move: Go signs it, on a clock three weeks back.
func (e *engineEnv) expiredSession(t *testing.T, engine string, st *djangosession.Store, op func(string, map[string]any) engineResp) string {
	past := time.Now().Add(-21 * 24 * time.Hour).Unix()
	if engine == "signed_cookies" {
		old := e.store(t, engine, func(c *djangosession.Config) { c.Now = func() time.Time { return time.Unix(past, 0) } })
		s := old.New()
		if err := e.auth.Login(context.Background(), s, auth.User{ID: "1"}); err != nil {
			t.Fatal(err)
		}
		if err := s.Save(context.Background()); err != nil {
			t.Fatal(err)
		}
		return s.Key()
	}
	r := op("login", map[string]any{"username": "alice", "now": past})
	key := r.key(t)
	if engine == "file" {
		if r.File == nil {
			t.Fatal("the bridge reported no session file")
		}
		old := time.Unix(past, 0)
		if err := os.Chtimes(*r.File, old, old); err != nil {
			t.Fatal(err)
		}
	}
	return key
}

// checkClearExpired: Go's ClearExpired removes what Django's clearsessions removes, and the
// other way round: the expired session goes, the live one stays.
func (e *engineEnv) checkClearExpired(t *testing.T, engine string, st *djangosession.Store, op func(string, map[string]any) engineResp) {
	ctx := context.Background()
	for _, who := range []string{"go", "django"} {
		expired := e.expiredSession(t, engine, st, op)
		live := op("login", map[string]any{"username": "alice"}).key(t)
		if who == "go" {
			n, err := st.ClearExpired(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if n < 1 {
				t.Errorf("Go's ClearExpired removed %d sessions, want at least the expired one", n)
			}
		} else {
			op("clear_expired", map[string]any{})
		}
		if engine == "cached_db" {
			// clearsessions clears the table only (in Django as in Go): the cache copies live
			// until their own timeout. Evicted, the rows answer.
			for _, k := range []string{expired, live} {
				if err := storeCache(t, st).Delete(ctx, st.CacheKey(k)); err != nil {
					t.Fatal(err)
				}
			}
		}
		for _, c := range []struct {
			key  string
			want bool
		}{{expired, false}, {live, true}} {
			goHas, err := st.Exists(ctx, c.key)
			if err != nil {
				t.Fatal(err)
			}
			djHas := op("session_exists", map[string]any{"session_key": c.key}).Exists
			if goHas != c.want || djHas != c.want {
				t.Errorf("after %s's clearsessions: exists Go %v, Django %v; want %v (expired=%v)", who, goHas, djHas, c.want, !c.want)
			}
		}
	}
}

// checkEviction: under cached_db, the cache copy evicted behind Django's back loses nothing: Go
// reads the row (and refills the copy), Django too.
func (e *engineEnv) checkEviction(t *testing.T, st *djangosession.Store, op func(string, map[string]any) engineResp) {
	ctx := context.Background()
	key := op("login", map[string]any{"username": "alice"}).key(t)
	c := storeCache(t, st)
	for _, who := range []string{"go", "django"} {
		if err := c.Delete(ctx, st.CacheKey(key)); err != nil {
			t.Fatal(err)
		}
		if who == "go" {
			if u := e.goUser(t, st, key); u != "1" {
				t.Errorf("Go lost the session when its cache copy was evicted: user %q", u)
			}
			if ok, err := c.Has(ctx, st.CacheKey(key)); err != nil || !ok {
				t.Errorf("Go did not refill the cache copy: %v %v", ok, err)
			}
		} else if u := op("get_user", map[string]any{"session_key": key}); u.UserID == nil || *u.UserID != "1" {
			t.Errorf("Django lost the session when its cache copy was evicted: %v", u.UserID)
		}
	}
	// Go's Save keeps both halves; Django reads the change through its copy and, evicted,
	// through the row.
	s, err := st.Load(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	s.Set("n", int64(2))
	if err := s.Save(ctx); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		got := taggedDict(t, op("session_load", map[string]any{"session_key": key}).Data)
		if n, _ := got.Int("n"); n != 2 {
			t.Errorf("Django reads n = %d after Go's save", n)
		}
		if err := c.Delete(ctx, st.CacheKey(key)); err != nil {
			t.Fatal(err)
		}
	}
}

// storeCache returns the cache of the test's config, the one the Store uses.
func storeCache(t *testing.T, st *djangosession.Store) djangosession.Cache {
	t.Helper()
	c := st.Cache()
	if c == nil {
		t.Fatal(errors.New("the store has no cache"))
	}
	return c
}
