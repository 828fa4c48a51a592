package pickle

import (
	"math/big"
	"time"
	"unicode/utf8"

	"github.com/djangobridge/bridge/py"
)

// This file turns the REDUCE calls and BUILD states CPython writes for the known globals
// (codec.go) into the Go value model, checking their arguments as strictly as the Python
// constructors would. Nothing is called: each known global has a fixed, data-only meaning.

// reduce returns the value of g(*args).
func (d *decoder) reduce(g py.Global, args py.Tuple) (any, error) {
	switch g {
	case gDateTime:
		return dateTimeFromArgs(args)
	case gDate:
		if len(args) == 1 {
			if b, ok := stateBytes(args[0], 4); ok {
				return dateFromState(b)
			}
		}
	case gTime:
		if len(args) == 1 || len(args) == 2 {
			if b, ok := stateBytes(args[0], 6); ok {
				return timeFromArgs(b, args[1:])
			}
		}
	case gTimeDelta:
		if len(args) == 3 {
			days, ok1 := args[0].(int64)
			secs, ok2 := args[1].(int64)
			us, ok3 := args[2].(int64)
			if ok1 && ok2 && ok3 {
				return py.NewTimeDelta(days, secs, us)
			}
		}
	case gTimeZone:
		if len(args) == 1 || len(args) == 2 {
			return timeZoneFromArgs(args)
		}
	case gDecimal:
		if len(args) == 1 {
			if s, ok := args[0].(string); ok && validDecimal(s) {
				return py.Decimal{Value: s}, nil
			}
		}
	case gOrderedDict:
		if len(args) == 0 {
			return &py.OrderedDict{}, nil
		}
	case gSet, gFrozenSet:
		var items []any
		switch {
		case len(args) == 0:
		case len(args) == 1:
			l, ok := args[0].([]any)
			if !ok {
				return nil, errPickle("%s of a %s", g, py.TypeName(args[0]))
			}
			items = l
		default:
			return nil, errPickle("%s takes one argument", g)
		}
		if !d.afford(sizeSet + heapSize(sizeSlot*len(items)) + indexCost(len(items))) {
			return nil, d.overBudget()
		}
		s := &py.Set{}
		d.charge(sizeSet + heapSize(s.Grow(len(items))))
		for _, it := range items {
			if err := s.Add(it); err != nil {
				return nil, err
			}
		}
		if g == gFrozenSet {
			return &py.FrozenSet{Set: *s}, nil
		}
		return s, nil
	case gByteArray:
		if len(args) == 0 {
			return py.ByteArray{}, nil
		}
		if len(args) == 1 {
			if b, ok := args[0].([]byte); ok {
				return py.ByteArray(b), nil
			}
		}
	case gBytes:
		if len(args) == 0 {
			return []byte{}, nil
		}
	case gEncode:
		if len(args) == 2 {
			s, ok1 := args[0].(string)
			enc, ok2 := args[1].(string)
			if ok1 && ok2 && (enc == "latin1" || enc == "latin-1") {
				return latin1Bytes(s)
			}
		}
	case gComplex:
		if len(args) == 2 {
			re, ok1 := args[0].(float64)
			im, ok2 := args[1].(float64)
			if ok1 && ok2 {
				return complex(re, im), nil
			}
		}
	case gGetattr:
		if len(args) == 2 && args[0] == any(gZoneInfo) && args[1] == any("_unpickle") {
			return gZoneInfoNew, nil
		}
	case gZoneInfoNew:
		if len(args) == 2 {
			key, ok1 := args[0].(string)
			fromCache, ok2 := args[1].(int64)
			if ok1 && len(key) > maxTZText {
				return nil, errTZText
			}
			if ok1 && ok2 && (fromCache == 0 || fromCache == 1) && key != "" {
				return py.ZoneInfo{Key: key}, nil
			}
		}
	case gPytzUTC:
		if len(args) == 0 {
			return py.PytzZone{Callable: "pytz._UTC"}, nil
		}
	case gPytzP, gPytzFixed:
		if validPytzArgs(g.String(), args) {
			return py.PytzZone{Callable: g.String(), Args: args}, nil
		}
	case gReconstruct:
		return d.reconstructor(args)
	default:
		if d.c.allows(g) {
			return &py.Object{Global: g, How: "reduce", Args: args}, nil
		}
		return nil, errPickle("REDUCE of %s is not supported", g)
	}
	return nil, errPickle("unsupported arguments for %s", g)
}

