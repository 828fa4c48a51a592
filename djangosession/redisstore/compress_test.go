package redisstore

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"strings"
	"testing"

	"github.com/djangobridge/bridge/djangosession"
	"github.com/redis/go-redis/v9"
)

// sessionPickle is pickle.dumps({"a": 1, "_auth_user_id": "42"}, 5) as CPython 3.11 writes it
// (django-formats.md §9).
var sessionPickle = []byte("\x80\x05\x95\x20\x00\x00\x00\x00\x00\x00\x00}\x94(\x8c\x01a\x94K\x01\x8c\r_auth_user_id\x94\x8c\x0242\x94u.")

// longPickle is a protocol-4 pickle of {"k": "x"*300}, long enough for every compressor
// (hand-built: PROTO 4, FRAME, EMPTY_DICT, MEMOIZE, SHORT_BINUNICODE "k", MEMOIZE, BINUNICODE
// 300, MEMOIZE, SETITEM, STOP).
var longPickle = func() []byte {
	body := []byte("}\x94\x8c\x01k\x94X\x2c\x01\x00\x00" + strings.Repeat("x", 300) + "\x94s.")
	var b []byte
	b = append(b, 0x80, 4, 0x95)
	b = binary.LittleEndian.AppendUint64(b, uint64(len(body)-1))
	return append(b, body...)
}()

var allCompressors = []Compressor{CompressorIdentity, CompressorZlib, CompressorGzip, CompressorLZMA, CompressorLZ4, CompressorZstd}

var magic = map[Compressor][]byte{
	CompressorZlib: {0x78, 0x9c},
	CompressorGzip: {0x1f, 0x8b},
	CompressorLZMA: {0xfd, '7', 'z', 'X', 'Z', 0},
	CompressorLZ4:  {0x04, 0x22, 0x4d, 0x18},
	CompressorZstd: {0x28, 0xb5, 0x2f, 0xfd},
}

func TestCompressRoundTrip(t *testing.T) {
	zd, err := newZstdDecoder(DefaultMaxValueSize)
	if err != nil {
		t.Fatal(err)
	}
	defer zd.Close()
	for _, c := range allCompressors {
		t.Run(c.String(), func(t *testing.T) {
			for _, p := range [][]byte{sessionPickle, longPickle, []byte("\x80\x05}\x94.")} {
				enc, err := c.compress(p)
				if err != nil {
					t.Fatal(err)
				}
				small := len(p) <= c.minLength()
				if c == CompressorIdentity || small {
					if !bytes.Equal(enc, p) {
						t.Fatalf("len %d: stored %x, want the pickle unchanged", len(p), enc)
					}
				} else if !bytes.HasPrefix(enc, magic[c]) {
					t.Fatalf("len %d: stored %x, want magic %x", len(p), enc[:min(8, len(enc))], magic[c])
				}
				dec, err := c.decompress(enc, DefaultMaxValueSize, zd)
				if small && c != CompressorIdentity {
					if !errors.Is(err, errNotCompressed) {
						t.Fatalf("len %d: decompress of a raw pickle: %v, want errNotCompressed", len(p), err)
					}
					continue
				}
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(dec, p) {
					t.Fatalf("round trip: got %x, want %x", dec, p)
				}
			}
		})
	}
}

