package djangosession_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/djangobridge/bridge/pickle"
	"github.com/djangobridge/bridge/py"

	"github.com/djangobridge/bridge/djangosession"
	"github.com/djangobridge/bridge/djangosession/djangosessiontest"
)

// fixedNow is the clock of the compat fixtures: 2023-11-14T22:13:20Z.
var fixedNow = time.Unix(1700000000, 0).UTC()

// newTestStore returns a store over a fresh in-memory cache on a fake clock at fixedNow.
func newTestStore(t *testing.T, cfg djangosession.Config) (*djangosession.Store, *djangosessiontest.Cache, *djangosessiontest.Clock) {
	t.Helper()
	clock := djangosessiontest.NewClock(fixedNow)
	cache := djangosessiontest.NewCache()
	cache.Now = clock.Now
	if cfg.Now == nil {
		cfg.Now = clock.Now
	}
	sc := cfg
	sc.Cache = cache
	if sc.SessionEngine == "" {
		sc.SessionEngine = djangosession.EngineCache
	}
	if sc.SessionEngine == djangosession.EngineCachedDB && sc.DB == nil {
		sc.DB, sc.SecretKey = newTable(t), testSecret
	}
	st, err := djangosession.NewStore(sc)
	if err != nil {
		t.Fatalf("NewStore: %v", err)
	}
	return st, cache, clock
}

// seed stores a pickled dict under the session key, as Django would have.
func seed(t *testing.T, st *djangosession.Store, c djangosession.Cache, key string, d *py.Dict) {
	t.Helper()
	b, err := pickle.Marshal(d, 5)
	if err != nil {
		t.Fatalf("MarshalPickle: %v", err)
	}
	if err := c.Set(context.Background(), st.CacheKey(key), b, time.Hour); err != nil {
		t.Fatal(err)
	}
}

// stored decodes what the cache holds for a session key.
func stored(t *testing.T, st *djangosession.Store, c *djangosessiontest.Cache, key string) *py.Dict {
	t.Helper()
	b, err := c.Get(context.Background(), st.CacheKey(key))
	if err != nil {
		t.Fatalf("cache get %s: %v", key, err)
	}
	v, err := pickle.Unmarshal(b)
	if err != nil {
		t.Fatalf("stored value does not decode: %v", err)
	}
	d, ok := v.(*py.Dict)
	if !ok {
		t.Fatalf("stored value is %T, want *Dict", v)
	}
	return d
}

const key1 = "abcdefghijklmnopqrstuvwxyz012345"

