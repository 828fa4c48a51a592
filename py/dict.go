package py

import (
	"errors"
	"iter"
	"math"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"unsafe"
)

// This file holds the Go side of the Python value model: the types a decoded session value is
// made of. The table in doc.go maps each Python type to one of them. Plain Go values stand for
// the common Python types (nil, bool, int64, float64, string, []byte, []any); the named types
// below stand for the rest, so that nothing is lost on a round trip.

// Tuple is a Python tuple. It is a distinct type so that a tuple written back stays a tuple.
type Tuple []any

// ByteArray is a Python bytearray. Python bytes are plain []byte.
type ByteArray []byte

// Global names a Python global (a module attribute such as "datetime.datetime").
type Global struct {
	Module string
	Name   string
}

// String returns "module.name".
func (g Global) String() string { return g.Module + "." + g.Name }

// dottedQualnames are the globals of the value model whose qualified name has a dot.
var dottedQualnames = []Global{{Module: "zoneinfo", Name: "ZoneInfo._unpickle"}}

// ParseGlobal splits "module.qualname" into a Global, the inverse of [Global.String]: the last
// dot splits, except for the globals of the value model whose qualname holds a dot
// (zoneinfo.ZoneInfo._unpickle).
func ParseGlobal(s string) (Global, error) {
	i := strings.LastIndexByte(s, '.')
	if i <= 0 || i == len(s)-1 {
		return Global{}, errors.New("py: " + strconv.Quote(s) + " is not module.name")
	}
	for _, g := range dottedQualnames {
		if len(s) == len(g.Module)+1+len(g.Name) && s[:len(g.Module)] == g.Module && s[len(g.Module)+1:] == g.Name {
			return g, nil
		}
	}
	return Global{Module: s[:i], Name: s[i+1:]}, nil
}

// Dict is a Python dict: insertion-ordered, with keys of any hashable Python type.
//
// Keys compare as Python compares them: 1, 1.0 and True are the same key; "1" is not. A session
// is a Dict whose keys are strings. The zero Dict is an empty dict ready to use. A Dict is not
// safe for concurrent use.
type Dict struct {
	items []Item
	index *keyIndex // position of each key in items; built once the dict grows past 8
}

// Item is one key and its value in a [Dict].
type Item struct {
	Key, Value any
}

// NewDict returns an empty dict with room for n items.
func NewDict(n int) *Dict {
	return &Dict{items: make([]Item, 0, n)}
}

// DictOf builds a dict from alternating keys and values, in order: DictOf("a", 1, "b", 2).
// It panics if len(kv) is odd or a key is unhashable; it is meant for literals in code and tests.
func DictOf(kv ...any) *Dict {
	if len(kv)%2 != 0 {
		panic("py: DictOf needs key, value pairs")
	}
	d := NewDict(len(kv) / 2)
	for i := 0; i < len(kv); i += 2 {
		if err := d.SetKey(kv[i], kv[i+1]); err != nil {
			panic(err)
		}
	}
	return d
}

// Len returns the number of items.
func (d *Dict) Len() int {
	if d == nil {
		return 0
	}
	return len(d.items)
}

func (d *Dict) find(k hashKey) (int, bool) {
	if d == nil {
		return 0, false
	}
	if d.index == nil {
		// Small dicts are scanned; the index is built once they grow.
		if len(d.items) <= 8 {
			for i := range d.items {
				if sameKey(d.items[i].Key, k) {
					return i, true
				}
			}
			return 0, false
		}
		d.index = newKeyIndex(len(d.items))
		for i := range d.items {
			kk, _ := keyOf(d.items[i].Key)
			d.index.insert(hashOf(kk), i)
		}
	}
	return d.index.lookup(hashOf(k), func(i int) bool { return sameKey(d.items[i].Key, k) })
}

// Get returns the value stored under the string key.
func (d *Dict) Get(key string) (any, bool) {
	i, ok := d.find(hashKey{kind: 's', s: key})
	if !ok {
		return nil, false
	}
	return d.items[i].Value, true
}

// GetKey returns the value stored under a key of any hashable type.
func (d *Dict) GetKey(key any) (any, bool) {
	k, err := keyOf(key)
	if err != nil {
		return nil, false
	}
	i, ok := d.find(k)
	if !ok {
		return nil, false
	}
	return d.items[i].Value, true
}

// Has reports whether the string key is present.
func (d *Dict) Has(key string) bool {
	_, ok := d.find(hashKey{kind: 's', s: key})
	return ok
}

// Set stores v under the string key. A new key goes last; an existing key keeps its place, as in
// Python.
func (d *Dict) Set(key string, v any) {
	d.set(hashKey{kind: 's', s: key}, key, v)
}

