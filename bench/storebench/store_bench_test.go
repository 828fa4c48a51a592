// Package storebench benchmarks the session Store against real Redis and memcached servers,
// next to the raw client calls that move the same bytes (same client, same pool), so that the Store's own cost (key,
// pickle, framing) can be read off: Store.Load against one GET, Session.Save against GET+SET
// (Django's save reads before it writes), the AtomicSave path against one SET.
//
// They are benchmarks only (go test without -bench runs nothing here). The servers come from
// DJANGOBRIDGE_BENCH_REDIS / DJANGOBRIDGE_BENCH_MEMCACHED (host:port; bench/run.sh starts
// pinned servers and sets them), else DJANGOBRIDGE_REDIS / the first of DJANGOBRIDGE_MEMCACHED
// (scripts/servers-start.sh). Without a server they fail, saying how to start one; -short
// skips them. Keys are prefixed "djb-bench-go" in Redis db 5, and are deleted afterwards.
package storebench

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/djangobridge/bridge/pickle"
	"github.com/djangobridge/bridge/py"

	"github.com/bradfitz/gomemcache/memcache"
	"github.com/djangobridge/bridge/djangosession"
	"github.com/djangobridge/bridge/djangosession/memcachestore"
	"github.com/djangobridge/bridge/djangosession/redisstore"
	"github.com/djangobridge/bridge/internal/fixtures"
	"github.com/redis/go-redis/v9"
)

// keyPrefix is the KEY_PREFIX of every benchmark session (the Python driver uses its own).
const keyPrefix = "djb-bench-go"

// nKeys distinct sessions are stored per case; parallel workers take one each.
const nKeys = 128

var sizes = []string{"typical", "typical_10k"}

// authKeys are the session keys django.contrib.auth reads on every request (get_user).
var authKeys = [3]string{"_auth_user_id", "_auth_user_backend", "_auth_user_hash"}

// server returns host:port from the bench variable, else from the test-suite variable.
func server(b *testing.B, benchVar, suiteVar string) string {
	b.Helper()
	if testing.Short() {
		b.Skip("store benchmark needs live servers: skipped under -short")
	}
	if v := os.Getenv(benchVar); v != "" {
		return v
	}
	if v := os.Getenv(suiteVar); v != "" {
		return strings.Split(v, ",")[0]
	}
	b.Fatalf("%s (or %s) is not set: run bench/run.sh, or start the servers with "+
		"scripts/servers-start.sh and `source .run/servers.env` (-short skips this benchmark)", benchVar, suiteVar)
	return ""
}

// fixture returns the session Django 5.2 stored for the named case, decoded.
func fixture(b *testing.B, name string) *py.Dict {
	b.Helper()
	cf, err := fixtures.LoadCache("5.2", "redis")
	if err != nil {
		b.Fatalf("%v (run compat_test/generate.sh)", err)
	}
	for _, c := range cf.Cases {
		if c.Name == name && c.Engine == "cache" {
			v, err := pickle.Unmarshal(c.Pickle)
			if err != nil {
				b.Fatal(err)
			}
			return v.(*py.Dict)
		}
	}
	b.Fatalf("no fixture case %q", name)
	return nil
}

// sessionKey returns the i-th benchmark session key (32 characters, as Django's).
func sessionKey(tag string, i int) string {
	return fmt.Sprintf("%s%0*d", tag, 32-len(tag), i)
}

// backend is one Django cache configuration: a Cache for the Store and the raw calls that
// move the same bytes through the same client.
type backend struct {
	name   string
	cache  djangosession.Cache
	rawGet func(ctx context.Context, key string) error
	rawSet func(ctx context.Context, key string, value []byte) error
	// rawFetch is rawGet returning the bytes, as the Store's adapter gets them from the client.
	rawFetch func(ctx context.Context, key string) ([]byte, error)
	close    func()
}

// warmUp fills the client's connection pool (64 connections) and runs a few thousand round
// trips before anything is timed: a freshly made client is measurably slower on its first
// thousands of calls on a loaded single CPU (connections still being dialled, cold code), which
// made whichever sub-benchmark ran first look slower than the rest.
func warmUp(ping func() error) {
	var wg sync.WaitGroup
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				_ = ping()
			}
		}()
	}
	wg.Wait()
}

