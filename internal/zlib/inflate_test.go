package zlib

import (
	"bytes"
	"compress/zlib"
	"errors"
	"hash/adler32"
	"io"
	"math/bits"
	"math/rand/v2"
	"strconv"
	"testing"
)

// inflateCorpus returns zlib streams of every block type: compress/zlib at levels 0 (stored),
// 1, 6, 9 and Huffman-only, and this package's compressor (fixed and dynamic blocks), over
// short and long, redundant, random and skewed inputs (byte k about twice as frequent as byte
// k+1: codes of up to 15 bits, beyond the decoder's tables).
func inflateCorpus(t testing.TB) [][]byte {
	rng := rand.New(rand.NewPCG(3, 4))
	var inputs [][]byte
	for _, n := range []int{0, 1, 2, 10, 100, 269, 1000, 17000, 70000, 200000} {
		red := make([]byte, n)
		rnd := make([]byte, n)
		for i := range red {
			const alphabet = "{\"sku\":\"SKU-0001\",\"qty\":1}"
			red[i] = alphabet[rng.IntN(len(alphabet))]
			rnd[i] = byte(rng.IntN(256))
		}
		inputs = append(inputs, red, rnd)
	}
	for _, n := range []int{5000, 70000} {
		skew := make([]byte, n)
		for i := range skew {
			skew[i] = byte(bits.LeadingZeros32(rng.Uint32() | 1<<(rng.IntN(8)+4)))
		}
		inputs = append(inputs, skew)
	}
	var streams [][]byte
	for _, in := range inputs {
		streams = append(streams, Compress(in))
		for _, level := range []int{zlib.NoCompression, zlib.BestSpeed, 6, zlib.BestCompression, zlib.HuffmanOnly} {
			var b bytes.Buffer
			w, err := zlib.NewWriterLevel(&b, level)
			if err != nil {
				t.Fatal(err)
			}
			w.Write(in)
			w.Close()
			streams = append(streams, b.Bytes())
		}
	}
	return streams
}

// stdInflate is compress/zlib's view of a stream, with Python's rules on top: bytes after the
// end of the stream are ignored.
func stdInflate(data []byte) ([]byte, error) {
	r, err := zlib.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(r)
}

// TestInflateMatchesStdlib checks the inflater against compress/zlib: the same bytes for every
// stream of the corpus, and the same verdict (data or error) for truncated and corrupted
// streams. compress/zlib applies the same acceptance rules as zlib for these inputs; the live
// signing tests and the CPython deflate test compare with zlib itself.
func TestInflateMatchesStdlib(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for i, s := range inflateCorpus(t) {
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			want, err := stdInflate(s)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Decompress(s, -1)
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("Decompress: %d bytes, %v; want %d bytes", len(got), err, len(want))
			}
			if got, err := Decompress(append(bytes.Clone(s), "trailing"...), -1); err != nil || !bytes.Equal(got, want) {
				t.Fatalf("with trailing bytes: %v", err)
			}
			if len(want) > 0 {
				_, err := Decompress(s, len(want)-1)
				var se *DecompressedSizeError
				if !errors.As(err, &se) || !errors.Is(err, ErrCorrupt) {
					t.Fatalf("limit %d: %v, want *DecompressedSizeError", len(want)-1, err)
				}
				if got, err := Decompress(s, len(want)); err != nil || !bytes.Equal(got, want) {
					t.Fatalf("limit %d (exact): %v", len(want), err)
				}
			}
			for cut := range min(len(s), 64) {
				if _, err := Decompress(s[:cut], -1); !errors.Is(err, ErrCorrupt) {
					t.Fatalf("truncated to %d bytes: %v", cut, err)
				}
			}
			if _, err := Decompress(s[:len(s)-1], -1); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("last byte cut: %v", err)
			}
			// Corruptions: flip random bits; both decoders must agree on success and bytes.
			rounds := 200
			if len(s) > 4096 {
				rounds = 10
			}
			for range rounds {
				c := bytes.Clone(s)
				for range 1 + rng.IntN(3) {
					c[rng.IntN(len(c))] ^= 1 << rng.IntN(8)
				}
				want, werr := stdInflate(c)
				got, gerr := Decompress(c, -1)
				if (werr == nil) != (gerr == nil) || werr == nil && !bytes.Equal(got, want) {
					t.Fatalf("corrupted stream %x: compress/zlib %v, Decompress %v", c, werr, gerr)
				}
				if gerr != nil && !errors.Is(gerr, ErrCorrupt) {
					t.Fatalf("error %v does not match ErrCorrupt", gerr)
				}
			}
		})
	}
}

