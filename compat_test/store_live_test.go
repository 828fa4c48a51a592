package compattest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/djangobridge/bridge/internal/tagged"

	"github.com/djangobridge/bridge/py"

	"github.com/djangobridge/bridge/djangosession"
	"github.com/djangobridge/bridge/djangosession/memcachestore"
	"github.com/djangobridge/bridge/djangosession/redisstore"
	"github.com/djangobridge/bridge/internal/pybridge"
)

// Live tests of djangosession.Store against real Django versions through compat_test/bridge.py:
// Django and Go share sessions in the test servers, each seeing what the other wrote.

// storeLiveConfigs are the CACHES configurations the round trip runs on, when the Django
// version has them (FORMAT.md). redis-replica is left to the adapter's own live tests: its
// reads go to the replica, so a check right after a write would depend on replication delay.
var storeLiveConfigs = []string{
	"redis", "pymemcache", "pymemcache-2", "pylibmc", "pylibmc-2",
	"django-redis", "django-redis-zlib", "django-redis-pickle2", "prefixed", "keyfunc",
}

// cacheEntry is a CACHES entry as the bridge's ping reports it.
type cacheEntry struct {
	Backend     string          `json:"BACKEND"`
	Location    json.RawMessage `json:"LOCATION"`
	Options     map[string]any  `json:"OPTIONS"`
	KeyPrefix   string          `json:"KEY_PREFIX"`
	Version     *int            `json:"VERSION"`
	KeyFunction string          `json:"KEY_FUNCTION"`
}

func (e cacheEntry) locations() ([]string, error) {
	var one string
	if err := json.Unmarshal(e.Location, &one); err == nil {
		return []string{one}, nil
	}
	var many []string
	err := json.Unmarshal(e.Location, &many)
	return many, err
}

