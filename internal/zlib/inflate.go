package zlib

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"sync"
)

// DecompressedSizeError reports a compressed payload that inflates beyond the configured cap.
// It wraps ErrCorrupt.
type DecompressedSizeError struct {
	Limit int
}

// Error implements error.
func (e *DecompressedSizeError) Error() string {
	return fmt.Sprintf("zlib: payload inflates beyond %d bytes", e.Limit)
}

// Unwrap returns ErrCorrupt.
func (e *DecompressedSizeError) Unwrap() error { return ErrCorrupt }

// zlibError is a zlib stream Python's zlib.decompress rejects.
type zlibError struct{ err error }

func (e *zlibError) Error() string   { return "zlib: " + e.err.Error() }
func (e *zlibError) Unwrap() []error { return []error{ErrCorrupt, e.err} }

// Decompress is Python's zlib.decompress(data): one zlib stream, checksum verified, any
// bytes after the end of the stream ignored. limit < 0 means no cap; no more than limit bytes
// are ever inflated.
func Decompress(data []byte, limit int) ([]byte, error) {
	return DecompressTo(nil, data, limit)
}

// DecompressTo is Decompress appending to dst (nil: a new slice).
func DecompressTo(dst, data []byte, limit int) ([]byte, error) {
	out, err := zlibInflate(dst, data, limit)
	if err == errZSizeExceeded {
		return nil, &DecompressedSizeError{Limit: limit}
	}
	if err != nil {
		return nil, &zlibError{err: err}
	}
	return out, nil
}

// What follows is a one-shot zlib decompressor with the acceptance rules of zlib 1.2.x's inflate
// as Python's zlib.decompress(data) applies them (window 32 KiB): it reads the whole input at
// once, so it needs no window or reader state, and a small session costs no more than its
// Huffman tables. It was written from RFC 1950/1951 and zlib's documented checks; the tests
// compare it with compress/zlib and with CPython.

var (
	errZHeader            = errors.New("incorrect header check")
	errZMethod            = errors.New("unknown compression method")
	errZWindow            = errors.New("invalid window size")
	errZDict              = errors.New("need dictionary")
	errZBlockType         = errors.New("invalid block type")
	errZStored            = errors.New("invalid stored block lengths")
	errZTooMany           = errors.New("too many length or distance symbols")
	errZCodeLengths       = errors.New("invalid code lengths set")
	errZRepeat            = errors.New("invalid bit length repeat")
	errZNoEOB             = errors.New("invalid code -- missing end-of-block")
	errZLitLens           = errors.New("invalid literal/lengths set")
	errZDists             = errors.New("invalid distances set")
	errZLitCode           = errors.New("invalid literal/length code")
	errZDistCode          = errors.New("invalid distance code")
	errZTooFar            = errors.New("invalid distance too far back")
	errZCheck             = errors.New("incorrect data check")
	errZTruncated         = errors.New("incomplete or truncated stream")
	errZSizeExceeded      = errors.New("size limit") // replaced by *DecompressedSizeError
	zLenBase              = [29]uint16{3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258}
	zLenExtra             = [29]uint8{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0}
	zDistBase             = [30]uint16{1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577}
	zDistExtra            = [30]uint8{0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13}
	zFixedOnce            sync.Once
	zFixedLit, zFixedDist huffDecoder
)

// huffPrimaryBits is the widest a decoder's lookup table gets; longer codes are decoded bit by
// bit. A table is only as wide as the longest code of its set: a small block's codes are short
// (8 bits at most for a typical session), and filling a table costs in proportion to its width.
const huffPrimaryBits = 11

// huffDecoder decodes one canonical Huffman code. table[bits] holds sym<<4 | length for the codes
// of at most huffPrimaryBits bits (indexed by their bit-reversed code, as they arrive) and 0
// elsewhere; count and symbols are the canonical description the slow path walks.
type huffDecoder struct {
	mask    uint64 // 1<<(table bits) - 1: min(huffPrimaryBits, longest code) bits
	table   [1 << huffPrimaryBits]uint16
	count   [16]uint16
	symbols [288]uint16
}

// A huffLen is a symbol with a non-zero code length, sym | length<<huffLenShift.
type huffLen = uint16

const huffLenShift = 9 // symbols are below 288

