package redisstore

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"sync"

	"github.com/djangobridge/bridge/djangosession"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
	"github.com/ulikunitz/xz"
	"github.com/ulikunitz/xz/lzma"
)

// Compressor names a django-redis OPTIONS["COMPRESSOR"] class. The zero value is
// IdentityCompressor (no compression), django-redis's default.
type Compressor int

// The compressors django-redis ships (django_redis.compressors.*). Each compresses a pickle only
// when it is longer than the class's min_length; on read the configured one is tried and, when
// the bytes are not in its format, the bytes are used as they are, as django-redis does.
const (
	// CompressorIdentity is django_redis.compressors.identity.IdentityCompressor (the default).
	CompressorIdentity Compressor = iota
	// CompressorZlib is zlib.ZlibCompressor: zlib.compress(v, 6) when len(v) > 15 (magic 78 9c).
	CompressorZlib
	// CompressorGzip is gzip.GzipCompressor (django-redis 6.0+): gzip.compress(v), level 9, when
	// len(v) > 15 (magic 1f 8b).
	CompressorGzip
	// CompressorLZMA is lzma.LzmaCompressor: lzma.compress(v, preset=4), an .xz container, when
	// len(v) > 100 (magic fd 37 7a 58 5a 00). Reads also accept the legacy .lzma format.
	CompressorLZMA
	// CompressorLZ4 is lz4.Lz4Compressor: lz4.frame.compress(v) when len(v) > 15 (magic 04 22 4d 18).
	CompressorLZ4
	// CompressorZstd is zstd.ZStdCompressor (django-redis 5.2+): pyzstd.compress(v), level 3, when
	// len(v) > 15 (magic 28 b5 2f fd).
	CompressorZstd
)

// String returns the django-redis class name of c.
func (c Compressor) String() string {
	switch c {
	case CompressorIdentity:
		return "IdentityCompressor"
	case CompressorZlib:
		return "ZlibCompressor"
	case CompressorGzip:
		return "GzipCompressor"
	case CompressorLZMA:
		return "LzmaCompressor"
	case CompressorLZ4:
		return "Lz4Compressor"
	case CompressorZstd:
		return "ZStdCompressor"
	}
	return fmt.Sprintf("Compressor(%d)", int(c))
}

// minLength is the class attribute min_length: values of at most this many bytes are stored as
// they are.
func (c Compressor) minLength() int {
	if c == CompressorLZMA {
		return 100
	}
	return 15
}

// TooLargeError reports a compressed cache value that inflates beyond the configured limit (a
// decompression bomb) or whose header asks for more decoder memory than allowed. It unwraps to
// djangosession.ErrCorrupt: the value is treated like any other undecodable session.
type TooLargeError struct {
	Compressor Compressor // the decompressor that refused
	Limit      int        // the limit in bytes (decoded size, or the dictionary for LZMA)
}

// Error implements error.
func (e *TooLargeError) Error() string {
	return fmt.Sprintf("redisstore: %s value exceeds the %d-byte limit", e.Compressor, e.Limit)
}

// Unwrap returns djangosession.ErrCorrupt.
func (e *TooLargeError) Unwrap() error { return djangosession.ErrCorrupt }

// maxLZMADict is the largest LZMA dictionary a value may declare. django-redis writes preset 4,
// which declares 4 MiB; the xz decoder allocates the declared size before it reads any data.
const maxLZMADict = 8 << 20

// The flate compressors allocate about 800 KB of state each: they are reused.
var (
	zlibWriters = sync.Pool{New: func() any { w, _ := zlib.NewWriterLevel(nil, 6); return w }}
	gzipWriters = sync.Pool{New: func() any { w, _ := gzip.NewWriterLevel(nil, 9); return w }}
	// Readers (32 KB windows) are reused after their first successful use; the pools start empty
	// because a flate reader can only be made from valid input.
	zlibReaders, gzipReaders sync.Pool
)

var (
	zstdEnc, _ = zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedDefault), zstd.WithEncoderConcurrency(1))
	xzMagic    = []byte{0xfd, '7', 'z', 'X', 'Z', 0}
)