// reconstructor handles copyreg._reconstructor(cls, base, state), which protocols 0 and 1
// write for instances of classes that define no reduce method of their own (base is object,
// or the builtin a class derives from, with its state).
func (d *decoder) reconstructor(args py.Tuple) (any, error) {
	if len(args) != 3 {
		return nil, errPickle("unsupported arguments for %s", gReconstruct)
	}
	cls, ok1 := args[0].(py.Global)
	_, ok2 := args[1].(py.Global)
	if !ok1 || !ok2 {
		return nil, errPickle("unsupported arguments for %s", gReconstruct)
	}
	if cls == gUUID && args[1] == any(gObject) && args[2] == nil {
		d.pending++
		return &py.Object{Global: gUUID, How: "newobj", Args: py.Tuple{}}, nil
	}
	if !d.c.allows(cls) {
		return nil, errPickle("%s of %s is not supported", gReconstruct, cls)
	}
	return &py.Object{Global: gReconstruct, How: "reduce", Args: args}, nil
}

// stateBytes returns the n-byte state of a datetime type: bytes, or (from Python 2 pickles)
// a str of code points below 256.
func stateBytes(v any, n int) ([]byte, bool) {
	switch x := v.(type) {
	case []byte:
		return x, len(x) == n
	case string:
		b, err := latin1Bytes(x)
		if err != nil {
			return nil, false
		}
		return b, len(b) == n
	}
	return nil, false
}

func latin1Bytes(s string) ([]byte, error) {
	b := make([]byte, 0, len(s))
	for _, r := range s {
		if r > 0xFF || r == utf8.RuneError {
			return nil, errPickle("_codecs.encode of a str that is not Latin-1")
		}
		b = append(b, byte(r))
	}
	return b, nil
}

func tzArg(v any) (py.TZInfo, error) {
	switch z := v.(type) {
	case py.TimeZone:
		return z, nil
	case py.ZoneInfo:
		return z, nil
	case py.PytzZone:
		return z, nil
	}
	return nil, errPickle("tzinfo argument is a %s", py.TypeName(v))
}

func dateTimeFromArgs(args py.Tuple) (any, error) {
	if len(args) != 1 && len(args) != 2 {
		return nil, errPickle("unsupported arguments for datetime.datetime")
	}
	b, ok := stateBytes(args[0], 10)
	if !ok {
		return nil, errPickle("unsupported arguments for datetime.datetime")
	}
	dt := py.DateTime{
		Year: int(b[0])<<8 | int(b[1]), Month: int(b[2] & 0x7F), Day: int(b[3]),
		Hour: int(b[4]), Minute: int(b[5]), Second: int(b[6]),
		Microsecond: int(b[7])<<16 | int(b[8])<<8 | int(b[9]), Fold: int(b[2] >> 7),
	}
	if len(args) == 2 {
		tz, err := tzArg(args[1])
		if err != nil {
			return nil, err
		}
		dt.TZ = tz
	}
	if !validDate(dt.Year, dt.Month, dt.Day) || !validClock(dt.Hour, dt.Minute, dt.Second, dt.Microsecond) {
		return nil, errPickle("datetime.datetime state out of range")
	}
	return dt, nil
}

func dateFromState(b []byte) (any, error) {
	dt := py.Date{Year: int(b[0])<<8 | int(b[1]), Month: int(b[2]), Day: int(b[3])}
	if !validDate(dt.Year, dt.Month, dt.Day) {
		return nil, errPickle("datetime.date state out of range")
	}
	return dt, nil
}

func timeFromArgs(b []byte, rest py.Tuple) (any, error) {
	t := py.Time{Hour: int(b[0] & 0x7F), Minute: int(b[1]), Second: int(b[2]),
		Microsecond: int(b[3])<<16 | int(b[4])<<8 | int(b[5]), Fold: int(b[0] >> 7)}
	if len(rest) == 1 {
		tz, err := tzArg(rest[0])
		if err != nil {
			return nil, err
		}
		t.TZ = tz
	}
	if !validClock(t.Hour, t.Minute, t.Second, t.Microsecond) {
		return nil, errPickle("datetime.time state out of range")
	}
	return t, nil
}