func redisBackends(b *testing.B) []backend {
	addr := server(b, "DJANGOBRIDGE_BENCH_REDIS", "DJANGOBRIDGE_REDIS")
	rc := redis.NewClient(&redis.Options{Addr: addr, DB: 5, PoolSize: 64})
	if err := rc.Ping(context.Background()).Err(); err != nil {
		b.Fatalf("redis %s: %v (start it with scripts/servers-start.sh)", addr, err)
	}
	warmUp(func() error { return rc.Ping(context.Background()).Err() })
	rawGet := func(ctx context.Context, key string) error { return rc.Get(ctx, key).Err() }
	rawFetch := func(ctx context.Context, key string) ([]byte, error) { return rc.Get(ctx, key).Bytes() }
	rawSet := func(ctx context.Context, key string, v []byte) error {
		return rc.Set(ctx, key, v, time.Hour).Err()
	}
	var out []backend
	for _, f := range []struct {
		name string
		o    redisstore.Options
	}{
		{"redis", redisstore.Options{}},
		{"django-redis", redisstore.Options{Format: redisstore.FormatDjangoRedis}},
	} {
		o := f.o
		o.Clients = []redis.UniversalClient{rc}
		c, err := redisstore.New(o)
		if err != nil {
			b.Fatal(err)
		}
		out = append(out, backend{f.name, c, rawGet, rawSet, rawFetch, func() {}})
	}
	out[len(out)-1].close = func() { rc.Close() }
	return out
}

func memcachedBackends(b *testing.B) []backend {
	addr := server(b, "DJANGOBRIDGE_BENCH_MEMCACHED", "DJANGOBRIDGE_MEMCACHED")
	mc := memcache.New(addr)
	mc.MaxIdleConns = 64
	// A benchmark, not a timeout test: on a loaded machine a server can stall for longer than
	// gomemcache's default 500 ms, which would fail the run.
	mc.Timeout = 5 * time.Second
	if err := mc.Ping(); err != nil {
		b.Fatalf("memcached %s: %v (start it with scripts/servers-start.sh)", addr, err)
	}
	warmUp(mc.Ping)
	rawGet := func(_ context.Context, key string) error { _, err := mc.Get(key); return err }
	rawFetch := func(_ context.Context, key string) ([]byte, error) {
		it, err := mc.Get(key)
		if err != nil {
			return nil, err
		}
		return it.Value, nil
	}
	rawSet := func(_ context.Context, key string, v []byte) error {
		return mc.Set(&memcache.Item{Key: key, Value: v, Flags: 1, Expiration: 3600})
	}
	var out []backend
	for _, cl := range []memcachestore.Client{memcachestore.PyMemcache, memcachestore.PyLibMC} {
		c, err := memcachestore.NewFromClient(mc, memcachestore.Options{Client: cl})
		if err != nil {
			b.Fatal(err)
		}
		out = append(out, backend{map[memcachestore.Client]string{memcachestore.PyMemcache: "pymemcache", memcachestore.PyLibMC: "pylibmc"}[cl], c, rawGet, rawSet, rawFetch, func() {}})
	}
	out[len(out)-1].close = func() { mc.Close() }
	return out
}

// stores returns a Store with Django's save and one with AtomicSave, and the session keys,
// stored with d.
func stores(b *testing.B, be backend, size string, d *py.Dict) (plain, atomic *djangosession.Store, keys []string) {
	b.Helper()
	var err error
	cfg := djangosession.Config{SessionEngine: djangosession.EngineCache, Cache: be.cache, DjangoVersion: "5.2", KeyPrefix: keyPrefix}
	if plain, err = djangosession.NewStore(cfg); err != nil {
		b.Fatal(err)
	}
	cfg.AtomicSave = true
	sc := cfg
	if atomic, err = djangosession.NewStore(sc); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	tag := "s" + strings.ReplaceAll(be.name, "-", "") + strings.ReplaceAll(size, "_", "")
	for i := range nKeys {
		k := sessionKey(tag, i)
		// Store the fixture under k as the backend writes it (its pickle protocol, framing).
		p, err := pickle.Marshal(d, protocol(be.cache))
		if err != nil {
			b.Fatal(err)
		}
		if err := be.cache.Set(ctx, plain.CacheKey(k), p, time.Hour); err != nil {
			b.Fatal(err)
		}
		keys = append(keys, k)
	}
	b.Cleanup(func() {
		for _, k := range keys {
			_ = be.cache.Delete(context.Background(), plain.CacheKey(k))
		}
	})
	// Check that a load finds the stored session: a benchmark of misses would be worthless.
	s, err := plain.Load(ctx, keys[0])
	if err != nil {
		b.Fatal(err)
	}
	if s.Len() != d.Len() || s.Key() == "" {
		b.Fatalf("%s: loaded %d keys, stored %d", be.name, s.Len(), d.Len())
	}
	return plain, atomic, keys
}

// worker is the state of one goroutine of the raw encode benchmarks: its key and its own copy
// of the session (a Dict is not safe for concurrent use).
type worker struct {
	key string
	d   *py.Dict
}

