package pyjson

import (
	"errors"
	"hash/maphash"
	"math/big"
	"sync"
	"unsafe"

	"github.com/djangobridge/bridge/py"
)

// This file is UnmarshalObject: a JSON object validated as Unmarshal would validate it, whose
// member values are decoded on demand, for sessions of which a request reads a few keys.

// NotObjectError is UnmarshalObject's error for input that Unmarshal accepts but whose value
// is not a JSON object (a list, str, number, bool or null). It does not match ErrCorrupt: the
// input is valid JSON, and the caller decides what a value of another type means.
type NotObjectError struct {
	// Value is what Unmarshal returns for the input.
	Value any
}

// Error implements error.
func (e *NotObjectError) Error() string {
	return "pyjson: JSON value is " + jsonTypeName(e.Value) + ", not an object"
}

// jsonTypeName is the Python type name of a value Unmarshal returns.
func jsonTypeName(v any) string {
	switch v.(type) {
	case nil:
		return "None"
	case bool:
		return "bool"
	case int64, *big.Int:
		return "int"
	case float64:
		return "float"
	case string:
		return "str"
	case []any:
		return "list"
	case *py.Dict:
		return "dict"
	}
	return pyTypeName(v)
}

// Object is a JSON object that [UnmarshalObject] validated as strictly as [Unmarshal] would,
// whose member values are built on demand. It keeps the input, which the caller must not
// change while it uses the Object. Values built by [Object.Get] or [Object.Dict] are cached
// and returned again by later calls; they are the caller's to read, and changing one changes
// what the Object returns. An Object is not safe for concurrent use.
type Object struct {
	data []byte
	// slots holds the distinct members, in order of first occurrence, in slots[:n]; every
	// slot is also a bucket of the hash chains that find a member by its key.
	slots []member
	n     int
	// arena is where Get's decoder copies strings: the free end of its last arena array,
	// shared by the values of successive Gets (see jsonDecoder.arena).
	arena     []byte
	arenaSize int
}

type span struct{ start, end int }

type member struct {
	key   span   // the key's text, quotes included, at its first occurrence
	val   span   // the text of its last value
	hash  uint64 // keySeed hash of the decoded key
	next  int32  // the next member of the same chain, plus 1 (0: none)
	head  int32  // as a bucket: its first member, plus 1 (0: empty)
	plain bool   // the key has no escape and no byte >= 0x80: its text is its value
	built bool   // value holds the decoded value
	value any
}

// keySeed seeds the key hashes; a per-process seed keeps chains short whatever the input.
var keySeed = maphash.MakeSeed()

// maxJSONObjectDepth is the nesting limit of Unmarshal.
const maxJSONObjectDepth = jsonMaxDecodeDepth

// objectScanner is the pooled state of UnmarshalObject's validating scan.
type objectScanner struct {
	data    []byte
	members []rawMember                       // every member, duplicates included
	objects [maxJSONObjectDepth/64 + 1]uint64 // bit i: open container i is an object (else an array)
	key     []byte                            // scratch for a decoded key with escapes
}

type rawMember struct {
	key, val span
	plain    bool
}

var objectScannerPool = sync.Pool{New: func() any { return new(objectScanner) }}

func (s *objectScanner) release() {
	s.data = nil
	if cap(s.members) > 4096 {
		s.members = nil
	}
	if cap(s.key) > 4096 {
		s.key = nil
	}
	s.members, s.key = s.members[:0], s.key[:0]
	objectScannerPool.Put(s)
}

// errLazyScan is returned if the scan rejects an object Unmarshal accepts: a bug, which
// FuzzUnmarshalObject looks for.
var errLazyScan = errors.New("pyjson: internal error: UnmarshalObject rejected an object Unmarshal accepts")

