package pickle

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/djangobridge/bridge/py"
)

// CPython's pickler constants (Modules/_pickle.c).
const (
	batchSize        = 1000     // items per APPENDS / SETITEMS / ADDITEMS
	frameSizeTarget  = 64 << 10 // a frame is closed once it reaches this size
	frameSizeMin     = 4        // smaller frames get no FRAME opcode
	frameHeaderBytes = 9
)

// memoKey identifies a Python object for the memo, as CPython's id() does: Go pointers and
// slice data pointers for the mutable containers, str and bytes values (so that a string the
// decoder returned for one shared Python str is written back as one shared str), and values
// for the immutable singletons (globals, tzinfo objects).
type memoKey struct {
	kind byte
	p    uintptr
	n    int
	s    string
}

// encoder holds the state of one Encode call.
type encoder struct {
	c          *Codec
	proto      int
	buf        []byte
	frameStart int                // offset of the current frame's reserved header; -1 when none is open
	frameEnd   int                // buffer length at which the open frame is full; MaxInt when none
	ids        idTable            // memo of objects by identity (memoKey.s == "")
	named      map[memoKey]uint32 // memo of globals, module names and tzinfo values
	memoN      uint32
	depth      int
	maxDepth   int
	keep       []any // temporaries the encoder memoizes, kept alive so their addresses stay unique
	keyCache   [8]keyMemo
}

// idTable is an open-addressing hash table from object identities to memo indexes: the
// encoder looks up every str, container and object it writes, and a Go map of struct keys is
// several times slower. A slot packs a key and its index in 16 bytes; keys of length 1<<16 or
// more, which do not fit one, go to a map. Slots are freed by generation (reset), not cleared.
type idTable struct {
	slots []idSlot // a power of two long; a slot of another generation than gen is free
	count int      // slots in use
	gen   uint8    // never 0, so that zeroed slots are free
	big   map[memoKey]uint32
}

// idSlot is one key and its memo index. m packs the index (bits 0 to 31), the key's n (32 to
// 47), kind (48 to 55) and the generation of the slot (56 to 63).
type idSlot struct {
	p uintptr
	m uint64
}

const (
	idSlotMaxN = 1<<16 - 1
	idSlotIdx  = 1<<32 - 1
)

// reset empties the table: a new generation frees every slot without clearing them, except
// once every 255 resets.
func (t *idTable) reset() {
	t.count = 0
	t.big = nil
	t.gen++
	if t.gen == 0 {
		clear(t.slots)
		t.gen = 1
	}
}

func idHash(k *memoKey) uint64 {
	x := uint64(k.p) ^ uint64(k.n)<<40 ^ uint64(k.kind)<<56
	x *= 0x9E3779B97F4A7C15
	return x ^ x>>31
}

// tag is the upper half of the m of k's slot.
func (t *idTable) tag(k *memoKey) uint64 {
	return uint64(k.n)<<32 | uint64(k.kind)<<48 | uint64(t.gen)<<56
}

func (t *idTable) get(k *memoKey) (uint32, bool) {
	if uint(k.n) > idSlotMaxN {
		idx, ok := t.big[*k]
		return idx, ok
	}
	if t.count == 0 {
		return 0, false
	}
	tag := t.tag(k)
	mask := uint64(len(t.slots) - 1)
	for i := idHash(k) & mask; ; i = (i + 1) & mask {
		s := &t.slots[i]
		if uint8(s.m>>56) != t.gen {
			return 0, false
		}
		if s.p == k.p && s.m&^idSlotIdx == tag {
			return uint32(s.m), true
		}
	}
}

// getOrInsert returns the index stored for k, or stores idx for it and reports false.
func (t *idTable) getOrInsert(k *memoKey, idx uint32) (uint32, bool) {
	if uint(k.n) > idSlotMaxN {
		if old, ok := t.big[*k]; ok {
			return old, true
		}
		t.putBig(k, idx)
		return 0, false
	}
	if 2*(t.count+1) > len(t.slots) {
		t.grow()
	}
	tag := t.tag(k)
	mask := uint64(len(t.slots) - 1)
	for i := idHash(k) & mask; ; i = (i + 1) & mask {
		s := &t.slots[i]
		if uint8(s.m>>56) != t.gen {
			*s = idSlot{p: k.p, m: tag | uint64(idx)}
			t.count++
			return 0, false
		}
		if s.p == k.p && s.m&^idSlotIdx == tag {
			return uint32(s.m), true
		}
	}
}

func (t *idTable) putBig(k *memoKey, idx uint32) {
	if t.big == nil {
		t.big = make(map[memoKey]uint32)
	}
	t.big[*k] = idx
}

// remove deletes k (re-inserting the rest of its probe run, as linear probing requires).
func (t *idTable) remove(k *memoKey) {
	if uint(k.n) > idSlotMaxN {
		delete(t.big, *k)
		return
	}
	if t.count == 0 {
		return
	}
	tag := t.tag(k)
	mask := uint64(len(t.slots) - 1)
	i := idHash(k) & mask
	for ; ; i = (i + 1) & mask {
		s := &t.slots[i]
		if uint8(s.m>>56) != t.gen {
			return
		}
		if s.p == k.p && s.m&^idSlotIdx == tag {
			break
		}
	}
	t.slots[i] = idSlot{}
	t.count--
	for j := (i + 1) & mask; uint8(t.slots[j].m>>56) == t.gen; j = (j + 1) & mask {
		s := t.slots[j]
		t.slots[j] = idSlot{}
		t.count--
		t.insert(s)
	}
}

func (t *idTable) grow() {
	old := t.slots
	t.slots = make([]idSlot, max(64, 2*len(old)))
	t.count = 0
	for i := range old {
		if uint8(old[i].m>>56) == t.gen {
			t.insert(old[i])
		}
	}
}

