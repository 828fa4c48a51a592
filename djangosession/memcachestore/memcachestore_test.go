package memcachestore

import (
	"bytes"
	"compress/zlib"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/djangobridge/bridge/djangosession"
)

// TestExptime: Django's BaseMemcachedCache.get_backend_timeout (int(t) == 0 → -1; t > 30 days →
// int(time.time()) + t; else int(t)), with the clock fixed at 1700000000.
func TestExptime(t *testing.T) {
	c, err := New(Options{Location: []string{"127.0.0.1:21211"}, Now: func() time.Time { return time.Unix(1700000000, 0) }})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		in   time.Duration
		want int32
	}{
		{0, -1},
		{500 * time.Millisecond, -1},
		{-500 * time.Millisecond, -1},
		{-5 * time.Second, -5},
		{time.Second, 1},
		{1500 * time.Millisecond, 1},
		{1209600 * time.Second, 1209600},
		{2592000 * time.Second, 2592000},
		{2592000*time.Second + time.Millisecond, 1700000000 + 2592000},
		{2592001 * time.Second, 1700000000 + 2592001},
		{3456000 * time.Second, 1700000000 + 3456000},
		{1 << 62, 1<<31 - 1},
	} {
		if got := c.exptime(tc.in); got != tc.want {
			t.Errorf("exptime(%v) = %d, want %d", tc.in, got, tc.want)
		}
	}
}

func TestValidKey(t *testing.T) {
	for key, want := range map[string]bool{
		":1:django.contrib.sessions.cacheabc": true,
		"café":                                true,
		strings.Repeat("k", 250):              true,
		strings.Repeat("k", 251):              false,
		strings.Repeat("é", 125):              true,  // 250 bytes
		strings.Repeat("é", 125) + "k":        false, // 126 characters but 251 bytes
		"a b":                                 false, "a\tb": false, "a\x00": false, "a\x7f": false, "a\x1f": false, "": false,
		"\u00a0": true, // Django only refuses ord < 33 and 127
	} {
		if got := validKey(key); got != want {
			t.Errorf("validKey(%q) = %v, want %v", key, got, want)
		}
	}
}

// TestDecodeFlags: the flag rules of pymemcache's serde and pylibmc, offline. Values are
// hand-made.
func TestDecodeFlags(t *testing.T) {
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(sessionPickle)
	zw.Close()
	for _, tc := range []struct {
		flags        uint32
		value        []byte
		pymc, pylibc bool // whether each returns a pickle (else ErrCorrupt)
	}{
		{1, sessionPickle, true, true},
		{0, []byte("b"), false, false},
		{2, []byte("1"), false, false},
		{4, []byte("1"), false, false},
		{16, []byte("s"), false, false},
		{17, []byte("s"), false, false},
		{3, []byte("1"), false, false},
		{9, z.Bytes(), true, true},
		{8, z.Bytes(), false, false},
		{32, []byte("?"), false, false},
		{33, sessionPickle, true, true},
	} {
		for _, cl := range []Client{PyMemcache, PyLibMC} {
			c := &Cache{client: cl, limit: DefaultMaxValueSize}
			got, err := c.decode(tc.flags, tc.value)
			want := tc.pymc
			if cl == PyLibMC {
				want = tc.pylibc
			}
			if want {
				wantV := tc.value
				if cl == PyLibMC && tc.flags&8 != 0 {
					wantV = sessionPickle
				}
				if err != nil || !bytes.Equal(got, wantV) {
					t.Errorf("%v flags %d: %x, %v", cl, tc.flags, got, err)
				}
			} else if !errors.Is(err, djangosession.ErrCorrupt) {
				t.Errorf("%v flags %d: %x, %v; want ErrCorrupt", cl, tc.flags, got, err)
			}
		}
	}
}

func TestNodeNames(t *testing.T) {
	for loc, want := range map[string]string{
		"127.0.0.1:21211":    "127.0.0.1:21211",
		"127.0.0.1":          "127.0.0.1:11211",
		"[::1]:11212":        "::1:11212",
		"[::1]":              "::1:11211",
		"127.0.0.1: 21211 ":  "127.0.0.1:21211",
		"127.0.0.1:2_1211":   "127.0.0.1:21211",
		"unix:/tmp/m.sock":   "/tmp/m.sock",
		"/var/run/mc.socket": "/var/run/mc.socket",
	} {
		node, _, err := pymemcacheNode(loc)
		if err != nil || node != want {
			t.Errorf("node(%q) = %q, %v; want %q", loc, node, err, want)
		}
	}
	for _, bad := range []string{"", "host:port", "host:99999", "host:1__2", "host:"} {
		if _, _, err := pymemcacheNode(bad); err == nil || !strings.HasPrefix(err.Error(), "memcachestore: ") {
			t.Errorf("node(%q): %v, want an error", bad, err)
		}
	}
}

func TestNewErrors(t *testing.T) {
	for name, o := range map[string]Options{
		"no servers":     {},
		"unknown client": {Location: []string{"127.0.0.1:21211"}, Client: 7},
		"bad entry":      {Location: []string{"127.0.0.1:x"}},
	} {
		if _, err := New(o); err == nil {
			t.Errorf("%s: New succeeded", name)
		}
	}
	if _, err := NewFromClient(nil, Options{}); err == nil {
		t.Error("NewFromClient(nil) succeeded")
	}
}

func TestZlibBomb(t *testing.T) {
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(make([]byte, 2<<20))
	zw.Close()
	c := &Cache{client: PyLibMC, limit: 1 << 20}
	_, err := c.decode(9, z.Bytes())
	var tl *TooLargeError
	if !errors.As(err, &tl) || tl.Limit != 1<<20 || !errors.Is(err, djangosession.ErrCorrupt) {
		t.Fatalf("got %v, want *TooLargeError", err)
	}
}
