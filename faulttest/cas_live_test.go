package faulttest

import (
	"errors"
	"testing"
	"time"

	"github.com/djangobridge/bridge/djangosession"
)

// TestCompareAndSwapLive checks the adapters' CompareAndSwapper on the real servers, step by
// step: a swap with the token just read succeeds, a second swap with the same (now stale) token
// is a conflict, a swap after another write is a conflict, a swap after a delete is ErrNotFound,
// and a zero timeout removes the key (Django's "expire now").
func TestCompareAndSwapLive(t *testing.T) {
	requireLive(t)
	for id, cache := range liveCaches(t) {
		t.Run(id, func(t *testing.T) {
			ctx := waitCtx(t, 30*time.Second)
			cas, ok := cache.(djangosession.CompareAndSwapper)
			if !ok {
				t.Fatalf("%T does not implement CompareAndSwapper", cache)
			}
			pick := func(s string) []byte {
				// A pickled str, so that every backend returns it as a value (not an int).
				return append(append([]byte("\x80\x04\x8c"), byte(len(s))), append([]byte(s), '.')...)
			}
			const key = ":1:django.contrib.sessions.cachecasliveaaaaaaaaaaaaaaaaaaaaaaaaa"
			if err := cache.Set(ctx, key, pick("v1"), time.Hour); err != nil {
				t.Fatal(err)
			}
			v, tok, err := cas.GetForCAS(ctx, key)
			if err != nil || string(v) != string(pick("v1")) {
				t.Fatalf("GetForCAS: %q %v", v, err)
			}
			if err := cas.CompareAndSwap(ctx, key, tok, pick("v2"), time.Hour); err != nil {
				t.Fatalf("swap with a fresh token: %v", err)
			}
			if err := cas.CompareAndSwap(ctx, key, tok, pick("v3"), time.Hour); !errors.Is(err, djangosession.ErrConflict) {
				t.Fatalf("swap with a stale token: %v, want ErrConflict", err)
			}
			_, tok, err = cas.GetForCAS(ctx, key)
			if err != nil {
				t.Fatal(err)
			}
			if err := cache.Set(ctx, key, pick("other"), time.Hour); err != nil {
				t.Fatal(err)
			}
			err = cas.CompareAndSwap(ctx, key, tok, pick("v4"), time.Hour)
			var ce *djangosession.CacheError
			if !errors.Is(err, djangosession.ErrConflict) || !errors.As(err, &ce) {
				t.Fatalf("swap after another write: %v, want a *CacheError matching ErrConflict", err)
			}
			if got, _ := cache.Get(ctx, key); string(got) != string(pick("other")) {
				t.Fatalf("the other write was overwritten: %q", got)
			}
			_, tok, _ = cas.GetForCAS(ctx, key)
			if err := cache.Delete(ctx, key); err != nil {
				t.Fatal(err)
			}
			if err := cas.CompareAndSwap(ctx, key, tok, pick("v5"), time.Hour); !errors.Is(err, djangosession.ErrNotFound) {
				t.Fatalf("swap after a delete: %v, want ErrNotFound", err)
			}
			if ok, _ := cache.Has(ctx, key); ok {
				t.Fatal("a swap recreated a deleted key")
			}
			if err := cache.Set(ctx, key, pick("v6"), time.Hour); err != nil {
				t.Fatal(err)
			}
			_, tok, _ = cas.GetForCAS(ctx, key)
			if err := cas.CompareAndSwap(ctx, key, tok, pick("v7"), 0); err != nil {
				t.Fatalf("swap with a zero timeout: %v", err)
			}
			if ok, _ := cache.Has(ctx, key); ok {
				t.Fatal("a zero timeout left the key")
			}
		})
	}
}