func (t *idTable) put(k *memoKey, idx uint32) {
	if uint(k.n) > idSlotMaxN {
		t.putBig(k, idx)
		return
	}
	if 2*(t.count+1) > len(t.slots) {
		t.grow()
	}
	t.insert(idSlot{p: k.p, m: t.tag(k) | uint64(idx)})
}

// insert stores s, a slot of the current generation, or updates the index of its key.
func (t *idTable) insert(s idSlot) {
	mask := uint64(len(t.slots) - 1)
	k := memoKey{kind: byte(s.m >> 48), p: s.p, n: int(s.m >> 32 & idSlotMaxN)}
	for i := idHash(&k) & mask; ; i = (i + 1) & mask {
		if uint8(t.slots[i].m>>56) != t.gen {
			t.slots[i] = s
			t.count++
			return
		}
		if t.slots[i].p == s.p && t.slots[i].m&^idSlotIdx == s.m&^idSlotIdx {
			t.slots[i].m = s.m
			return
		}
	}
}

// encoderPool keeps encoders so that their buffer and memo table are reused across calls.
var encoderPool = sync.Pool{New: func() any {
	return &encoder{buf: make([]byte, 0, 512), ids: idTable{gen: 1}}
}}

// release clears the encoder and pools it, unless it grew large.
func (e *encoder) release() {
	if cap(e.buf) > 1<<20 || len(e.ids.slots) > 1<<14 {
		return
	}
	e.ids.reset()
	if len(e.keep) > 0 {
		clear(e.keep)
		e.keep = e.keep[:0]
	}
	// Encode sets c, proto, frameStart, frameEnd and maxDepth; the rest is reset here, field
	// by field (cheaper than assigning a whole new encoder).
	e.c, e.buf, e.named, e.memoN, e.depth = nil, e.buf[:0], nil, 0, 0
	e.keyCache = [8]keyMemo{}
	encoderPool.Put(e)
}

// temp keeps v, built by the encoder, alive until Encode returns: the memo identifies objects
// by address, as CPython's memo does by id(), and, like CPython's, must hold what it names.
func (e *encoder) temp(v any) { e.keep = append(e.keep, v) }

// Encode writes v as a pickle of c.Protocol. Besides the types of the Go value model it
// accepts these Go conveniences: int, int8..int32, uint..uint64 (as Python int), float32 (as
// float), []string (as list), map[string]any (as dict, in sorted key order, since Go maps have
// none), time.Time (as an aware datetime in UTC, a TimeZone{} tzinfo), and time.Duration (as
// timedelta). Anything else fails with a [*UnsupportedTypeError].
//
// Encode writes only globals of the default allow-list, plus those of [*Object] values (and
// [Global] values) named in c.AllowGlobals: a value built from untrusted input cannot make
// Python import or call anything else.
//
// For values without shared references, the bytes are CPython's own (pickle.dumps at the same
// protocol, C implementation) wherever this package could reproduce them: the same opcodes,
// memoization, framing and batching.
func (c *Codec) Encode(v any) ([]byte, error) {
	proto := c.Protocol
	if proto == 0 {
		proto = highestProtocol
	}
	if proto < 2 || proto > highestProtocol {
		return nil, fmt.Errorf("pickle: cannot encode protocol %d (2 to 5 are supported)", proto)
	}
	// Encode's own forms nest deeper than the values they write (set([items]) at protocol 2,
	// datetime(state, timezone(timedelta(...)))), so it allows 4 times MaxDepth: whatever
	// Decode returns can be written.
	e := encoderPool.Get().(*encoder)
	defer e.release()
	e.c, e.proto, e.frameStart, e.frameEnd, e.maxDepth = c, proto, -1, math.MaxInt, 4*c.maxDepth()+16
	e.buf = append(e.buf, opProto, byte(proto))
	if proto >= 4 {
		e.startFrame()
	}
	if err := e.save(v); err != nil {
		return nil, err
	}
	e.buf = append(e.buf, opStop)
	e.commitFrame()
	return append([]byte(nil), e.buf...), nil
}

func (e *encoder) startFrame() {
	e.frameStart = len(e.buf)
	e.frameEnd = e.frameStart + frameHeaderBytes + frameSizeTarget
	e.buf = append(e.buf, make([]byte, frameHeaderBytes)...)
}

// commitFrame closes the open frame: it writes its FRAME header, or removes the reserved
// header when the frame is too small to get one.
func (e *encoder) commitFrame() {
	if e.frameStart < 0 {
		return
	}
	n := len(e.buf) - e.frameStart - frameHeaderBytes
	if n >= frameSizeMin {
		e.buf[e.frameStart] = opFrame
		binary.LittleEndian.PutUint64(e.buf[e.frameStart+1:], uint64(n))
	} else {
		e.buf = slices.Delete(e.buf, e.frameStart, e.frameStart+frameHeaderBytes)
	}
	e.frameStart, e.frameEnd = -1, math.MaxInt
}

// boundary is called after each object is written, where CPython may close a frame.
func (e *encoder) boundary() {
	if len(e.buf) >= e.frameEnd {
		e.nextFrame()
	}
}

func (e *encoder) nextFrame() {
	e.commitFrame()
	e.startFrame()
}

// appendString appends s to the buffer. (Unlike e.buf = append(e.buf, s...), it stores only
// the buffer's length unless the buffer grows: no write barrier.)
func (e *encoder) appendString(s string) {
	n := len(e.buf)
	if cap(e.buf)-n < len(s) {
		e.buf = slices.Grow(e.buf, len(s))
	}
	e.buf = e.buf[:n+len(s)]
	copy(e.buf[n:], s)
}

// ensureFrame opens a frame if framing is on and none is open (after a large payload).
func (e *encoder) ensureFrame() {
	if e.proto >= 4 && e.frameStart < 0 {
		e.startFrame()
	}
}

func (e *encoder) op(b byte) {
	e.ensureFrame()
	e.buf = append(e.buf, b)
}

