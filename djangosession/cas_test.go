package djangosession_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/djangobridge/bridge/pickle"
	"github.com/djangobridge/bridge/py"

	"github.com/djangobridge/bridge/djangosession"
	"github.com/djangobridge/bridge/djangosession/djangosessiontest"
)

// twoWriters loads the same session twice (two requests), lets the first save "a" and the
// second "b", and returns what the cache holds and the second's error.
func twoWriters(t *testing.T, cfg djangosession.Config) (string, error) {
	t.Helper()
	ctx := context.Background()
	st, cache, _ := newTestStore(t, cfg)
	s := st.New()
	s.Set("who", "django")
	if err := s.Save(ctx); err != nil {
		t.Fatal(err)
	}
	a, err := st.Load(ctx, s.Key())
	if err != nil {
		t.Fatal(err)
	}
	b, err := st.Load(ctx, s.Key())
	if err != nil {
		t.Fatal(err)
	}
	a.Set("who", "a")
	b.Set("who", "b")
	if err := a.Save(ctx); err != nil {
		t.Fatalf("first writer: %v", err)
	}
	errB := b.Save(ctx)
	who, _ := stored(t, st, cache, s.Key()).String("who")
	return who, errB
}

// TestLastWriteWinsByDefault: without CompareAndSetSave, two writers of one session behave as in
// Django: both saves succeed and the last one is what stays.
func TestLastWriteWinsByDefault(t *testing.T) {
	for _, atomic := range []bool{false, true} {
		t.Run(fmt.Sprintf("AtomicSave=%v", atomic), func(t *testing.T) {
			who, err := twoWriters(t, djangosession.Config{AtomicSave: atomic})
			if err != nil || who != "b" {
				t.Fatalf("second save: %v, stored %q; want nil and the last write, \"b\"", err, who)
			}
		})
	}
}

// TestCompareAndSetSaveConflict: with CompareAndSetSave the second writer gets ErrConflict and
// the first writer's value stays; after a reload it can save.
func TestCompareAndSetSaveConflict(t *testing.T) {
	who, err := twoWriters(t, djangosession.Config{CompareAndSetSave: true})
	if !errors.Is(err, djangosession.ErrConflict) || who != "a" {
		t.Fatalf("second save: %v, stored %q; want ErrConflict and the first write, \"a\"", err, who)
	}
}

