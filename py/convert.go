package py

import (
	"encoding"
	"fmt"
	"math/big"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// This file holds what FromGo and ToGo share: the interfaces a Go type implements to choose
// its own Python form, the error type, and the path of a value inside the one converted.
//
// The names: Marshal and Unmarshal in this module turn values into bytes and back
// (pickle.Marshal, pyjson.Marshal). FromGo and ToGo make no bytes; they convert between two
// in-memory models, Go values and the Python values of this package, and are named by the
// direction, as reflect.ValueOf and strconv's Parse/Format are.

// Marshaler is implemented by a Go type that chooses its own Python value. FromGo calls
// MarshalPy and converts what it returns as it converts any Go value, so MarshalPy may return
// a struct, a map or a value of this package. The method is called on a value receiver, or on
// a pointer receiver when the value is addressable (a field of a struct reached through a
// pointer, an element of a slice), as encoding/json calls MarshalJSON.
type Marshaler interface {
	MarshalPy() (any, error)
}

// Unmarshaler is implemented by a Go type that reads itself from a Python value. ToGo calls
// UnmarshalPy with the value as it is (nil for None, *Dict for a dict, ...), which must not be
// kept or changed: it belongs to the session it came from.
type Unmarshaler interface {
	UnmarshalPy(v any) error
}

var (
	marshalerType       = reflect.TypeFor[Marshaler]()
	unmarshalerType     = reflect.TypeFor[Unmarshaler]()
	textMarshalerType   = reflect.TypeFor[encoding.TextMarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
	timeType            = reflect.TypeFor[time.Time]()
	durationType        = reflect.TypeFor[time.Duration]()
	bigIntType          = reflect.TypeFor[big.Int]()
	dictType            = reflect.TypeFor[Dict]()
	orderedDictType     = reflect.TypeFor[OrderedDict]()
	setType             = reflect.TypeFor[Set]()
	frozenSetType       = reflect.TypeFor[FrozenSet]()
)

// maxConvertDepth bounds the nesting FromGo and ToGo follow: deeper values, and cyclic Go
// values, are refused.
const maxConvertDepth = 1000

// maxConvertNodes bounds the values FromGo and ToGo visit, counting a shared value each time
// it is reached: a few hundred bytes of pickle can share lists so that expanding them (into a
// recursive Go type, or copying them) would never end. (A variable only so that the fuzz
// target can lower it.)
var maxConvertNodes = 1 << 20

func errTooMany() string {
	return "value expands to more than " + strconv.Itoa(maxConvertNodes) + " values"
}

// ConvertError reports a value [FromGo] or [ToGo] cannot convert, and where it is.
type ConvertError struct {
	Op string // "FromGo" or "ToGo"

	// Path locates the value inside the one converted, with Python's subscripts for dict keys
	// and list indexes, and dots between names: `items[2].qty`, `prefs["dark mode"]`. It is
	// "" for the top value. A struct field is named by its dict key.
	Path string

	Python string       // the Python type of the value (see [TypeName]); "" if it has none
	Go     reflect.Type // the Go type involved; nil if there is none
	Reason string       // what was wrong
	Err    error        // the error of a Marshaler, Unmarshaler or of encoding's text interfaces
}

// Error says where and what: "py: ToGo items[2].qty: cannot store Python str in Go int".
func (e *ConvertError) Error() string {
	var b strings.Builder
	b.WriteString("py: ")
	b.WriteString(e.Op)
	if e.Path != "" {
		b.WriteByte(' ')
		b.WriteString(e.Path)
	}
	b.WriteString(": ")
	b.WriteString(e.Reason)
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns Err.
func (e *ConvertError) Unwrap() error { return e.Err }

// pathStack is the location of the value being converted: one segment per dict key, struct
// field or list index, pushed while descending and rendered only for an error.
type pathStack []pathSeg

type pathSeg struct {
	key    string // a str dict key or struct field key; used when !isIdx and keyAny is nil
	keyAny any    // a dict key that is not a str (int keys)
	index  int
	isIdx  bool
}

func (s *pathStack) pushIdx(i int)         { *s = append(*s, pathSeg{index: i, isIdx: true}) }
func (s *pathStack) pushField(name string) { *s = append(*s, pathSeg{key: name}) }
func (s *pathStack) pop()                  { *s = (*s)[:len(*s)-1] }

// pushKey pushes the dict key k: a str by name, None and ints as Python writes them.
func (s *pathStack) pushKey(k any) {
	switch x := k.(type) {
	case string:
		s.pushField(x)
	case nil:
		*s = append(*s, pathSeg{keyAny: "None"})
	default:
		*s = append(*s, pathSeg{keyAny: k})
	}
}

func (s pathStack) String() string {
	var b strings.Builder
	for _, q := range s {
		switch {
		case q.isIdx:
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(q.index))
			b.WriteByte(']')
		case q.keyAny != nil:
			b.WriteByte('[')
			b.WriteString(fmt.Sprint(q.keyAny))
			b.WriteByte(']')
		default:
			appendPathKey(&b, q.key, b.Len() == 0)
		}
	}
	return b.String()
}

// appendPathKey appends the dict key k to a path being written in b: `.name` for a key that is
// an identifier (without the dot at the start of the path), `["any other key"]` otherwise.
func appendPathKey(b *strings.Builder, k string, first bool) {
	if isIdentifier(k) {
		if !first {
			b.WriteByte('.')
		}
		b.WriteString(k)
		return
	}
	b.WriteByte('[')
	b.WriteString(strconv.Quote(k))
	b.WriteByte(']')
}

func isIdentifier(s string) bool {
	if s == "" || !utf8.ValidString(s) {
		return false
	}
	for i, c := range s {
		if c != '_' && !('a' <= c && c <= 'z') && !('A' <= c && c <= 'Z') && (i == 0 || !('0' <= c && c <= '9')) {
			return false
		}
	}
	return true
}