// compress returns the stored form of the pickle p.
func (c Compressor) compress(p []byte) ([]byte, error) {
	if c == CompressorIdentity || len(p) <= c.minLength() {
		return p, nil
	}
	var buf bytes.Buffer
	buf.Grow(len(p)/2 + 64)
	var w io.WriteCloser
	switch c {
	case CompressorZlib:
		zw := zlibWriters.Get().(*zlib.Writer)
		defer zlibWriters.Put(zw)
		zw.Reset(&buf)
		w = zw
	case CompressorGzip:
		gw := gzipWriters.Get().(*gzip.Writer)
		defer gzipWriters.Put(gw)
		gw.Reset(&buf)
		w = gw
	case CompressorLZMA:
		// The dictionary only needs to hold the value; a small one keeps the reader's allocation small.
		dict := lzma.MinDictCap
		for dict < len(p) && dict < 4<<20 {
			dict <<= 1
		}
		xw, err := xz.WriterConfig{DictCap: dict, CheckSum: xz.CRC64}.NewWriter(&buf)
		if err != nil {
			return nil, err
		}
		w = xw
	case CompressorLZ4:
		lw := lz4.NewWriter(&buf)
		if err := lw.Apply(lz4.BlockSizeOption(lz4.Block64Kb), lz4.SizeOption(uint64(len(p)))); err != nil {
			return nil, err
		}
		w = lw
	case CompressorZstd:
		return zstdEnc.EncodeAll(p, make([]byte, 0, len(p)/2+16)), nil
	default:
		return nil, fmt.Errorf("redisstore: unknown compressor %d", int(c))
	}
	if _, err := w.Write(p); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// errNotCompressed: the bytes are not in the compressor's format; django-redis then uses them as
// they are (CompressorError is suppressed).
var errNotCompressed = errors.New("redisstore: not compressed")

// decompress inflates b with c, refusing to produce more than limit bytes. It returns
// errNotCompressed (wrapped) when b is not c's format and *TooLargeError for bombs.
func (c Compressor) decompress(b []byte, limit int, zd *zstd.Decoder) ([]byte, error) {
	var r io.Reader
	var err error
	switch c {
	case CompressorIdentity:
		return b, nil
	case CompressorZlib:
		if zr, ok := zlibReaders.Get().(io.ReadCloser); ok {
			defer zlibReaders.Put(zr)
			err = zr.(zlib.Resetter).Reset(bytes.NewReader(b), nil)
			r = zr
		} else {
			var zr io.ReadCloser
			zr, err = zlib.NewReader(bytes.NewReader(b))
			if err == nil {
				defer zlibReaders.Put(zr)
			}
			r = zr
		}
	case CompressorGzip:
		if gr, ok := gzipReaders.Get().(*gzip.Reader); ok {
			defer gzipReaders.Put(gr)
			err = gr.Reset(bytes.NewReader(b))
			r = gr
		} else {
			var gr *gzip.Reader
			gr, err = gzip.NewReader(bytes.NewReader(b))
			if err == nil {
				defer gzipReaders.Put(gr)
			}
			r = gr
		}
	case CompressorLZMA:
		r, err = lzmaReader(b)
	case CompressorLZ4:
		if !bytes.HasPrefix(b, []byte{0x04, 0x22, 0x4d, 0x18}) {
			return nil, errNotCompressed
		}
		r = lz4.NewReader(bytes.NewReader(b))
	case CompressorZstd:
		return zstdDecompress(zd, b, limit)
	default:
		return nil, fmt.Errorf("redisstore: unknown compressor %d", int(c))
	}
	if err != nil {
		var tl *TooLargeError
		if errors.As(err, &tl) {
			return nil, err
		}
		return nil, fmt.Errorf("%w: %v", errNotCompressed, err)
	}
	out, err := readLimited(r, limit)
	if err == errLimit {
		return nil, &TooLargeError{Compressor: c, Limit: limit}
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errNotCompressed, err)
	}
	return out, nil
}

var errLimit = errors.New("redisstore: limit")

// readLimited reads r to the end, failing with errLimit past limit bytes. The buffer grows with
// the data actually produced, never from a declared length.
func readLimited(r io.Reader, limit int) ([]byte, error) {
	var buf bytes.Buffer
	n, err := io.Copy(&buf, io.LimitReader(r, int64(limit)+1))
	if err != nil {
		return nil, err
	}
	if n > int64(limit) {
		return nil, errLimit
	}
	return buf.Bytes(), nil
}

