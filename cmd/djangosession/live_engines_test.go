package main

import (
	"context"
	"encoding/json"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/djangobridge/bridge/internal/pybridge"
)

// The engine live tests run the commands against each engine's storage shared with a real
// Django (compat_test/bridge.py, every supported version): db on SQLite, PostgreSQL and
// MariaDB, cached_db on Redis + PostgreSQL, file, signed_cookies. Django writes and the
// command reads; the command writes (replacing a session, creating one) and Django reads;
// delete is seen by Django; check passes with Django's SECRET_KEY, fails with another, and
// --check-auth agrees with Django's get_user.

// bridgeSecret is the SECRET_KEY of the compat project (compat_test/README.md).
func bridgeSecret() string {
	if k := os.Getenv("DJANGOBRIDGE_SECRET_KEY"); k != "" {
		return k
	}
	return "djangobridge-compat-secret-key-not-for-production"
}

// dbArg is the --db URL of a bridge's database: the SQLite file, or the server URL of the
// environment with the bridge's own database name.
func dbArg(t *testing.T, b *pybridge.Bridge, serverURL string) string {
	t.Helper()
	d := b.Info.Database
	switch d.Vendor {
	case "sqlite":
		return "sqlite://" + d.Name
	case "postgresql", "mysql":
		u, err := url.Parse(serverURL)
		if err != nil {
			t.Fatalf("server URL: %v", err) // the URL is the test servers' (no real password)
		}
		u.Path = "/" + d.Name
		return u.String()
	}
	t.Fatalf("bridge database vendor %q", d.Vendor)
	return ""
}

// startDBBridge starts a bridge of Django id on a database of its own on the server of url.
func startDBBridge(t *testing.T, id, serverURL string) *pybridge.Bridge {
	t.Helper()
	return startBridgeEnv(t, id, "DJANGOBRIDGE_DB_URL="+serverURL)
}

// startBridgeEnv starts a bridge of Django id with more settings from env.
func startBridgeEnv(t *testing.T, id string, env ...string) *pybridge.Bridge {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), pybridge.StartTimeout)
	defer cancel()
	b, err := pybridge.StartEnv(ctx, id, env)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// engineCase is one engine on one storage, as the command reaches it.
type engineCase struct {
	engine string
	args   []string // --engine and the storage flags
	authDB []string // --db for --check-auth when the engine has none
	config string   // the bridge's cache config id (SESSION_CACHE_ALIAS)
}

func TestLiveEngines(t *testing.T) {
	dbs := pybridge.RequireDatabases(t)
	pybridge.ForEachVersion(t, func(t *testing.T, b *pybridge.Bridge) {
		// RedisCache is Django 4.0+; 3.2 has django-redis.
		config := "redis"
		if _, ok := b.Info.Caches[config]; !ok {
			config = "django-redis"
		}
		var redis cacheEntry
		if err := json.Unmarshal(b.Info.Caches[config], &redis); err != nil {
			t.Fatalf("cache config %s: %v", config, err)
		}
		cacheFlags, _ := cacheArgs(t, redis)
		sqlite := dbArg(t, b, "")
		cases := []struct {
			name string
			b    func(t *testing.T) *pybridge.Bridge
			c    func(t *testing.T, b *pybridge.Bridge) engineCase
		}{
			{"db/sqlite", func(*testing.T) *pybridge.Bridge { return b }, func(t *testing.T, b *pybridge.Bridge) engineCase {
				return engineCase{engine: "db", args: []string{"--engine", "db", "--db", sqlite}}
			}},
			{"file", func(*testing.T) *pybridge.Bridge { return b }, func(t *testing.T, b *pybridge.Bridge) engineCase {
				return engineCase{engine: "file", args: []string{"--engine", "file", "--file-path", b.Info.SessionFilePath},
					authDB: []string{"--db", sqlite}}
			}},
			{"signed_cookies", func(*testing.T) *pybridge.Bridge { return b }, func(t *testing.T, b *pybridge.Bridge) engineCase {
				return engineCase{engine: "signed_cookies", args: []string{"--engine", "signed_cookies"}, authDB: []string{"--db", sqlite}}
			}},
			{"db/postgres+cached_db/redis+postgres", func(t *testing.T) *pybridge.Bridge {
				return startDBBridge(t, b.DjangoID, dbs.Postgres)
			}, nil},
			// USE_TZ = False: expire_date holds naive Chicago wall-clock times (SQLite text).
			{"db/sqlite/USE_TZ=False", func(t *testing.T) *pybridge.Bridge {
				return startBridgeEnv(t, b.DjangoID, "DJANGOBRIDGE_USE_TZ=0", "DJANGOBRIDGE_TIME_ZONE=America/Chicago")
			}, func(t *testing.T, b *pybridge.Bridge) engineCase {
				db := dbArg(t, b, "")
				// Read as USE_TZ = True, the naive Chicago times are taken as UTC: hours off.
				var created struct {
					SessionKey string `json:"session_key"`
				}
				if err := b.Call(context.Background(), "session_create", map[string]any{"engine": "db", "data": map[string]any{"a": 1}}, &created); err != nil {
					t.Fatal(err)
				}
				r := cli(t, map[string]string{"DJANGO_SECRET_KEY": bridgeSecret()}, "", "ttl", created.SessionKey, "--engine", "db", "--db", db)
				if n, err := strconv.ParseInt(strings.TrimSpace(r.stdout), 10, 64); err != nil || n > 1209600-3600 && n < 1209600+3600 {
					t.Errorf("ttl with USE_TZ = True of a USE_TZ = False row: %+v, want hours away from 1209600", r)
				}
				t.Logf("ttl of a USE_TZ = False row read as USE_TZ = True: %s", strings.TrimSpace(r.stdout))
				return engineCase{engine: "db", args: []string{"--engine", "db", "--db", db, "--use-tz=false", "--time-zone", "America/Chicago"}}
			}},
			{"db/mariadb", func(t *testing.T) *pybridge.Bridge { return startDBBridge(t, b.DjangoID, dbs.MySQL) },
				func(t *testing.T, b *pybridge.Bridge) engineCase {
					return engineCase{engine: "db", args: []string{"--engine", "db", "--db", dbArg(t, b, dbs.MySQL)}}
				}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				bb := tc.b(t)
				if tc.c != nil {
					ec := tc.c(t, bb)
					ec.config = config
					engineRoundTrip(t, bb, ec)
					return
				}
				pg := dbArg(t, bb, dbs.Postgres)
				t.Run("db", func(t *testing.T) {
					engineRoundTrip(t, bb, engineCase{engine: "db", args: []string{"--engine", "db", "--db", pg}, config: config})
				})
				t.Run("cached_db", func(t *testing.T) {
					engineRoundTrip(t, bb, engineCase{engine: "cached_db", args: cat([]string{"--engine", "cached_db", "--db", pg}, cacheFlags), config: config})
				})
			})
		}
	})
}

