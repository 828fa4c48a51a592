package pickle

import (
	"encoding/binary"
	"errors"
	"math"
	"slices"
	"sync"
	"unicode/utf8"
	"unsafe"

	"github.com/djangobridge/bridge/py"
)

// LazyDict is a pickled dict that [Codec.DecodeLazy] checked whole, as strictly as Decode, but
// whose values are built only when they are read: a request that reads three keys of a large
// session pays for those three values, not for the whole session.
//
// DecodeLazy reads the pickles CPython writes for a dict of str keys (protocols 2 to 5: the
// opcodes of str, bytes, int, float, bool, None, list, tuple, dict and the memo) without
// building anything, recording where each top-level value lies. Any other pickle (a datetime
// or a Decimal among the values, a key that is not a str, text opcodes of protocols 0 and 1)
// is decoded whole at once, as Decode does: the LazyDict then serves the built dict
// ([LazyDict.Lazy] reports false). Either way Get returns what Decode would have put under the
// key.
//
// Values built by Get are kept and shared with later calls, and with [LazyDict.Dict]. Two
// top-level values that refer to the same object in the pickle (a memo reference) get two
// equal copies when they are built separately, where Decode shares one.
//
// A LazyDict is not safe for concurrent use.
type LazyDict struct {
	c     *Codec
	buf   []byte // a private copy of the input; strs point into it
	items []lazyItem
	index map[string]int32 // key → items index, for dicts of many keys
	memo  []memoDef
	vals  []memoVal // built memo entries, allocated on first use
	full  *py.Dict  // the whole dict, once built (or from the start when not lazy)
	// work counts the bytes of spans built; past a bound (a crafted pickle whose values
	// reference each other in long chains) the dict is decoded whole instead.
	work      int
	resolving int // the depth of nested memo resolutions
	proto     int
	stop      int   // offset of the STOP opcode
	frame     int   // offset of the FRAME opcode whose frame holds STOP, -1 when none
	nmemo     int   // memo entries the pickle defines
	bound     int64 // the scanner's bound of the full decoder's charge (tests compare it)
	frameEnd  int   // the end of the frame at frame
}

type lazyItem struct {
	key               string // a view of the LazyDict's buf (of the input, during the scan)
	koff              int32  // offset of the key's bytes
	start, end, mbase int32
	built             bool
	v                 any
}

// memoDef is where the value of one memo entry lies: the span that builds it (the value at
// the bottom of the stack once [start, end) is decoded with memo base mbase); a scalar whose
// span is a GET copies that entry (see alias).
type memoDef struct {
	start, end, mbase int32
	depth             int16
	kind              uint8
	fetched           bool
}

type memoVal struct {
	v  any
	ok bool
}

// DecodeLazy checks a pickle whole, as [Codec.Decode] does, and returns its dict with the
// values left unbuilt (see [LazyDict]). Any input Decode rejects is rejected with Decode's
// error. A pickle of anything other than a dict or an OrderedDict is rejected with a
// *[NotDictError] carrying Decode's value.
func (c *Codec) DecodeLazy(data []byte) (*LazyDict, error) {
	return c.decodeLazy(data, false)
}

// DecodeLazyOwned is DecodeLazy for a caller that hands data over: the LazyDict keeps it
// instead of a copy, and the caller must not change it afterwards.
func (c *Codec) DecodeLazyOwned(data []byte) (*LazyDict, error) {
	return c.decodeLazy(data, true)
}

func (c *Codec) decodeLazy(data []byte, owned bool) (*LazyDict, error) {
	limit := c.MaxSize
	if limit == 0 {
		limit = DefaultMaxSize
	}
	if limit > 0 && len(data) > limit {
		return nil, &Error{Err: errPickle("input of %d bytes exceeds the limit of %d", len(data), limit)}
	}
	sc := scannerPool.Get().(*scanner)
	l, ok := sc.scan(c, data, owned)
	sc.release()
	if ok {
		return l, nil
	}
	v, err := c.Decode(data)
	if err != nil {
		return nil, err
	}
	var d *py.Dict
	switch x := v.(type) {
	case *py.Dict:
		d = x
	case *py.OrderedDict:
		d = &x.Dict
	default:
		return nil, &NotDictError{Value: v}
	}
	return &LazyDict{c: c, full: d, frame: -1}, nil
}

// NotDictError reports a pickle [Codec.DecodeLazy] decoded to something other than a dict.
// It matches ErrCorrupt.
type NotDictError struct {
	Value any // what Decode returned
}

