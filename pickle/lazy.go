package pickle

import (
	"encoding/binary"
	"errors"
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
// the bottom of the stack once [start, end) is decoded with memo base mbase), or the entry
// it copies (alias >= 0: a GET stored under another index).
type memoDef struct {
	start, end, mbase int32
	soff, slen        int32 // a str: its bytes; slen -1 otherwise
	depth             int32
	alias             int32
	kind              uint8
	fetched           bool
}

type memoVal struct {
	v  any
	ok bool
}

// errNotLazy is the scanner's answer for a pickle it leaves to the full decoder: outside the
// subset it reads, or one it rejects (the full decoder then reports the error it reports).
var errNotLazy = errors.New("pickle: not read lazily")

// DecodeLazy checks a pickle whole, as [Codec.Decode] does, and returns its dict with the
// values left unbuilt (see [LazyDict]). Any input Decode rejects is rejected with Decode's
// error. A pickle of anything other than a dict or an OrderedDict is rejected with a
// *[NotDictError] carrying Decode's value.
func (c *Codec) DecodeLazy(data []byte) (*LazyDict, error) {
	limit := c.MaxSize
	if limit == 0 {
		limit = DefaultMaxSize
	}
	if limit > 0 && len(data) > limit {
		return nil, &Error{Err: errPickle("input of %d bytes exceeds the limit of %d", len(data), limit)}
	}
	sc := scannerPool.Get().(*scanner)
	l, ok := sc.scan(c, data)
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
	if l.items == nil {
		v, ok := l.full.Get(key)
		return v, ok, nil
	}
	i := l.find(key)
	if i < 0 {
		return nil, false, nil
	}
	it := &l.items[i]
	if !it.built {
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

// Built reports whether the value under key has been built (by Get, or because the dict was
// decoded whole).
func (l *LazyDict) Built(key string) bool {
	if l.items == nil {
		return l.full.Has(key)
	}
	i := l.find(key)
	return i >= 0 && l.items[i].built
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
	d.left = l.c.memoryBudget(end - start)
	d.buf = l.buf[start:end]
	d.lazy, d.memoOff = l, uint32(mbase)
	d.proto = l.proto
	return d.run()
}

// memoValue returns the value of memo entry i, for a build that GETs it.
func (l *LazyDict) memoValue(i int) (any, int32, error) {
	if i >= len(l.memo) {
		return nil, 0, errPickle("memo index %d not found", i)
	}
	for n := 0; l.memo[i].alias >= 0; n++ {
		if n > len(l.memo) {
			return nil, 0, errLazyBound
		}
		i = int(l.memo[i].alias)
	}
	if l.vals == nil {
		l.vals = make([]memoVal, len(l.memo))
	}
	if mv := l.vals[i]; mv.ok {
		return mv.v, l.memo[i].depth, nil
	}
	m := &l.memo[i]
	var v any
	if m.slen >= 0 && m.kind == kStr {
		v = l.str(m.soff, m.slen) // the common case: a str key shared by many dicts
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
	return v, m.depth, nil
}

// str returns the str at buf[off:off+n], boxed, interned when the Codec interns it.
func (l *LazyDict) str(off, n int32) any {
	b := l.buf[off : off+n]
	if in := l.c.Intern; in != nil {
		for i, s := range in.strs {
			if s == string(b) {
				return in.boxed[i]
			}
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
// value's opcodes start and, for a str, where its bytes are.
type sEntry struct {
	start, mbase int32
	soff, slen   int32
	depth        int32
	memo         int32 // memo index, -1 when not memoized
	from         int32 // the memo index it was fetched from, -1
	n            int32 // a list: its length
	kind         uint8
	fetched      bool
}

type sMark struct {
	stack int32 // stack length at the MARK
	pos   int32 // offset of the MARK
	mbase int32 // memo length at the MARK
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
	dicts                int
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
	boundPair   = 4*sizeItem + indexEntry + 32
	boundItem   = 4 * sizeSlot
	boundOp     = 64
	boundDict   = 4 * sizeDict
	boundFixed  = 4096 + 2*(sizeDict+sizeItem)*slabMax + int(unsafe.Sizeof(smallSlab{}))
)

// scan checks data and returns its LazyDict, or false when the full decoder must decide.
func (sc *scanner) scan(c *Codec, data []byte) (*LazyDict, bool) {
	maxDepth := int32(c.maxDepth())
	proto := 0
	buf := data
	pos := 0
	sc.sawFrame = -1
	n := len(buf)
	for pos < n {
		op := buf[pos]
		opPos := pos
		pos++
		switch op {
		case opShortBinUnicode, opBinUnicode, opBinUnicode8, opShortBinBytes, opBinBytes, opBinBytes8:
			var size int
			switch op {
			case opShortBinUnicode, opShortBinBytes:
				size = 1
			case opBinUnicode, opBinBytes:
				size = 4
			default:
				size = 8
			}
			if n-pos < size {
				return nil, false
			}
			var l uint64
			for i := size - 1; i >= 0; i-- {
				l = l<<8 | uint64(buf[pos+i])
			}
			pos += size
			if l > uint64(n-pos) {
				return nil, false
			}
			b := buf[pos : pos+int(l)]
			kind := kBytes
			if op == opShortBinUnicode || op == opBinUnicode || op == opBinUnicode8 {
				if !ascii(b) && !utf8.Valid(b) {
					return nil, false // surrogate escapes, and errors: the decoder decides
				}
				kind = kStr
			}
			e := sc.entry(opPos, kind, 0)
			e.soff, e.slen = int32(pos), int32(l)
			if !sc.push(e) {
				return nil, false
			}
			pos += int(l)
			sc.bound += boundScalar
		case opMemoize, opBinPut, opLongBinPut:
			var i uint32
			switch op {
			case opMemoize:
				i = uint32(len(sc.memo))
			case opBinPut:
				if pos >= n {
					return nil, false
				}
				i = uint32(buf[pos])
				pos++
			default:
				if n-pos < 4 {
					return nil, false
				}
				i = binary.LittleEndian.Uint32(buf[pos:])
				pos += 4
			}
			// Only a dense memo, each index defined once, as CPython writes it.
			if int(i) != len(sc.memo) || len(sc.memo) >= maxPickleMemo || len(sc.stack)-1 < sc.floor() {
				return nil, false
			}
			t := &sc.stack[len(sc.stack)-1]
			if t.depth > 0 && t.memo >= 0 {
				return nil, false // a container memoized twice
			}
			t.memo = int32(i)
			def := memoDef{start: t.start, end: int32(pos), mbase: t.mbase, soff: t.soff, slen: t.slen,
				depth: t.depth, alias: -1, kind: t.kind}
			if t.from >= 0 {
				def.alias = t.from // a scalar fetched and stored again: the same value
			}
			sc.memo = append(sc.memo, def)
		case opBinGet, opLongBinGet:
			var i uint32
			if op == opBinGet {
				if pos >= n {
					return nil, false
				}
				i = uint32(buf[pos])
				pos++
			} else {
				if n-pos < 4 {
					return nil, false
				}
				i = binary.LittleEndian.Uint32(buf[pos:])
				pos += 4
			}
			if int(i) >= len(sc.memo) {
				return nil, false
			}
			m := &sc.memo[i]
			m.fetched = true
			e := sc.entry(opPos, m.kind, m.depth)
			e.soff, e.slen, e.memo, e.from, e.fetched = m.soff, m.slen, int32(i), int32(i), true
			if !sc.push(e) {
				return nil, false
			}
		case opBinInt1, opBinInt2, opBinInt, opBinFloat:
			w := 1
			switch op {
			case opBinInt2:
				w = 2
			case opBinInt:
				w = 4
			case opBinFloat:
				w = 8
			}
			if n-pos < w {
				return nil, false
			}
			pos += w
			if !sc.push(sc.entry(opPos, kScalar, 0)) {
				return nil, false
			}
			sc.bound += boundScalar
		case opNone, opNewTrue, opNewFalse:
			if !sc.push(sc.entry(opPos, kScalar, 0)) {
				return nil, false
			}
		case opLong1, opLong4:
			var w int
			if op == opLong1 {
				if pos >= n {
					return nil, false
				}
				w = int(buf[pos])
				pos++
			} else {
				if n-pos < 4 {
					return nil, false
				}
				w = int(int32(binary.LittleEndian.Uint32(buf[pos:])))
				pos += 4
			}
			if w < 0 || n-pos < w {
				return nil, false
			}
			pos += w
			if !sc.push(sc.entry(opPos, kScalar, 0)) {
				return nil, false
			}
			sc.bound += boundScalar + 3*int64(w) + 128
		case opEmptyDict:
			if !sc.push(sc.entry(opPos, kDict, 1)) {
				return nil, false
			}
			sc.bound += int64(boundDict)
		case opEmptyList:
			if !sc.push(sc.entry(opPos, kList, 1)) {
				return nil, false
			}
		case opEmptyTuple:
			if !sc.push(sc.entry(opPos, kTuple, 1)) {
				return nil, false
			}
		case opMark:
			if len(sc.marks) >= maxPickleStack {
				return nil, false
			}
			sc.marks = append(sc.marks, sMark{stack: int32(len(sc.stack)), pos: int32(opPos), mbase: int32(len(sc.memo))})
			sc.peakMarks = max(sc.peakMarks, len(sc.marks))
		case opTuple1, opTuple2, opTuple3, opTuple:
			var items []sEntry
			var e sEntry
			if op == opTuple {
				if len(sc.marks) == 0 {
					return nil, false
				}
				m := sc.marks[len(sc.marks)-1]
				sc.marks = sc.marks[:len(sc.marks)-1]
				items = sc.stack[m.stack:]
				sc.stack = sc.stack[:m.stack]
				e = sc.entry(int(m.pos), kTuple, 1)
				e.mbase = m.mbase
			} else {
				k := int(op-opTuple1) + 1
				if len(sc.stack)-sc.floor() < k {
					return nil, false
				}
				items = sc.stack[len(sc.stack)-k:]
				sc.stack = sc.stack[:len(sc.stack)-k]
				e = sc.entry(int(items[0].start), kTuple, 1)
				e.mbase = items[0].mbase
			}
			for i := range items {
				e.depth = max(e.depth, items[i].depth+1)
			}
			if e.depth > maxDepth {
				return nil, false
			}
			sc.bound += 2*int64(len(items)*sizeSlot+boxedSlice) + boundOp
			if !sc.push(e) {
				return nil, false
			}
		case opAppend, opAppends:
			var items []sEntry
			if op == opAppend {
				if len(sc.stack)-sc.floor() < 2 {
					return nil, false
				}
				items = sc.stack[len(sc.stack)-1:]
				sc.stack = sc.stack[:len(sc.stack)-1]
			} else {
				if len(sc.marks) == 0 {
					return nil, false
				}
				m := sc.marks[len(sc.marks)-1]
				sc.marks = sc.marks[:len(sc.marks)-1]
				items = sc.stack[m.stack:]
				sc.stack = sc.stack[:m.stack]
				if len(sc.stack)-sc.floor() < 1 {
					return nil, false
				}
			}
			t := &sc.stack[len(sc.stack)-1]
			if t.kind != kList || !sc.mutable(t) {
				return nil, false
			}
			if int64(t.n)+int64(len(items)) > maxPickleStack*8 {
				return nil, false
			}
			t.n += int32(len(items))
			for i := range items {
				if items[i].depth+1 > maxDepth {
					return nil, false
				}
				t.depth = max(t.depth, items[i].depth+1)
			}
			sc.sync(t, pos)
			sc.bound += int64(len(items))*boundItem + boundOp
		case opSetItem, opSetItems:
			var kv []sEntry
			if op == opSetItem {
				if len(sc.stack)-sc.floor() < 3 {
					return nil, false
				}
				kv = sc.stack[len(sc.stack)-2:]
				sc.stack = sc.stack[:len(sc.stack)-2]
			} else {
				if len(sc.marks) == 0 {
					return nil, false
				}
				m := sc.marks[len(sc.marks)-1]
				sc.marks = sc.marks[:len(sc.marks)-1]
				kv = sc.stack[m.stack:]
				sc.stack = sc.stack[:m.stack]
				if len(sc.stack)-sc.floor() < 1 || len(kv)%2 != 0 {
					return nil, false
				}
			}
			t := &sc.stack[len(sc.stack)-1]
			if t.kind != kDict || !sc.mutable(t) {
				return nil, false
			}
			root := len(sc.stack) == 1
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
			sc.sync(t, pos)
			sc.bound += int64(len(kv)/2)*boundPair + boundOp
			if root {
				for i := 0; i < len(kv); i += 2 {
					end := int32(opPos)
					if i+2 < len(kv) {
						end = kv[i+2].start
					}
					if !sc.addItem(buf, kv[i], kv[i+1], end) {
						return nil, false
					}
				}
			}
		case opProto:
			if pos >= n || buf[pos] > highestProtocol {
				return nil, false
			}
			proto = int(buf[pos])
			pos++
		case opFrame:
			if n-pos < 8 {
				return nil, false
			}
			f := binary.LittleEndian.Uint64(buf[pos:])
			pos += 8
			if f > uint64(n-pos) {
				return nil, false
			}
			sc.sawFrame, sc.frameEnd = opPos, pos+int(f)
		case opStop:
			if len(sc.stack) != 1 || len(sc.marks) != 0 || sc.stack[0].kind != kDict || sc.stack[0].from >= 0 {
				return nil, false
			}
			return sc.finish(c, data, proto, opPos)
		default:
			return nil, false
		}
	}
	return nil, false
}

// entry returns a new stack entry for a value whose opcodes start at start.
func (sc *scanner) entry(start int, kind uint8, depth int32) sEntry {
	return sEntry{start: int32(start), mbase: int32(len(sc.memo)), slen: -1, depth: depth, memo: -1, from: -1, kind: kind}
}

// push pushes e; false when the stack is full.
func (sc *scanner) push(e sEntry) bool {
	if len(sc.stack) >= maxPickleStack {
		return false
	}
	sc.stack = append(sc.stack, e)
	sc.peakStack = max(sc.peakStack, len(sc.stack))
	return true
}

func (sc *scanner) floor() int {
	if len(sc.marks) == 0 {
		return 0
	}
	return int(sc.marks[len(sc.marks)-1].stack)
}

// mutable is the decoder's mutable check.
func (sc *scanner) mutable(t *sEntry) bool {
	return !t.fetched && (t.memo < 0 || !sc.memo[t.memo].fetched)
}

// sync updates the memo entry of the container t, changed by the opcode that ends at end: the
// span that builds the entry now runs to there.
func (sc *scanner) sync(t *sEntry, end int) {
	if t.memo >= 0 {
		sc.memo[t.memo].depth, sc.memo[t.memo].end = t.depth, int32(end)
	}
}

// addItem records a top-level item of the root dict; the value's span ends at end. A key set
// again keeps its place and takes the new value, as in a Python dict.
func (sc *scanner) addItem(buf []byte, k, v sEntry, end int32) bool {
	key := unsafe.String(unsafe.SliceData(buf[k.soff:]), int(k.slen))
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
	sc.items = append(sc.items, lazyItem{key: key, koff: k.soff, start: v.start, end: end, mbase: v.mbase})
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
func (sc *scanner) finish(c *Codec, data []byte, proto, stop int) (*LazyDict, bool) {
	sc.bound += int64(boundFixed) + int64(9*sizeEntry/2)*int64(sc.peakStack+len(sc.memo)) + int64(5*16*sc.peakMarks)
	if sc.bound > c.memoryBudget(len(data))-int64(len(data)) {
		return nil, false
	}
	l := &LazyDict{c: c, proto: proto, stop: stop, frame: -1, nmemo: len(sc.memo), bound: sc.bound + int64(len(data))}
	if sc.sawFrame >= 0 && sc.frameEnd > stop {
		l.frame, l.frameEnd = sc.sawFrame, sc.frameEnd
	}
	l.buf = make([]byte, len(data))
	copy(l.buf, data)
	l.items = make([]lazyItem, len(sc.items))
	for i, it := range sc.items {
		if len(it.key) > 0 {
			it.key = unsafe.String(&l.buf[it.koff], len(it.key))
		}
		l.items[i] = it
	}
	if len(sc.memo) > 0 {
		l.memo = make([]memoDef, len(sc.memo))
		copy(l.memo, sc.memo)
	}
	if len(l.items) > 16 {
		l.index = make(map[string]int32, len(l.items))
		for i := range l.items {
			l.index[l.items[i].key] = int32(i)
		}
	}
	return l, true
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
