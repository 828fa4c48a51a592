package redisstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/djangobridge/bridge/djangosession"
	"github.com/djangobridge/bridge/djangosession/internal/livetest"
	"github.com/redis/go-redis/v9"
)

// Live tests use Redis db 2 (fixture generation owns db 1) and a key prefix unique to the test.

const liveDB = 2

func primaryURL(t testing.TB) string {
	return fmt.Sprintf("redis://%s/%d", livetest.Env(t, "DJANGOBRIDGE_REDIS"), liveDB)
}

func replicaURL(t testing.TB) string {
	return fmt.Sprintf("redis://%s/%d", livetest.Env(t, "DJANGOBRIDGE_REDIS_REPLICA"), liveDB)
}

// rawClient returns a plain go-redis client on url and deletes every key under prefix at the end.
func rawClient(t testing.TB, url, prefix string) *redis.Client {
	t.Helper()
	o, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(o)
	t.Cleanup(func() {
		ctx := context.Background()
		iter := c.Scan(ctx, 0, prefix+"*", 100).Iterator()
		for iter.Next(ctx) {
			c.Del(ctx, iter.Val())
		}
		c.Close()
	})
	return c
}

func keyPrefix(t testing.TB) string {
	return fmt.Sprintf("djbtest:%s:%d:", strings.ReplaceAll(t.Name(), "/", "."), time.Now().UnixNano())
}

// recorder is a go-redis hook that keeps the data commands a client sends.
type recorder struct {
	mu   sync.Mutex
	cmds [][]any
}

func (r *recorder) DialHook(next redis.DialHook) redis.DialHook { return next }
func (r *recorder) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}
func (r *recorder) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		switch strings.ToLower(cmd.Name()) {
		case "set", "get", "del", "exists":
			r.mu.Lock()
			r.cmds = append(r.cmds, cmd.Args())
			r.mu.Unlock()
		}
		return next(ctx, cmd)
	}
}

func (r *recorder) take() [][]any {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.cmds
	r.cmds = nil
	return c
}

func recordedClient(t testing.TB, url string) (*redis.Client, *recorder) {
	o, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(o)
	r := &recorder{}
	c.AddHook(r)
	t.Cleanup(func() { c.Close() })
	return c, r
}

func argsString(a []any) string {
	parts := make([]string, len(a))
	for i, x := range a {
		if b, ok := x.([]byte); ok {
			parts[i] = fmt.Sprintf("<%d bytes>", len(b))
		} else {
			parts[i] = fmt.Sprint(x)
		}
	}
	return strings.ToUpper(parts[0]) + " " + strings.Join(parts[1:], " ")
}

type wireCase struct {
	name string
	opts Options
}

func wireCases() []wireCase {
	cs := []wireCase{
		{"django", Options{Format: FormatDjango}},
		{"django-redis", Options{Format: FormatDjangoRedis}},
		{"django-redis-pickle2", Options{Format: FormatDjangoRedis, PickleVersion: 2}},
	}
	for _, c := range allCompressors[1:] {
		cs = append(cs, wireCase{"django-redis-" + c.String(), Options{Format: FormatDjangoRedis, Compressor: c}})
	}
	return cs
}

