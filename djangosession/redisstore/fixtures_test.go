package redisstore

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/djangobridge/bridge/djangosession/internal/livetest"
)

var compressorByClass = map[string]Compressor{
	"django_redis.compressors.zlib.ZlibCompressor": CompressorZlib,
	"django_redis.compressors.gzip.GzipCompressor": CompressorGzip,
	"django_redis.compressors.lzma.LzmaCompressor": CompressorLZMA,
	"django_redis.compressors.lz4.Lz4Compressor":   CompressorLZ4,
	"django_redis.compressors.zstd.ZStdCompressor": CompressorZstd,
}

var compressionName = map[Compressor]string{
	CompressorZlib: "zlib", CompressorGzip: "gzip", CompressorLZMA: "lzma", CompressorLZ4: "lz4", CompressorZstd: "zstd",
}

// fixtureOptions maps a fixture's CACHES entry to Options (without servers).
func fixtureOptions(t *testing.T, f livetest.CacheFixture) Options {
	var o Options
	switch f.Config.Backend {
	case "django.core.cache.backends.redis.RedisCache":
		o.Format = FormatDjango
	case "django_redis.cache.RedisCache":
		o.Format = FormatDjangoRedis
		if cls, ok := f.Config.Options["COMPRESSOR"].(string); ok {
			c, ok := compressorByClass[cls]
			if !ok {
				t.Fatalf("%s: unknown compressor %s", f.Path, cls)
			}
			o.Compressor = c
		}
		if v, ok := f.Config.Options["PICKLE_VERSION"].(float64); ok {
			o.PickleVersion = int(v)
		}
	default:
		t.Fatalf("%s: backend %s", f.Path, f.Config.Backend)
	}
	return o
}

// TestLiveFixtures: every Redis fixture value (as Django stored it), seeded under a test key,
// reads back as the fixture's pickle; Go's Set of that pickle compresses exactly when Django did
// (same magic; byte-identical when Django did not compress) and leaves the TTL Django's save left.
func TestLiveFixtures(t *testing.T) {
	url := primaryURL(t)
	ctx := context.Background()
	for _, f := range livetest.CacheFixtures(t, "redis") {
		t.Run(f.DjangoID+"/"+f.Config.ID, func(t *testing.T) {
			prefix := keyPrefix(t)
			raw := rawClient(t, url, prefix)
			o := fixtureOptions(t, f)
			if f.Config.Compression != nil && compressionName[o.Compressor] != *f.Config.Compression {
				t.Fatalf("config says compression %s, OPTIONS give %v", *f.Config.Compression, o.Compressor)
			}
			o.Location = []string{url}
			c, err := New(o)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			for _, fc := range f.Cases {
				rawv, _ := base64.StdEncoding.DecodeString(fc.RawB64)
				want, _ := base64.StdEncoding.DecodeString(fc.PickleB64)
				key := prefix + fc.ServerKey
				if err := raw.Set(ctx, key, rawv, time.Minute).Err(); err != nil {
					t.Fatal(err)
				}
				got, err := c.Get(ctx, key)
				if err != nil || !bytes.Equal(got, want) {
					t.Errorf("%s: Get = %d bytes, %v; want the fixture pickle (%d bytes)", fc.Name, len(got), err, len(want))
					continue
				}
				if want[0] == 0x80 && int(want[1]) != c.PickleProtocol() {
					t.Errorf("%s: Django wrote protocol %d, PickleProtocol() = %d", fc.Name, want[1], c.PickleProtocol())
				}
				if err := c.Set(ctx, key, want, time.Duration(fc.ExpiryAge)*time.Second); err != nil {
					t.Fatal(err)
				}
				stored, _ := raw.Get(ctx, key).Bytes()
				if fc.Compression == nil {
					if !bytes.Equal(stored, rawv) {
						t.Errorf("%s: Django stored the pickle as it is (%d bytes), Go stored %d bytes %s",
							fc.Name, len(rawv), len(stored), head(stored))
					}
				} else {
					m := magic[o.Compressor]
					if compressionName[o.Compressor] != *fc.Compression || !bytes.HasPrefix(rawv, m) || !bytes.HasPrefix(stored, m) {
						t.Errorf("%s: Django stored %s %s, Go stored %s", fc.Name, *fc.Compression, head(rawv), head(stored))
					}
				}
				age := time.Duration(fc.ExpiryAge) * time.Second
				if pttl := raw.PTTL(ctx, key).Val(); pttl > age || pttl < time.Duration(fc.TTL)*time.Second-time.Minute {
					t.Errorf("%s: PTTL %v after Go's Set; Django's save left %ds", fc.Name, pttl, fc.TTL)
				}
			}
		})
	}
}

func head(b []byte) string {
	return strings.TrimSpace(fmt.Sprintf("% x", b[:min(len(b), 8)]))
}