// storeForConfig builds the Go side of a bridge config: the adapter for its backend and a
// Store with its KEY_PREFIX, VERSION and KEY_FUNCTION.
func storeForConfig(t *testing.T, b *pybridge.Bridge, config string, edit func(*djangosession.Config)) *djangosession.Store {
	t.Helper()
	raw, ok := b.Info.Caches[config]
	if !ok {
		t.Fatalf("config %q not in the bridge's caches", config)
	}
	var e cacheEntry
	if err := json.Unmarshal(raw, &e); err != nil {
		t.Fatal(err)
	}
	locs, err := e.locations()
	if err != nil {
		t.Fatalf("LOCATION %s: %v", e.Location, err)
	}
	var cache djangosession.Cache
	switch e.Backend {
	case "django.core.cache.backends.redis.RedisCache":
		c, err := redisstore.New(redisstore.Options{Location: locs})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		cache = c
	case "django_redis.cache.RedisCache":
		opts := redisstore.Options{Location: locs, Format: redisstore.FormatDjangoRedis}
		if v, ok := e.Options["PICKLE_VERSION"].(float64); ok {
			opts.PickleVersion = int(v)
		}
		if comp, ok := e.Options["COMPRESSOR"].(string); ok {
			switch {
			case strings.HasSuffix(comp, ".ZlibCompressor"):
				opts.Compressor = redisstore.CompressorZlib
			default:
				t.Fatalf("compressor %s not mapped in this test", comp)
			}
		}
		c, err := redisstore.New(opts)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		cache = c
	case "django.core.cache.backends.memcached.PyMemcacheCache", "django.core.cache.backends.memcached.PyLibMCCache":
		client := memcachestore.PyMemcache
		if strings.HasSuffix(e.Backend, "PyLibMCCache") {
			client = memcachestore.PyLibMC
		}
		c, err := memcachestore.New(memcachestore.Options{Location: locs, Client: client})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		cache = c
	default:
		t.Fatalf("backend %s not mapped in this test", e.Backend)
	}
	cfg := djangosession.Config{DjangoVersion: b.DjangoID, KeyPrefix: e.KeyPrefix}
	edit(&cfg)
	if e.Version != nil {
		cfg.Version = *e.Version
	}
	switch e.KeyFunction {
	case "":
	case "djproject.keys.custom_key": // f"{version}|{prefix}|{key}"
		cfg.KeyFunction = func(key, prefix string, version int) string {
			return fmt.Sprintf("%d|%s|%s", version, prefix, key)
		}
	default:
		t.Fatalf("KEY_FUNCTION %s not mapped in this test", e.KeyFunction)
	}
	cfg.Cache = cache
	if cfg.SessionEngine == "" {
		cfg.SessionEngine = djangosession.EngineCache
	}
	st, err := djangosession.NewStore(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// sessionOut is what the bridge's session ops return.
type sessionOut struct {
	SessionKey           *string         `json:"session_key"`
	ServerKey            *string         `json:"server_key"`
	Data                 json.RawMessage `json:"data"`
	Exists               bool            `json:"exists"`
	ExpiryAge            int64           `json:"expiry_age"`
	ExpireAtBrowserClose bool            `json:"expire_at_browser_close"`
	UserID               *string         `json:"user_id"`
}

func call(t *testing.T, b *pybridge.Bridge, op string, req map[string]any) sessionOut {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out sessionOut
	if err := b.Call(ctx, op, req, &out); err != nil {
		t.Fatalf("bridge %s: %v", op, err)
	}
	return out
}

// taggedDict decodes a tagged-JSON session dict.
func taggedDict(t *testing.T, raw json.RawMessage) *py.Dict {
	t.Helper()
	v, err := tagged.Unmarshal(raw)
	if err != nil {
		t.Fatalf("tagged JSON: %v", err)
	}
	d, ok := v.(*py.Dict)
	if !ok {
		t.Fatalf("tagged JSON is %T, want a dict", v)
	}
	return d
}

// sameItems fails t unless got holds every item of want with an equal value, and no others
// than want plus extra.
func sameItems(t *testing.T, what string, got, want *py.Dict, extra ...string) {
	t.Helper()
	for k, v := range want.All() {
		g, ok := got.GetKey(k)
		if !ok || !py.Equal(g, v) {
			t.Errorf("%s: %v = %#v, want %#v", what, k, g, v)
		}
	}
	for k := range got.All() {
		if _, ok := want.GetKey(k); !ok {
			if s, isStr := k.(string); !isStr || !slices.Contains(extra, s) {
				t.Errorf("%s: unexpected key %v", what, k)
			}
		}
	}
}

func TestLiveStoreRoundTrip(t *testing.T) {
	pybridge.ForEachVersion(t, func(t *testing.T, b *pybridge.Bridge) {
		for _, config := range storeLiveConfigs {
			if !slices.Contains(b.Info.Configs, config) {
				continue
			}
			for _, atomic := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s/AtomicSave=%v", config, atomic), func(t *testing.T) { liveRoundTrip(t, b, config, atomic) })
			}
		}
	})
}

func liveRoundTrip(t *testing.T, b *pybridge.Bridge, config string, atomic bool) {
	ctx := context.Background()
	// One fixed instant for both sides, so that expiry ages agree to the second. The servers
	// keep real time; every timeout here is relative and far from 30 days.
	nowT := time.Now().Truncate(time.Second)
	now := func() time.Time { return nowT }
	st := storeForConfig(t, b, config, func(c *djangosession.Config) { c.Now = now; c.AtomicSave = atomic })
	req := func(kv ...any) map[string]any {
		m := map[string]any{"config": config, "engine": "cache", "now": nowT.Unix()}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	}

	// 1. Django logs a user in through its middleware; Go reads the same session.
	login := call(t, b, "login", req("username", "alice"))
	if login.SessionKey == nil {
		t.Fatal("login made no session")
	}
	key := *login.SessionKey
	if got := st.CacheKey(key); login.ServerKey == nil || got != *login.ServerKey {
		t.Fatalf("CacheKey = %q, Django's key is %v", got, login.ServerKey)
	}
	djangoData := taggedDict(t, login.Data)
	s, err := st.Load(ctx, key)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	sameItems(t, "Go's view of Django's login", s.Data(), djangoData)
	if uid, _ := s.String("_auth_user_id"); uid == "" {
		t.Errorf("no _auth_user_id in %v", s.Keys())
	}
	loaded := call(t, b, "session_load", req("session_key", key))
	age, err := s.ExpiryAge()
	if err != nil || age != time.Duration(loaded.ExpiryAge)*time.Second {
		t.Errorf("ExpiryAge = %v, %v; Django's = %d", age, err, loaded.ExpiryAge)
	}
	if got := s.ExpireAtBrowserClose(); got != loaded.ExpireAtBrowserClose {
		t.Errorf("ExpireAtBrowserClose = %v, Django's %v", got, loaded.ExpireAtBrowserClose)
	}
	if ttl := rawTTL(t, b, config, st.CacheKey(key)); ttl <= 0 || ttl > loaded.ExpiryAge {
		t.Errorf("server TTL %d, expiry age %d", ttl, loaded.ExpiryAge)
	}

	// 2. Go changes it; Django sees the change and every untouched value as it was, and the
	// user is still logged in (the auth hash survived).
	s.Set("go_cart", []any{"sku-1", int64(2)})
	s.Set("go_note", "héllo from Go")
	s.SetExpiryIn(2 * time.Hour) // the version's own form: a datetime (3.2) or an ISO string
	if err := s.Save(ctx); err != nil {
		t.Fatalf("Go Save: %v", err)
	}
	after := call(t, b, "session_load", req("session_key", key))
	if !after.Exists || after.SessionKey == nil || *after.SessionKey != key {
		t.Fatalf("Django lost the session after Go's save: %+v", after)
	}
	afterData := taggedDict(t, after.Data)
	sameItems(t, "Django's view after Go's save", afterData, djangoData, "go_cart", "go_note", djangosession.ExpiryKey)
	if v, _ := afterData.String("go_note"); v != "héllo from Go" {
		t.Errorf("Django reads go_note = %q", v)
	}
	if after.ExpiryAge != 7200 {
		t.Errorf("Django's expiry age after Go's set_expiry(2h) = %d, want 7200", after.ExpiryAge)
	}
	if ttl := rawTTL(t, b, config, st.CacheKey(key)); ttl <= 0 || ttl > 7200 {
		t.Errorf("server TTL after Go's save = %d, want at most 7200", ttl)
	}
	user := call(t, b, "get_user", req("session_key", key))
	if user.UserID == nil || *user.UserID != "1" {
		t.Errorf("Django's get_user after Go's save: %v", user.UserID)
	}

	// 3. Django changes it; Go sees the change.
	call(t, b, "session_modify", req("session_key", key, "set", map[string]any{"django_note": "from Django"}, "expiry", 600))
	s2, err := st.Load(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := s2.String("django_note"); v != "from Django" {
		t.Errorf("Go reads django_note = %q", v)
	}
	if v, _ := s2.String("go_note"); v != "héllo from Go" {
		t.Errorf("Go's own value after Django's save = %q", v)
	}
	if age, err := s2.ExpiryAge(); err != nil || age != 600*time.Second {
		t.Errorf("ExpiryAge after Django's set_expiry(600) = %v, %v", age, err)
	}

	// 4. Go creates a session; Django accepts it.
	g := st.New()
	g.Set("created_by", "go")
	g.Set("n", int64(42))
	g.SetExpirySeconds(900)
	if err := g.Save(ctx); err != nil {
		t.Fatalf("Go create: %v", err)
	}
	created := call(t, b, "session_load", req("session_key", g.Key()))
	if !created.Exists || created.SessionKey == nil || *created.SessionKey != g.Key() {
		t.Fatalf("Django does not find Go's new session: %+v", created)
	}
	sameItems(t, "Django's view of Go's new session", taggedDict(t, created.Data), g.Data())
	if created.ExpiryAge != 900 {
		t.Errorf("Django's expiry age of Go's session = %d", created.ExpiryAge)
	}
	modified := call(t, b, "session_modify", req("session_key", g.Key(), "set", map[string]any{"n": 43}))
	if modified.SessionKey == nil || *modified.SessionKey != g.Key() {
		t.Errorf("Django saved Go's session under another key: %v", modified.SessionKey)
	}

	// 5. Go cycles the key of Django's login session; Django follows the new key.
	if err := s2.CycleKey(ctx); err != nil {
		t.Fatalf("CycleKey: %v", err)
	}
	if old := call(t, b, "session_exists", req("session_key", key)); old.Exists {
		t.Error("Django still finds the old key after Go's CycleKey")
	}
	cycled := call(t, b, "get_user", req("session_key", s2.Key()))
	if cycled.UserID == nil || *cycled.UserID != "1" {
		t.Errorf("Django's get_user on the cycled key: %v", cycled.UserID)
	}

	// 6. Django deletes the session (logout elsewhere) while Go holds it: Go's save fails and
	// does not bring it back.
	held, err := st.Load(ctx, s2.Key())
	if err != nil {
		t.Fatal(err)
	}
	held.Set("late", true)
	call(t, b, "session_delete", req("session_key", s2.Key()))
	if err := held.Save(ctx); !errors.Is(err, djangosession.ErrUpdate) {
		t.Fatalf("Go Save after Django's delete = %v, want ErrUpdate", err)
	}
	if gone := call(t, b, "session_exists", req("session_key", s2.Key())); gone.Exists {
		t.Error("the deleted session came back")
	}

	// 7. Go flushes (logout); Django no longer finds it. A stale cookie is a fresh session on
	// both sides.
	if err := g.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	stale := call(t, b, "session_load", req("session_key", g.Key()))
	if stale.Exists || stale.SessionKey != nil {
		t.Errorf("Django after Go's Flush: %+v", stale)
	}
	f, err := st.Load(ctx, s2.Key())
	if err != nil {
		t.Fatal(err)
	}
	if f.Len() != 0 || f.Key() != "" {
		t.Errorf("Go loads a deleted session: len %d key %q", f.Len(), f.Key())
	}
}

// rawTTL returns the server's TTL in seconds for a key, read with a plain client.
func rawTTL(t *testing.T, b *pybridge.Bridge, config, serverKey string) int64 {
	t.Helper()
	var out struct {
		Found bool   `json:"found"`
		TTL   *int64 `json:"ttl"`
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := b.Call(ctx, "raw_get", map[string]any{"config": config, "server_key": serverKey}, &out); err != nil {
		t.Fatalf("raw_get: %v", err)
	}
	if !out.Found || out.TTL == nil {
		t.Fatalf("raw_get: %s not found", serverKey)
	}
	return *out.TTL
}

// USE_TZ = False: naive expiry dates in TIME_ZONE ("UTC" in the bridge's settings), written by
// one side and read by the other; and, as in Django, a naive date cannot be read with
// USE_TZ = True.
func TestLiveStoreNaiveExpiry(t *testing.T) {
	pybridge.ForEachVersion(t, func(t *testing.T, b *pybridge.Bridge) {
		const config = "pymemcache"
		ctx := context.Background()
		nowT := time.Now().Truncate(time.Second)
		naive := func(c *djangosession.Config) {
			c.Now = func() time.Time { return nowT }
			c.DisableUseTZ = true
			c.TimeZone = "UTC"
		}
		st := storeForConfig(t, b, config, naive)
		req := func(useTZ bool, kv ...any) map[string]any {
			m := map[string]any{"config": config, "engine": "cache", "now": nowT.Unix(), "settings": map[string]any{"USE_TZ": useTZ}}
			for i := 0; i < len(kv); i += 2 {
				m[kv[i].(string)] = kv[i+1]
			}
			return m
		}

		g := st.New()
		g.Set("a", int64(1))
		g.SetExpiryIn(2 * time.Hour)
		if err := g.Save(ctx); err != nil {
			t.Fatal(err)
		}
		wantForm := nowT.UTC().Add(2 * time.Hour).Format("2006-01-02T15:04:05") // no offset
		if got, _ := g.Get(djangosession.ExpiryKey); b.DjangoID != djangosession.Django32 && got != wantForm {
			t.Errorf("Go wrote %#v, want the naive ISO string %q", got, wantForm)
		}
		loaded := call(t, b, "session_load", req(false, "session_key", g.Key()))
		if !loaded.Exists || loaded.ExpiryAge != 7200 {
			t.Fatalf("Django (USE_TZ=False) reads Go's naive expiry: exists %v age %d", loaded.Exists, loaded.ExpiryAge)
		}
		ctxT, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		var pe *pybridge.Error
		err := b.Call(ctxT, "session_load", req(true, "session_key", g.Key()), nil)
		if !errors.As(err, &pe) || pe.Class != "TypeError" {
			t.Errorf("Django (USE_TZ=True) on a naive expiry: %v, want TypeError", err)
		}
		aware := storeForConfig(t, b, config, func(c *djangosession.Config) { c.Now = func() time.Time { return nowT } })
		if s, err := aware.Load(ctx, g.Key()); err != nil {
			t.Fatal(err)
		} else if _, err := s.ExpiryAge(); !errors.Is(err, djangosession.ErrCorrupt) {
			t.Errorf("Go (USE_TZ=True) on a naive expiry: %v, want ErrCorrupt", err)
		}

		// Django writes set_expiry(timedelta(hours=1)) with USE_TZ=False; Go reads it.
		hour := map[string]any{"__py__": "timedelta", "days": 0, "seconds": 3600, "microseconds": 0}
		call(t, b, "session_modify", req(false, "session_key", g.Key(), "expiry", hour))
		s, err := st.Load(ctx, g.Key())
		if err != nil {
			t.Fatal(err)
		}
		if age, err := s.ExpiryAge(); err != nil || age != time.Hour {
			t.Errorf("Go reads Django's naive expiry: %v, %v", age, err)
		}
		if err := s.Delete(ctx); err != nil {
			t.Fatal(err)
		}
	})
}

// A cookie value memcached refuses as a key is no session, on both sides.
func TestLiveStoreInvalidMemcachedKey(t *testing.T) {
	pybridge.ForEachVersion(t, func(t *testing.T, b *pybridge.Bridge) {
		const config = "pymemcache"
		st := storeForConfig(t, b, config, func(*djangosession.Config) {})
		ctx := context.Background()
		for _, key := range []string{"has a space in it", strings.Repeat("k", 240)} {
			// A request carrying the cookie: the lazy load treats InvalidCacheKey as a miss.
			out := call(t, b, "get_user", map[string]any{"config": config, "session_key": key})
			if out.SessionKey != nil || out.UserID != nil {
				t.Fatalf("Django on %.20q: key %v user %v", key, out.SessionKey, out.UserID)
			}
			// exists() is not protected in Django: it raises InvalidCacheKey, and Go's Exists
			// returns the matching error.
			var pe *pybridge.Error
			err := b.Call(ctx, "session_exists", map[string]any{"config": config, "session_key": key}, nil)
			if !errors.As(err, &pe) || pe.Class != "InvalidCacheKey" {
				t.Errorf("Django exists(%.20q): %v", key, err)
			}
			if _, err := st.Exists(ctx, key); !errors.Is(err, djangosession.ErrInvalidKey) {
				t.Errorf("Go Exists(%.20q): %v, want ErrInvalidKey", key, err)
			}
			s, err := st.Load(ctx, key)
			if err != nil {
				t.Fatalf("Go Load(%.20q): %v", key, err)
			}
			if s.Len() != 0 || s.Key() != "" {
				t.Errorf("Go Load(%.20q): len %d key %q", key, s.Len(), s.Key())
			}
		}
	})
}

// SESSION_COOKIE_AGE other than the default, and a custom expiry beyond memcached's 30-day
// relative limit (stored as an absolute time), on both sides.
func TestLiveStoreCookieAgeAndLongExpiry(t *testing.T) {
	pybridge.ForEachVersion(t, func(t *testing.T, b *pybridge.Bridge) {
		for _, config := range []string{"pymemcache", "pylibmc", "redis", "django-redis"} {
			if !slices.Contains(b.Info.Configs, config) {
				continue
			}
			t.Run(config, func(t *testing.T) {
				ctx := context.Background()
				nowT := time.Now().Truncate(time.Second)
				st := storeForConfig(t, b, config, func(c *djangosession.Config) {
					c.Now = func() time.Time { return nowT }
					c.SessionCookieAge = time.Hour
				})
				req := func(kv ...any) map[string]any {
					m := map[string]any{"config": config, "engine": "cache", "now": nowT.Unix(),
						"settings": map[string]any{"SESSION_COOKIE_AGE": 3600}}
					for i := 0; i < len(kv); i += 2 {
						m[kv[i].(string)] = kv[i+1]
					}
					return m
				}
				login := call(t, b, "login", req("username", "alice"))
				key := *login.SessionKey
				if ttl := rawTTL(t, b, config, st.CacheKey(key)); ttl <= 0 || ttl > 3600 {
					t.Errorf("Django's TTL with SESSION_COOKIE_AGE=3600: %d", ttl)
				}
				s, err := st.Load(ctx, key)
				if err != nil {
					t.Fatal(err)
				}
				if age, _ := s.ExpiryAge(); age != time.Hour {
					t.Errorf("Go ExpiryAge = %v", age)
				}
				s.Set("x", int64(1))
				if err := s.Save(ctx); err != nil {
					t.Fatal(err)
				}
				if ttl := rawTTL(t, b, config, st.CacheKey(key)); ttl <= 0 || ttl > 3600 {
					t.Errorf("TTL after Go's save: %d", ttl)
				}

				const long = 40 * 86400
				s.SetExpirySeconds(long)
				if err := s.Save(ctx); err != nil {
					t.Fatal(err)
				}
				out := call(t, b, "session_load", req("session_key", key))
				if !out.Exists || out.ExpiryAge != long {
					t.Fatalf("Django after a 40-day expiry: exists %v age %d", out.Exists, out.ExpiryAge)
				}
				// memcached gets an absolute time here and counts on a clock that ticks once a
				// second, so it may report a second more than asked for.
				if ttl := rawTTL(t, b, config, st.CacheKey(key)); ttl <= 30*86400 || ttl > long+2 {
					t.Errorf("server TTL for a 40-day expiry: %d", ttl)
				}
				if err := s.Delete(ctx); err != nil {
					t.Fatal(err)
				}
			})
		}
	})
}