func TestCacheKey(t *testing.T) {
	tests := []struct {
		name string
		cfg  djangosession.Config
		want string
	}{
		{"default", djangosession.Config{}, ":1:django.contrib.sessions.cache" + key1},
		{"cache engine by name", djangosession.Config{SessionEngine: djangosession.EngineCache}, ":1:django.contrib.sessions.cache" + key1},
		{"cached_db", djangosession.Config{SessionEngine: djangosession.EngineCachedDB}, ":1:django.contrib.sessions.cached_db" + key1},
		{"prefix and version", djangosession.Config{KeyPrefix: "shop", Version: 3}, "shop:3:django.contrib.sessions.cache" + key1},
		{"prefix version cached_db", djangosession.Config{KeyPrefix: "shop", Version: 2, SessionEngine: djangosession.EngineCachedDB},
			"shop:2:django.contrib.sessions.cached_db" + key1},
		{"negative version", djangosession.Config{Version: -4}, ":-4:django.contrib.sessions.cache" + key1},
		{"key function", djangosession.Config{KeyPrefix: "p", Version: 7, KeyFunction: func(key, prefix string, version int) string {
			return fmt.Sprintf("%d|%s|%s", version, prefix, key)
		}}, "7|p|django.contrib.sessions.cache" + key1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, _, _ := newTestStore(t, tt.cfg)
			if got := st.CacheKey(key1); got != tt.want {
				t.Errorf("CacheKey = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestNewSessionSaveCreates(t *testing.T) {
	ctx := context.Background()
	st, cache, _ := newTestStore(t, djangosession.Config{})
	s := st.New()
	if s.Key() != "" || !s.IsEmpty() || s.Modified() || s.Accessed() {
		t.Fatalf("new session: key %q empty %v modified %v accessed %v", s.Key(), s.IsEmpty(), s.Modified(), s.Accessed())
	}
	s.Set("_auth_user_id", "42")
	if err := s.Save(ctx); err != nil {
		t.Fatalf("Save: %v", err)
	}
	key := s.Key()
	if len(key) != 32 || strings.Trim(key, djangosession.SessionKeyChars) != "" {
		t.Fatalf("new key %q: want 32 chars of [a-z0-9]", key)
	}
	if got := cache.Keys(); len(got) != 1 || got[0] != st.CacheKey(key) {
		t.Fatalf("cache keys = %q", got)
	}
	if ttl, _ := cache.TTL(st.CacheKey(key)); ttl != djangosession.DefaultSessionCookieAge {
		t.Errorf("TTL = %v, want SESSION_COOKIE_AGE", ttl)
	}
	// Django's create: exists() for the drawn key, then add; no get, no set.
	if cache.Calls("has") != 1 || cache.Calls("add") != 1 || cache.Calls("get") != 0 || cache.Calls("set") != 0 {
		t.Errorf("calls has=%d add=%d get=%d set=%d", cache.Calls("has"), cache.Calls("add"), cache.Calls("get"), cache.Calls("set"))
	}
	if v, _ := stored(t, st, cache, key).String("_auth_user_id"); v != "42" {
		t.Errorf("stored _auth_user_id = %q", v)
	}
	if !s.Modified() || s.IsEmpty() {
		t.Errorf("after create: modified %v empty %v", s.Modified(), s.IsEmpty())
	}
}

func TestLoadHitModifySave(t *testing.T) {
	ctx := context.Background()
	st, cache, clock := newTestStore(t, djangosession.Config{})
	seed(t, st, cache, key1, py.DictOf("a", int64(1), "keep", "me"))

	s, err := st.Load(ctx, key1)
	if err != nil {
		t.Fatal(err)
	}
	if s.Accessed() || s.Modified() || s.Key() != key1 || s.IsEmpty() {
		t.Fatalf("after Load: accessed %v modified %v key %q empty %v", s.Accessed(), s.Modified(), s.Key(), s.IsEmpty())
	}
	if v, ok := s.Int("a"); !ok || v != 1 {
		t.Fatalf("a = %v %v", v, ok)
	}
	if !s.Accessed() || s.Modified() {
		t.Fatalf("after Get: accessed %v modified %v", s.Accessed(), s.Modified())
	}
	s.Set("a", int64(2))
	clock.Advance(30 * time.Minute) // the seed's TTL is an hour
	if err := s.Save(ctx); err != nil {
		t.Fatal(err)
	}
	// Django's update: get (exists check), then set; Load's get before.
	if cache.Calls("get") != 2 || cache.Calls("set") != 2 || cache.Calls("add") != 0 { // the seed is a set
		t.Errorf("calls get=%d set=%d add=%d", cache.Calls("get"), cache.Calls("set"), cache.Calls("add"))
	}
	d := stored(t, st, cache, key1)
	if v, _ := d.Int("a"); v != 2 {
		t.Errorf("stored a = %d", v)
	}
	if v, _ := d.String("keep"); v != "me" {
		t.Errorf("untouched value changed: %q", v)
	}
	// Every save rewrites the timeout with the current expiry age.
	if ttl, _ := cache.TTL(st.CacheKey(key1)); ttl != djangosession.DefaultSessionCookieAge {
		t.Errorf("TTL after save = %v", ttl)
	}
	if s.Key() != key1 {
		t.Errorf("key changed on update: %q", s.Key())
	}
}

// A missing, corrupt or invalid session gives a fresh session; its key is dropped on first use.
func TestLoadGivesFreshSession(t *testing.T) {
	ctx := context.Background()
	type setup func(t *testing.T, st *djangosession.Store, c *djangosessiontest.Cache) string
	raw := func(b []byte) setup {
		return func(t *testing.T, st *djangosession.Store, c *djangosessiontest.Cache) string {
			if err := c.Set(ctx, st.CacheKey(key1), b, time.Hour); err != nil {
				t.Fatal(err)
			}
			return key1
		}
	}
	pickled := func(v any) setup {
		return func(t *testing.T, st *djangosession.Store, c *djangosessiontest.Cache) string {
			b, err := pickle.Marshal(v, 5)
			if err != nil {
				t.Fatal(err)
			}
			return raw(b)(t, st, c)
		}
	}
	key := func(k string) setup {
		return func(*testing.T, *djangosession.Store, *djangosessiontest.Cache) string { return k }
	}
	tests := []struct {
		name      string
		memcached bool
		setup     setup
		wantGets  int
	}{
		{"missing", false, key(key1), 1},
		{"expired", false, func(t *testing.T, st *djangosession.Store, c *djangosessiontest.Cache) string {
			seed(t, st, c, key1, py.DictOf("a", int64(1)))
			if err := c.Set(ctx, st.CacheKey(key1), []byte("x"), 0); err != nil { // timeout 0: expire now
				t.Fatal(err)
			}
			return key1
		}, 1},
		// Hand-crafted hostile values (not Django's): garbage, a truncated pickle, an unknown opcode.
		{"garbage", false, raw([]byte("not a pickle at all")), 1},
		{"truncated pickle", false, raw([]byte{0x80, 0x05, 0x95, 0x20, 0, 0, 0, 0, 0, 0, 0, '}'}), 1},
		{"bad opcode", false, raw([]byte{0x80, 0x04, 0xff, '.'}), 1},
		{"empty value", false, raw([]byte{}), 1},
		{"pickled None", false, pickled(nil), 1},
		{"pickled int", false, pickled(int64(42)), 1},
		{"pickled list", false, pickled([]any{"a"}), 1},
		{"empty key", false, key(""), 0},
		{"7 chars", false, key("abcdefg"), 0},
		{"8 chars missing", false, key("abcdefgh"), 1},
		{"memcached: space in key", true, key("abc defgh"), 0},
		{"memcached: control char", true, key("abcdefgh\x7f"), 0},
		{"memcached: 300 chars", true, key(strings.Repeat("k", 300)), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, cache, _ := newTestStore(t, djangosession.Config{})
			cache.MemcachedKeys = tt.memcached
			k := tt.setup(t, st, cache)
			s, err := st.Load(ctx, k)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if got := cache.Calls("get"); got != tt.wantGets {
				t.Errorf("cache gets = %d, want %d", got, tt.wantGets)
			}
			if s.Len() != 0 {
				t.Errorf("Len = %d, want an empty session", s.Len())
			}
			if s.Key() != "" {
				t.Errorf("Key = %q after use, want it dropped", s.Key())
			}
			if !s.IsEmpty() {
				t.Error("IsEmpty = false")
			}
			// The next save creates a new session under a new key; the old one is not reused.
			s.Set("new", true)
			sets := cache.Calls("set")
			if err := s.Save(ctx); err != nil {
				t.Fatalf("Save: %v", err)
			}
			if s.Key() == k || len(s.Key()) != 32 {
				t.Errorf("saved under %q", s.Key())
			}
			if cache.Calls("add") != 1 || cache.Calls("set") != sets {
				t.Errorf("save: %d adds, %d sets; want one add", cache.Calls("add"), cache.Calls("set")-sets)
			}
		})
	}
}

// Django loads lazily: a session whose data was never used keeps its key and is not empty,
// whether or not it exists, so the middleware keeps the cookie. Saving it is Django's save() of
// a deleted session, UpdateError, whichever save path is configured.
func TestLoadMissBeforeUse(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		cfg  djangosession.Config
	}{
		{"default", djangosession.Config{}},
		{"AtomicSave", djangosession.Config{AtomicSave: true}},
		{"CompareAndSetSave", djangosession.Config{CompareAndSetSave: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, cache, _ := newTestStore(t, tc.cfg)
			s, err := st.Load(ctx, key1)
			if err != nil {
				t.Fatal(err)
			}
			if s.Key() != key1 || s.IsEmpty() || s.Accessed() {
				t.Fatalf("before use: key %q empty %v accessed %v", s.Key(), s.IsEmpty(), s.Accessed())
			}
			if err := s.Save(ctx); !errors.Is(err, djangosession.ErrUpdate) {
				t.Fatalf("Save of an unused missing session: %v, want ErrUpdate", err)
			}
			// Clear does not load: the key stays, and the save still fails.
			s.Clear()
			if s.Key() != key1 {
				t.Fatalf("Clear dropped the key")
			}
			if err := s.Save(ctx); !errors.Is(err, djangosession.ErrUpdate) {
				t.Fatalf("Save after Clear: %v, want ErrUpdate", err)
			}
			if _, err := cache.Get(ctx, st.CacheKey(key1)); !errors.Is(err, djangosession.ErrNotFound) {
				t.Fatalf("the failed saves stored something: %v", err)
			}
		})
		// Another writer stores the session between the Load that missed and the Save: Django's
		// save() loads it then (_get_session) and writes it back, never an empty dict over it.
		t.Run(tc.name+"/stored-meanwhile", func(t *testing.T) {
			st, cache, _ := newTestStore(t, tc.cfg)
			s, err := st.Load(ctx, key1)
			if err != nil {
				t.Fatal(err)
			}
			other, err := pickle.Marshal(py.DictOf("who", "other"), 5)
			if err != nil {
				t.Fatal(err)
			}
			if err := cache.Set(ctx, st.CacheKey(key1), other, time.Hour); err != nil {
				t.Fatal(err)
			}
			if err := s.Save(ctx); err != nil {
				t.Fatalf("Save: %v", err)
			}
			if s.Key() != key1 {
				t.Fatalf("key %q after Save, want %q", s.Key(), key1)
			}
			if who, _ := stored(t, st, cache, key1).String("who"); who != "other" {
				t.Fatalf("stored session lost the other writer's value: who=%q", who)
			}
		})
	}
}

var errDown = errors.New("connection refused")

// A server error is an error, never an empty session that a save would write back.
func TestServerErrors(t *testing.T) {
	ctx := context.Background()
	type sess = *djangosession.Session
	tests := []struct {
		name string
		op   string // the failing cache operation
		err  error
		run  func(st *djangosession.Store, s sess) error // s: key1, loaded and modified before the failure
	}{
		{"load: get down", "get", errDown, func(st *djangosession.Store, _ sess) error {
			s, err := st.Load(ctx, key1)
			if s != nil {
				return errors.New("Load returned a Session with its error")
			}
			return err
		}},
		{"load: get timeout", "get", context.DeadlineExceeded, func(st *djangosession.Store, _ sess) error {
			_, err := st.Load(ctx, key1)
			return err
		}},
		{"save: check get down", "get", errDown, func(_ *djangosession.Store, s sess) error { return s.Save(ctx) }},
		{"save: set down", "set", errDown, func(_ *djangosession.Store, s sess) error { return s.Save(ctx) }},
		{"create: has down", "has", errDown, func(st *djangosession.Store, _ sess) error { return st.New().Save(ctx) }},
		{"create: add down", "add", errDown, func(st *djangosession.Store, _ sess) error { return st.New().Create(ctx) }},
		{"exists down", "has", errDown, func(st *djangosession.Store, _ sess) error {
			_, err := st.Exists(ctx, key1)
			return err
		}},
		{"delete down", "delete", errDown, func(st *djangosession.Store, _ sess) error { return st.Delete(ctx, key1) }},
		{"cycle key: add down", "add", errDown, func(_ *djangosession.Store, s sess) error { return s.CycleKey(ctx) }},
		{"flush: delete down", "delete", errDown, func(_ *djangosession.Store, s sess) error { return s.Flush(ctx) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, cache, _ := newTestStore(t, djangosession.Config{})
			seed(t, st, cache, key1, py.DictOf("a", int64(1)))
			s, err := st.Load(ctx, key1)
			if err != nil {
				t.Fatal(err)
			}
			s.Set("b", int64(2))
			cache.Hook = func(op, _ string) error {
				if op == tt.op {
					return tt.err
				}
				return nil
			}
			err = tt.run(st, s)
			if !errors.Is(err, tt.err) {
				t.Fatalf("err = %v, want one wrapping %v", err, tt.err)
			}
			var ce *djangosession.CacheError
			if !errors.As(err, &ce) || ce.Op != tt.op {
				t.Fatalf("err = %#v, want a *CacheError for %q", err, tt.op)
			}
			if strings.Contains(err.Error(), key1) {
				t.Errorf("message holds the whole session key: %v", err)
			}
			cache.Hook = nil
			// The stored session is untouched: nothing was written over it.
			d := stored(t, st, cache, key1)
			if v, _ := d.Int("a"); v != 1 || d.Has("b") || d.Len() != 1 {
				t.Errorf("stored session changed: %v", d.Keys())
			}
			if n := len(cache.Keys()); n != 1 {
				t.Errorf("%d keys in the cache, want 1", n)
			}
		})
	}
}

// Django deletes the session (logout elsewhere) while Go holds it: the save must not bring it
// back.
func TestSaveAfterConcurrentDelete(t *testing.T) {
	ctx := context.Background()
	for _, atomic := range []bool{false, true} {
		t.Run(fmt.Sprintf("AtomicSave=%v", atomic), func(t *testing.T) {
			st, cache, _ := newTestStore(t, djangosession.Config{AtomicSave: atomic})
			seed(t, st, cache, key1, py.DictOf("a", int64(1)))
			s, err := st.Load(ctx, key1)
			if err != nil {
				t.Fatal(err)
			}
			s.Set("a", int64(2))
			if err := st.Delete(ctx, key1); err != nil {
				t.Fatal(err)
			}
			err = s.Save(ctx)
			if !errors.Is(err, djangosession.ErrUpdate) {
				t.Fatalf("Save = %v, want ErrUpdate", err)
			}
			if keys := cache.Keys(); len(keys) != 0 {
				t.Errorf("the deleted session came back: %q", keys)
			}
			if cache.Calls("set") != 1 || cache.Calls("add") != 0 { // the seed only
				t.Errorf("calls set=%d add=%d", cache.Calls("set"), cache.Calls("add"))
			}
			if atomic && (cache.Calls("replace") != 1 || cache.Calls("get") != 1) {
				t.Errorf("atomic save: replace=%d get=%d, want one REPLACE and no check GET", cache.Calls("replace"), cache.Calls("get"))
			}
		})
	}
}

func TestAtomicSaveUpdates(t *testing.T) {
	ctx := context.Background()
	st, cache, _ := newTestStore(t, djangosession.Config{AtomicSave: true})
	seed(t, st, cache, key1, py.DictOf("a", int64(1)))
	s, err := st.Load(ctx, key1)
	if err != nil {
		t.Fatal(err)
	}
	s.SetExpirySeconds(600)
	if err := s.Save(ctx); err != nil {
		t.Fatal(err)
	}
	if v, _ := stored(t, st, cache, key1).Int(djangosession.ExpiryKey); v != 600 {
		t.Errorf("stored expiry = %d", v)
	}
	if ttl, _ := cache.TTL(st.CacheKey(key1)); ttl != 600*time.Second {
		t.Errorf("TTL = %v", ttl)
	}
}

// noReplace hides the Replacer of the in-memory cache.
type noReplace struct{ djangosession.Cache }

func TestAtomicSaveNeedsReplacer(t *testing.T) {
	_, err := djangosession.NewStore(djangosession.Config{SessionEngine: djangosession.EngineCache, Cache: noReplace{djangosessiontest.NewCache()}, AtomicSave: true})
	var ce *djangosession.ConfigError
	if !errors.As(err, &ce) || ce.Field != "AtomicSave" {
		t.Fatalf("err = %v, want a ConfigError for AtomicSave", err)
	}
}

// collidingCache makes Add report "exists" for the first addFails calls, and Has report
// "exists" for the first hasHits calls.
type collidingCache struct {
	*djangosessiontest.Cache
	addFails, hasHits int
	adds, has         int
	keys              map[string]bool
}

func (c *collidingCache) Add(ctx context.Context, key string, v []byte, timeout time.Duration) (bool, error) {
	c.adds++
	c.keys[key] = true
	if c.adds <= c.addFails {
		return false, nil
	}
	return c.Cache.Add(ctx, key, v, timeout)
}

func (c *collidingCache) Has(ctx context.Context, key string) (bool, error) {
	c.has++
	if c.has <= c.hasHits {
		return true, nil
	}
	return c.Cache.Has(ctx, key)
}

func TestCreateRetries(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name              string
		addFails, hasHits int
		wantErr           error
		wantAdds          int
	}{
		{"first try", 0, 0, nil, 1},
		{"add collides 3 times", 3, 0, nil, 4},
		{"drawn keys exist 5 times", 0, 5, nil, 1},
		{"add collides 9999 times", 9999, 0, nil, 10000},
		{"add always collides", 1 << 30, 0, djangosession.ErrCreate, 10000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &collidingCache{Cache: djangosessiontest.NewCache(), addFails: tt.addFails, hasHits: tt.hasHits, keys: map[string]bool{}}
			st, err := djangosession.NewStore(djangosession.Config{SessionEngine: djangosession.EngineCache, Cache: c, Now: func() time.Time { return fixedNow }})
			if err != nil {
				t.Fatal(err)
			}
			s := st.New()
			s.Set("a", int64(1))
			err = s.Save(ctx)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Fatalf("Save = %v, want %v", err, tt.wantErr)
			}
			if c.adds != tt.wantAdds {
				t.Errorf("adds = %d, want %d", c.adds, tt.wantAdds)
			}
			if len(c.keys) != c.adds {
				t.Errorf("%d distinct keys for %d adds: a key was retried", len(c.keys), c.adds)
			}
			if tt.wantErr != nil {
				if s.Key() != "" || s.Modified() != true {
					t.Errorf("after failure: key %q (want none kept)", s.Key())
				}
				return
			}
			if !c.keys[st.CacheKey(s.Key())] {
				t.Errorf("session key %q is not the one added", s.Key())
			}
			if got := c.Cache.Keys(); len(got) != 1 || got[0] != st.CacheKey(s.Key()) {
				t.Errorf("cache holds %q", got)
			}
		})
	}
}