// payload writes an opcode header and its data. As CPython does, data of 64 KiB or more is
// written outside any frame.
func (e *encoder) payload(header []byte, data []byte) {
	if e.proto >= 4 && len(data) >= frameSizeTarget {
		e.commitFrame()
		e.buf = append(e.buf, header...)
		e.buf = append(e.buf, data...)
		return
	}
	e.ensureFrame()
	e.buf = append(e.buf, header...)
	e.buf = append(e.buf, data...)
}

// memoPut memoizes the object just written under key (when non-nil).
func (e *encoder) memoPut(key *memoKey) {
	idx := e.memoN
	e.memoN++
	switch {
	case key == nil:
	case key.s != "":
		if e.named == nil {
			e.named = make(map[memoKey]uint32)
		}
		e.named[*key] = idx
	default:
		e.ids.put(key, idx)
	}
	switch {
	case e.proto >= 4:
		e.op(opMemoize)
	case idx < 256:
		e.ensureFrame()
		e.buf = append(e.buf, opBinPut, byte(idx))
	default:
		e.ensureFrame()
		e.buf = append(e.buf, opLongBinPut)
		e.buf = binary.LittleEndian.AppendUint32(e.buf, idx)
	}
}

// memoGet writes a GET for key and reports whether key was in the memo.
func (e *encoder) memoGet(key memoKey) bool {
	var idx uint32
	var ok bool
	if key.s != "" {
		idx, ok = e.named[key]
	} else {
		idx, ok = e.ids.get(&key)
	}
	if !ok {
		return false
	}
	e.writeGet(idx)
	return true
}

// writeGet writes a BINGET or LONG_BINGET of memo index idx.
func (e *encoder) writeGet(idx uint32) {
	e.ensureFrame()
	if idx < 256 {
		e.buf = append(e.buf, opBinGet, byte(idx))
	} else {
		e.buf = append(e.buf, opLongBinGet)
		e.buf = binary.LittleEndian.AppendUint32(e.buf, idx)
	}
}

func (e *encoder) save(v any) error {
	// The types of most values of a session first, then the full type switch.
	var err error
	switch x := v.(type) {
	case string:
		err = e.saveStr(x)
	case *py.Dict:
		if x == nil {
			return &UnsupportedTypeError{Value: v}
		}
		err = e.saveDict(x)
	case int64:
		e.saveInt(x)
	case bool:
		if x {
			e.op(opNewTrue)
		} else {
			e.op(opNewFalse)
		}
	default:
		err = e.saveValue(v)
	}
	if err != nil {
		return err
	}
	e.boundary()
	return nil
}

func (e *encoder) enter() error {
	e.depth++
	if e.depth > e.maxDepth {
		return &UnsupportedTypeError{Value: nil, Reason: fmt.Sprintf("value nested deeper than %d (or cyclic through tuples)", e.maxDepth)}
	}
	return nil
}

func (e *encoder) saveValue(v any) error {
	switch x := v.(type) {
	case nil:
		e.op(opNone)
	case bool:
		if x {
			e.op(opNewTrue)
		} else {
			e.op(opNewFalse)
		}
	case int64:
		e.saveInt(x)
	case int:
		e.saveInt(int64(x))
	case int32:
		e.saveInt(int64(x))
	case int16:
		e.saveInt(int64(x))
	case int8:
		e.saveInt(int64(x))
	case uint8:
		e.saveInt(int64(x))
	case uint16:
		e.saveInt(int64(x))
	case uint32:
		e.saveInt(int64(x))
	case uint:
		e.saveUint(uint64(x))
	case uint64:
		e.saveUint(x)
	case *big.Int:
		if x == nil {
			return &UnsupportedTypeError{Value: v}
		}
		e.saveBig(x)
	case float64:
		e.saveFloat(x)
	case float32:
		e.saveFloat(float64(x))
	case string:
		return e.saveStr(x)
	case []byte:
		return e.saveBytes(x)
	case py.ByteArray:
		return e.saveByteArray(x)
	case []any:
		return e.saveList(x)
	case []string:
		l := make([]any, len(x))
		for i, s := range x {
			l[i] = s
		}
		e.temp(l)
		return e.saveList(l)
	case py.Tuple:
		return e.saveTuple(x)
	case *py.Dict:
		if x == nil {
			return &UnsupportedTypeError{Value: v}
		}
		return e.saveDict(x)
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		d := py.NewDict(len(keys))
		for _, k := range keys {
			d.Set(k, x[k])
		}
		e.temp(d)
		return e.saveDict(d)
	case *py.OrderedDict:
		if x == nil {
			return &UnsupportedTypeError{Value: v}
		}
		return e.saveOrderedDict(x)
	case *py.Set:
		if x == nil {
			return &UnsupportedTypeError{Value: v}
		}
		return e.saveSet(x)
	case *py.FrozenSet:
		if x == nil {
			return &UnsupportedTypeError{Value: v}
		}
		return e.saveFrozenSet(x)
	case complex128:
		return e.saveReduce(nil, gComplex, py.Tuple{real(x), imag(x)})
	case py.DateTime:
		return e.saveDateTime(x)
	case time.Time:
		return e.saveDateTime(py.DateTimeOf(x.UTC(), py.TimeZone{}))
	case py.Date:
		if !validDate(x.Year, x.Month, x.Day) {
			return &UnsupportedTypeError{Value: v, Reason: "date out of range"}
		}
		state := []byte{byte(x.Year >> 8), byte(x.Year), byte(x.Month), byte(x.Day)}
		e.temp(state)
		return e.saveReduce(nil, gDate, py.Tuple{state})
	case py.Time:
		return e.saveTime(x)
	case py.TimeDelta:
		td, err := py.NewTimeDelta(x.Days, x.Seconds, x.Microseconds)
		if err != nil || td != x {
			return &UnsupportedTypeError{Value: v, Reason: "timedelta not normalised or out of range"}
		}
		return e.saveReduce(nil, gTimeDelta, py.Tuple{x.Days, x.Seconds, x.Microseconds})
	case time.Duration:
		td, _ := py.NewTimeDelta(0, int64(x/time.Second), int64(x%time.Second/time.Microsecond))
		return e.saveValue(td)
	case py.Decimal:
		if !validDecimal(x.Value) {
			return &UnsupportedTypeError{Value: v, Reason: "not a Decimal string"}
		}
		return e.saveReduce(nil, gDecimal, py.Tuple{x.Value})
	case py.UUID:
		return e.saveUUID(x)
	case py.TimeZone, py.ZoneInfo, py.PytzZone:
		return e.saveTZ(x.(py.TZInfo))
	case py.Global:
		if !knownGlobals[x] && !e.c.allows(x) {
			return &ForbiddenGlobalError{Global: x}
		}
		return e.saveCallable(x)
	case *py.Object:
		if x == nil {
			return &UnsupportedTypeError{Value: v}
		}
		return e.saveObject(x)
	default:
		return &UnsupportedTypeError{Value: v}
	}
	return nil
}

