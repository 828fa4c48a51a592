package pickle

import (
	"encoding/binary"
	"errors"
	"math"
	"math/big"
	"strconv"
	"sync"
	"unicode/utf8"
	"unsafe"

	"github.com/djangobridge/bridge/py"
)

// Limits of the decoder beyond the configurable ones: they bound the memory a crafted pickle
// can make Decode use, whatever its size.
const (
	maxPickleStack = 1 << 20 // values on the unpickling stack
	maxPickleMemo  = 1 << 20 // memo entries
	maxSparseMemo  = 1 << 16 // memo indexes PUT beyond the end of the memo
)

// entry is one value on the unpickling stack or in the memo, with what the decoder tracks
// about it: its nesting depth, the memo slot it was stored in, and whether a copy of it was
// taken from the memo (after which it must not change: see decoder.mutable).
type entry struct {
	v       any
	depth   int32
	memoIdx int32 // -1 when not memoized
	fetched bool
}

// decoder holds the state of one Decode call.
type decoder struct {
	c        *Codec
	buf      []byte // a private copy of the input; strings and bytes values point into it
	pos      int
	op       byte
	opPos    int
	proto    int
	maxDepth int32
	stack    []entry
	marks    []int
	memo     []entry
	sparse   map[uint32]entry
	pending  int       // NEWOBJ'd objects of built-in classes still waiting for their BUILD
	sessUsed uint8     // the interned strs already decoded
	dicts    []py.Dict // a slab the decoder's dicts are carved from
	items    []py.Item // a slab dict items are carved from
	// Span mode (LazyDict's builds): buf is the bytes of one value inside a validated pickle,
	// decoding stops at its end with the value at the bottom of the stack, memo[0] is the
	// pickle's memo index memoOff, and GETs below memoOff are resolved by lazy.
	lazy    *LazyDict
	memoOff uint32
	// stackPaid, memoPaid and marksPaid are the capacities of the stack, memo and marks the
	// budget has paid for: every Decode starts from the pool's first capacities (initialStack,
	// ...) and pays for each growth past them, whatever the capacity of the pooled decoder it
	// got, so that whether an input fits its budget does not depend on the pool.
	stackPaid, memoPaid, marksPaid int
	// left is what the decoder may still allocate (see Codec.MaxMemory); every allocation
	// is charged to it, at its size, when it is made. It goes below zero by at most one
	// value's charge before the next opcode fails (the fast paths of run and step check it).
	left int64
}

// Decode decodes one pickle, of any protocol from 0 to 5, into the Go value model described in
// the package documentation. Bytes after the STOP opcode are ignored, as Python does.
//
// Every error caused by the input is a [*Error] or a [*ForbiddenGlobalError], and
// matches ErrCorrupt. Decode does not panic on any input.
func (c *Codec) Decode(data []byte) (any, error) {
	limit := c.MaxSize
	if limit == 0 {
		limit = DefaultMaxSize
	}
	if limit > 0 && len(data) > limit {
		return nil, &Error{Err: errPickle("input of %d bytes exceeds the limit of %d", len(data), limit)}
	}
	d := decoderPool.Get().(*decoder)
	defer d.release()
	d.c, d.maxDepth = c, int32(c.maxDepth())
	d.stackPaid, d.memoPaid, d.marksPaid = initialStack, initialMemo, initialMarks
	d.left = c.memoryBudget(len(data)) - int64(len(data))
	buf := make([]byte, len(data))
	copy(buf, data) // with the make: one allocation, not zeroed first
	d.buf = buf
	v, err := d.run()
	if chargeHook != nil {
		chargeHook(c.memoryBudget(len(data)) - d.left)
	}
	if err != nil {
		var fg *ForbiddenGlobalError
		if errors.As(err, &fg) {
			return nil, err
		}
		return nil, &Error{Offset: int64(d.opPos), Opcode: d.op, Err: err}
	}
	return v, nil
}

// decoderPool keeps decoders so that their stack, marks and memo are reused across calls.
var decoderPool = sync.Pool{New: func() any {
	return &decoder{stack: make([]entry, 0, initialStack), marks: make([]int, 0, initialMarks), memo: make([]entry, 0, initialMemo)}
}}

// The capacities of a new decoder's stack, memo and marks: what every Decode may use without
// paying for it from its budget (see decoder.stackPaid).
const (
	initialStack = 64
	initialMemo  = 64
	initialMarks = 16
)

// release clears the decoder (dropping its references to the decoded values) and pools it,
// unless it grew large.
func (d *decoder) release() {
	if cap(d.stack) > 1<<12 || cap(d.memo) > 1<<14 || cap(d.marks) > 1<<10 {
		return
	}
	// The stack and memo are not cleared: their stale entries are never read (everything is
	// written before it is read), and sync.Pool drops pooled decoders within two GC cycles, so
	// they keep the last decoded values reachable only briefly. Clearing them cost a tenth of
	// the time of decoding a typical session. The slabs belong to the values returned; they are
	// not reused.
	*d = decoder{stack: d.stack[:0], marks: d.marks[:0], memo: d.memo[:0]}
	decoderPool.Put(d)
}

func (c *Codec) maxDepth() int {
	if c.MaxDepth <= 0 {
		return DefaultMaxDepth
	}
	return c.MaxDepth
}

