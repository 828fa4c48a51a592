package py

import (
	"math"
	"math/big"
	"time"
)

// This file holds the typed getters of Dict beyond String, Int and Bool. Like those, each
// returns false when the key is missing or its value is not of the kind asked for; none
// converts between kinds where Python would not (a str is not a number, a number not a str),
// and none accepts a bool where Python code would have meant a number (Int does not either).

// Float returns the value as a float64: a Python float, or an int (not a bool), converted as
// Python's float(n) converts it, since Python code mixes the two freely (a price stored as 3
// reads as 3.0). An int too large for a float reports false, where Python raises
// OverflowError.
func (d *Dict) Float(key string) (float64, bool) {
	v, _ := d.Get(key)
	switch x := v.(type) {
	case float64:
		return x, true
	case int64:
		return float64(x), true
	case int:
		return float64(x), true
	case *big.Int:
		if x == nil {
			return 0, false
		}
		f, _ := new(big.Float).SetInt(x).Float64()
		if math.IsInf(f, 0) {
			return 0, false
		}
		return f, true
	}
	return 0, false
}

// Time returns the value as an instant (in UTC): an aware datetime.datetime, or a str in the ISO 8601
// form Django writes for one (datetime.isoformat(), with "+00:00" or "Z"), which is how a
// JSON-serialized session holds a datetime (Django 4.2+'s set_expiry writes
// "_session_expiry" so). A naive datetime (or naive str) reports false: it is an instant only
// in Django's TIME_ZONE; read it with Get as a [DateTime] and call its Time method with that
// zone.
func (d *Dict) Time(key string) (time.Time, bool) {
	v, ok := d.Get(key)
	if !ok {
		return time.Time{}, false
	}
	var conv toGoState
	t, err := conv.time(v)
	return t, err == nil
}

// Bytes returns the value of a Python bytes or bytearray. The slice is the dict's own: read
// it, don't change it.
func (d *Dict) Bytes(key string) ([]byte, bool) {
	v, _ := d.Get(key)
	switch x := v.(type) {
	case []byte:
		return x, true
	case ByteArray:
		return x, true
	}
	return nil, false
}

// Strings returns a list or tuple whose items are all str as a new []string (empty, not nil,
// for an empty list).
func (d *Dict) Strings(key string) ([]string, bool) {
	v, _ := d.Get(key)
	var items []any
	switch x := v.(type) {
	case []any:
		items = x
	case Tuple:
		items = x
	default:
		return nil, false
	}
	out := make([]string, len(items))
	for i, it := range items {
		s, ok := it.(string)
		if !ok {
			return nil, false
		}
		out[i] = s
	}
	return out, true
}

// Dict returns a nested dict (a dict or a collections.OrderedDict, a dict subclass in Python).
// It is the dict itself, not a copy: a change to it is a change to d.
func (d *Dict) Dict(key string) (*Dict, bool) {
	v, _ := d.Get(key)
	switch x := v.(type) {
	case *Dict:
		return x, x != nil
	case *OrderedDict:
		if x == nil {
			return nil, false
		}
		return &x.Dict, true
	}
	return nil, false
}
