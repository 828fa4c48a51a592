package redisstore

import (
	"context"
	"encoding/base64"
	"testing"
	"time"

	"github.com/djangobridge/bridge/djangosession/internal/livetest"
	"github.com/redis/go-redis/v9"
)

// BenchmarkRedis compares a plain go-redis GET/SET of the session bytes with the adapter's
// Get/Set in each format (live server, db 2).
func BenchmarkRedis(b *testing.B) {
	url := primaryURL(b)
	p := livetest.TypicalPickle(b, "redis", "redis")
	prefix := keyPrefix(b)
	raw := rawClient(b, url, prefix)
	key := prefix + "bench"
	if err := raw.Set(context.Background(), key, p, time.Hour).Err(); err != nil {
		b.Fatal(err)
	}
	b.Run("raw/set", func(b *testing.B) {
		livetest.Bench(b, len(p), func(ctx context.Context) error { return raw.Set(ctx, key, p, time.Hour).Err() })
	})
	b.Run("raw/get", func(b *testing.B) {
		livetest.Bench(b, len(p), func(ctx context.Context) error { return raw.Get(ctx, key).Err() })
	})
	for _, tc := range []struct {
		name string
		o    Options
	}{
		{"django", Options{}},
		{"django-redis", Options{Format: FormatDjangoRedis}},
		{"django-redis-zlib", Options{Format: FormatDjangoRedis, Compressor: CompressorZlib}},
		{"django-redis-gzip", Options{Format: FormatDjangoRedis, Compressor: CompressorGzip}},
		{"django-redis-lzma", Options{Format: FormatDjangoRedis, Compressor: CompressorLZMA}},
		{"django-redis-lz4", Options{Format: FormatDjangoRedis, Compressor: CompressorLZ4}},
		{"django-redis-zstd", Options{Format: FormatDjangoRedis, Compressor: CompressorZstd}},
	} {
		o := tc.o
		o.Clients = []redis.UniversalClient{raw}
		c, err := New(o)
		if err != nil {
			b.Fatal(err)
		}
		k := key + tc.name
		if err := c.Set(context.Background(), k, p, time.Hour); err != nil {
			b.Fatal(err)
		}
		b.Run(tc.name+"/set", func(b *testing.B) {
			livetest.Bench(b, len(p), func(ctx context.Context) error { return c.Set(ctx, k, p, time.Hour) })
		})
		b.Run(tc.name+"/get", func(b *testing.B) {
			livetest.Bench(b, len(p), func(ctx context.Context) error { _, err := c.Get(ctx, k); return err })
		})
		c.Close()
	}
	// What Django (django-redis LzmaCompressor, preset 4) wrote: its header declares a 4 MiB
	// dictionary, which the reader shrinks to the value's size before allocating.
	for _, f := range livetest.CacheFixtures(b, "redis") {
		if f.DjangoID != "5.2" || f.Config.ID != "django-redis-lzma" {
			continue
		}
		for _, fc := range f.Cases {
			if fc.Name != "typical" {
				continue
			}
			rawv, _ := base64.StdEncoding.DecodeString(fc.RawB64)
			k := key + "lzma-python"
			if err := raw.Set(context.Background(), k, rawv, time.Hour).Err(); err != nil {
				b.Fatal(err)
			}
			c, err := New(Options{Clients: []redis.UniversalClient{raw}, Format: FormatDjangoRedis, Compressor: CompressorLZMA})
			if err != nil {
				b.Fatal(err)
			}
			b.Run("django-redis-lzma/get-python-written", func(b *testing.B) {
				livetest.Bench(b, len(p), func(ctx context.Context) error { _, err := c.Get(ctx, k); return err })
			})
			return
		}
	}
	b.Fatal("no typical case in the django-5.2 django-redis-lzma fixture")
}