func (e *encoder) saveInt(n int64) {
	switch {
	case n >= 0 && n <= 0xFF:
		e.ensureFrame()
		e.buf = append(e.buf, opBinInt1, byte(n))
	case n >= 0 && n <= 0xFFFF:
		e.ensureFrame()
		e.buf = append(e.buf, opBinInt2, byte(n), byte(n>>8))
	case n >= math.MinInt32 && n <= math.MaxInt32:
		e.ensureFrame()
		e.buf = append(e.buf, opBinInt)
		e.buf = binary.LittleEndian.AppendUint32(e.buf, uint32(int32(n)))
	default:
		// LONG1 with the fewest bytes that hold n in two's complement.
		var tmp [8]byte
		binary.LittleEndian.PutUint64(tmp[:], uint64(n))
		size := 8
		for size > 1 {
			top, next := tmp[size-1], tmp[size-2]
			if (top == 0 && next&0x80 == 0) || (top == 0xFF && next&0x80 != 0) {
				size--
				continue
			}
			break
		}
		e.ensureFrame()
		e.buf = append(e.buf, opLong1, byte(size))
		e.buf = append(e.buf, tmp[:size]...)
	}
}

func (e *encoder) saveUint(n uint64) {
	if n <= math.MaxInt64 {
		e.saveInt(int64(n))
		return
	}
	e.saveBig(new(big.Int).SetUint64(n))
}

func (e *encoder) saveBig(x *big.Int) {
	if x.IsInt64() {
		e.saveInt(x.Int64())
		return
	}
	// Little-endian two's complement in (bitlen/8)+1 bytes, minus a redundant sign byte for
	// some negative values, exactly as CPython's save_long.
	nbytes := x.BitLen()/8 + 1
	var mag *big.Int
	if x.Sign() < 0 {
		mag = new(big.Int).Add(new(big.Int).Lsh(big.NewInt(1), uint(8*nbytes)), x)
	} else {
		mag = x
	}
	be := mag.FillBytes(make([]byte, nbytes))
	le := make([]byte, nbytes)
	for i := range be {
		le[nbytes-1-i] = be[i]
	}
	if x.Sign() < 0 && nbytes > 1 && le[nbytes-1] == 0xFF && le[nbytes-2]&0x80 != 0 {
		le = le[:nbytes-1]
		nbytes--
	}
	e.ensureFrame()
	if nbytes < 256 {
		e.buf = append(e.buf, opLong1, byte(nbytes))
	} else {
		e.buf = append(e.buf, opLong4)
		e.buf = binary.LittleEndian.AppendUint32(e.buf, uint32(nbytes))
	}
	e.buf = append(e.buf, le...)
}

func (e *encoder) saveFloat(f float64) {
	e.ensureFrame()
	e.buf = append(e.buf, opBinFloat)
	e.buf = binary.BigEndian.AppendUint64(e.buf, math.Float64bits(f))
}

func strKey(s string) memoKey {
	return memoKey{kind: 's', p: uintptr(unsafe.Pointer(unsafe.StringData(s))), n: len(s)}
}

func (e *encoder) saveStr(s string) error {
	_, err := e.saveStrIdx(s)
	return err
}

// saveStrIdx is saveStr, returning the memo index of s.
func (e *encoder) saveStrIdx(s string) (uint32, error) {
	key := strKey(s)
	if len(s) == 0 {
		key.p = 0
	}
	// One probe finds s or reserves its memo index (nothing else is memoized before its
	// MEMOIZE below).
	idx, found := e.ids.getOrInsert(&key, e.memoN)
	if found {
		e.writeGet(idx)
		return idx, nil
	}
	if e.isModuleName(s) {
		return e.saveModuleStr(s, &key)
	}
	idx = e.memoN
	if len(s) < 256 && e.frameStart >= 0 {
		// The common case, protocol 4 or 5 in an open frame: SHORT_BINUNICODE and MEMOIZE,
		// the str copied and checked for ASCII in one pass.
		n := len(e.buf)
		if cap(e.buf)-n < len(s)+3 {
			e.buf = slices.Grow(e.buf, len(s)+3)
		}
		e.buf = e.buf[:n+len(s)+3]
		w := e.buf[n:]
		w[0], w[1], w[len(w)-1] = opShortBinUnicode, byte(len(s)), opMemoize
		if !copyASCII(w[2:len(w)-1], s) && !validStr(s) {
			e.buf = e.buf[:n]
			e.ids.remove(&key)
			return 0, &UnsupportedTypeError{Value: s, Reason: "string is not UTF-8"}
		}
		e.memoN++ // idx, already in e.ids
		return idx, nil
	}
	if !validStr(s) {
		e.ids.remove(&key)
		return 0, &UnsupportedTypeError{Value: s, Reason: "string is not UTF-8"}
	}
	e.writeStr(s)
	e.memoPut(nil) // idx, already in e.ids
	return idx, nil
}

