package memcachestore

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/djangobridge/bridge/djangosession"
	"github.com/djangobridge/bridge/djangosession/internal/livetest"
)

// sessionPickle is pickle.dumps({"a": 1, "_auth_user_id": "42"}, 5) as CPython 3.11 writes it
// (django-formats.md §9).
var sessionPickle = []byte("\x80\x05\x95\x20\x00\x00\x00\x00\x00\x00\x00}\x94(\x8c\x01a\x94K\x01\x8c\r_auth_user_id\x94\x8c\x0242\x94u.")

// liveTimeout is the socket timeout of the live tests' clients: generous, because the machine
// may be busy (the adapter's default is gomemcache's 500 ms).
const liveTimeout = 10 * time.Second

func servers(t testing.TB) []string {
	return strings.Split(livetest.Env(t, "DJANGOBRIDGE_MEMCACHED"), ",")
}

func keyPrefix(t testing.TB) string {
	return fmt.Sprintf("djbtest:%s:%d:", strings.ReplaceAll(t.Name(), "/", "."), time.Now().UnixNano())
}

// rawItem is what one server says about a key, asked directly with the meta get command.
type rawItem struct {
	found bool
	flags uint32
	ttl   int // -1: never expires
	value []byte
}

// mg asks the server at addr for key: "mg <key> v f t".
func mg(t testing.TB, addr, key string) rawItem {
	t.Helper()
	resp := rawCommand(t, addr, "mg "+key+" v f t\r\n")
	r := bufio.NewReader(bytes.NewReader(resp))
	line, _ := r.ReadString('\n')
	line = strings.TrimRight(line, "\r\n")
	if line == "EN" {
		return rawItem{}
	}
	fields := strings.Fields(line)
	if len(fields) < 2 || fields[0] != "VA" {
		t.Fatalf("mg %s on %s: %q", key, addr, line)
	}
	size, _ := strconv.Atoi(fields[1])
	it := rawItem{found: true}
	for _, f := range fields[2:] {
		n, _ := strconv.Atoi(f[1:])
		switch f[0] {
		case 'f':
			it.flags = uint32(n)
		case 't':
			it.ttl = n
		}
	}
	it.value = make([]byte, size)
	if _, err := io.ReadFull(r, it.value); err != nil {
		t.Fatal(err)
	}
	return it
}

// rawSet stores an item with the classic set command, bypassing the adapter.
func rawSet(t testing.TB, addr, key string, flags uint32, exptime int, value []byte) {
	t.Helper()
	resp := rawCommand(t, addr, fmt.Sprintf("set %s %d %d %d\r\n%s\r\n", key, flags, exptime, len(value), value))
	if string(resp) != "STORED\r\n" {
		t.Fatalf("set %s on %s: %q", key, addr, resp)
	}
}

func rawCommand(t testing.TB, addr, cmd string) []byte {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, liveTimeout)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(liveTimeout))
	if _, err := c.Write([]byte(cmd + "quit\r\n")); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	buf.ReadFrom(c)
	return buf.Bytes()
}

// whereIs returns the servers holding key.
func whereIs(t testing.TB, addrs []string, key string) []string {
	var on []string
	for _, a := range addrs {
		if mg(t, a, key).found {
			on = append(on, a)
		}
	}
	return on
}

// cleanup deletes keys from every server at the end of t.
func cleanup(t testing.TB, addrs []string, keys *[]string) {
	t.Cleanup(func() {
		for _, k := range *keys {
			for _, a := range addrs {
				rawCommand(t, a, "delete "+k+"\r\n")
			}
		}
	})
}

