package memcachestore

import (
	"context"
	"encoding/base64"
	"runtime"
	"testing"
	"time"

	"github.com/bradfitz/gomemcache/memcache"
	"github.com/djangobridge/bridge/djangosession/internal/livetest"
)

// typicalPickle returns the "typical" session of the Django 5.2 PyMemcacheCache fixture.
func typicalPickle(b *testing.B) []byte {
	for _, f := range livetest.CacheFixtures(b, "memcached") {
		if f.DjangoID != "5.2" || f.Config.ID != "pymemcache" {
			continue
		}
		for _, c := range f.Cases {
			if c.Name == "typical" {
				p, _ := base64.StdEncoding.DecodeString(c.PickleB64)
				return p
			}
		}
	}
	b.Fatal("no typical case in the django-5.2 pymemcache fixture")
	return nil
}

// bench runs op serially ("g1") and from 32 goroutines ("g32").
func bench(b *testing.B, size int, op func(ctx context.Context) error) {
	ctx := context.Background()
	b.Run("g1", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(size))
		for b.Loop() {
			if err := op(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("g32", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(size))
		b.SetParallelism(max(1, 32/runtime.GOMAXPROCS(0)))
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := op(ctx); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// BenchmarkMemcached compares plain gomemcache GET/SET (its own ServerList over both servers)
// with the adapter's Get/Set for both Django clients (their selectors).
func BenchmarkMemcached(b *testing.B) {
	addrs := servers(b)
	p := typicalPickle(b)
	prefix := keyPrefix(b)
	key := prefix + "bench"
	keys := []string{key, key + PyMemcache.String(), key + PyLibMC.String()}
	cleanup(b, addrs, &keys)
	raw := memcache.New(addrs...)
	raw.MaxIdleConns = 32
	if err := raw.Set(&memcache.Item{Key: key, Value: p, Flags: 1, Expiration: 3600}); err != nil {
		b.Fatal(err)
	}
	b.Run("raw/set", func(b *testing.B) {
		bench(b, len(p), func(context.Context) error {
			return raw.Set(&memcache.Item{Key: key, Value: p, Flags: 1, Expiration: 3600})
		})
	})
	b.Run("raw/get", func(b *testing.B) {
		bench(b, len(p), func(context.Context) error { _, err := raw.Get(key); return err })
	})
	for _, cl := range []Client{PyMemcache, PyLibMC} {
		c, err := New(Options{Timeout: liveTimeout, Location: addrs, Client: cl, MaxIdleConns: 32})
		if err != nil {
			b.Fatal(err)
		}
		k := key + cl.String()
		if err := c.Set(context.Background(), k, p, time.Hour); err != nil {
			b.Fatal(err)
		}
		b.Run(cl.String()+"/set", func(b *testing.B) {
			bench(b, len(p), func(ctx context.Context) error { return c.Set(ctx, k, p, time.Hour) })
		})
		b.Run(cl.String()+"/get", func(b *testing.B) {
			bench(b, len(p), func(ctx context.Context) error { _, err := c.Get(ctx, k); return err })
		})
		c.Close()
	}
}