func TestContextCancelled(t *testing.T) {
	st, cache, _ := newTestStore(t, djangosession.Config{})
	seed(t, st, cache, key1, py.DictOf("a", int64(1)))
	s, err := st.Load(context.Background(), key1)
	if err != nil {
		t.Fatal(err)
	}
	s.Set("a", int64(9))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ops := map[string]func() error{
		"Load": func() error {
			s, err := st.Load(ctx, key1)
			if s != nil {
				return errors.New("Session returned with an error")
			}
			return err
		},
		"Save":     func() error { return s.Save(ctx) },
		"Create":   func() error { return st.New().Create(ctx) },
		"New.Save": func() error { return st.New().Save(ctx) },
		"CycleKey": func() error { return s.CycleKey(ctx) },
		"Flush":    func() error { return s.Flush(ctx) },
		"Delete":   func() error { return st.Delete(ctx, key1) },
		"Exists": func() error {
			_, err := st.Exists(ctx, key1)
			return err
		},
	}
	for name, op := range ops {
		t.Run(name, func(t *testing.T) {
			if err := op(); !errors.Is(err, context.Canceled) {
				t.Fatalf("err = %v, want context.Canceled", err)
			}
		})
	}
	if v, _ := stored(t, st, cache, key1).Int("a"); v != 1 {
		t.Errorf("stored session changed to a=%d", v)
	}
}

