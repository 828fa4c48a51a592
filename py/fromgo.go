package py

import (
	"cmp"
	"encoding"
	"math"
	"math/big"
	"reflect"
	"slices"
	"strconv"
	"time"
)

// FromGo converts a Go value into a value of this package, ready to store in a session dict
// and to encode with package pickle (or, within the JSON subset, package pyjson). Structs
// become dicts keyed by their `py` field tags, with encoding/json's rules; the whole mapping is
// in the package documentation ("Go values in sessions"). Values of this package are kept as
// they are (the values inside a *Dict, a list or a tuple are converted too).
//
// It fails with a *[ConvertError] naming the path of a value Python cannot hold: a channel, a
// function, a map whose keys are not strings or integers, a string that is not UTF-8, a time
// outside Python's years 1 to 9999, a value nested more than 1000 deep (or cyclic) or of more
// than 1M values (counting a shared one each time it is reached), or an
// error of a [Marshaler] or encoding.TextMarshaler. These are the failures the pickle encoder
// would otherwise report only when the session is saved. (Values of this package are passed
// on unchecked.)
func FromGo(v any) (any, error) {
	var e fromGoState
	return e.value(reflect.ValueOf(v), 0, false)
}

// fromGoState is one conversion by FromGo: where it is, for errors, and how many values it has
// visited.
type fromGoState struct {
	path  pathStack
	nodes int
}

func (e *fromGoState) err(t reflect.Type, reason string, err error) error {
	return &ConvertError{Op: "FromGo", Path: e.path.String(), Go: t, Reason: reason, Err: err}
}

// value converts rv. iso asks for a time.Time as an ISO 8601 str (the isoformat tag option).
func (e *fromGoState) value(rv reflect.Value, depth int, iso bool) (any, error) {
	if depth > maxConvertDepth {
		return nil, e.err(rv.Type(), "value nested more than 1000 deep (cyclic?)", nil)
	}
	e.nodes++
	if e.nodes > maxConvertNodes {
		return nil, e.err(rv.Type(), errTooMany(), nil)
	}
	if rv.Kind() == reflect.Interface {
		rv = rv.Elem()
	}
	if !rv.IsValid() {
		return nil, nil
	}
	t := rv.Type()
	// The model's own values, and the plain Go types of the model, before any reflection. (A
	// type switch matches exact types: a named type such as `type Qty int` goes on below.)
	if rv.CanInterface() {
		switch x := rv.Interface().(type) {
		case bool, int64, float64, complex128, DateTime, Date, Time, TimeDelta, Decimal, UUID,
			TimeZone, ZoneInfo, PytzZone, Global, ByteArray:
			return x, nil
		case *Set:
			if x == nil {
				return nil, nil
			}
			return x, nil
		case *FrozenSet:
			if x == nil {
				return nil, nil
			}
			return x, nil
		case *Object:
			if x == nil {
				return nil, nil
			}
			return x, nil
		case string:
			return e.checkStr(x, t)
		case *big.Int:
			if x == nil {
				return nil, nil
			}
			return new(big.Int).Set(x), nil
		case big.Int:
			return new(big.Int).Set(&x), nil
		case *Dict:
			if x == nil {
				return nil, nil
			}
			return e.dict(x, depth)
		case *OrderedDict:
			if x == nil {
				return nil, nil
			}
			d, err := e.dict(&x.Dict, depth)
			if err != nil {
				return nil, err
			}
			return &OrderedDict{Dict: *d}, nil
		case Tuple:
			l, err := e.list(rv, depth)
			if err != nil {
				return nil, err
			}
			return Tuple(l), nil
		case time.Time:
			return e.time(x, iso)
		case time.Duration:
			// Cut to microseconds toward zero; a Duration (±292 years) always fits.
			td, _ := NewTimeDelta(0, 0, int64(x/time.Microsecond))
			return td, nil
		}
	}
	// Through a pointer, so that a method on *T is found on the (addressable) T it points to.
	if rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return nil, nil
		}
		return e.value(rv.Elem(), depth+1, iso)
	}
	if m, ok := marshalerOf(rv); ok {
		v, err := m.MarshalPy()
		if err != nil {
			return nil, e.err(t, "MarshalPy of Go "+t.String()+" failed", err)
		}
		return e.value(reflect.ValueOf(v), depth+1, false)
	}
	if tm, ok := textMarshalerOf(rv); ok {
		b, err := tm.MarshalText()
		if err != nil {
			return nil, e.err(t, "MarshalText of Go "+t.String()+" failed", err)
		}
		return e.checkStr(string(b), t)
	}
	switch t.Kind() {
	case reflect.Bool:
		return rv.Bool(), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return rv.Int(), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		u := rv.Uint()
		if u > math.MaxInt64 {
			return new(big.Int).SetUint64(u), nil
		}
		return int64(u), nil
	case reflect.Float32:
		// The shortest decimal that is this float32, as encoding/json writes it: float32(0.1)
		// becomes Python's 0.1, not 0.10000000149011612.
		f, _ := strconv.ParseFloat(strconv.FormatFloat(rv.Float(), 'g', -1, 32), 64)
		return f, nil
	case reflect.Float64:
		return rv.Float(), nil
	case reflect.Complex64, reflect.Complex128:
		return rv.Complex(), nil
	case reflect.String:
		return e.checkStr(rv.String(), t)
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 && !elemHasMethods(t.Elem()) {
			return append([]byte{}, rv.Bytes()...), nil
		}
		return e.list(rv, depth)
	case reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 && !elemHasMethods(t.Elem()) {
			b := make([]byte, rv.Len())
			reflect.Copy(reflect.ValueOf(b), rv)
			return b, nil
		}
		return e.list(rv, depth)
	case reflect.Map:
		return e.mapValue(rv, depth)
	case reflect.Struct:
		return e.structValue(rv, depth)
	}
	return nil, e.err(t, "Python has no value for Go type "+t.String(), nil)
}

