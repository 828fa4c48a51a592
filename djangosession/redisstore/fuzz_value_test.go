package redisstore

import (
	"errors"
	"testing"

	"github.com/djangobridge/bridge/djangosession"
)

// FuzzRedisValue feeds arbitrary stored bytes to the value decoder of every format and
// compressor (int detection, then decompression): no panic, nothing beyond the limit, and every
// error matches djangosession.ErrCorrupt (the Store's "no session"), never a failure.
func FuzzRedisValue(f *testing.F) {
	for _, c := range allCompressors {
		for _, p := range [][]byte{sessionPickle, longPickle} {
			enc, err := c.compress(p)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(uint8(c), enc)
		}
	}
	for _, s := range []string{"42", " -7_000 \n", "", "x\x9c\xff\xff", "\x1f\x8b", "\x04\x22\x4d\x18", "\xfd7zXZ\x00", "\x28\xb5\x2f\xfd"} {
		f.Add(uint8(0), []byte(s))
	}
	const limit = 1 << 16
	caches := make([]*Cache, 0, len(allCompressors)+1)
	caches = append(caches, &Cache{format: FormatDjango, limit: limit})
	for _, comp := range allCompressors {
		c := &Cache{format: FormatDjangoRedis, comp: comp, limit: limit}
		if comp == CompressorZstd {
			d, err := newZstdDecoder(limit)
			if err != nil {
				f.Fatal(err)
			}
			c.zstd = d
		}
		caches = append(caches, c)
	}
	f.Fuzz(func(t *testing.T, which uint8, b []byte) {
		c := caches[int(which)%len(caches)]
		out, err := c.decode(b)
		if err != nil {
			// ErrUnreadable only for another compressor's output, which Django configured
			// with that compressor reads; anything else from the input is ErrCorrupt.
			_, magic := compressedAs(b)
			unreadable := errors.Is(err, djangosession.ErrUnreadable) && magic
			if !errors.Is(err, djangosession.ErrCorrupt) && !unreadable {
				t.Fatalf("%v %v: error %v matches neither ErrCorrupt nor (for another compressor's output) ErrUnreadable", c.format, c.comp, err)
			}
			return
		}
		if len(out) > limit && c.comp != CompressorIdentity {
			t.Fatalf("%v: %d bytes out, limit %d", c.comp, len(out), limit)
		}
	})
}