func (d *decoder) run() (any, error) {
	buf := d.buf
	pos := d.pos
	for {
		if pos >= len(buf) {
			d.op, d.opPos = 0, pos
			if d.lazy != nil && len(d.stack) > 0 {
				return d.stack[0].v, nil // the end of a span
			}
			return nil, errTruncated
		}
		op := buf[pos]
		// Fast paths for the opcodes that make up most of a session pickle. Each handles only
		// the case where nothing can fail and nothing needs to grow past a limit; anything else
		// (a short input, a full stack, a sparse memo, invalid UTF-8, ...) falls through to
		// step, which does the same work with every check and reports the error.
		switch op {
		case opShortBinUnicode:
			if pos+1 < len(buf) {
				end := pos + 2 + int(buf[pos+1])
				if end <= len(buf) && d.stackRoom() && d.left >= 0 {
					if b := buf[pos+2 : end]; ascii(b) || utf8.Valid(b) {
						d.left -= boxedStr
						d.pushFast(entry{v: d.boxStr(b), memoIdx: -1})
						pos = end
						continue
					}
				}
			}
		case opMemoize:
			if d.memoPutFast(len(d.memo)) {
				pos++
				continue
			}
		case opBinPut:
			if pos+1 < len(buf) && d.memoOff == 0 && d.memoPutFast(int(buf[pos+1])) {
				pos += 2
				continue
			}
		case opBinGet:
			if pos+1 < len(buf) && d.memoOff == 0 {
				if i := int(buf[pos+1]); i < len(d.memo) && d.stackRoom() {
					m := &d.memo[i]
					m.fetched = true
					e := *m
					e.memoIdx = int32(i)
					d.pushFast(e)
					pos += 2
					continue
				}
			}
		case opBinInt1:
			if pos+1 < len(buf) && d.stackRoom() {
				d.pushFast(entry{v: int64(buf[pos+1]), memoIdx: -1})
				pos += 2
				continue
			}
		case opBinInt2:
			if pos+2 < len(buf) && d.stackRoom() && d.left >= 0 {
				d.left -= boxedWord
				d.pushFast(entry{v: int64(binary.LittleEndian.Uint16(buf[pos+1:])), memoIdx: -1})
				pos += 3
				continue
			}
		case opBinInt:
			if pos+4 < len(buf) && d.stackRoom() && d.left >= 0 {
				d.left -= boxedWord
				d.pushFast(entry{v: int64(int32(binary.LittleEndian.Uint32(buf[pos+1:]))), memoIdx: -1})
				pos += 5
				continue
			}
		case opNewTrue:
			if d.stackRoom() {
				d.pushFast(entry{v: true, memoIdx: -1})
				pos++
				continue
			}
		case opNewFalse:
			if d.stackRoom() {
				d.pushFast(entry{v: false, memoIdx: -1})
				pos++
				continue
			}
		case opNone:
			if d.stackRoom() {
				d.pushFast(entry{memoIdx: -1})
				pos++
				continue
			}
		case opEmptyDict:
			if d.stackRoom() && d.left >= 0 {
				d.pushFast(entry{v: d.newDict(), depth: 1, memoIdx: -1})
				pos++
				continue
			}
		case opMark:
			if len(d.marks) < d.marksPaid && len(d.marks) < maxPickleStack && d.left >= 0 {
				d.marks = append(d.marks, len(d.stack))
				pos++
				continue
			}
		case opStop:
			d.op, d.opPos = op, pos
			if d.left < 0 {
				return nil, d.overBudget()
			}
			if len(d.stack) != 1 || len(d.marks) != 0 {
				return nil, errPickle("STOP with %d values and %d marks on the stack", len(d.stack), len(d.marks))
			}
			if d.pending != 0 {
				return nil, errPickle("an object of a built-in class never received its state")
			}
			return d.stack[0].v, nil
		}
		d.op, d.opPos, d.pos = op, pos, pos+1
		if err := d.step(); err != nil {
			return nil, err
		}
		pos = d.pos
	}
}

// ascii reports whether b is all ASCII, as most str values of a session are: a quicker test
// than utf8.Valid for short strings, reading 8 or 4 bytes at a time (overlapping at the end).
func ascii(b []byte) bool {
	const hi = 0x8080808080808080
	n := len(b)
	switch {
	case n >= 8:
		acc := binary.LittleEndian.Uint64(b[n-8:])
		for i := 0; i+8 <= n; i += 8 {
			acc |= binary.LittleEndian.Uint64(b[i:])
		}
		return acc&hi == 0
	case n >= 4:
		return (binary.LittleEndian.Uint32(b)|binary.LittleEndian.Uint32(b[n-4:]))&0x80808080 == 0
	case n > 0:
		return (b[0]|b[n/2]|b[n-1])&0x80 == 0
	}
	return true
}

// boxStr returns the str b as an any: one of the Codec's interned strs, or a new string
// sharing the decoder's copy of the input.
func (d *decoder) boxStr(b []byte) any {
	if in := d.c.Intern; in != nil && len(b) < len(in.byLen) && in.byLen[len(b)]&^d.sessUsed != 0 {
		if i := d.sessionStr(b); i >= 0 {
			return in.boxed[i]
		}
	}
	return d.str(b)
}

// sessionStr returns the index in the Codec's Interner of the str b, when it is one not yet
// decoded in this call (and marks it decoded), or -1.
func (d *decoder) sessionStr(b []byte) int {
	in := d.c.Intern
	if in == nil {
		return -1
	}
	i := in.find(b, d.sessUsed)
	if i >= 0 {
		d.sessUsed |= 1 << i
	}
	return i
}

// stackRoom reports whether one more value fits on the stack without growing it.
func (d *decoder) stackRoom() bool {
	return len(d.stack) < d.stackPaid && len(d.stack) < maxPickleStack // cap(d.stack) >= d.stackPaid
}

// pushFast pushes e onto a stack that has room for it (see stackRoom).
func (d *decoder) pushFast(e entry) {
	n := len(d.stack)
	d.stack = d.stack[:n+1]
	d.stack[n] = e
}

// memoPutFast is memoPut(i) for the common case, the memoization of the value on top of the
// stack at the end of a dense memo; it reports false, doing nothing, in any other case.
func (d *decoder) memoPutFast(i int) bool {
	t := len(d.stack) - 1
	if i != len(d.memo) || i >= d.memoPaid || i >= maxPickleMemo || d.sparse != nil || t < d.floor() {
		return false
	}
	e := &d.stack[t]
	if e.depth > 0 && e.memoIdx >= 0 {
		return false
	}
	e.memoIdx = int32(i)
	d.memo = d.memo[:i+1]
	d.memo[i] = entry{v: e.v, depth: e.depth, memoIdx: -1}
	return true
}

