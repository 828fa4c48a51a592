// Command memory measures the memory side of the library for bench/run.sh:
//
//   - the resident memory (VmRSS) and Go heap of a process holding -sessions decoded copies of
//     the "typical" fixture session;
//   - a long Load + Set + Save loop over a fixed set of sessions, first -n iterations, then 10
//     times as many in all: the live heap and goroutine count after a GC at both points, which
//     must not grow with the iteration count. It runs over the in-memory cache of
//     djangosessiontest and, with -redis, over a real Redis (db 5, prefix "djb-bench-mem").
//
// With -decode FILE it instead decodes one pickle file and prints, as one JSON line, the
// process's peak resident memory (VmHWM) over its resident memory before reading the file,
// the Go heap it allocated, and the decode error if any (-max-memory sets Codec.MaxMemory).
// bench/memory/pydecode.py does the same with CPython's pickle.loads, for comparison.
//
// Usage: go run ./bench/memory [-sessions 100000] [-n 20000] [-redis 127.0.0.1:26379] [-json out.json]
//
//	go run ./bench/memory -decode FILE [-max-memory N]
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/djangobridge/bridge/pickle"

	"github.com/djangobridge/bridge/djangosession"
	"github.com/djangobridge/bridge/djangosession/djangosessiontest"
	"github.com/djangobridge/bridge/djangosession/redisstore"
	"github.com/djangobridge/bridge/internal/fixtures"
	"github.com/redis/go-redis/v9"
)

// Held is the many-sessions measurement.
type Held struct {
	Sessions        int     `json:"sessions"`
	PickleBytes     int     `json:"pickle_bytes"`
	RSSBeforeKiB    int     `json:"rss_before_kib"`
	RSSAfterKiB     int     `json:"rss_after_kib"`
	HeapBytes       uint64  `json:"heap_alloc_delta"`
	BytesPerSession float64 `json:"rss_bytes_per_session"`
	HeapPerSession  float64 `json:"heap_bytes_per_session"`
}

// Loop is one long-loop measurement.
type Loop struct {
	Cache          string  `json:"cache"`
	N              int     `json:"n"`
	HeapAfterN     uint64  `json:"heap_after_n"`
	HeapAfter10N   uint64  `json:"heap_after_10n"`
	GoroutinesN    int     `json:"goroutines_after_n"`
	Goroutines10N  int     `json:"goroutines_after_10n"`
	RSSAfterNKiB   int     `json:"rss_after_n_kib"`
	RSSAfter10NKiB int     `json:"rss_after_10n_kib"`
	SecondsTotal   float64 `json:"seconds"`
}

func main() {
	sessions := flag.Int("sessions", 100_000, "decoded sessions to hold")
	n := flag.Int("n", 20_000, "iterations of the first long-loop checkpoint (the second is 10n)")
	redisN := flag.Int("redis-n", 2_000, "the same for the Redis loop")
	redisAddr := flag.String("redis", "", "Redis host:port for the Redis loop (loopback); empty: skip it")
	jsonOut := flag.String("json", "", "write the results as JSON to this file")
	decodeFile := flag.String("decode", "", "decode this pickle file and report peak memory, then exit")
	maxMemory := flag.Int("max-memory", 0, "Codec.MaxMemory for -decode")
	flag.Parse()
	if *decodeFile != "" {
		decodeOne(*decodeFile, *maxMemory)
		return
	}

	p, err := typical()
	check(err)
	out := struct {
		Held  Held   `json:"held"`
		Loops []Loop `json:"loops"`
	}{}
	out.Held = held(p, *sessions)
	fmt.Fprintf(os.Stderr, "held %d sessions: RSS +%d KiB (%.0f B/session), heap +%d B (%.0f B/session); pickle %d B\n",
		out.Held.Sessions, out.Held.RSSAfterKiB-out.Held.RSSBeforeKiB, out.Held.BytesPerSession,
		out.Held.HeapBytes, out.Held.HeapPerSession, out.Held.PickleBytes)

	out.Loops = append(out.Loops, loop("memory", djangosessiontest.NewCache(), p, *n))
	if *redisAddr != "" {
		if !strings.HasPrefix(*redisAddr, "127.0.0.1:") {
			check(fmt.Errorf("loopback addresses only"))
		}
		rc := redis.NewClient(&redis.Options{Addr: *redisAddr, DB: 5})
		c, err := redisstore.New(redisstore.Options{Clients: []redis.UniversalClient{rc}})
		check(err)
		out.Loops = append(out.Loops, loop("redis", c, p, *redisN))
		check(rc.Close())
	}
	for _, l := range out.Loops {
		fmt.Fprintf(os.Stderr, "loop %-6s: live heap after %d: %d B, after %d: %d B; goroutines %d -> %d; %.1fs\n",
			l.Cache, l.N, l.HeapAfterN, 10*l.N, l.HeapAfter10N, l.GoroutinesN, l.Goroutines10N, l.SecondsTotal)
	}
	if *jsonOut != "" {
		b, err := json.MarshalIndent(out, "", " ")
		check(err)
		check(os.WriteFile(*jsonOut, b, 0o644))
	}
}

