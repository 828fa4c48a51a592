package livetest

import (
	"context"
	"encoding/base64"
	"runtime"
	"testing"
)

// TypicalPickle returns the pickle of the "typical" case of the Django 5.2 cache fixture whose
// BACKEND contains backendSubstr and whose config id is configID, failing b when there is none.
func TypicalPickle(b testing.TB, backendSubstr, configID string) []byte {
	b.Helper()
	for _, f := range CacheFixtures(b, backendSubstr) {
		if f.DjangoID != "5.2" || f.Config.ID != configID {
			continue
		}
		for _, c := range f.Cases {
			if c.Name == "typical" {
				p, _ := base64.StdEncoding.DecodeString(c.PickleB64)
				return p
			}
		}
	}
	b.Fatalf("no typical case in the django-5.2 %s fixture", configID)
	return nil
}

// Bench runs op serially ("g1") and from 32 goroutines ("g32"), reporting size bytes per op.
func Bench(b *testing.B, size int, op func(ctx context.Context) error) {
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
