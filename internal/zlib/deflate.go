package zlib

import (
	"encoding/binary"
	"math/bits"
	"slices"
	"sync"
)

// This file is a compressor that produces exactly the bytes of Python's zlib.compress(data) (zlib
// 1.2.x deflate at the default level 6: lazy matching, window 32 KiB, memLevel 8, default
// strategy). Go's compress/zlib produces a valid but different stream (another matcher, another
// Huffman construction and an empty final block), and signing.dumps(compress=True) must be
// reproducible byte for byte. It was written from the DEFLATE format (RFC 1950/1951) and zlib's
// documented algorithm, and is checked against CPython's zlib in the tests.

const (
	zWSize        = 1 << 15
	zWMask        = zWSize - 1
	zWindowSize   = 2 * zWSize
	zHashSize     = 1 << 15 // memLevel 8: hash_bits 15
	zHashMask     = zHashSize - 1
	zHashShift    = 5 // (hash_bits + MIN_MATCH - 1) / MIN_MATCH
	zMinMatch     = 3
	zMaxMatch     = 258
	zMinLookahead = zMaxMatch + zMinMatch + 1
	zMaxDist      = zWSize - zMinLookahead
	zWinInit      = zMaxMatch
	zTooFar       = 4096
	zSymEnd       = 1<<14 - 1 // lit_bufsize - 1 symbols per block

	// Level 6.
	zGoodMatch = 8
	zMaxLazy   = 16
	zNiceMatch = 128
	zMaxChain  = 128

	zLiterals   = 256
	zEndBlock   = 256
	zLengthCode = 29
	zLCodes     = zLiterals + 1 + zLengthCode
	zDCodes     = 30
	zBLCodes    = 19
	zHeapSize   = 2*zLCodes + 1
	zMaxBits    = 15
	zMaxBLBits  = 7
	zRep3_6     = 16
	zRepz3_10   = 17
	zRepz11_138 = 18
)

var (
	zExtraLBits  = [zLengthCode]int{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0}
	zExtraDBits  = [zDCodes]int{0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13}
	zExtraBLBits = [zBLCodes]int{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 3, 7}
	zBLOrder     = [zBLCodes]int{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15}

	zLengthCodeOf [zMaxMatch - zMinMatch + 1]uint8
	zDistCodeOf   [512]uint8
	zBaseLength   [zLengthCode]int
	zBaseDist     [zDCodes]int
	zStaticL      *zTree
	zStaticD      *zTree
)

// zTree is a Huffman tree: per symbol (and, while building, per internal node) its frequency,
// code, parent and bit length.
type zTree struct {
	freq, code, dad, len []uint16
}

func newZTree(n int) *zTree {
	return &zTree{freq: make([]uint16, n), code: make([]uint16, n), dad: make([]uint16, n), len: make([]uint16, n)}
}

func init() {
	length := 0
	code := 0
	for code = 0; code < zLengthCode-1; code++ {
		zBaseLength[code] = length
		for n := 0; n < 1<<zExtraLBits[code]; n++ {
			zLengthCodeOf[length] = uint8(code)
			length++
		}
	}
	// Length 258 has two encodings; the best one is code 285.
	zLengthCodeOf[length-1] = uint8(code)
	dist := 0
	for code = 0; code < 16; code++ {
		zBaseDist[code] = dist
		for n := 0; n < 1<<zExtraDBits[code]; n++ {
			zDistCodeOf[dist] = uint8(code)
			dist++
		}
	}
	dist >>= 7
	for ; code < zDCodes; code++ {
		zBaseDist[code] = dist << 7
		for n := 0; n < 1<<(zExtraDBits[code]-7); n++ {
			zDistCodeOf[256+dist] = uint8(code)
			dist++
		}
	}
	zStaticL = newZTree(zLCodes + 2)
	var blCount [zMaxBits + 1]int
	for n := 0; n < zLCodes+2; n++ {
		var l uint16
		switch {
		case n <= 143:
			l = 8
		case n <= 255:
			l = 9
		case n <= 279:
			l = 7
		default:
			l = 8
		}
		zStaticL.len[n] = l
		blCount[l]++
	}
	var all [zLCodes + 2]uint16
	for n := range all {
		all[n] = uint16(n)
	}
	zGenCodes(zStaticL, all[:], &blCount)
	zStaticD = newZTree(zDCodes)
	for n := 0; n < zDCodes; n++ {
		zStaticD.len[n] = 5
		zStaticD.code[n] = uint16(zBitReverse(uint(n), 5))
	}
	zDescL = zTreeDesc{static: zStaticL, extra: zExtraLBits[:], extraBase: zLiterals + 1, elems: zLCodes, maxLength: zMaxBits}.withCosts()
	zDescD = zTreeDesc{static: zStaticD, extra: zExtraDBits[:], elems: zDCodes, maxLength: zMaxBits}.withCosts()
	zDescBL = zTreeDesc{extra: zExtraBLBits[:], elems: zBLCodes, maxLength: zMaxBLBits}.withCosts()
}