// elemHasMethods reports whether a byte-like element type has its own conversion, so that a
// slice of it is a list rather than bytes.
func elemHasMethods(t reflect.Type) bool {
	pt := reflect.PointerTo(t)
	return pt.Implements(marshalerType) || pt.Implements(textMarshalerType)
}

func (e *fromGoState) checkStr(s string, t reflect.Type) (any, error) {
	if !utf8ValidOrSurrogates(s) {
		return nil, e.err(t, "Go string is not UTF-8 text, which a Python str must be (use []byte for bytes)", nil)
	}
	return s, nil
}

func utf8ValidOrSurrogates(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return ValidSurrogatePass([]byte(s[i:]))
		}
	}
	return true
}

// marshalerOf returns rv's Marshaler: its own method, or its pointer's when rv is addressable.
func marshalerOf(rv reflect.Value) (Marshaler, bool) {
	t := rv.Type()
	if t.Kind() != reflect.Interface && t.Implements(marshalerType) {
		return rv.Interface().(Marshaler), true
	}
	if t.Kind() != reflect.Pointer && rv.CanAddr() && reflect.PointerTo(t).Implements(marshalerType) {
		return rv.Addr().Interface().(Marshaler), true
	}
	return nil, false
}

func textMarshalerOf(rv reflect.Value) (encoding.TextMarshaler, bool) {
	t := rv.Type()
	if t.Kind() != reflect.Interface && t.Implements(textMarshalerType) {
		return rv.Interface().(encoding.TextMarshaler), true
	}
	if t.Kind() != reflect.Pointer && rv.CanAddr() && reflect.PointerTo(t).Implements(textMarshalerType) {
		return rv.Addr().Interface().(encoding.TextMarshaler), true
	}
	return nil, false
}

// time converts t to an aware datetime in UTC (datetime.timezone.utc), cut to
// microseconds; with iso, to its isoformat() str.
func (e *fromGoState) time(t time.Time, iso bool) (any, error) {
	t = t.UTC()
	if t.Year() < 1 || t.Year() > 9999 {
		return nil, e.err(timeType, "time "+t.Format(time.RFC3339)+" is outside Python's years 1 to 9999", nil)
	}
	d := DateTime{Year: t.Year(), Month: int(t.Month()), Day: t.Day(), Hour: t.Hour(),
		Minute: t.Minute(), Second: t.Second(), Microsecond: t.Nanosecond() / 1000, TZ: TimeZone{}}
	if iso {
		return d.Isoformat(), nil
	}
	return d, nil
}

func (e *fromGoState) list(rv reflect.Value, depth int) ([]any, error) {
	n := rv.Len()
	out := make([]any, n)
	for i := range n {
		e.path.pushIdx(i)
		v, err := e.value(rv.Index(i), depth+1, false)
		if err != nil {
			return nil, err
		}
		e.path.pop()
		out[i] = v
	}
	return out, nil
}

// dict copies d, converting its values.
func (e *fromGoState) dict(d *Dict, depth int) (*Dict, error) {
	out := NewDict(d.Len())
	for _, it := range d.Items() {
		e.path.pushKey(it.Key)
		v, err := e.value(reflect.ValueOf(it.Value), depth+1, false)
		if err != nil {
			return nil, err
		}
		if err := out.SetKey(it.Key, v); err != nil {
			return nil, e.err(nil, "dict key of Python type "+TypeName(it.Key)+" is unhashable", err)
		}
		e.path.pop()
	}
	return out, nil
}

// mapKey is one key of a Go map as a dict key.
type mapKey struct {
	key any    // string, int64 or *big.Int
	s   string // the str key, for sorting
	n   int64  // the int key, for sorting
	v   reflect.Value
}