// engineRoundTrip is the exchange between Django and the command on one engine.
func engineRoundTrip(t *testing.T, b *pybridge.Bridge, c engineCase) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	call := func(op string, req map[string]any, resp any) {
		t.Helper()
		req["config"], req["engine"] = c.config, c.engine
		if err := b.Call(ctx, op, req, resp); err != nil {
			t.Fatalf("bridge %s: %v\n%s", op, err, b.Stderr())
		}
	}
	env := map[string]string{"DJANGO_SECRET_KEY": bridgeSecret()}
	wrong := map[string]string{"DJANGO_SECRET_KEY": "not-" + bridgeSecret()}
	args := cat(c.args, []string{"--django", b.DjangoID, "--timeout", "20s"})
	run := func(environ map[string]string, stdin string, a ...string) result {
		t.Helper()
		return cli(t, environ, stdin, cat(a, args)...)
	}
	cookies := c.engine == "signed_cookies"
	// The session_data serializer is JSON: values JSON can carry.
	data := `{"cart": [1, "two", true, null], "é": "ünïcode ✓", "n": 12345678901234}`

	// Django writes, the command reads.
	var created struct {
		SessionKey string          `json:"session_key"`
		Data       json.RawMessage `json:"data"`
		ExpiryAge  int64           `json:"expiry_age"`
	}
	if cookies {
		// create() of signed_cookies makes no cookie until the response: Django's encoding.
		var enc struct {
			Cookie string `json:"cookie"`
		}
		if err := b.Call(ctx, "signed_cookie_encode", map[string]any{"value": json.RawMessage(data)}, &enc); err != nil {
			t.Fatal(err)
		}
		created.SessionKey, created.Data, created.ExpiryAge = enc.Cookie, json.RawMessage(data), 1209600
	} else {
		call("session_create", map[string]any{"data": json.RawMessage(data)}, &created)
	}
	key := created.SessionKey
	r := run(env, "", "get", key)
	if r.code != 0 {
		t.Fatalf("get of Django's session: %+v", r)
	}
	sameValue(t, "get of Django's session", []byte(r.stdout), created.Data)
	// cached_db reads its (unsigned) cache copy first, as Django does.
	if r := run(wrong, "", "get", key); c.engine != "cached_db" && (r.code != exitRejected || r.stdout != "") {
		t.Errorf("get with a wrong SECRET_KEY: %+v", r)
	}
	ttl, err := strconv.ParseInt(strings.TrimSpace(run(env, "", "ttl", key).stdout), 10, 64)
	if err != nil || ttl <= created.ExpiryAge-30 || ttl > created.ExpiryAge {
		t.Errorf("ttl %d (%v), want about Django's expiry age %d", ttl, err, created.ExpiryAge)
	}
	if !cookies {
		if r := run(env, "", "exists", key); r.stdout != "true\n" {
			t.Errorf("exists: %+v", r)
		}
	}

	// The command writes, Django reads.
	var l loaded
	if !cookies {
		data2 := `{"cart": [3], "by": "go"}`
		if r := run(env, data2, "set", key); r.code != 0 {
			t.Fatalf("set of Django's session: %+v", r)
		}
		call("session_load", map[string]any{"session_key": key}, &l)
		if l.SessionKey == nil || *l.SessionKey != key {
			t.Fatalf("Django lost the session set replaced: %+v", l)
		}
		sameValue(t, "Django's view of set", l.Data, []byte(data2))
		if r := run(env, data2, "set", newSessionKey(t)); r.code != exitRejected || !strings.Contains(r.stderr, "UpdateError") {
			t.Errorf("set of a missing session: %+v", r)
		}
	}
	r = run(env, data, "set", "--create")
	newKey := strings.TrimSpace(r.stdout)
	if r.code != 0 || newKey == "" {
		t.Fatalf("set --create: %+v", r)
	}
	call("session_load", map[string]any{"session_key": newKey}, &l)
	if l.SessionKey == nil || *l.SessionKey != newKey {
		t.Fatalf("Django does not find the session set --create made: %+v", l)
	}
	sameValue(t, "Django's view of set --create", l.Data, []byte(data))
	if !cookies {
		if r := run(env, "", "delete", newKey); r.code != 0 {
			t.Fatalf("delete: %+v", r)
		}
		var ex struct {
			Exists bool `json:"exists"`
		}
		call("session_exists", map[string]any{"session_key": newKey}, &ex)
		if ex.Exists {
			t.Error("Django still finds the session after delete")
		}
		if r := run(env, "", "exists", newKey); r.stdout != "false\n" {
			t.Errorf("exists after delete: %+v", r)
		}
	}

	// clearsessions removes a row Django wrote three weeks ago (its expire_date has passed).
	if c.engine == "db" || c.engine == "cached_db" {
		var old struct {
			SessionKey string `json:"session_key"`
		}
		call("session_create", map[string]any{"data": json.RawMessage(data), "now": time.Now().Add(-21 * 24 * time.Hour).Unix()}, &old)
		r := run(env, "", "clearsessions")
		if n, err := strconv.Atoi(strings.TrimSpace(r.stdout)); r.code != 0 || err != nil || n < 1 {
			t.Errorf("clearsessions: %+v", r)
		}
		var ex struct {
			Exists bool `json:"exists"`
		}
		call("session_exists", map[string]any{"session_key": old.SessionKey}, &ex)
		if ex.Exists && c.engine == "db" {
			t.Error("Django still finds the expired row after clearsessions")
		}
		if r := run(env, "", "exists", key); r.stdout != "true\n" {
			t.Errorf("clearsessions removed an unexpired session: %+v", r)
		}
	}

	// check: sampled sessions (or the given cookies) verify with Django's key only.
	var given []string
	if cookies {
		given = []string{key, newKey}
	}
	if r := run(env, "", cat([]string{"check"}, given)...); r.code != 0 || !strings.HasSuffix(r.stdout, "ok\n") {
		t.Errorf("check with Django's SECRET_KEY: %+v", r)
	}
	if r := run(wrong, "", cat([]string{"check"}, given)...); r.code != exitRejected || !strings.Contains(r.stdout, "FAILED") {
		t.Errorf("check with a wrong SECRET_KEY: %+v", r)
	}
	if r := run(wrong, "", cat([]string{"check", "--fallback-key", bridgeSecret()}, given)...); r.code != 0 || !strings.Contains(r.stdout, "SECRET_KEY_FALLBACKS[0]") {
		t.Errorf("check with Django's key as a fallback: %+v", r)
	}

	// check --check-auth agrees with Django's get_user.
	var login struct {
		SessionKey string          `json:"session_key"`
		Data       json.RawMessage `json:"data"`
	}
	call("login", map[string]any{"username": "alice"}, &login)
	authArgs := cat([]string{"check", "--check-auth", login.SessionKey}, c.authDB)
	if r := run(env, "", authArgs...); r.code != 0 || !strings.Contains(r.stdout, "logged in: 1; auth hash: SECRET_KEY 1, mismatch 0") {
		t.Errorf("check --check-auth of Django's login: %+v", r)
	}
	forged := `{"_auth_user_id": "1", "_auth_user_backend": "django.contrib.auth.backends.ModelBackend", "_auth_user_hash": "` + strings.Repeat("0", 64) + `"}`
	var victim string
	if cookies {
		victim = strings.TrimSpace(run(env, forged, "set", "--create").stdout)
	} else {
		victim = login.SessionKey
		if r := run(env, forged, "set", victim); r.code != 0 {
			t.Fatalf("set of a forged auth hash: %+v", r)
		}
	}
	if r := run(env, "", cat([]string{"check", "--check-auth", victim}, c.authDB)...); r.code != exitRejected || !strings.Contains(r.stdout, "mismatch 1") {
		t.Errorf("check --check-auth of a wrong auth hash: %+v", r)
	}
	var user struct {
		UserID *string `json:"user_id"`
	}
	call("get_user", map[string]any{"session_key": victim}, &user)
	if user.UserID != nil {
		t.Errorf("Django's get_user accepts the hash check rejects: user %q", *user.UserID)
	}
}