func zDistCode(dist int) int {
	if dist < 256 {
		return int(zDistCodeOf[dist])
	}
	return int(zDistCodeOf[256+dist>>7])
}

func zBitReverse(code uint, n int) uint {
	var r uint
	for ; n > 0; n-- {
		r = r<<1 | code&1
		code >>= 1
	}
	return r
}

// zGenCodes is zlib's gen_codes: it gives the symbols syms (in increasing order, every symbol
// of non-zero length up to max_code) their canonical codes, bit-reversed as they are written.
func zGenCodes(t *zTree, syms []uint16, blCount *[zMaxBits + 1]int) {
	var next [zMaxBits + 1]uint
	code := uint(0)
	for bits := 1; bits <= zMaxBits; bits++ {
		code = (code + uint(blCount[bits-1])) << 1
		next[bits] = code
	}
	for _, n := range syms {
		l := t.len[n] & zMaxBits // no-op (lengths are at most 15): it saves a bounds check
		t.code[n] = bits.Reverse16(uint16(next[l])) >> (16 - l)
		next[l]++
	}
}

type zTreeDesc struct {
	dyn       *zTree
	maxCode   int
	static    *zTree // nil for the bit-length tree
	extra     []int
	extraBase int
	elems     int
	maxLength int

	// Per symbol, from the above: its extra bits, and its cost with the static tree (length
	// plus extra bits; nil for the bit-length tree).
	xbits  []uint8
	scosts []uint16
}

// withCosts fills d's xbits and scosts.
func (d zTreeDesc) withCosts() zTreeDesc {
	d.xbits = make([]uint8, d.elems)
	for n := d.extraBase; n < d.elems; n++ {
		d.xbits[n] = uint8(d.extra[n-d.extraBase])
	}
	if d.static != nil {
		d.scosts = make([]uint16, d.elems)
		for n := range d.scosts {
			d.scosts[n] = d.static.len[n] + uint16(d.xbits[n])
		}
	}
	return d
}

// The tree descriptions, copied into each compressor (which sets dyn).
var zDescL, zDescD, zDescBL zTreeDesc

type zSym struct {
	dist uint16 // 0 for a literal
	lc   uint8  // literal byte, or match length - MIN_MATCH
}

type zDeflater struct {
	in    []byte
	inPos int

	window *[zWindowSize]byte
	prev   *[zWSize]uint16
	head   *[zHashSize]uint16
	insH   int

	strstart, blockStart, lookahead, insert, highWater int
	matchStart, matchLength, prevLength, prevMatch     int
	matchAvailable                                     bool

	syms []zSym

	l, d, bl       zTreeDesc
	heap           [zHeapSlots]uint64 // zlib's heap[1..heap_len], as slots: see zSlot
	order          [zHeapSize]uint16  // zlib's heap[heap_max..]: the nodes in the order merged
	heapMax        int
	blCount        [zMaxBits + 1]int
	optLen, static int

	out     []byte
	bitBuf  uint64
	bitUsed uint

	slid bool // the window slid: head[] holds hashes of data no longer in it

	scratch []byte // Compress's output buffer, kept with the pooled state

	blSyms  [zLCodes + zDCodes]uint16 // the bit-length codes of both trees: see scanTree
	leaves  [zLCodes]uint16           // buildTree's list of the symbols in use
	nBLSyms int
}

// deflaterPool keeps compressor states: their 64 KiB window and hash tables would otherwise be
// allocated for every small session.
var deflaterPool = sync.Pool{New: func() any { return newZDeflater() }}

func newZDeflater() *zDeflater {
	s := &zDeflater{
		window: new([zWindowSize]byte),
		prev:   new([zWSize]uint16),
		head:   new([zHashSize]uint16),
		syms:   make([]zSym, 0, 1024),
	}
	s.l, s.d, s.bl = zDescL, zDescD, zDescBL
	s.l.dyn = newZTree(zHeapSize)
	s.d.dyn = newZTree(2*zDCodes + 1)
	s.bl.dyn = newZTree(2*zBLCodes + 1)
	return s
}

// Compress returns zlib.compress(data) as CPython (zlib 1.2.x) computes it.
func Compress(data []byte) []byte {
	s := deflaterPool.Get().(*zDeflater)
	defer s.release()
	// Compress into the pooled buffer, then copy: the result is allocated once, at its size.
	out := s.compressTo(s.scratch[:0], data)
	if cap(out) <= zScratchMax {
		s.scratch = out[:0]
	}
	return append([]byte(nil), out...)
}