func TestExistsAndDelete(t *testing.T) {
	ctx := context.Background()
	st, cache, _ := newTestStore(t, djangosession.Config{})
	seed(t, st, cache, key1, py.DictOf("a", int64(1)))
	for _, tt := range []struct {
		key  string
		want bool
	}{{key1, true}, {"zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz", false}, {"", false}} {
		got, err := st.Exists(ctx, tt.key)
		if err != nil || got != tt.want {
			t.Errorf("Exists(%q) = %v, %v; want %v", tt.key, got, err, tt.want)
		}
	}
	if err := st.Delete(ctx, "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz"); err != nil {
		t.Errorf("Delete of a missing session: %v", err)
	}
	if err := st.Delete(ctx, key1); err != nil {
		t.Fatal(err)
	}
	if ok, _ := st.Exists(ctx, key1); ok {
		t.Error("session still exists after Delete")
	}
}

func TestSessionDeleteKeepsKeyAndData(t *testing.T) {
	ctx := context.Background()
	st, cache, _ := newTestStore(t, djangosession.Config{})
	seed(t, st, cache, key1, py.DictOf("a", int64(1)))
	s, _ := st.Load(ctx, key1)
	s.Get("a")
	if err := s.Delete(ctx); err != nil {
		t.Fatal(err)
	}
	if s.Key() != key1 || s.Len() != 1 {
		t.Fatalf("Delete changed the session: key %q len %d", s.Key(), s.Len())
	}
	if len(cache.Keys()) != 0 {
		t.Fatal("not deleted from the cache")
	}
	if err := s.Save(ctx); !errors.Is(err, djangosession.ErrUpdate) {
		t.Fatalf("Save after Delete = %v, want ErrUpdate", err)
	}
	if err := st.New().Delete(ctx); err != nil {
		t.Errorf("Delete of a session without key: %v", err)
	}
}