// step executes the opcode d.op.
func (d *decoder) step() error {
	if d.left < 0 {
		return d.overBudget()
	}
	switch d.op {
	case opProto:
		b, err := d.readByte()
		if err != nil {
			return err
		}
		if b > highestProtocol {
			return errPickle("unsupported protocol %d", b)
		}
		d.proto = int(b)
		return nil
	case opFrame:
		n, err := d.readUint(8)
		if err != nil {
			return err
		}
		if n > uint64(len(d.buf)-d.pos) && d.lazy == nil { // a span may end inside a frame
			return errPickle("frame of %d bytes exceeds the input", n)
		}
		return nil // frames are a buffering hint; the data follows inline
	case opMark:
		if len(d.marks) >= maxPickleStack {
			return errPickle("too many marks")
		}
		if len(d.marks) >= d.marksPaid {
			n := 2 * d.marksPaid
			if !d.afford(heapSize(8 * n)) {
				return d.overBudget()
			}
			if cap(d.marks) < n {
				d.marks = growSlice(d.marks, n)
			}
			d.charge(heapSize(8 * n))
			d.marksPaid = n
		}
		d.marks = append(d.marks, len(d.stack))
		return nil
	case opPop:
		if len(d.stack) > 0 && (len(d.marks) == 0 || d.marks[len(d.marks)-1] < len(d.stack)) {
			d.stack = d.stack[:len(d.stack)-1]
			return nil
		}
		if len(d.marks) > 0 && d.marks[len(d.marks)-1] == len(d.stack) {
			d.marks = d.marks[:len(d.marks)-1] // POP of a mark, as CPython allows
			return nil
		}
		return errStackUnderflow
	case opPopMark:
		_, err := d.popMark()
		return err
	case opDup:
		// The copy is the same object, as in CPython: a container DUP'd is referenced twice,
		// so neither copy may change after (see mutable), as after a memo GET.
		top, err := d.top()
		if err != nil {
			return err
		}
		if top.depth > 0 {
			d.stack[len(d.stack)-1].fetched = true
			top.fetched = true
		}
		return d.push(top)

	// Scalars.
	case opNone:
		return d.pushValue(nil)
	case opNewTrue:
		return d.pushValue(true)
	case opNewFalse:
		return d.pushValue(false)
	case opBinInt1:
		b, err := d.readByte()
		if err != nil {
			return err
		}
		return d.pushValue(int64(b))
	case opBinInt2:
		n, err := d.readUint(2)
		if err != nil {
			return err
		}
		return d.pushValue(int64(n))
	case opBinInt:
		n, err := d.readUint(4)
		if err != nil {
			return err
		}
		return d.pushValue(int64(int32(uint32(n))))
	case opLong1:
		n, err := d.readByte()
		if err != nil {
			return err
		}
		return d.long(uint64(n))
	case opLong4:
		n, err := d.readUint(4)
		if err != nil {
			return err
		}
		if int32(uint32(n)) < 0 {
			return errPickle("LONG4 with a negative length")
		}
		return d.long(n)
	case opInt:
		line, err := d.readLine()
		if err != nil {
			return err
		}
		switch string(line) {
		case "01":
			return d.pushValue(true)
		case "00":
			return d.pushValue(false)
		}
		v, err := parsePyInt(line, false)
		if err != nil {
			return err
		}
		return d.pushValue(v)
	case opLong:
		line, err := d.readLine()
		if err != nil {
			return err
		}
		v, err := parsePyInt(line, true)
		if err != nil {
			return err
		}
		return d.pushValue(v)
	case opBinFloat:
		n, err := d.readN(8)
		if err != nil {
			return err
		}
		return d.pushValue(math.Float64frombits(binary.BigEndian.Uint64(n)))
	case opFloat:
		line, err := d.readLine()
		if err != nil {
			return err
		}
		f, err := parsePyFloat(string(line))
		if err != nil {
			return err
		}
		return d.pushValue(f)

	// Strings and bytes.
	case opShortBinUnicode, opBinUnicode, opBinUnicode8:
		b, err := d.readSized(d.op)
		if err != nil {
			return err
		}
		if !utf8.Valid(b) && !py.ValidSurrogatePass(b) {
			return errPickle("str is not valid UTF-8")
		}
		return d.pushValue(d.str(b))
	case opShortBinString, opBinString:
		b, err := d.readSized(d.op)
		if err != nil {
			return err
		}
		return d.py2str(b)
	case opShortBinBytes, opBinBytes, opBinBytes8:
		b, err := d.readSized(d.op)
		if err != nil {
			return err
		}
		return d.pushValue(b[:len(b):len(b)])
	case opByteArray8:
		b, err := d.readSized(d.op)
		if err != nil {
			return err
		}
		return d.pushValue(py.ByteArray(b[:len(b):len(b)]))
	case opString:
		line, err := d.readLine()
		if err != nil {
			return err
		}
		d.charge(len(line))
		b, err := unquotePyString(line)
		if err != nil {
			return err
		}
		return d.py2str(b)
	case opUnicode:
		line, err := d.readLine()
		if err != nil {
			return err
		}
		d.charge(4 * len(line)) // at most 4 bytes of UTF-8 per byte of input
		s, err := rawUnicodeEscape(line)
		if err != nil {
			return err
		}
		return d.pushValue(s)

	// Containers.
	case opEmptyDict:
		return d.push(entry{v: d.newDict(), depth: 1, memoIdx: -1})
	case opEmptyList:
		return d.push(entry{v: emptyList, depth: 1, memoIdx: -1})
	case opEmptyTuple:
		return d.push(entry{v: emptyTuple, depth: 1, memoIdx: -1})
	case opEmptySet:
		d.charge(sizeSet)
		return d.push(entry{v: &py.Set{}, depth: 1, memoIdx: -1})
	case opTuple1, opTuple2, opTuple3:
		n := int(d.op-opTuple1) + 1
		if len(d.stack)-d.floor() < n {
			return errStackUnderflow
		}
		items := d.stack[len(d.stack)-n:]
		d.charge(n*sizeSlot + boxedSlice)
		t := make(py.Tuple, n)
		depth := int32(1)
		for i := range items {
			t[i] = items[i].v
			depth = max(depth, items[i].depth+1)
		}
		d.stack = d.stack[:len(d.stack)-n]
		return d.pushContainer(t, depth)
	case opTuple:
		items, err := d.popMark()
		if err != nil {
			return err
		}
		if len(items) == 0 {
			return d.pushContainer(emptyTuple, 1)
		}
		d.charge(len(items)*sizeSlot + boxedSlice)
		t := make(py.Tuple, len(items))
		depth := int32(1)
		for i := range items {
			t[i] = items[i].v
			depth = max(depth, items[i].depth+1)
		}
		return d.pushContainer(t, depth)
	case opList:
		items, err := d.popMark()
		if err != nil {
			return err
		}
		if len(items) == 0 {
			return d.pushContainer(emptyList, 1)
		}
		d.charge(len(items)*sizeSlot + boxedSlice)
		l := make([]any, len(items))
		depth := int32(1)
		for i := range items {
			l[i] = items[i].v
			depth = max(depth, items[i].depth+1)
		}
		return d.pushContainer(l, depth)
	case opDict:
		items, err := d.popMark()
		if err != nil {
			return err
		}
		if len(items)%2 != 0 {
			return errPickle("DICT with an odd number of items")
		}
		if !d.afford(heapSize(sizeItem*len(items)/2) + indexCost(len(items)/2)) {
			return d.overBudget()
		}
		dict := d.newDict()
		dict.UseBuffer(d.newItems(len(items) / 2))
		d.charge(heapSize(dict.Grow(len(items) / 2)))
		depth := int32(1)
		for i := 0; i < len(items); i += 2 {
			if err := dict.SetKey(items[i].v, items[i+1].v); err != nil {
				return err
			}
			depth = max(depth, items[i].depth+1, items[i+1].depth+1)
		}
		return d.pushContainer(dict, depth)
	case opFrozenSet:
		items, err := d.popMark()
		if err != nil {
			return err
		}
		if !d.afford(sizeSet + heapSize(sizeSlot*len(items)) + indexCost(len(items))) {
			return d.overBudget()
		}
		fs := &py.FrozenSet{}
		d.charge(sizeSet + heapSize(fs.Grow(len(items))))
		depth := int32(1)
		for i := range items {
			if err := fs.Add(items[i].v); err != nil {
				return err
			}
			depth = max(depth, items[i].depth+1)
		}
		return d.pushContainer(fs, depth)
	case opAppend:
		if len(d.stack)-d.floor() < 2 {
			return errStackUnderflow
		}
		item := d.stack[len(d.stack)-1]
		d.stack = d.stack[:len(d.stack)-1]
		return d.appendItems(&d.stack[len(d.stack)-1], []entry{item})
	case opAppends:
		items, err := d.popMark()
		if err != nil {
			return err
		}
		if len(d.stack)-d.floor() < 1 {
			return errStackUnderflow
		}
		return d.appendItems(&d.stack[len(d.stack)-1], items)
	case opSetItem:
		if len(d.stack)-d.floor() < 3 {
			return errStackUnderflow
		}
		kv := d.stack[len(d.stack)-2:]
		d.stack = d.stack[:len(d.stack)-2]
		return d.setItems(&d.stack[len(d.stack)-1], kv)
	case opSetItems:
		items, err := d.popMark()
		if err != nil {
			return err
		}
		if len(d.stack)-d.floor() < 1 {
			return errStackUnderflow
		}
		if len(items)%2 != 0 {
			return errPickle("SETITEMS with an odd number of items")
		}
		return d.setItems(&d.stack[len(d.stack)-1], items)
	case opAddItems:
		items, err := d.popMark()
		if err != nil {
			return err
		}
		if len(d.stack)-d.floor() < 1 {
			return errStackUnderflow
		}
		t := &d.stack[len(d.stack)-1]
		s, ok := t.v.(*py.Set)
		if !ok {
			return errPickle("ADDITEMS on a %s", py.TypeName(t.v))
		}
		if err := d.mutable(t); err != nil {
			return err
		}
		if n := s.Len() + len(items); !d.afford(heapSize(sizeSlot*2*n) + indexCost(n)) {
			return d.overBudget()
		}
		d.charge(heapSize(s.Grow(len(items))))
		for i := range items {
			if err := s.Add(items[i].v); err != nil {
				return err
			}
			if err := d.deepen(t, items[i].depth+1); err != nil {
				return err
			}
		}
		return nil

	// Memo.
	case opMemoize:
		return d.memoPut(d.memoOff + uint32(len(d.memo)))
	case opBinPut:
		b, err := d.readByte()
		if err != nil {
			return err
		}
		return d.memoPut(uint32(b))
	case opLongBinPut:
		n, err := d.readUint(4)
		if err != nil {
			return err
		}
		return d.memoPut(uint32(n))
	case opPut:
		line, err := d.readLine()
		if err != nil {
			return err
		}
		n, err := strconv.ParseUint(string(line), 10, 32)
		if err != nil {
			return errPickle("bad PUT index %q", line)
		}
		return d.memoPut(uint32(n))
	case opBinGet:
		b, err := d.readByte()
		if err != nil {
			return err
		}
		return d.memoGet(uint32(b))
	case opLongBinGet:
		n, err := d.readUint(4)
		if err != nil {
			return err
		}
		return d.memoGet(uint32(n))
	case opGet:
		line, err := d.readLine()
		if err != nil {
			return err
		}
		n, err := strconv.ParseUint(string(line), 10, 32)
		if err != nil {
			return errPickle("bad GET index %q", line)
		}
		return d.memoGet(uint32(n))

	// Globals and objects.
	case opGlobal:
		mod, err := d.readLine()
		if err != nil {
			return err
		}
		name, err := d.readLine()
		if err != nil {
			return err
		}
		g, err := d.global(string(mod), string(name))
		if err != nil {
			return err
		}
		return d.pushValue(g)
	case opStackGlobal:
		if len(d.stack)-d.floor() < 2 {
			return errStackUnderflow
		}
		mod, ok1 := d.stack[len(d.stack)-2].v.(string)
		name, ok2 := d.stack[len(d.stack)-1].v.(string)
		if !ok1 || !ok2 {
			return errPickle("STACK_GLOBAL needs two str")
		}
		d.stack = d.stack[:len(d.stack)-2]
		g, err := d.global(mod, name)
		if err != nil {
			return err
		}
		return d.pushValue(g)
	case opReduce:
		if len(d.stack)-d.floor() < 2 {
			return errStackUnderflow
		}
		fn, args := d.stack[len(d.stack)-2], d.stack[len(d.stack)-1]
		d.stack = d.stack[:len(d.stack)-2]
		g, ok := fn.v.(py.Global)
		if !ok {
			return errPickle("REDUCE of a %s, not a global", py.TypeName(fn.v))
		}
		t, ok := args.v.(py.Tuple)
		if !ok {
			return errPickle("REDUCE arguments are a %s, not a tuple", py.TypeName(args.v))
		}
		v, err := d.reduce(g, t)
		if err != nil {
			return err
		}
		d.charge(reducedCost(v))
		// The depth of the value, not of the pickle's call: the same for every protocol.
		var depth int32
		switch v.(type) {
		case *py.Object:
			depth = max(1, args.depth)
		case *py.Set, *py.FrozenSet:
			depth = max(1, args.depth-1) // set([items]): the depth of the list
		case *py.OrderedDict:
			depth = 1
		}
		return d.pushContainer(v, depth)
	case opNewObj, opNewObjEx:
		var kw entry
		if d.op == opNewObjEx {
			if len(d.stack)-d.floor() < 3 {
				return errStackUnderflow
			}
			kw = d.stack[len(d.stack)-1]
			d.stack = d.stack[:len(d.stack)-1]
		}
		if len(d.stack)-d.floor() < 2 {
			return errStackUnderflow
		}
		cls, args := d.stack[len(d.stack)-2], d.stack[len(d.stack)-1]
		d.stack = d.stack[:len(d.stack)-2]
		g, ok := cls.v.(py.Global)
		if !ok {
			return errPickle("%s of a %s, not a class", opName(d.op), py.TypeName(cls.v))
		}
		t, ok := args.v.(py.Tuple)
		if !ok {
			return errPickle("%s arguments are a %s, not a tuple", opName(d.op), py.TypeName(args.v))
		}
		d.charge(sizeObject)
		o := &py.Object{Global: g, How: "newobj", Args: t}
		depth := max(1, args.depth)
		if d.op == opNewObjEx {
			kwd, ok := kw.v.(*py.Dict)
			if !ok {
				return errPickle("NEWOBJ_EX keyword arguments are a %s, not a dict", py.TypeName(kw.v))
			}
			o.How, o.Kwargs = "newobj_ex", kwd
			depth = max(depth, kw.depth)
		}
		switch {
		case d.c.allows(g):
		case g == gUUID && len(t) == 0 && o.Kwargs == nil:
			d.pending++
		default:
			return errPickle("%s of %s is not supported", opName(d.op), g)
		}
		return d.pushContainer(o, depth)
	case opBuild:
		if len(d.stack)-d.floor() < 2 {
			return errStackUnderflow
		}
		state := d.stack[len(d.stack)-1]
		d.stack = d.stack[:len(d.stack)-1]
		return d.build(&d.stack[len(d.stack)-1], state)
	case opInst, opObj:
		return d.inst()

	// Rejected.
	case opPersID, opBinPersID:
		return errPickle("persistent IDs are not supported")
	case opExt1, opExt2, opExt4:
		return errPickle("the extension registry is not supported")
	case opNextBuffer, opReadOnlyBuffer:
		return errPickle("out-of-band buffers are not supported")
	}
	return errPickle("unknown opcode")
}

