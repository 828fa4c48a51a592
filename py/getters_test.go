package py_test

import (
	"math"
	"math/big"
	"reflect"
	"testing"
	"time"

	"github.com/djangobridge/bridge/pickle"
	"github.com/djangobridge/bridge/py"
	"github.com/djangobridge/bridge/pyjson"
)

func TestDictGetters(t *testing.T) {
	nested := py.DictOf("x", int64(1))
	od := &py.OrderedDict{Dict: *py.DictOf("y", int64(2))}
	aware := py.DateTime{Year: 2024, Month: 5, Day: 1, Hour: 14, TZ: py.TimeZone{Offset: 2 * time.Hour}}
	d := py.DictOf(
		"float", 2.5,
		"int", int64(3),
		"bool", true,
		"big", new(big.Int).Lsh(big.NewInt(1), 70),
		"huge", new(big.Int).Lsh(big.NewInt(1), 1100),
		"str", "s",
		"aware", aware,
		"naive", py.DateTime{Year: 2024, Month: 5, Day: 1},
		"iso", "2024-05-01T12:00:00+00:00",
		"isoZ", "2024-05-01T12:00:00.250Z",
		"isoNaive", "2024-05-01T12:00:00",
		"date", py.Date{Year: 2024, Month: 5, Day: 1},
		"bytes", []byte("b"),
		"bytearray", py.ByteArray("ba"),
		"list", []any{"a", "b"},
		"tuple", py.Tuple{"c"},
		"empty", []any{},
		"mixed", []any{"a", int64(1)},
		"dict", nested,
		"odict", od,
		"none", nil,
	)
	noon := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		get  func(string) (any, bool)
		key  string
		want any
		ok   bool
	}{
		{"Float of float", fl(d), "float", 2.5, true},
		{"Float of int", fl(d), "int", 3.0, true},
		{"Float of big int", fl(d), "big", math.Ldexp(1, 70), true},
		{"Float of int too large", fl(d), "huge", 0.0, false},
		{"Float of bool", fl(d), "bool", 0.0, false},
		{"Float of str", fl(d), "str", 0.0, false},
		{"Float of missing", fl(d), "missing", 0.0, false},
		{"Time of aware datetime, in UTC", tm(d), "aware", noon, true},
		{"Time of naive datetime", tm(d), "naive", time.Time{}, false},
		{"Time of ISO str", tm(d), "iso", noon, true},
		{"Time of ISO str with Z", tm(d), "isoZ", noon.Add(250 * time.Millisecond), true},
		{"Time of naive ISO str", tm(d), "isoNaive", time.Time{}, false},
		{"Time of date", tm(d), "date", time.Time{}, false},
		{"Time of missing", tm(d), "missing", time.Time{}, false},
		{"Bytes of bytes", by(d), "bytes", []byte("b"), true},
		{"Bytes of bytearray", by(d), "bytearray", []byte("ba"), true},
		{"Bytes of str", by(d), "str", []byte(nil), false},
		{"Strings of list", strs(d), "list", []string{"a", "b"}, true},
		{"Strings of tuple", strs(d), "tuple", []string{"c"}, true},
		{"Strings of empty list", strs(d), "empty", []string{}, true},
		{"Strings of mixed list", strs(d), "mixed", []string(nil), false},
		{"Strings of str", strs(d), "str", []string(nil), false},
		{"Dict of dict", dct(d), "dict", nested, true},
		{"Dict of OrderedDict", dct(d), "odict", &od.Dict, true},
		{"Dict of None", dct(d), "none", (*py.Dict)(nil), false},
		{"Dict of list", dct(d), "list", (*py.Dict)(nil), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := tt.get(tt.key)
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v", ok, tt.ok)
			}
			if tm, isTime := got.(time.Time); isTime {
				if tm != tt.want.(time.Time) {
					t.Fatalf("got %v, want %v", tm, tt.want)
				}
				return
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %#v, want %#v", got, tt.want)
			}
			if dd, isDict := got.(*py.Dict); isDict && dd != nil && dd != tt.want.(*py.Dict) {
				t.Fatal("Dict returned a copy, not the nested dict itself")
			}
		})
	}
}

func fl(d *py.Dict) func(string) (any, bool) {
	return func(k string) (any, bool) { return d.Float(k) }
}
func tm(d *py.Dict) func(string) (any, bool) {
	return func(k string) (any, bool) { return d.Time(k) }
}
func by(d *py.Dict) func(string) (any, bool) {
	return func(k string) (any, bool) { return d.Bytes(k) }
}
func strs(d *py.Dict) func(string) (any, bool) {
	return func(k string) (any, bool) { return d.Strings(k) }
}
func dct(d *py.Dict) func(string) (any, bool) {
	return func(k string) (any, bool) { return d.Dict(k) }
}

// TestDictTimeDjangoExpiry reads the "_session_expiry" Django 5.2 wrote with set_expiry
// (an ISO str in a JSON session, the same str in a pickled one) and the aware datetime of the
// "datetime" vector.
func TestDictTimeDjangoExpiry(t *testing.T) {
	vecs := loadVectors(t)
	want := time.Date(2024, 5, 1, 12, 30, 45, 123456000, time.UTC)
	srcs := map[string][]byte{"json": []byte(*vecs["expiry"].JSON), "pickle": vecs["expiry"].pickle(t)}
	for name, data := range srcs {
		var v any
		var err error
		if name == "json" {
			v, err = pyjson.Unmarshal(data)
		} else {
			v, err = pickle.Unmarshal(data)
		}
		if err != nil {
			t.Fatal(err)
		}
		got, ok := v.(*py.Dict).Time("_session_expiry")
		if !ok || got != want {
			t.Errorf("%s: Time = %v, %v; want %v", name, got, ok, want)
		}
	}
	v, err := pickle.Unmarshal(vecs["datetime"].pickle(t))
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := v.(*py.Dict).Time("at"); !ok || got != want {
		t.Errorf("datetime: Time = %v, %v; want %v", got, ok, want)
	}
}