func TestFlush(t *testing.T) {
	ctx := context.Background()
	st, cache, _ := newTestStore(t, djangosession.Config{})
	seed(t, st, cache, key1, py.DictOf("_auth_user_id", "42"))
	s, _ := st.Load(ctx, key1)
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if s.Key() != "" || s.Len() != 0 || !s.IsEmpty() || !s.Modified() || !s.Accessed() {
		t.Fatalf("after Flush: key %q len %d empty %v modified %v", s.Key(), s.Len(), s.IsEmpty(), s.Modified())
	}
	if ok, _ := st.Exists(ctx, key1); ok {
		t.Fatal("flushed session still in the cache")
	}
	s.Set("x", int64(1))
	if err := s.Save(ctx); err != nil {
		t.Fatal(err)
	}
	if s.Key() == key1 || s.Key() == "" {
		t.Errorf("saved under %q", s.Key())
	}
}

func TestCycleKey(t *testing.T) {
	ctx := context.Background()
	st, cache, _ := newTestStore(t, djangosession.Config{})
	seed(t, st, cache, key1, py.DictOf("cart", []any{"x"}, "n", int64(3)))
	s, _ := st.Load(ctx, key1)
	if err := s.CycleKey(ctx); err != nil {
		t.Fatal(err)
	}
	newKey := s.Key()
	if newKey == key1 || len(newKey) != 32 {
		t.Fatalf("new key %q", newKey)
	}
	if ok, _ := st.Exists(ctx, key1); ok {
		t.Error("old session not deleted")
	}
	d := stored(t, st, cache, newKey)
	if v, _ := d.Int("n"); v != 3 || d.Len() != 2 {
		t.Errorf("data not carried over: %v", d.Keys())
	}
	if !s.Modified() {
		t.Error("not modified after CycleKey")
	}
	// A new session: cycling creates it, there is no old key to delete.
	n := st.New()
	n.Set("a", int64(1))
	if err := n.CycleKey(ctx); err != nil || n.Key() == "" {
		t.Fatalf("CycleKey of a new session: %v, key %q", err, n.Key())
	}
}

// TestCachedDB follows cached_db.SessionStore: the cache copy is read first, the row on a
// miss (refilling the cache until the row's expire_date), writes go to the row and then to
// the cache, deletes to both. The live tests check the same against Django.
func TestCachedDB(t *testing.T) {
	ctx := context.Background()
	tbl := newTable(t)
	st, cache, clock := newTestStore(t, djangosession.Config{SessionEngine: djangosession.EngineCachedDB, DB: tbl, SecretKey: testSecret, DjangoVersion: "5.2"})
	seed(t, st, cache, key1, py.DictOf("a", int64(1)))
	s, err := st.Load(ctx, key1)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := s.Int("a"); v != 1 || s.LoadError() != nil {
		t.Errorf("from the cache copy: a = %d, LoadError %v", v, s.LoadError())
	}
	// No copy and no row: Django's empty session, not an error.
	miss, err := st.Load(ctx, "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz")
	if err != nil || !errors.Is(miss.LoadError(), djangosession.ErrNotFound) {
		t.Errorf("cached_db miss: %v, LoadError %v; want an empty session matching ErrNotFound", err, miss.LoadError())
	}
	// Hand-crafted corrupt copy: a miss of the cache, left to the database.
	if err := cache.Set(ctx, st.CacheKey("corruptcorrupt"), []byte("junk"), time.Hour); err != nil {
		t.Fatal(err)
	}
	if c, err := st.Load(ctx, "corruptcorrupt"); err != nil || !errors.Is(c.LoadError(), djangosession.ErrNotFound) {
		t.Errorf("cached_db corrupt copy: %v, %v", err, c.LoadError())
	}

	// A new session: the row, then the copy.
	n := st.New()
	n.Set("cart", "x")
	if err := n.Save(ctx); err != nil {
		t.Fatal(err)
	}
	if ok, _ := tbl.Exists(ctx, n.Key()); !ok {
		t.Error("Create wrote no row")
	}
	if v, _ := stored(t, st, cache, n.Key()).String("cart"); v != "x" {
		t.Error("Create wrote no cache copy")
	}
	// The copy evicted behind Django's back: the row answers, and the copy comes back with the
	// row's remaining lifetime as its timeout.
	if err := cache.Delete(ctx, st.CacheKey(n.Key())); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Hour)
	back, err := st.Load(ctx, n.Key())
	if err != nil || back.LoadError() != nil {
		t.Fatalf("after eviction: %v, %v", err, back.LoadError())
	}
	if v, _ := back.String("cart"); v != "x" {
		t.Errorf("after eviction: cart = %q", v)
	}
	if ttl, ok := cache.TTL(st.CacheKey(n.Key())); !ok || ttl != djangosession.DefaultSessionCookieAge-time.Hour {
		t.Errorf("refilled copy: ttl %v, %v; want the row's remaining %v", ttl, ok, djangosession.DefaultSessionCookieAge-time.Hour)
	}
	// Save updates both; a session whose row is gone is UpdateError.
	back.Set("cart", "y")
	if err := back.Save(ctx); err != nil {
		t.Fatal(err)
	}
	if v, _ := stored(t, st, cache, n.Key()).String("cart"); v != "y" {
		t.Errorf("copy after Save: %q", v)
	}
	if err := st.Delete(ctx, n.Key()); err != nil {
		t.Fatal(err)
	}
	if ok, _ := tbl.Exists(ctx, n.Key()); ok {
		t.Error("Delete left the row")
	}
	if ok, _ := cache.Has(ctx, st.CacheKey(n.Key())); ok {
		t.Error("Delete left the cache copy")
	}
	if err := back.Save(ctx); !errors.Is(err, djangosession.ErrUpdate) {
		t.Errorf("Save after the row was deleted: %v, want ErrUpdate", err)
	}
}

