// Command throughput measures how many session loads and saves per second N goroutines get
// through the library against real Redis and memcached servers, with p50/p99 latency, next to
// the same client's raw GET and SET of the same bytes. Each goroutine works on its own session
// (distinct keys). Every phase is bounded by -dur and by -max-ops. bench/run.sh runs it and
// puts redis-benchmark's figures next to it.
//
// Usage:
//
//	go run ./bench/throughput -redis 127.0.0.1:26379 -memcached 127.0.0.1:31211 \
//	    [-conc 1,8,32,128] [-dur 2s] [-case typical] [-json out.json]
//
// Keys use the prefix "djb-bench-tp" in Redis db 5, and are deleted at the end.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
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

const keyPrefix = "djb-bench-tp"

// Result is one phase at one concurrency.
type Result struct {
	Backend  string  `json:"backend"`
	Op       string  `json:"op"`
	Conc     int     `json:"conc"`
	Ops      int     `json:"ops"`
	Errors   int     `json:"errors"`
	Seconds  float64 `json:"seconds"`
	OpsPerS  float64 `json:"ops_per_s"`
	P50Micro float64 `json:"p50_us"`
	P99Micro float64 `json:"p99_us"`
}

func main() {
	redisAddr := flag.String("redis", "", "Redis host:port (loopback)")
	mcAddr := flag.String("memcached", "", "memcached host:port (loopback)")
	concList := flag.String("conc", "1,8,32,128", "goroutine counts")
	dur := flag.Duration("dur", 2*time.Second, "time per phase")
	maxOps := flag.Int("max-ops", 2_000_000, "operations per phase at most")
	caseName := flag.String("case", "typical", "fixture session: typical or typical_10k")
	jsonOut := flag.String("json", "", "write the results as JSON to this file")
	flag.Parse()
	if *redisAddr == "" && *mcAddr == "" {
		fmt.Fprintln(os.Stderr, "throughput: give -redis and/or -memcached (bench/run.sh starts them)")
		os.Exit(2)
	}
	for _, a := range []string{*redisAddr, *mcAddr} {
		if a != "" && !strings.HasPrefix(a, "127.0.0.1:") && !strings.HasPrefix(a, "localhost:") {
			fmt.Fprintln(os.Stderr, "throughput: loopback addresses only")
			os.Exit(2)
		}
	}
	var concs []int
	for _, s := range strings.Split(*concList, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 || n > 1024 {
			fmt.Fprintln(os.Stderr, "throughput: bad -conc")
			os.Exit(2)
		}
		concs = append(concs, n)
	}
	d, err := fixture(*caseName)
	if err != nil {
		fmt.Fprintln(os.Stderr, "throughput:", err)
		os.Exit(1)
	}
	maxConc := slices.Max(concs)
	var results []Result
	b := bench{dur: *dur, maxOps: *maxOps, d: d}
	if *redisAddr != "" {
		rc := redis.NewClient(&redis.Options{Addr: *redisAddr, DB: 5, PoolSize: max(10, maxConc), MinIdleConns: maxConc})
		c, err := redisstore.New(redisstore.Options{Clients: []redis.UniversalClient{rc}})
		check(err)
		raw := rawOps{
			get: func(ctx context.Context, k string) error { return rc.Get(ctx, k).Err() },
			set: func(ctx context.Context, k string, v []byte) error { return rc.Set(ctx, k, v, time.Hour).Err() },
		}
		results = append(results, b.backend("redis", c, raw, concs)...)
		check(rc.Close())
	}
	if *mcAddr != "" {
		mc := memcache.New(*mcAddr)
		mc.MaxIdleConns = maxConc
		mc.Timeout = 5 * time.Second // a stalled server on a busy machine is latency here, not an error
		c, err := memcachestore.NewFromClient(mc, memcachestore.Options{Client: memcachestore.PyMemcache})
		check(err)
		raw := rawOps{
			get: func(_ context.Context, k string) error { _, err := mc.Get(k); return err },
			set: func(_ context.Context, k string, v []byte) error {
				return mc.Set(&memcache.Item{Key: k, Value: v, Flags: 1, Expiration: 3600})
			},
		}
		results = append(results, b.backend("memcached", c, raw, concs)...)
		check(mc.Close())
	}
	if *jsonOut != "" {
		out, err := json.MarshalIndent(results, "", " ")
		check(err)
		check(os.WriteFile(*jsonOut, out, 0o644))
	}
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "throughput:", err)
		os.Exit(1)
	}
}

func fixture(name string) (*py.Dict, error) {
	cf, err := fixtures.LoadCache("5.2", "redis")
	if err != nil {
		return nil, fmt.Errorf("%w (run compat_test/generate.sh)", err)
	}
	for _, c := range cf.Cases {
		if c.Name == name && c.Engine == "cache" {
			v, err := pickle.Unmarshal(c.Pickle)
			if err != nil {
				return nil, err
			}
			return v.(*py.Dict), nil
		}
	}
	return nil, fmt.Errorf("no fixture case %q", name)
}

