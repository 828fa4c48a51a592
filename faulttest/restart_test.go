package faulttest

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/djangobridge/bridge/djangosession"
	"github.com/djangobridge/bridge/djangosession/memcachestore"
	"github.com/djangobridge/bridge/djangosession/redisstore"
)

const (
	sessionsPerTest = 16
	workers         = 4
)

// loop runs workers goroutines, each loading and saving its share of keys until stop is
// closed; every error goes to onErr. It returns when all workers have stopped.
func loop(l *ledger, st *djangosession.Store, keys []string, stop <-chan struct{}, opTimeout time.Duration, onErr func(error)) {
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				k := w + (i%(len(keys)/workers))*workers
				ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
				err := l.step(ctx, st, keys[k], k)
				cancel()
				if err != nil {
					onErr(err)
					time.Sleep(5 * time.Millisecond) // a client backing off, not a busy loop
				}
			}
		}()
	}
	wg.Wait()
}

// waitFor polls cond every 10 ms for at most d and reports whether it became true.
func waitFor(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
	return true
}

// TestRedisKilledAndRestarted kills redis-server (SIGKILL) in the middle of a load/save loop,
// restarts it on the same port, and checks that every error while it was down is a typed
// *CacheError (never a miss, never an empty session), that the Store recovers by itself, and
// that every session holds the last acknowledged value (or a later attempted one) at the end.
func TestRedisKilledAndRestarted(t *testing.T) {
	requireLive(t)
	leak := goroutines(t)
	srv := startRedis(t)
	cache, err := redisstore.New(redisstore.Options{Location: []string{"redis://" + srv.Addr() + "/0"}})
	if err != nil {
		t.Fatal(err)
	}
	st, err := djangosession.NewStore(djangosession.Config{SessionEngine: djangosession.EngineCache, Cache: cache})
	if err != nil {
		t.Fatal(err)
	}
	l := newLedger()
	ctx := waitCtx(t, 30*time.Second)
	keys := make([]string, sessionsPerTest)
	owners := map[string]int{}
	for i := range keys {
		keys[i] = l.create(ctx, t, st, i)
		owners[keys[i]] = i
	}

	var (
		mu       sync.Mutex
		firstErr []error
		errsDown atomic.Int64
	)
	onErr := func(err error) {
		errsDown.Add(1)
		mu.Lock()
		if len(firstErr) < 200 {
			firstErr = append(firstErr, err)
		}
		mu.Unlock()
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() { loop(l, st, keys, stop, time.Second, onErr); close(done) }()

	okBefore := func() int64 { return l.attempted.Load() - l.errs.Load() }
	if !waitFor(10*time.Second, func() bool { return okBefore() >= 200 }) {
		t.Fatal("the loop made no progress before the fault")
	}
	srv.Kill()
	downAt := l.attempted.Load()
	if !waitFor(10*time.Second, func() bool { return errsDown.Load() >= 20 }) {
		t.Error("no errors while Redis was down")
	}
	srv.Start()
	restarted := okBefore()
	recovered := waitFor(20*time.Second, func() bool { return okBefore() >= restarted+200 })
	close(stop)
	<-done
	if !recovered {
		t.Error("the Store did not recover after Redis came back")
	}

	mu.Lock()
	for _, err := range firstErr {
		checkErr(t, err)
	}
	mu.Unlock()
	lost := l.verify(t, st, owners)
	if n := l.emptyLoads.Load(); n > 0 {
		t.Errorf("%d loads returned an empty or foreign session while Redis was broken", n)
	}
	if lost > 0 {
		t.Errorf("%d sessions lost", lost)
	}
	summary(t, "redis-kill-restart", int(l.attempted.Load()), int(l.errs.Load()), lost,
		"ops_before_kill="+itoa(downAt), "empty_loads="+itoa(l.emptyLoads.Load()),
		"failed_saves_applied="+itoa(l.failedButApplied.Load()))
	if err := cache.Close(); err != nil {
		t.Error(err)
	}
	leak()
}

// TestMemcachedNodeKilled kills one of two memcached servers behind the Django-compatible
// selector (pymemcache's rendezvous hashing and pylibmc's modula): sessions on the live node keep
// working; sessions on the dead node give typed errors, never a miss or an empty session; once
// the node is back, its keys are misses (memcached keeps nothing across a restart, in Django
// too) and the Store works on it again.
func TestMemcachedNodeKilled(t *testing.T) {
	requireLive(t)
	for _, client := range []memcachestore.Client{memcachestore.PyMemcache, memcachestore.PyLibMC} {
		t.Run(client.String(), func(t *testing.T) { testMemcachedNodeKilled(t, client) })
	}
}

func testMemcachedNodeKilled(t *testing.T, client memcachestore.Client) {
	leak := goroutines(t)
	a, b := startMemcached(t), startMemcached(t)
	loc := []string{a.Addr(), b.Addr()}
	cache, err := memcachestore.New(memcachestore.Options{Location: loc, Client: client, Timeout: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	st, err := djangosession.NewStore(djangosession.Config{SessionEngine: djangosession.EngineCache, Cache: cache})
	if err != nil {
		t.Fatal(err)
	}
	pick := pickFunc(t, client, loc)
	l := newLedger()
	ctx := waitCtx(t, 30*time.Second)
	keys := make([]string, sessionsPerTest)
	live, dead := map[string]int{}, map[string]int{}
	for i := range keys {
		keys[i] = l.create(ctx, t, st, i)
		if pick(st.CacheKey(keys[i])) == 0 {
			live[keys[i]] = i
		} else {
			dead[keys[i]] = i
		}
	}
	if len(live) == 0 || len(dead) == 0 {
		t.Fatalf("all %d sessions on one node; the selector does not spread them", len(keys))
	}
	// A session loaded before the kill, to be saved while its node is down.
	var deadKey string
	for k := range dead {
		deadKey = k
		break
	}
	loaded, err := st.Load(ctx, deadKey)
	if err != nil {
		t.Fatal(err)
	}
	loaded.Set("seq", int64(-1))

	b.Kill()
	var deadErrs, liveOK int
	for _, k := range keys {
		s, err := st.Load(ctx, k)
		l.attempted.Add(1)
		if _, ok := dead[k]; ok {
			if err == nil {
				t.Errorf("load on the dead node succeeded: %v", s.Keys())
				continue
			}
			l.errs.Add(1)
			deadErrs++
			checkErr(t, err)
			continue
		}
		if err != nil {
			l.errs.Add(1)
			t.Errorf("load on the live node: %v", err)
			continue
		}
		liveOK++
	}
	l.attempted.Add(1)
	if err := loaded.Save(ctx); err == nil {
		t.Error("save on the dead node succeeded")
	} else {
		l.errs.Add(1)
		checkErr(t, err)
	}
	// The loop keeps going on both nodes while one is down.
	var loopErrs atomic.Int64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		loop(l, st, keys, stop, time.Second, func(err error) { loopErrs.Add(1); checkErrAsync(t, err) })
		close(done)
	}()
	waitFor(10*time.Second, func() bool { return l.attempted.Load() >= 400 })
	close(stop)
	<-done

	lostLive := l.verify(t, st, live)
	if lostLive > 0 {
		t.Errorf("%d sessions lost on the live node", lostLive)
	}
	if n := l.emptyLoads.Load(); n > 0 {
		t.Errorf("%d loads returned an empty or foreign session", n)
	}

	b.Start()
	// Back, empty: the dead node's sessions are misses now (a new empty session, key dropped),
	// and a new session on that node works.
	for k := range dead {
		s, err := st.Load(ctx, k)
		if err != nil {
			t.Errorf("load after restart: %v", err)
			continue
		}
		if s.Len() != 0 || s.Key() != "" {
			t.Errorf("a session of the restarted node is not a miss: %v", s.Keys())
		}
	}
	onB := 0
	for range 40 {
		s := st.New()
		s.Set("x", int64(1))
		if err := s.Save(ctx); err != nil {
			t.Fatalf("create after restart: %v", err)
		}
		if pick(st.CacheKey(s.Key())) == 1 {
			onB++
			got, err := st.Load(ctx, s.Key())
			if err != nil || got.Len() != 1 {
				t.Errorf("round trip on the restarted node: %v", err)
			}
		}
	}
	if onB == 0 {
		t.Error("no new session landed on the restarted node")
	}
	summary(t, "memcached-node-killed-"+client.String(), int(l.attempted.Load()), int(l.errs.Load()), lostLive,
		"live_sessions="+itoa(len(live)), "dead_node_sessions="+itoa(len(dead)), "dead_node_typed_errors="+itoa(deadErrs),
		"live_node_loads_ok="+itoa(liveOK), "loop_errors="+itoa(loopErrs.Load()))
	if err := cache.Close(); err != nil {
		t.Error(err)
	}
	leak()
}

// pickFunc returns the index into loc of the server client's selector picks for a key.
func pickFunc(t *testing.T, client memcachestore.Client, loc []string) func(string) int {
	t.Helper()
	if client == memcachestore.PyLibMC {
		s, err := memcachestore.NewModulaSelector(loc...)
		if err != nil {
			t.Fatal(err)
		}
		return s.Pick
	}
	s, err := memcachestore.NewRendezvousSelector(loc...)
	if err != nil {
		t.Fatal(err)
	}
	return s.Pick
}

var asyncMu sync.Mutex

// checkErrAsync is checkErr for worker goroutines.
func checkErrAsync(t *testing.T, err error) {
	asyncMu.Lock()
	defer asyncMu.Unlock()
	if errors.Is(err, errUnexpected) {
		t.Error(err)
		return
	}
	var ce *djangosession.CacheError
	if !errors.As(err, &ce) || errors.Is(err, djangosession.ErrNotFound) || errors.Is(err, djangosession.ErrCorrupt) {
		t.Errorf("untyped error or miss from a broken server: %T %v", err, err)
	}
}
