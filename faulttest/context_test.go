package faulttest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/djangobridge/bridge/djangosession"
)

// TestContext checks every Store operation against a context that is already cancelled, one
// whose deadline passes while the server stalls, and one cancelled while the server stalls: each
// gives a *CacheError matching the context's error, and nothing is written.
func TestContext(t *testing.T) {
	requireLive(t)
	// ReadTimeout 1 s: a cancellation without a deadline ends a stalled go-redis call then.
	for _, be := range []backend{redisBackend("1s"), memcachedBackend()} {
		t.Run(be.name, func(t *testing.T) {
			leak := goroutines(t)
			srv := be.start(t)
			px := newProxy(t, srv.Addr())
			direct, closeDirect := be.store(t, srv.Addr(), djangosession.Config{})
			st, closeProxied := be.store(t, px.Addr(), djangosession.Config{})
			ctx := waitCtx(t, 30*time.Second)
			l := newLedger()
			key := l.create(ctx, t, direct, 0)
			held, err := st.Load(ctx, key)
			if err != nil {
				t.Fatal(err)
			}
			held.Set("seq", int64(99))

			ops := []struct {
				name string
				run  func(ctx context.Context) error
			}{
				{"Load", func(ctx context.Context) error { _, err := st.Load(ctx, key); return err }},
				{"Exists", func(ctx context.Context) error { _, err := st.Exists(ctx, key); return err }},
				{"Save", func(ctx context.Context) error { return held.Save(ctx) }},
				{"Create", func(ctx context.Context) error { s := st.New(); s.Set("a", int64(1)); return s.Save(ctx) }},
				{"Delete", func(ctx context.Context) error { return st.Delete(ctx, "nosuchsessionkey0000000000000000") }},
			}
			attempted, errs := 0, 0
			check := func(t *testing.T, err, want error) {
				t.Helper()
				attempted++
				if err == nil {
					t.Errorf("no error, want %v", want)
					return
				}
				errs++
				var ce *djangosession.CacheError
				if !errors.As(err, &ce) || !errors.Is(err, want) {
					t.Errorf("%v: want a *CacheError matching %v", err, want)
				}
			}
			for _, op := range ops {
				t.Run(op.name+"/cancelled", func(t *testing.T) {
					cctx, cancel := context.WithCancel(ctx)
					cancel()
					check(t, op.run(cctx), context.Canceled)
				})
				t.Run(op.name+"/deadline-while-stalled", func(t *testing.T) {
					px.SetMode(modeStall)
					defer px.SetMode(modePass)
					dctx, cancel := context.WithTimeout(ctx, 150*time.Millisecond)
					defer cancel()
					check(t, op.run(dctx), context.DeadlineExceeded)
				})
				t.Run(op.name+"/cancelled-while-stalled", func(t *testing.T) {
					px.SetMode(modeStall)
					defer px.SetMode(modePass)
					cctx, cancel := context.WithCancel(ctx)
					timer := time.AfterFunc(100*time.Millisecond, cancel)
					defer timer.Stop()
					check(t, op.run(cctx), context.Canceled)
				})
			}
			lost := l.verify(t, direct, map[string]int{key: 0})
			summary(t, "context-"+be.name, attempted, errs, lost)
			if err := closeProxied(); err != nil {
				t.Error(err)
			}
			if err := closeDirect(); err != nil {
				t.Error(err)
			}
			px.Close()
			leak()
		})
	}
}