// newZstdDecoder returns a decoder (safe for concurrent DecodeAll) that refuses output beyond limit.
func newZstdDecoder(limit int) (*zstd.Decoder, error) {
	return zstd.NewReader(nil, zstd.WithDecoderMaxMemory(uint64(limit)),
		zstd.WithDecoderMaxWindow(uint64(max(limit, zstd.MinWindowSize))))
}

func zstdDecompress(d *zstd.Decoder, b []byte, limit int) ([]byte, error) {
	if !bytes.HasPrefix(b, []byte{0x28, 0xb5, 0x2f, 0xfd}) {
		return nil, errNotCompressed
	}
	out, err := d.DecodeAll(b, nil)
	switch {
	case errors.Is(err, zstd.ErrDecoderSizeExceeded), errors.Is(err, zstd.ErrWindowSizeExceeded):
		return nil, &TooLargeError{Compressor: CompressorZstd, Limit: limit}
	case err != nil:
		return nil, fmt.Errorf("%w: %v", errNotCompressed, err)
	case len(out) > limit:
		return nil, &TooLargeError{Compressor: CompressorZstd, Limit: limit}
	}
	return out, nil
}

// lzmaReader returns a reader for an .xz stream or a legacy .lzma ("alone") stream, the two
// formats Python's lzma.decompress(FORMAT_AUTO) accepts. Before any decoder is created, the
// dictionary sizes the headers declare are checked against maxLZMADict.
func lzmaReader(b []byte) (io.Reader, error) {
	if bytes.HasPrefix(b, xzMagic) {
		blocks, err := checkXZ(b)
		if err != nil {
			return nil, err
		}
		b = shrinkXZDicts(b, blocks)
		// DictCap is a floor in the xz package: the block's own (checked) size is used above it.
		return xz.ReaderConfig{DictCap: lzma.MinDictCap, SingleStream: true}.NewReader(bytes.NewReader(b))
	}
	// liblzma's auto decoder treats anything else as .lzma and is picky about its header:
	// properties byte ≤ 224, dictionary size 2^n or 2^n+2^(n-1), size unknown or < 2^38.
	if len(b) < 13 || b[0] > 224 {
		return nil, errNotCompressed
	}
	dict := binary.LittleEndian.Uint32(b[1:5])
	if dict != 0xffffffff {
		d := dict - 1
		d |= d >> 2
		d |= d >> 3
		d |= d >> 4
		d |= d >> 8
		d |= d >> 16
		d++
		if d != dict {
			return nil, errNotCompressed
		}
	}
	if size := binary.LittleEndian.Uint64(b[5:13]); size != ^uint64(0) && size >= 1<<38 {
		return nil, errNotCompressed
	}
	if dict > maxLZMADict && dict != 0xffffffff {
		return nil, &TooLargeError{Compressor: CompressorLZMA, Limit: maxLZMADict}
	}
	return lzma.ReaderConfig{DictCap: maxLZMADict}.NewReader(bytes.NewReader(b))
}

// xzBlock is what checkXZ learns about one block: where its header is, where the LZMA2
// dictionary-size byte is, and how much data the index says the block holds.
type xzBlock struct {
	hdr, hdrLen, props int
	size               uint64
}