// zScratchMax caps the output buffer a pooled compressor keeps.
const zScratchMax = 64 << 10

// CompressTo is Compress appending to dst.
func CompressTo(dst, data []byte) []byte {
	s := deflaterPool.Get().(*zDeflater)
	defer s.release()
	return s.compressTo(dst, data)
}

// compressTo compresses data with s, whose head[] must be clear, appending to dst.
func (s *zDeflater) compressTo(dst, data []byte) []byte {
	// zlib's state after deflateInit: the window and prev[] need no clearing (the high-water
	// mark zeroes what the matcher may read past the data; prev[] is written before it is
	// read), head[] was cleared by release.
	s.in, s.inPos = data, 0
	s.strstart, s.blockStart, s.lookahead, s.insert, s.highWater = 0, 0, 0, 0, 0
	s.matchStart, s.prevMatch, s.insH = 0, 0, 0
	s.matchLength, s.prevLength = zMinMatch-1, zMinMatch-1
	s.matchAvailable = false
	s.bitBuf, s.bitUsed = 0, 0
	s.out = dst
	s.initBlock()
	s.out = append(s.out, 0x78, 0x9c) // CM 8, 32K window, level 6 flag, check bits
	s.deflateSlow()
	a := adler32Sum(data)
	return append(s.out, byte(a>>24), byte(a>>16), byte(a>>8), byte(a))
}

// release clears the hash heads and returns s to the pool.
func (s *zDeflater) release() {
	s.clearHeads()
	s.in, s.out = nil, nil
	deflaterPool.Put(s)
}

// rehashMax is the input size up to which clearHeads recomputes the hashes of the input
// rather than clearing the whole table.
const rehashMax = 4096

// clearHeads zeroes head[] after a compression. Every head set holds the hash of three
// bytes at a position of the input; for a short input that never slid out of the window, those
// hashes are recomputed (over the input and the zeroed bytes after it), which is cheaper than
// clearing the 64 KiB table.
func (s *zDeflater) clearHeads() {
	n := len(s.in)
	if s.slid || n > rehashMax {
		clear(s.head[:])
		s.slid = false
		return
	}
	// h is kept unmasked: the bits above zHashMask never reach the masked ones.
	head := s.head
	h := uint(s.window[0])<<zHashShift ^ uint(s.window[1])
	for _, c := range s.window[zMinMatch-1 : n+zMinMatch-1] {
		h = h<<zHashShift ^ uint(c)
		head[h&zHashMask] = 0
	}
}

// setHead stores a hash head.
func (s *zDeflater) setHead(h int, str int) {
	s.head[h&zHashMask] = uint16(str)
}

// The hash of the string at str is zlib's ins_h after UPDATE_HASH of its three bytes: with
// hash_shift 5 and hash_bits 15, three updates shift every earlier byte out, so the hash depends
// on those three bytes only, (w[str]<<10 ^ w[str+1]<<5 ^ w[str+2]) & zHashMask. zlib computes it
// rolling, updating ins_h with w[str+2] to insert str; insertString and insertRange compute it
// from the bytes (no dependency from one position to the next), which gives the same value, as
// zlib's ins_h has always just taken in w[str] and w[str+1] then: either it inserted str-1, or
// fill_window restarted it from those two bytes. (The one gap, a match whose insertions stop at
// max_insert, leaves fewer than MIN_MATCH bytes, so nothing is inserted after it.)

// insertRange inserts the strings at from..to (inclusive) into the hash chains: the
// positions a match covers.
func (s *zDeflater) insertRange(from, to int) {
	if from > to {
		return
	}
	head, prev := s.head, s.prev
	// h is kept unmasked: the bits above zHashMask never reach the masked ones.
	h := uint(s.window[from])<<zHashShift ^ uint(s.window[from+1])
	str := from
	for _, c := range s.window[from+zMinMatch-1 : to+zMinMatch] {
		h = h<<zHashShift ^ uint(c)
		prev[str&zWMask] = head[h&zHashMask]
		head[h&zHashMask] = uint16(str)
		str++
	}
}

func (s *zDeflater) updateHash(c byte) {
	s.insH = (s.insH<<zHashShift ^ int(c)) & zHashMask
}

// insertString inserts the string at str into the hash chains and returns the previous head.
func (s *zDeflater) insertString(str int) int {
	w := s.window[str : str+zMinMatch]
	h := (int(w[0])<<(2*zHashShift) ^ int(w[1])<<zHashShift ^ int(w[2])) & zHashMask
	m := s.head[h]
	s.prev[str&zWMask] = m
	s.head[h] = uint16(str)
	return int(m)
}