// SetKey stores v under a key of any hashable Python type. It fails for unhashable keys (lists,
// dicts, sets, bytearrays), as Python does.
func (d *Dict) SetKey(key, v any) error {
	k, err := keyOf(key)
	if err != nil {
		return err
	}
	d.set(k, key, v)
	return nil
}

func (d *Dict) set(k hashKey, key, v any) {
	if i, ok := d.find(k); ok {
		d.items[i].Value = v
		return
	}
	d.items = append(d.items, Item{key, v})
	if d.index != nil {
		d.index.insert(hashOf(k), len(d.items)-1)
	}
}

// SetStr is SetKey for a str key k whose boxed form the caller already holds (key must be k
// as an any): decoders box each str once. In a small dict (at most 8 items) it compares
// strings directly, the common case of a decoded session.
func (d *Dict) SetStr(k string, key, v any) {
	if d.index != nil || len(d.items) > 8 {
		d.set(hashKey{kind: 's', s: k}, key, v)
		return
	}
	for i := range d.items {
		// Keys of the same length usually differ in their first byte: test it before
		// comparing the whole strings.
		s, ok := d.items[i].Key.(string)
		if ok && len(s) == len(k) && (len(k) == 0 || s[0] == k[0] && s == k) {
			d.items[i].Value = v
			return
		}
	}
	d.items = append(d.items, Item{key, v})
}

// Items returns the items in order. The slice is the dict's own storage: a codec may read it
// and change values in place, but must not change keys or append to it (use [Dict.SetKey]).
func (d *Dict) Items() []Item {
	if d == nil {
		return nil
	}
	return d.items
}

// UseBuffer makes the empty dict d store its first cap(buf) items in buf's backing array,
// from buf[:0]: a decoder that builds many small dicts carves their items from one
// allocation. Appending past cap(buf) reallocates, so buf's neighbours are never written.
// It does nothing when d is not empty.
func (d *Dict) UseBuffer(buf []Item) {
	if len(d.items) == 0 && d.index == nil {
		d.items = buf[:0:cap(buf)]
	}
}

// Grow makes room for n more items, at least doubling the storage when it must grow, so
// that a decoder adding items in batches copies each item a bounded number of times, and
// sizes the key index for them. It returns the number of bytes it allocated.
func (d *Dict) Grow(n int) int {
	allocated := 0
	if n > cap(d.items)-len(d.items) {
		d.items = slices.Grow(d.items, max(n, len(d.items)))
		allocated += int(unsafe.Sizeof(Item{})) * cap(d.items)
	}
	if total := len(d.items) + n; total > 8 {
		var a int
		d.index, a = d.index.reserve(total, len(d.items), func(i int) hashKey {
			k, _ := keyOf(d.items[i].Key)
			return k
		})
		allocated += a
	}
	return allocated
}

// AppendNew appends key with v, for a decoder that has checked that key, a str, is not in
// the dict, which has at most 8 items and no index yet (see [Dict.SetStr]). Anything else
// goes through SetKey.
func (d *Dict) AppendNew(key string, boxed, v any) {
	if d.index != nil || len(d.items) >= 8 {
		d.set(hashKey{kind: 's', s: key}, boxed, v)
		return
	}
	d.items = append(d.items, Item{boxed, v})
}

// AppendDistinct appends items whose keys are strs, distinct and not in d, as SetStr would one
// by one: a decoder that has checked this hands a small dict its items in one copy.
func (d *Dict) AppendDistinct(items []Item) {
	if d.index == nil && len(d.items)+len(items) <= 8 {
		d.items = append(d.items, items...)
		return
	}
	for _, it := range items {
		d.SetStr(it.Key.(string), it.Key, it.Value)
	}
}

// Remove removes the string key and reports whether it was present. The order of the other
// keys is kept.
func (d *Dict) Remove(key string) bool {
	return d.delete(hashKey{kind: 's', s: key})
}

// RemoveKey removes a key of any hashable type and reports whether it was present.
func (d *Dict) RemoveKey(key any) bool {
	k, err := keyOf(key)
	if err != nil {
		return false
	}
	return d.delete(k)
}

func (d *Dict) delete(k hashKey) bool {
	i, ok := d.find(k)
	if !ok {
		return false
	}
	d.items = slices.Delete(d.items, i, i+1)
	d.index = nil
	return true
}

// Keys returns the keys in insertion order.
func (d *Dict) Keys() []any {
	if d == nil {
		return nil
	}
	keys := make([]any, len(d.items))
	for i := range d.items {
		keys[i] = d.items[i].Key
	}
	return keys
}