// UnmarshalObject is Unmarshal for input whose value is a JSON object (a Django session): it
// accepts exactly the objects Unmarshal accepts, and fails with Unmarshal's error (a
// *[SyntaxError], same message and offset) for everything Unmarshal rejects. Valid JSON that is
// not an object gives a *[NotObjectError] carrying Unmarshal's value.
//
// It checks the whole input (string escapes, numbers and Python's int digit limit, nesting
// depth, trailing data) but decodes no value: [Object.Get] decodes one member's value when it
// is first asked for. Its allocations do not depend on the input's size: the Object and one
// slice of spans. The Object keeps data; see [Object].
func UnmarshalObject(data []byte) (*Object, error) {
	s := objectScannerPool.Get().(*objectScanner)
	defer s.release()
	s.data = data
	if !s.scanObject() {
		v, err := Unmarshal(data)
		if err != nil {
			return nil, err
		}
		if _, ok := v.(*py.Dict); ok {
			return nil, errLazyScan
		}
		return nil, &NotObjectError{Value: v}
	}
	o := &Object{data: data}
	if len(s.members) == 0 {
		return o, nil
	}
	o.slots = make([]member, len(s.members))
	for i := range s.members {
		rm := &s.members[i]
		raw := data[rm.key.start+1 : rm.key.end-1]
		var h uint64
		if rm.plain {
			h = maphash.Bytes(keySeed, raw)
		} else {
			s.key = appendKey(s.key[:0], raw)
			h = maphash.Bytes(keySeed, s.key)
			raw = s.key
		}
		// raw is now the decoded key.
		if j := o.find(h, unsafe.String(unsafe.SliceData(raw), len(raw))); j >= 0 {
			// A repeated key keeps its first place and takes the last value, as in CPython.
			o.slots[j].val = rm.val
			continue
		}
		m := &o.slots[o.n]
		m.key, m.val, m.hash, m.plain = rm.key, rm.val, h, rm.plain
		b := &o.slots[o.bucket(h)]
		m.next, b.head = b.head, int32(o.n+1)
		o.n++
	}
	return o, nil
}

func (o *Object) bucket(h uint64) int {
	return int(uint64(uint32(h)) * uint64(len(o.slots)) >> 32)
}

// find returns the index of the member whose key is k (of hash h), or -1.
func (o *Object) find(h uint64, k string) int {
	if len(o.slots) == 0 {
		return -1
	}
	for j := o.slots[o.bucket(h)].head; j != 0; j = o.slots[j-1].next {
		m := &o.slots[j-1]
		if m.hash != h {
			continue
		}
		raw := o.data[m.key.start+1 : m.key.end-1]
		if m.plain && string(raw) == k || !m.plain && keyEqual(raw, k) {
			return int(j - 1)
		}
	}
	return -1
}

func (o *Object) index(key string) int {
	return o.find(maphash.String(keySeed, key), key)
}

// Len returns the number of distinct keys.
func (o *Object) Len() int { return o.n }

// Keys returns the keys in Python's dict order: where each key first occurs (a repeated key
// keeps its first place and its last value, as json.loads does).
func (o *Object) Keys() []string {
	keys := make([]string, o.n)
	d := jsonDecoderPool.Get().(*jsonDecoder)
	defer d.release()
	d.data = o.data
	for i := range o.n {
		k, err := o.decodeKey(d, &o.slots[i])
		if err != nil {
			panic("pyjson: a validated key does not decode: " + err.Error())
		}
		keys[i] = k.(string)
	}
	return keys
}

// decodeKey returns m's key as Unmarshal returns it, boxed.
func (o *Object) decodeKey(d *jsonDecoder, m *member) (any, error) {
	d.pos = m.key.start + 1
	k, _, err := d.key()
	return k, err
}

// Has reports whether key is present. It builds nothing.
func (o *Object) Has(key string) bool { return o.index(key) >= 0 }

// Get returns the value of key, as Unmarshal would give it, and whether key is present. The
// value is decoded on first access and cached. The error, for a validated Object, is nil.
func (o *Object) Get(key string) (any, bool, error) {
	i := o.index(key)
	if i < 0 {
		return nil, false, nil
	}
	m := &o.slots[i]
	if !m.built {
		d := jsonDecoderPool.Get().(*jsonDecoder)
		d.data, d.pos = o.data, m.val.start
		// The strings of successive Gets share arena arrays, as within one Unmarshal.
		d.arena, d.arenaSize = o.arena, o.arenaSize
		v, err := d.value(1)
		o.arena, o.arenaSize = d.arena, d.arenaSize
		d.release()
		if err != nil {
			return nil, true, err
		}
		m.value, m.built = v, true
	}
	return m.value, true, nil
}