// build sets h up for the code lengths lens (see buildLens).
func (h *huffDecoder) build(lens []uint8, codeLengthCode bool) bool {
	var count [16]uint16
	var used [288]huffLen
	n := 0
	for sym, l := range lens {
		if l != 0 {
			count[l&15]++
			used[n] = huffLen(sym) | huffLen(l)<<huffLenShift
			n++
		}
	}
	return h.buildLens(&count, used[:n], codeLengthCode)
}

// buildLens sets h up for a code: count[l] symbols of each length l, and used, the symbols of
// non-zero length in increasing order. It applies zlib's inflate_table checks: an
// over-subscribed set fails, and so does an incomplete one unless it is a single code of one
// bit (codeLengthCode false) or, for the code-length code (codeLengthCode true), never.
func (h *huffDecoder) buildLens(count *[16]uint16, used []huffLen, codeLengthCode bool) bool {
	h.count = *count
	h.count[0] = 0
	maxLen := 0
	for l := 15; l >= 1; l-- {
		if h.count[l] != 0 {
			maxLen = l
			break
		}
	}
	tb := min(maxLen, huffPrimaryBits)
	h.mask = 1<<tb - 1
	table := h.table[:1<<tb]
	table[0] = 0
	if maxLen == 0 {
		// zlib accepts an empty set; a code read with it is invalid. For the code-length
		// code zlib's table then reads every length as 0 with one bit each; that can only
		// end in an error too (missing end-of-block or a truncated stream), reported here
		// as an invalid code-length set.
		return !codeLengthCode
	}
	left := 1
	for l := 1; l <= 15; l++ {
		left <<= 1
		left -= int(h.count[l])
		if left < 0 {
			return false // over-subscribed
		}
	}
	if left > 0 && (codeLengthCode || maxLen != 1) {
		return false // incomplete
	}
	// The symbols in canonical order: by length, then symbol.
	var offs [16]uint16
	sum := uint16(0)
	for l := 1; l < 16; l++ {
		offs[l] = sum
		sum += h.count[l]
	}
	for _, u := range used {
		l := u >> huffLenShift & 15
		h.symbols[offs[l]] = u & (1<<huffLenShift - 1)
		offs[l]++
	}
	// Fill the table a length at a time: the table for the codes of up to l-1 bits, copied
	// after itself, is the one for l bits but for the l-bit codes (each at one index, where
	// no shorter code is, as a code is no other's prefix). Every entry gets written.
	code, idx, size := 0, 0, 1
	for l := 1; l <= tb; l++ {
		copy(table[size:2*size], table[:size])
		size *= 2
		for range h.count[l] {
			rev := bits.Reverse16(uint16(code)) >> (16 - l)
			table[rev] = h.symbols[idx]<<4 | uint16(l)
			code++
			idx++
		}
		code <<= 1
	}
	return true
}

// inflater is the state of one decompression.
type inflater struct {
	in    []byte
	pos   int    // next byte of in to load into bits
	bits  uint64 // bits[0:nbits] are the next input bits; bits above may hold later input
	nbits uint
	out   []byte
	start int // out[start:] is this stream's output
	limit int // < 0: no limit
	lit   huffDecoder
	dist  huffDecoder
	used  [2][288]huffLen // dynamicTables's lists of the symbols in use, for lit and dist
}

var inflaterStatePool = sync.Pool{New: func() any { return new(inflater) }}

// refill loads input into the bit buffer until it holds at least 56 bits or the input ends.
// Bits above nbits are the following input bits or zero, so OR-ing a byte in again is harmless.
func (f *inflater) refill() {
	if f.pos+8 <= len(f.in) {
		f.bits |= binary.LittleEndian.Uint64(f.in[f.pos:]) << f.nbits
		n := (63 - f.nbits) >> 3
		f.pos += int(n)
		f.nbits += n << 3
		return
	}
	for f.nbits <= 56 && f.pos < len(f.in) {
		f.bits |= uint64(f.in[f.pos]) << f.nbits
		f.pos++
		f.nbits += 8
	}
}

// getBits returns the next n (<= 32) bits.
func (f *inflater) getBits(n uint) (uint32, error) {
	if f.nbits < n {
		f.refill()
		if f.nbits < n {
			return 0, errZTruncated
		}
	}
	v := uint32(f.bits & (1<<n - 1))
	f.bits >>= n
	f.nbits -= n
	return v, nil
}