// TestCachedDBCacheWriteFailure: Django 3.2 and 4.2 let a failed cache write after the row
// through (a 500); 5.0+ log it and carry on, the row being saved.
func TestCachedDBCacheWriteFailure(t *testing.T) {
	ctx := context.Background()
	down := errors.New("connection refused (test)")
	for _, v := range []string{"4.2", "5.2"} {
		t.Run(v, func(t *testing.T) {
			tbl := newTable(t)
			st, cache, _ := newTestStore(t, djangosession.Config{SessionEngine: djangosession.EngineCachedDB, DB: tbl, SecretKey: testSecret, DjangoVersion: v})
			cache.Hook = func(op, key string) error {
				if op == "set" {
					return down
				}
				return nil
			}
			s := st.New()
			s.Set("a", int64(1))
			err := s.Save(ctx)
			if v == "4.2" && !errors.Is(err, down) {
				t.Errorf("4.2: Save = %v, want the cache error", err)
			}
			if v == "5.2" && err != nil {
				t.Errorf("5.2: Save = %v, want nil (Django logs and carries on)", err)
			}
			if ok, _ := tbl.Exists(ctx, s.Key()); s.Key() == "" || !ok {
				t.Error("the row was not saved")
			}
		})
	}
}

func TestPickleProtocolChoice(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name   string
		hint   int
		cfg    int
		codec  int
		wantV5 byte
	}{
		{"default", 0, 0, 0, 5},
		{"backend hint (django-redis)", 4, 0, 0, 4},
		{"config wins over hint", 4, 2, 0, 2},
		{"codec protocol wins over hint", 4, 0, 3, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cache := djangosessiontest.NewCache()
			cache.Protocol = tt.hint
			cfg := djangosession.Config{PickleProtocol: tt.cfg}
			if tt.codec != 0 {
				cfg.Codec = &pickle.Codec{Protocol: tt.codec}
			}
			sc := cfg
			sc.Cache = cache
			if sc.SessionEngine == "" {
				sc.SessionEngine = djangosession.EngineCache
			}
			st, err := djangosession.NewStore(sc)
			if err != nil {
				t.Fatal(err)
			}
			s := st.New()
			s.Set("a", int64(1))
			if err := s.Save(ctx); err != nil {
				t.Fatal(err)
			}
			b, err := cache.Get(ctx, st.CacheKey(s.Key()))
			if err != nil {
				t.Fatal(err)
			}
			if len(b) < 2 || b[0] != 0x80 || b[1] != tt.wantV5 {
				t.Errorf("value starts % x, want PROTO %d", b[:min(len(b), 2)], tt.wantV5)
			}
		})
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name  string
		cfg   djangosession.Config
		field string
	}{
		{"unknown Django", djangosession.Config{DjangoVersion: "4.1"}, "DjangoVersion"},
		{"db engine without a table", djangosession.Config{SessionEngine: "django.contrib.sessions.backends.db", SecretKey: "k"}, "DB"},
		{"db engine without a secret", djangosession.Config{SessionEngine: djangosession.EngineDB, DB: newTable(t)}, "SecretKey"},
		{"cached_db without a cache", djangosession.Config{SessionEngine: djangosession.EngineCachedDB, DB: newTable(t), SecretKey: "k"}, "Cache"},
		{"signed cookies without a secret", djangosession.Config{SessionEngine: "signed_cookies"}, "SecretKey"},
		{"file engine, no directory", djangosession.Config{SessionEngine: "file", SecretKey: "k", SessionFilePath: "/nonexistent/djangobridge"}, "SessionFilePath"},
		{"unknown engine", djangosession.Config{SessionEngine: "django.contrib.sessions.backends.redis"}, "SessionEngine"},
		{"no engine", djangosession.Config{SessionEngine: ""}, "SessionEngine"},
		{"negative age", djangosession.Config{SessionCookieAge: -time.Second}, "SessionCookieAge"},
		{"protocol 1", djangosession.Config{PickleProtocol: 1}, "PickleProtocol"},
		{"protocol 6", djangosession.Config{PickleProtocol: 6}, "PickleProtocol"},
		{"unknown zone", djangosession.Config{DisableUseTZ: true, TimeZone: "Mars/Olympus_Mons"}, "TimeZone"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.cfg
			if cfg.SessionEngine == "" && tt.field != "SessionEngine" {
				cfg.SessionEngine, cfg.Cache = djangosession.EngineCache, djangosessiontest.NewCache()
			}
			err := cfg.Validate()
			var ce *djangosession.ConfigError
			if !errors.As(err, &ce) || ce.Field != tt.field {
				t.Fatalf("Validate = %v, want a ConfigError for %s", err, tt.field)
			}
			if !strings.HasPrefix(err.Error(), "djangosession: ") {
				t.Errorf("message %q", err)
			}
			if _, err := djangosession.NewStore(cfg); !errors.As(err, &ce) {
				t.Errorf("NewStore accepted it: %v", err)
			}
		})
	}
	for _, v := range djangosession.DjangoVersions {
		if err := (djangosession.Config{DjangoVersion: v, SessionEngine: "cache", Cache: djangosessiontest.NewCache()}).Validate(); err != nil {
			t.Errorf("version %s: %v", v, err)
		}
	}
	// Every engine, by its full and its short name, with what it needs.
	for _, e := range djangosession.Engines {
		short := strings.TrimPrefix(e, "django.contrib.sessions.backends.")
		for _, name := range []string{e, short} {
			cfg := djangosession.Config{SessionEngine: name, Cache: djangosessiontest.NewCache(), DB: newTable(t), SecretKey: "k", SessionFilePath: t.TempDir()}
			st, err := djangosession.NewStore(cfg)
			if err != nil || st.Engine() != e {
				t.Errorf("engine %s: %v", name, err)
			}
		}
	}
	if _, err := djangosession.NewStore(djangosession.Config{SessionEngine: djangosession.EngineCache, Cache: nil}); err == nil {
		t.Error("NewStore(nil) succeeded")
	}
}