var errStackUnderflow = errors.New("stack underflow")

// floor is the stack index below which the current mark protects the values.
func (d *decoder) floor() int {
	if len(d.marks) == 0 {
		return 0
	}
	return d.marks[len(d.marks)-1]
}

func (d *decoder) push(e entry) error {
	if len(d.stack) >= maxPickleStack {
		return errPickle("stack exceeds %d values", maxPickleStack)
	}
	if len(d.stack) >= d.stackPaid {
		n := d.growTo(len(d.stack), 1)
		if !d.afford(heapSize(sizeEntry * n)) {
			return d.overBudget()
		}
		if cap(d.stack) < n {
			d.stack = growSlice(d.stack, n)
		}
		d.charge(heapSize(sizeEntry * n))
		d.stackPaid = n
	}
	d.stack = append(d.stack, e)
	return nil
}

// pushValue pushes a scalar, charging what boxing it costs.
func (d *decoder) pushValue(v any) error {
	d.charge(boxCost(v))
	return d.push(entry{v: v, memoIdx: -1})
}

func (d *decoder) pushContainer(v any, depth int32) error {
	if depth > d.maxDepth {
		return errPickle("nesting deeper than %d", d.maxDepth)
	}
	return d.push(entry{v: v, depth: depth, memoIdx: -1})
}

