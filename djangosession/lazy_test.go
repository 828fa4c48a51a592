package djangosession_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/djangobridge/bridge/djangosession"
	"github.com/djangobridge/bridge/djangosession/djangosessiontest"
	"github.com/djangobridge/bridge/py"
)

// lazyStores returns a Store of each engine that loads lazily: cache (pickle), db, file and
// signed_cookies (JSON).
func lazyStores(t *testing.T) map[string]*djangosession.Store {
	t.Helper()
	out := map[string]*djangosession.Store{}
	for _, engine := range []string{djangosession.EngineCache, djangosession.EngineDB, djangosession.EngineFile, djangosession.EngineSignedCookies} {
		cfg := djangosession.Config{SessionEngine: engine, Cache: djangosessiontest.NewCache(), DB: newTable(t),
			SessionFilePath: t.TempDir(), SecretKey: testSecret, DjangoVersion: "5.2"}
		if engine != djangosession.EngineDB {
			cfg.DB = nil
		}
		if engine != djangosession.EngineCache {
			cfg.Cache = nil
		}
		st, err := djangosession.NewStore(cfg)
		if err != nil {
			t.Fatal(err)
		}
		out[engine] = st
	}
	return out
}

func lazySeed() *py.Dict {
	return py.DictOf("_auth_user_id", "42", "_auth_user_backend", "django.contrib.auth.backends.ModelBackend",
		"_auth_user_hash", "abc123", "cart", []any{py.DictOf("sku", "A-1", "qty", int64(2)), py.DictOf("sku", "B-2", "qty", int64(1))},
		"flags", py.DictOf("beta", true), "n", int64(7))
}

// TestLazySessionReadsAndWrites loads a session under each lazy engine, reads and changes it
// the ways a view does, saves, and checks what a fresh Load reads back: the changes, keys in
// Python's order, untouched values as they were.
func TestLazySessionReadsAndWrites(t *testing.T) {
	ctx := context.Background()
	for engine, st := range lazyStores(t) {
		t.Run(engine, func(t *testing.T) {
			s := st.New()
			if err := s.Update(lazySeed()); err != nil {
				t.Fatal(err)
			}
			if err := s.Save(ctx); err != nil {
				t.Fatal(err)
			}
			key := s.Key()

			s, err := st.Load(ctx, key)
			if err != nil {
				t.Fatal(err)
			}
			if id, ok := s.String("_auth_user_id"); !ok || id != "42" {
				t.Fatalf("_auth_user_id = %q, %v", id, ok)
			}
			if s.Len() != 6 || !s.Has("cart") || s.Has("nope") || len(s.Keys()) != 6 {
				t.Fatalf("Len %d Keys %v", s.Len(), s.Keys())
			}
			if lazy, pending := djangosession.LazyState(s); !lazy || pending != 0 {
				t.Fatalf("after reads of strs: lazy %v, pending %d", lazy, pending)
			}
			// A value changed in place, then marked, as a view does.
			cart, _ := s.Get("cart")
			cart.([]any)[0].(*py.Dict).Set("qty", int64(5))
			s.MarkModified()
			// An existing key set again keeps its place; a new key comes last.
			if err := s.Set("n", int64(8)); err != nil {
				t.Fatal(err)
			}
			if err := s.Set("last_seen", "today"); err != nil {
				t.Fatal(err)
			}
			if s.Len() != 7 || !s.Has("last_seen") {
				t.Fatalf("after Set: Len %d", s.Len())
			}
			// cart (read, a list), n and last_seen (set).
			if lazy, pending := djangosession.LazyState(s); !lazy || pending != 3 {
				t.Fatalf("before Save: lazy %v, pending %d", lazy, pending)
			}
			if err := s.Save(ctx); err != nil {
				t.Fatal(err)
			}
			key = s.Key() // signed cookies: the new cookie

			want := lazySeed()
			c, _ := want.Get("cart")
			c.([]any)[0].(*py.Dict).Set("qty", int64(5))
			want.Set("n", int64(8))
			want.Set("last_seen", "today")
			back, err := st.Load(ctx, key)
			if err != nil {
				t.Fatal(err)
			}
			got := back.Data()
			if !py.Equal(got, want) || !py.Equal(py.Tuple(anyKeys(got)), py.Tuple(anyKeys(want))) {
				t.Fatalf("read back %v\nwant %v", got, want)
			}

			// A removal writes the whole dict.
			if !back.Remove("flags") {
				t.Fatal("Remove(flags) false")
			}
			if err := back.Save(ctx); err != nil {
				t.Fatal(err)
			}
			key = back.Key()
			want.Remove("flags")
			again, err := st.Load(ctx, key)
			if err != nil {
				t.Fatal(err)
			}
			if got := again.Data(); !py.Equal(got, want) {
				t.Fatalf("after Remove: %v\nwant %v", got, want)
			}
		})
	}
}

func anyKeys(d *py.Dict) []any { return d.Keys() }

// TestLazyCacheSaveAppends checks that a Save of a session loaded from the cache keeps the
// stored pickle's bytes and appends the change.
func TestLazyCacheSaveAppends(t *testing.T) {
	ctx := context.Background()
	st, cache, _ := newTestStore(t, djangosession.Config{})
	seed(t, st, cache, key1, lazySeed())
	before, _ := cache.Get(ctx, st.CacheKey(key1))
	s, err := st.Load(ctx, key1)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Set("n", int64(9)); err != nil {
		t.Fatal(err)
	}
	if err := s.Save(ctx); err != nil {
		t.Fatal(err)
	}
	after, _ := cache.Get(ctx, st.CacheKey(key1))
	// PROTO 5, FRAME n (its length now one less: STOP moved), then the same opcodes.
	if len(after) <= len(before) || !bytes.Equal(after[11:len(before)-1], before[11:len(before)-1]) {
		t.Fatalf("the stored pickle was rewritten:\nbefore %q\nafter  %q", before, after)
	}
	want := lazySeed()
	want.Set("n", int64(9))
	if got := stored(t, st, cache, key1); !py.Equal(got, want) {
		t.Fatalf("stored %v, want %v", got, want)
	}
}

// bigSession is lazySeed with a cart of n items, as the bench's typical_10k session (n = 167).
func bigSession(n int) *py.Dict {
	d := lazySeed()
	cart := make([]any, n)
	for i := range cart {
		cart[i] = py.DictOf("sku", "SKU-0001", "qty", int64(i), "gift", i%3 == 0, "price_cents", int64(1000+i))
	}
	d.Set("cart", cart)
	return d
}

// TestLoadAuthAllocs checks that Store.Load plus the reads of the three auth keys allocates as
// often for a 10 KiB session as for a small one (cache engine, in-memory cache).
func TestLoadAuthAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under -race (sync.Pool drops items at random)")
	}
	ctx := context.Background()
	st, cache, _ := newTestStore(t, djangosession.Config{})
	counts := map[int]float64{}
	for _, n := range []int{2, 167} {
		seed(t, st, cache, key1, bigSession(n))
		counts[n] = testing.AllocsPerRun(200, func() {
			s, err := st.Load(ctx, key1)
			if err != nil {
				t.Fatal(err)
			}
			for _, k := range []string{"_auth_user_id", "_auth_user_backend", "_auth_user_hash"} {
				if _, ok := s.String(k); !ok {
					t.Fatalf("%s missing", k)
				}
			}
		})
	}
	t.Logf("allocations: %v", counts)
	if counts[2] != counts[167] {
		t.Fatalf("allocations differ with the session's size: %v", counts)
	}
}