// TestLiveWire checks each operation's effect on the servers, for both Django clients.
func TestLiveWire(t *testing.T) {
	addrs := servers(t)
	for _, client := range []Client{PyMemcache, PyLibMC} {
		t.Run(client.String(), func(t *testing.T) {
			ctx := context.Background()
			prefix := keyPrefix(t)
			var keys []string
			cleanup(t, addrs, &keys)
			c, err := New(Options{Timeout: liveTimeout, Location: addrs, Client: client})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			const age = 1209600 * time.Second
			key := prefix + "s"
			keys = append(keys, key)

			if err := c.Set(ctx, key, sessionPickle, age); err != nil {
				t.Fatal(err)
			}
			on := whereIs(t, addrs, key)
			if len(on) != 1 {
				t.Fatalf("key on %v, want exactly one server", on)
			}
			it := mg(t, on[0], key)
			if it.flags != 1 || !bytes.Equal(it.value, sessionPickle) {
				t.Fatalf("server holds flags %d value %x; want flag 1 and the pickle", it.flags, it.value)
			}
			if it.ttl > 1209600 || it.ttl < 1209600-60 {
				t.Fatalf("TTL %d, want about 1209600", it.ttl)
			}
			if got, err := c.Get(ctx, key); err != nil || !bytes.Equal(got, sessionPickle) {
				t.Fatalf("Get = %x, %v", got, err)
			}
			if ok, err := c.Has(ctx, key); err != nil || !ok {
				t.Fatalf("Has = %v, %v", ok, err)
			}
			if ok, err := c.Add(ctx, key, sessionPickle, age); err != nil || ok {
				t.Fatalf("Add on existing = %v, %v; want false", ok, err)
			}
			if ok, err := c.Replace(ctx, key, []byte("\x80\x05}\x94."), time.Hour); err != nil || !ok {
				t.Fatalf("Replace on existing = %v, %v; want true", ok, err)
			}
			if it := mg(t, on[0], key); string(it.value) != "\x80\x05}\x94." || it.ttl > 3600 || it.ttl < 3600-60 {
				t.Fatalf("after Replace: %+v", it)
			}
			if err := c.Delete(ctx, key); err != nil {
				t.Fatal(err)
			}
			if _, err := c.Get(ctx, key); !errors.Is(err, djangosession.ErrNotFound) {
				t.Fatalf("Get after Delete: %v", err)
			}
			if ok, err := c.Has(ctx, key); err != nil || ok {
				t.Fatalf("Has after Delete = %v, %v", ok, err)
			}
			if err := c.Delete(ctx, key); err != nil {
				t.Fatalf("Delete of a missing key: %v", err)
			}
			if ok, err := c.Replace(ctx, key, sessionPickle, age); err != nil || ok {
				t.Fatalf("Replace on missing = %v, %v; want false", ok, err)
			}
			if ok, err := c.Add(ctx, key, sessionPickle, age); err != nil || !ok {
				t.Fatalf("Add on missing = %v, %v; want true", ok, err)
			}
			// Timeout 0: exptime -1, the item is gone at once.
			if err := c.Set(ctx, key, sessionPickle, 0); err != nil {
				t.Fatal(err)
			}
			if on := whereIs(t, addrs, key); len(on) != 0 {
				t.Fatalf("Set(0) left the key on %v", on)
			}
			if ok, err := c.Add(ctx, key, sessionPickle, 0); err != nil || !ok {
				t.Fatalf("Add(0) = %v, %v; want true (stored, expired at once)", ok, err)
			}
			if on := whereIs(t, addrs, key); len(on) != 0 {
				t.Fatalf("Add(0) left the key on %v", on)
			}
		})
	}
}

// TestLiveLongTimeout: beyond 30 days the expiration is absolute, from the injected clock.
func TestLiveLongTimeout(t *testing.T) {
	addrs := servers(t)
	ctx := context.Background()
	prefix := keyPrefix(t)
	keys := []string{prefix + "long"}
	cleanup(t, addrs, &keys)
	// The clock runs one day behind: the item lives one day less than the timeout.
	c, err := New(Options{Timeout: liveTimeout, Location: addrs, Now: func() time.Time { return time.Now().Add(-24 * time.Hour) }})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	const days40 = 40 * 24 * time.Hour
	if got := c.exptime(days40); int64(got) < time.Now().Unix() {
		t.Fatalf("exptime %d is not an absolute time", got)
	}
	if err := c.Set(ctx, keys[0], sessionPickle, days40); err != nil {
		t.Fatal(err)
	}
	on := whereIs(t, addrs, keys[0])
	if len(on) != 1 {
		t.Fatalf("key on %v", on)
	}
	want := int((days40 - 24*time.Hour) / time.Second)
	if ttl := mg(t, on[0], keys[0]).ttl; ttl > want+5 || ttl < want-60 {
		t.Fatalf("TTL %d, want about %d", ttl, want)
	}
	// A clock far in the past puts the absolute time in the past: memcached drops the item.
	past, _ := New(Options{Timeout: liveTimeout, Location: addrs, Now: func() time.Time { return time.Unix(1_000_000_000, 0) }})
	defer past.Close()
	if err := past.Set(ctx, keys[0], sessionPickle, days40); err != nil {
		t.Fatal(err)
	}
	if on := whereIs(t, addrs, keys[0]); len(on) != 0 {
		t.Fatalf("item with a past absolute expiration is on %v", on)
	}
}