func TestCacheErrorTruncatesKey(t *testing.T) {
	full := ":1:django.contrib.sessions.cache" + key1
	err := djangosession.NewCacheError("get", full, errDown)
	if strings.Contains(err.Error(), key1) || strings.Contains(err.Key, key1[8:]) {
		t.Errorf("CacheError shows the session key: %q", err.Error())
	}
	if !strings.HasPrefix(err.Error(), "djangosession: cache get :1:django.contrib.sessions.cache") {
		t.Errorf("message %q", err.Error())
	}
	if !errors.Is(err, errDown) {
		t.Error("does not unwrap to its cause")
	}
	for _, k := range []string{"", "a", "abcdefgh", key1} {
		if e := djangosession.NewCacheError("get", k, nil); k != "" && strings.Contains(e.Key, k) {
			t.Errorf("key %q shown whole: %q", k, e.Key)
		}
	}
}

func TestValidateMemcachedKey(t *testing.T) {
	tests := []struct {
		key string
		ok  bool
	}{
		{":1:django.contrib.sessions.cache" + key1, true},
		{strings.Repeat("a", 250), true},
		{strings.Repeat("a", 251), false},
		{strings.Repeat("é", 126), false}, // 126 characters, 252 bytes
		{"caf\u00e9:1:k", true},
		{"a b", false},
		{"a\tb", false},
		{"a\x7fb", false},
		{"a\x00b", false},
		{"\xff\xfe", false},
	}
	for _, tt := range tests {
		err := djangosession.ValidateMemcachedKey(tt.key)
		if (err == nil) != tt.ok || (err != nil && !errors.Is(err, djangosession.ErrInvalidKey)) {
			t.Errorf("ValidateMemcachedKey(%.20q) = %v, want ok=%v", tt.key, err, tt.ok)
		}
	}
}

func TestValidSessionKey(t *testing.T) {
	for key, want := range map[string]bool{
		"": false, "1234567": false, "12345678": true, key1: true,
		"éééééééé": true, "ééé": false, "with space and \x00": true, // no character check, like Django
	} {
		if got := djangosession.ValidSessionKey(key); got != want {
			t.Errorf("ValidSessionKey(%q) = %v", key, got)
		}
	}
}

// notSessionCache reports every stored value as "not a session", as the adapters do for a
// memcached str/int item or a Redis int.
type notSessionCache struct{ *djangosessiontest.Cache }

func (c notSessionCache) Get(ctx context.Context, key string) ([]byte, error) {
	if _, err := c.Cache.Get(ctx, key); err != nil {
		return nil, err
	}
	return nil, djangosession.NewCacheError("get", key, fmt.Errorf("item flags 16 hold a str: %w", djangosession.ErrCorrupt))
}

func TestAdapterReportsNotASession(t *testing.T) {
	ctx := context.Background()
	inner := djangosessiontest.NewCache()
	c := notSessionCache{inner}
	st, err := djangosession.NewStore(djangosession.Config{SessionEngine: djangosession.EngineCache, Cache: c, Now: func() time.Time { return fixedNow }})
	if err != nil {
		t.Fatal(err)
	}
	if err := inner.Set(ctx, st.CacheKey(key1), []byte("a str"), time.Hour); err != nil {
		t.Fatal(err)
	}
	// Load: a miss, as Django's load() catches the unpickling error.
	s, err := st.Load(ctx, key1)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if s.Len() != 0 || s.Key() != "" {
		t.Fatalf("Load gave len %d key %q", s.Len(), s.Key())
	}
	// Save's existence check: the value is there (not None), so Django's save overwrites it.
	held := st.New()
	held.Set("x", int64(1))
	if err := held.Save(ctx); err != nil {
		t.Fatal(err)
	}
	if err := inner.Set(ctx, st.CacheKey(held.Key()), []byte("a str"), time.Hour); err != nil {
		t.Fatal(err)
	}
	held.Set("x", int64(2))
	if err := held.Save(ctx); err != nil {
		t.Fatalf("Save over a non-session value: %v", err)
	}
	if v, _ := stored(t, st, inner, held.Key()).Int("x"); v != 2 {
		t.Errorf("x = %d", v)
	}
}

// A session holding an object of a class the codec does not allow is not a miss: Django would
// load it, so a fresh session would log the user out. Load reports the gap.
func TestLoadForbiddenGlobal(t *testing.T) {
	ctx := context.Background()
	obj := &py.Object{Global: py.Global{Module: "shop.cart", Name: "Cart"}, How: "reduce", Args: py.Tuple{"sku-1"}}
	allow := &pickle.Codec{AllowGlobals: []string{"shop.cart.Cart"}}
	b, err := allow.Encode(py.DictOf("cart", obj))
	if err != nil {
		t.Fatal(err)
	}
	st, cache, _ := newTestStore(t, djangosession.Config{})
	if err := cache.Set(ctx, st.CacheKey(key1), b, time.Hour); err != nil {
		t.Fatal(err)
	}
	s, err := st.Load(ctx, key1)
	var fg *pickle.ForbiddenGlobalError
	if s != nil || !errors.As(err, &fg) || fg.Global.String() != "shop.cart.Cart" {
		t.Fatalf("Load = %v, %v; want a ForbiddenGlobalError", s, err)
	}
	allowed, err := djangosession.NewStore(djangosession.Config{SessionEngine: djangosession.EngineCache, Cache: cache, Codec: allow})
	if err != nil {
		t.Fatal(err)
	}
	s, err = allowed.Load(ctx, key1)
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := s.Get("cart"); !ok || v.(*py.Object).Global.Name != "Cart" {
		t.Errorf("cart = %#v", v)
	}
	// Written back unchanged.
	s.Set("n", int64(1))
	if err := s.Save(ctx); err != nil {
		t.Fatal(err)
	}
}