func (d *decoder) top() (entry, error) {
	if len(d.stack)-d.floor() < 1 {
		return entry{}, errStackUnderflow
	}
	return d.stack[len(d.stack)-1], nil
}

func (d *decoder) popMark() ([]entry, error) {
	if len(d.marks) == 0 {
		return nil, errPickle("no MARK on the stack")
	}
	m := d.marks[len(d.marks)-1]
	d.marks = d.marks[:len(d.marks)-1]
	items := d.stack[m:]
	d.stack = d.stack[:m]
	return items, nil
}

// mutable checks that the container at t may still change: a container some other value
// already refers to (a copy was taken from the memo) must not, because Go slices would not see
// the change, and because that is how recursive structures, which this package does not
// support, are built.
func (d *decoder) mutable(t *entry) error {
	if t.fetched || (t.memoIdx >= 0 && d.memoFetched(t.memoIdx)) {
		return errPickle("a %s is modified after being referenced (recursive structures are not supported)", py.TypeName(t.v))
	}
	return nil
}

// deepen records that the container at t now holds a value of the given depth.
func (d *decoder) deepen(t *entry, depth int32) error {
	if depth > d.maxDepth {
		return errPickle("nesting deeper than %d", d.maxDepth)
	}
	if depth > t.depth {
		t.depth = depth
	}
	return nil
}

// sync updates the memo slot of the container at t after it changed.
func (d *decoder) sync(t *entry) {
	if t.memoIdx < 0 {
		return
	}
	if int(t.memoIdx) < len(d.memo) {
		d.memo[t.memoIdx].v, d.memo[t.memoIdx].depth = t.v, t.depth
	} else if e, ok := d.sparse[uint32(t.memoIdx)]; ok {
		e.v, e.depth = t.v, t.depth
		d.sparse[uint32(t.memoIdx)] = e
	}
}

func (d *decoder) appendItems(t *entry, items []entry) error {
	if err := d.mutable(t); err != nil {
		return err
	}
	switch l := t.v.(type) {
	case []any:
		if len(l)+len(items) > maxPickleStack*8 {
			return errPickle("list too long")
		}
		if cap(l)-len(l) < len(items) {
			// Grow at least twofold, so that batch after batch each item is copied a bounded
			// number of times (append grows large slices by a quarter).
			n := d.growTo(len(l), len(items))
			if !d.afford(heapSize(sizeSlot * n)) {
				return d.overBudget()
			}
			l = growSlice(l, n)
			d.charge(heapSize(sizeSlot * n))
		}
		d.charge(boxedSlice) // t.v = l boxes the slice anew
		for i := range items {
			if err := d.deepen(t, items[i].depth+1); err != nil {
				return err
			}
			l = append(l, items[i].v)
		}
		t.v = l
	case *py.Object:
		if !d.c.objectAllowed(l) {
			return errPickle("APPENDS on %s is not supported", l.Global)
		}
		d.charge(2 * sizeSlot * len(items))
		for i := range items {
			if err := d.deepen(t, items[i].depth+1); err != nil {
				return err
			}
			l.ListItems = append(l.ListItems, items[i].v)
		}
	default:
		return errPickle("APPEND to a %s", py.TypeName(t.v))
	}
	d.sync(t)
	return nil
}