// validStr reports whether s encodes as Python's str does ("utf-8", "surrogatepass").
func validStr(s string) bool {
	return utf8.ValidString(s) || py.ValidSurrogatePass(unsafe.Slice(unsafe.StringData(s), len(s)))
}

// copyASCII copies s to dst (of the same length) and reports whether s is all ASCII. It moves
// 8 bytes at a time, the last 8 overlapping the previous ones.
func copyASCII(dst []byte, s string) bool {
	const hi = 0x8080808080808080
	n := len(s)
	src, dst := unsafe.Slice(unsafe.StringData(s), n), dst[:n]
	switch {
	case n >= 8:
		var acc uint64
		for i := 0; i+8 <= n; i += 8 {
			w := binary.LittleEndian.Uint64(src[i:])
			binary.LittleEndian.PutUint64(dst[i:], w)
			acc |= w
		}
		w := binary.LittleEndian.Uint64(src[n-8:])
		binary.LittleEndian.PutUint64(dst[n-8:], w)
		return (acc|w)&hi == 0
	case n >= 4:
		a, b := binary.LittleEndian.Uint32(src), binary.LittleEndian.Uint32(src[n-4:])
		binary.LittleEndian.PutUint32(dst, a)
		binary.LittleEndian.PutUint32(dst[n-4:], b)
		return (a|b)&0x80808080 == 0
	}
	var acc byte
	for i := range n {
		dst[i] = src[i]
		acc |= src[i]
	}
	return acc&0x80 == 0
}

// saveModuleStr writes a str equal to the module name of a global, whose key was just added
// to e.ids. In CPython it is usually the same interned object as the global's module name
// (an identifier-like literal in the app's code): it is shared the same way.
func (e *encoder) saveModuleStr(s string, key *memoKey) (uint32, error) {
	if idx, ok := e.named[memoKey{kind: 'm', s: s}]; ok {
		e.ids.put(key, idx)
		e.writeGet(idx)
		return idx, nil
	}
	if !validStr(s) {
		e.ids.remove(key)
		return 0, &UnsupportedTypeError{Value: s, Reason: "string is not UTF-8"}
	}
	e.writeStr(s)
	e.memoPut(nil) // its index is e.memoN, already in e.ids
	if e.named == nil {
		e.named = make(map[memoKey]uint32)
	}
	e.named[memoKey{kind: 'm', s: s}] = e.memoN - 1
	return e.memoN - 1, nil
}

func (e *encoder) isModuleName(s string) bool {
	// The module names of the default allow-list, tested by length first: most strings are
	// rejected by one comparison.
	switch len(s) {
	case 4:
		if s == "uuid" || s == "pytz" {
			return true
		}
	case 7:
		if s == "decimal" || s == "_codecs" || s == "copyreg" {
			return true
		}
	case 8:
		if s == "datetime" || s == "builtins" || s == "zoneinfo" {
			return true
		}
	case 11:
		if s == "collections" {
			return true
		}
	}
	for _, g := range e.c.AllowGlobals {
		if len(g) > len(s) && g[len(s)] == '.' && g[:len(s)] == s {
			return true
		}
	}
	return false
}

// writeStr writes the str opcode for s, without memoizing it.
func (e *encoder) writeStr(s string) {
	n := len(s)
	if n < 256 && e.proto >= 4 {
		e.ensureFrame()
		e.buf = append(e.buf, opShortBinUnicode, byte(n))
		e.appendString(s)
		return
	}
	var h [9]byte
	hl := 5
	if uint64(n) <= math.MaxUint32 {
		h[0] = opBinUnicode
		binary.LittleEndian.PutUint32(h[1:], uint32(n))
	} else {
		h[0], hl = opBinUnicode8, 9
		binary.LittleEndian.PutUint64(h[1:], uint64(n))
	}
	e.payload(h[:hl], unsafe.Slice(unsafe.StringData(s), n))
}

func (e *encoder) saveBytes(b []byte) error {
	key := memoKey{kind: 'b', p: uintptr(unsafe.Pointer(unsafe.SliceData(b))), n: len(b)}
	if len(b) == 0 {
		key.p = 0 // b"" is a singleton in CPython
	}
	if e.memoGet(key) {
		return nil
	}
	if e.proto < 3 {
		// bytes(), or _codecs.encode(str, "latin1"), as CPython writes bytes for Python 2.
		if len(b) == 0 {
			return e.saveReduce(&key, gBytes, py.Tuple{})
		}
		ls := latin1String(b)
		e.temp(ls)
		return e.saveReduce(&key, gEncode, py.Tuple{ls, latin1})
	}
	n := len(b)
	var h []byte
	switch {
	case n < 256:
		h = []byte{opShortBinBytes, byte(n)}
	case uint64(n) <= math.MaxUint32:
		h = binary.LittleEndian.AppendUint32([]byte{opBinBytes}, uint32(n))
	default:
		h = binary.LittleEndian.AppendUint64([]byte{opBinBytes8}, uint64(n))
	}
	e.payload(h, b)
	e.memoPut(&key)
	return nil
}

// latin1 is the one "latin1" string CPython uses for every _codecs.encode call of a pickle.
var latin1 = "latin1"

func latin1String(b []byte) string {
	out := make([]byte, 0, len(b))
	for _, c := range b {
		out = utf8.AppendRune(out, rune(c))
	}
	return string(out)
}

func (e *encoder) saveByteArray(b py.ByteArray) error {
	key := memoKey{kind: 'a', p: uintptr(unsafe.Pointer(unsafe.SliceData(b))), n: len(b)}
	if len(b) > 0 && e.memoGet(key) {
		return nil
	}
	if len(b) == 0 {
		key = memoKey{kind: 'A', p: uintptr(e.memoN) + 1} // never shared
	}
	if e.proto >= 5 {
		h := binary.LittleEndian.AppendUint64([]byte{opByteArray8}, uint64(len(b)))
		e.payload(h, b)
		e.memoPut(&key)
		return nil
	}
	if len(b) == 0 {
		return e.saveReduce(&key, gByteArray, py.Tuple{})
	}
	bb := []byte(b)
	return e.saveReduce(&key, gByteArray, py.Tuple{bb})
}