// TestLiveFlags: items as Django stores other types (seeded directly, hand-made) are not
// sessions; pylibmc's zlib flag is inflated.
func TestLiveFlags(t *testing.T) {
	addrs := servers(t)
	ctx := context.Background()
	prefix := keyPrefix(t)
	var keys []string
	cleanup(t, addrs, &keys)
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(sessionPickle)
	zw.Close()
	var bomb bytes.Buffer
	bw := zlib.NewWriter(&bomb)
	bw.Write(make([]byte, 4<<20))
	bw.Close()
	type want int
	const (
		pickle want = iota
		corrupt
		tooLarge
	)
	cases := []struct {
		name   string
		flags  uint32
		value  []byte
		pymc   want
		pylibc want
	}{
		{"pickle", 1, sessionPickle, pickle, pickle},
		{"bytes", 0, []byte("raw"), corrupt, corrupt},
		{"int pymemcache", 2, []byte("42"), corrupt, corrupt},
		{"int pylibmc", 4, []byte("42"), corrupt, corrupt},
		{"str", 16, []byte("hello"), corrupt, corrupt},
		{"zlib pickle", 9, z.Bytes(), pickle, pickle}, // pymemcache: bytes reach the codec and fail there
		{"zlib garbage", 9, []byte("not zlib"), pickle, corrupt},
		{"zlib bomb", 9, bomb.Bytes(), pickle, tooLarge},
		{"zlib str", 24, func() []byte {
			var b bytes.Buffer
			w := zlib.NewWriter(&b)
			w.Write([]byte("x"))
			w.Close()
			return b.Bytes()
		}(), corrupt, corrupt},
	}
	for _, client := range []Client{PyMemcache, PyLibMC} {
		c, err := New(Options{Timeout: liveTimeout, Location: addrs, Client: client, MaxValueSize: 1 << 20})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		sel, _ := NewRendezvousSelector(addrs...)
		msel, _ := NewModulaSelector(addrs...)
		for _, tc := range cases {
			t.Run(client.String()+"/"+tc.name, func(t *testing.T) {
				key := prefix + client.String() + strings.ReplaceAll(tc.name, " ", "_")
				keys = append(keys, key)
				idx := sel.Pick(key)
				if client == PyLibMC {
					idx = msel.Pick(key)
				}
				rawSet(t, addrs[idx], key, tc.flags, 60, tc.value)
				got, err := c.Get(ctx, key)
				w := tc.pymc
				if client == PyLibMC {
					w = tc.pylibc
				}
				var tl *TooLargeError
				switch w {
				case pickle:
					wantV := tc.value
					if client == PyLibMC && tc.flags&8 != 0 {
						wantV = sessionPickle
					}
					if err != nil || !bytes.Equal(got, wantV) {
						t.Fatalf("Get = %x, %v; want %x", got, err, wantV)
					}
				case corrupt:
					if !errors.Is(err, djangosession.ErrCorrupt) || errors.As(err, &tl) {
						t.Fatalf("Get = %x, %v; want ErrCorrupt", got, err)
					}
				case tooLarge:
					if !errors.As(err, &tl) || !errors.Is(err, djangosession.ErrCorrupt) {
						t.Fatalf("Get = %v; want *TooLargeError", err)
					}
				}
			})
		}
	}
}