func (d *decoder) setItems(t *entry, kv []entry) error {
	if err := d.mutable(t); err != nil {
		return err
	}
	var dict *py.Dict
	switch x := t.v.(type) {
	case *py.Dict:
		dict = x
	case *py.OrderedDict:
		dict = &x.Dict
	case *py.Object:
		if !d.c.objectAllowed(x) {
			return errPickle("SETITEMS on %s is not supported", x.Global)
		}
		d.charge(2 * sizeItem * len(kv) / 2)
		for i := 0; i < len(kv); i += 2 {
			if err := d.deepen(t, max(kv[i].depth, kv[i+1].depth)+1); err != nil {
				return err
			}
			x.DictItems = append(x.DictItems, [2]any{kv[i].v, kv[i+1].v})
		}
		d.sync(t)
		return nil
	default:
		return errPickle("SETITEM on a %s", py.TypeName(t.v))
	}
	if n := len(dict.Items()) + len(kv)/2; !d.afford(heapSize(sizeItem*2*n) + indexCost(n)) {
		return d.overBudget()
	}
	if cap(dict.Items()) == 0 {
		dict.UseBuffer(d.newItems(len(kv) / 2))
	}
	d.charge(heapSize(dict.Grow(len(kv) / 2)))
	depth := t.depth
	for i := range kv {
		depth = max(depth, kv[i].depth+1)
	}
	if depth > d.maxDepth {
		// Report the first item too deep, or an unhashable key before it, in the order
		// Python would meet them.
		for i := 0; i < len(kv); i += 2 {
			if err := d.deepen(t, max(kv[i].depth, kv[i+1].depth)+1); err != nil {
				return err
			}
			if err := dict.SetKey(kv[i].v, kv[i+1].v); err != nil {
				return err
			}
		}
	}
	t.depth = depth
	if len(dict.Items()) < 8 {
		kv = kv[setSmallStrs(dict, kv):]
	}
	for i := 0; i < len(kv); i += 2 {
		if s, ok := kv[i].v.(string); ok {
			dict.SetStr(s, kv[i].v, kv[i+1].v)
			continue
		}
		if err := dict.SetKey(kv[i].v, kv[i+1].v); err != nil {
			return err
		}
	}
	d.sync(t)
	return nil
}

// setSmallStrs sets the leading str-keyed pairs of kv on dict while it has fewer than 8
// items, as SetStr would one by one, and returns how many entries of kv
// it consumed. It tells keys apart by a signature (length, first and last byte) kept in
// registers and on the stack, before comparing whole strings.
func setSmallStrs(dict *py.Dict, kv []entry) int {
	var sigs [8]uint64
	var keys [8]string
	items := dict.Items()
	m := len(items)
	for i := range m {
		if k, ok := items[i].Key.(string); ok {
			sigs[i], keys[i] = strSig(k), k
		} else {
			sigs[i] = math.MaxUint64 // matches no str
		}
	}
	j := 0
	for ; j+1 < len(kv) && m < 8; j += 2 {
		k, ok := kv[j].v.(string)
		if !ok {
			break
		}
		sig := strSig(k)
		found := false
		for i := range m {
			if sigs[i] == sig && keys[i] == k {
				dict.Items()[i].Value = kv[j+1].v
				found = true
				break
			}
		}
		if !found {
			dict.AppendNew(k, kv[j].v, kv[j+1].v)
			sigs[m], keys[m] = sig, k
			m++
		}
	}
	return j
}

// strSig is a signature of s: equal strings have equal signatures.
func strSig(s string) uint64 {
	if len(s) == 0 {
		return 0
	}
	return uint64(len(s))<<16 | uint64(s[0])<<8 | uint64(s[len(s)-1])
}

// newDict returns an empty dict carved from the decoder's slab of dicts: one allocation for
// many small dicts.
func (d *decoder) newDict() *py.Dict {
	if len(d.dicts) == cap(d.dicts) {
		if cap(d.dicts) == 0 && cap(d.items) == 0 && len(d.buf) <= smallPickle {
			d.charge(int(unsafe.Sizeof(smallSlab{})))
			s := new(smallSlab)
			d.dicts, d.items = s.dicts[:0], s.items[:0]
		} else {
			n := d.slabSize(cap(d.dicts), 128, slabMax)
			d.charge(heapSize(sizeDict * n))
			d.dicts = make([]py.Dict, 0, n)
		}
	}
	d.dicts = d.dicts[:len(d.dicts)+1]
	return &d.dicts[len(d.dicts)-1]
}

// smallPickle is the size up to which a pickle's first dicts and their items are carved from
// one smallSlab: a typical session pickle is one dict of a few str items.
const smallPickle = 1024

type smallSlab struct {
	dicts [1]py.Dict
	items [10]py.Item
}

// slabMax is the most dicts or items a slab holds: 255 of 32 bytes and the runtime's 8-byte
// header of a large object with pointers fill its 8 KiB size class (256 would take 9.25 KiB).
const slabMax = 255

// slabSize returns the size of a new slab: twice the previous one, or for the first one, a
// guess from the input size (one element per bytesPer bytes of pickle), within [4, limit].
func (d *decoder) slabSize(prev, bytesPer, limit int) int {
	if prev == 0 {
		return min(max(len(d.buf)/bytesPer, 4), limit)
	}
	return min(2*prev, limit)
}

// newItems returns an empty slice with room for n dict items, carved from the decoder's slab
// (capped, so that appending past n reallocates instead of overwriting a neighbour).
func (d *decoder) newItems(n int) []py.Item {
	if n > slabMax {
		d.charge(heapSize(sizeItem * n))
		return make([]py.Item, 0, n)
	}
	if cap(d.items)-len(d.items) < n {
		m := max(n, d.slabSize(cap(d.items), 40, slabMax))
		d.charge(heapSize(sizeItem * m))
		d.items = make([]py.Item, 0, m)
	}
	start := len(d.items)
	d.items = d.items[:start+n]
	return d.items[start : start : start+n]
}

func (d *decoder) memoFetched(i int32) bool {
	if int(i) < len(d.memo) {
		return d.memo[i].fetched
	}
	return d.sparse[uint32(i)].fetched
}