// TestLiveWire checks each operation's commands and their effect on the server.
func TestLiveWire(t *testing.T) {
	url := primaryURL(t)
	const age = 1209600 * time.Second
	for _, tc := range wireCases() {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			prefix := keyPrefix(t)
			raw := rawClient(t, url, prefix)
			cl, rec := recordedClient(t, url)
			o := tc.opts
			o.Clients = []redis.UniversalClient{cl}
			c, err := New(o)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			dr := tc.opts.Format == FormatDjangoRedis
			unit, n := "EX", int64(1209600)
			if dr {
				unit, n = "PX", 1209600000
			}
			key := prefix + "s"

			// Set: one SET with the backend's expiry unit; the stored bytes carry the framing.
			if err := c.Set(ctx, key, longPickle, age); err != nil {
				t.Fatal(err)
			}
			want := fmt.Sprintf("SET %s <%d bytes> %s %d", key, 0, unit, n)
			cmds := rec.take()
			stored, err := raw.Get(ctx, key).Bytes()
			if err != nil {
				t.Fatal(err)
			}
			want = strings.Replace(want, "<0 bytes>", fmt.Sprintf("<%d bytes>", len(stored)), 1)
			if len(cmds) != 1 || argsString(cmds[0]) != want {
				t.Fatalf("Set sent %v, want [%s]", cmds, want)
			}
			if m := magic[tc.opts.Compressor]; m != nil {
				if !bytes.HasPrefix(stored, m) {
					t.Fatalf("stored %x…, want magic %x", stored[:8], m)
				}
			} else if !bytes.Equal(stored, longPickle) {
				t.Fatalf("stored %x, want the pickle itself", stored)
			}
			pttl, err := raw.PTTL(ctx, key).Result()
			if err != nil {
				t.Fatal(err)
			}
			if pttl > age || pttl < age-time.Minute {
				t.Fatalf("PTTL %v, want about %v", pttl, age)
			}

			// Get: the pickle back.
			got, err := c.Get(ctx, key)
			if err != nil || !bytes.Equal(got, longPickle) {
				t.Fatalf("Get = %x, %v; want the pickle", got, err)
			}
			// A short pickle stays uncompressed.
			if err := c.Set(ctx, key, sessionPickle, age); err != nil {
				t.Fatal(err)
			}
			stored, _ = raw.Get(ctx, key).Bytes()
			wantStored := sessionPickle
			if tc.opts.Compressor != CompressorIdentity && tc.opts.Compressor != CompressorLZMA {
				wantStored = nil // 44 bytes > 15: compressed
			}
			if wantStored != nil && !bytes.Equal(stored, wantStored) {
				t.Fatalf("short pickle stored as %x", stored)
			}
			if got, err := c.Get(ctx, key); err != nil || !bytes.Equal(got, sessionPickle) {
				t.Fatalf("Get short = %x, %v", got, err)
			}
			rec.take()

			// Has, Add on an existing key, Replace.
			if ok, err := c.Has(ctx, key); err != nil || !ok {
				t.Fatalf("Has = %v, %v", ok, err)
			}
			if ok, err := c.Add(ctx, key, longPickle, age); err != nil || ok {
				t.Fatalf("Add on existing = %v, %v; want false", ok, err)
			}
			if ok, err := c.Replace(ctx, key, longPickle, age); err != nil || !ok {
				t.Fatalf("Replace on existing = %v, %v; want true", ok, err)
			}
			cmds = rec.take()
			wantCmds := []string{"EXISTS " + key, "SET " + key + " <%d bytes> " + unit + fmt.Sprintf(" %d NX", n),
				"SET " + key + " <%d bytes> " + unit + fmt.Sprintf(" %d XX", n)}
			if len(cmds) != 3 || argsString(cmds[0]) != wantCmds[0] ||
				!strings.HasSuffix(argsString(cmds[1]), fmt.Sprintf(" %s %d NX", unit, n)) ||
				!strings.HasSuffix(argsString(cmds[2]), fmt.Sprintf(" %s %d XX", unit, n)) {
				t.Fatalf("Has/Add/Replace sent %v", cmds)
			}
			if got, _ := c.Get(ctx, key); !bytes.Equal(got, longPickle) {
				t.Fatal("Replace did not store")
			}

			// Delete, then the miss paths.
			if err := c.Delete(ctx, key); err != nil {
				t.Fatal(err)
			}
			if _, err := c.Get(ctx, key); !errors.Is(err, djangosession.ErrNotFound) {
				t.Fatalf("Get after Delete: %v, want ErrNotFound", err)
			}
			if ok, err := c.Has(ctx, key); err != nil || ok {
				t.Fatalf("Has after Delete = %v, %v", ok, err)
			}
			if ok, err := c.Replace(ctx, key, longPickle, age); err != nil || ok {
				t.Fatalf("Replace on missing = %v, %v; want false", ok, err)
			}
			if err := c.Delete(ctx, key); err != nil {
				t.Fatalf("Delete of a missing key: %v", err)
			}
			if ok, err := c.Add(ctx, key, longPickle, age); err != nil || !ok {
				t.Fatalf("Add on missing = %v, %v; want true", ok, err)
			}

			// Zero timeouts: Set and Replace delete.
			rec.take()
			if err := c.Set(ctx, key, longPickle, 0); err != nil {
				t.Fatal(err)
			}
			if cmds := rec.take(); len(cmds) != 1 || argsString(cmds[0]) != "DEL "+key {
				t.Fatalf("Set(0) sent %v, want DEL", cmds)
			}
			if n, _ := raw.Exists(ctx, key).Result(); n != 0 {
				t.Fatal("Set(0) left the key")
			}
			// Add(0) on a missing key: Django SET NX then DEL (true); django-redis EXISTS (true).
			if ok, err := c.Add(ctx, key, longPickle, 0); err != nil || !ok {
				t.Fatalf("Add(0) on missing = %v, %v; want true", ok, err)
			}
			cmds = rec.take()
			if dr {
				if len(cmds) != 1 || argsString(cmds[0]) != "EXISTS "+key {
					t.Fatalf("django-redis Add(0) sent %v", cmds)
				}
			} else if len(cmds) != 2 || !strings.HasSuffix(argsString(cmds[0]), " NX") || argsString(cmds[1]) != "DEL "+key {
				t.Fatalf("Django Add(0) sent %v", cmds)
			}
			if n, _ := raw.Exists(ctx, key).Result(); n != 0 {
				t.Fatal("Add(0) left the key")
			}
			// Sub-second timeouts: Django int(0.5) = 0 deletes; django-redis sends PX 500.
			if err := c.Set(ctx, key, longPickle, 500*time.Millisecond); err != nil {
				t.Fatal(err)
			}
			cmds = rec.take()
			if dr {
				if len(cmds) != 1 || !strings.HasSuffix(argsString(cmds[0]), " PX 500") {
					t.Fatalf("django-redis Set(0.5s) sent %v", cmds)
				}
			} else if len(cmds) != 1 || argsString(cmds[0]) != "DEL "+key {
				t.Fatalf("Django Set(0.5s) sent %v", cmds)
			}
			if err := c.Set(ctx, key, longPickle, age); err != nil {
				t.Fatal(err)
			}
			if ok, err := c.Add(ctx, key, longPickle, 0); err != nil || ok {
				t.Fatalf("Add(0) on existing = %v, %v; want false", ok, err)
			}
			if n, _ := raw.Exists(ctx, key).Result(); n != 1 {
				t.Fatal("Add(0) on an existing key removed it")
			}
			if ok, err := c.Replace(ctx, key, longPickle, -time.Second); err != nil || !ok {
				t.Fatalf("Replace(-1s) on existing = %v, %v; want true", ok, err)
			}
			if n, _ := raw.Exists(ctx, key).Result(); n != 0 {
				t.Fatal("Replace(-1s) left the key")
			}
		})
	}
}