// All iterates over the items in insertion order.
func (d *Dict) All() iter.Seq2[any, any] {
	return func(yield func(any, any) bool) {
		if d == nil {
			return
		}
		for i := range d.items {
			if !yield(d.items[i].Key, d.items[i].Value) {
				return
			}
		}
	}
}

// Clone returns a shallow copy: the same keys and values in the same order.
func (d *Dict) Clone() *Dict {
	if d == nil {
		return NewDict(0)
	}
	return &Dict{items: slices.Clone(d.items)}
}

// String returns the value as type string: string values only.
func (d *Dict) String(key string) (string, bool) {
	v, ok := d.Get(key)
	s, isStr := v.(string)
	return s, ok && isStr
}

// Int returns the value as an int64: Python ints that fit, and not bools.
func (d *Dict) Int(key string) (int64, bool) {
	v, ok := d.Get(key)
	n, isInt := v.(int64)
	return n, ok && isInt
}

// Bool returns the value as a bool: Python bools only.
func (d *Dict) Bool(key string) (bool, bool) {
	v, ok := d.Get(key)
	b, isBool := v.(bool)
	return b, ok && isBool
}

// OrderedDict is a Python collections.OrderedDict. It behaves as a Dict and is written back as an
// OrderedDict.
type OrderedDict struct {
	Dict
}

// Set is a Python set; FrozenSet is a Python frozenset. Items keep the order in which they were
// read or added (Python's iteration order at pickling time), so that a set read and written back
// produces the same bytes. Membership uses Python's equality, as for Dict keys.
type Set struct {
	items []any
	index *keyIndex // position of each item; built once the set grows past 8
}

// FrozenSet is a Python frozenset. See [Set].
type FrozenSet struct {
	Set
}

