package py

import (
	"encoding"
	"math"
	"math/big"
	"reflect"
	"strconv"
	"time"
)

// ToGo stores the Python value src, a value of this package such as a session holds, into the
// Go value that dst points to: the inverse of [FromGo], with the rules of encoding/json's
// Unmarshal. A dict fills a struct (keys matched to `py` tags or field names, exactly or else
// case-insensitively; other keys ignored; fields without a key left as they are) or a map; a
// list, tuple or set fills a slice or array; numbers fill any Go number type that holds them
// exactly; None sets a pointer, slice, map or interface to nil and leaves other Go values
// unchanged. The whole mapping is in the package documentation ("Go values in sessions").
//
// An `any` receives the Python value itself, shared with src. Everything else is a copy: a
// *py.Dict or *py.Set destination gets a new container holding the same items.
//
// It fails with a *[ConvertError] naming the path inside src and the Python type found when a
// value does not fit: `items[2].qty: Python int out of range for Go uint8`, `cannot store
// Python str in Go int`. On failure dst may hold part of src. src may come from an untrusted
// session: ToGo does not panic, and refuses values nested more than 1000 deep or that expand
// (through shared lists or dicts) to more than 1M values.
func ToGo(src any, dst any) error {
	rv := reflect.ValueOf(dst)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return &ConvertError{Op: "ToGo", Go: reflect.TypeOf(dst), Python: TypeName(src),
			Reason: "destination must be a non-nil pointer, not " + goTypeString(reflect.TypeOf(dst))}
	}
	d := toGoState{}
	return d.value(src, rv.Elem(), 0)
}

func goTypeString(t reflect.Type) string {
	if t == nil {
		return "nil"
	}
	return "Go " + t.String()
}

// toGoState is one conversion by ToGo: where it is, for errors, and how many values it has
// visited.
type toGoState struct {
	path  pathStack
	nodes int
}

func (d *toGoState) err(src any, t reflect.Type, reason string, err error) error {
	return &ConvertError{Op: "ToGo", Path: d.path.String(), Python: TypeName(src), Go: t, Reason: reason, Err: err}
}

func (d *toGoState) mismatch(src any, t reflect.Type) error {
	return d.err(src, t, "cannot store Python "+TypeName(src)+" in Go "+t.String(), nil)
}

