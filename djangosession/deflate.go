package djangosession

import (
	"encoding/binary"
	"math/bits"
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
	zGenCodes(zStaticL, zLCodes+1, &blCount)
	zStaticD = newZTree(zDCodes)
	for n := 0; n < zDCodes; n++ {
		zStaticD.len[n] = 5
		zStaticD.code[n] = uint16(zBitReverse(uint(n), 5))
	}
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

func zGenCodes(t *zTree, maxCode int, blCount *[zMaxBits + 1]int) {
	var next [zMaxBits + 1]uint
	code := uint(0)
	for bits := 1; bits <= zMaxBits; bits++ {
		code = (code + uint(blCount[bits-1])) << 1
		next[bits] = code
	}
	for n := 0; n <= maxCode; n++ {
		l := int(t.len[n])
		if l == 0 {
			continue
		}
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
}

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
	heap           [zHeapSize]int
	heapLen        int
	heapMax        int
	depth          [zHeapSize]uint8
	key            [zHeapSize]uint32 // see setKey
	blCount        [zMaxBits + 1]int
	optLen, static int

	out     []byte
	bitBuf  uint64
	bitUsed uint

	slid bool // the window slid: head[] holds hashes of data no longer in it
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
	s.l = zTreeDesc{dyn: newZTree(zHeapSize), static: zStaticL, extra: zExtraLBits[:], extraBase: zLiterals + 1, elems: zLCodes, maxLength: zMaxBits}
	s.d = zTreeDesc{dyn: newZTree(2*zDCodes + 1), static: zStaticD, extra: zExtraDBits[:], elems: zDCodes, maxLength: zMaxBits}
	s.bl = zTreeDesc{dyn: newZTree(2*zBLCodes + 1), extra: zExtraBLBits[:], elems: zBLCodes, maxLength: zMaxBLBits}
	return s
}

// zlibCompress returns zlib.compress(data) as CPython (zlib 1.2.x) computes it.
func zlibCompress(data []byte) []byte {
	return zlibCompressTo(make([]byte, 0, len(data)/2+64), data)
}

// zlibCompressTo is zlibCompress appending to dst.
func zlibCompressTo(dst, data []byte) []byte {
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
	w := s.window
	h := int(w[0])<<zHashShift ^ int(w[1])
	for str := 0; str < n; str++ {
		h = (h<<zHashShift ^ int(w[str+zMinMatch-1])) & zHashMask
		s.head[h] = 0
	}
}

// setHead stores a hash head.
func (s *zDeflater) setHead(h int, str int) {
	s.head[h&zHashMask] = uint16(str)
}

// insertRange inserts the strings at from..to (inclusive) into the hash chains: the
// positions a match covers.
func (s *zDeflater) insertRange(from, to int) {
	if from > to {
		return
	}
	h := s.insH
	head, prev := s.head, s.prev
	str := from
	for _, c := range s.window[from+zMinMatch-1 : to+zMinMatch] {
		h = (h<<zHashShift ^ int(c)) & zHashMask
		prev[str&zWMask] = head[h]
		head[h] = uint16(str)
		str++
	}
	s.insH = h
}

func (s *zDeflater) updateHash(c byte) {
	s.insH = (s.insH<<zHashShift ^ int(c)) & zHashMask
}

// insertString inserts the string at str into the hash chains and returns the previous head.
func (s *zDeflater) insertString(str int) int {
	s.updateHash(s.window[str+zMinMatch-1])
	h := s.head[s.insH&zHashMask]
	s.prev[str&zWMask] = h
	s.setHead(s.insH, str)
	return int(h)
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
	for {
		if s.lookahead < zMinLookahead {
			s.fillWindow()
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

// setKey records node n's frequency and depth in s.key as freq<<8 | depth, so that zlib's
// smaller(n, m) (freq[n] < freq[m] || freq[n] == freq[m] && depth[n] <= depth[m]) is
// key[n] <= key[m].
func (s *zDeflater) setKey(n int, freq uint16, depth uint8) {
	s.depth[n] = depth
	s.key[n] = uint32(freq)<<8 | uint32(depth)
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (s *zDeflater) pqDownHeap(k int) {
	heap, key := &s.heap, &s.key
	n := s.heapLen
	v := heap[k]
	vk := key[v]
	for j := k << 1; j <= n; j = k << 1 {
		// Take the right child when it exists and is smaller; written without a branch, as
		// the comparison is unpredictable. heap[n+1] is in bounds (n < zHeapSize-1).
		hj, h1 := heap[j], heap[j+1]
		right := b2i(j < n) & b2i(key[h1] <= key[hj])
		j += right
		hj = heap[j]
		if vk <= key[hj] {
			break
		}
		heap[k] = hj
		k = j
	}
	heap[k] = v
}

func (s *zDeflater) genBitLen(desc *zTreeDesc) {
	t := desc.dyn
	clear(s.blCount[:])
	overflow := 0
	t.len[s.heap[s.heapMax]] = 0
	h := s.heapMax + 1
	for ; h < zHeapSize; h++ {
		n := s.heap[h]
		bits := int(t.len[t.dad[n]]) + 1
		if bits > desc.maxLength {
			bits = desc.maxLength
			overflow++
		}
		t.len[n] = uint16(bits)
		if n > desc.maxCode {
			continue
		}
		s.blCount[bits]++
		xbits := 0
		if n >= desc.extraBase {
			xbits = desc.extra[n-desc.extraBase]
		}
		f := int(t.freq[n])
		s.optLen += f * (bits + xbits)
		if desc.static != nil {
			s.static += f * (int(desc.static.len[n]) + xbits)
		}
	}
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
	for bits := desc.maxLength; bits != 0; bits-- {
		n := s.blCount[bits]
		for n != 0 {
			h--
			m := s.heap[h]
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
	maxCode := -1
	s.heapLen, s.heapMax = 0, zHeapSize
	for n := 0; n < desc.elems; n++ {
		if t.freq[n] != 0 {
			s.heapLen++
			s.heap[s.heapLen] = n
			maxCode = n
			s.setKey(n, t.freq[n], 0)
		} else {
			t.len[n] = 0
		}
	}
	for s.heapLen < 2 {
		node := 0
		if maxCode < 2 {
			maxCode++
			node = maxCode
		}
		s.heapLen++
		s.heap[s.heapLen] = node
		t.freq[node] = 1
		s.setKey(node, 1, 0)
		s.optLen--
		if desc.static != nil {
			s.static -= int(desc.static.len[node])
		}
	}
	desc.maxCode = maxCode
	for n := s.heapLen / 2; n >= 1; n-- {
		s.pqDownHeap(n)
	}
	node := desc.elems
	for {
		n := s.heap[1]
		s.heap[1] = s.heap[s.heapLen]
		s.heapLen--
		s.pqDownHeap(1)
		m := s.heap[1]
		s.heapMax--
		s.heap[s.heapMax] = n
		s.heapMax--
		s.heap[s.heapMax] = m
		t.freq[node] = t.freq[n] + t.freq[m]
		s.setKey(node, t.freq[node], max(s.depth[n], s.depth[m])+1)
		t.dad[n], t.dad[m] = uint16(node), uint16(node)
		s.heap[1] = node
		node++
		s.pqDownHeap(1)
		if s.heapLen < 2 {
			break
		}
	}
	s.heapMax--
	s.heap[s.heapMax] = s.heap[1]
	s.genBitLen(desc)
	zGenCodes(t, maxCode, &s.blCount)
}

// scanTree is zlib's scan_tree: it counts the bit-length codes sendTree will write for t.
func (s *zDeflater) scanTree(t *zTree, maxCode int) {
	t.len[maxCode+1] = 0xffff // guard
	freq := s.bl.dyn.freq
	prevlen := -1
	nextlen := int(t.len[0])
	count := 0
	maxCount, minCount := 7, 4
	if nextlen == 0 {
		maxCount, minCount = 138, 3
	}
	lens := t.len[:maxCode+2]
	for n := 0; n <= maxCode; n++ {
		curlen := nextlen
		nextlen = int(lens[n+1])
		count++
		if count < maxCount && curlen == nextlen {
			continue
		}
		switch {
		case count < minCount:
			freq[curlen] += uint16(count)
		case curlen != 0:
			if curlen != prevlen {
				freq[curlen]++
			}
			freq[zRep3_6]++
		case count <= 10:
			freq[zRepz3_10]++
		default:
			freq[zRepz11_138]++
		}
		count = 0
		prevlen = curlen
		switch {
		case nextlen == 0:
			maxCount, minCount = 138, 3
		case curlen == nextlen:
			maxCount, minCount = 6, 3
		default:
			maxCount, minCount = 7, 4
		}
	}
}

// sendTree is zlib's send_tree: it writes t's code lengths with the bit-length codes.
func (s *zDeflater) sendTree(t *zTree, maxCode int) {
	bl := s.bl.dyn
	code := func(c int) { s.sendBits(uint64(bl.code[c]), uint(bl.len[c])) }
	prevlen := -1
	nextlen := int(t.len[0])
	count := 0
	maxCount, minCount := 7, 4
	if nextlen == 0 {
		maxCount, minCount = 138, 3
	}
	for n := 0; n <= maxCode; n++ {
		curlen := nextlen
		nextlen = int(t.len[n+1])
		count++
		if count < maxCount && curlen == nextlen {
			continue
		}
		switch {
		case count < minCount:
			for ; count > 0; count-- {
				code(curlen)
			}
		case curlen != 0:
			if curlen != prevlen {
				code(curlen)
				count--
			}
			code(zRep3_6)
			s.sendBits(uint64(count-3), 2)
		case count <= 10:
			code(zRepz3_10)
			s.sendBits(uint64(count-3), 3)
		default:
			code(zRepz11_138)
			s.sendBits(uint64(count-11), 7)
		}
		count = 0
		prevlen = curlen
		switch {
		case nextlen == 0:
			maxCount, minCount = 138, 3
		case curlen == nextlen:
			maxCount, minCount = 6, 3
		default:
			maxCount, minCount = 7, 4
		}
	}
}

func (s *zDeflater) buildBLTree() int {
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
	s.sendTree(s.l.dyn, lcodes-1)
	s.sendTree(s.d.dyn, dcodes-1)
}

func (s *zDeflater) compressBlock(lt, dt *zTree) {
	for _, sym := range s.syms {
		if sym.dist == 0 {
			s.sendBits(uint64(lt.code[sym.lc]), uint(lt.len[sym.lc]))
			continue
		}
		lc := int(sym.lc)
		code := int(zLengthCodeOf[lc])
		s.sendBits(uint64(lt.code[code+zLiterals+1]), uint(lt.len[code+zLiterals+1]))
		if extra := zExtraLBits[code]; extra != 0 {
			s.sendBits(uint64(lc-zBaseLength[code]), uint(extra))
		}
		dist := int(sym.dist) - 1
		code = zDistCode(dist)
		s.sendBits(uint64(dt.code[code]), uint(dt.len[code]))
		if extra := zExtraDBits[code]; extra != 0 {
			s.sendBits(uint64(dist-zBaseDist[code]), uint(extra))
		}
	}
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