// TestLiveIntValue: a Python int stored by either backend (decimal text) is not a session.
func TestLiveIntValue(t *testing.T) {
	url := primaryURL(t)
	prefix := keyPrefix(t)
	raw := rawClient(t, url, prefix)
	ctx := context.Background()
	raw.Set(ctx, prefix+"i", "42", time.Minute)
	for _, f := range []Format{FormatDjango, FormatDjangoRedis} {
		c, err := New(Options{Location: []string{url}, Format: f, Compressor: map[Format]Compressor{FormatDjangoRedis: CompressorZlib}[f]})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Get(ctx, prefix+"i")
		c.Close()
		if !errors.Is(err, djangosession.ErrCorrupt) {
			t.Fatalf("%v: Get of an int = %v, want ErrCorrupt", f, err)
		}
	}
}

// TestLiveReplica: with LOCATION [primary, replica], writes go to the primary only and reads to
// the replica only.
func TestLiveReplica(t *testing.T) {
	purl, rurl := primaryURL(t), replicaURL(t)
	prefix := keyPrefix(t)
	rawClient(t, purl, prefix) // deletes the test's keys afterwards
	ctx := context.Background()
	pc, prec := recordedClient(t, purl)
	rc, rrec := recordedClient(t, rurl)
	c, err := New(Options{Clients: []redis.UniversalClient{pc, rc}})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		key := fmt.Sprintf("%sk%d", prefix, i)
		if err := c.Set(ctx, key, sessionPickle, time.Minute); err != nil {
			t.Fatal(err)
		}
		// Wait (bounded) until the replica has the key. WAIT would only cover writes made on
		// its own connection, and the write above went through another one.
		waitReplica(t, rurl, key)
		got, err := c.Get(ctx, key)
		if err != nil || !bytes.Equal(got, sessionPickle) {
			t.Fatalf("Get from replica = %x, %v", got, err)
		}
		if ok, err := c.Has(ctx, key); err != nil || !ok {
			t.Fatalf("Has on replica = %v, %v", ok, err)
		}
	}
	for _, a := range prec.take() {
		if s := strings.ToUpper(fmt.Sprint(a[0])); s != "SET" {
			t.Fatalf("primary got a %s", s)
		}
	}
	reads := rrec.take()
	if len(reads) != 40 {
		t.Fatalf("replica got %d commands, want 40", len(reads))
	}
	for _, a := range reads {
		if s := strings.ToUpper(fmt.Sprint(a[0])); s != "GET" && s != "EXISTS" {
			t.Fatalf("replica got a %s", s)
		}
	}

	// The same through Location URLs.
	lc, err := New(Options{Location: SplitLocation(FormatDjango, purl+";"+rurl)})
	if err != nil {
		t.Fatal(err)
	}
	defer lc.Close()
	if len(lc.clients) != 2 {
		t.Fatalf("%d clients from the LOCATION string", len(lc.clients))
	}
	if got, err := lc.Get(ctx, prefix+"k0"); err != nil || !bytes.Equal(got, sessionPickle) {
		t.Fatalf("Get via Location = %x, %v", got, err)
	}
	// A write through the replica client would fail (READONLY): writes must not go there.
	if err := lc.Set(ctx, prefix+"k0", sessionPickle, time.Minute); err != nil {
		t.Fatalf("Set via Location: %v", err)
	}
}