func (e *fromGoState) mapValue(rv reflect.Value, depth int) (any, error) {
	t := rv.Type()
	kt := t.Key()
	keys := make([]mapKey, 0, rv.Len())
	isStr := false
	it := rv.MapRange()
	for it.Next() {
		k := it.Key()
		var mk mapKey
		mk.v = it.Value()
		switch {
		case kt.Kind() == reflect.String:
			s := k.String()
			if _, err := e.checkStr(s, kt); err != nil {
				return nil, e.err(t, "map key is not UTF-8 text, which a Python str must be", nil)
			}
			mk.key, mk.s, isStr = s, s, true
		case kt.Implements(textMarshalerType):
			if k.Kind() == reflect.Pointer && k.IsNil() {
				return nil, e.err(t, "nil map key", nil)
			}
			b, err := k.Interface().(encoding.TextMarshaler).MarshalText()
			if err != nil {
				return nil, e.err(t, "MarshalText of a map key failed", err)
			}
			if _, err := e.checkStr(string(b), kt); err != nil {
				return nil, e.err(t, "map key is not UTF-8 text, which a Python str must be", nil)
			}
			mk.key, mk.s, isStr = string(b), string(b), true
		case kt.Kind() >= reflect.Int && kt.Kind() <= reflect.Int64:
			mk.key, mk.n = k.Int(), k.Int()
		case kt.Kind() >= reflect.Uint && kt.Kind() <= reflect.Uintptr:
			u := k.Uint()
			if u > math.MaxInt64 {
				mk.key, mk.n = new(big.Int).SetUint64(u), math.MaxInt64
			} else {
				mk.key, mk.n = int64(u), int64(u)
			}
		default:
			return nil, e.err(t, "Go map key type "+kt.String()+" is neither a string, an integer nor an encoding.TextMarshaler", nil)
		}
		keys = append(keys, mk)
	}
	// Go maps have no order: the keys are sorted, as encoding/json sorts them.
	if isStr {
		slices.SortFunc(keys, func(a, b mapKey) int { return cmp.Compare(a.s, b.s) })
	} else {
		slices.SortFunc(keys, func(a, b mapKey) int {
			if c := cmp.Compare(a.n, b.n); c != 0 {
				return c
			}
			// Keys above MaxInt64 share n; order them by value.
			ab, aok := a.key.(*big.Int)
			bb, bok := b.key.(*big.Int)
			if aok && bok {
				return ab.Cmp(bb)
			}
			if aok {
				return 1
			}
			if bok {
				return -1
			}
			return 0
		})
	}
	d := NewDict(len(keys))
	for _, mk := range keys {
		e.path.pushKey(mk.key)
		v, err := e.value(mk.v, depth+1, false)
		if err != nil {
			return nil, err
		}
		if s, ok := mk.key.(string); ok {
			d.Set(s, v)
		} else if err := d.SetKey(mk.key, v); err != nil {
			return nil, e.err(t, "bad dict key", err)
		}
		e.path.pop()
	}
	return d, nil
}

func (e *fromGoState) structValue(rv reflect.Value, depth int) (any, error) {
	sf := cachedFields(rv.Type())
	d := NewDict(len(sf.list))
	for i := range sf.list {
		f := &sf.list[i]
		fv, ok := fieldByIndex(rv, f.index)
		if !ok {
			continue // inside a nil embedded pointer
		}
		if f.omitEmpty && isEmptyValue(fv) || f.omitZero && isZeroValue(fv) {
			continue
		}
		e.path.pushField(f.name)
		v, err := e.value(fv, depth+1, f.isoformat)
		if err != nil {
			return nil, err
		}
		e.path.pop()
		d.Set(f.name, v)
	}
	return d, nil
}

// fieldByIndex is rv.FieldByIndex that reports false at a nil embedded pointer.
func fieldByIndex(rv reflect.Value, index []int) (reflect.Value, bool) {
	for i, x := range index {
		if i > 0 && rv.Kind() == reflect.Pointer {
			if rv.IsNil() {
				return reflect.Value{}, false
			}
			rv = rv.Elem()
		}
		rv = rv.Field(x)
	}
	return rv, true
}

// isEmptyValue is encoding/json's omitempty test: false, 0, a nil pointer or interface, and an
// empty array, slice, map or string.
func isEmptyValue(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Interface, reflect.Pointer:
		return v.IsZero()
	}
	return false
}

// isZeroValue is encoding/json's omitzero test: the IsZero method when the type has one,
// else the zero value of the type.
func isZeroValue(v reflect.Value) bool {
	if z, ok := v.Interface().(interface{ IsZero() bool }); ok {
		if v.Kind() == reflect.Pointer && v.IsNil() {
			return true
		}
		return z.IsZero()
	}
	if v.CanAddr() {
		if z, ok := v.Addr().Interface().(interface{ IsZero() bool }); ok {
			return z.IsZero()
		}
	}
	return v.IsZero()
}