// windowSettled reports that fillWindow would change nothing: the input is all in the window,
// no slide is due and the bytes the matcher may read after the data are zeroed already. At the
// end of the input (all of a short one) deflateSlow then skips the call for every byte. (With
// no input left, fillWindow only slides, at strstart >= zWSize+zMaxDist, and zeroes bytes up to
// strstart+lookahead+zWinInit, capped at zWindowSize, beyond highWater.)
func (s *zDeflater) windowSettled() bool {
	return s.inPos == len(s.in) && s.strstart < zWSize+zMaxDist &&
		s.highWater >= min(s.strstart+s.lookahead+zWinInit, zWindowSize)
}

func (s *zDeflater) fillWindow() {
	for {
		more := zWindowSize - s.lookahead - s.strstart
		if s.strstart >= zWSize+zMaxDist {
			copy(s.window[:], s.window[zWSize:zWSize+zWSize-more])
			s.slid = true
			s.matchStart -= zWSize
			s.strstart -= zWSize
			s.blockStart -= zWSize
			if s.insert > s.strstart {
				s.insert = s.strstart
			}
			s.slideHash()
			more += zWSize
		}
		if s.inPos == len(s.in) {
			break
		}
		n := copy(s.window[s.strstart+s.lookahead:s.strstart+s.lookahead+more], s.in[s.inPos:])
		s.inPos += n
		s.lookahead += n
		if s.lookahead+s.insert >= zMinMatch {
			str := s.strstart - s.insert
			s.insH = int(s.window[str])
			s.updateHash(s.window[str+1])
			for s.insert > 0 {
				s.updateHash(s.window[str+zMinMatch-1])
				s.prev[str&zWMask] = s.head[s.insH&zHashMask]
				s.setHead(s.insH, str)
				str++
				s.insert--
				if s.lookahead+s.insert < zMinMatch {
					break
				}
			}
		}
		if !(s.lookahead < zMinLookahead && s.inPos != len(s.in)) {
			break
		}
	}
	// Zero the bytes after the data that the matcher may read, as zlib does.
	if s.highWater < zWindowSize {
		curr := s.strstart + s.lookahead
		if s.highWater < curr {
			init := min(zWindowSize-curr, zWinInit)
			clear(s.window[curr : curr+init])
			s.highWater = curr + init
		} else if s.highWater < curr+zWinInit {
			init := min(curr+zWinInit-s.highWater, zWindowSize-s.highWater)
			clear(s.window[s.highWater : s.highWater+init])
			s.highWater += init
		}
	}
}

func (s *zDeflater) slideHash() {
	for i, m := range s.head {
		if int(m) >= zWSize {
			s.head[i] = m - zWSize
		} else {
			s.head[i] = 0
		}
	}
	for i, m := range s.prev {
		if int(m) >= zWSize {
			s.prev[i] = m - zWSize
		} else {
			s.prev[i] = 0
		}
	}
}

func (s *zDeflater) longestMatch(cur int) int {
	chain := zMaxChain
	scan := s.strstart
	bestLen := s.prevLength
	nice := zNiceMatch
	limit := 0
	if s.strstart > zMaxDist {
		limit = s.strstart - zMaxDist
	}
	w := s.window
	strend := s.strstart + zMaxMatch
	scanEnd1 := w[scan+bestLen-1]
	scanEnd := w[scan+bestLen]
	if s.prevLength >= zGoodMatch {
		chain >>= 2
	}
	if nice > s.lookahead {
		nice = s.lookahead
	}
	for {
		m := cur
		if w[m+bestLen] == scanEnd && w[m+bestLen-1] == scanEnd1 && w[m] == w[scan] && w[m+1] == w[scan+1] {
			// The third byte is equal when the hashes are; zlib does not compare it. zlib then
			// compares up to strend; the length is the first mismatch, at most MAX_MATCH.
			p, q := scan+3, m+3
			for p+8 <= strend {
				if x := binary.LittleEndian.Uint64(w[p:]) ^ binary.LittleEndian.Uint64(w[q:]); x != 0 {
					p += bits.TrailingZeros64(x) >> 3
					goto found
				}
				p += 8
				q += 8
			}
			for p < strend && w[p] == w[q] {
				p++
				q++
			}
		found:
			length := p - scan
			if length > bestLen {
				s.matchStart = cur
				bestLen = length
				if length >= nice {
					break
				}
				scanEnd1 = w[scan+bestLen-1]
				scanEnd = w[scan+bestLen]
			}
		}
		cur = int(s.prev[cur&zWMask])
		if cur <= limit {
			break
		}
		chain--
		if chain == 0 {
			break
		}
	}
	if bestLen <= s.lookahead {
		return bestLen
	}
	return s.lookahead
}

