package djangosession

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/big"
	"slices"
	"strconv"
	"sync"
	"unicode/utf8"
)

// This file is Django's signing.JSONSerializer, byte for byte:
//
//	dumps: json.dumps(obj, separators=(",", ":")).encode("latin-1")
//	loads: json.loads(data.decode("latin-1"))
//
// with CPython's json module (its C accelerator) as the reference.

// Serializer turns a session value into bytes and back: Django's SESSION_SERIALIZER and the
// serializer argument of signing.dumps/loads. Implementations must be safe for concurrent use.
type Serializer interface {
	Dumps(v any) ([]byte, error)
	Loads(data []byte) (any, error)
}

// JSONSerializer is django.core.signing.JSONSerializer (and
// django.contrib.sessions.serializers.JSONSerializer, the default SESSION_SERIALIZER).
//
// Dumps writes what Python's json.dumps(v, separators=(",", ":")) writes: ASCII only (other
// characters as lowercase \uXXXX escapes, surrogate pairs above the BMP), "/" unescaped, NaN
// and ±Infinity as NaN/Infinity/-Infinity, floats as Python's repr, ints exactly, dicts in
// insertion order. Values are those of the package's value model: nil, bool, int, int64,
// *big.Int, float64, string, []any, Tuple (written as an array, as Python does), *Dict,
// *OrderedDict, and, as a Go convenience, map[string]any (keys sorted). Dict keys that are
// int, float, bool or None are turned into strings as Python does; other keys and other values
// give a *JSONTypeError, like Python's TypeError.
//
// Loads reads what json.loads accepts after Django decodes the bytes as latin-1 (so raw UTF-8
// in a payload turns into mojibake, exactly as in Django): objects become *Dict (insertion
// order, a repeated key keeps its first place and its last value), arrays []any, integers
// int64 or *big.Int, other numbers float64 (NaN and ±Infinity literals accepted), strings
// string. A lone surrogate escape (\ud800) becomes its WTF-8 bytes (Python's "surrogatepass"
// UTF-8), and Dumps writes such bytes back as the escape. Errors are *JSONSyntaxError.
type JSONSerializer struct{}

var _ Serializer = JSONSerializer{}

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

// JSONTypeError is Python's TypeError or ValueError from json.dumps: a value or dict key JSON
// cannot express, a circular or too deeply nested value, or an int too long to print.
type JSONTypeError struct {
	// Type is the Python (or Go) type of the offending value.
	Type string
	// Msg is Python's message.
	Msg string
}

// Error implements error.
func (e *JSONTypeError) Error() string { return "djangosession: json: " + e.Msg }

// JSONSyntaxError is a payload json.loads rejects. Offset is in bytes (latin-1 characters, the
// same figure Python reports). It wraps ErrCorrupt.
type JSONSyntaxError struct {
	Msg    string
	Offset int
}

// Error implements error.
func (e *JSONSyntaxError) Error() string {
	return fmt.Sprintf("djangosession: json: %s at offset %d", e.Msg, e.Offset)
}

// Unwrap returns ErrCorrupt.
func (e *JSONSyntaxError) Unwrap() error { return ErrCorrupt }