// TestLiveInvalidKeys: keys Django refuses are a miss on read and an error on write, and never
// reach a server.
func TestLiveInvalidKeys(t *testing.T) {
	addrs := servers(t)
	ctx := context.Background()
	c, err := New(Options{Timeout: liveTimeout, Location: addrs})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for name, key := range map[string]string{
		"space":                      "djbtest:a b",
		"newline":                    "djbtest:a\nb",
		"tab":                        "djbtest:a\tb",
		"del":                        "djbtest:a\x7fb",
		"nul":                        "djbtest:\x00",
		"251 bytes":                  strings.Repeat("k", 251),
		"251 bytes utf-8, 126 chars": strings.Repeat("é", 125) + "k",
		"empty":                      "",
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := c.Get(ctx, key); !errors.Is(err, djangosession.ErrNotFound) || !errors.Is(err, djangosession.ErrInvalidKey) {
				t.Fatalf("Get: %v, want a miss matching ErrInvalidKey", err)
			}
			if ok, err := c.Has(ctx, key); ok || !errors.Is(err, djangosession.ErrInvalidKey) {
				t.Fatalf("Has: %v %v", ok, err)
			}
			if err := c.Set(ctx, key, sessionPickle, time.Minute); !errors.Is(err, djangosession.ErrInvalidKey) {
				t.Fatalf("Set: %v, want ErrInvalidKey", err)
			}
			if _, err := c.Add(ctx, key, sessionPickle, time.Minute); !errors.Is(err, djangosession.ErrInvalidKey) {
				t.Fatalf("Add: %v, want ErrInvalidKey", err)
			}
			if _, err := c.Replace(ctx, key, sessionPickle, time.Minute); !errors.Is(err, djangosession.ErrInvalidKey) {
				t.Fatalf("Replace: %v, want ErrInvalidKey", err)
			}
			if err := c.Delete(ctx, key); !errors.Is(err, djangosession.ErrInvalidKey) {
				t.Fatalf("Delete: %v, want ErrInvalidKey", err)
			}
		})
	}
	// 250 bytes with non-ASCII characters is fine (Django counts characters, memcached bytes).
	ok := strings.Repeat("é", 124) + "kk"
	defer c.Delete(ctx, ok)
	if err := c.Set(ctx, ok, sessionPickle, time.Minute); err != nil {
		t.Fatalf("Set of a 250-byte key: %v", err)
	}
	if got, err := c.Get(ctx, ok); err != nil || !bytes.Equal(got, sessionPickle) {
		t.Fatalf("Get of a 250-byte key: %x, %v", got, err)
	}
}

// TestLiveServerDown: a server that does not answer gives *CacheError wrapping the network error.
func TestLiveServerDown(t *testing.T) {
	livetest.Short(t)
	c, err := New(Options{Location: []string{"127.0.0.1:1"}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for name, op := range livetest.CacheOps(c, sessionPickle) {
		t.Run(name, func(t *testing.T) {
			err := op(context.Background())
			var ce *djangosession.CacheError
			var ne net.Error
			if !errors.As(err, &ce) || !errors.As(err, &ne) || ce.Op != name {
				t.Fatalf("got %T %v, want *CacheError{Op: %q} wrapping a net.Error", err, err, name)
			}
		})
	}
}

// TestLiveContext: a cancelled or expired context gives a *CacheError matching the context error.
func TestLiveContext(t *testing.T) {
	c, err := New(Options{Timeout: liveTimeout, Location: servers(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	livetest.ContextErrors(t, livetest.CacheOps(c, sessionPickle))
}

// TestLiveTooLarge: a value over memcached's item limit is refused, and, as in Django, the old
// value is deleted so that it does not survive the failed save.
func TestLiveTooLarge(t *testing.T) {
	addrs := servers(t)
	ctx := context.Background()
	prefix := keyPrefix(t)
	keys := []string{prefix + "big"}
	cleanup(t, addrs, &keys)
	c, err := New(Options{Timeout: liveTimeout, Location: addrs})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Set(ctx, keys[0], sessionPickle, time.Minute); err != nil {
		t.Fatal(err)
	}
	err = c.Set(ctx, keys[0], make([]byte, 2<<20), time.Minute)
	var ce *djangosession.CacheError
	if !errors.As(err, &ce) || ce.Op != "set" {
		t.Fatalf("Set of 2 MiB: %v, want a *CacheError", err)
	}
	if on := whereIs(t, addrs, keys[0]); len(on) != 0 {
		t.Fatalf("the old value survived on %v", on)
	}
}
