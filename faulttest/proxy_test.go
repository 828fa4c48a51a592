package faulttest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/djangobridge/bridge/djangosession"
	"github.com/djangobridge/bridge/djangosession/memcachestore"
	"github.com/djangobridge/bridge/djangosession/redisstore"
)

// backend is one server kind for the proxy tests: how to start it and how to make a Cache on an
// address (the server's own, or the proxy's).
type backend struct {
	name  string
	cache func(t *testing.T, addr string) (djangosession.Cache, func() error)
	start func(t *testing.T) *server
}

// store returns a Store with cfg over be's cache at addr, and the cache's Close.
func (be backend) store(t *testing.T, addr string, cfg djangosession.Config) (*djangosession.Store, func() error) {
	t.Helper()
	c, closeCache := be.cache(t, addr)
	sc := cfg
	sc.Cache = c
	if sc.SessionEngine == "" {
		sc.SessionEngine = djangosession.EngineCache
	}
	st, err := djangosession.NewStore(sc)
	if err != nil {
		t.Fatal(err)
	}
	return st, closeCache
}

// redisBackend talks to Redis with go-redis's ReadTimeout set to readTimeout. go-redis honours a
// context's deadline at once (redisstore enables ContextTimeoutEnabled), but notices a
// cancellation without a deadline only when ReadTimeout passes.
func redisBackend(readTimeout string) backend {
	return backend{name: "redis", start: startRedis, cache: func(t *testing.T, addr string) (djangosession.Cache, func() error) {
		t.Helper()
		c, err := redisstore.New(redisstore.Options{Location: []string{"redis://" + addr + "/0?read_timeout=" + readTimeout}})
		if err != nil {
			t.Fatal(err)
		}
		return c, c.Close
	}}
}

func memcachedBackend() backend {
	return backend{name: "memcached", start: startMemcached, cache: func(t *testing.T, addr string) (djangosession.Cache, func() error) {
		t.Helper()
		c, err := memcachestore.New(memcachestore.Options{Location: []string{addr}, Timeout: 300 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		return c, c.Close
	}}
}

// TestStallAndCut puts a proxy between the Store and a real server. A stalled server (accepts,
// reads, never answers) must give an error matching context.DeadlineExceeded once the caller's
// deadline passes; a server that cuts the connection mid-reply must give a typed error, never a
// miss or a partial session; a save that fails either way must not leave a partial value; and
// once the proxy forwards again, the same Store works. The sessions held across the fault are
// saved with AtomicSave (one SET XX / replace), so that in the cut mode the write reaches the
// server and only its reply is lost: the session then holds the old or the new value, whole.
func TestStallAndCut(t *testing.T) {
	requireLive(t)
	// A minute of ReadTimeout: only the callers' 200 ms deadlines can end a stalled call, and
	// bounded fails the test if one hangs.
	for _, be := range []backend{redisBackend("1m"), memcachedBackend()} {
		t.Run(be.name, func(t *testing.T) {
			leak := goroutines(t)
			srv := be.start(t)
			px := newProxy(t, srv.Addr())
			direct, closeDirect := be.store(t, srv.Addr(), djangosession.Config{})
			st, closeProxied := be.store(t, px.Addr(), djangosession.Config{})
			atomicSt, closeAtomic := be.store(t, px.Addr(), djangosession.Config{AtomicSave: true})
			l := newLedger()
			ctx := waitCtx(t, 30*time.Second)
			owners := map[string]int{}
			var keys []string
			for i := range 8 {
				k := l.create(ctx, t, direct, i)
				owners[k] = i
				keys = append(keys, k)
			}
			// Every session loaded while the server answers, then saved while it does not.
			held := make([]*djangosession.Session, len(keys))
			for i, k := range keys {
				s, err := atomicSt.Load(ctx, k)
				if err != nil {
					t.Fatal(err)
				}
				held[i] = s
			}

			for _, mode := range []struct {
				name string
				mode int
			}{{"cut", modeCut}, {"stall", modeStall}} {
				t.Run(mode.name, func(t *testing.T) {
					px.SetMode(mode.mode)
					opsBefore, errsBefore := l.attempted.Load(), l.errs.Load()
					l.faultRound(t, ctx, st, keys, held, mode.name, mode.mode == modeStall, "server", checkErr)
					// Every session whole, holding its last acknowledged value or that of a save
					// that failed after reaching the server.
					lost := l.verify(t, direct, owners)
					applied := l.failedButApplied.Swap(0)
					// Recovery: the proxy forwards again and the same Store works.
					px.SetMode(modePass)
					for i, k := range keys {
						if err := l.step(ctx, st, k, i); err != nil {
							t.Errorf("after the %s ended: %v", mode.name, err)
						}
					}
					lost += l.verify(t, direct, owners)
					summary(t, "proxy-"+mode.name+"-"+be.name, int(l.attempted.Load()-opsBefore), int(l.errs.Load()-errsBefore), lost,
						"failed_saves_applied="+itoa(applied))
				})
			}
			if n := l.emptyLoads.Load(); n > 0 {
				t.Errorf("%d loads returned an empty or foreign session", n)
			}
			if err := closeProxied(); err != nil {
				t.Error(err)
			}
			if err := closeAtomic(); err != nil {
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

// faultRound sends, for each key, one load/save and one save of the session held from before
// the fault through a faulty proxy: each must fail with a typed error (check), matching
// context.DeadlineExceeded when the proxy stalls. A failed save is recorded as pending in the
// ledger (it may have reached the server); one that succeeds is an error, and acknowledged.
func (l *ledger) faultRound(t *testing.T, ctx context.Context, st *djangosession.Store, keys []string, held []*djangosession.Session,
	mode string, stalled bool, what string, check func(*testing.T, error)) {
	t.Helper()
	for i, k := range keys {
		octx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
		err := bounded(t, func() error { return l.step(octx, st, k, i) })
		cancel()
		if err == nil {
			t.Errorf("load/save through a %s proxy succeeded", mode)
			continue
		}
		check(t, err)
		if stalled && !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("stalled %s: %v does not match context.DeadlineExceeded", what, err)
		}
		seq := l.seq.Add(1)
		held[i].Set("seq", seq)
		octx, cancel = context.WithTimeout(ctx, 200*time.Millisecond)
		l.attempted.Add(1)
		err = bounded(t, func() error { return held[i].Save(octx) })
		cancel()
		if err == nil {
			t.Errorf("save through a %s proxy succeeded", mode)
			l.mu.Lock()
			l.acked[k], l.pending[k] = seq, nil
			l.mu.Unlock()
			continue
		}
		l.errs.Add(1)
		l.mu.Lock()
		l.pending[k] = append(l.pending[k], seq)
		l.mu.Unlock()
		check(t, err)
		if stalled && !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("stalled %s: save error %v does not match context.DeadlineExceeded", what, err)
		}
	}
}

// bounded runs f, failing the test if it has not returned 10 s after it started: a call whose
// context ends after 200 ms must not hang on a stalled server (a bound on hanging, fifty times
// the deadline, not a measurement of speed).
func bounded(t *testing.T, f func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("a call with a 200 ms deadline still hangs after 10 s on a stalled server")
		return nil
	}
}