// decode reads one symbol of h; bad is the error for a code h does not have.
func (f *inflater) decode(h *huffDecoder, bad error) (int, error) {
	// The common case, small enough to be inlined: 15 bits at hand and a code in the table.
	if e := h.table[f.bits&h.mask&(1<<huffPrimaryBits-1)]; e != 0 && f.nbits >= 15 {
		f.bits >>= e & 15
		f.nbits -= uint(e & 15)
		return int(e >> 4), nil
	}
	return f.decodeSlow(h, bad)
}

// decodeSlow is decode when a refill may be due or the code is not in the table.
func (f *inflater) decodeSlow(h *huffDecoder, bad error) (int, error) {
	if f.nbits < 15 {
		f.refill()
	}
	if e := h.table[f.bits&h.mask&(1<<huffPrimaryBits-1)]; e != 0 && uint(e&15) <= f.nbits {
		f.bits >>= e & 15
		f.nbits -= uint(e & 15)
		return int(e >> 4), nil
	}
	// Bit by bit: the first bit read is the code's most significant one.
	code, first, idx := 0, 0, 0
	for l := 1; l <= 15; l++ {
		if f.nbits == 0 {
			return 0, errZTruncated
		}
		code |= int(f.bits & 1)
		f.bits >>= 1
		f.nbits--
		n := int(h.count[l])
		if code-n < first {
			return int(h.symbols[idx+code-first]), nil
		}
		idx += n
		first = (first + n) << 1
		code <<= 1
	}
	return 0, bad
}

func fixedDecoders() (*huffDecoder, *huffDecoder) {
	zFixedOnce.Do(func() {
		var lens [288]uint8
		for i := range lens {
			switch {
			case i < 144:
				lens[i] = 8
			case i < 256:
				lens[i] = 9
			case i < 280:
				lens[i] = 7
			default:
				lens[i] = 8
			}
		}
		zFixedLit.build(lens[:], false)
		var d [30]uint8
		for i := range d {
			d[i] = 5
		}
		// The fixed distance code has 32 five-bit codes; 30 and 31 are invalid. Building it
		// from 30 lengths leaves their two codes out: decoding them fails as zlib does.
		zFixedDist.buildIncomplete(d[:])
	})
	return &zFixedLit, &zFixedDist
}

// buildIncomplete builds h without the completeness check (only for the fixed distance code,
// whose two unused codes are invalid).
func (h *huffDecoder) buildIncomplete(lens []uint8) {
	var full [32]uint8
	copy(full[:], lens)
	full[30], full[31] = 5, 5
	h.build(full[:], false)
	for i := range h.table {
		if h.table[i]>>4 >= 30 {
			h.table[i] = 0
		}
	}
	// The slow path never runs for five-bit codes (they all fit the table), but keep its
	// description consistent: 30 five-bit symbols.
	h.count[5] = 30
}

// zlibInflate is zlib.decompress(data) appending to dst: see DecompressTo.
func zlibInflate(dst, data []byte, limit int) ([]byte, error) {
	if len(data) < 2 {
		return nil, errZTruncated
	}
	cmf, flg := data[0], data[1]
	switch {
	case (uint(cmf)<<8|uint(flg))%31 != 0:
		return nil, errZHeader
	case cmf&0x0f != 8:
		return nil, errZMethod
	case cmf>>4+8 > 15:
		return nil, errZWindow
	case flg&0x20 != 0:
		return nil, errZDict
	}
	f := inflaterStatePool.Get().(*inflater)
	defer func() {
		f.in, f.out = nil, nil
		inflaterStatePool.Put(f)
	}()
	f.in, f.pos, f.bits, f.nbits = data, 2, 0, 0
	f.out, f.start, f.limit = dst, len(dst), limit
	for {
		hdr, err := f.getBits(3)
		if err != nil {
			return nil, err
		}
		switch hdr >> 1 {
		case 0:
			err = f.stored()
		case 1:
			lit, dist := fixedDecoders()
			err = f.block(lit, dist)
		case 2:
			if err = f.dynamicTables(); err == nil {
				err = f.block(&f.lit, &f.dist)
			}
		default:
			err = errZBlockType
		}
		if err != nil {
			return nil, err
		}
		if hdr&1 != 0 {
			break
		}
	}
	// The Adler-32 check follows, big-endian, from the next byte boundary.
	f.bits >>= f.nbits & 7
	f.nbits -= f.nbits & 7
	var sum uint32
	for range 4 {
		b, err := f.getBits(8)
		if err != nil {
			return nil, err
		}
		sum = sum<<8 | b
	}
	if adler32Sum(f.out[f.start:]) != sum {
		return nil, errZCheck
	}
	return f.out, nil
}