func TestCompareAndSetSave(t *testing.T) {
	ctx := context.Background()
	cfg := djangosession.Config{CompareAndSetSave: true}
	newSession := func(t *testing.T) (*djangosession.Store, *djangosessiontest.Cache, string) {
		t.Helper()
		st, cache, _ := newTestStore(t, cfg)
		s := st.New()
		s.Set("n", int64(0))
		if err := s.Save(ctx); err != nil {
			t.Fatal(err)
		}
		return st, cache, s.Key()
	}
	t.Run("save-again-and-again", func(t *testing.T) {
		st, cache, key := newSession(t)
		s, err := st.Load(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		for i := range int64(3) {
			s.Set("n", i+1)
			if err := s.Save(ctx); err != nil {
				t.Fatalf("save %d: %v", i, err)
			}
		}
		if n, _ := stored(t, st, cache, key).Int("n"); n != 3 {
			t.Fatalf("stored n = %d, want 3", n)
		}
	})
	t.Run("created-then-saved", func(t *testing.T) {
		st, cache, _ := newTestStore(t, cfg)
		s := st.New()
		s.Set("n", int64(1))
		if err := s.Save(ctx); err != nil {
			t.Fatal(err)
		}
		s.Set("n", int64(2))
		if err := s.Save(ctx); err != nil {
			t.Fatalf("save after create: %v", err)
		}
		if n, _ := stored(t, st, cache, s.Key()).Int("n"); n != 2 {
			t.Fatalf("stored n = %d, want 2", n)
		}
	})
	t.Run("write-between-read-and-swap", func(t *testing.T) {
		// The bytes Save reads are still the loaded ones; another writer slips in before the
		// swap. Only the cache's version check can see it.
		st, cache, key := newSession(t)
		s, err := st.Load(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		other, _ := pickle.Marshal(py.NewDict(0), 5)
		var once sync.Once
		cache.Hook = func(op, k string) error {
			if op == "cas" {
				once.Do(func() {
					if err := cache.Set(ctx, k, other, time.Hour); err != nil {
						t.Error(err)
					}
				})
			}
			return nil
		}
		s.Set("n", int64(9))
		if err := s.Save(ctx); !errors.Is(err, djangosession.ErrConflict) {
			t.Fatalf("save: %v, want ErrConflict", err)
		}
		if stored(t, st, cache, key).Len() != 0 {
			t.Fatal("the other writer's value was overwritten")
		}
	})
	t.Run("deleted-meanwhile", func(t *testing.T) {
		st, cache, key := newSession(t)
		s, err := st.Load(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.Delete(ctx, key); err != nil {
			t.Fatal(err)
		}
		s.Set("n", int64(1))
		if err := s.Save(ctx); !errors.Is(err, djangosession.ErrUpdate) {
			t.Fatalf("save: %v, want ErrUpdate", err)
		}
		if len(cache.Keys()) != 0 {
			t.Fatal("a deleted session was written back")
		}
	})
	t.Run("replaced-by-garbage", func(t *testing.T) {
		st, cache, key := newSession(t)
		s, err := st.Load(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		if err := cache.Set(ctx, st.CacheKey(key), []byte("not a pickle"), time.Hour); err != nil {
			t.Fatal(err)
		}
		s.Set("n", int64(1))
		if err := s.Save(ctx); !errors.Is(err, djangosession.ErrConflict) {
			t.Fatalf("save: %v, want ErrConflict", err)
		}
	})
	t.Run("miss-creates", func(t *testing.T) {
		st, cache, _ := newTestStore(t, cfg)
		s, err := st.Load(ctx, "nosuchsession000000000000000000x")
		if err != nil {
			t.Fatal(err)
		}
		s.Set("n", int64(1))
		if err := s.Save(ctx); err != nil {
			t.Fatal(err)
		}
		if s.Key() == "nosuchsession000000000000000000x" || len(cache.Keys()) != 1 {
			t.Fatalf("key %q, keys %v: want a new key", s.Key(), cache.Keys())
		}
	})
	t.Run("server-error", func(t *testing.T) {
		st, cache, key := newSession(t)
		s, err := st.Load(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		down := errors.New("connection refused")
		cache.Hook = func(op, k string) error { return down }
		s.Set("n", int64(1))
		err = s.Save(ctx)
		var ce *djangosession.CacheError
		if !errors.Is(err, down) || !errors.As(err, &ce) || errors.Is(err, djangosession.ErrConflict) {
			t.Fatalf("save: %v, want the server's error as a *CacheError", err)
		}
	})
	t.Run("concurrent-writers", func(t *testing.T) {
		// Many requests add one to the same counter: with CompareAndSetSave and a retry on
		// ErrConflict, no increment is lost.
		st, cache, key := newSession(t)
		const writers, each = 8, 25
		var wg sync.WaitGroup
		for range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range each {
					for {
						s, err := st.Load(ctx, key)
						if err != nil {
							t.Error(err)
							return
						}
						n, _ := s.Int("n")
						s.Set("n", n+1)
						err = s.Save(ctx)
						if err == nil {
							break
						}
						if !errors.Is(err, djangosession.ErrConflict) {
							t.Error(err)
							return
						}
					}
				}
			}()
		}
		wg.Wait()
		if n, _ := stored(t, st, cache, key).Int("n"); n != writers*each {
			t.Fatalf("counter = %d, want %d", n, writers*each)
		}
	})
}

// noCAS is a Cache without CompareAndSwapper.
type noCAS struct{ djangosession.Cache }

func TestCompareAndSetSaveConfig(t *testing.T) {
	tests := []struct {
		name  string
		cache djangosession.Cache
		cfg   djangosession.Config
	}{
		{"cache-without-cas", noCAS{djangosessiontest.NewCache()}, djangosession.Config{CompareAndSetSave: true}},
		{"with-atomic-save", djangosessiontest.NewCache(), djangosession.Config{CompareAndSetSave: true, AtomicSave: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc := tt.cfg
			sc.Cache = tt.cache
			if sc.SessionEngine == "" {
				sc.SessionEngine = djangosession.EngineCache
			}
			_, err := djangosession.NewStore(sc)
			var ce *djangosession.ConfigError
			if !errors.As(err, &ce) || ce.Field != "CompareAndSetSave" {
				t.Fatalf("NewStore: %v, want a *ConfigError for CompareAndSetSave", err)
			}
		})
	}
}

// With CompareAndSetSave, a save that would overwrite another request's change fails instead.
func ExampleConfig_compareAndSetSave() {
	ctx := context.Background()
	store, _ := djangosession.NewStore(djangosession.Config{SessionEngine: djangosession.EngineCache, Cache: djangosessiontest.NewCache(), CompareAndSetSave: true})
	s := store.New()
	s.Set("cart", []any{"sku-1"})
	_ = s.Save(ctx)

	first, _ := store.Load(ctx, s.Key())  // request 1
	second, _ := store.Load(ctx, s.Key()) // request 2, at the same time
	first.Set("cart", []any{"sku-1", "sku-2"})
	second.Set("cart", []any{})
	fmt.Println(first.Save(ctx))
	err := second.Save(ctx)
	fmt.Println(errors.Is(err, djangosession.ErrConflict))
	// Output:
	// <nil>
	// true
}