// Dumps implements Serializer.
func (JSONSerializer) Dumps(v any) ([]byte, error) {
	e := getJSONEncoder()
	defer e.release()
	if err := e.value(v, 0); err != nil {
		return nil, err
	}
	return bytes.Clone(e.buf), nil
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

// Loads implements Serializer.
func (JSONSerializer) Loads(data []byte) (any, error) {
	d := jsonDecoderPool.Get().(*jsonDecoder)
	defer d.release()
	d.data, d.text, d.pos = data, string(data), 0
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

type jsonEncoder struct {
	buf   []byte
	dicts []*Dict // dicts being written, for Python's circular-reference check
}

func pyTypeName(v any) string {
	switch v.(type) {
	case []byte:
		return "bytes"
	case ByteArray:
		return "bytearray"
	case *Set:
		return "set"
	case *FrozenSet:
		return "frozenset"
	case Tuple:
		return "tuple"
	case Global:
		return "type"
	}
	return fmt.Sprintf("%T", v)
}

func (e *jsonEncoder) value(v any, depth int) error {
	if depth > jsonMaxEncodeDepth {
		return &JSONTypeError{Type: pyTypeName(v), Msg: "maximum recursion depth exceeded while encoding a JSON object"}
	}
	switch x := v.(type) {
	case nil:
		e.buf = append(e.buf, "null"...)
	case bool:
		if x {
			e.buf = append(e.buf, "true"...)
		} else {
			e.buf = append(e.buf, "false"...)
		}
	case int:
		e.buf = strconv.AppendInt(e.buf, int64(x), 10)
	case int64:
		e.buf = strconv.AppendInt(e.buf, x, 10)
	case *big.Int:
		s, err := bigIntText(x)
		if err != nil {
			return err
		}
		e.buf = append(e.buf, s...)
	case float64:
		e.buf = appendPyFloat(e.buf, x)
	case string:
		return e.str(x)
	case []any:
		return e.array(x, depth)
	case Tuple:
		return e.array(x, depth)
	case *Dict:
		return e.dict(x, depth)
	case *OrderedDict:
		if x == nil {
			return &JSONTypeError{Type: "nil *OrderedDict", Msg: "Object of type nil *OrderedDict is not JSON serializable"}
		}
		return e.dict(&x.Dict, depth)
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		e.buf = append(e.buf, '{')
		for i, k := range keys {
			if i > 0 {
				e.buf = append(e.buf, ',')
			}
			if err := e.str(k); err != nil {
				return err
			}
			e.buf = append(e.buf, ':')
			if err := e.value(x[k], depth+1); err != nil {
				return err
			}
		}
		e.buf = append(e.buf, '}')
	default:
		t := pyTypeName(v)
		return &JSONTypeError{Type: t, Msg: "Object of type " + t + " is not JSON serializable"}
	}
	return nil
}

func bigIntText(x *big.Int) (string, error) {
	if x == nil {
		return "", &JSONTypeError{Type: "nil *big.Int", Msg: "Object of type nil *big.Int is not JSON serializable"}
	}
	s := x.String()
	n := len(s)
	if x.Sign() < 0 {
		n--
	}
	if n > pyMaxIntDigits {
		return "", &JSONTypeError{Type: "int", Msg: fmt.Sprintf("Exceeds the limit (%d digits) for integer string conversion", pyMaxIntDigits)}
	}
	return s, nil
}

func (e *jsonEncoder) array(items []any, depth int) error {
	e.buf = append(e.buf, '[')
	for i, it := range items {
		if i > 0 {
			e.buf = append(e.buf, ',')
		}
		if err := e.value(it, depth+1); err != nil {
			return err
		}
	}
	e.buf = append(e.buf, ']')
	return nil
}

func (e *jsonEncoder) dict(d *Dict, depth int) error {
	if d == nil {
		return &JSONTypeError{Type: "nil *Dict", Msg: "Object of type nil *Dict is not JSON serializable"}
	}
	if slices.Contains(e.dicts, d) {
		return &JSONTypeError{Type: "dict", Msg: "Circular reference detected"}
	}
	e.dicts = append(e.dicts, d)
	e.buf = append(e.buf, '{')
	for i := range d.items {
		if i > 0 {
			e.buf = append(e.buf, ',')
		}
		it := &d.items[i]
		if err := e.key(it.key); err != nil {
			return err
		}
		e.buf = append(e.buf, ':')
		if err := e.value(it.val, depth+1); err != nil {
			return err
		}
	}
	e.buf = append(e.buf, '}')
	e.dicts = e.dicts[:len(e.dicts)-1]
	return nil
}

// key writes a dict key, coerced as Python's encoder does: str as is; float as its repr (NaN,
// Infinity, -Infinity); True/False/None as "true"/"false"/"null"; int as its repr.
func (e *jsonEncoder) key(k any) error {
	switch x := k.(type) {
	case string:
		return e.str(x)
	case float64:
		e.buf = append(e.buf, '"')
		e.buf = appendPyFloat(e.buf, x)
		e.buf = append(e.buf, '"')
	case bool:
		if x {
			e.buf = append(e.buf, `"true"`...)
		} else {
			e.buf = append(e.buf, `"false"`...)
		}
	case nil:
		e.buf = append(e.buf, `"null"`...)
	case int:
		e.buf = append(e.buf, '"')
		e.buf = strconv.AppendInt(e.buf, int64(x), 10)
		e.buf = append(e.buf, '"')
	case int64:
		e.buf = append(e.buf, '"')
		e.buf = strconv.AppendInt(e.buf, x, 10)
		e.buf = append(e.buf, '"')
	case *big.Int:
		s, err := bigIntText(x)
		if err != nil {
			return err
		}
		e.buf = append(e.buf, '"')
		e.buf = append(e.buf, s...)
		e.buf = append(e.buf, '"')
	default:
		t := pyTypeName(k)
		return &JSONTypeError{Type: t, Msg: "keys must be str, int, float, bool or None, not " + t}
	}
	return nil
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
// no byte of x is one of those. (Borrows and carries may set flags above a marked byte; they
// never hide one.)
func swarFlags(x uint64, del bool) uint64 {
	hasZero := func(v uint64) uint64 { return (v - swarOnes) & ^v }
	f := (x-0x20*swarOnes)&^x | hasZero(x^('"'*swarOnes)) | hasZero(x^('\\'*swarOnes)) | x
	if del {
		f |= x + swarOnes
	}
	return f & swarHighs
}

// jsonSafeRun returns the index of the first byte of s at or after i that json.dumps does not
// copy as it is.
func jsonSafeRun(s string, i int) int {
	for i < len(s) && jsonSafe[s[i]] {
		i++
	}
	return i
}

// plainRun returns the index of the first byte of b at or after i that ends the fast path of
// the string decoder: '"', '\\', a control character or a byte >= 0x80. Strings in sessions
// are short: a word at a time pays only from 16 bytes on.
func plainRun(b []byte, i int) int {
	for i+16 <= len(b) && swarFlags(binary.LittleEndian.Uint64(b[i:]), false) == 0 {
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

func (e *jsonEncoder) uescape(r rune) {
	e.buf = append(e.buf, '\\', 'u', lowerHex[r>>12&0xf], lowerHex[r>>8&0xf], lowerHex[r>>4&0xf], lowerHex[r&0xf])
}

// str writes s with ensure_ascii escaping. s is UTF-8, or WTF-8 for lone surrogates.
func (e *jsonEncoder) str(s string) error {
	e.buf = append(e.buf, '"')
	for i := 0; i < len(s); {
		// Copy the run of characters that need no escaping in one go.
		j := jsonSafeRun(s, i)
		e.buf = append(e.buf, s[i:j]...)
		if i = j; i == len(s) {
			break
		}
		c := s[i]
		if c < utf8.RuneSelf {
			i++
			switch {
			case c == '"':
				e.buf = append(e.buf, '\\', '"')
			case c == '\\':
				e.buf = append(e.buf, '\\', '\\')
			case c >= ' ' && c <= '~':
				e.buf = append(e.buf, c)
			case c == '\n':
				e.buf = append(e.buf, '\\', 'n')
			case c == '\r':
				e.buf = append(e.buf, '\\', 'r')
			case c == '\t':
				e.buf = append(e.buf, '\\', 't')
			case c == '\b':
				e.buf = append(e.buf, '\\', 'b')
			case c == '\f':
				e.buf = append(e.buf, '\\', 'f')
			default:
				e.uescape(rune(c))
			}
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			// A surrogate encoded as UTF-8 (WTF-8): ED A0..BF 80..BF.
			if c == 0xED && i+2 < len(s) && s[i+1] >= 0xA0 && s[i+1] <= 0xBF && s[i+2]&0xC0 == 0x80 {
				e.uescape(rune(0xD000) | rune(s[i+1]&0x3F)<<6 | rune(s[i+2]&0x3F))
				i += 3
				continue
			}
			return &JSONTypeError{Type: "str", Msg: fmt.Sprintf("string is not valid UTF-8 (byte %#02x at %d)", c, i)}
		}
		i += size
		if r >= 0x10000 {
			r -= 0x10000
			e.uescape(0xD800 | (r>>10)&0x3FF)
			e.uescape(0xDC00 | r&0x3FF)
		} else {
			e.uescape(r)
		}
	}
	e.buf = append(e.buf, '"')
	return nil
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
	return append(b, PyFloatRepr(f)...)
}

// PyFloatRepr returns Python's repr(f) for a finite float: the shortest digits that round-trip,
// in fixed notation when the decimal exponent is in [-4, 16) ("0.0001", "1e+16", "1e-05") and
// with ".0" added to integral values. NaN and infinities give "nan", "inf", "-inf".
func PyFloatRepr(f float64) string {
	switch {
	case math.IsNaN(f):
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	es := strconv.FormatFloat(f, 'e', -1, 64)
	// es is [-]d[.ddd]e±XX; the decimal point position is exponent + 1.
	ei := len(es) - 1
	for es[ei] != 'e' {
		ei--
	}
	exp, _ := strconv.Atoi(es[ei+1:])
	decpt := exp + 1
	if decpt <= -4 || decpt > 16 {
		return es
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	for i := 0; i < len(s); i++ {
		if s[i] == '.' {
			return s
		}
	}
	return s + ".0"
}

// pyNaN is CPython's float("nan"), what json.loads returns for NaN: the quiet NaN without a
// payload (Go's math.NaN() has a different bit pattern).
var pyNaN = math.Float64frombits(0x7ff8000000000000)

type jsonDecoder struct {
	data []byte
	// text is data as a string: strings without escapes are substrings of it, which saves
	// an allocation per string (they keep text alive, which is about the size of the value).
	text string
	pos  int
	keys *[keyCacheSize]cachedKey // object keys seen (boxed once), like CPython's memo
	// stack holds the items of the containers being read, so that each container is
	// allocated once at its final size.
	stack []any
	// scratch collects the bytes of a string with escapes.
	scratch []byte
	// dicts and items are slabs the decoded dicts and their items are carved from.
	dicts []Dict
	items []dictItem
}

// jsonDecoderPool keeps decoders for their key cache, stack and scratch buffers.
var jsonDecoderPool = sync.Pool{New: func() any { return &jsonDecoder{keys: new([keyCacheSize]cachedKey)} }}

// release drops every reference to the decoded data and returns d to the pool.
func (d *jsonDecoder) release() {
	clear(d.keys[:])
	clear(d.stack)
	d.data, d.text, d.stack, d.dicts, d.items = nil, "", d.stack[:0], nil, nil
	if cap(d.stack) > 4096 {
		d.stack = nil
	}
	if cap(d.scratch) > 1<<16 {
		d.scratch = nil
	}
	jsonDecoderPool.Put(d)
}

// newDict returns a dict holding items, carved from the decoder's slabs. The items' slice is
// capped at its length, so a later Set reallocates instead of writing into the slab.
func (d *jsonDecoder) newDict(n int) *Dict {
	if len(d.dicts) == cap(d.dicts) {
		d.dicts = make([]Dict, 0, min(max(2*cap(d.dicts), 4), 256))
	}
	d.dicts = d.dicts[:len(d.dicts)+1]
	obj := &d.dicts[len(d.dicts)-1]
	if n > 0 {
		if cap(d.items)-len(d.items) < n {
			d.items = make([]dictItem, 0, max(n, min(2*cap(d.items), 1024), 8))
		}
		l := len(d.items)
		d.items = d.items[:l+n]
		obj.items = d.items[l : l : l+n]
	}
	return obj
}

func (d *jsonDecoder) errorf(msg string) error {
	return &JSONSyntaxError{Msg: msg, Offset: d.pos}
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
			return nil, &JSONSyntaxError{Msg: errJSONDepth.Error(), Offset: d.pos}
		}
		d.pos++
		return d.object(depth)
	case '[':
		if depth >= jsonMaxDecodeDepth {
			return nil, &JSONSyntaxError{Msg: errJSONDepth.Error(), Offset: d.pos}
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
	if i < n && d.data[i] == '-' {
		i++
		if i >= n {
			return nil, d.errorf("Expecting value")
		}
	}
	switch {
	case i < n && d.data[i] >= '1' && d.data[i] <= '9':
		i++
		for i < n && isDigit(d.data[i]) {
			i++
		}
	case i < n && d.data[i] == '0':
		i++
	default:
		return nil, d.errorf("Expecting value")
	}
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
	if !isFloat && i-start <= 18 {
		// At most 18 characters: fits an int64 whatever they are.
		p := start
		neg := d.data[p] == '-'
		if neg {
			p++
		}
		var v int64
		for ; p < i; p++ {
			v = v*10 + int64(d.data[p]-'0')
		}
		if neg {
			v = -v
		}
		return v, nil
	}
	tok := d.text[start:i]
	if isFloat {
		f, err := strconv.ParseFloat(tok, 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			return nil, &JSONSyntaxError{Msg: "invalid number", Offset: start}
		}
		return f, nil
	}
	digits := len(tok)
	if tok[0] == '-' {
		digits--
	}
	if digits > pyMaxIntDigits {
		return nil, &JSONSyntaxError{Msg: fmt.Sprintf("Exceeds the limit (%d digits) for integer string conversion", pyMaxIntDigits), Offset: start}
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
	var r rune
	for _, c := range d.data[p : p+4] {
		h := hexVal(c)
		if h < 0 {
			return -1
		}
		r = r<<4 | h
	}
	return r
}

// appendWTF8 appends r as UTF-8, writing surrogates as Python's "surrogatepass" does.
func appendWTF8(b []byte, r rune) []byte {
	if r >= 0xD800 && r <= 0xDFFF {
		return append(b, 0xED, byte(0x80|(r>>6)&0x3F), byte(0x80|r&0x3F))
	}
	return utf8.AppendRune(b, r)
}

// keyCacheSize is the number of slots of the decoder's key cache, a direct-mapped table.
const keyCacheSize = 64

type cachedKey struct {
	s     string
	boxed any
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
// cached; a slot holds the last key that hashed to it.
func (d *jsonDecoder) key() (any, error) {
	if i := plainRun(d.data, d.pos); i < len(d.data) && d.data[i] == '"' {
		{
			raw := d.data[d.pos:i]
			slot := keySlot(raw)
			ck := &d.keys[slot]
			if ck.boxed != nil && ck.s == string(raw) {
				d.pos = i + 1
				return ck.boxed, nil
			}
			k := d.text[d.pos:i]
			d.pos = i + 1
			ck.s, ck.boxed = k, k
			return ck.boxed, nil
		}
	}
	k, err := d.str()
	if err != nil {
		return nil, err
	}
	return k, nil
}

// str is CPython's scanstring_unicode in strict mode; d.pos is just after the opening quote.
func (d *jsonDecoder) str() (string, error) {
	begin := d.pos - 1
	// Fast path: no escapes and ASCII only.
	i := plainRun(d.data, d.pos)
	if i < len(d.data) && d.data[i] == '"' {
		s := d.text[d.pos:i]
		d.pos = i + 1
		return s, nil
	}
	out := append(d.scratch[:0], d.data[d.pos:i]...)
	defer func() { d.scratch = out[:0] }()
	d.pos = i
	for {
		if d.pos >= len(d.data) {
			return "", &JSONSyntaxError{Msg: "Unterminated string starting at", Offset: begin}
		}
		c := d.data[d.pos]
		switch {
		case c == '"':
			d.pos++
			return string(out), nil
		case c < 0x20:
			return "", d.errorf("Invalid control character at")
		case c >= 0x80:
			// latin-1: the byte is the code point.
			out = utf8.AppendRune(out, rune(c))
			d.pos++
			continue
		case c != '\\':
			out = append(out, c)
			d.pos++
			continue
		}
		d.pos++
		if d.pos >= len(d.data) {
			return "", &JSONSyntaxError{Msg: "Unterminated string starting at", Offset: begin}
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
	}
}

func (d *jsonDecoder) object(depth int) (any, error) {
	base := len(d.stack) // on error the decoder is dropped, stack and all
	d.skipWS()
	if d.pos < len(d.data) && d.data[d.pos] == '}' {
		d.pos++
		return d.newDict(0), nil
	}
	for {
		if d.pos >= len(d.data) || d.data[d.pos] != '"' {
			return nil, d.errorf("Expecting property name enclosed in double quotes")
		}
		d.pos++
		k, err := d.key()
		if err != nil {
			return nil, err
		}
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
		d.stack = append(d.stack, k, v)
		d.skipWS()
		if d.pos < len(d.data) && d.data[d.pos] == '}' {
			d.pos++
			items := d.stack[base:]
			obj := d.newDict(len(items) / 2)
			for i := 0; i < len(items); i += 2 {
				// A repeated key keeps its first place and takes the last value, as in CPython.
				if len(obj.items) < 8 {
					obj.setSmallStr(items[i].(string), items[i], items[i+1])
				} else {
					obj.set(hashKey{kind: 's', s: items[i].(string)}, items[i], items[i+1])
				}
			}
			clear(items)
			d.stack = d.stack[:base]
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
	base := len(d.stack) // on error the decoder is dropped, stack and all
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
			clear(d.stack[base:])
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