func (e *encoder) saveList(l []any) error {
	key := memoKey{kind: 'l', p: uintptr(unsafe.Pointer(unsafe.SliceData(l))), n: len(l)}
	if len(l) > 0 && e.memoGet(key) {
		return nil
	}
	if err := e.enter(); err != nil {
		return err
	}
	defer func() { e.depth-- }()
	e.op(opEmptyList)
	if len(l) == 0 {
		e.memoPut(nil)
		return nil
	}
	e.memoPut(&key)
	return e.appendItems(l, true)
}

// appendItems writes list items as CPython's batch_list_exact (exact lists) or batch_list
// (other iterables: object list items) does.
func (e *encoder) appendItems(l []any, exact bool) error {
	if len(l) == 1 {
		if err := e.save(l[0]); err != nil {
			return err
		}
		e.op(opAppend)
		return nil
	}
	for start := 0; start < len(l); start += batchSize {
		batch := l[start:min(start+batchSize, len(l))]
		if !exact && len(batch) == 1 {
			if err := e.save(batch[0]); err != nil {
				return err
			}
			e.op(opAppend)
			break
		}
		e.op(opMark)
		for _, it := range batch {
			if err := e.save(it); err != nil {
				return err
			}
		}
		e.op(opAppends)
	}
	return nil
}

func (e *encoder) saveTuple(t py.Tuple) error {
	if len(t) == 0 {
		e.op(opEmptyTuple)
		return nil
	}
	key := memoKey{kind: 't', p: uintptr(unsafe.Pointer(unsafe.SliceData(t))), n: len(t)}
	if e.memoGet(key) {
		return nil
	}
	if err := e.enter(); err != nil {
		return err
	}
	defer func() { e.depth-- }()
	if len(t) <= 3 {
		for _, it := range t {
			if err := e.save(it); err != nil {
				return err
			}
		}
		e.op(opTuple1 + byte(len(t)-1))
	} else {
		e.op(opMark)
		for _, it := range t {
			if err := e.save(it); err != nil {
				return err
			}
		}
		e.op(opTuple)
	}
	e.memoPut(&key)
	return nil
}

func (e *encoder) saveDict(d *py.Dict) error {
	// One probe finds d or reserves its memo index (nothing else is memoized before its
	// MEMOIZE below).
	key := memoKey{kind: 'p', p: uintptr(unsafe.Pointer(d))}
	if idx, found := e.ids.getOrInsert(&key, e.memoN); found {
		e.writeGet(idx)
		return nil
	}
	if err := e.enter(); err != nil {
		return err
	}
	e.op(opEmptyDict)
	e.memoPut(nil) // its index is e.memoN, already in e.ids
	var err error
	if len(d.Items()) > 0 {
		err = e.setItems(d.Items(), true)
	}
	e.depth--
	return err
}

// setItems writes dict items as CPython's batch_dict_exact (exact dicts: a trailing empty
// batch after a multiple of 1000) or batch_dict (other mappings) does.
func (e *encoder) setItems(items []py.Item, exact bool) error {
	if len(items) == 1 {
		if err := e.saveItem(items[0]); err != nil {
			return err
		}
		e.op(opSetItem)
		return nil
	}
	for start := 0; ; start += batchSize {
		batch := items[start:min(start+batchSize, len(items))]
		if !exact && len(batch) == 0 {
			break
		}
		if !exact && len(batch) == 1 {
			if err := e.saveItem(batch[0]); err != nil {
				return err
			}
			e.op(opSetItem)
			break
		}
		e.op(opMark)
		for i := range batch {
			if err := e.saveKey(i, batch[i].Key); err != nil {
				return err
			}
			if err := e.save(batch[i].Value); err != nil {
				return err
			}
		}
		e.op(opSetItems)
		if len(batch) < batchSize {
			break
		}
	}
	return nil
}

// saveKey saves the key of the i-th item of a SETITEMS batch. Dicts in a list usually share
// their str keys (the same objects, in the same order): keyCache remembers the memo index of
// the last str key saved at each of the first positions, so that a key found there is written
// as a memo GET without a probe of e.ids. An entry stays right: e.ids never changes the index
// of a str once an Encode has stored it.
func (e *encoder) saveKey(i int, key any) error {
	s, ok := key.(string)
	if !ok || i >= len(e.keyCache) {
		return e.save(key)
	}
	k := &e.keyCache[i]
	p := uintptr(unsafe.Pointer(unsafe.StringData(s)))
	if len(s) == 0 {
		p = 0
	}
	if k.ok && k.p == p && k.n == len(s) {
		e.writeGet(k.idx)
	} else {
		idx, err := e.saveStrIdx(s)
		if err != nil {
			return err
		}
		*k = keyMemo{p: p, n: len(s), idx: idx, ok: true}
	}
	e.boundary()
	return nil
}

// keyMemo is an entry of encoder.keyCache.
type keyMemo struct {
	p   uintptr
	n   int
	idx uint32
	ok  bool
}

// saveItem writes one dict item: its key, then its value.
func (e *encoder) saveItem(it py.Item) error {
	if err := e.save(it.Key); err != nil {
		return err
	}
	return e.save(it.Value)
}

func (e *encoder) saveOrderedDict(d *py.OrderedDict) error {
	key := memoKey{kind: 'p', p: uintptr(unsafe.Pointer(d))}
	if e.memoGet(key) {
		return nil
	}
	if err := e.enter(); err != nil {
		return err
	}
	defer func() { e.depth-- }()
	if err := e.saveGlobal(gOrderedDict); err != nil {
		return err
	}
	e.op(opEmptyTuple)
	e.op(opReduce)
	e.memoPut(&key)
	if len(d.Items()) == 0 {
		return nil
	}
	return e.setItems(d.Items(), false)
}