func validDate(y, m, d int) bool {
	if y < 1 || y > 9999 || m < 1 || m > 12 || d < 1 {
		return false
	}
	return d <= time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

func validClock(h, m, s, us int) bool {
	return h < 24 && m < 60 && s < 60 && us < 1000000
}

func timeZoneFromArgs(args py.Tuple) (any, error) {
	td, ok := args[0].(py.TimeDelta)
	if !ok {
		return nil, errPickle("datetime.timezone offset is a %s", py.TypeName(args[0]))
	}
	off := time.Duration(td.Days)*24*time.Hour + time.Duration(td.Seconds)*time.Second + time.Duration(td.Microseconds)*time.Microsecond
	if td.Days < -1 || td.Days > 0 || off <= -24*time.Hour || off >= 24*time.Hour {
		return nil, errPickle("datetime.timezone offset out of range")
	}
	z := py.TimeZone{Offset: off}
	if len(args) == 2 {
		name, ok := args[1].(string)
		if !ok {
			return nil, errPickle("datetime.timezone name is a %s", py.TypeName(args[1]))
		}
		if len(name) > maxTZText {
			return nil, errTZText
		}
		z.Name = &name
	}
	return z, nil
}

func validPytzArgs(callable string, args py.Tuple) bool {
	switch callable {
	case "pytz._UTC":
		return len(args) == 0
	case "pytz.FixedOffset":
		if len(args) != 1 {
			return false
		}
		m, ok := args[0].(int64)
		return ok && m > -1440 && m < 1440
	case "pytz._p":
	default:
		return false
	}
	switch len(args) {
	case 1:
		s, ok := args[0].(string)
		return ok && len(s) <= maxTZText
	case 4:
		s0, ok0 := args[0].(string)
		_, ok1 := args[1].(int64)
		_, ok2 := args[2].(int64)
		s3, ok3 := args[3].(string)
		return ok0 && ok1 && ok2 && ok3 && len(s0) <= maxTZText && len(s3) <= maxTZText
	}
	return false
}

// maxTZText bounds the names in a tzinfo (a zoneinfo key, a pytz zone or abbreviation, a
// datetime.timezone name): no real zone comes near it. Every datetime and time written as
// tagged JSON repeats its tzinfo's names, so they must stay short (CPython accepts a
// datetime.timezone name of any length; pytz and zoneinfo would not find such a zone).
const maxTZText = 255

var errTZText = errPickle("time zone name longer than %d bytes", maxTZText)

// uuidFromState builds a UUID from the state uuid.UUID.__getstate__ returns:
// {"int": n} plus "is_safe" (0, -1 or None) when known.
func uuidFromState(state any) (py.UUID, error) {
	d, ok := state.(*py.Dict)
	if !ok || d.Len() < 1 || d.Len() > 2 {
		return py.UUID{}, errPickle("unsupported state for uuid.UUID")
	}
	var u py.UUID
	for k, v := range d.All() {
		switch k {
		case "int":
			var x *big.Int
			switch n := v.(type) {
			case int64:
				if n < 0 {
					return py.UUID{}, errPickle("uuid.UUID int out of range")
				}
				x = big.NewInt(n)
			case *big.Int:
				x = n
			default:
				return py.UUID{}, errPickle("uuid.UUID int is a %s", py.TypeName(v))
			}
			if x.Sign() < 0 || x.BitLen() > 128 {
				return py.UUID{}, errPickle("uuid.UUID int out of range")
			}
			x.FillBytes(u.Bytes[:])
		case "is_safe":
			switch v {
			case int64(0):
				u.IsSafe = py.SafeUUIDSafe
			case int64(-1):
				u.IsSafe = py.SafeUUIDUnsafe
			case nil:
			default:
				return py.UUID{}, errPickle("uuid.UUID is_safe out of range")
			}
		default:
			return py.UUID{}, errPickle("unsupported state for uuid.UUID")
		}
	}
	if !d.Has("int") {
		return py.UUID{}, errPickle("uuid.UUID state without int")
	}
	return u, nil
}

// validDecimal reports whether s is a string decimal.Decimal accepts as written by str():
// an optionally signed number with an optional exponent, Infinity, NaN or sNaN.
func validDecimal(s string) bool {
	if s != "" && (s[0] == '-' || s[0] == '+') {
		s = s[1:]
	}
	switch lower(s) {
	case "inf", "infinity", "nan", "snan":
		return true
	}
	if l := lower(s); len(l) > 3 && (l[:3] == "nan" || (len(l) > 4 && l[:4] == "snan")) {
		p := l[3:]
		if l[0] == 's' {
			p = l[4:]
		}
		return allDigits(p)
	}
	i, digits := 0, 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i, digits = i+1, digits+1
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i, digits = i+1, digits+1
		}
	}
	if digits == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '-' || s[i] == '+') {
			i++
		}
		if !allDigits(s[i:]) || i == len(s) {
			return false
		}
		return true
	}
	return i == len(s)
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 32
		}
	}
	return string(b)
}