// bomb returns 8 MiB of zeros compressed with c (hand-made hostile input).
func bomb(t *testing.T, c Compressor) []byte {
	t.Helper()
	big := make([]byte, 8<<20)
	b, err := c.compress(big)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecompressBomb(t *testing.T) {
	const limit = 1 << 20
	zd, err := newZstdDecoder(limit)
	if err != nil {
		t.Fatal(err)
	}
	defer zd.Close()
	for _, c := range allCompressors[1:] {
		t.Run(c.String(), func(t *testing.T) {
			_, err := c.decompress(bomb(t, c), limit, zd)
			var tl *TooLargeError
			if !errors.As(err, &tl) || tl.Compressor != c || !errors.Is(err, djangosession.ErrCorrupt) {
				t.Fatalf("got %v, want *TooLargeError for %v wrapping ErrCorrupt", err, c)
			}
		})
	}
}

// TestLZMAHugeDictionary: hand-crafted headers that declare a 1.5 GiB dictionary (the xz decoder
// would allocate it before reading data) are refused without allocating.
func TestLZMAHugeDictionary(t *testing.T) {
	xzv, err := CompressorLZMA.compress(longPickle)
	if err != nil {
		t.Fatal(err)
	}
	// Block header at offset 12: size byte, flags, filter id 0x21, props size 1, dict code.
	hdr := xzv[12 : 12+(int(xzv[12])+1)*4]
	p := 2
	if hdr[1]&0x40 != 0 {
		uvarint(hdr, &p)
	}
	if hdr[1]&0x80 != 0 {
		uvarint(hdr, &p)
	}
	if hdr[p] != 0x21 || hdr[p+1] != 1 {
		t.Fatalf("unexpected block header %x", hdr)
	}
	bad := bytes.Clone(xzv)
	bhdr := bad[12 : 12+len(hdr)]
	bhdr[p+2] = 39 // 3 << 30 = 1.5 GiB
	binary.LittleEndian.PutUint32(bhdr[len(bhdr)-4:], crc32.ChecksumIEEE(bhdr[:len(bhdr)-4]))

	alone := append([]byte{0x5d}, binary.LittleEndian.AppendUint32(nil, 1<<30)...)
	alone = append(alone, bytes.Repeat([]byte{0xff}, 8)...)
	alone = append(alone, make([]byte, 32)...)

	for name, v := range map[string][]byte{"xz": bad, "lzma-alone": alone} {
		t.Run(name, func(t *testing.T) {
			_, err := CompressorLZMA.decompress(v, DefaultMaxValueSize, nil)
			var tl *TooLargeError
			if !errors.As(err, &tl) || !errors.Is(err, djangosession.ErrCorrupt) {
				t.Fatalf("got %v, want *TooLargeError", err)
			}
		})
	}
}

// TestDecompressGarbage: bytes that are not the compressor's format fall back to the raw bytes
// (errNotCompressed), as django-redis suppresses CompressorError. Inputs are hand-made.
func TestDecompressGarbage(t *testing.T) {
	var zbuf bytes.Buffer
	zw := zlib.NewWriter(&zbuf)
	zw.Write(longPickle)
	zw.Close()
	truncated := zbuf.Bytes()[:zbuf.Len()/2]
	inputs := map[string][]byte{
		"pickle":         longPickle,
		"empty":          {},
		"int text":       []byte("12345678901234567890"),
		"truncated zlib": truncated,
		"magic only":     {0xfd, '7', 'z', 'X', 'Z', 0, 0, 0},
	}
	for _, c := range allCompressors[1:] {
		for name, in := range inputs {
			t.Run(c.String()+"/"+name, func(t *testing.T) {
				_, err := c.decompress(in, DefaultMaxValueSize, nil)
				if !errors.Is(err, errNotCompressed) {
					t.Fatalf("got %v, want errNotCompressed", err)
				}
			})
		}
	}
}

func TestIsPythonInt(t *testing.T) {
	// Each row was checked with CPython's int(bytes).
	for in, want := range map[string]bool{
		"42": true, "-7": true, "+0": true, " 12\n": true, "1_000": true, "007": true,
		"": false, " ": false, "-": false, "1__0": false, "_1": false, "1_": false, "1.0": false,
		"0x10": false, "\x80\x05}\x94.": false, "4 2": false,
	} {
		t.Run(in, func(t *testing.T) {
			if got := isPythonInt([]byte(in)); got != want {
				t.Fatalf("isPythonInt(%q) = %v, want %v", in, got, want)
			}
		})
	}
}

func TestNewErrors(t *testing.T) {
	for name, o := range map[string]Options{
		"nothing":            {},
		"both":               {Location: []string{"redis://127.0.0.1:16379/2"}, Clients: []redis.UniversalClient{nil}},
		"django with zlib":   {Location: []string{"redis://127.0.0.1:16379/2"}, Compressor: CompressorZlib},
		"pickle 6":           {Location: []string{"redis://127.0.0.1:16379/2"}, Format: FormatDjangoRedis, PickleVersion: 6},
		"bad url":            {Location: []string{"http://x"}},
		"unknown format":     {Location: []string{"redis://127.0.0.1:16379/2"}, Format: 9},
		"unknown compressor": {Location: []string{"redis://127.0.0.1:16379/2"}, Format: FormatDjangoRedis, Compressor: 42},
		"nil client":         {Clients: []redis.UniversalClient{nil}},
	} {
		t.Run(name, func(t *testing.T) {
			c, err := New(o)
			if err == nil {
				c.Close()
				t.Fatal("New succeeded")
			}
			if !strings.HasPrefix(err.Error(), "redisstore: ") {
				t.Fatalf("message %q lacks the package prefix", err)
			}
		})
	}
}

func TestPickleProtocol(t *testing.T) {
	for _, tc := range []struct {
		f    Format
		v    int
		want int
	}{{FormatDjango, 0, 5}, {FormatDjangoRedis, 0, 4}, {FormatDjangoRedis, -1, 5}, {FormatDjangoRedis, 2, 2}, {FormatDjangoRedis, 5, 5}} {
		c, err := New(Options{Location: []string{"redis://127.0.0.1:16379/2"}, Format: tc.f, PickleVersion: tc.v})
		if err != nil {
			t.Fatal(err)
		}
		if got := c.PickleProtocol(); got != tc.want {
			t.Errorf("%v PICKLE_VERSION %d: protocol %d, want %d", tc.f, tc.v, got, tc.want)
		}
		c.Close()
	}
}

// FuzzDecompress: no input makes a decompressor panic or return more than the limit, and an
// error is always errNotCompressed or *TooLargeError.
func FuzzDecompress(f *testing.F) {
	for _, c := range allCompressors[1:] {
		for _, p := range [][]byte{sessionPickle, longPickle} {
			enc, err := c.compress(p)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(uint8(c), enc)
		}
	}
	const limit = 1 << 16
	zd, err := newZstdDecoder(limit)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		c := allCompressors[1+int(which)%(len(allCompressors)-1)]
		out, err := c.decompress(data, limit, zd)
		var tl *TooLargeError
		switch {
		case err == nil && len(out) > limit:
			t.Fatalf("%v: %d bytes out, limit %d", c, len(out), limit)
		case err != nil && !errors.Is(err, errNotCompressed) && !errors.As(err, &tl):
			t.Fatalf("%v: unexpected error %v", c, err)
		}
	})
}