// Dict returns the whole object as Unmarshal returns it (py.Equal to it), a new dict each
// call, whose values are those Get built (the same objects) or are built and cached now.
func (o *Object) Dict() (*py.Dict, error) {
	dict := py.NewDict(o.n)
	d := jsonDecoderPool.Get().(*jsonDecoder)
	defer d.release()
	d.data = o.data
	for i := range o.n {
		m := &o.slots[i]
		k, err := o.decodeKey(d, m)
		if err != nil {
			return nil, err
		}
		if !m.built {
			d.pos = m.val.start
			v, err := d.value(1)
			if err != nil {
				return nil, err
			}
			m.value, m.built = v, true
		}
		dict.AppendNew(k.(string), k, m.value)
	}
	return dict, nil
}

// AppendEncode appends the JSON text of the object after setting changed's items and then
// deleting the keys in removed, and returns the extended buffer. A key already present keeps
// its place; new keys follow, in changed's order. Members that neither changed nor removed
// touches are copied from the input (their key and value text); the others are written as
// Marshal writes them. So json.loads of the result equals json.loads of Marshal of the whole
// dict after the change (byte for byte, for an input Marshal or Django wrote). Keys of changed
// that are not strs are coerced as Marshal coerces them and are always new keys, as in Python
// (1 is not "1"); removed names str keys. changed may be nil. On error (a value Marshal
// rejects, a *[TypeError]) it returns dst unchanged.
func (o *Object) AppendEncode(dst []byte, changed *py.Dict, removed []string) ([]byte, error) {
	items := changed.Items()
	// act[i] is what becomes of member i: 0 kept, -1 removed, j+1 set to items[j].
	var act []int32
	var isNew []bool
	if len(items) > 0 || len(removed) > 0 {
		act = make([]int32, o.n)
		isNew = make([]bool, len(items))
		for j, it := range items {
			if k, ok := it.Key.(string); ok {
				if i := o.index(k); i >= 0 {
					act[i] = int32(j + 1)
					continue
				}
			}
			isNew[j] = true
		}
		for _, k := range removed {
			if i := o.index(k); i >= 0 {
				act[i] = -1
			}
			if j := newIndex(items, isNew, k); j >= 0 {
				isNew[j] = false
			}
		}
	}
	e := getJSONEncoder()
	defer e.release()
	b := append(dst, '{')
	first := true
	var err error
	for i := range o.n {
		m := &o.slots[i]
		a := int32(0)
		if act != nil {
			a = act[i]
		}
		if a < 0 {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, o.data[m.key.start:m.key.end]...)
		b = append(b, ':')
		if a == 0 {
			b = append(b, o.data[m.val.start:m.val.end]...)
		} else if b, err = e.value(b, items[a-1].Value, 1); err != nil {
			return dst, err
		}
	}
	for j, it := range items {
		if !isNew[j] {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		if b, err = e.key(b, it.Key); err != nil {
			return dst, err
		}
		b = append(b, ':')
		if b, err = e.value(b, it.Value, 1); err != nil {
			return dst, err
		}
	}
	return append(b, '}'), nil
}

// newIndex returns the index of the new item whose key is the str k, or -1.
func newIndex(items []py.Item, isNew []bool, k string) int {
	for j, it := range items {
		if s, ok := it.Key.(string); ok && isNew[j] && s == k {
			return j
		}
	}
	return -1
}

// The validating scan. It accepts what Unmarshal accepts (see jsonDecoder: value, number,
// str, object, array) and records the spans of the top-level members; on any failure the
// caller asks Unmarshal for the error.

func skipWSAt(data []byte, i int) int {
	for i < len(data) {
		switch data[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

func hasPrefixAt(data []byte, i int, lit string) bool {
	return len(data)-i >= len(lit) && string(data[i:i+len(lit)]) == lit
}

// scanObject checks that s.data is one object and records its members.
func (s *objectScanner) scanObject() bool {
	data := s.data
	i := skipWSAt(data, 0)
	if i >= len(data) || data[i] != '{' {
		return false
	}
	i = skipWSAt(data, i+1)
	if i < len(data) && data[i] == '}' {
		return skipWSAt(data, i+1) == len(data)
	}
	for {
		var rm rawMember
		var ok bool
		if i >= len(data) || data[i] != '"' {
			return false
		}
		rm.key.start = i
		if i, rm.plain, ok = scanString(data, i+1); !ok {
			return false
		}
		rm.key.end = i
		i = skipWSAt(data, i)
		if i >= len(data) || data[i] != ':' {
			return false
		}
		i = skipWSAt(data, i+1)
		rm.val.start = i
		if i, ok = s.skipValue(i); !ok {
			return false
		}
		rm.val.end = i
		s.members = append(s.members, rm)
		i = skipWSAt(data, i)
		if i >= len(data) {
			return false
		}
		switch data[i] {
		case '}':
			return skipWSAt(data, i+1) == len(data)
		case ',':
			i = skipWSAt(data, i+1)
		default:
			return false
		}
	}
}

// scanString checks the string whose text starts at i, just after the opening quote, as
// jsonDecoder.str reads it, and returns the index after its closing quote and whether it has
// no escape and no byte >= 0x80.
func scanString(data []byte, i int) (end int, plain, ok bool) {
	plain = true
	for {
		i = plainRun(data, i)
		if i >= len(data) {
			return i, false, false
		}
		switch c := data[i]; {
		case c == '"':
			return i + 1, plain, true
		case c < 0x20:
			return i, false, false
		case c >= 0x80: // a latin-1 character
			plain = false
			i++
		default: // '\\'
			plain = false
			if i+1 >= len(data) {
				return i, false, false
			}
			switch data[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if hex4At(data, i+2) < 0 {
					return i, false, false
				}
				i += 6
			default:
				return i, false, false
			}
		}
	}
}

// hex4At decodes the 4 hex digits at p, or returns -1.
func hex4At(data []byte, p int) rune {
	if p+4 > len(data) {
		return -1
	}
	h := data[p : p+4]
	a, b, c, e := hexTable[h[0]], hexTable[h[1]], hexTable[h[2]], hexTable[h[3]]
	if a|b|c|e < 0 {
		return -1
	}
	return rune(a)<<12 | rune(b)<<8 | rune(c)<<4 | rune(e)
}

// scanNumber checks the number at i as jsonDecoder.number reads it.
func scanNumber(data []byte, i int) (int, bool) {
	n := len(data)
	if i < n && data[i] == '-' {
		i++
		if i >= n {
			return i, false
		}
	}
	digits := i
	switch {
	case i < n && data[i] >= '1' && data[i] <= '9':
		for i < n && isDigit(data[i]) {
			i++
		}
	case i < n && data[i] == '0':
		i++
	default:
		return i, false
	}
	digits = i - digits
	isFloat := false
	if i+1 < n && data[i] == '.' && isDigit(data[i+1]) {
		isFloat = true
		i += 2
		for i < n && isDigit(data[i]) {
			i++
		}
	}
	if i < n && (data[i] == 'e' || data[i] == 'E') {
		e := i
		i++
		if i < n && (data[i] == '-' || data[i] == '+') {
			i++
		}
		for i < n && isDigit(data[i]) {
			i++
		}
		if isDigit(data[i-1]) {
			isFloat = true
		} else {
			i = e
		}
	}
	return i, isFloat || digits <= pyMaxIntDigits
}

// skipValue checks the value at i, a member value of the top-level object, and returns the
// index after it. It walks nested containers without recursion, keeping their kinds in
// s.objects, and enforces Unmarshal's nesting limit.
func (s *objectScanner) skipValue(i int) (int, bool) {
	data := s.data
	level := 1 // open containers: the top-level object
	var ok bool
	for {
		// i is where a value starts.
		if i >= len(data) {
			return i, false
		}
		switch c := data[i]; c {
		case '"':
			if i, _, ok = scanString(data, i+1); !ok {
				return i, false
			}
		case '{', '[':
			if level >= maxJSONObjectDepth {
				return i, false
			}
			i = skipWSAt(data, i+1)
			if i < len(data) && (c == '{' && data[i] == '}' || c == '[' && data[i] == ']') {
				i++ // an empty container: a whole value
				break
			}
			if c == '{' {
				s.objects[level/64] |= 1 << (level % 64)
				level++
				if i, ok = memberKey(data, i); !ok {
					return i, false
				}
			} else {
				s.objects[level/64] &^= 1 << (level % 64)
				level++
			}
			continue
		case 'n':
			if !hasPrefixAt(data, i, "null") {
				return i, false
			}
			i += 4
		case 't':
			if !hasPrefixAt(data, i, "true") {
				return i, false
			}
			i += 4
		case 'f':
			if !hasPrefixAt(data, i, "false") {
				return i, false
			}
			i += 5
		case 'N':
			if !hasPrefixAt(data, i, "NaN") {
				return i, false
			}
			i += 3
		case 'I':
			if !hasPrefixAt(data, i, "Infinity") {
				return i, false
			}
			i += 8
		default:
			if c == '-' && hasPrefixAt(data, i, "-Infinity") {
				i += 9
				break
			}
			if i, ok = scanNumber(data, i); !ok {
				return i, false
			}
		}
		// A value ends at i: close the containers it ends, or go to the next value.
	next:
		for {
			if level == 1 {
				return i, true
			}
			i = skipWSAt(data, i)
			if i >= len(data) {
				return i, false
			}
			top := level - 1
			isObject := s.objects[top/64]&(1<<(top%64)) != 0
			switch data[i] {
			case ',':
				i = skipWSAt(data, i+1)
				if isObject {
					if i, ok = memberKey(data, i); !ok {
						return i, false
					}
				}
				break next
			case '}':
				if !isObject {
					return i, false
				}
			case ']':
				if isObject {
					return i, false
				}
			default:
				return i, false
			}
			i++
			level--
		}
	}
}

// memberKey checks a member's key and colon at i and returns where its value starts.
func memberKey(data []byte, i int) (int, bool) {
	if i >= len(data) || data[i] != '"' {
		return i, false
	}
	i, _, ok := scanString(data, i+1)
	if !ok {
		return i, false
	}
	i = skipWSAt(data, i)
	if i >= len(data) || data[i] != ':' {
		return i, false
	}
	return skipWSAt(data, i+1), true
}

// keyRune decodes the character of the validated key text raw at i as jsonDecoder.str does,
// into buf, and returns its length and the index of the next character.
func keyRune(raw []byte, i int, buf *[4]byte) (n, next int) {
	c := raw[i]
	if c != '\\' {
		if c < 0x80 {
			buf[0] = c
			return 1, i + 1
		}
		buf[0], buf[1] = 0xC0|c>>6, 0x80|c&0x3F // latin-1
		return 2, i + 1
	}
	switch esc := raw[i+1]; esc {
	case 'b':
		buf[0] = '\b'
	case 'f':
		buf[0] = '\f'
	case 'n':
		buf[0] = '\n'
	case 'r':
		buf[0] = '\r'
	case 't':
		buf[0] = '\t'
	case 'u':
		r := hex4At(raw, i+2)
		next = i + 6
		if r >= 0xD800 && r <= 0xDBFF && next+1 < len(raw) && raw[next] == '\\' && raw[next+1] == 'u' {
			if r2 := hex4At(raw, next+2); r2 >= 0xDC00 && r2 <= 0xDFFF {
				r = 0x10000 + (r-0xD800)<<10 | (r2 - 0xDC00)
				next += 6
			}
		}
		return len(appendWTF8(buf[:0], r)), next
	default: // '"', '\\', '/'
		buf[0] = esc
	}
	return 1, i + 2
}

// appendKey appends the decoded validated key text raw.
func appendKey(dst, raw []byte) []byte {
	var buf [4]byte
	for i := 0; i < len(raw); {
		n, next := keyRune(raw, i, &buf)
		dst = append(dst, buf[:n]...)
		i = next
	}
	return dst
}

// keyEqual reports whether the validated key text raw decodes to k, without building it.
func keyEqual(raw []byte, k string) bool {
	var buf [4]byte
	j := 0
	for i := 0; i < len(raw); {
		n, next := keyRune(raw, i, &buf)
		if len(k)-j < n || string(buf[:n]) != k[j:j+n] {
			return false
		}
		i, j = next, j+n
	}
	return j == len(k)
}