// adler32Sum is hash/adler32.Checksum, sixteen bytes at a time: for bytes b0..b15, s1 grows by
// their sum and s2 by 16*s1 + 16*b0 + 15*b1 + ... + 1*b15. The sums are dot products of 16-bit
// lanes, computed by multiplications: no lane of a product, nor of the sum of the four products,
// reaches 1<<16 (at most 4*255*(16+14+12+10) < 65536), so the dot products add up in the top
// lane without carries. The modulo is taken every 5552 bytes, as zlib does.
func adler32Sum(p []byte) uint32 {
	const (
		mod     = 65521
		nmax    = 5552 // a multiple of 16
		lanes   = 0x00ff00ff00ff00ff
		ones    = 0x0001000100010001
		laneTop = 48
		// Lane weights of the even and odd bytes of the first and the second eight bytes
		// (lane 0 holds the weight of the last byte of the lane pattern: b6/b7 and b14/b15).
		evenA = 10 | 12<<16 | 14<<32 | 16<<48 // b6, b4, b2, b0
		oddA  = 9 | 11<<16 | 13<<32 | 15<<48  // b7, b5, b3, b1
		evenB = 2 | 4<<16 | 6<<32 | 8<<48     // b14, b12, b10, b8
		oddB  = 1 | 3<<16 | 5<<32 | 7<<48     // b15, b13, b11, b9
	)
	s1, s2 := uint32(1), uint32(0)
	for len(p) > 0 {
		n := min(len(p), nmax)
		q := p[:n]
		p = p[n:]
		for len(q) >= 16 {
			a := binary.LittleEndian.Uint64(q)
			b := binary.LittleEndian.Uint64(q[8:])
			ea, oa := a&lanes, a>>8&lanes
			eb, ob := b&lanes, b>>8&lanes
			sum := uint32((ea + oa + eb + ob) * ones >> laneTop)
			w := uint32((ea*evenA + oa*oddA + eb*evenB + ob*oddB) >> laneTop)
			s2 += 16*s1 + w
			s1 += sum
			q = q[16:]
		}
		for _, c := range q {
			s1 += uint32(c)
			s2 += s1
		}
		s1 %= mod
		s2 %= mod
	}
	return s2<<16 | s1
}

// grow checks that n more output bytes stay within the limit.
func (f *inflater) grow(n int) error {
	if f.limit >= 0 && len(f.out)-f.start+n > f.limit {
		return errZSizeExceeded
	}
	return nil
}

func (f *inflater) stored() error {
	f.bits >>= f.nbits & 7
	f.nbits -= f.nbits & 7
	n, err := f.getBits(16)
	if err != nil {
		return err
	}
	nc, err := f.getBits(16)
	if err != nil {
		return err
	}
	if uint16(n) != ^uint16(nc) {
		return errZStored
	}
	// The bit buffer holds whole bytes now; they come first.
	for ; n > 0 && f.nbits >= 8; n-- {
		if err := f.grow(1); err != nil {
			return err
		}
		f.out = append(f.out, byte(f.bits))
		f.bits >>= 8
		f.nbits -= 8
	}
	if n == 0 {
		return nil
	}
	f.bits, f.nbits = 0, 0 // empty: drop the look-ahead bits, the input is read from pos
	avail := min(int(n), len(f.in)-f.pos)
	if err := f.grow(avail); err != nil {
		return err
	}
	f.out = append(f.out, f.in[f.pos:f.pos+avail]...)
	f.pos += avail
	if avail < int(n) {
		return errZTruncated
	}
	return nil
}