// LoadError says why Load found no session, where the Session itself behaves as Django's (an
// empty session).
func TestLoadError(t *testing.T) {
	ctx := context.Background()
	list, err := pickle.Marshal([]any{"not", "a", "dict"}, 5)
	if err != nil {
		t.Fatal(err)
	}
	session, err := pickle.Marshal(py.DictOf("a", int64(1)), 5)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		key    string
		stored []byte // nil: nothing stored
		want   error  // nil: LoadError is nil
		pickle bool   // the error carries a *pickle.Error
	}{
		{"found", key1, session, nil, false},
		{"missing", key1, nil, djangosession.ErrNotFound, false},
		// Hand-made: a truncated pickle (PROTO 5, then EMPTY_DICT and no STOP).
		{"truncated pickle", key1, []byte{0x80, 0x05, '}'}, djangosession.ErrCorrupt, true},
		{"not a dict", key1, list, djangosession.ErrCorrupt, false},
		{"short key", "abc", nil, djangosession.ErrInvalidKey, false},
		{"empty key", "", nil, djangosession.ErrInvalidKey, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st, cache, _ := newTestStore(t, djangosession.Config{})
			if tc.stored != nil {
				if err := cache.Set(ctx, st.CacheKey(tc.key), tc.stored, time.Hour); err != nil {
					t.Fatal(err)
				}
			}
			s, err := st.Load(ctx, tc.key)
			if err != nil {
				t.Fatal(err)
			}
			got := s.LoadError()
			if tc.want == nil {
				if got != nil {
					t.Fatalf("LoadError = %v, want nil", got)
				}
				return
			}
			if !errors.Is(got, tc.want) {
				t.Fatalf("LoadError = %v, want an error matching %v", got, tc.want)
			}
			var pe *pickle.Error
			if tc.pickle != errors.As(got, &pe) {
				t.Fatalf("LoadError = %v: *pickle.Error %v, want %v", got, !tc.pickle, tc.pickle)
			}
			if strings.Contains(got.Error(), tc.key) && tc.key != "" {
				t.Fatalf("LoadError %q quotes the session key", got)
			}
			// The Session is Django's: empty, without a key once used.
			if s.Len() != 0 || s.Key() != "" {
				t.Fatalf("after a miss: %d keys, key %q", s.Len(), s.Key())
			}
		})
	}
	st, _, _ := newTestStore(t, djangosession.Config{})
	if err := st.New().LoadError(); err != nil {
		t.Fatalf("New().LoadError() = %v", err)
	}
}

// TestDBForgedKeys: a cookie value with a NUL byte or invalid UTF-8 (hand-made forgeries) is no
// session, under db and cached_db, not a database error.
func TestDBForgedKeys(t *testing.T) {
	ctx := context.Background()
	for _, engine := range []string{djangosession.EngineDB, djangosession.EngineCachedDB} {
		st, _, _ := newTestStore(t, djangosession.Config{SessionEngine: engine, DB: newTable(t), SecretKey: testSecret})
		for _, key := range []string{"abcdefgh\x00ijklmnop", "abcdefgh\xffijklmnop"} {
			s, err := st.Load(ctx, key)
			if err != nil || !errors.Is(s.LoadError(), djangosession.ErrInvalidKey) {
				t.Errorf("%s: Load(%q) = %v, LoadError %v; want an empty session, ErrInvalidKey", engine, key, err, s.LoadError())
			}
			if ok, err := st.Exists(ctx, key); ok || err != nil {
				t.Errorf("%s: Exists(%q) = %v, %v", engine, key, ok, err)
			}
		}
	}
}

// TestLoggerReportsEmptySessions: Config.Logger hears of each session Go treats as empty, with
// the reason and never the key.
func TestLoggerReportsEmptySessions(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, nil))
	st, _, _ := newTestStore(t, djangosession.Config{Logger: logger})
	if _, err := st.Load(context.Background(), key1); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if !strings.Contains(out, "level=WARN") || !strings.Contains(out, "not found") || strings.Contains(out, key1) {
		t.Errorf("log: %q; want a warning with the reason and without the key", out)
	}
}

// TestSetRefusesUnencodable: a value the engine's serializer cannot write is refused by Set at
// once, and the session keeps what it had.
func TestSetRefusesUnencodable(t *testing.T) {
	cache, _, _ := newTestStore(t, djangosession.Config{})
	db, _, _ := newTestStore(t, djangosession.Config{SessionEngine: djangosession.EngineDB, DB: newTable(t), SecretKey: testSecret})
	for _, tt := range []struct {
		name  string
		st    *djangosession.Store
		value any
		ok    bool
	}{
		{"cache: a Go channel", cache, make(chan int), false},
		{"cache: a datetime (pickled)", cache, py.DateTime{Year: 2030, Month: 1, Day: 1}, true},
		{"db: a datetime (JSONSerializer)", db, py.DateTime{Year: 2030, Month: 1, Day: 1}, false},
		{"db: a set", db, &py.Set{}, false},
		{"db: a list of str", db, []any{"a"}, true},
	} {
		s := tt.st.New()
		err := s.Set("k", tt.value)
		if (err == nil) != tt.ok || s.Has("k") != tt.ok || s.Modified() != tt.ok {
			t.Errorf("%s: Set = %v, stored %v, modified %v; want ok=%v", tt.name, err, s.Has("k"), s.Modified(), tt.ok)
		}
	}
}