func (s *zDeflater) tallyLit(c byte) bool {
	s.syms = append(s.syms, zSym{lc: c})
	s.l.dyn.freq[c]++
	return len(s.syms) == zSymEnd
}

func (s *zDeflater) tallyDist(dist, lc int) bool {
	s.syms = append(s.syms, zSym{dist: uint16(dist), lc: uint8(lc)})
	dist--
	s.l.dyn.freq[int(zLengthCodeOf[lc])+zLiterals+1]++
	s.d.dyn.freq[zDistCode(dist)]++
	return len(s.syms) == zSymEnd
}

func (s *zDeflater) flushBlock(last bool) {
	var buf []byte
	if s.blockStart >= 0 {
		buf = s.window[s.blockStart:s.strstart]
	}
	s.trFlushBlock(buf, s.strstart-s.blockStart, last)
	s.blockStart = s.strstart
}

func (s *zDeflater) deflateSlow() {
	// fillWindow changes nothing while strstart < settledBelow: once the window is settled, it
	// stays so until a slide is due (strstart+lookahead and highWater no longer move).
	settledBelow := 0
	for {
		if s.lookahead < zMinLookahead {
			if s.strstart >= settledBelow {
				s.fillWindow()
				if s.windowSettled() {
					settledBelow = zWSize + zMaxDist
				}
			}
			if s.lookahead == 0 {
				break
			}
		}
		hashHead := 0
		if s.lookahead >= zMinMatch {
			hashHead = s.insertString(s.strstart)
		}
		s.prevLength, s.prevMatch = s.matchLength, s.matchStart
		s.matchLength = zMinMatch - 1
		if hashHead != 0 && s.prevLength < zMaxLazy && s.strstart-hashHead <= zMaxDist {
			s.matchLength = s.longestMatch(hashHead)
			if s.matchLength <= 5 && s.matchLength == zMinMatch && s.strstart-s.matchStart > zTooFar {
				s.matchLength = zMinMatch - 1
			}
		}
		switch {
		case s.prevLength >= zMinMatch && s.matchLength <= s.prevLength:
			maxInsert := s.strstart + s.lookahead - zMinMatch
			flush := s.tallyDist(s.strstart-1-s.prevMatch, s.prevLength-zMinMatch)
			s.lookahead -= s.prevLength - 1
			// zlib inserts strstart+1 .. strstart+prevLength-2, those up to maxInsert.
			s.insertRange(s.strstart+1, min(s.strstart+s.prevLength-2, maxInsert))
			s.strstart += s.prevLength - 2
			s.prevLength = 0
			s.matchAvailable = false
			s.matchLength = zMinMatch - 1
			s.strstart++
			if flush {
				s.flushBlock(false)
			}
		case s.matchAvailable:
			if s.tallyLit(s.window[s.strstart-1]) {
				s.flushBlock(false)
			}
			s.strstart++
			s.lookahead--
		default:
			s.matchAvailable = true
			s.strstart++
			s.lookahead--
		}
	}
	if s.matchAvailable {
		s.tallyLit(s.window[s.strstart-1])
		s.matchAvailable = false
	}
	s.insert = min(s.strstart, zMinMatch-1)
	s.flushBlock(true)
}

func (s *zDeflater) initBlock() {
	clear(s.l.dyn.freq[:zLCodes])
	clear(s.d.dyn.freq[:zDCodes])
	clear(s.bl.dyn.freq[:zBLCodes])
	s.l.dyn.freq[zEndBlock] = 1
	s.optLen, s.static = 0, 0
	s.syms = s.syms[:0]
}

// A heap slot holds a node's sort key and number in one word, freq<<24 | depth<<16 | node, so
// that zlib's smaller(n, m) (freq[n] < freq[m] || freq[n] == freq[m] && depth[n] <= depth[m]) is
// slot(n)>>16 <= slot(m)>>16: comparing two nodes needs no lookup (zlib's heap compares through
// its node arrays), and ties stay ties. Frequencies fit 16 bits (a block has at most 16384
// symbols with the end of block), depths 8 bits (zlib's uch; a Huffman tree of weight 16384 is
// far less than 255 deep) and node numbers 16 bits (they are below 573).
const (
	zSlotKey   = 16 // slot >> zSlotKey is the sort key
	zSlotDepth = 16
	zSlotFreq  = 24
)

// zSlotNone marks the end of the heap: its key is above every node's.
const zSlotNone = ^uint64(0)

