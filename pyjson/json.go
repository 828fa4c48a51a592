package pyjson

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/big"
	"math/bits"
	"slices"
	"strconv"
	"sync"
	"unicode/utf8"
	"unsafe"

	"github.com/djangobridge/bridge/py"
)

// This file is json.dumps/json.loads as Django calls them:
//
//	dumps: json.dumps(obj, separators=(",", ":")).encode("latin-1")
//	loads: json.loads(data.decode("latin-1"))
//
// with CPython's json module (its C accelerator) as the reference.

// Nesting limits. CPython's json recursion limit varies: about 994 nested containers on 3.10 and
// 3.11 (fewer inside a Django request, whose frames count too), 1497 on 3.12, 9998 on 3.13.
// Go writes at most jsonMaxEncodeDepth levels, so that every supported Django can read what it
// writes, and reads up to jsonMaxDecodeDepth, so that it reads whatever Django writes.
const (
	jsonMaxEncodeDepth = 900
	jsonMaxDecodeDepth = 10000
)

// pyMaxIntDigits is Python's default sys.get_int_max_str_digits(): ints with more decimal digits
// can be neither parsed nor printed (ValueError), on every Python Django 3.2+ runs on here.
const pyMaxIntDigits = 4300

// TypeError is Python's TypeError or ValueError from json.dumps: a value or dict key JSON
// cannot express, a circular or too deeply nested value, or an int too long to print.
type TypeError struct {
	// Type is the Python (or Go) type of the offending value.
	Type string
	// Msg is Python's message.
	Msg string
}

// Error implements error.
func (e *TypeError) Error() string { return "pyjson: " + e.Msg }

// SyntaxError is a payload json.loads rejects. Offset is in bytes (latin-1 characters, the
// same figure Python reports). It wraps ErrCorrupt.
type SyntaxError struct {
	Msg    string
	Offset int
}

// Error implements error.
func (e *SyntaxError) Error() string {
	return fmt.Sprintf("pyjson: %s at offset %d", e.Msg, e.Offset)
}

// Unwrap returns ErrCorrupt.
func (e *SyntaxError) Unwrap() error { return ErrCorrupt }

// AppendMarshal appends Marshal(v) to dst and returns the extended buffer.
func AppendMarshal(dst []byte, v any) ([]byte, error) {
	e := getJSONEncoder()
	defer e.release()
	return e.value(dst, v, 0)
}

// Marshal is json.dumps(v, separators=(",", ":")).encode("latin-1"): see the package doc.
func Marshal(v any) ([]byte, error) {
	e := getJSONEncoder()
	defer e.release()
	b, err := e.value(e.buf, v, 0)
	e.buf = b
	if err != nil {
		return nil, err
	}
	return bytes.Clone(b), nil
}

// jsonEncoderPool keeps encoders, whose buffer would otherwise grow from nothing every time.
var jsonEncoderPool = sync.Pool{New: func() any { return &jsonEncoder{buf: make([]byte, 0, 1024)} }}

func getJSONEncoder() *jsonEncoder {
	e := jsonEncoderPool.Get().(*jsonEncoder)
	e.buf = e.buf[:0]
	return e
}

// release returns e to the pool; e.buf must not be used afterwards.
func (e *jsonEncoder) release() {
	clear(e.dicts)
	e.dicts = e.dicts[:0]
	if cap(e.buf) <= 1<<20 {
		jsonEncoderPool.Put(e)
	}
}

// Unmarshal is json.loads(data.decode("latin-1")): see the package doc.
func Unmarshal(data []byte) (any, error) {
	d := jsonDecoderPool.Get().(*jsonDecoder)
	defer d.release()
	d.data, d.pos = data, 0
	d.skipWS()
	v, err := d.value(0)
	if err != nil {
		return nil, err
	}
	d.skipWS()
	if d.pos != len(d.data) {
		return nil, d.errorf("Extra data")
	}
	return v, nil
}

// jsonEncoder writes JSON. Its methods take and return the output buffer rather than append to
// a field: storing a slice into a heap object costs a write barrier while the GC runs.
type jsonEncoder struct {
	buf   []byte     // the output buffer, kept for reuse
	dicts []*py.Dict // dicts being written, for Python's circular-reference check
}

