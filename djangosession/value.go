package djangosession

import (
	"fmt"
	"iter"
	"math"
	"math/big"
	"slices"
	"strconv"
	"strings"
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

// Dict is a Python dict: insertion-ordered, with keys of any hashable Python type.
//
// Keys compare as Python compares them: 1, 1.0 and True are the same key; "1" is not. A session
// is a Dict whose keys are strings. The zero Dict is an empty dict ready to use. A Dict is not
// safe for concurrent use.
type Dict struct {
	keys  []any
	vals  []any
	index map[hashKey]int // position of each key in keys
}

// NewDict returns an empty dict with room for n items.
func NewDict(n int) *Dict {
	return &Dict{keys: make([]any, 0, n), vals: make([]any, 0, n)}
}

// DictOf builds a dict from alternating keys and values, in order: DictOf("a", 1, "b", 2).
// It panics if len(kv) is odd or a key is unhashable; it is meant for literals in code and tests.
func DictOf(kv ...any) *Dict {
	if len(kv)%2 != 0 {
		panic("djangosession: DictOf needs key, value pairs")
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
	return len(d.keys)
}

func (d *Dict) find(k hashKey) (int, bool) {
	if d == nil {
		return 0, false
	}
	if d.index == nil {
		// Small dicts are scanned; the index is built once they grow.
		if len(d.keys) <= 8 {
			for i, key := range d.keys {
				if kk, _ := keyOf(key); kk == k {
					return i, true
				}
			}
			return 0, false
		}
		d.index = make(map[hashKey]int, len(d.keys))
		for i, key := range d.keys {
			kk, _ := keyOf(key)
			d.index[kk] = i
		}
	}
	i, ok := d.index[k]
	return i, ok
}

// Get returns the value stored under the string key.
func (d *Dict) Get(key string) (any, bool) {
	i, ok := d.find(hashKey{kind: 's', s: key})
	if !ok {
		return nil, false
	}
	return d.vals[i], true
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
	return d.vals[i], true
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
		d.vals[i] = v
		return
	}
	d.keys = append(d.keys, key)
	d.vals = append(d.vals, v)
	if d.index != nil {
		d.index[k] = len(d.keys) - 1
	}
}

// Delete removes the string key and reports whether it was present. The order of the other
// keys is kept.
func (d *Dict) Delete(key string) bool {
	return d.delete(hashKey{kind: 's', s: key})
}

// DeleteKey removes a key of any hashable type and reports whether it was present.
func (d *Dict) DeleteKey(key any) bool {
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
	d.keys = slices.Delete(d.keys, i, i+1)
	d.vals = slices.Delete(d.vals, i, i+1)
	d.index = nil
	return true
}

// Keys returns the keys in insertion order.
func (d *Dict) Keys() []any {
	if d == nil {
		return nil
	}
	return slices.Clone(d.keys)
}

// All iterates over the items in insertion order.
func (d *Dict) All() iter.Seq2[any, any] {
	return func(yield func(any, any) bool) {
		if d == nil {
			return
		}
		for i := range d.keys {
			if !yield(d.keys[i], d.vals[i]) {
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
	return &Dict{keys: slices.Clone(d.keys), vals: slices.Clone(d.vals)}
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
	index map[hashKey]struct{}
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
		s.index = make(map[hashKey]struct{}, len(s.items)+1)
		for _, it := range s.items {
			kk, _ := keyOf(it)
			s.index[kk] = struct{}{}
		}
	}
	if _, ok := s.index[k]; ok {
		return nil
	}
	s.index[k] = struct{}{}
	s.items = append(s.items, item)
	return nil
}

// Contains reports whether the set holds an item equal to item.
func (s *Set) Contains(item any) bool {
	k, err := keyOf(item)
	if err != nil || s == nil {
		return false
	}
	for _, it := range s.items {
		if kk, _ := keyOf(it); kk == k {
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

// Items returns the items in order.
func (s *Set) Items() []any {
	if s == nil {
		return nil
	}
	return slices.Clone(s.items)
}

// hashKey is the identity of a hashable Python value under Python's == : ints, bools and integral
// floats share the 'i' kind, so 1, True and 1.0 are one key.
type hashKey struct {
	kind byte   // 'n' None, 'i' int, 'f' non-integral float, 's' str, 'b' bytes, 't' tuple, 'z' frozenset, 'o' other
	s    string // canonical text
}

// UnhashableError reports a value used as a dict key or set item that Python cannot hash.
type UnhashableError struct {
	Type string // Python type name, e.g. "list"
}

func (e *UnhashableError) Error() string {
	return "djangosession: unhashable type: '" + e.Type + "'"
}

func keyOf(v any) (hashKey, error) {
	switch x := v.(type) {
	case nil:
		return hashKey{kind: 'n'}, nil
	case string:
		return hashKey{kind: 's', s: x}, nil
	case bool:
		if x {
			return hashKey{kind: 'i', s: "1"}, nil
		}
		return hashKey{kind: 'i', s: "0"}, nil
	case int:
		return hashKey{kind: 'i', s: strconv.Itoa(x)}, nil
	case int64:
		return hashKey{kind: 'i', s: strconv.FormatInt(x, 10)}, nil
	case *big.Int:
		if x == nil {
			return hashKey{}, &UnhashableError{Type: "nil *big.Int"}
		}
		return hashKey{kind: 'i', s: x.String()}, nil
	case float64:
		if x == math.Trunc(x) && !math.IsInf(x, 0) {
			// Integral floats equal the int of the same value; -0.0 == 0.
			bf := new(big.Float).SetFloat64(x)
			bi, _ := bf.Int(nil)
			return hashKey{kind: 'i', s: bi.String()}, nil
		}
		return hashKey{kind: 'f', s: strconv.FormatUint(math.Float64bits(x), 16)}, nil
	case []byte:
		return hashKey{kind: 'b', s: string(x)}, nil
	case Tuple:
		var sb strings.Builder
		for _, it := range x {
			k, err := keyOf(it)
			if err != nil {
				return hashKey{}, err
			}
			sb.WriteByte(k.kind)
			sb.WriteString(strconv.Itoa(len(k.s)))
			sb.WriteByte(':')
			sb.WriteString(k.s)
		}
		return hashKey{kind: 't', s: sb.String()}, nil
	case *FrozenSet:
		parts := make([]string, 0, x.Len())
		for _, it := range x.items {
			k, err := keyOf(it)
			if err != nil {
				return hashKey{}, err
			}
			parts = append(parts, string(k.kind)+strconv.Itoa(len(k.s))+":"+k.s)
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
		// Other values (datetimes, Decimal, UUID, inert objects, ...) are hashable in Python;
		// they are keyed by their Go representation, which the codec keeps canonical.
		return hashKey{kind: 'o', s: fmt.Sprintf("%T:%#v", v, v)}, nil
	}
}