// zHeapSlots is the size of the heap array: a power of two above zHeapSize, see zDownHeap.
const zHeapSlots = 1024

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func zSlot(freq, depth uint64, node int) uint64 {
	return freq<<zSlotFreq | depth<<zSlotDepth | uint64(node)
}

// zDownHeap is zlib's pqdownheap on heap[1..n] from k: it moves heap[k] down, swapping it with
// the smaller child (the right one on a tie) while that child is strictly smaller. heap[n+1]
// must be zSlotNone, so that a missing right child is never taken.
func zDownHeap(heap *[zHeapSlots]uint64, k, n int) {
	v := heap[k&(zHeapSlots-1)]
	vk := v >> zSlotKey
	for j := k << 1; j <= n; j = k << 1 {
		// Take the right child if its key is <= (a branch: measured faster here than a
		// conditional move). Indexes are masked to the (power of two) array size: they
		// are in bounds anyway, and the mask saves the bounds checks.
		c, r := heap[j&(zHeapSlots-1)], heap[(j+1)&(zHeapSlots-1)]
		if r>>zSlotKey <= c>>zSlotKey {
			c = r
			j++
		}
		if vk <= c>>zSlotKey {
			break
		}
		heap[k&(zHeapSlots-1)] = c
		k = j
	}
	heap[k&(zHeapSlots-1)] = v
}

// genBitLen is zlib's gen_bitlen: it sets the code lengths from the tree (capped at
// maxLength, then rebalanced), counts them in blCount and adds the block's size with this tree
// and with the static one to optLen and static. zlib does it in one walk of the nodes from the
// root down; this walks them for the lengths, then walks the leaves (the symbols in use) for the
// counts and sizes, which are sums and come out the same in any order.
func (s *zDeflater) genBitLen(desc *zTreeDesc, leaves []uint16) {
	t := desc.dyn
	clear(s.blCount[:])
	overflow := 0
	order := s.order[s.heapMax:]
	t.len[order[0]] = 0
	maxLength := uint16(desc.maxLength)
	for _, n := range order[1:] {
		bits := t.len[t.dad[n]] + 1
		if bits > maxLength {
			bits = maxLength
			overflow++
		}
		t.len[n] = bits
	}
	optLen, static := 0, 0
	xbits, scosts := desc.xbits[:desc.elems], desc.scosts
	for _, n := range leaves {
		bits := int(t.len[n])
		s.blCount[bits&zMaxBits]++ // (the mask is a no-op that saves a bounds check)
		f := int(t.freq[n])
		optLen += f * (bits + int(xbits[n]))
		if scosts != nil {
			static += f * int(scosts[n])
		}
	}
	s.optLen += optLen
	s.static += static
	if overflow == 0 {
		return
	}
	for overflow > 0 {
		bits := desc.maxLength - 1
		for s.blCount[bits] == 0 {
			bits--
		}
		s.blCount[bits]--
		s.blCount[bits+1] += 2
		s.blCount[desc.maxLength]--
		overflow -= 2
	}
	h := zHeapSize
	for bits := desc.maxLength; bits != 0; bits-- {
		n := s.blCount[bits]
		for n != 0 {
			h--
			m := int(s.order[h])
			if m > desc.maxCode {
				continue
			}
			if int(t.len[m]) != bits {
				s.optLen += (bits - int(t.len[m])) * int(t.freq[m])
				t.len[m] = uint16(bits)
			}
			n--
		}
	}
}