func (f *inflater) dynamicTables() error {
	v, err := f.getBits(14)
	if err != nil {
		return err
	}
	nlen, ndist, ncode := int(v&31)+257, int(v>>5&31)+1, int(v>>10)+4
	if nlen > 286 || ndist > 30 {
		return errZTooMany
	}
	var clens [19]uint8
	for i := range ncode {
		l, err := f.getBits(3)
		if err != nil {
			return err
		}
		clens[zBLOrder[i]] = uint8(l)
	}
	if !f.lit.build(clens[:], true) {
		return errZCodeLengths
	}
	// Read the nlen+ndist lengths. Rather than storing them and scanning them again, keep
	// what the tables need: per table the count of each length and the list of the symbols
	// of non-zero length. A repeat may run from the literal/length lengths into the distance
	// ones, as in zlib's single array.
	var count [2][16]uint16
	nl, nd := 0, 0 // lengths of the lists used[0], used[1]
	used := &f.used
	total := nlen + ndist
	prev := uint8(0) // the last length read, for code 16
	eob := false     // symbol 256 has a length
	for i := 0; i < total; {
		var sym int
		if e := f.lit.table[f.bits&f.lit.mask]; e != 0 && f.nbits >= 15 {
			f.bits >>= e & 15 // decode's common case, inlined
			f.nbits -= uint(e & 15)
			sym = int(e >> 4)
		} else if sym, err = f.decodeSlow(&f.lit, errZCodeLengths); err != nil {
			return err
		}
		rep, val := 1, uint8(sym)
		if sym >= 16 {
			val = 0
			switch sym {
			case 16:
				if i == 0 {
					return errZRepeat
				}
				val = prev
				x, err := f.getBits(2)
				if err != nil {
					return err
				}
				rep = 3 + int(x)
			case 17:
				x, err := f.getBits(3)
				if err != nil {
					return err
				}
				rep = 3 + int(x)
			default:
				x, err := f.getBits(7)
				if err != nil {
					return err
				}
				rep = 11 + int(x)
			}
			if i+rep > total {
				return errZRepeat
			}
		}
		if val != 0 {
			l := val & 15
			lit := min(i+rep, nlen) // i..lit-1 are literal/length symbols, lit..i+rep-1 distances
			for j := i; j < lit; j++ {
				used[0][nl] = huffLen(j) | huffLen(l)<<huffLenShift
				nl++
			}
			for j := max(i, nlen); j < i+rep; j++ {
				used[1][nd] = huffLen(j-nlen) | huffLen(l)<<huffLenShift
				nd++
			}
			count[0][l] += uint16(max(lit-i, 0))
			count[1][l] += uint16(max(i+rep-max(i, nlen), 0))
			if i <= 256 && 256 < i+rep {
				eob = true
			}
		}
		prev = val
		i += rep
	}
	if !eob {
		return errZNoEOB
	}
	if !f.lit.buildLens(&count[0], used[0][:nl], false) {
		return errZLitLens
	}
	if !f.dist.buildLens(&count[1], used[1][:nd], false) {
		return errZDists
	}
	return nil
}