// value stores src into v, which is settable.
func (d *toGoState) value(src any, v reflect.Value, depth int) error {
	if depth > maxConvertDepth {
		return d.err(src, v.Type(), "value nested more than 1000 deep", nil)
	}
	d.nodes++
	if d.nodes > maxConvertNodes {
		return d.err(src, v.Type(), errTooMany(), nil)
	}
	// Through pointers, allocating, to the value itself; a type's own UnmarshalPy decides.
	for v.Kind() == reflect.Pointer {
		if src == nil {
			v.SetZero()
			return nil
		}
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		if u, ok := v.Interface().(Unmarshaler); ok {
			return d.callUnmarshaler(u, src, v.Type())
		}
		v = v.Elem()
	}
	t := v.Type()
	if v.CanAddr() {
		if u, ok := v.Addr().Interface().(Unmarshaler); ok {
			return d.callUnmarshaler(u, src, t)
		}
	}
	if src == nil {
		switch v.Kind() {
		case reflect.Interface, reflect.Map, reflect.Slice:
			v.SetZero()
		}
		return nil
	}
	switch t {
	case timeType:
		tm, err := d.time(src)
		if err != nil {
			return err
		}
		v.Set(reflect.ValueOf(tm))
		return nil
	case durationType:
		td, ok := src.(TimeDelta)
		if !ok {
			return d.mismatch(src, t)
		}
		dur, ok := timeDeltaDuration(td)
		if !ok {
			return d.err(src, t, "Python datetime.timedelta out of range for Go time.Duration (±292 years)", nil)
		}
		v.SetInt(int64(dur))
		return nil
	case bigIntType:
		switch x := src.(type) {
		case int64:
			v.Set(reflect.ValueOf(*big.NewInt(x)))
		case int:
			v.Set(reflect.ValueOf(*big.NewInt(int64(x))))
		case *big.Int:
			if x == nil {
				return d.mismatch(src, t)
			}
			v.Set(reflect.ValueOf(*new(big.Int).Set(x)))
		default:
			return d.mismatch(src, t)
		}
		return nil
	case dictType, orderedDictType:
		var c *Dict
		switch x := src.(type) {
		case *Dict:
			c = x.Clone()
		case *OrderedDict:
			if x != nil {
				c = x.Dict.Clone()
			}
		}
		if c == nil {
			return d.mismatch(src, t)
		}
		if t == dictType {
			v.Set(reflect.ValueOf(c).Elem())
		} else {
			v.Set(reflect.ValueOf(OrderedDict{Dict: *c}))
		}
		return nil
	case setType, frozenSetType:
		var items []any
		switch x := src.(type) {
		case *Set:
			items = x.Items()
		case *FrozenSet:
			if x != nil {
				items = x.Items()
			}
		default:
			return d.mismatch(src, t)
		}
		s, err := NewSet(items...)
		if err != nil {
			return d.err(src, t, "bad set item", err)
		}
		if t == setType {
			v.Set(reflect.ValueOf(s).Elem())
		} else {
			v.Set(reflect.ValueOf(FrozenSet{Set: *s}))
		}
		return nil
	}
	if s, ok := src.(string); ok && v.CanAddr() {
		if tu, ok := v.Addr().Interface().(encoding.TextUnmarshaler); ok {
			if err := tu.UnmarshalText([]byte(s)); err != nil {
				return d.err(src, t, "UnmarshalText of Go "+t.String()+" failed", err)
			}
			return nil
		}
	}
	// A value of this package (or of its plain Go types) into a variable of its own type: the
	// value itself. Lists and dicts are copied below instead.
	if st := reflect.TypeOf(src); st == t && t.Kind() != reflect.Slice && t.Kind() != reflect.Map {
		v.Set(reflect.ValueOf(src))
		return nil
	}

	switch v.Kind() {
	case reflect.Interface:
		sv := reflect.ValueOf(src)
		if !sv.Type().AssignableTo(t) {
			return d.mismatch(src, t)
		}
		v.Set(sv)
		return nil
	case reflect.Bool:
		b, ok := src.(bool)
		if !ok {
			return d.mismatch(src, t)
		}
		v.SetBool(b)
		return nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, ok, isInt := pyInt64(src)
		if !isInt {
			return d.mismatch(src, t)
		}
		if !ok || v.OverflowInt(n) {
			return d.err(src, t, "Python int out of range for Go "+t.String(), nil)
		}
		v.SetInt(n)
		return nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		var u uint64
		ok := false
		switch x := src.(type) {
		case int64:
			u, ok = uint64(x), x >= 0
		case int:
			u, ok = uint64(x), x >= 0
		case *big.Int:
			if x == nil {
				return d.mismatch(src, t)
			}
			u, ok = x.Uint64(), x.IsUint64()
		default:
			return d.mismatch(src, t)
		}
		if !ok || v.OverflowUint(u) {
			return d.err(src, t, "Python int out of range for Go "+t.String(), nil)
		}
		v.SetUint(u)
		return nil
	case reflect.Float32, reflect.Float64:
		var f float64
		switch x := src.(type) {
		case float64:
			f = x
		case int64:
			f = float64(x)
		case int:
			f = float64(x)
		case *big.Int:
			if x == nil {
				return d.mismatch(src, t)
			}
			f, _ = new(big.Float).SetInt(x).Float64()
			if math.IsInf(f, 0) {
				return d.err(src, t, "Python int too large to convert to float", nil)
			}
		default:
			return d.mismatch(src, t)
		}
		if !math.IsInf(f, 0) && !math.IsNaN(f) && v.OverflowFloat(f) {
			return d.err(src, t, "Python float out of range for Go "+t.String(), nil)
		}
		v.SetFloat(f)
		return nil
	case reflect.Complex64, reflect.Complex128:
		var c complex128
		switch x := src.(type) {
		case complex128:
			c = x
		case float64:
			c = complex(x, 0)
		case int64:
			c = complex(float64(x), 0)
		case int:
			c = complex(float64(x), 0)
		default:
			return d.mismatch(src, t)
		}
		if v.OverflowComplex(c) {
			return d.err(src, t, "Python complex out of range for Go "+t.String(), nil)
		}
		v.SetComplex(c)
		return nil
	case reflect.String:
		s, ok := src.(string)
		if !ok {
			return d.mismatch(src, t)
		}
		v.SetString(s)
		return nil
	case reflect.Slice:
		if b, ok := pyBytes(src); ok && t.Elem().Kind() == reflect.Uint8 && !elemHasUnmarshal(t.Elem()) {
			nb := reflect.MakeSlice(t, len(b), len(b))
			reflect.Copy(nb, reflect.ValueOf(b))
			v.Set(nb)
			return nil
		}
		items, ok := pySequence(src)
		if !ok {
			return d.mismatch(src, t)
		}
		s := reflect.MakeSlice(t, len(items), len(items))
		for i, it := range items {
			d.path.pushIdx(i)
			if err := d.value(it, s.Index(i), depth+1); err != nil {
				return err
			}
			d.path.pop()
		}
		v.Set(s)
		return nil
	case reflect.Array:
		if b, ok := pyBytes(src); ok && t.Elem().Kind() == reflect.Uint8 && !elemHasUnmarshal(t.Elem()) {
			if len(b) != v.Len() {
				return d.err(src, t, "Python bytes of length "+strconv.Itoa(len(b))+" into Go "+t.String(), nil)
			}
			reflect.Copy(v, reflect.ValueOf(b))
			return nil
		}
		items, ok := pySequence(src)
		if !ok {
			return d.mismatch(src, t)
		}
		// As encoding/json: extra items are dropped, missing ones zeroed.
		for i := range v.Len() {
			if i < len(items) {
				d.path.pushIdx(i)
				if err := d.value(items[i], v.Index(i), depth+1); err != nil {
					return err
				}
				d.path.pop()
			} else {
				v.Index(i).SetZero()
			}
		}
		return nil
	case reflect.Map:
		return d.toMap(src, v, depth)
	case reflect.Struct:
		return d.toStruct(src, v, depth)
	}
	return d.err(src, t, "Go type "+t.String()+" cannot hold a Python value", nil)
}