// decodeOne decodes one pickle file and prints its memory figures as a JSON line.
func decodeOne(path string, maxMemory int) {
	runtime.GC()
	r0 := statusKiB("VmRSS:")
	var a, b runtime.MemStats
	runtime.ReadMemStats(&a)
	p, err := os.ReadFile(path)
	check(err)
	c := &pickle.Codec{MaxSize: -1, MaxMemory: maxMemory}
	v, err := c.Decode(p)
	runtime.ReadMemStats(&b)
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	out, _ := json.Marshal(map[string]any{"input_bytes": len(p), "peak_rss_kib": statusKiB("VmHWM:") - r0,
		"allocated_bytes": b.TotalAlloc - a.TotalAlloc, "error": msg})
	fmt.Println(string(out))
	runtime.KeepAlive(v)
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "memory:", err)
		os.Exit(1)
	}
}

func typical() ([]byte, error) {
	cf, err := fixtures.LoadCache("5.2", "redis")
	if err != nil {
		return nil, fmt.Errorf("%w (run compat_test/generate.sh)", err)
	}
	for _, c := range cf.Cases {
		if c.Name == "typical" && c.Engine == "cache" {
			return c.Pickle, nil
		}
	}
	return nil, fmt.Errorf("no typical fixture case")
}

func rssKiB() int { return statusKiB("VmRSS:") }

// statusKiB returns a field of /proc/self/status in KiB (VmRSS, VmHWM).
func statusKiB(field string) int {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), field); ok {
			n, _ := strconv.Atoi(strings.Fields(rest)[0])
			return n
		}
	}
	return 0
}

func liveHeap() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

var sink []any

func held(p []byte, count int) Held {
	h0 := liveHeap()
	r0 := rssKiB()
	sink = make([]any, count)
	for i := range sink {
		v, err := pickle.Unmarshal(p)
		check(err)
		sink[i] = v
	}
	h1 := liveHeap()
	r1 := rssKiB()
	res := Held{Sessions: count, PickleBytes: len(p), RSSBeforeKiB: r0, RSSAfterKiB: r1, HeapBytes: h1 - h0,
		BytesPerSession: float64(r1-r0) * 1024 / float64(count), HeapPerSession: float64(h1-h0) / float64(count)}
	sink = nil
	return res
}

func loop(name string, c djangosession.Cache, p []byte, n int) Loop {
	ctx := context.Background()
	st, err := djangosession.NewStore(djangosession.Config{SessionEngine: djangosession.EngineCache, Cache: c, DjangoVersion: "5.2", KeyPrefix: "djb-bench-mem"})
	check(err)
	const nKeys = 256
	keys := make([]string, nKeys)
	for i := range keys {
		keys[i] = fmt.Sprintf("mem%029d", i)
		check(c.Set(ctx, st.CacheKey(keys[i]), p, time.Hour))
	}
	defer func() {
		for _, k := range keys {
			_ = c.Delete(ctx, st.CacheKey(k))
		}
	}()
	iter := func(i int) {
		s, err := st.Load(ctx, keys[i%nKeys])
		check(err)
		s.Set("bench_n", int64(i))
		s.Set("cart", []any{"sku-" + strconv.Itoa(i%7)})
		check(s.Save(ctx))
	}
	start := time.Now()
	for i := range n {
		iter(i)
	}
	l := Loop{Cache: name, N: n, HeapAfterN: liveHeap(), GoroutinesN: runtime.NumGoroutine(), RSSAfterNKiB: rssKiB()}
	for i := n; i < 10*n; i++ {
		iter(i)
	}
	l.HeapAfter10N, l.Goroutines10N, l.RSSAfter10NKiB = liveHeap(), runtime.NumGoroutine(), rssKiB()
	l.SecondsTotal = time.Since(start).Seconds()
	return l
}