func pyTypeName(v any) string {
	switch v.(type) {
	case []byte:
		return "bytes"
	case py.ByteArray:
		return "bytearray"
	case *py.Set:
		return "set"
	case *py.FrozenSet:
		return "frozenset"
	case py.Tuple:
		return "tuple"
	case py.Global:
		return "type"
	}
	return fmt.Sprintf("%T", v)
}

func (e *jsonEncoder) value(b []byte, v any, depth int) ([]byte, error) {
	if depth > jsonMaxEncodeDepth {
		return b, &TypeError{Type: pyTypeName(v), Msg: "maximum recursion depth exceeded while encoding a JSON object"}
	}
	switch x := v.(type) {
	case nil:
		b = append(b, "null"...)
	case bool:
		if x {
			b = append(b, "true"...)
		} else {
			b = append(b, "false"...)
		}
	case int:
		b = strconv.AppendInt(b, int64(x), 10)
	case int64:
		b = strconv.AppendInt(b, x, 10)
	case *big.Int:
		s, err := bigIntText(x)
		if err != nil {
			return b, err
		}
		b = append(b, s...)
	case float64:
		b = appendPyFloat(b, x)
	case string:
		return e.str(b, x)
	case []any:
		return e.array(b, x, depth)
	case py.Tuple:
		return e.array(b, x, depth)
	case *py.Dict:
		return e.dict(b, x, depth)
	case *py.OrderedDict:
		if x == nil {
			return b, &TypeError{Type: "nil *OrderedDict", Msg: "Object of type nil *OrderedDict is not JSON serializable"}
		}
		return e.dict(b, &x.Dict, depth)
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = e.str(b, k); err != nil {
				return b, err
			}
			b = append(b, ':')
			if b, err = e.value(b, x[k], depth+1); err != nil {
				return b, err
			}
		}
		b = append(b, '}')
	default:
		t := pyTypeName(v)
		return b, &TypeError{Type: t, Msg: "Object of type " + t + " is not JSON serializable"}
	}
	return b, nil
}

func bigIntText(x *big.Int) (string, error) {
	if x == nil {
		return "", &TypeError{Type: "nil *big.Int", Msg: "Object of type nil *big.Int is not JSON serializable"}
	}
	s := x.String()
	n := len(s)
	if x.Sign() < 0 {
		n--
	}
	if n > pyMaxIntDigits {
		return "", &TypeError{Type: "int", Msg: fmt.Sprintf("Exceeds the limit (%d digits) for integer string conversion", pyMaxIntDigits)}
	}
	return s, nil
}

func (e *jsonEncoder) array(b []byte, items []any, depth int) ([]byte, error) {
	b = append(b, '[')
	for i, it := range items {
		if i > 0 {
			b = append(b, ',')
		}
		var err error
		if b, err = e.value(b, it, depth+1); err != nil {
			return b, err
		}
	}
	b = append(b, ']')
	return b, nil
}

func (e *jsonEncoder) dict(b []byte, d *py.Dict, depth int) ([]byte, error) {
	if d == nil {
		return b, &TypeError{Type: "nil *Dict", Msg: "Object of type nil *Dict is not JSON serializable"}
	}
	if slices.Contains(e.dicts, d) {
		return b, &TypeError{Type: "dict", Msg: "Circular reference detected"}
	}
	e.dicts = append(e.dicts, d)
	b = append(b, '{')
	items := d.Items()
	for i := range items {
		if i > 0 {
			b = append(b, ',')
		}
		it := &items[i]
		var err error
		if b, err = e.key(b, it.Key); err != nil {
			return b, err
		}
		b = append(b, ':')
		if b, err = e.value(b, it.Value, depth+1); err != nil {
			return b, err
		}
	}
	b = append(b, '}')
	e.dicts = e.dicts[:len(e.dicts)-1]
	return b, nil
}