func (s *zDeflater) buildTree(desc *zTreeDesc) {
	t := desc.dyn
	heap := &s.heap
	maxCode := -1
	heapLen := 0
	// zlib zeroes the lengths of the unused symbols; those of the others are set by
	// genBitLen before they are read. The loop has no branch on f (whether a symbol is in
	// use is not predictable): it writes every symbol's slot and counts the used ones.
	clear(t.len[:desc.elems])
	all := &s.leaves
	for n, f := range t.freq[:desc.elems] {
		heap[(heapLen+1)&(zHeapSlots-1)] = zSlot(uint64(f), 0, n)
		all[heapLen] = uint16(n)
		heapLen += b2i(f != 0)
	}
	leaves := all[:heapLen]
	if heapLen > 0 {
		maxCode = int(leaves[heapLen-1])
	}
	for heapLen < 2 {
		node := 0
		if maxCode < 2 {
			maxCode++
			node = maxCode
			leaves = append(leaves, uint16(node))
		} else {
			leaves = slices.Insert(leaves, 0, 0) // symbol 0 was unused: it comes first
		}
		heapLen++
		heap[heapLen] = zSlot(1, 0, node)
		t.freq[node] = 1
		s.optLen--
		if desc.static != nil {
			s.static -= int(desc.static.len[node])
		}
	}
	desc.maxCode = maxCode
	heap[heapLen+1] = zSlotNone
	for n := heapLen / 2; n >= 1; n-- {
		zDownHeap(heap, n, heapLen)
	}
	node := desc.elems
	heapMax := zHeapSize
	for {
		// n and m, the two smallest nodes, become the children of node.
		n := heap[1]
		heap[1] = heap[heapLen]
		heap[heapLen] = zSlotNone
		heapLen--
		zDownHeap(heap, 1, heapLen)
		m := heap[1]
		heapMax -= 2
		s.order[heapMax+1] = uint16(n)
		s.order[heapMax] = uint16(m)
		// zlib truncates the sum to its ush and the depth to its uch.
		freq := (n>>zSlotFreq + m>>zSlotFreq) & 0xffff
		depth := (max(n>>zSlotDepth&0xff, m>>zSlotDepth&0xff) + 1) & 0xff
		t.dad[uint16(n)], t.dad[uint16(m)] = uint16(node), uint16(node)
		heap[1] = zSlot(freq, depth, node)
		node++
		zDownHeap(heap, 1, heapLen)
		if heapLen < 2 {
			break
		}
	}
	heapMax--
	s.order[heapMax] = uint16(heap[1])
	s.heapMax = heapMax
	s.genBitLen(desc, leaves)
	zGenCodes(t, leaves, &s.blCount)
}

// scanTree is zlib's scan_tree: it counts the bit-length codes send_tree writes for t. It also
// records them in s.blSyms, each as code | extra<<5 (extra: the repeat count's extra bits), so
// that sendTrees writes them without scanning again.
//
// zlib walks the lengths one by one with a small state machine; this takes each run of equal
// lengths at once and cuts it as that machine does. A run of zeros goes in chunks of up to 138
// (fewer than 3 as zero codes, up to 10 as code 17, more as code 18). A run of length v != 0
// goes in a first chunk of up to 7 (fewer than 4 as v codes, else v then code 16 for the
// others) then chunks of up to 6 (fewer than 3 as v codes, else code 16 alone: v was the
// previous length written).
func (s *zDeflater) scanTree(t *zTree, maxCode int) {
	lens := t.len[:maxCode+2]
	lens[maxCode+1] = 0xffff // guard: no length equals it, so it ends the last run
	freq := s.bl.dyn.freq
	syms := s.blSyms[:s.nBLSyms]
	for n := 0; n <= maxCode; {
		v := lens[n]
		run := 1
		for lens[n+run] == v {
			run++
		}
		n += run
		if v == 0 {
			for run > 0 {
				c := min(run, 138)
				run -= c
				switch {
				case c < 3:
					freq[0] += uint16(c)
					for range c {
						syms = append(syms, 0)
					}
				case c <= 10:
					freq[zRepz3_10]++
					syms = append(syms, zRepz3_10|uint16(c-3)<<5)
				default:
					freq[zRepz11_138]++
					syms = append(syms, zRepz11_138|uint16(c-11)<<5)
				}
			}
			continue
		}
		c := min(run, 7)
		run -= c
		if c < 4 {
			freq[v] += uint16(c)
			for range c {
				syms = append(syms, v)
			}
		} else {
			freq[v]++
			freq[zRep3_6]++
			syms = append(syms, v, zRep3_6|uint16(c-1-3)<<5)
		}
		for run > 0 {
			c := min(run, 6)
			run -= c
			if c < 3 {
				freq[v] += uint16(c)
				for range c {
					syms = append(syms, v)
				}
			} else {
				freq[zRep3_6]++
				syms = append(syms, zRep3_6|uint16(c-3)<<5)
			}
		}
	}
	s.nBLSyms = len(syms)
}

// sendTrees is zlib's send_tree for the literal/length then the distance tree: it writes the
// bit-length codes scanTree recorded.
func (s *zDeflater) sendTrees() {
	bl := s.bl.dyn
	for _, sym := range s.blSyms[:s.nBLSyms] {
		c := sym & 31
		s.sendBits(uint64(bl.code[c]), uint(bl.len[c]))
		if c >= zRep3_6 {
			s.sendBits(uint64(sym>>5), uint(zExtraBLBits[c]))
		}
	}
}

func (s *zDeflater) buildBLTree() int {
	s.nBLSyms = 0
	s.scanTree(s.l.dyn, s.l.maxCode)
	s.scanTree(s.d.dyn, s.d.maxCode)
	s.buildTree(&s.bl)
	maxBLIndex := zBLCodes - 1
	for ; maxBLIndex >= 3; maxBLIndex-- {
		if s.bl.dyn.len[zBLOrder[maxBLIndex]] != 0 {
			break
		}
	}
	s.optLen += 3*(maxBLIndex+1) + 5 + 5 + 4
	return maxBLIndex
}