// TestInflateHandCrafted covers the checks a compressor never trips, with streams written by
// hand: each must fail as zlib fails, with an error matching ErrCorrupt.
func TestInflateHandCrafted(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		want error // the zlib message
	}{
		{"empty", nil, errZTruncated},
		{"header only", []byte{0x78, 0x9c}, errZTruncated},
		{"bad header check", []byte{0x78, 0x9d, 0x03, 0x00, 0, 0, 0, 1}, errZHeader},
		{"method 7", []byte{0x77, 0x85, 0x03, 0x00}, errZMethod},
		{"window 64K", []byte{0x88, 0x98, 0x03, 0x00}, errZWindow},
		{"preset dictionary", []byte{0x78, 0xbb, 0, 0, 0, 1, 0x03, 0x00}, errZDict},
		{"block type 3", []byte{0x78, 0x9c, 0x07}, errZBlockType},
		{"stored lengths mismatch", []byte{0x78, 0x9c, 0x01, 0x01, 0x00, 0xff, 0xff, 'a'}, errZStored},
		{"stored data truncated", []byte{0x78, 0x9c, 0x01, 0x05, 0x00, 0xfa, 0xff, 'a'}, errZTruncated},
		// Fixed blocks: a literal 'a', then a distance beyond the output or an invalid code.
		{"distance too far back", fixedStream([]fixedSym{{lit: 'a'}, {length: 3, dist: 2}}), errZTooFar},
		{"fixed distance code 30", fixedStream([]fixedSym{{lit: 'a'}, {length: 3, distCode: 30}}), errZDistCode},
		{"fixed length code 286", fixedStream([]fixedSym{{lit: 'a'}, {litCode: 286}}), errZLitCode},
		{"bad checksum", append(Compress([]byte("hello"))[:len(Compress([]byte("hello")))-1], 0), errZCheck},
		{"dynamic: too many lengths", []byte{0x78, 0x9c, 0x05 | 30<<3, 0xff, 0xff}, errZTooMany},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := Decompress(tt.data, -1)
			if !errors.Is(err, ErrCorrupt) || !errors.Is(err, tt.want) {
				t.Fatalf("Decompress = %q, %v; want %v, matching ErrCorrupt", out, err, tt.want)
			}
			if _, serr := stdInflate(tt.data); serr == nil {
				t.Fatalf("compress/zlib accepts it: the hand-made stream is wrong")
			}
		})
	}
}

// TestAdler32 checks adler32Sum against hash/adler32 on lengths around its 16-byte step and
// modulo boundaries, with all-0xff bytes (the largest sums) and random bytes.
func TestAdler32(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for _, n := range []int{0, 1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 100, 5551, 5552, 5553, 5567, 5568, 11104, 11105, 70000, 1 << 20} {
		ff := bytes.Repeat([]byte{0xff}, n)
		rnd := make([]byte, n)
		for i := range rnd {
			rnd[i] = byte(rng.IntN(256))
		}
		for _, p := range [][]byte{ff, rnd} {
			if got, want := adler32Sum(p), adler32.Checksum(p); got != want {
				t.Fatalf("adler32Sum of %d bytes = %#x, want %#x", n, got, want)
			}
		}
	}
}

type fixedSym struct {
	lit      int // a literal byte, when length is 0 and litCode is 0
	litCode  int // a raw literal/length code to write instead
	length   int
	dist     int
	distCode int // a raw distance code to write instead of dist
}

// fixedStream writes a zlib header and one final fixed-Huffman block of syms by hand (no
// end-of-block code and no checksum are needed: every case fails before them).
func fixedStream(syms []fixedSym) []byte {
	out := []byte{0x78, 0x9c}
	var buf uint64
	var n uint
	put := func(v uint64, bits uint) {
		buf |= v << n
		n += bits
		for n >= 8 {
			out = append(out, byte(buf))
			buf >>= 8
			n -= 8
		}
	}
	putCode := func(code uint16, l int) { put(uint64(reverseBits(code, l)), uint(l)) }
	litCode := func(c int) {
		switch {
		case c < 144:
			putCode(uint16(0x30+c), 8)
		case c < 256:
			putCode(uint16(0x190+c-144), 9)
		case c < 280:
			putCode(uint16(c-256), 7)
		default:
			putCode(uint16(0xc0+c-280), 8)
		}
	}
	put(0b011, 3) // final, fixed
	for _, s := range syms {
		switch {
		case s.litCode != 0:
			litCode(s.litCode)
		case s.length == 0:
			litCode(s.lit)
		default:
			litCode(257 + s.length - 3) // lengths 3..10 have no extra bits
			if s.distCode != 0 {
				putCode(uint16(s.distCode), 5)
			} else {
				putCode(uint16(s.dist-1), 5) // distances 1..4 have no extra bits
			}
		}
	}
	put(0, 7)
	return append(out, 0, 0, 0, 0)
}

// reverseBits returns the n low bits of code in reverse order.
func reverseBits(code uint16, n int) uint16 {
	var r uint16
	for range n {
		r = r<<1 | code&1
		code >>= 1
	}
	return r
}

// FuzzInflate compares the inflater with compress/zlib on arbitrary input: the same verdict
// (data or error) and the same bytes, errors matching ErrCorrupt, and the size limit kept.
func FuzzInflate(f *testing.F) {
	for _, s := range inflateCorpus(f) {
		if len(s) < 4096 {
			f.Add(s)
		}
	}
	f.Add(fixedStream([]fixedSym{{lit: 'a'}, {length: 3, dist: 1}}))
	f.Fuzz(func(t *testing.T, data []byte) {
		want, werr := stdInflate(data)
		got, err := Decompress(data, 1<<20)
		var se *DecompressedSizeError
		if errors.As(err, &se) {
			if werr == nil && len(want) <= 1<<20 {
				t.Fatalf("limit error for %d bytes", len(want))
			}
			return
		}
		if (werr == nil) != (err == nil) || err == nil && !bytes.Equal(got, want) {
			t.Fatalf("compress/zlib: %d bytes, %v; Decompress: %d bytes, %v", len(want), werr, len(got), err)
		}
		if err != nil && !errors.Is(err, ErrCorrupt) {
			t.Fatalf("%v does not match ErrCorrupt", err)
		}
		if err == nil {
			if got, err := Decompress(data, len(want)); err != nil || !bytes.Equal(got, want) {
				t.Fatalf("with the exact size as limit: %v", err)
			}
		}
	})
}