// block decodes the symbols of one compressed block up to its end-of-block code.
func (f *inflater) block(lit, dist *huffDecoder) error {
	maxOut := math.MaxInt // the output may grow up to len(out) == maxOut
	if f.limit >= 0 && f.limit < math.MaxInt-f.start {
		maxOut = f.start + f.limit
	}
	in := f.in
	for {
		// Fast path, on locals: while eight input bytes remain, refill to at least 56 bits
		// (branch-free) before each symbol; a length/distance pair needs at most 15+5+15+13
		// bits, so no further checks for input. Codes longer than the tables, the last
		// input bytes and the errors go through symbol, which checks everything.
		bits, nbits, pos, out := f.bits, f.nbits, f.pos, f.out
		var err error
	fast:
		for pos+8 <= len(in) {
			bits |= binary.LittleEndian.Uint64(in[pos:]) << nbits
			pos += int(63-nbits) >> 3
			nbits |= 56
			e := lit.table[bits&lit.mask]
			if e != 0 && e < 256<<4 {
				// Literals: the 56 bits hold three codes of up to 15 bits.
				for k := 1; ; k++ {
					if len(out) >= maxOut {
						err = errZSizeExceeded
						break fast
					}
					out = append(out, byte(e>>4))
					bits >>= e & 15
					nbits -= uint(e & 15)
					if k == 3 {
						break
					}
					if e = lit.table[bits&lit.mask]; e == 0 || e >= 256<<4 {
						break
					}
				}
				continue
			}
			if e == 0 {
				break
			}
			bits >>= e & 15
			nbits -= uint(e & 15)
			sym := int(e >> 4)
			if sym < 256 {
				if len(out) >= maxOut {
					err = errZSizeExceeded
					break
				}
				out = append(out, byte(sym))
				continue
			}
			if sym == 256 {
				f.bits, f.nbits, f.pos, f.out = bits, nbits, pos, out
				return nil
			}
			sym -= 257
			if sym >= len(zLenBase) {
				err = errZLitCode
				break
			}
			n := uint(zLenExtra[sym])
			length := int(zLenBase[sym]) + int(bits&(1<<n-1))
			bits >>= n
			nbits -= n
			var ds int
			if e := dist.table[bits&dist.mask]; e != 0 {
				bits >>= e & 15
				nbits -= uint(e & 15)
				ds = int(e >> 4)
			} else {
				f.bits, f.nbits, f.pos = bits, nbits, pos
				if ds, err = f.decode(dist, errZDistCode); err != nil {
					break
				}
				bits, nbits, pos = f.bits, f.nbits, f.pos
			}
			if ds >= len(zDistBase) {
				err = errZDistCode
				break
			}
			n = uint(zDistExtra[ds])
			d := int(zDistBase[ds]) + int(bits&(1<<n-1))
			bits >>= n
			nbits -= n
			if d > len(out)-f.start {
				err = errZTooFar
				break
			}
			if length > maxOut-len(out) {
				err = errZSizeExceeded
				break
			}
			from := len(out) - d
			if d >= length && length <= 16 {
				// A short match that does not overlap itself: a loop beats memmove's call.
				n := len(out)
				out = slices.Grow(out, length)[:n+length]
				dst, src := out[n:], out[from:from+length]
				for i := range dst {
					dst[i] = src[i]
				}
				continue
			}
			// Each round copies what is already there: d bytes at first, then twice as
			// much (one round when d >= length).
			for length > 0 {
				k := min(length, len(out)-from)
				out = append(out, out[from:from+k]...)
				length -= k
			}
		}
		if err != nil {
			return err
		}
		f.bits, f.nbits, f.pos, f.out = bits, nbits, pos, out
		done, err := f.symbol(lit, dist)
		if done || err != nil {
			return err
		}
	}
}

// symbol decodes one literal, end of block or length/distance pair, checking for the end of
// the input at each step. done reports the end of the block.
func (f *inflater) symbol(lit, dist *huffDecoder) (done bool, err error) {
	sym, err := f.decode(lit, errZLitCode)
	if err != nil {
		return false, err
	}
	if sym < 256 {
		if f.limit >= 0 && len(f.out)-f.start >= f.limit {
			return false, errZSizeExceeded
		}
		f.out = append(f.out, byte(sym))
		return false, nil
	}
	if sym == 256 {
		return true, nil
	}
	sym -= 257
	if sym >= len(zLenBase) {
		return false, errZLitCode
	}
	x, err := f.getBits(uint(zLenExtra[sym]))
	if err != nil {
		return false, err
	}
	length := int(zLenBase[sym]) + int(x)
	ds, err := f.decode(dist, errZDistCode)
	if err != nil {
		return false, err
	}
	if ds >= len(zDistBase) {
		return false, errZDistCode
	}
	x, err = f.getBits(uint(zDistExtra[ds]))
	if err != nil {
		return false, err
	}
	return false, f.copyMatch(length, int(zDistBase[ds])+int(x))
}

// copyMatch appends length bytes copied from d bytes back.
func (f *inflater) copyMatch(length, d int) error {
	if d > len(f.out)-f.start {
		return errZTooFar
	}
	if err := f.grow(length); err != nil {
		return err
	}
	from := len(f.out) - d
	for length > 0 {
		// Each round copies what is already there: d bytes at first, then twice as much.
		n := min(length, len(f.out)-from)
		f.out = append(f.out, f.out[from:from+n]...)
		length -= n
	}
	return nil
}
