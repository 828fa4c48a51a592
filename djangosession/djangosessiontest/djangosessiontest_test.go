package djangosessiontest_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/djangobridge/bridge/djangosession"
	"github.com/djangobridge/bridge/djangosession/djangosessiontest"
)

func TestCacheTimeouts(t *testing.T) {
	ctx := context.Background()
	clock := djangosessiontest.NewClock(time.Unix(1700000000, 0))
	c := djangosessiontest.NewCache()
	c.Now = clock.Now

	if err := c.Set(ctx, "k", []byte("v"), time.Minute); err != nil {
		t.Fatal(err)
	}
	if ttl, ok := c.TTL("k"); !ok || ttl != time.Minute {
		t.Fatalf("TTL = %v %v", ttl, ok)
	}
	clock.Advance(59 * time.Second)
	if v, err := c.Get(ctx, "k"); err != nil || string(v) != "v" {
		t.Fatalf("Get before expiry = %q, %v", v, err)
	}
	clock.Advance(time.Second)
	if _, err := c.Get(ctx, "k"); !errors.Is(err, djangosession.ErrNotFound) {
		t.Fatalf("Get at expiry: %v, want ErrNotFound", err)
	}
	if ok, _ := c.Has(ctx, "k"); ok {
		t.Fatal("Has after expiry")
	}

	// Timeout <= 0: expire now (Django: Redis DEL, memcached -1).
	for _, timeout := range []time.Duration{0, -time.Second} {
		_ = c.Set(ctx, "k", []byte("v"), time.Hour)
		if err := c.Set(ctx, "k", []byte("w"), timeout); err != nil {
			t.Fatal(err)
		}
		if ok, _ := c.Has(ctx, "k"); ok {
			t.Errorf("Set with timeout %v left the key", timeout)
		}
		if ok, err := c.Add(ctx, "k", []byte("v"), timeout); !ok || err != nil {
			t.Errorf("Add of a missing key with timeout %v = %v, %v", timeout, ok, err)
		}
		if ok, _ := c.Has(ctx, "k"); ok {
			t.Errorf("Add with timeout %v left the key", timeout)
		}
	}
	if len(c.Keys()) != 0 {
		t.Fatalf("keys %q", c.Keys())
	}
}

func TestCacheAddReplaceDelete(t *testing.T) {
	ctx := context.Background()
	c := djangosessiontest.NewCache()
	if ok, err := c.Replace(ctx, "k", []byte("r"), time.Hour); ok || err != nil {
		t.Fatalf("Replace of a missing key = %v, %v", ok, err)
	}
	if ok, _ := c.Add(ctx, "k", []byte("a"), time.Hour); !ok {
		t.Fatal("Add of a missing key failed")
	}
	if ok, _ := c.Add(ctx, "k", []byte("b"), time.Hour); ok {
		t.Fatal("Add of an existing key succeeded")
	}
	if ok, _ := c.Replace(ctx, "k", []byte("r"), time.Hour); !ok {
		t.Fatal("Replace of an existing key failed")
	}
	if v, _ := c.Get(ctx, "k"); string(v) != "r" {
		t.Fatalf("value %q", v)
	}
	if ok, _ := c.Replace(ctx, "k", []byte("x"), 0); !ok {
		t.Fatal("Replace with timeout 0 of an existing key failed")
	}
	if ok, _ := c.Has(ctx, "k"); ok {
		t.Fatal("Replace with timeout 0 left the key")
	}
	if err := c.Delete(ctx, "missing"); err != nil {
		t.Fatalf("Delete of a missing key: %v", err)
	}
	// Values are copied in and out.
	in := []byte("abc")
	_ = c.Set(ctx, "k", in, time.Hour)
	in[0] = 'X'
	out, _ := c.Get(ctx, "k")
	out[1] = 'Y'
	if again, _ := c.Get(ctx, "k"); string(again) != "abc" {
		t.Fatalf("stored value aliased: %q", again)
	}
	if c.Calls("get") != 3 || c.Calls("add") != 2 || c.Calls("replace") != 3 {
		t.Errorf("calls get=%d add=%d replace=%d", c.Calls("get"), c.Calls("add"), c.Calls("replace"))
	}
}

func TestCacheErrors(t *testing.T) {
	c := djangosessiontest.NewCache()
	c.MemcachedKeys = true
	ctx := context.Background()
	if _, err := c.Get(ctx, "a b"); !errors.Is(err, djangosession.ErrInvalidKey) {
		t.Errorf("memcached key check: %v", err)
	}
	if err := c.Set(ctx, ":1:ok", []byte("v"), time.Hour); err != nil {
		t.Errorf("valid key refused: %v", err)
	}

	down := errors.New("down")
	c.Hook = func(op, key string) error {
		if op == "set" {
			return down
		}
		return nil
	}
	err := c.Set(ctx, ":1:k", []byte("v"), time.Hour)
	var ce *djangosession.CacheError
	if !errors.Is(err, down) || !errors.As(err, &ce) || ce.Op != "set" {
		t.Errorf("Hook error: %v", err)
	}
	c.Hook = nil

	cctx, cancel := context.WithCancel(ctx)
	cancel()
	ops := map[string]error{}
	_, ops["get"] = c.Get(cctx, ":1:ok")
	ops["set"] = c.Set(cctx, ":1:ok", nil, time.Hour)
	_, ops["add"] = c.Add(cctx, ":1:ok", nil, time.Hour)
	_, ops["replace"] = c.Replace(cctx, ":1:ok", nil, time.Hour)
	ops["delete"] = c.Delete(cctx, ":1:ok")
	_, ops["has"] = c.Has(cctx, ":1:ok")
	for op, err := range ops {
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a cancelled context: %v", op, err)
		}
	}
	if v, err := c.Get(ctx, ":1:ok"); err != nil || string(v) != "v" {
		t.Errorf("a cancelled call changed the cache: %q %v", v, err)
	}
}

func TestClock(t *testing.T) {
	var zero djangosessiontest.Clock
	if !zero.Now().Equal(time.Unix(0, 0)) {
		t.Errorf("zero clock reads %v", zero.Now())
	}
	zero.Advance(time.Second)
	if !zero.Now().Equal(time.Unix(1, 0)) {
		t.Errorf("advanced zero clock reads %v", zero.Now())
	}
	c := djangosessiontest.NewClock(time.Unix(100, 0))
	c.Set(time.Unix(50, 0))
	if c.Now().Unix() != 50 {
		t.Errorf("Set: %v", c.Now())
	}
}
