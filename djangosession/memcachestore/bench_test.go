package memcachestore

import (
	"context"
	"testing"
	"time"

	"github.com/bradfitz/gomemcache/memcache"
	"github.com/djangobridge/bridge/djangosession/internal/livetest"
)

// BenchmarkMemcached compares plain gomemcache GET/SET (its own ServerList over both servers)
// with the adapter's Get/Set for both Django clients (their selectors).
func BenchmarkMemcached(b *testing.B) {
	addrs := servers(b)
	p := livetest.TypicalPickle(b, "memcached", "pymemcache")
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
		livetest.Bench(b, len(p), func(context.Context) error {
			return raw.Set(&memcache.Item{Key: key, Value: p, Flags: 1, Expiration: 3600})
		})
	})
	b.Run("raw/get", func(b *testing.B) {
		livetest.Bench(b, len(p), func(context.Context) error { _, err := raw.Get(key); return err })
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
			livetest.Bench(b, len(p), func(ctx context.Context) error { return c.Set(ctx, k, p, time.Hour) })
		})
		b.Run(cl.String()+"/get", func(b *testing.B) {
			livetest.Bench(b, len(p), func(ctx context.Context) error { _, err := c.Get(ctx, k); return err })
		})
		c.Close()
	}
}