// key writes a dict key, coerced as Python's encoder does: str as is; float as its repr (NaN,
// Infinity, -Infinity); True/False/None as "true"/"false"/"null"; int as its repr.
func (e *jsonEncoder) key(b []byte, k any) ([]byte, error) {
	switch x := k.(type) {
	case string:
		return e.str(b, x)
	case float64:
		b = append(b, '"')
		b = appendPyFloat(b, x)
		b = append(b, '"')
	case bool:
		if x {
			b = append(b, `"true"`...)
		} else {
			b = append(b, `"false"`...)
		}
	case nil:
		b = append(b, `"null"`...)
	case int:
		b = append(b, '"')
		b = strconv.AppendInt(b, int64(x), 10)
		b = append(b, '"')
	case int64:
		b = append(b, '"')
		b = strconv.AppendInt(b, x, 10)
		b = append(b, '"')
	case *big.Int:
		s, err := bigIntText(x)
		if err != nil {
			return b, err
		}
		b = append(b, '"')
		b = append(b, s...)
		b = append(b, '"')
	default:
		t := pyTypeName(k)
		return b, &TypeError{Type: t, Msg: "keys must be str, int, float, bool or None, not " + t}
	}
	return b, nil
}

const lowerHex = "0123456789abcdef"

// jsonSafe marks the bytes json.dumps writes as they are: printable ASCII except '"' and '\\'.
var jsonSafe = func() (t [256]bool) {
	for c := ' '; c <= '~'; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

const (
	swarOnes  = 0x0101010101010101
	swarHighs = 0x8080808080808080
)

// swarFlags returns a word whose high bits mark (at least) the bytes of x that are below
// 0x20, equal to '"' or '\\', or at least 0x80, and, with del, 0x7f too. A zero result means
// no byte of x is one of those. (Borrows and carries may set flags above a marked byte, in the
// bytes that come later in memory; they never hide one. So the lowest flag marks the first
// such byte: see firstFlagged.)
func swarFlags(x uint64, del bool) uint64 {
	hasZero := func(v uint64) uint64 { return (v - swarOnes) & ^v }
	f := (x-0x20*swarOnes)&^x | hasZero(x^('"'*swarOnes)) | hasZero(x^('\\'*swarOnes)) | x
	if del {
		f |= x + swarOnes
	}
	return f & swarHighs
}

// firstFlagged returns the index in its word of the byte the lowest flag of f marks, f being
// a non-zero swarFlags result of a little-endian load.
func firstFlagged(f uint64) int { return bits.TrailingZeros64(f) >> 3 }

// jsonSafeRun returns the index of the first byte of s at or after i that json.dumps does not
// copy as it is. It reads a word at a time while 8 bytes are left.
func jsonSafeRun(s string, i int) int {
	for i+8 <= len(s) {
		w := s[i : i+8]
		x := uint64(w[0]) | uint64(w[1])<<8 | uint64(w[2])<<16 | uint64(w[3])<<24 |
			uint64(w[4])<<32 | uint64(w[5])<<40 | uint64(w[6])<<48 | uint64(w[7])<<56
		if f := swarFlags(x, true); f != 0 {
			return i + firstFlagged(f)
		}
		i += 8
	}
	for i < len(s) && jsonSafe[s[i]] {
		i++
	}
	return i
}

// plainRun returns the index of the first byte of b at or after i that ends the fast path of
// the string decoder: '"', '\\', a control character or a byte >= 0x80. b is the whole
// input, so 8 bytes are usually left even at the end of a short string.
func plainRun(b []byte, i int) int {
	for i+8 <= len(b) {
		if f := swarFlags(binary.LittleEndian.Uint64(b[i:]), false); f != 0 {
			return i + firstFlagged(f)
		}
		i += 8
	}
	for i < len(b) && jsonPlain[b[i]] {
		i++
	}
	return i
}

// jsonPlain marks the bytes plainRun passes over.
var jsonPlain = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// appendUEscape appends the \uXXXX escape of the UTF-16 code unit r.
func appendUEscape(b []byte, r rune) []byte {
	return append(b, '\\', 'u', lowerHex[r>>12&0xf], lowerHex[r>>8&0xf], lowerHex[r>>4&0xf], lowerHex[r&0xf])
}

// str appends s with ensure_ascii escaping. s is UTF-8, or WTF-8 for lone surrogates.
func (e *jsonEncoder) str(b []byte, s string) ([]byte, error) {
	j := jsonSafeRun(s, 0)
	b = append(append(b, '"'), s[:j]...)
	if j == len(s) {
		// Nothing to escape, as is usual for session keys and values.
		return append(b, '"'), nil
	}
	return e.strEscaped(b, s, j)
}

// strEscaped is str from s[i], which needs escaping, on; the opening quote and s[:i] are
// written.
func (e *jsonEncoder) strEscaped(b []byte, s string, i int) ([]byte, error) {
	for i < len(s) {
		// Copy the run of characters that need no escaping in one go.
		j := jsonSafeRun(s, i)
		b = append(b, s[i:j]...)
		if i = j; i == len(s) {
			break
		}
		c := s[i]
		if c < utf8.RuneSelf {
			i++
			switch {
			case c == '"':
				b = append(b, '\\', '"')
			case c == '\\':
				b = append(b, '\\', '\\')
			case c >= ' ' && c <= '~':
				b = append(b, c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c == '\b':
				b = append(b, '\\', 'b')
			case c == '\f':
				b = append(b, '\\', 'f')
			default:
				b = appendUEscape(b, rune(c))
			}
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			// A surrogate encoded as UTF-8 (WTF-8): ED A0..BF 80..BF.
			if c == 0xED && i+2 < len(s) && s[i+1] >= 0xA0 && s[i+1] <= 0xBF && s[i+2]&0xC0 == 0x80 {
				b = appendUEscape(b, rune(0xD000)|rune(s[i+1]&0x3F)<<6|rune(s[i+2]&0x3F))
				i += 3
				continue
			}
			return b, &TypeError{Type: "str", Msg: fmt.Sprintf("string is not valid UTF-8 (byte %#02x at %d)", c, i)}
		}
		i += size
		if r >= 0x10000 {
			r -= 0x10000
			b = appendUEscape(b, 0xD800|(r>>10)&0x3FF)
			b = appendUEscape(b, 0xDC00|r&0x3FF)
		} else {
			b = appendUEscape(b, r)
		}
	}
	b = append(b, '"')
	return b, nil
}

// appendPyFloat appends Python's repr of f, or json's NaN/Infinity/-Infinity.
func appendPyFloat(b []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(b, "NaN"...)
	case math.IsInf(f, 1):
		return append(b, "Infinity"...)
	case math.IsInf(f, -1):
		return append(b, "-Infinity"...)
	}
	return append(b, py.FloatRepr(f)...)
}

// pyNaN is CPython's float("nan"), what json.loads returns for NaN: the quiet NaN without a
// payload (Go's math.NaN() has a different bit pattern).
var pyNaN = math.Float64frombits(0x7ff8000000000000)

type jsonDecoder struct {
	data []byte
	pos  int
	keys *[keyCacheSize]keySlotPair // object keys seen (boxed once), like CPython's memo
	// localKeys has a bit for each slot of keys whose local entry is set.
	localKeys uint64
	// stack and istack hold the items of the arrays and objects being read, so that each
	// container is allocated once at its final size. Slots above the top are cleared only
	// by release, up to the highest top reached (stackTop, istackTop): until then they
	// point into the value being decoded.
	stack               []any
	istack              []py.Item
	stackTop, istackTop int
	// arena holds the bytes of the decoded strings (data is the caller's and may be reused
	// once Loads returns); each string is a view of its own bytes in it, which are never
	// written again. Strings thus take an allocation of their own only for the boxing. The
	// arena is not reused after release. arenaSize is the capacity of the last arena array.
	arena     []byte
	arenaSize int
	// dicts and items are slabs the decoded dicts and their items are carved from.
	dicts    []py.Dict
	items    []py.Item
	dictMade bool // newDict has been called
}

// jsonDecoderPool keeps decoders for their key cache and stack.
var jsonDecoderPool = sync.Pool{New: func() any { return &jsonDecoder{keys: new([keyCacheSize]keySlotPair)} }}

// release drops every reference to the decoded data and returns d to the pool. Only the
// owned keys of the key cache, copies independent of any input, are kept.
func (d *jsonDecoder) release() {
	for m := d.localKeys; m != 0; m &= m - 1 {
		d.keys[bits.TrailingZeros64(m)].local = cachedKey{}
	}
	d.localKeys = 0
	clear(d.stack[:max(len(d.stack), d.stackTop)])
	clear(d.istack[:max(len(d.istack), d.istackTop)])
	d.stack, d.istack, d.stackTop, d.istackTop = d.stack[:0], d.istack[:0], 0, 0
	d.data, d.dicts, d.items, d.arena, d.arenaSize, d.dictMade = nil, nil, nil, nil, 0, false
	if cap(d.stack) > 4096 {
		d.stack = nil
	}
	if cap(d.istack) > 2048 {
		d.istack = nil
	}
	jsonDecoderPool.Put(d)
}

// dictBlock is a dict and room for its items, allocated together.
type dictBlock struct {
	d   py.Dict
	buf [8]py.Item
}

// newDict returns a dict holding items, carved from the decoder's slabs. The items' slice is
// capped at its length, so a later Set reallocates instead of writing into the slab.
func (d *jsonDecoder) newDict(n int) *py.Dict {
	if !d.dictMade && n > 0 && n <= len(dictBlock{}.buf) {
		// The first dict, often the only one (a session): one allocation for both.
		d.dictMade = true
		b := new(dictBlock)
		b.d.UseBuffer(b.buf[:0:n])
		return &b.d
	}
	if len(d.dicts) == cap(d.dicts) {
		d.dicts = make([]py.Dict, 0, min(max(2*cap(d.dicts), 4), 256))
	}
	d.dicts = d.dicts[:len(d.dicts)+1]
	obj := &d.dicts[len(d.dicts)-1]
	if n > 0 {
		if cap(d.items)-len(d.items) < n {
			d.items = make([]py.Item, 0, max(n, min(2*cap(d.items), 1024), 8))
		}
		l := len(d.items)
		d.items = d.items[:l+n]
		obj.UseBuffer(d.items[l : l : l+n])
	}
	return obj
}

func (d *jsonDecoder) errorf(msg string) error {
	return &SyntaxError{Msg: msg, Offset: d.pos}
}

func (d *jsonDecoder) skipWS() {
	if d.pos < len(d.data) && d.data[d.pos] > ' ' {
		return // compact JSON, as Django writes it: no whitespace
	}
	d.skipWSSlow()
}

func (d *jsonDecoder) skipWSSlow() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

func (d *jsonDecoder) hasPrefix(lit string) bool {
	return len(d.data)-d.pos >= len(lit) && string(d.data[d.pos:d.pos+len(lit)]) == lit
}

var errJSONDepth = errors.New("maximum nesting depth exceeded")

func (d *jsonDecoder) value(depth int) (any, error) {
	if d.pos >= len(d.data) {
		return nil, d.errorf("Expecting value")
	}
	switch c := d.data[d.pos]; c {
	case '"':
		d.pos++
		return d.str()
	case '{':
		if depth >= jsonMaxDecodeDepth {
			return nil, &SyntaxError{Msg: errJSONDepth.Error(), Offset: d.pos}
		}
		d.pos++
		return d.object(depth)
	case '[':
		if depth >= jsonMaxDecodeDepth {
			return nil, &SyntaxError{Msg: errJSONDepth.Error(), Offset: d.pos}
		}
		d.pos++
		return d.array(depth)
	case 'n':
		if d.hasPrefix("null") {
			d.pos += 4
			return nil, nil
		}
	case 't':
		if d.hasPrefix("true") {
			d.pos += 4
			return true, nil
		}
	case 'f':
		if d.hasPrefix("false") {
			d.pos += 5
			return false, nil
		}
	case 'N':
		if d.hasPrefix("NaN") {
			d.pos += 3
			return pyNaN, nil
		}
	case 'I':
		if d.hasPrefix("Infinity") {
			d.pos += 8
			return math.Inf(1), nil
		}
	case '-':
		if d.hasPrefix("-Infinity") {
			d.pos += 9
			return math.Inf(-1), nil
		}
	}
	return d.number()
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// number is CPython's _match_number_unicode.
func (d *jsonDecoder) number() (any, error) {
	start := d.pos
	i := d.pos
	n := len(d.data)
	neg := false
	if i < n && d.data[i] == '-' {
		neg = true
		i++
		if i >= n {
			return nil, d.errorf("Expecting value")
		}
	}
	digits := i
	var v uint64 // the integer part, when it has at most 18 digits
	switch {
	case i < n && d.data[i] >= '1' && d.data[i] <= '9':
		for i < n && isDigit(d.data[i]) {
			v = v*10 + uint64(d.data[i]-'0')
			i++
		}
	case i < n && d.data[i] == '0':
		i++
	default:
		return nil, d.errorf("Expecting value")
	}
	digits = i - digits
	isFloat := false
	if i+1 < n && d.data[i] == '.' && isDigit(d.data[i+1]) {
		isFloat = true
		i += 2
		for i < n && isDigit(d.data[i]) {
			i++
		}
	}
	if i < n && (d.data[i] == 'e' || d.data[i] == 'E') {
		e := i
		i++
		if i < n && (d.data[i] == '-' || d.data[i] == '+') {
			i++
		}
		for i < n && isDigit(d.data[i]) {
			i++
		}
		if isDigit(d.data[i-1]) {
			isFloat = true
		} else {
			i = e
		}
	}
	d.pos = i
	if !isFloat && digits <= 18 {
		// At most 18 digits: v did not overflow, and fits an int64.
		if neg {
			return -int64(v), nil
		}
		return int64(v), nil
	}
	tok := unsafe.String(&d.data[start], i-start) // only parsed, not kept
	if isFloat {
		f, err := strconv.ParseFloat(tok, 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			return nil, &SyntaxError{Msg: "invalid number", Offset: start}
		}
		return f, nil
	}
	if digits > pyMaxIntDigits { // tok is the sign and the digits
		return nil, &SyntaxError{Msg: fmt.Sprintf("Exceeds the limit (%d digits) for integer string conversion", pyMaxIntDigits), Offset: start}
	}
	if v, err := strconv.ParseInt(tok, 10, 64); err == nil {
		return v, nil
	}
	b, _ := new(big.Int).SetString(tok, 10)
	return b, nil
}

func hexVal(c byte) rune {
	switch {
	case c >= '0' && c <= '9':
		return rune(c - '0')
	case c >= 'a' && c <= 'f':
		return rune(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return rune(c-'A') + 10
	}
	return -1
}

// hex4 decodes the 4 hex digits at p, or returns -1.
func (d *jsonDecoder) hex4(p int) rune {
	if p+4 > len(d.data) {
		return -1
	}
	h := d.data[p : p+4]
	a, b, c, e := hexTable[h[0]], hexTable[h[1]], hexTable[h[2]], hexTable[h[3]]
	if a|b|c|e < 0 {
		return -1
	}
	return rune(a)<<12 | rune(b)<<8 | rune(c)<<4 | rune(e)
}

// hexTable maps a byte to its value as a hex digit, or -1.
var hexTable = func() (t [256]int8) {
	for i := range t {
		t[i] = int8(hexVal(byte(i)))
	}
	return t
}()

// appendWTF8 appends r as UTF-8, writing surrogates as Python's "surrogatepass" does.
func appendWTF8(b []byte, r rune) []byte {
	if r >= 0xD800 && r <= 0xDFFF {
		return append(b, 0xED, byte(0x80|(r>>6)&0x3F), byte(0x80|r&0x3F))
	}
	return utf8.AppendRune(b, r)
}

// keyCacheSize is the number of slots of the decoder's key cache, a direct-mapped table.
const keyCacheSize = 64 // a power of 2, and no more than the 64 bits of the uint64 slot sets

// maxOwnedKey is the longest key the cache keeps across calls.
const maxOwnedKey = 64

type cachedKey struct {
	s     string
	boxed any
}

// keySlotPair is a slot of the key cache. owned is a copy of the first short key that came to
// the slot and is kept across calls, so that the keys every session has ("_auth_user_id",
// ...) are boxed once per pooled decoder, not once per call. local is the last other key of
// the current call; it is a view of the input, dropped on release.
type keySlotPair struct {
	owned, local cachedKey
}

// keySlot picks the cache slot of a key from its length and first and last bytes.
func keySlot(b []byte) int {
	if len(b) == 0 {
		return 0
	}
	return (len(b)*31 + int(b[0])*7 + int(b[len(b)-1])) % keyCacheSize
}

// key reads an object key, reusing the (boxed) string of an equal key read before: keys repeat
// in lists of dicts, and CPython memoizes them the same way. Only keys without escapes are
// cached. It also returns the key's cache slot, or -1 for a key with escapes: equal keys
// have equal slots.
func (d *jsonDecoder) key() (any, int, error) {
	if i := plainRun(d.data, d.pos); i < len(d.data) && d.data[i] == '"' {
		raw := d.data[d.pos:i]
		slot := keySlot(raw)
		p := &d.keys[slot]
		if p.owned.boxed != nil && p.owned.s == string(raw) {
			d.pos = i + 1
			return p.owned.boxed, slot, nil
		}
		if p.local.boxed != nil && p.local.s == string(raw) {
			d.pos = i + 1
			return p.local.boxed, slot, nil
		}
		d.pos = i + 1
		if p.owned.boxed == nil && len(raw) <= maxOwnedKey {
			k := string(raw) // a copy: owned keys outlive the input
			p.owned = cachedKey{s: k, boxed: k}
			return p.owned.boxed, slot, nil
		}
		k := d.arenaCopy(raw)
		p.local = cachedKey{s: k, boxed: k}
		d.localKeys |= 1 << slot
		return p.local.boxed, slot, nil
	}
	k, err := d.str()
	if err != nil {
		return nil, -1, err
	}
	return k, -1, nil
}

// Sizes of the arena arrays: they double from minArena to maxArena.
const (
	minArena = 256
	maxArena = 8 << 10
)

// newArena starts a new arena array with room for at least need bytes, and no more than the
// rest of the input needs unless it has raw latin-1 bytes, which take 2 bytes in UTF-8. The
// earlier array stays alive as long as strings point into it.
func (d *jsonDecoder) newArena(need int) {
	d.arenaSize = max(need, min(max(2*d.arenaSize, minArena), maxArena, len(d.data)-d.pos))
	d.arena = make([]byte, 0, d.arenaSize)
}

// arenaCopy returns a copy of b as a string in the arena.
func (d *jsonDecoder) arenaCopy(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if cap(d.arena)-len(d.arena) < len(b) {
		d.newArena(len(b))
	}
	n := len(d.arena)
	d.arena = append(d.arena, b...)
	return unsafe.String(&d.arena[n], len(b))
}

// arenaString returns the bytes of out, appended to the free end of d.arena, as a string, and
// takes them out of the arena's free space.
func (d *jsonDecoder) arenaString(out []byte) string {
	if len(out) == 0 {
		return ""
	}
	free := d.arena[len(d.arena):cap(d.arena)]
	if len(free) > 0 && unsafe.SliceData(out) == unsafe.SliceData(free) {
		d.arena = d.arena[:len(d.arena)+len(out)]
	} else {
		d.arena = nil // out outgrew the arena; the next string starts a new one
	}
	// The bytes of out are never written again: later strings are appended past them, and
	// the arena is dropped on release.
	return unsafe.String(unsafe.SliceData(out), len(out))
}

// str is CPython's scanstring_unicode in strict mode; d.pos is just after the opening quote.
func (d *jsonDecoder) str() (string, error) {
	begin := d.pos - 1
	// Fast path: no escapes and ASCII only.
	i := plainRun(d.data, d.pos)
	if i < len(d.data) && d.data[i] == '"' {
		s := d.arenaCopy(d.data[d.pos:i])
		d.pos = i + 1
		return s, nil
	}
	// The decoded bytes go to the free end of the arena; a string too long for it gets its
	// own array from append, and the next string a new arena.
	if cap(d.arena)-len(d.arena) < 2*(i-d.pos)+16 {
		d.newArena(2*(i-d.pos) + 16)
	}
	out := d.arena[len(d.arena):]
	for {
		out = append(out, d.data[d.pos:i]...)
		if d.pos = i; d.pos >= len(d.data) {
			return "", &SyntaxError{Msg: "Unterminated string starting at", Offset: begin}
		}
		c := d.data[d.pos]
		switch {
		case c == '"':
			d.pos++
			return d.arenaString(out), nil
		case c < 0x20:
			return "", d.errorf("Invalid control character at")
		case c >= 0x80:
			// latin-1: the byte is the code point.
			out = append(out, 0xC0|c>>6, 0x80|c&0x3F)
			d.pos++
			i = plainRun(d.data, d.pos)
			continue
		}
		d.pos++
		if d.pos >= len(d.data) {
			return "", &SyntaxError{Msg: "Unterminated string starting at", Offset: begin}
		}
		esc := d.data[d.pos]
		switch esc {
		case '"', '\\', '/':
			out = append(out, esc)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r := d.hex4(d.pos + 1)
			if r < 0 {
				d.pos--
				return "", d.errorf("Invalid \\uXXXX escape")
			}
			d.pos += 4
			if r >= 0xD800 && r <= 0xDBFF && d.pos+2 < len(d.data) && d.data[d.pos+1] == '\\' && d.data[d.pos+2] == 'u' {
				r2 := d.hex4(d.pos + 3)
				if r2 < 0 {
					d.pos++
					return "", d.errorf("Invalid \\uXXXX escape")
				}
				if r2 >= 0xDC00 && r2 <= 0xDFFF {
					r = 0x10000 + (r-0xD800)<<10 | (r2 - 0xDC00)
					d.pos += 6
				}
			}
			out = appendWTF8(out, r)
		default:
			d.pos--
			return "", d.errorf("Invalid \\escape")
		}
		d.pos++
		i = plainRun(d.data, d.pos)
	}
}

func (d *jsonDecoder) object(depth int) (any, error) {
	base := len(d.istack) // on error, release clears the stack
	d.skipWS()
	if d.pos < len(d.data) && d.data[d.pos] == '}' {
		d.pos++
		return d.newDict(0), nil
	}
	// slots has a bit for the cache slot of each key read; equal keys share a slot, so while
	// every key has a slot of its own no key repeats and the items need no look-up.
	var slots uint64
	distinct := true
	for {
		if d.pos >= len(d.data) || d.data[d.pos] != '"' {
			return nil, d.errorf("Expecting property name enclosed in double quotes")
		}
		d.pos++
		k, slot, err := d.key()
		if err != nil {
			return nil, err
		}
		if slot < 0 || slots&(1<<slot) != 0 {
			distinct = false
		}
		slots |= 1 << (slot & (keyCacheSize - 1))
		d.skipWS()
		if d.pos >= len(d.data) || d.data[d.pos] != ':' {
			return nil, d.errorf("Expecting ':' delimiter")
		}
		d.pos++
		d.skipWS()
		v, err := d.value(depth + 1)
		if err != nil {
			return nil, err
		}
		d.istack = append(d.istack, py.Item{Key: k, Value: v})
		d.skipWS()
		if d.pos < len(d.data) && d.data[d.pos] == '}' {
			d.pos++
			items := d.istack[base:]
			obj := d.newDict(len(items))
			// Past 8 items Dict keeps an index, which set builds.
			if distinct && len(items) <= 8 {
				obj.AppendDistinct(items)
			} else {
				for _, it := range items {
					// A repeated key keeps its first place and takes the last value, as in
					// CPython.
					obj.SetStr(it.Key.(string), it.Key, it.Value)
				}
			}
			d.istackTop = max(d.istackTop, len(d.istack))
			d.istack = d.istack[:base]
			return obj, nil
		}
		if d.pos >= len(d.data) || d.data[d.pos] != ',' {
			return nil, d.errorf("Expecting ',' delimiter")
		}
		d.pos++
		d.skipWS()
	}
}

func (d *jsonDecoder) array(depth int) (any, error) {
	base := len(d.stack) // on error, release clears the stack
	d.skipWS()
	if d.pos < len(d.data) && d.data[d.pos] == ']' {
		d.pos++
		return []any{}, nil
	}
	for {
		v, err := d.value(depth + 1)
		if err != nil {
			return nil, err
		}
		d.stack = append(d.stack, v)
		d.skipWS()
		if d.pos < len(d.data) && d.data[d.pos] == ']' {
			d.pos++
			arr := append([]any(nil), d.stack[base:]...)
			d.stackTop = max(d.stackTop, len(d.stack))
			d.stack = d.stack[:base]
			return arr, nil
		}
		if d.pos >= len(d.data) || d.data[d.pos] != ',' {
			return nil, d.errorf("Expecting ',' delimiter")
		}
		d.pos++
		d.skipWS()
	}
}
