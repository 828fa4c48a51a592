package livetest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/djangobridge/bridge/djangosession"
)

// opsKey is the key CacheOps uses: a session key of 32 characters under Django's default prefix.
const opsKey = ":1:django.contrib.sessions.cache0123456789abcdefghijklmnopqrstuv"

// CacheOps returns one call of each Cache and Replacer method (writing value), keyed by its
// CacheError.Op.
func CacheOps(c interface {
	djangosession.Cache
	djangosession.Replacer
}, value []byte) map[string]func(context.Context) error {
	return map[string]func(context.Context) error{
		"get": func(ctx context.Context) error { _, err := c.Get(ctx, opsKey); return err },
		"set": func(ctx context.Context) error { return c.Set(ctx, opsKey, value, time.Minute) },
		"add": func(ctx context.Context) error { _, err := c.Add(ctx, opsKey, value, time.Minute); return err },
		"replace": func(ctx context.Context) error {
			_, err := c.Replace(ctx, opsKey, value, time.Minute)
			return err
		},
		"delete": func(ctx context.Context) error { return c.Delete(ctx, opsKey) },
		"has":    func(ctx context.Context) error { _, err := c.Has(ctx, opsKey); return err },
	}
}

// ContextErrors checks that each op, called with a cancelled or an expired context, gives a
// *djangosession.CacheError matching the context error whose message does not hold the whole
// session key.
func ContextErrors(t *testing.T, ops map[string]func(context.Context) error) {
	t.Helper()
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	expired, cancel2 := context.WithDeadline(context.Background(), time.Unix(1, 0))
	defer cancel2()
	for ctxName, tc := range map[string]struct {
		ctx  context.Context
		want error
	}{"canceled": {canceled, context.Canceled}, "expired": {expired, context.DeadlineExceeded}} {
		for name, op := range ops {
			t.Run(ctxName+"/"+name, func(t *testing.T) {
				err := op(tc.ctx)
				var ce *djangosession.CacheError
				if !errors.Is(err, tc.want) || !errors.As(err, &ce) {
					t.Fatalf("got %v, want a *CacheError matching %v", err, tc.want)
				}
				if strings.Contains(err.Error(), "0123456789abcdefghijklmnopqrstuv") {
					t.Fatalf("message %q holds the whole session key", err)
				}
			})
		}
	}
}