func (d *toGoState) callUnmarshaler(u Unmarshaler, src any, t reflect.Type) error {
	if err := u.UnmarshalPy(src); err != nil {
		return d.err(src, t, "UnmarshalPy of Go "+t.String()+" failed", err)
	}
	return nil
}

// elemHasUnmarshal reports whether a byte-like element type reads itself, so that a slice of
// it is filled from a list rather than from bytes.
func elemHasUnmarshal(t reflect.Type) bool {
	pt := reflect.PointerTo(t)
	return pt.Implements(unmarshalerType) || pt.Implements(textUnmarshalerType)
}

// pyInt64 returns a Python int (not a bool) as an int64; ok is false when it does not fit.
func pyInt64(src any) (n int64, ok, isInt bool) {
	switch x := src.(type) {
	case int64:
		return x, true, true
	case int:
		return int64(x), true, true
	case *big.Int:
		if x == nil {
			return 0, false, false
		}
		return x.Int64(), x.IsInt64(), true
	}
	return 0, false, false
}

func pyBytes(src any) ([]byte, bool) {
	switch x := src.(type) {
	case []byte:
		return x, true
	case ByteArray:
		return x, true
	}
	return nil, false
}

// pySequence returns the items of a list, tuple, set or frozenset.
func pySequence(src any) ([]any, bool) {
	switch x := src.(type) {
	case []any:
		return x, true
	case Tuple:
		return x, true
	case *Set:
		return x.Items(), true
	case *FrozenSet:
		if x == nil {
			return nil, true
		}
		return x.Items(), true
	}
	return nil, false
}

func pyDictOf(src any) (*Dict, bool) {
	switch x := src.(type) {
	case *Dict:
		return x, true
	case *OrderedDict:
		if x == nil {
			return nil, true
		}
		return &x.Dict, true
	}
	return nil, false
}

func (d *toGoState) toMap(src any, v reflect.Value, depth int) error {
	t := v.Type()
	dict, ok := pyDictOf(src)
	if !ok {
		return d.mismatch(src, t)
	}
	if v.IsNil() {
		v.Set(reflect.MakeMapWithSize(t, dict.Len()))
	}
	kt := t.Key()
	for _, it := range dict.Items() {
		d.path.pushKey(it.Key)
		kv := reflect.New(kt).Elem()
		if err := d.mapKey(it.Key, kv); err != nil {
			return err
		}
		ev := reflect.New(t.Elem()).Elem()
		if err := d.value(it.Value, ev, depth+1); err != nil {
			return err
		}
		d.path.pop()
		v.SetMapIndex(kv, ev)
	}
	return nil
}