func (d *decoder) memoPut(i uint32) error {
	if d.memoOff != 0 {
		if i < d.memoOff {
			return errPickle("memo index %d redefined inside a lazily built value", i)
		}
		i -= d.memoOff
	}
	t := len(d.stack) - 1
	if t < d.floor() {
		return errStackUnderflow
	}
	e := d.stack[t]
	if e.depth > 0 && e.memoIdx >= 0 {
		return errPickle("a container memoized twice")
	}
	if i > math.MaxInt32 {
		return errPickle("memo index %d too large", i)
	}
	d.stack[t].memoIdx = int32(i)
	m := entry{v: e.v, depth: e.depth, memoIdx: -1}
	switch {
	case int(i) < len(d.memo):
		m.fetched = d.memo[i].fetched // sticky: see mutable
		d.memo[i] = m
	case int(i) == len(d.memo):
		if len(d.memo) >= maxPickleMemo {
			return errPickle("memo exceeds %d entries", maxPickleMemo)
		}
		if len(d.memo) >= d.memoPaid {
			n := d.growTo(len(d.memo), 1)
			if !d.afford(heapSize(sizeEntry * n)) {
				return d.overBudget()
			}
			if cap(d.memo) < n {
				d.memo = growSlice(d.memo, n)
			}
			d.charge(heapSize(sizeEntry * n))
			d.memoPaid = n
		}
		if d.sparse != nil {
			if old, ok := d.sparse[i]; ok {
				m.fetched = old.fetched
				delete(d.sparse, i)
			}
		}
		d.memo = append(d.memo, m)
	default:
		if d.sparse == nil {
			d.sparse = make(map[uint32]entry)
		}
		if _, ok := d.sparse[i]; !ok {
			if len(d.sparse) >= maxSparseMemo {
				return errPickle("too many sparse memo indexes")
			}
			d.charge(sparseEntryCost)
		}
		m.fetched = d.sparse[i].fetched
		d.sparse[i] = m
	}
	return nil
}

func (d *decoder) memoGet(i uint32) error {
	var e entry
	if d.lazy != nil {
		if i < d.memoOff {
			v, depth, err := d.lazy.memoValue(int(i))
			if err != nil {
				return err
			}
			// A value from outside the span: referenced, so it may not change (see mutable).
			return d.push(entry{v: v, depth: depth, memoIdx: math.MaxInt32, fetched: true})
		}
		i -= d.memoOff
	}
	switch {
	case int(i) < len(d.memo):
		d.memo[i].fetched = true
		e = d.memo[i]
	default:
		var ok bool
		e, ok = d.sparse[i]
		if !ok {
			return errPickle("memo index %d not found", i)
		}
		e.fetched = true
		d.sparse[i] = e
	}
	e.memoIdx = int32(i)
	return d.push(e)
}

// global checks a global against the allow-list and returns it, with Python 2 names mapped
// to Python 3 ones for protocols below 3, as CPython does.
func (d *decoder) global(mod, name string) (py.Global, error) {
	if d.proto < 3 {
		mod, name = py2to3(mod, name)
	}
	g := py.Global{Module: mod, Name: name}
	if knownGlobals[g] || d.c.allows(g) {
		return py.Global{Module: d.internName(mod), Name: d.internName(name)}, nil
	}
	return py.Global{}, &ForbiddenGlobalError{Global: py.Global{Module: mod, Name: name}}
}

// internName returns mod as a string that does not keep the input alive.
func (d *decoder) internName(s string) string {
	if n, ok := internedNames[s]; ok {
		return n
	}
	return string([]byte(s))
}

func (d *decoder) inst() error {
	var mod, name string
	var cls py.Global
	if d.op == opInst {
		m, err := d.readLine()
		if err != nil {
			return err
		}
		n, err := d.readLine()
		if err != nil {
			return err
		}
		mod, name = string(m), string(n)
		g, err := d.global(mod, name)
		if err != nil {
			return err
		}
		cls = g
	}
	items, err := d.popMark()
	if err != nil {
		return err
	}
	if d.op == opObj {
		if len(items) == 0 {
			return errStackUnderflow
		}
		g, ok := items[0].v.(py.Global)
		if !ok {
			return errPickle("OBJ of a %s, not a class", py.TypeName(items[0].v))
		}
		cls, items = g, items[1:]
	}
	if !d.c.allows(cls) {
		return errPickle("%s of %s is not supported", opName(d.op), cls)
	}
	d.charge(len(items)*sizeSlot + sizeObject)
	args := make(py.Tuple, len(items))
	depth := int32(1)
	for i := range items {
		args[i] = items[i].v
		depth = max(depth, items[i].depth+1)
	}
	how := "reduce"
	if len(args) == 0 {
		how = "newobj" // CPython calls cls.__new__(cls) for a class given no arguments
	}
	return d.pushContainer(&py.Object{Global: cls, How: how, Args: args}, depth)
}

func (d *decoder) build(t *entry, state entry) error {
	if err := d.mutable(t); err != nil {
		return err
	}
	o, ok := t.v.(*py.Object)
	if !ok {
		return errPickle("BUILD on a %s", py.TypeName(t.v))
	}
	if err := d.deepen(t, state.depth+1); err != nil {
		return err
	}
	if !d.c.objectAllowed(o) {
		if o.Global == gUUID && o.How == "newobj" && !o.HasState {
			u, err := uuidFromState(state.v)
			if err != nil {
				return err
			}
			d.pending--
			t.v, t.depth = u, 0
			d.sync(t)
			return nil
		}
		return errPickle("BUILD on %s is not supported", o.Global)
	}
	if o.HasState {
		return errPickle("a second BUILD on the same object")
	}
	o.State, o.HasState = state.v, true
	d.sync(t)
	return nil
}

// Reading.

func (d *decoder) readByte() (byte, error) {
	if d.pos >= len(d.buf) {
		return 0, errTruncated
	}
	b := d.buf[d.pos]
	d.pos++
	return b, nil
}

func (d *decoder) readN(n int) ([]byte, error) {
	if n < 0 || n > len(d.buf)-d.pos {
		return nil, errTruncated
	}
	b := d.buf[d.pos : d.pos+n]
	d.pos += n
	return b, nil
}

func (d *decoder) readUint(n int) (uint64, error) {
	b, err := d.readN(n)
	if err != nil {
		return 0, err
	}
	var v uint64
	for i := n - 1; i >= 0; i-- {
		v = v<<8 | uint64(b[i])
	}
	return v, nil
}

// readSized reads the length-prefixed payload of op, checking the length against the input
// before anything is allocated for it.
func (d *decoder) readSized(op byte) ([]byte, error) {
	var size int
	switch op {
	case opShortBinUnicode, opShortBinBytes, opShortBinString:
		size = 1
	case opBinUnicode, opBinBytes, opBinString:
		size = 4
	default:
		size = 8
	}
	n, err := d.readUint(size)
	if err != nil {
		return nil, err
	}
	if op == opBinString && int32(uint32(n)) < 0 {
		return nil, errPickle("BINSTRING with a negative length")
	}
	if n > uint64(len(d.buf)-d.pos) {
		return nil, errPickle("length %d exceeds the %d bytes left", n, len(d.buf)-d.pos)
	}
	return d.readN(int(n))
}