func (e *encoder) saveSet(s *py.Set) error {
	key := memoKey{kind: 'p', p: uintptr(unsafe.Pointer(s))}
	if e.memoGet(key) {
		return nil
	}
	if err := e.enter(); err != nil {
		return err
	}
	defer func() { e.depth-- }()
	if e.proto < 4 {
		l := slices.Clip(slices.Clone(s.Items()))
		e.temp(l)
		return e.saveReduce(&key, gSet, py.Tuple{l})
	}
	e.op(opEmptySet)
	e.memoPut(&key)
	if len(s.Items()) == 0 {
		return nil
	}
	for start := 0; ; start += batchSize {
		batch := s.Items()[start:min(start+batchSize, len(s.Items()))]
		e.op(opMark)
		for _, it := range batch {
			if err := e.save(it); err != nil {
				return err
			}
		}
		e.op(opAddItems)
		if len(batch) < batchSize {
			break
		}
	}
	return nil
}

func (e *encoder) saveFrozenSet(s *py.FrozenSet) error {
	key := memoKey{kind: 'p', p: uintptr(unsafe.Pointer(s))}
	if e.memoGet(key) {
		return nil
	}
	if err := e.enter(); err != nil {
		return err
	}
	defer func() { e.depth-- }()
	if e.proto < 4 {
		l := slices.Clip(slices.Clone(s.Items()))
		e.temp(l)
		return e.saveReduce(&key, gFrozenSet, py.Tuple{l})
	}
	e.op(opMark)
	for _, it := range s.Items() {
		if err := e.save(it); err != nil {
			return err
		}
	}
	e.op(opFrozenSet)
	e.memoPut(&key)
	return nil
}

// saveGlobal writes a global as CPython's save_global: GLOBAL text below protocol 4 (with
// Python 2 names below 3), STACK_GLOBAL of two memoized str from 4; the global is memoized.
func (e *encoder) saveGlobal(g py.Global) error {
	key := memoKey{kind: 'g', s: g.String()}
	if e.memoGet(key) {
		return nil
	}
	if e.proto >= 4 {
		mk := memoKey{kind: 'm', s: g.Module}
		if !e.memoGet(mk) {
			e.writeStr(g.Module)
			e.memoPut(&mk)
		}
		e.writeStr(g.Name)
		e.memoPut(nil)
		e.op(opStackGlobal)
	} else {
		w := g
		if e.proto < 3 {
			w = py3to2(g)
		}
		for _, part := range []string{w.Module, w.Name} {
			for i := 0; i < len(part); i++ {
				if part[i] == '\n' {
					return &UnsupportedTypeError{Value: g, Reason: "global name contains a newline"}
				}
			}
		}
		e.op(opGlobal)
		e.buf = append(e.buf, w.Module...)
		e.buf = append(e.buf, '\n')
		e.buf = append(e.buf, w.Name...)
		e.buf = append(e.buf, '\n')
	}
	e.memoPut(&key)
	return nil
}

// saveReduce writes g(*args) with REDUCE and memoizes the result under key.
func (e *encoder) saveReduce(key *memoKey, g py.Global, args py.Tuple) error {
	e.temp(args)
	if err := e.saveCallable(g); err != nil {
		return err
	}
	if err := e.save(args); err != nil {
		return err
	}
	e.op(opReduce)
	e.memoPut(key)
	return nil
}

// saveCallable writes the callable of a REDUCE. zoneinfo.ZoneInfo._unpickle is written as
// CPython writes the bound method: getattr(ZoneInfo, "_unpickle").
func (e *encoder) saveCallable(g py.Global) error {
	if g == gZoneInfoNew {
		// CPython builds the method name afresh for each call (C methods' __reduce__), so it is
		// never shared.
		name := strings.Clone(unpickleName)
		e.temp(name)
		return e.saveReduce(nil, gGetattr, py.Tuple{gZoneInfo, name})
	}
	return e.saveGlobal(g)
}

var unpickleName = "_unpickle"

func (e *encoder) saveDateTime(d py.DateTime) error {
	if !validDate(d.Year, d.Month, d.Day) || !validClock(d.Hour, d.Minute, d.Second, d.Microsecond) || d.Fold < 0 || d.Fold > 1 {
		return &UnsupportedTypeError{Value: d, Reason: "datetime out of range"}
	}
	m := byte(d.Month)
	if d.Fold == 1 && e.proto > 3 {
		m |= 0x80
	}
	state := []byte{byte(d.Year >> 8), byte(d.Year), m, byte(d.Day), byte(d.Hour), byte(d.Minute),
		byte(d.Second), byte(d.Microsecond >> 16), byte(d.Microsecond >> 8), byte(d.Microsecond)}
	e.temp(state)
	args := py.Tuple{state}
	if d.TZ != nil {
		args = append(args, d.TZ)
	}
	return e.saveReduce(nil, gDateTime, args)
}

func (e *encoder) saveTime(t py.Time) error {
	if !validClock(t.Hour, t.Minute, t.Second, t.Microsecond) || t.Fold < 0 || t.Fold > 1 {
		return &UnsupportedTypeError{Value: t, Reason: "time out of range"}
	}
	h := byte(t.Hour)
	if t.Fold == 1 && e.proto > 3 {
		h |= 0x80
	}
	state := []byte{h, byte(t.Minute), byte(t.Second), byte(t.Microsecond >> 16), byte(t.Microsecond >> 8), byte(t.Microsecond)}
	e.temp(state)
	args := py.Tuple{state}
	if t.TZ != nil {
		args = append(args, t.TZ)
	}
	return e.saveReduce(nil, gTime, args)
}