type rawOps struct {
	get func(ctx context.Context, key string) error
	set func(ctx context.Context, key string, value []byte) error
}

type bench struct {
	dur    time.Duration
	maxOps int
	d      *py.Dict
}

func (b bench) backend(name string, c djangosession.Cache, raw rawOps, concs []int) []Result {
	ctx := context.Background()
	st, err := djangosession.NewStore(djangosession.Config{SessionEngine: djangosession.EngineCache, Cache: c, DjangoVersion: "5.2", KeyPrefix: keyPrefix})
	check(err)
	atomicSt, err := djangosession.NewStore(djangosession.Config{SessionEngine: djangosession.EngineCache, Cache: c, DjangoVersion: "5.2", KeyPrefix: keyPrefix, AtomicSave: true})
	check(err)
	p, err := pickle.Marshal(b.d, 5)
	check(err)
	maxConc := slices.Max(concs)
	keys := make([]string, maxConc)
	for i := range keys {
		keys[i] = fmt.Sprintf("tp%030d", i)
		check(c.Set(ctx, st.CacheKey(keys[i]), p, time.Hour))
		check(raw.set(ctx, keyPrefix+":raw:"+keys[i], p))
	}
	defer func() {
		for _, k := range keys {
			_ = c.Delete(ctx, st.CacheKey(k))
			_ = c.Delete(ctx, keyPrefix+":raw:"+k)
		}
	}()
	loaded := func(s *djangosession.Store, w int) *djangosession.Session {
		sess, err := s.Load(ctx, keys[w])
		check(err)
		if sess.Len() == 0 {
			check(errors.New("a benchmark session is missing"))
		}
		return sess
	}
	var out []Result
	for _, n := range concs {
		phases := []struct {
			op   string
			make func(w int) func(i int) error
		}{
			{"load", func(w int) func(int) error {
				return func(int) error {
					s, err := st.Load(ctx, keys[w])
					if err == nil && s.Len() == 0 {
						err = errors.New("session missing")
					}
					return err
				}
			}},
			{"save", func(w int) func(int) error {
				s := loaded(st, w)
				return func(i int) error { s.Set("bench_n", int64(i)); return s.Save(ctx) }
			}},
			{"atomicsave", func(w int) func(int) error {
				s := loaded(atomicSt, w)
				return func(i int) error { s.Set("bench_n", int64(i)); return s.Save(ctx) }
			}},
			{"raw-get", func(w int) func(int) error {
				k := keyPrefix + ":raw:" + keys[w]
				return func(int) error { return raw.get(ctx, k) }
			}},
			{"raw-set", func(w int) func(int) error {
				k := keyPrefix + ":raw:" + keys[w]
				return func(int) error { return raw.set(ctx, k, p) }
			}},
		}
		for _, ph := range phases {
			r := b.phase(n, ph.make)
			r.Backend, r.Op = name, ph.op
			fmt.Fprintf(os.Stderr, "%-10s %-11s conc %4d: %9.0f ops/s  p50 %7.1f µs  p99 %8.1f µs  (%d ops, %d errors)\n",
				r.Backend, r.Op, r.Conc, r.OpsPerS, r.P50Micro, r.P99Micro, r.Ops, r.Errors)
			out = append(out, r)
		}
	}
	return out
}

// phase runs n workers, each calling its op in a loop until the time or op budget is spent.
func (b bench) phase(n int, mk func(w int) func(i int) error) Result {
	ops := make([]func(int) error, n)
	for w := range ops {
		ops[w] = mk(w)
	}
	lat := make([][]time.Duration, n)
	errs := make([]int, n)
	perWorker := max(1, b.maxOps/n)
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(b.dur)
	for w := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l := make([]time.Duration, 0, 1024)
			for i := 0; i < perWorker; i++ {
				t0 := time.Now()
				if t0.After(deadline) {
					break
				}
				if err := ops[w](i); err != nil {
					errs[w]++
					if errs[w] > 100 {
						break
					}
					continue
				}
				l = append(l, time.Since(t0))
			}
			lat[w] = l
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	var all []time.Duration
	nerr := 0
	for w := range n {
		all = append(all, lat[w]...)
		nerr += errs[w]
	}
	slices.Sort(all)
	pct := func(q float64) float64 {
		if len(all) == 0 {
			return 0
		}
		return float64(all[min(len(all)-1, int(q*float64(len(all))))]) / 1e3
	}
	return Result{Conc: n, Ops: len(all), Errors: nerr, Seconds: elapsed.Seconds(),
		OpsPerS: float64(len(all)) / elapsed.Seconds(), P50Micro: pct(0.50), P99Micro: pct(0.99)}
}