// NewSet returns a set of the given items (duplicates dropped). It fails on an unhashable item.
func NewSet(items ...any) (*Set, error) {
	s := &Set{}
	for _, it := range items {
		if err := s.Add(it); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Add inserts an item; it fails for unhashable items.
func (s *Set) Add(item any) error {
	k, err := keyOf(item)
	if err != nil {
		return err
	}
	if s.index == nil {
		if len(s.items) < 8 {
			for _, it := range s.items {
				if sameKey(it, k) {
					return nil
				}
			}
			s.items = append(s.items, item)
			return nil
		}
		s.index = newKeyIndex(len(s.items) + 1)
		for i, it := range s.items {
			kk, _ := keyOf(it)
			s.index.insert(hashOf(kk), i)
		}
	}
	h := hashOf(k)
	if _, ok := s.index.lookup(h, func(i int) bool { return sameKey(s.items[i], k) }); ok {
		return nil
	}
	s.items = append(s.items, item)
	s.index.insert(h, len(s.items)-1)
	return nil
}

// Contains reports whether the set holds an item equal to item.
func (s *Set) Contains(item any) bool {
	k, err := keyOf(item)
	if err != nil || s == nil {
		return false
	}
	if s.index != nil {
		_, ok := s.index.lookup(hashOf(k), func(i int) bool { return sameKey(s.items[i], k) })
		return ok
	}
	for _, it := range s.items {
		if sameKey(it, k) {
			return true
		}
	}
	return false
}

// Len returns the number of items.
func (s *Set) Len() int {
	if s == nil {
		return 0
	}
	return len(s.items)
}

// Grow makes room for n more items, as [Dict.Grow] does, and returns the number of bytes it
// allocated.
func (s *Set) Grow(n int) int {
	allocated := 0
	if n > cap(s.items)-len(s.items) {
		s.items = slices.Grow(s.items, max(n, len(s.items)))
		allocated += 16 * cap(s.items)
	}
	if total := len(s.items) + n; total > 8 {
		var a int
		s.index, a = s.index.reserve(total, len(s.items), func(i int) hashKey {
			k, _ := keyOf(s.items[i])
			return k
		})
		allocated += a
	}
	return allocated
}

// Items returns the elements in insertion order. The slice is the set's own storage: read it,
// don't change it.
func (s *Set) Items() []any {
	if s == nil {
		return nil
	}
	return s.items
}

// hashKey is the identity of a hashable Python value under Python's == : ints, bools and integral
// floats (and integral Decimals, and complex numbers with a zero imaginary part) share the 'i'
// kind, so 1, True and 1.0 are one key.
type hashKey struct {
	kind byte   // 'n' None, 'i' int, 'f' non-integral float, 's' str, 'b' bytes, 't' tuple, 'z' frozenset, others in pyKey
	big  bool   // kind 'i': the int does not fit in n; its decimal text is in s
	n    int64  // kind 'i' when !big
	s    string // canonical text
}

// maxKeyText caps the canonical text built for one tuple or frozenset key, so that a crafted
// key (a tuple of tuples sharing one another) cannot make hashing take exponential time.
const maxKeyText = 1 << 20

// UnhashableError reports a value used as a dict key or set item that Python cannot hash.
type UnhashableError struct {
	Type string // Python type name, e.g. "list"
}

// Error names the type.
func (e *UnhashableError) Error() string {
	return "djangosession: unhashable type: '" + e.Type + "'"
}

// errKeyTooLarge reports a tuple or frozenset key whose canonical form exceeds maxKeyText.
var errKeyTooLarge = &UnhashableError{Type: "tuple or frozenset too large to hash"}

// sameKey reports whether the stored key v equals k, without allocating for str and int keys.
func sameKey(v any, k hashKey) bool {
	switch x := v.(type) {
	case string:
		return k.kind == 's' && x == k.s
	case int64:
		return k.kind == 'i' && !k.big && k.n == x
	case bool:
		return k.kind == 'i' && !k.big && (k.n == 1) == x && (k.n == 0 || k.n == 1)
	}
	kk, err := keyOf(v)
	return err == nil && kk == k
}

func keyOf(v any) (hashKey, error) {
	budget := maxKeyText
	return keyOfBudget(v, &budget)
}

func intKey(n int64) hashKey { return hashKey{kind: 'i', n: n} }

func bigKey(x *big.Int) hashKey {
	if x.IsInt64() {
		return intKey(x.Int64())
	}
	return hashKey{kind: 'i', big: true, s: x.Text(16)} // hex: linear time, even for huge ints
}

func keyOfBudget(v any, budget *int) (hashKey, error) {
	switch x := v.(type) {
	case nil:
		return hashKey{kind: 'n'}, nil
	case string:
		return hashKey{kind: 's', s: x}, nil
	case bool:
		if x {
			return intKey(1), nil
		}
		return intKey(0), nil
	case int:
		return intKey(int64(x)), nil
	case int64:
		return intKey(x), nil
	case *big.Int:
		if x == nil {
			return hashKey{}, &UnhashableError{Type: "nil *big.Int"}
		}
		return bigKey(x), nil
	case float64:
		return floatKey(x), nil
	case []byte:
		return hashKey{kind: 'b', s: string(x)}, nil
	case Tuple:
		var sb strings.Builder
		for _, it := range x {
			k, err := keyOfBudget(it, budget)
			if err != nil {
				return hashKey{}, err
			}
			if err := writeKeyPart(&sb, k, budget); err != nil {
				return hashKey{}, err
			}
		}
		return hashKey{kind: 't', s: sb.String()}, nil
	case *FrozenSet:
		if x == nil {
			return hashKey{}, &UnhashableError{Type: "nil *FrozenSet"}
		}
		parts := make([]string, 0, x.Len())
		for _, it := range x.items {
			k, err := keyOfBudget(it, budget)
			if err != nil {
				return hashKey{}, err
			}
			var sb strings.Builder
			if err := writeKeyPart(&sb, k, budget); err != nil {
				return hashKey{}, err
			}
			parts = append(parts, sb.String())
		}
		slices.Sort(parts)
		return hashKey{kind: 'z', s: strings.Join(parts, "")}, nil
	case []any:
		return hashKey{}, &UnhashableError{Type: "list"}
	case *Dict:
		return hashKey{}, &UnhashableError{Type: "dict"}
	case *OrderedDict:
		return hashKey{}, &UnhashableError{Type: "collections.OrderedDict"}
	case *Set:
		return hashKey{}, &UnhashableError{Type: "set"}
	case ByteArray:
		return hashKey{}, &UnhashableError{Type: "bytearray"}
	default:
		return pyKey(v, budget)
	}
}

// floatKey keys a float: integral floats as the int they equal (-0.0 == 0), others by bits.
func floatKey(x float64) hashKey {
	if x == math.Trunc(x) && !math.IsInf(x, 0) {
		if x >= -(1<<63) && x < 1<<63 {
			return intKey(int64(x))
		}
		bf := new(big.Float).SetFloat64(x)
		bi, _ := bf.Int(nil)
		return bigKey(bi)
	}
	return hashKey{kind: 'f', s: strconv.FormatUint(math.Float64bits(x), 16)}
}

func writeKeyPart(sb *strings.Builder, k hashKey, budget *int) error {
	s := k.s
	if k.kind == 'i' && !k.big {
		s = strconv.FormatInt(k.n, 10)
	}
	*budget -= len(s) + 24
	if *budget < 0 {
		return errKeyTooLarge
	}
	sb.WriteByte(k.kind)
	sb.WriteString(strconv.Itoa(len(s)))
	sb.WriteByte(':')
	sb.WriteString(s)
	return nil
}