// saveTZ writes a tzinfo. Equal tzinfo values are written once and then fetched from the
// memo, as CPython does for its shared instances (timezone.utc, the ZoneInfo cache, pytz's).
func (e *encoder) saveTZ(z py.TZInfo) error {
	key := memoKey{kind: 'z', s: fmt.Sprintf("%T%s", z, tzText(z))}
	if e.memoGet(key) {
		return nil
	}
	switch x := z.(type) {
	case py.TimeZone:
		if x.Offset <= -24*time.Hour || x.Offset >= 24*time.Hour || x.Offset%time.Microsecond != 0 {
			return &UnsupportedTypeError{Value: z, Reason: "timezone offset out of range"}
		}
		us := int64(x.Offset / time.Microsecond)
		td, _ := py.NewTimeDelta(0, 0, us)
		args := py.Tuple{td}
		if x.Name != nil {
			args = append(args, *x.Name)
		}
		return e.saveReduce(&key, gTimeZone, args)
	case py.ZoneInfo:
		if x.Key == "" {
			return &UnsupportedTypeError{Value: z, Reason: "ZoneInfo without a key"}
		}
		return e.saveReduce(&key, gZoneInfoNew, py.Tuple{x.Key, int64(1)})
	case py.PytzZone:
		if validPytzArgs(x.Callable, x.Args) {
			g, _ := py.ParseGlobal(x.Callable)
			return e.saveReduce(&key, g, x.Args)
		}
		return &UnsupportedTypeError{Value: z, Reason: "unknown pytz zone form"}
	}
	return &UnsupportedTypeError{Value: z}
}

func tzText(z py.TZInfo) string {
	switch x := z.(type) {
	case py.TimeZone:
		if x.Name != nil {
			return strconv.FormatInt(int64(x.Offset), 10) + "/" + *x.Name
		}
		return strconv.FormatInt(int64(x.Offset), 10)
	case py.ZoneInfo:
		return x.Key
	case py.PytzZone:
		return fmt.Sprintf("%s%#v", x.Callable, x.Args)
	}
	return ""
}

var (
	uuidIntKey    = "int"
	uuidIsSafeKey = "is_safe"
)

func (e *encoder) saveUUID(u py.UUID) error {
	if err := e.saveGlobal(gUUID); err != nil {
		return err
	}
	e.op(opEmptyTuple)
	e.op(opNewObj)
	e.memoPut(nil)
	n := new(big.Int).SetBytes(u.Bytes[:])
	state := py.NewDict(2)
	e.temp(state)
	var iv any = n
	if n.IsInt64() {
		iv = n.Int64()
	}
	state.AppendNew(uuidIntKey, uuidIntKey, iv)
	switch u.IsSafe {
	case py.SafeUUIDSafe:
		state.AppendNew(uuidIsSafeKey, uuidIsSafeKey, int64(0))
	case py.SafeUUIDUnsafe:
		state.AppendNew(uuidIsSafeKey, uuidIsSafeKey, int64(-1))
	case py.SafeUUIDUnknown:
	default:
		return &UnsupportedTypeError{Value: u, Reason: "unknown SafeUUID value"}
	}
	if err := e.save(state); err != nil {
		return err
	}
	e.op(opBuild)
	return nil
}

func (e *encoder) saveObject(o *py.Object) error {
	key := memoKey{kind: 'p', p: uintptr(unsafe.Pointer(o))}
	if e.memoGet(key) {
		return nil
	}
	if !e.c.objectAllowed(o) {
		return &ForbiddenGlobalError{Global: o.Global}
	}
	if err := e.enter(); err != nil {
		return err
	}
	defer func() { e.depth-- }()
	switch o.How {
	case "reduce":
		if err := e.saveGlobal(o.Global); err != nil {
			return err
		}
		if err := e.save(o.Args); err != nil {
			return err
		}
		e.op(opReduce)
	case "newobj":
		if err := e.saveGlobal(o.Global); err != nil {
			return err
		}
		if err := e.save(o.Args); err != nil {
			return err
		}
		e.op(opNewObj)
	case "newobj_ex":
		if e.proto < 4 {
			return &UnsupportedTypeError{Value: o, Reason: "newobj_ex objects need protocol 4"}
		}
		if err := e.saveGlobal(o.Global); err != nil {
			return err
		}
		if err := e.save(o.Args); err != nil {
			return err
		}
		kw := o.Kwargs
		if kw == nil {
			kw = &py.Dict{}
		}
		if err := e.save(kw); err != nil {
			return err
		}
		e.op(opNewObjEx)
	default:
		return &UnsupportedTypeError{Value: o, Reason: "unknown Object.How " + strconv.Quote(o.How)}
	}
	e.memoPut(&key)
	if len(o.ListItems) > 0 {
		if err := e.appendItems(o.ListItems, false); err != nil {
			return err
		}
	}
	if len(o.DictItems) > 0 {
		items := make([]py.Item, len(o.DictItems))
		e.temp(items)
		for i, kv := range o.DictItems {
			items[i] = py.Item{Key: kv[0], Value: kv[1]}
		}
		if err := e.setItems(items, false); err != nil {
			return err
		}
	}
	if o.HasState {
		if err := e.save(o.State); err != nil {
			return err
		}
		e.op(opBuild)
	}
	return nil
}

// encodeTail writes items as the SETITEM or SETITEMS batch that [LazyDict.AppendItems] adds to
// a pickle whose memo holds memoBase entries, followed by STOP: at protocol 4 and above in a
// frame of its own, the memo continuing densely from memoBase.
func (c *Codec) encodeTail(proto int, memoBase uint32, items []py.Item) ([]byte, error) {
	e := encoderPool.Get().(*encoder)
	defer e.release()
	e.c, e.proto, e.frameStart, e.frameEnd, e.maxDepth = c, proto, -1, math.MaxInt, 4*c.maxDepth()+16
	e.memoN = memoBase
	if proto >= 4 {
		e.startFrame()
	}
	if err := e.setItems(items, false); err != nil {
		return nil, err
	}
	e.buf = append(e.buf, opStop)
	e.commitFrame()
	return append([]byte(nil), e.buf...), nil
}