func (s *zDeflater) trFlushBlock(buf []byte, storedLen int, last bool) {
	lastBit := uint64(0)
	if last {
		lastBit = 1
	}
	s.buildTree(&s.l)
	s.buildTree(&s.d)
	maxBLIndex := s.buildBLTree()
	optLenB := (s.optLen + 3 + 7) >> 3
	staticLenB := (s.static + 3 + 7) >> 3
	if staticLenB <= optLenB {
		optLenB = staticLenB
	}
	switch {
	case storedLen+4 <= optLenB && buf != nil:
		s.sendBits(0<<1|lastBit, 3)
		s.alignByte()
		s.out = append(s.out, byte(storedLen), byte(storedLen>>8), ^byte(storedLen), ^byte(storedLen>>8))
		s.out = append(s.out, buf[:storedLen]...)
	case staticLenB == optLenB:
		s.sendBits(1<<1|lastBit, 3)
		s.compressBlock(zStaticL, zStaticD)
	default:
		s.sendBits(2<<1|lastBit, 3)
		s.sendAllTrees(s.l.maxCode+1, s.d.maxCode+1, maxBLIndex+1)
		s.compressBlock(s.l.dyn, s.d.dyn)
	}
	s.initBlock()
	if last {
		s.alignByte()
	}
}

func (s *zDeflater) sendAllTrees(lcodes, dcodes, blcodes int) {
	s.sendBits(uint64(lcodes-257), 5)
	s.sendBits(uint64(dcodes-1), 5)
	s.sendBits(uint64(blcodes-4), 4)
	for rank := 0; rank < blcodes; rank++ {
		s.sendBits(uint64(s.bl.dyn.len[zBLOrder[rank]]), 3)
	}
	s.sendTrees()
}

// compressBlock is zlib's compress_block: it writes the block's symbols with the trees lt and
// dt, then the end of block. It keeps the bit buffer in locals: at most 48 bits are added
// between flushes of 32, so the 64-bit buffer never overflows.
func (s *zDeflater) compressBlock(lt, dt *zTree) {
	buf, used, out := s.bitBuf, s.bitUsed, s.out
	lcode, llen := lt.code[:zLCodes], lt.len[:zLCodes]
	dcode, dlen := dt.code[:zDCodes], dt.len[:zDCodes]
	for _, sym := range s.syms {
		if sym.dist == 0 {
			buf |= uint64(lcode[sym.lc]) << used
			used += uint(llen[sym.lc])
		} else {
			lc := int(sym.lc)
			code := int(zLengthCodeOf[lc])
			buf |= uint64(lcode[code+zLiterals+1]) << used
			used += uint(llen[code+zLiterals+1])
			// Length 258 (code 285) has no extra bits but lc-zBaseLength[28] is 255: mask.
			xb := uint(zExtraLBits[code])
			buf |= uint64(lc-zBaseLength[code]) & (1<<xb - 1) << used
			used += xb
			if used >= 32 {
				out = binary.LittleEndian.AppendUint32(out, uint32(buf))
				buf >>= 32
				used -= 32
			}
			dist := int(sym.dist) - 1
			code = zDistCode(dist)
			buf |= uint64(dcode[code]) << used
			used += uint(dlen[code])
			buf |= uint64(dist-zBaseDist[code]) << used // zero when there are no extra bits
			used += uint(zExtraDBits[code])
		}
		if used >= 32 {
			out = binary.LittleEndian.AppendUint32(out, uint32(buf))
			buf >>= 32
			used -= 32
		}
	}
	s.bitBuf, s.bitUsed, s.out = buf, used, out
	s.sendBits(uint64(lt.code[zEndBlock]), uint(lt.len[zEndBlock]))
}

// sendBits queues the n low bits of v (n <= 32), writing whole 32-bit words as they fill.
func (s *zDeflater) sendBits(v uint64, n uint) {
	s.bitBuf |= v << s.bitUsed
	s.bitUsed += n
	if s.bitUsed >= 32 {
		s.out = binary.LittleEndian.AppendUint32(s.out, uint32(s.bitBuf))
		s.bitBuf >>= 32
		s.bitUsed -= 32
	}
}

// alignByte writes the queued bits, padding the last byte with zeros.
func (s *zDeflater) alignByte() {
	for s.bitUsed > 0 {
		s.out = append(s.out, byte(s.bitBuf))
		s.bitBuf >>= 8
		s.bitUsed -= min(s.bitUsed, 8)
	}
	s.bitBuf, s.bitUsed = 0, 0
}
