package memcachestore

import (
	"bytes"
	"compress/zlib"
	"errors"
	"testing"

	"github.com/djangobridge/bridge/djangosession"
)

// FuzzMemcachedValue feeds arbitrary items (flags and bytes) to both clients' value decoders:
// no panic, nothing beyond the inflate limit, and every error matches djangosession.ErrCorrupt
// (so that the Store takes it for "no session", as Django does, never for a server failure).
func FuzzMemcachedValue(f *testing.F) {
	pickle := []byte("\x80\x05\x95\x0b\x00\x00\x00\x00\x00\x00\x00}\x94\x8c\x01a\x94K\x01s.")
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(pickle)
	zw.Close()
	var bomb bytes.Buffer
	zw = zlib.NewWriter(&bomb)
	zw.Write(make([]byte, 1<<17))
	zw.Close()
	for _, flags := range []uint32{0, 1, 2, 4, 8, 9, 16, 17, 24, 0xffffffff} {
		f.Add(flags, pickle)
		f.Add(flags, z.Bytes())
		f.Add(flags, bomb.Bytes())
		f.Add(flags, []byte("42"))
		f.Add(flags, []byte{})
	}
	const limit = 1 << 16
	clients := []*Cache{{client: PyMemcache, limit: limit}, {client: PyLibMC, limit: limit}}
	f.Fuzz(func(t *testing.T, flags uint32, v []byte) {
		for _, c := range clients {
			out, err := c.decode(flags, v)
			if err != nil {
				if !errors.Is(err, djangosession.ErrCorrupt) {
					t.Fatalf("%v: flags %d: error %v does not match ErrCorrupt", c.client, flags, err)
				}
				continue
			}
			if len(out) > limit {
				t.Fatalf("%v: %d bytes out, limit %d", c.client, len(out), limit)
			}
		}
	})
}