// ownCopy returns a setup func giving each worker a copy of d.
func ownCopy(b *testing.B, d *py.Dict) func(string) worker {
	p, err := pickle.Marshal(d, 5)
	if err != nil {
		b.Fatal(err)
	}
	return func(key string) worker {
		v, err := pickle.Unmarshal(p)
		if err != nil {
			b.Fatal(err)
		}
		return worker{key, v.(*py.Dict)}
	}
}

// encodeSet is the codec and client work of a save: set one key, pickle, SET the bytes.
func (w worker) encodeSet(ctx context.Context, be backend, proto, i int) error {
	w.d.Set("bench_n", int64(i))
	v, err := pickle.Marshal(w.d, proto)
	if err != nil {
		return err
	}
	return be.rawSet(ctx, w.key, v)
}

func protocol(c djangosession.Cache) int {
	if h, ok := c.(djangosession.ProtocolHinter); ok {
		return h.PickleProtocol()
	}
	return 5
}

// run runs op serially ("g1") and from 32 goroutines ("g32"); worker w of a run uses keys[w].
// op gets a per-worker state made by setup.
func run[S any](b *testing.B, bytes int, keys []string, setup func(key string) S, op func(ctx context.Context, st S, i int) error) {
	ctx := context.Background()
	b.Run("g1", func(b *testing.B) {
		st := setup(keys[0])
		b.ReportAllocs()
		b.SetBytes(int64(bytes))
		b.ResetTimer()
		i := 0
		for b.Loop() {
			if err := op(ctx, st, i); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("g32", func(b *testing.B) {
		var next atomic.Int64
		b.ReportAllocs()
		b.SetBytes(int64(bytes))
		b.SetParallelism(max(1, 32/runtime.GOMAXPROCS(0)))
		b.RunParallel(func(pb *testing.PB) {
			st := setup(keys[int(next.Add(1)-1)%len(keys)])
			i := 0
			for pb.Next() {
				if err := op(ctx, st, i); err != nil {
					b.Error(err)
					return
				}
				i++
			}
		})
	})
}

// BenchmarkStore measures, for each backend and fixture session, the Store next to the raw
// client moving the same bytes (same client, same connection pool), sub-benchmark by
// sub-benchmark so that a change in the machine's load hits both alike:
//
//	rawget:     the client's GET of the stored value
//	load:       Store.Load (GET + unpickle) and first use of the data
//	rawgetset:  GET, then SET of the same bytes
//	save:       Set on a loaded session + Save (Django's save: GET, then pickle + SET)
//	rawset:     SET of the same bytes
//	atomicsave: the same as save with Config.AtomicSave (pickle + one SET XX / replace)
//	modsave:    Load + Set + Save, what Django's SessionStore(key)[k] = v; save() does
//
// and, for issue #17 (pay only for what a request reads):
//
//	rawget+getset:  GET, GET, SET of the same bytes: the round trips of modsave
//	atomicmodsave:  modsave with Config.AtomicSave (GET, then one SET XX / replace)
//	authload:       Store.Load + Session.String of the three auth keys
//
// and, to tell the Store's own cost from the codec's, the raw calls plus the codec work on the
// same bytes:
//
//	rawget+decode:      GET, then UnmarshalPickle of the value
//	rawget+encode+set:  GET, then MarshalPickle of the session and SET
//	encode+rawset:      MarshalPickle of the session, then SET
func BenchmarkStore(b *testing.B) {
	backends := append(redisBackends(b), memcachedBackends(b)...)
	defer func() {
		for _, be := range backends {
			be.close()
		}
	}()
	for _, be := range backends {
		for _, size := range sizes {
			d := fixture(b, size)
			plain, atomicStore, keys := stores(b, be, size, d)
			p, err := pickle.Marshal(d, protocol(be.cache))
			if err != nil {
				b.Fatal(err)
			}
			n := len(p)
			rawKeys := make([]string, len(keys))
			for i, k := range keys {
				rawKeys[i] = keyPrefix + ":raw:" + k
				if err := be.rawSet(context.Background(), rawKeys[i], p); err != nil {
					b.Fatal(err)
				}
			}
			b.Cleanup(func() {
				for _, k := range rawKeys {
					_ = be.cache.Delete(context.Background(), k)
				}
			})
			id := func(k string) string { return k }
			loaded := func(st *djangosession.Store) func(string) *djangosession.Session {
				return func(k string) *djangosession.Session {
					s, err := st.Load(context.Background(), k)
					if err != nil {
						b.Fatal(err)
					}
					s.Len()
					return s
				}
			}
			name := be.name + "/" + size + "/"
			b.Run(name+"rawget", func(b *testing.B) {
				run(b, n, rawKeys, id, func(ctx context.Context, k string, _ int) error { return be.rawGet(ctx, k) })
			})
			b.Run(name+"load", func(b *testing.B) {
				run(b, n, keys, id, func(ctx context.Context, k string, _ int) error {
					s, err := plain.Load(ctx, k)
					if err == nil && s.Len() == 0 {
						err = fmt.Errorf("session %s not found", k)
					}
					return err
				})
			})
			// Issue #17: a request that only checks the login: Store.Load and the three keys
			// django.contrib.auth reads, as strings. Its allocations should not depend on the
			// session's size.
			b.Run(name+"authload", func(b *testing.B) {
				run(b, n, keys, id, func(ctx context.Context, k string, _ int) error {
					s, err := plain.Load(ctx, k)
					if err != nil {
						return err
					}
					for _, ak := range authKeys {
						if _, ok := s.String(ak); !ok {
							return fmt.Errorf("session %s: no string %s", k, ak)
						}
					}
					return nil
				})
			})
			b.Run(name+"rawgetset", func(b *testing.B) {
				run(b, n, rawKeys, id, func(ctx context.Context, k string, _ int) error {
					if err := be.rawGet(ctx, k); err != nil {
						return err
					}
					return be.rawSet(ctx, k, p)
				})
			})
			b.Run(name+"save", func(b *testing.B) {
				run(b, n, keys, loaded(plain), func(ctx context.Context, s *djangosession.Session, i int) error {
					s.Set("bench_n", int64(i))
					return s.Save(ctx)
				})
			})
			b.Run(name+"rawset", func(b *testing.B) {
				run(b, n, rawKeys, id, func(ctx context.Context, k string, _ int) error { return be.rawSet(ctx, k, p) })
			})
			b.Run(name+"atomicsave", func(b *testing.B) {
				run(b, n, keys, loaded(atomicStore), func(ctx context.Context, s *djangosession.Session, i int) error {
					s.Set("bench_n", int64(i))
					return s.Save(ctx)
				})
			})
			proto := protocol(be.cache)
			b.Run(name+"rawget+decode", func(b *testing.B) {
				run(b, n, rawKeys, id, func(ctx context.Context, k string, _ int) error {
					v, err := be.rawFetch(ctx, k)
					if err != nil {
						return err
					}
					_, err = pickle.Unmarshal(v)
					return err
				})
			})
			b.Run(name+"rawget+encode+set", func(b *testing.B) {
				run(b, n, rawKeys, ownCopy(b, d), func(ctx context.Context, w worker, i int) error {
					if err := be.rawGet(ctx, w.key); err != nil {
						return err
					}
					return w.encodeSet(ctx, be, proto, i)
				})
			})
			b.Run(name+"encode+rawset", func(b *testing.B) {
				run(b, n, rawKeys, ownCopy(b, d), func(ctx context.Context, w worker, i int) error {
					return w.encodeSet(ctx, be, proto, i)
				})
			})
			modsave := func(st *djangosession.Store) func(ctx context.Context, k string, i int) error {
				return func(ctx context.Context, k string, i int) error {
					s, err := st.Load(ctx, k)
					if err != nil {
						return err
					}
					s.Set("bench_n", int64(i))
					return s.Save(ctx)
				}
			}
			b.Run(name+"modsave", func(b *testing.B) { run(b, n, keys, id, modsave(plain)) })
			// Issue #17: the Store's load+modify+save next to the raw round trips it makes:
			// Django's save reads before it writes (GET, GET, SET); with AtomicSave it is
			// GET, then one SET XX / replace, the same round trips as rawgetset.
			b.Run(name+"rawget+getset", func(b *testing.B) {
				run(b, n, rawKeys, id, func(ctx context.Context, k string, _ int) error {
					if err := be.rawGet(ctx, k); err != nil {
						return err
					}
					if err := be.rawGet(ctx, k); err != nil {
						return err
					}
					return be.rawSet(ctx, k, p)
				})
			})
			b.Run(name+"atomicmodsave", func(b *testing.B) { run(b, n, keys, id, modsave(atomicStore)) })
			// The Store's Save appends the changed items to the stored pickle until that would
			// make it more than about twice a whole encode (pickle.LazyDict.AppendItems), so the
			// thousands of saves above leave a larger stored session than the fixture: report
			// its size (bench/report.py reads this line), and fail if it passed that bound.
			if v, err := be.cache.Get(context.Background(), plain.CacheKey(keys[0])); err != nil {
				b.Error(err)
			} else {
				// Printed, not logged: a parent benchmark's log shows only when it fails.
				fmt.Printf("stored session after the save benchmarks: %s %d -> %d bytes\n", be.name+"/"+size, n, len(v))
				if len(v) > 2*(n+32)+64 {
					b.Errorf("%s: the stored session grew from %d to %d bytes over the save benchmarks", name, n, len(v))
				}
			}
		}
	}
}