// checkXZ walks a single .xz stream by its index (from the footer backwards) and checks every
// block header's filter chain: exactly one LZMA2 filter whose dictionary is at most maxLZMADict.
// Stream padding (zero bytes in fours) after the stream is allowed; a second stream is not.
func checkXZ(b []byte) ([]xzBlock, error) {
	for len(b) >= 4 && binary.LittleEndian.Uint32(b[len(b)-4:]) == 0 {
		b = b[:len(b)-4]
	}
	if len(b) < 24 || len(b)%4 != 0 || !bytes.Equal(b[len(b)-2:], []byte("YZ")) {
		return nil, errNotCompressed
	}
	foot := b[len(b)-12:]
	if crc32.ChecksumIEEE(foot[4:10]) != binary.LittleEndian.Uint32(foot[0:4]) {
		return nil, errNotCompressed
	}
	backward := (int64(binary.LittleEndian.Uint32(foot[4:8])) + 1) * 4
	idxStart := int64(len(b)) - 12 - backward
	if idxStart < 12 {
		return nil, errNotCompressed
	}
	idx := b[idxStart : len(b)-12]
	if idx[0] != 0 {
		return nil, errNotCompressed
	}
	p := 1
	n, ok := uvarint(idx, &p)
	if !ok || n > uint64(len(idx)) {
		return nil, errNotCompressed
	}
	var blocks []xzBlock
	pos := int64(12)
	for i := uint64(0); i < n; i++ {
		unpadded, ok1 := uvarint(idx, &p)
		size, ok2 := uvarint(idx, &p)
		if !ok1 || !ok2 || unpadded > uint64(len(b)) {
			return nil, errNotCompressed
		}
		blk, err := checkXZBlockHeader(b, pos, idxStart)
		if err != nil {
			return nil, err
		}
		blk.size = size
		blocks = append(blocks, blk)
		pos += (int64(unpadded) + 3) &^ 3
		if pos > idxStart {
			return nil, errNotCompressed
		}
	}
	if pos != idxStart {
		// Another stream precedes the index, or the index lies: not a stream we walk.
		return nil, errNotCompressed
	}
	return blocks, nil
}

// dictSize is the LZMA2 dictionary size of a properties code (≤ 40).
func dictSize(code byte) uint64 {
	if code >= 40 {
		return 0xffffffff
	}
	return uint64(2|code&1) << (code/2 + 11)
}

// shrinkXZDicts returns b, or a copy in which every block whose declared dictionary is larger
// than its data (as the index gives it) declares the smallest dictionary that holds the data,
// with the header CRC recomputed. A dictionary never needs to exceed the data it decodes, and
// the xz decoder allocates the declared size up front: Python's preset 4 declares 4 MiB for a
// session of a few hundred bytes.
func shrinkXZDicts(b []byte, blocks []xzBlock) []byte {
	out := b
	for _, blk := range blocks {
		code := b[blk.props]
		want := byte(0)
		for want < code && dictSize(want) < max(blk.size, lzma.MinDictCap) {
			want++
		}
		if want >= code {
			continue
		}
		if &out[0] == &b[0] {
			out = bytes.Clone(b)
		}
		out[blk.props] = want
		h := out[blk.hdr : blk.hdr+blk.hdrLen]
		binary.LittleEndian.PutUint32(h[len(h)-4:], crc32.ChecksumIEEE(h[:len(h)-4]))
	}
	return out
}

func checkXZBlockHeader(b []byte, pos, end int64) (xzBlock, error) {
	if pos >= end {
		return xzBlock{}, errNotCompressed
	}
	size := (int64(b[pos]) + 1) * 4
	if b[pos] == 0 || pos+size > end {
		return xzBlock{}, errNotCompressed
	}
	h := b[pos : pos+size]
	flags := h[1]
	p := 2
	if flags&0x40 != 0 {
		if _, ok := uvarint(h, &p); !ok {
			return xzBlock{}, errNotCompressed
		}
	}
	if flags&0x80 != 0 {
		if _, ok := uvarint(h, &p); !ok {
			return xzBlock{}, errNotCompressed
		}
	}
	if flags&0x03 != 0 { // more than one filter: django-redis never writes that
		return xzBlock{}, errNotCompressed
	}
	id, ok1 := uvarint(h, &p)
	psize, ok2 := uvarint(h, &p)
	if !ok1 || !ok2 || id != 0x21 || psize != 1 || p >= len(h)-4 {
		return xzBlock{}, errNotCompressed
	}
	code := h[p]
	if code > 40 {
		return xzBlock{}, errNotCompressed
	}
	if dictSize(code) > maxLZMADict {
		return xzBlock{}, &TooLargeError{Compressor: CompressorLZMA, Limit: maxLZMADict}
	}
	return xzBlock{hdr: int(pos), hdrLen: int(size), props: int(pos) + p}, nil
}

// uvarint reads an xz multibyte integer (at most 9 bytes) at b[*p].
func uvarint(b []byte, p *int) (uint64, bool) {
	var v uint64
	for i := 0; i < 9; i++ {
		if *p >= len(b) {
			return 0, false
		}
		c := b[*p]
		*p++
		v |= uint64(c&0x7f) << (7 * i)
		if c&0x80 == 0 {
			return v, true
		}
	}
	return 0, false
}