// mapKey stores the dict key k into kv, a new Go map key: a str into a string kind or an
// encoding.TextUnmarshaler; an int, or a str of one (what a JSON session makes of int keys),
// into an integer kind.
func (d *toGoState) mapKey(k any, kv reflect.Value) error {
	kt := kv.Type()
	s, isStr := k.(string)
	if isStr {
		if tu, ok := kv.Addr().Interface().(encoding.TextUnmarshaler); ok {
			if err := tu.UnmarshalText([]byte(s)); err != nil {
				return d.err(k, kt, "UnmarshalText of the Go map key "+kt.String()+" failed", err)
			}
			return nil
		}
	}
	keyErr := func() error {
		return d.err(k, kt, "cannot use a dict key of Python type "+TypeName(k)+" as a Go "+kt.String()+" map key", nil)
	}
	rangeErr := func() error {
		return d.err(k, kt, "dict key out of range for Go "+kt.String(), nil)
	}
	switch kt.Kind() {
	case reflect.String:
		if !isStr {
			return keyErr()
		}
		kv.SetString(s)
		return nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, ok, isInt := pyInt64(k)
		if isStr {
			var err error
			n, err = strconv.ParseInt(s, 10, 64)
			ok, isInt = err == nil, err == nil || err.(*strconv.NumError).Err == strconv.ErrRange
		}
		if !isInt {
			return keyErr()
		}
		if !ok || kv.OverflowInt(n) {
			return rangeErr()
		}
		kv.SetInt(n)
		return nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		var u uint64
		ok, isInt := false, false
		switch x := k.(type) {
		case int64:
			u, ok, isInt = uint64(x), x >= 0, true
		case int:
			u, ok, isInt = uint64(x), x >= 0, true
		case *big.Int:
			if x != nil {
				u, ok, isInt = x.Uint64(), x.IsUint64(), true
			}
		case string:
			var err error
			u, err = strconv.ParseUint(x, 10, 64)
			ok = err == nil
			if !ok {
				// Out of range (a negative or too large int), or not an int at all.
				_, ierr := strconv.ParseInt(x, 10, 64)
				isInt = err.(*strconv.NumError).Err == strconv.ErrRange || ierr == nil ||
					ierr.(*strconv.NumError).Err == strconv.ErrRange
			} else {
				isInt = true
			}
		}
		if !isInt {
			return keyErr()
		}
		if !ok || kv.OverflowUint(u) {
			return rangeErr()
		}
		kv.SetUint(u)
		return nil
	}
	return d.err(k, kt, "Go map key type "+kt.String()+" is neither a string, an integer nor an encoding.TextUnmarshaler", nil)
}

func (d *toGoState) toStruct(src any, v reflect.Value, depth int) error {
	t := v.Type()
	dict, ok := pyDictOf(src)
	if !ok {
		return d.mismatch(src, t)
	}
	sf := cachedFields(t)
	for _, it := range dict.Items() {
		k, ok := it.Key.(string)
		if !ok {
			continue
		}
		f := sf.find(k)
		if f == nil {
			continue
		}
		d.path.pushField(k)
		fv, ok := fieldByIndexAlloc(v, f.index)
		if !ok {
			return d.err(it.Value, t, "cannot set the embedded pointer to an unexported struct on the way to the field of Go "+t.String(), nil)
		}
		if err := d.value(it.Value, fv, depth+1); err != nil {
			return err
		}
		d.path.pop()
	}
	return nil
}

// fieldByIndexAlloc is v.FieldByIndex that allocates nil embedded pointers on the way. It
// reports false at a nil embedded pointer to an unexported struct type, which reflection
// cannot set (encoding/json fails there too).
func fieldByIndexAlloc(v reflect.Value, index []int) (reflect.Value, bool) {
	for i, x := range index {
		if i > 0 && v.Kind() == reflect.Pointer {
			if v.IsNil() {
				if !v.CanSet() {
					return reflect.Value{}, false
				}
				v.Set(reflect.New(v.Type().Elem()))
			}
			v = v.Elem()
		}
		v = v.Field(x)
	}
	return v, true
}

// time reads an instant, returned in UTC: an aware datetime, or an aware ISO 8601 str as
// Django writes one (datetime.isoformat(), "+00:00" or "Z").
func (d *toGoState) time(src any) (time.Time, error) {
	var dt DateTime
	switch x := src.(type) {
	case DateTime:
		dt = x
	case string:
		var err error
		dt, err = FromISOFormat(x)
		if err != nil {
			return time.Time{}, d.err(src, timeType, "Python str is not an ISO 8601 datetime", err)
		}
	default:
		return time.Time{}, d.mismatch(src, timeType)
	}
	if dt.TZ == nil {
		return time.Time{}, d.err(src, timeType, "naive datetime (no UTC offset) is not an instant; decode it into a py.DateTime and use its Time method with Django's TIME_ZONE", nil)
	}
	if _, err := dt.TZ.UTCOffset(dt); err != nil {
		return time.Time{}, d.err(src, timeType, "datetime's UTC offset is unknown", err)
	}
	return dt.Time(nil).UTC(), nil
}

// timeDeltaDuration converts td to a Duration, reporting false outside its range.
func timeDeltaDuration(td TimeDelta) (time.Duration, bool) {
	const maxDays = int64(math.MaxInt64 / int64(24*time.Hour))
	td, err := NewTimeDelta(td.Days, td.Seconds, td.Microseconds) // normalised, as Python keeps it
	if err != nil || td.Days > maxDays || td.Days < -maxDays {
		return 0, false
	}
	a := td.Days * int64(24*time.Hour)
	b := td.Seconds*int64(time.Second) + td.Microseconds*int64(time.Microsecond)
	if a > math.MaxInt64-b {
		return 0, false
	}
	return time.Duration(a + b), true
}
