package faulttest

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/djangobridge/bridge/djangosession"
	"github.com/djangobridge/bridge/djangosession/memcachestore"
	"github.com/djangobridge/bridge/djangosession/redisstore"
	"github.com/djangobridge/bridge/internal/pybridge"
)

// casConfigs are the Django cache configurations (compat_test/djproject/caches.py ids) the
// lost-update tests use, with the Go cache that talks to the same server the same way.
var casConfigs = []struct {
	id    string
	cache func(t *testing.T, redisAddr, mcAddr string) (djangosession.Cache, func() error)
}{
	{"redis", func(t *testing.T, r, _ string) (djangosession.Cache, func() error) {
		c, err := redisstore.New(redisstore.Options{Location: []string{"redis://" + r + "/2"}})
		if err != nil {
			t.Fatal(err)
		}
		return c, c.Close
	}},
	{"django-redis-zlib", func(t *testing.T, r, _ string) (djangosession.Cache, func() error) {
		c, err := redisstore.New(redisstore.Options{Location: []string{"redis://" + r + "/2"},
			Format: redisstore.FormatDjangoRedis, Compressor: redisstore.CompressorZlib})
		if err != nil {
			t.Fatal(err)
		}
		return c, c.Close
	}},
	{"pymemcache", func(t *testing.T, _, m string) (djangosession.Cache, func() error) {
		c, err := memcachestore.New(memcachestore.Options{Location: []string{m}, Client: memcachestore.PyMemcache})
		if err != nil {
			t.Fatal(err)
		}
		return c, c.Close
	}},
	{"pylibmc", func(t *testing.T, _, m string) (djangosession.Cache, func() error) {
		c, err := memcachestore.New(memcachestore.Options{Location: []string{m}, Client: memcachestore.PyLibMC})
		if err != nil {
			t.Fatal(err)
		}
		return c, c.Close
	}},
}

// TestLostUpdateWithDjango: two writers of one session, Go and a real Django (through
// internal/pybridge, on this test's own servers). Django's cache sessions have no
// concurrency check: each save writes the whole dict, so the last write wins and the other
// writer's change is lost. By default Go does the same, in both orders; with CompareAndSetSave a
// Go save that would overwrite Django's change fails with ErrConflict instead.
func TestLostUpdateWithDjango(t *testing.T) {
	requireLive(t)
	rs, ms := startRedis(t), startMemcached(t)
	t.Setenv("DJANGOBRIDGE_REDIS", rs.Addr())
	t.Setenv("DJANGOBRIDGE_REDIS_REPLICA", rs.Addr())
	t.Setenv("DJANGOBRIDGE_MEMCACHED", ms.Addr())
	t.Setenv("DJANGOBRIDGE_KEY_PREFIX", "")
	t.Setenv("DJANGOBRIDGE_REDIS_DB", "2")
	for _, v := range pybridge.Versions() {
		t.Run("django-"+v, func(t *testing.T) {
			ctx := waitCtx(t, 2*time.Minute)
			b, err := pybridge.Start(ctx, v)
			if err != nil {
				t.Fatalf("%v (make the venvs with compat_test/setup.sh)", err)
			}
			t.Cleanup(func() { b.Close() })
			for _, cfg := range casConfigs {
				if !slices.Contains(b.Info.Configs, cfg.id) {
					continue // not in this Django (no RedisCache in 3.2)
				}
				t.Run(cfg.id, func(t *testing.T) {
					cache, closeCache := cfg.cache(t, rs.Addr(), ms.Addr())
					defer closeCache()
					testLostUpdate(ctx, t, b, cache, v, cfg.id)
				})
			}
		})
	}
}

func testLostUpdate(ctx context.Context, t *testing.T, b *pybridge.Bridge, cache djangosession.Cache, version, config string) {
	lww, err := djangosession.NewStore(djangosession.Config{SessionEngine: djangosession.EngineCache, Cache: cache, DjangoVersion: version})
	if err != nil {
		t.Fatal(err)
	}
	cas, err := djangosession.NewStore(djangosession.Config{SessionEngine: djangosession.EngineCache, Cache: cache, DjangoVersion: version, CompareAndSetSave: true})
	if err != nil {
		t.Fatal(err)
	}
	djangoModify := func(key string, set map[string]any, load bool) {
		t.Helper()
		err := b.Call(ctx, "session_modify", map[string]any{"config": config, "session_key": key, "set": set, "load": load}, nil)
		if err != nil {
			t.Fatalf("Django session_modify: %v", err)
		}
	}
	keysOf := func(key string) []string {
		t.Helper()
		s, err := lww.Load(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, k := range s.Keys() {
			out = append(out, k.(string))
		}
		slices.Sort(out)
		return out
	}
	s := lww.New()
	s.Set("origin", "go")
	if err := s.Save(ctx); err != nil {
		t.Fatal(err)
	}
	key := s.Key()

	// 1. Go saves, then Django saves what it loaded before Go's save: Django's write wins.
	g, err := lww.Load(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	g.Set("go1", "x")
	if err := g.Save(ctx); err != nil {
		t.Fatal(err)
	}
	djangoModify(key, map[string]any{"origin": "go", "dj1": "y"}, false)
	if got := keysOf(key); !slices.Equal(got, []string{"dj1", "origin"}) {
		t.Errorf("after Go then Django: keys %v, want Django's last write [dj1 origin]", got)
	}

	// 2. Go loads, Django saves, Go saves (default): Go's write wins, Django's dj2 is lost, as
	// between two Django requests.
	g, err = lww.Load(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	djangoModify(key, map[string]any{"dj2": "z"}, true)
	g.Set("go2", "w")
	if err := g.Save(ctx); err != nil {
		t.Fatalf("default save over Django's: %v, want last write wins", err)
	}
	if got := keysOf(key); !slices.Equal(got, []string{"dj1", "go2", "origin"}) {
		t.Errorf("after Django then Go: keys %v, want Go's last write [dj1 go2 origin]", got)
	}

	// 3. The same with CompareAndSetSave: Go's save reports the conflict and writes nothing.
	g, err = cas.Load(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	djangoModify(key, map[string]any{"dj3": "q"}, true)
	g.Set("go3", "v")
	if err := g.Save(ctx); !errors.Is(err, djangosession.ErrConflict) {
		t.Fatalf("CompareAndSetSave over Django's write: %v, want ErrConflict", err)
	}
	if got := keysOf(key); !slices.Equal(got, []string{"dj1", "dj3", "go2", "origin"}) {
		t.Errorf("after the conflict: keys %v, want Django's write kept", got)
	}
	// Reload, reapply, save: Django sees both changes.
	g, err = cas.Load(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	g.Set("go3", "v")
	if err := g.Save(ctx); err != nil {
		t.Fatal(err)
	}
	var resp struct {
		Data map[string]any `json:"data"`
	}
	if err := b.Call(ctx, "session_load", map[string]any{"config": config, "session_key": key}, &resp); err != nil {
		t.Fatal(err)
	}
	if resp.Data["go3"] != "v" || resp.Data["dj3"] != "q" {
		t.Errorf("Django loads %v, want go3 and dj3", resp.Data)
	}
	// A Django save after the Go CAS save is not checked (Django has no CAS): it wins.
	djangoModify(key, map[string]any{"origin": "django"}, false)
	if got := keysOf(key); !slices.Equal(got, []string{"origin"}) {
		t.Errorf("Django's unchecked save: keys %v, want [origin]", got)
	}
}