// TestLiveServerDown: a server that does not answer gives *CacheError wrapping the network error.
func TestLiveServerDown(t *testing.T) {
	livetest.Short(t)
	c, err := New(Options{Location: []string{"redis://127.0.0.1:1/2?dial_timeout=1s&max_retries=-1"}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	for name, op := range livetest.CacheOps(c, sessionPickle) {
		t.Run(name, func(t *testing.T) {
			err := op(ctx)
			var ce *djangosession.CacheError
			var ne net.Error
			if !errors.As(err, &ce) || !errors.As(err, &ne) {
				t.Fatalf("got %T %v, want *CacheError wrapping a net.Error", err, err)
			}
			if ce.Op != name {
				t.Fatalf("Op = %q, want %q", ce.Op, name)
			}
		})
	}
}

// TestLiveContext: a cancelled or expired context gives a *CacheError matching the context error.
func TestLiveContext(t *testing.T) {
	url := primaryURL(t)
	c, err := New(Options{Location: []string{url}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	livetest.ContextErrors(t, livetest.CacheOps(c, sessionPickle))
}

// waitReplica polls the replica at url until it holds key, for at most 5 s.
func waitReplica(t *testing.T, url, key string) {
	t.Helper()
	opt, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	rc := redis.NewClient(opt)
	defer rc.Close()
	ctx := context.Background()
	deadline := time.Now().Add(5 * time.Second)
	for {
		n, err := rc.Exists(ctx, key).Result()
		if err == nil && n == 1 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the replica did not receive %s within 5 s (last: %d, %v)", key, n, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