// Error names the type.
func (e *NotDictError) Error() string {
	return "pickle: the pickle holds a " + py.TypeName(e.Value) + ", not a dict"
}

// Is reports that a NotDictError matches ErrCorrupt.
func (e *NotDictError) Is(target error) bool { return target == ErrCorrupt }

// Lazy reports whether the values are built on demand; false when the pickle was decoded
// whole (see [LazyDict]).
func (l *LazyDict) Lazy() bool { return l.full == nil || l.items != nil }

// Len returns the number of keys, building nothing.
func (l *LazyDict) Len() int {
	if l.items == nil {
		return l.full.Len()
	}
	return len(l.items)
}

// Keys returns the keys in the dict's order, building nothing. A dict read lazily has str
// keys only; one decoded whole returns the keys that are strs.
func (l *LazyDict) Keys() []string {
	if l.items == nil {
		out := make([]string, 0, l.full.Len())
		for _, k := range l.full.Keys() {
			if s, ok := k.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	out := make([]string, len(l.items))
	for i := range l.items {
		out[i] = l.items[i].key
	}
	return out
}

// find returns the index of key in l.items, or -1.
func (l *LazyDict) find(key string) int {
	if l.index != nil {
		if i, ok := l.index[key]; ok {
			return int(i)
		}
		return -1
	}
	for i := range l.items {
		if l.items[i].key == key {
			return i
		}
	}
	return -1
}

// Has reports whether key is in the dict, building nothing.
func (l *LazyDict) Has(key string) bool {
	if l.items == nil {
		return l.full.Has(key)
	}
	return l.find(key) >= 0
}

// Get returns the value under key, building it on its first read. The error is not nil only
// when a value of a checked pickle could not be built (an internal inconsistency, reported
// rather than hidden).
func (l *LazyDict) Get(key string) (any, bool, error) {
	if l.full != nil {
		// Built whole (by Dict, or from the start): the values are the dict's.
		v, ok := l.full.Get(key)
		return v, ok, nil
	}
	i := l.find(key)
	if i < 0 {
		return nil, false, nil
	}
	it := &l.items[i]
	if !it.built {
		if v, ok := l.scalar(int(it.start), int(it.end)); ok {
			it.v, it.built = v, true
			return v, true, nil
		}
		v, err := l.build(int(it.start), int(it.end), it.mbase)
		if err != nil {
			if err := l.decodeWhole(); err != nil {
				return nil, false, err
			}
			v, _ = l.full.Get(key)
		}
		// decodeWhole may have dropped the items: it holds the value itself then.
		if l.items == nil {
			return v, true, nil
		}
		it.v, it.built = v, true
	}
	return it.v, true, nil
}

// Dict returns the whole dict, building every value not built yet; values Get built are the
// same objects in it. It is equal to what Decode returns.
func (l *LazyDict) Dict() (*py.Dict, error) {
	if l.items == nil {
		return l.full, nil
	}
	if l.full == nil {
		// One pass of the full decoder is faster than a build per value.
		v, err := l.c.Decode(l.buf)
		if err != nil {
			return nil, err
		}
		d, ok := v.(*py.Dict)
		if !ok {
			return nil, &NotDictError{Value: v}
		}
		for i := range l.items {
			if it := &l.items[i]; it.built {
				d.Set(it.key, it.v)
			}
		}
		l.full = d
	}
	return l.full, nil
}

// decodeWhole replaces the lazy form by the whole dict (after a build failed or ran past its
// bound), keeping the values already built.
func (l *LazyDict) decodeWhole() error {
	d, err := l.Dict()
	if err != nil {
		return err
	}
	l.full, l.items, l.index, l.memo, l.vals = d, nil, nil, nil, nil
	return nil
}

// maxLazyWork bounds the bytes of spans built, as a multiple of the input: beyond it the dict
// is decoded whole.
const maxLazyWork = 4

// maxResolving bounds nested memo resolutions.
const maxResolving = 64

var errLazyBound = errors.New("pickle: lazy build bound reached")

// build decodes the value of the span [start, end) with memo base mbase.
func (l *LazyDict) build(start, end int, mbase int32) (any, error) {
	l.work += end - start
	if l.work > maxLazyWork*len(l.buf)+4096 {
		return nil, errLazyBound
	}
	d := decoderPool.Get().(*decoder)
	defer d.release()
	d.c, d.maxDepth = l.c, int32(l.c.maxDepth())
	d.stackPaid, d.memoPaid, d.marksPaid = initialStack, initialMemo, initialMarks
	d.left = l.c.memoryBudget(end - start)
	d.buf = l.buf[start:end]
	d.lazy, d.memoOff = l, uint32(mbase)
	d.proto = l.proto
	return d.run()
}

// scalar builds the value of the span [start, end) without a decoder when it is one str, int,
// bool or None opcode (then memo PUTs, which a value of its own does not need): most session
// values, as the auth keys' strs.
func (l *LazyDict) scalar(start, end int) (any, bool) {
	b := l.buf
	var v any
	next := start + 1
	switch b[start] {
	case opShortBinUnicode:
		n := int(b[start+1])
		next = start + 2 + n
		v = l.str(int32(start+2), int32(n))
	case opBinInt1:
		next, v = start+2, int64(b[start+1])
	case opBinInt2:
		next, v = start+3, int64(binary.LittleEndian.Uint16(b[start+1:]))
	case opBinInt:
		next, v = start+5, int64(int32(binary.LittleEndian.Uint32(b[start+1:])))
	case opNewTrue:
		v = true
	case opNewFalse:
		v = false
	case opNone:
		v = nil
	default:
		return nil, false
	}
	for next < end {
		switch b[next] {
		case opMemoize:
			next++
		case opBinPut:
			next += 2
		case opLongBinPut:
			next += 5
		default:
			return nil, false
		}
	}
	return v, next == end
}

// memoValue returns the value of memo entry i, for a build that GETs it.
func (l *LazyDict) memoValue(i int) (any, int32, error) {
	if l.memo == nil && l.nmemo > 0 {
		// DecodeLazy keeps no memo: most builds need none (a value's memo references are
		// to entries of its own span). Scan again for it, once.
		sc := scannerPool.Get().(*scanner)
		_, ok := sc.scan(l.c, l.buf, true)
		if ok && len(sc.memo) == l.nmemo {
			l.memo = slices.Clone(sc.memo)
		}
		sc.release()
		if l.memo == nil {
			return nil, 0, errLazyBound
		}
	}
	if i >= len(l.memo) {
		return nil, 0, errPickle("memo index %d not found", i)
	}
	for n := 0; ; n++ {
		a := alias(l.buf, &l.memo[i])
		if a < 0 {
			break
		}
		if n > len(l.memo) || a >= len(l.memo) {
			return nil, 0, errLazyBound
		}
		i = a
	}
	if l.vals == nil {
		l.vals = make([]memoVal, len(l.memo))
	}
	if mv := l.vals[i]; mv.ok {
		return mv.v, int32(l.memo[i].depth), nil
	}
	m := &l.memo[i]
	var v any
	if m.kind == kStr {
		v = l.str(strAt(l.buf, l.memo, m.start)) // the common case: a str key shared by many dicts
	} else {
		if l.resolving >= maxResolving {
			return nil, 0, errLazyBound
		}
		l.resolving++
		var err error
		v, err = l.build(int(m.start), int(m.end), m.mbase)
		l.resolving--
		if err != nil {
			return nil, 0, err
		}
	}
	l.vals[i] = memoVal{v: v, ok: true}
	return v, int32(m.depth), nil
}

// str returns the str at buf[off:off+n], boxed, interned when the Codec interns it.
func (l *LazyDict) str(off, n int32) any {
	b := l.buf[off : off+n]
	if in := l.c.Intern; in != nil {
		if i := in.find(b, 0); i >= 0 {
			return in.boxed[i]
		}
	}
	if n == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// The kinds of values the scanner tracks.
const (
	kScalar uint8 = iota // None, bool, int, float: hashable
	kStr
	kBytes
	kDict
	kList
	kTuple
)

// sEntry is one value on the scanner's stack: what the decoder's entry tracks, plus where the
// value's opcodes start. A fetched entry came from the memo entry memo (a GET).
type sEntry struct {
	start, mbase int32 // the offset of its first opcode; the memo length there
	memo         int32 // memo index, -1 when not memoized
	n            int32 // a dict: the items set on it (for the memory bound)
	depth        int16
	kind         uint8
	fetched      bool
}

type sMark struct {
	stack, pos, mbase int32 // stack length, offset and memo length at the MARK
}

// scanner checks a pickle without building it (DecodeLazy's first pass).
type scanner struct {
	stack []sEntry
	marks []sMark
	memo  []memoDef
	items []lazyItem
	index map[string]int32 // key → items index, once there are many
	// bound is an upper bound of what the full decoder would charge to its memory budget
	// for the opcodes seen so far (see Codec.MaxMemory): a pickle within it is one the
	// decoder does not refuse for its budget.
	bound                int64
	peakStack, peakMarks int
	sawFrame, frameEnd   int
}

var scannerPool = sync.Pool{New: func() any {
	return &scanner{stack: make([]sEntry, 0, 64), marks: make([]sMark, 0, 16), memo: make([]memoDef, 0, 64), items: make([]lazyItem, 0, 16)}
}}

func (sc *scanner) release() {
	if cap(sc.stack) > 1<<12 || cap(sc.memo) > 1<<14 || cap(sc.marks) > 1<<10 || cap(sc.items) > 1<<10 {
		return
	}
	clear(sc.items) // they hold strings of the last input
	*sc = scanner{stack: sc.stack[:0], marks: sc.marks[:0], memo: sc.memo[:0], items: sc.items[:0]}
	scannerPool.Put(sc)
}

// Per-opcode bounds of the full decoder's charges (see budget.go), generous: sizes rounded up
// to the runtime's size classes and slices grown twice over.
const (
	boundScalar = 32
	boundItem   = 4 * sizeSlot // a list item: the list grows twofold
	boundOp     = 64
	boundDict   = 2*sizeDict + 16 // slabs of dicts grow twofold
	// A dict item: from a slab (slabs grow twofold) in the dict's first batch; later batches
	// grow the dict's items twofold.
	boundFirstPair = 2*sizeItem + 16
	boundMorePair  = 4*sizeItem + 16
)

// boundFixed is what the decoder may charge whatever the opcodes, for an input of n bytes:
// its first slabs of dicts and items (sized from n), and a margin.
func boundFixed(n int) int64 {
	dicts := min(max(n/128, 4), slabMax)
	items := min(max(n/40, 4), slabMax)
	return 4096 + int64(unsafe.Sizeof(smallSlab{})) + int64(5*(sizeDict*dicts+sizeItem*items)/4)
}

// scan checks data and returns its LazyDict, or false when the full decoder must decide. It
// reads the opcodes CPython writes for dicts of plain values (see LazyDict), and checks each
// as the decoder does: lengths within the input, UTF-8, the stack, marks and memo, the depth,
// what may be changed after it was referenced, and its memory bound. Anything else is left to
// the decoder.
func (sc *scanner) scan(c *Codec, data []byte, owned bool) (*LazyDict, bool) {
	if c.maxDepth() > math.MaxInt16 {
		return nil, false
	}
	maxDepth := int16(c.maxDepth())
	proto := 0
	buf := data
	n := len(buf)
	if n > maxPickleStack*8 {
		// Larger than any session, and large enough for a list longer than the decoder
		// takes (the scanner does not count list items): the decoder decides.
		return nil, false
	}
	pos := 0
	sc.sawFrame = -1
	stack, memo := sc.stack, sc.memo
	bound := int64(0)
	peak := 0
	for pos < n {
		op := buf[pos]
		pushed := true // the opcode pushed a new value (cleared by the others)
		switch op {
		case opShortBinUnicode, opShortBinBytes:
			if pos+1 >= n {
				return nil, false
			}
			end := pos + 2 + int(buf[pos+1])
			if end > n {
				return nil, false
			}
			kind := kBytes
			if op == opShortBinUnicode {
				if b := buf[pos+2 : end]; !ascii(b) && !utf8.Valid(b) {
					return nil, false // surrogate escapes, and errors: the decoder decides
				}
				kind = kStr
			}
			if len(stack) >= maxPickleStack {
				return nil, false
			}
			stack = pushEntry(stack, int32(pos), int32(len(memo)), -1, 0, kind, false)
			bound += boundScalar
			pos = end
		case opMemoize, opBinPut, opLongBinPut:
			pushed = false
			i, next := uint32(len(memo)), pos+1
			switch op {
			case opBinPut:
				if pos+1 >= n {
					return nil, false
				}
				i, next = uint32(buf[pos+1]), pos+2
			case opLongBinPut:
				if n-pos < 5 {
					return nil, false
				}
				i, next = binary.LittleEndian.Uint32(buf[pos+1:]), pos+5
			}
			// Only a dense memo, each index defined once, as CPython writes it.
			if int(i) != len(memo) || len(memo) >= maxPickleMemo || len(stack)-1 < sc.floor() {
				return nil, false
			}
			t := &stack[len(stack)-1]
			if t.depth > 0 && t.memo >= 0 {
				return nil, false // a container memoized twice
			}
			t.memo = int32(i)
			memo = pushMemo(memo, t.start, int32(next), t.mbase, t.depth, t.kind)
			pos = next
		case opBinGet, opLongBinGet:
			var i uint32
			start := pos
			if op == opBinGet {
				if pos+1 >= n {
					return nil, false
				}
				i = uint32(buf[pos+1])
				pos += 2
			} else {
				if n-pos < 5 {
					return nil, false
				}
				i = binary.LittleEndian.Uint32(buf[pos+1:])
				pos += 5
			}
			if int(i) >= len(memo) || len(stack) >= maxPickleStack {
				return nil, false
			}
			m := &memo[i]
			m.fetched = true
			stack = pushEntry(stack, int32(start), int32(len(memo)), int32(i), m.depth, m.kind, true)
		case opBinInt1, opBinInt2, opBinInt, opBinFloat, opNone, opNewTrue, opNewFalse:
			w := 0
			switch op {
			case opBinInt1:
				w = 1
			case opBinInt2:
				w = 2
			case opBinInt:
				w = 4
			case opBinFloat:
				w = 8
			}
			if n-pos-1 < w || len(stack) >= maxPickleStack {
				return nil, false
			}
			stack = pushEntry(stack, int32(pos), int32(len(memo)), -1, 0, kScalar, false)
			bound += boundScalar
			pos += 1 + w
		case opEmptyDict, opEmptyList, opEmptyTuple:
			if len(stack) >= maxPickleStack {
				return nil, false
			}
			kind := kTuple
			switch op {
			case opEmptyDict:
				kind = kDict
				bound += int64(boundDict)
			case opEmptyList:
				kind = kList
			}
			stack = pushEntry(stack, int32(pos), int32(len(memo)), -1, 1, kind, false)
			pos++
		case opMark:
			pushed = false
			if len(sc.marks) >= maxPickleStack {
				return nil, false
			}
			if len(sc.marks) == cap(sc.marks) {
				sc.marks = growSlice(sc.marks, 2*cap(sc.marks)+16)
			}
			sc.marks = sc.marks[:len(sc.marks)+1]
			m := &sc.marks[len(sc.marks)-1]
			m.stack, m.pos, m.mbase = int32(len(stack)), int32(pos), int32(len(memo))
			sc.peakMarks = max(sc.peakMarks, len(sc.marks))
			pos++
		case opSetItem, opSetItems:
			pushed = false
			var kv []sEntry
			if op == opSetItem {
				if len(stack)-sc.floor() < 3 {
					return nil, false
				}
				kv = stack[len(stack)-2:]
				stack = stack[:len(stack)-2]
			} else {
				if len(sc.marks) == 0 {
					return nil, false
				}
				m := sc.marks[len(sc.marks)-1]
				sc.marks = sc.marks[:len(sc.marks)-1]
				kv = stack[m.stack:]
				stack = stack[:m.stack]
				if len(stack)-sc.floor() < 1 || len(kv)%2 != 0 {
					return nil, false
				}
			}
			t := &stack[len(stack)-1]
			if t.kind != kDict || t.fetched || (t.memo >= 0 && memo[t.memo].fetched) {
				return nil, false
			}
			root := len(stack) == 1
			for i := 0; i < len(kv); i += 2 {
				switch kv[i].kind {
				case kStr:
				case kScalar, kBytes:
					if root {
						return nil, false // a session has str keys: decode it whole
					}
				default:
					return nil, false // unhashable, or a tuple: the decoder decides
				}
				d := max(kv[i].depth, kv[i+1].depth) + 1
				if d > maxDepth {
					return nil, false
				}
				t.depth = max(t.depth, d)
			}
			if t.memo >= 0 {
				memo[t.memo].depth, memo[t.memo].end = t.depth, int32(pos+1)
			}
			c, k := int64(t.n), int64(len(kv)/2)
			if c == 0 {
				bound += k * boundFirstPair
			} else {
				bound += k * boundMorePair
			}
			switch {
			case c+k <= 8: // no hash index
			case c <= 8:
				bound += (c + k) * indexEntry
			default:
				bound += k * indexEntry
			}
			t.n = int32(min(c+k, math.MaxInt32))
			bound += boundOp
			if root {
				for i := 0; i < len(kv); i += 2 {
					end := int32(pos)
					if i+2 < len(kv) {
						end = kv[i+2].start
					}
					if !sc.addItem(buf, memo, kv[i], kv[i+1], end) {
						return nil, false
					}
				}
			}
			pos++
		case opAppend, opAppends:
			pushed = false
			var items []sEntry
			if op == opAppend {
				if len(stack)-sc.floor() < 2 {
					return nil, false
				}
				items = stack[len(stack)-1:]
				stack = stack[:len(stack)-1]
			} else {
				if len(sc.marks) == 0 {
					return nil, false
				}
				m := sc.marks[len(sc.marks)-1]
				sc.marks = sc.marks[:len(sc.marks)-1]
				items = stack[m.stack:]
				stack = stack[:m.stack]
				if len(stack)-sc.floor() < 1 {
					return nil, false
				}
			}
			t := &stack[len(stack)-1]
			if t.kind != kList || t.fetched || (t.memo >= 0 && memo[t.memo].fetched) {
				return nil, false
			}
			for i := range items {
				if items[i].depth+1 > maxDepth {
					return nil, false
				}
				t.depth = max(t.depth, items[i].depth+1)
			}
			if t.memo >= 0 {
				memo[t.memo].depth, memo[t.memo].end = t.depth, int32(pos+1)
			}
			bound += int64(len(items))*boundItem + boundOp
			pos++
		case opTuple1, opTuple2, opTuple3, opTuple:
			var items []sEntry
			var e sEntry
			if op == opTuple {
				if len(sc.marks) == 0 {
					return nil, false
				}
				m := sc.marks[len(sc.marks)-1]
				sc.marks = sc.marks[:len(sc.marks)-1]
				items = stack[m.stack:]
				stack = stack[:m.stack]
				e = sEntry{start: m.pos, mbase: m.mbase}
			} else {
				k := int(op-opTuple1) + 1
				if len(stack)-sc.floor() < k {
					return nil, false
				}
				items = stack[len(stack)-k:]
				stack = stack[:len(stack)-k]
				e = sEntry{start: items[0].start, mbase: items[0].mbase}
			}
			e.memo, e.depth, e.kind = -1, 1, kTuple
			for i := range items {
				e.depth = max(e.depth, items[i].depth+1)
			}
			if e.depth > maxDepth {
				return nil, false
			}
			bound += 2*int64(len(items)*sizeSlot+boxedSlice) + boundOp
			stack = append(stack, e)
			pos++
		case opBinUnicode, opBinUnicode8, opBinBytes, opBinBytes8:
			size := 4
			if op == opBinUnicode8 || op == opBinBytes8 {
				size = 8
			}
			if n-pos-1 < size {
				return nil, false
			}
			var l uint64
			for i := size; i >= 1; i-- {
				l = l<<8 | uint64(buf[pos+i])
			}
			start := pos
			pos += 1 + size
			if l > uint64(n-pos) {
				return nil, false
			}
			kind := kBytes
			if op == opBinUnicode || op == opBinUnicode8 {
				if b := buf[pos : pos+int(l)]; !ascii(b) && !utf8.Valid(b) {
					return nil, false
				}
				kind = kStr
			}
			if len(stack) >= maxPickleStack {
				return nil, false
			}
			stack = pushEntry(stack, int32(start), int32(len(memo)), -1, 0, kind, false)
			bound += boundScalar
			pos += int(l)
		case opLong1, opLong4:
			var w int
			start := pos
			if op == opLong1 {
				if pos+1 >= n {
					return nil, false
				}
				w = int(buf[pos+1])
				pos += 2
			} else {
				if n-pos < 5 {
					return nil, false
				}
				w = int(int32(binary.LittleEndian.Uint32(buf[pos+1:])))
				pos += 5
			}
			if w < 0 || n-pos < w || len(stack) >= maxPickleStack {
				return nil, false
			}
			pos += w
			stack = pushEntry(stack, int32(start), int32(len(memo)), -1, 0, kScalar, false)
			bound += boundScalar + 3*int64(w) + 128
		case opProto:
			pushed = false
			if pos+1 >= n || buf[pos+1] > highestProtocol {
				return nil, false
			}
			proto = int(buf[pos+1])
			pos += 2
		case opFrame:
			pushed = false
			if n-pos < 9 {
				return nil, false
			}
			f := binary.LittleEndian.Uint64(buf[pos+1:])
			if f > uint64(n-pos-9) {
				return nil, false
			}
			sc.sawFrame, sc.frameEnd = pos, pos+9+int(f)
			pos += 9
		case opStop:
			sc.stack, sc.memo, sc.peakStack = stack, memo, peak
			if len(stack) != 1 || len(sc.marks) != 0 || stack[0].kind != kDict || stack[0].fetched {
				return nil, false
			}
			sc.bound = bound
			return sc.finish(c, data, proto, pos, owned)
		default:
			return nil, false
		}
		if len(stack) > peak {
			peak = len(stack)
		}
		// CPython memoizes most values right after pushing them: MEMOIZE is read here
		// without another dispatch.
		if pushed && pos < n && buf[pos] == opMemoize && len(memo) < maxPickleMemo {
			t := &stack[len(stack)-1]
			if t.depth == 0 || t.memo < 0 {
				t.memo = int32(len(memo))
				pos++
				memo = pushMemo(memo, t.start, int32(pos), t.mbase, t.depth, t.kind)
			}
		}
	}
	sc.stack, sc.memo = stack, memo
	return nil, false
}

// pushEntry appends an entry to the scanner's stack, writing its fields in place: a struct
// literal appended is built in a temporary and copied with wide loads that overlap the
// narrower stores just made, which stalls the CPU's store forwarding on every push.
func pushEntry(stack []sEntry, start, mbase, memo int32, depth int16, kind uint8, fetched bool) []sEntry {
	if len(stack) == cap(stack) {
		stack = growSlice(stack, 2*cap(stack)+16)
	}
	n := len(stack)
	stack = stack[:n+1]
	e := &stack[n]
	e.start, e.mbase, e.memo, e.n, e.depth, e.kind, e.fetched = start, mbase, memo, 0, depth, kind, fetched
	return stack
}

// pushMemo appends a memo entry, as pushEntry does.
func pushMemo(memo []memoDef, start, end, mbase int32, depth int16, kind uint8) []memoDef {
	if len(memo) == cap(memo) {
		memo = growSlice(memo, 2*cap(memo)+16)
	}
	n := len(memo)
	memo = memo[:n+1]
	m := &memo[n]
	m.start, m.end, m.mbase, m.depth, m.kind, m.fetched = start, end, mbase, depth, kind, false
	return memo
}

// floor is the stack index below which the current mark protects the values.
func (sc *scanner) floor() int {
	if len(sc.marks) == 0 {
		return 0
	}
	return int(sc.marks[len(sc.marks)-1].stack)
}

// strAt returns the offset and length of the str whose opcodes start at start: its own
// opcode, or a GET of a memo entry that is one.
func strAt(buf []byte, memo []memoDef, start int32) (int32, int32) {
	for range len(memo) + 1 {
		switch op := buf[start]; op {
		case opShortBinUnicode:
			return start + 2, int32(buf[start+1])
		case opBinUnicode:
			return start + 5, int32(binary.LittleEndian.Uint32(buf[start+1:]))
		case opBinUnicode8:
			return start + 9, int32(binary.LittleEndian.Uint64(buf[start+1:]))
		case opBinGet:
			start = memo[buf[start+1]].start
		case opLongBinGet:
			start = memo[binary.LittleEndian.Uint32(buf[start+1:])].start
		default:
			return 0, 0
		}
	}
	return 0, 0
}

// alias returns the memo index a scalar memo entry copies (it was stored from a GET), or -1.
func alias(buf []byte, m *memoDef) int {
	if m.depth != 0 {
		return -1
	}
	switch buf[m.start] {
	case opBinGet:
		return int(buf[m.start+1])
	case opLongBinGet:
		return int(binary.LittleEndian.Uint32(buf[m.start+1:]))
	}
	return -1
}

// addItem records a top-level item of the root dict; the value's span ends at end. A key set
// again keeps its place and takes the new value, as in a Python dict.
func (sc *scanner) addItem(buf []byte, memo []memoDef, k, v sEntry, end int32) bool {
	koff, klen := strAt(buf, memo, k.start)
	key := unsafe.String(unsafe.SliceData(buf[koff:]), int(klen))
	i := -1
	if sc.index != nil {
		if j, ok := sc.index[key]; ok {
			i = int(j)
		}
	} else {
		for j := range sc.items {
			if sc.items[j].key == key {
				i = j
				break
			}
		}
	}
	if i >= 0 {
		sc.items[i].start, sc.items[i].end, sc.items[i].mbase = v.start, end, v.mbase
		return true
	}
	if len(sc.items) >= maxLazyKeys {
		return false // not a session: the decoder's dict is the better index
	}
	sc.items = append(sc.items, lazyItem{key: key, koff: koff, start: v.start, end: end, mbase: v.mbase})
	switch {
	case sc.index != nil:
		sc.index[key] = int32(len(sc.items) - 1)
	case len(sc.items) > 32:
		sc.index = make(map[string]int32, 64)
		for j := range sc.items {
			sc.index[sc.items[j].key] = int32(j)
		}
	}
	return true
}

// maxLazyKeys is the most top-level keys DecodeLazy indexes itself.
const maxLazyKeys = 1 << 16

// finish checks the memory bound and makes the LazyDict, copying what it keeps.
func (sc *scanner) finish(c *Codec, data []byte, proto, stop int, owned bool) (*LazyDict, bool) {
	// The decoder's stack and memo start with room for 64 entries, and grow twofold.
	sc.bound += boundFixed(len(data)) + int64(9*sizeEntry/2)*int64(max(sc.peakStack-64, 0)+max(len(sc.memo)-64, 0)) + int64(5*16*sc.peakMarks)
	if sc.bound > c.memoryBudget(len(data))-int64(len(data)) {
		return nil, false
	}
	// One allocation for the LazyDict and its first items, the common case of a session.
	blk := new(lazyBlock)
	l := &blk.l
	*l = LazyDict{c: c, proto: proto, stop: stop, frame: -1, nmemo: len(sc.memo), bound: sc.bound + int64(len(data))}
	if sc.sawFrame >= 0 && sc.frameEnd > stop {
		l.frame, l.frameEnd = sc.sawFrame, sc.frameEnd
	}
	if owned {
		l.buf = data
	} else {
		l.buf = make([]byte, len(data))
		copy(l.buf, data)
	}
	if len(sc.items) <= len(blk.items) {
		l.items = blk.items[:len(sc.items):len(sc.items)]
	} else {
		l.items = make([]lazyItem, len(sc.items))
	}
	for i, it := range sc.items {
		if len(it.key) > 0 {
			it.key = unsafe.String(&l.buf[it.koff], len(it.key))
		}
		l.items[i] = it
	}
	if len(l.items) > 16 {
		l.index = make(map[string]int32, len(l.items))
		for i := range l.items {
			l.index[l.items[i].key] = int32(i)
		}
	}
	return l, true
}

// lazyBlock is a LazyDict with room for the items of a typical session.
type lazyBlock struct {
	l     LazyDict
	items [8]lazyItem
}

// AppendItems returns the pickle of the dict after setting items (str keys), written as the
// original bytes with the items appended in a SETITEM(S) batch: CPython reads it back as the
// same dict as a whole encode of the changed dict (a key set again keeps its place, a new one
// comes last), and a later DecodeLazy reads it lazily too. Untouched values are not encoded
// again.
//
// It reports false, writing nothing, when the dict should be encoded whole instead: it was not
// read lazily, a key is not a str, the pickle's last frame runs past its STOP, or values set
// again (by this and earlier appends), and the opcodes around them, would make up more than
// half of the result. So repeated saves do not grow a pickle without bound.
func (l *LazyDict) AppendItems(items []py.Item) ([]byte, bool, error) {
	if l.items == nil || l.proto < 2 || (l.frame >= 0 && l.frameEnd != l.stop+1) {
		return nil, false, nil
	}
	changed := make(map[string]bool, len(items))
	for _, it := range items {
		k, ok := it.Key.(string)
		if !ok {
			return nil, false, nil
		}
		changed[k] = true
	}
	tail, err := l.c.encodeTail(l.proto, uint32(l.nmemo), items)
	if err != nil {
		return nil, false, err
	}
	// live is what a whole encode would take, about: the untouched items and the tail.
	live := len(tail) + 16
	for i := range l.items {
		if it := &l.items[i]; !changed[it.key] {
			live += int(it.end-it.start) + len(it.key) + 4
		}
	}
	size := l.stop + len(tail)
	if size > 2*live+64 {
		return nil, false, nil
	}
	out := make([]byte, size)
	copy(out, l.buf[:l.stop])
	copy(out[l.stop:], tail)
	if l.frame >= 0 {
		// The frame that held STOP now ends before it.
		n := binary.LittleEndian.Uint64(out[l.frame+1:])
		binary.LittleEndian.PutUint64(out[l.frame+1:], n-1)
	}
	return out, true, nil
}