// TestCompressorMismatch: a value another compressor wrote (or one written compressed, read
// with FormatDjango or IdentityCompressor) is ErrUnreadable, not a miss: Django, configured
// with that compressor, reads it, and a Go save over an "empty" session would log the user out
// of Django too. The compressed values are made here with the Go compressors, whose output the
// round-trip tests compare with django-redis's.
func TestCompressorMismatch(t *testing.T) {
	for _, wrote := range allCompressors[1:] {
		stored, err := wrote.compress(longPickle)
		if err != nil {
			t.Fatal(err)
		}
		for _, read := range allCompressors {
			for _, format := range []Format{FormatDjangoRedis, FormatDjango} {
				if read == wrote && format == FormatDjangoRedis {
					continue
				}
				if format == FormatDjango && read != CompressorIdentity {
					continue
				}
				c := &Cache{format: format, comp: read, limit: DefaultMaxValueSize}
				_, err := c.decode(stored)
				if !errors.Is(err, djangosession.ErrUnreadable) || errors.Is(err, djangosession.ErrCorrupt) {
					t.Errorf("%s value read as %v/%s: %v, want ErrUnreadable (and not ErrCorrupt)", wrote, format, read, err)
				}
			}
		}
	}
	// A plain pickle is read by every configuration, as django-redis reads it.
	for _, read := range allCompressors {
		c := &Cache{format: FormatDjangoRedis, comp: read, limit: DefaultMaxValueSize}
		if got, err := c.decode(longPickle); err != nil || !bytes.Equal(got, longPickle) {
			t.Errorf("plain pickle read as %s: %v", read, err)
		}
	}
}