// readLine reads a newline-terminated argument of a text opcode, without the newline, and
// charges what parsing it may cost.
func (d *decoder) readLine() ([]byte, error) {
	for i := d.pos; i < len(d.buf); i++ {
		if d.buf[i] == '\n' {
			b := d.buf[d.pos:i]
			d.pos = i + 1
			d.charge(textCost*len(b) + 32)
			return b, nil
		}
	}
	return nil, errTruncated
}

// str returns b as a string sharing the decoder's private copy of the input, which is never
// written to after the copy.
func (d *decoder) str(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// py2str pushes a Python 2 str, which Python 3 decodes with the default encoding "ASCII".
func (d *decoder) py2str(b []byte) error {
	for _, c := range b {
		if c >= 0x80 {
			return errPickle("Python 2 str is not ASCII")
		}
	}
	d.charge(len(b))
	return d.pushValue(string(b))
}

func (d *decoder) long(n uint64) error {
	b, err := d.readSized0(n)
	if err != nil {
		return err
	}
	return d.pushValue(decodeLong(b))
}

func (d *decoder) readSized0(n uint64) ([]byte, error) {
	if n > uint64(len(d.buf)-d.pos) {
		return nil, errPickle("length %d exceeds the %d bytes left", n, len(d.buf)-d.pos)
	}
	return d.readN(int(n))
}

// decodeLong decodes a little-endian two's complement int: int64 when it fits, else *big.Int.
func decodeLong(b []byte) any {
	if len(b) == 0 {
		return int64(0)
	}
	if len(b) <= 8 {
		var v uint64
		for i := len(b) - 1; i >= 0; i-- {
			v = v<<8 | uint64(b[i])
		}
		shift := uint(64 - 8*len(b))
		return int64(v<<shift) >> shift
	}
	be := make([]byte, len(b))
	for i := range b {
		be[len(b)-1-i] = b[i]
	}
	x := new(big.Int).SetBytes(be)
	if b[len(b)-1]&0x80 != 0 {
		x.Sub(x, new(big.Int).Lsh(big.NewInt(1), uint(8*len(b))))
	}
	if x.IsInt64() {
		return x.Int64()
	}
	return x
}

// parsePyInt parses the argument of INT or LONG as Python's int() does for these opcodes.
func parsePyInt(line []byte, long bool) (any, error) {
	s := string(line)
	if long && len(s) > 0 && s[len(s)-1] == 'L' {
		s = s[:len(s)-1]
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, nil
	}
	if len(s) > 5000 {
		return nil, errPickle("int text longer than 5000 digits")
	}
	x, ok := new(big.Int).SetString(s, 10)
	if !ok {
		return nil, errPickle("bad int %q", shortText(s))
	}
	return x, nil
}

func parsePyFloat(s string) (float64, error) {
	switch s {
	case "inf", "+inf":
		return math.Inf(1), nil
	case "-inf":
		return math.Inf(-1), nil
	case "nan", "+nan":
		return math.Float64frombits(0x7ff8000000000000), nil // Python's float("nan")
	case "-nan":
		return math.Float64frombits(0xfff8000000000000), nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		var ne *strconv.NumError
		if errors.As(err, &ne) && ne.Err == strconv.ErrRange {
			return f, nil
		}
		return 0, errPickle("bad float %q", shortText(s))
	}
	return f, nil
}

func shortText(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

// unquotePyString decodes the argument of STRING: a Python 2 str literal in quotes, with
// escapes.
func unquotePyString(line []byte) ([]byte, error) {
	if len(line) < 2 || (line[0] != '\'' && line[0] != '"') || line[len(line)-1] != line[0] {
		return nil, errPickle("STRING argument is not quoted")
	}
	s := line[1 : len(line)-1]
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			out = append(out, c)
			continue
		}
		i++
		if i >= len(s) {
			return nil, errPickle("STRING ends with a backslash")
		}
		switch c = s[i]; c {
		case '\n':
		case '\\', '\'', '"':
			out = append(out, c)
		case 'a':
			out = append(out, 7)
		case 'b':
			out = append(out, 8)
		case 'f':
			out = append(out, 12)
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'v':
			out = append(out, 11)
		case 'x':
			if i+2 >= len(s) {
				return nil, errPickle("bad \\x escape in STRING")
			}
			v, err := strconv.ParseUint(string(s[i+1:i+3]), 16, 8)
			if err != nil {
				return nil, errPickle("bad \\x escape in STRING")
			}
			out = append(out, byte(v))
			i += 2
		case '0', '1', '2', '3', '4', '5', '6', '7':
			v, n := 0, 0
			for n < 3 && i+n < len(s) && s[i+n] >= '0' && s[i+n] <= '7' {
				v = v*8 + int(s[i+n]-'0')
				n++
			}
			out = append(out, byte(v))
			i += n - 1
		default:
			out = append(out, '\\', c)
		}
	}
	return out, nil
}

// rawUnicodeEscape decodes the argument of UNICODE (Python's raw-unicode-escape codec: bytes
// are Latin-1 code points, except \uXXXX and \UXXXXXXXX escapes).
func rawUnicodeEscape(line []byte) (string, error) {
	out := make([]byte, 0, len(line))
	for i := 0; i < len(line); i++ {
		c := line[i]
		if c == '\\' && i+1 < len(line) && (line[i+1] == 'u' || line[i+1] == 'U') {
			// An escape only when preceded by an even number of backslashes.
			bs := 0
			for j := i - 1; j >= 0 && line[j] == '\\'; j-- {
				bs++
			}
			if bs%2 == 0 {
				n := 4
				if line[i+1] == 'U' {
					n = 8
				}
				if i+2+n > len(line) {
					return "", errPickle("truncated \\u escape in UNICODE")
				}
				v, err := strconv.ParseUint(string(line[i+2:i+2+n]), 16, 32)
				if err != nil || v > 0x10FFFF {
					return "", errPickle("bad \\u escape in UNICODE")
				}
				out = appendRuneSurrogatePass(out, rune(v))
				i += 1 + n
				continue
			}
		}
		out = utf8.AppendRune(out, rune(c))
	}
	return string(out), nil
}

// appendRuneSurrogatePass appends r as UTF-8, encoding a surrogate code point as Python's
// surrogatepass does.
func appendRuneSurrogatePass(b []byte, r rune) []byte {
	if r >= 0xD800 && r <= 0xDFFF {
		return append(b, 0xED, byte(0x80|(r>>6)&0x3F), byte(0x80|r&0x3F))
	}
	return utf8.AppendRune(b, r)
}
