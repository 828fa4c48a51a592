package py_test

import (
	"errors"
	"math"
	"math/big"
	"net"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/djangobridge/bridge/py"
)

type qty int

type label string

// money reads and writes itself as a Decimal.
type money struct{ cents int64 }

func (m money) MarshalPy() (any, error) {
	return py.Decimal{Value: big.NewRat(m.cents, 100).FloatString(2)}, nil
}

func (m *money) UnmarshalPy(v any) error {
	d, ok := v.(py.Decimal)
	if !ok {
		return errors.New("not a Decimal")
	}
	r, ok := new(big.Rat).SetString(d.Value)
	if !ok {
		return errors.New("bad Decimal")
	}
	r.Mul(r, big.NewRat(100, 1))
	if !r.IsInt() || !r.Num().IsInt64() {
		return errors.New("not a whole number of cents")
	}
	m.cents = r.Num().Int64()
	return nil
}

// ptrMarshaler has MarshalPy on its pointer only.
type ptrMarshaler struct{ n int }

func (p *ptrMarshaler) MarshalPy() (any, error) { return []any{int64(p.n)}, nil }

var errMarshal = errors.New("marshal failed")

type failing struct{}

func (failing) MarshalPy() (any, error) { return nil, errMarshal }
func (*failing) UnmarshalPy(any) error  { return errMarshal }

type selfMarshaler struct{}

func (s selfMarshaler) MarshalPy() (any, error) { return s, nil }

type inner struct{ Y int }

type withEmbeddedPtr struct {
	*inner
	Inner2 *Embedded
	X      int
}

type Embedded struct{ Z int }

type outerPtr struct {
	*Embedded
	X int
}

// Dominance: A and B both promote a field named "V" at depth 1 and neither is tagged, so it is
// dropped; "T" is tagged in one of them, which wins; "S" is shallower in the outer struct.
type domA struct {
	V int
	T int `py:"T"`
	S int
}
type domB struct {
	V int
	T int
}
type dominance struct {
	domA
	domB
	S string
}

type tagForms struct {
	Dash    int `py:"-,"`
	Invalid int `py:"a\"b"`
	Empty   int `py:",omitempty"`
	Opt     int `py:"opt,unknownoption"`
}

type node struct {
	Next *node `py:"next"`
}

type rec []rec

// TestFromGo checks the Go→Python table of the package documentation, value by value.
func TestFromGo(t *testing.T) {
	five := 5
	dt := py.DateTime{Year: 2024, Month: 1, Day: 2, TZ: py.TimeZone{}}
	set, _ := py.NewSet(int64(1))
	tests := []struct {
		name string
		in   any
		want any
	}{
		{"nil", nil, nil},
		{"nil pointer", (*int)(nil), nil},
		{"pointer", &five, int64(5)},
		{"int8", int8(-3), int64(-3)},
		{"uint16", uint16(7), int64(7)},
		{"uintptr", uintptr(9), int64(9)},
		{"uint64 above int64", uint64(math.MaxUint64), new(big.Int).SetUint64(math.MaxUint64)},
		{"named int", qty(4), int64(4)},
		{"named string", label("x"), "x"},
		{"float32", float32(0.3), 0.3},
		{"float32 NaN", float32(math.NaN()), math.NaN()},
		{"float32 -Inf", float32(math.Inf(-1)), math.Inf(-1)},
		{"complex64", complex64(1 + 2i), complex128(1 + 2i)},
		{"nil []byte", []byte(nil), []byte{}},
		{"[2]byte", [2]byte{1, 2}, []byte{1, 2}},
		{"nil []int", []int(nil), []any{}},
		{"nil map", map[string]int(nil), py.NewDict(0)},
		{"[]any of Go values", []any{qty(1), []string{"a"}}, []any{int64(1), []any{"a"}}},
		{"map[string]any", map[string]any{"b": struct{ X int }{1}, "a": nil}, py.DictOf("a", nil, "b", py.DictOf("X", int64(1)))},
		{"map[uint64] sorted", map[uint64]string{math.MaxUint64: "max", 1 << 63: "mid", 1: "one"},
			py.DictOf(int64(1), "one", new(big.Int).SetUint64(1<<63), "mid", new(big.Int).SetUint64(math.MaxUint64), "max")},
		{"map[int8] sorted", map[int8]bool{-1: true, 3: false}, py.DictOf(int64(-1), true, int64(3), false)},
		{"*py.Dict of Go values", py.DictOf("q", qty(2)), py.DictOf("q", int64(2))},
		{"py.Tuple of Go values", py.Tuple{qty(2), label("l")}, py.Tuple{int64(2), "l"}},
		{"*py.OrderedDict", &py.OrderedDict{Dict: *py.DictOf("q", qty(2))}, &py.OrderedDict{Dict: *py.DictOf("q", int64(2))}},
		{"py.DateTime kept", dt, dt},
		{"py.Decimal kept", py.Decimal{Value: "1.50"}, py.Decimal{Value: "1.50"}},
		{"*py.Set kept", set, set},
		{"*big.Int copied", big.NewInt(3), big.NewInt(3)},
		{"time.Time in UTC, cut to µs", time.Date(2024, 1, 2, 3, 4, 5, 6007, time.FixedZone("", -3600)),
			py.DateTime{Year: 2024, Month: 1, Day: 2, Hour: 4, Minute: 4, Second: 5, Microsecond: 6, TZ: py.TimeZone{}}},
		{"zero time.Time", time.Time{}, py.DateTime{Year: 1, Month: 1, Day: 1, TZ: py.TimeZone{}}},
		{"*time.Time isoformat", struct {
			At *time.Time `py:"at,isoformat"`
		}{&time.Time{}}, py.DictOf("at", "0001-01-01T00:00:00+00:00")},
		{"negative Duration", -time.Nanosecond * 1500, py.TimeDelta{Days: -1, Seconds: 86399, Microseconds: 999999}},
		{"Marshaler", money{150}, py.Decimal{Value: "1.50"}},
		{"Marshaler in a struct", struct{ M money }{money{5}}, py.DictOf("M", py.Decimal{Value: "0.05"})},
		{"nil Marshaler pointer", (*money)(nil), nil},
		{"pointer-receiver Marshaler, addressable", &struct{ P ptrMarshaler }{ptrMarshaler{7}}, py.DictOf("P", []any{int64(7)})},
		{"pointer-receiver Marshaler, not addressable", struct{ P ptrMarshaler }{ptrMarshaler{7}}, py.DictOf("P", py.NewDict(0))},
		{"TextMarshaler", net.IPv4(10, 0, 0, 1), "10.0.0.1"},
		{"TextMarshaler map key", map[netip]int{{10, 0, 0, 1}: 1}, py.DictOf("10.0.0.1", int64(1))},
		{"nil embedded pointer skipped", withEmbeddedPtr{X: 1}, py.DictOf("Inner2", nil, "X", int64(1))},
		{"embedded pointer", outerPtr{&Embedded{2}, 1}, py.DictOf("Z", int64(2), "X", int64(1))},
		{"embedded pointer to an unexported struct", withEmbeddedPtr{inner: &inner{3}}, py.DictOf("Y", int64(3), "Inner2", nil, "X", int64(0))},
		{"dominance", dominance{domA: domA{1, 2, 3}, domB: domB{4, 5}, S: "s"}, py.DictOf("T", int64(2), "S", "s")},
		{"tag forms", tagForms{1, 2, 0, 4}, py.DictOf("-", int64(1), "Invalid", int64(2), "opt", int64(4))},
		{"interface holding a struct", []any{struct{ A string }{"x"}}, []any{py.DictOf("A", "x")}},
		{"surrogate bytes kept", "\xed\xa0\x80", "\xed\xa0\x80"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := py.FromGo(tt.in)
			if err != nil {
				t.Fatalf("FromGo: %v", err)
			}
			if !py.Equal(got, tt.want) {
				t.Fatalf("FromGo = %#v, want %#v", got, tt.want)
			}
		})
	}
}

// netip is a comparable TextMarshaler, usable as a map key.
type netip [4]byte

func (a netip) MarshalText() ([]byte, error) { return []byte(net.IP(a[:]).String()), nil }

func (a *netip) UnmarshalText(b []byte) error {
	ip := net.ParseIP(string(b)).To4()
	if ip == nil {
		return errors.New("not an IPv4 address")
	}
	copy(a[:], ip)
	return nil
}

// TestFromGoErrors checks that FromGo refuses what Python cannot hold, naming where.
func TestFromGoErrors(t *testing.T) {
	cycle := &node{}
	cycle.Next = cycle
	shared := []any{}
	for range 40 {
		shared = []any{shared, shared}
	}
	tests := []struct {
		name   string
		in     any
		path   string
		reason string
		err    error
	}{
		{"chan", make(chan int), "", "Python has no value for Go type chan int", nil},
		{"func in a struct", struct {
			F func() `py:"f"`
		}{}, "f", "Python has no value for Go type func()", nil},
		{"func in a map", map[string]any{"f k": func() {}}, `["f k"]`, "Python has no value for Go type func()", nil},
		{"invalid UTF-8 in a list", []string{"ok", "\xff"}, "[1]", "Go string is not UTF-8", nil},
		{"invalid UTF-8 map key", map[string]int{"\xff": 1}, "", "map key is not UTF-8", nil},
		{"year 10000", struct {
			At time.Time `py:"at"`
		}{time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}, "at", "time 10000-01-01T00:00:00Z is outside Python's years 1 to 9999", nil},
		{"float map key", map[float64]int{1: 1}, "", "Go map key type float64 is neither", nil},
		{"cycle", cycle, "next.next.next", "value nested more than 1000 deep", nil},
		{"Marshaler error", struct{ F failing }{}, "F", "MarshalPy of Go py_test.failing failed", errMarshal},
		{"Marshaler returning itself", selfMarshaler{}, "", "value nested more than 1000 deep", nil},
		{"Go value inside a *py.Dict", py.DictOf("d", py.DictOf("k", make(chan int))), `d.k`, "Python has no value", nil},
		{"int key in a path", map[int]any{3: []any{make(chan int)}}, "[3][0]", "Python has no value", nil},
		{"shared lists expanding", shared, "[0][0]", "value expands to more than 1048576 values", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := py.FromGo(tt.in)
			var ce *py.ConvertError
			if !errors.As(err, &ce) {
				t.Fatalf("FromGo error = %v, want a *py.ConvertError", err)
			}
			if ce.Op != "FromGo" || !strings.HasPrefix(ce.Path, tt.path) || tt.path == "" && ce.Path != "" || !strings.HasPrefix(ce.Reason, tt.reason) {
				t.Fatalf("FromGo error = %q (path %q), want path %q, reason %q...", err, ce.Path, tt.path, tt.reason)
			}
			if tt.err != nil && !errors.Is(err, tt.err) {
				t.Fatalf("FromGo error %v does not wrap %v", err, tt.err)
			}
			if tt.path != "" && !strings.HasPrefix(err.Error(), "py: FromGo "+tt.path) {
				t.Fatalf("message %q does not start with the path", err)
			}
		})
	}
}

// TestToGo checks the Python→Go table of the package documentation.
func TestToGo(t *testing.T) {
	d := py.DictOf("a", int64(1))
	tz := py.DateTime{Year: 2024, Month: 1, Day: 2, Hour: 3, TZ: py.TimeZone{Offset: time.Hour}}
	set, _ := py.NewSet("x")
	tests := []struct {
		name string
		src  any
		dst  any // a pointer to a value set before ToGo
		want any // what *dst must be after it
	}{
		{"int64 into int8", int64(-128), new(int8), int8(-128)},
		{"big.Int into uint64", new(big.Int).SetUint64(math.MaxUint64), new(uint64), uint64(math.MaxUint64)},
		{"int into named int", int64(3), new(qty), qty(3)},
		{"int into float32", int64(3), new(float32), float32(3)},
		{"big.Int into float64", new(big.Int).Lsh(big.NewInt(1), 100), new(float64), math.Ldexp(1, 100)},
		{"NaN into float32", math.NaN(), new(float32), float32(math.NaN())},
		{"float into complex", 1.5, new(complex64), complex64(1.5)},
		{"int into big.Int", int64(7), new(big.Int), *big.NewInt(7)},
		{"str into named string", "x", new(label), label("x")},
		{"bytearray into []byte", py.ByteArray("ab"), new([]byte), []byte("ab")},
		{"bytes into py.ByteArray", []byte("ab"), new(py.ByteArray), py.ByteArray("ab")},
		{"list of ints into []byte", []any{int64(1), int64(255)}, new([]byte), []byte{1, 255}},
		{"list into py.Tuple", []any{"a"}, new(py.Tuple), py.Tuple{"a"}},
		{"frozenset into []string", &py.FrozenSet{Set: *set}, new([]string), []string{"x"}},
		{"list into short array", []any{int64(1), int64(2), int64(3)}, new([2]int), [2]int{1, 2}},
		{"list into long array", []any{int64(1)}, &[2]int{5, 5}, [2]int{1, 0}},
		{"None into pointer", nil, ptrTo(ptrTo(1)), (*int)(nil)},
		{"None into int is a no-op", nil, ptrTo(5), 5},
		{"None into slice", nil, &[]int{1}, []int(nil)},
		{"None into map", nil, &map[string]int{"a": 1}, map[string]int(nil)},
		{"None into any", nil, ptrTo[any](1), nil},
		{"list into new pointer", []any{int64(1)}, new(*[]int), &[]int{1}},
		{"dict into map keeps other keys", py.DictOf("b", int64(2)), &map[string]int{"a": 1}, map[string]int{"a": 1, "b": 2}},
		{"str keys into map[int]", py.DictOf("-3", "x"), new(map[int]string), map[int]string{-3: "x"}},
		{"str keys into map[uint8]", py.DictOf("200", "x"), new(map[uint8]string), map[uint8]string{200: "x"}},
		{"TextUnmarshaler map key", py.DictOf("10.0.0.1", int64(1)), new(map[netip]int), map[netip]int{{10, 0, 0, 1}: 1}},
		{"TextUnmarshaler", "10.0.0.1", new(netip), netip{10, 0, 0, 1}},
		{"Unmarshaler", py.Decimal{Value: "1.50"}, new(money), money{150}},
		{"Unmarshaler in a struct", py.DictOf("M", py.Decimal{Value: "0.05"}), new(struct{ M *money }), struct{ M *money }{&money{5}}},
		{"non-str keys ignored by a struct", py.DictOf(int64(1), "x", "Y", int64(2)), new(inner), inner{Y: 2}},
		{"exact name before folded", py.DictOf("NAME", int64(1), "Name", int64(2)), new(struct {
			A int `py:"name"`
			B int `py:"Name"`
		}), struct {
			A int `py:"name"`
			B int `py:"Name"`
		}{1, 2}},
		{"embedded pointer allocated", py.DictOf("Z", int64(2), "X", int64(1)), new(outerPtr), outerPtr{&Embedded{2}, 1}},
		{"embedded pointer to an unexported struct, set", py.DictOf("Y", int64(2)), &withEmbeddedPtr{inner: &inner{}}, withEmbeddedPtr{inner: &inner{2}}},
		{"struct fields without a key kept", py.DictOf("X", int64(1)), &outerPtr{X: 9, Embedded: &Embedded{3}}, outerPtr{&Embedded{3}, 1}},
		{"*py.Dict into any is shared", d, new(any), any(d)},
		{"*py.Dict into *py.Dict is copied", d, new(*py.Dict), d},
		{"*py.Dict into py.Dict is copied", d, new(py.Dict), *d.Clone()},
		{"py.DateTime into py.DateTime", tz, new(py.DateTime), tz},
		{"aware datetime into time.Time, in UTC", tz, new(time.Time), time.Date(2024, 1, 2, 2, 0, 0, 0, time.UTC)},
		{"ISO str with Z into time.Time", "2024-01-02T03:00:00.5Z", new(time.Time), time.Date(2024, 1, 2, 3, 0, 0, 5e8, time.UTC)},
		{"timedelta into Duration", py.TimeDelta{Days: -1, Seconds: 86399, Microseconds: 999999}, new(time.Duration), -time.Microsecond},
		{"unnormalised timedelta into Duration", py.TimeDelta{Seconds: 86400}, new(time.Duration), 24 * time.Hour},
		{"list into []any is copied", []any{"x"}, new([]any), []any{"x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := py.ToGo(tt.src, tt.dst); err != nil {
				t.Fatalf("ToGo: %v", err)
			}
			got := reflect.ValueOf(tt.dst).Elem().Interface()
			if f, ok := got.(float32); ok && math.IsNaN(float64(f)) && math.IsNaN(float64(tt.want.(float32))) {
				return
			}
			if tm, ok := got.(time.Time); ok {
				if tm != tt.want.(time.Time) { // same instant and location
					t.Fatalf("ToGo = %v, want %v", tm, tt.want)
				}
				return
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("ToGo = %#v, want %#v", got, tt.want)
			}
			if gd, ok := got.(*py.Dict); ok && gd == d && !strings.HasSuffix(tt.name, "shared") {
				t.Fatal("ToGo stored the source *py.Dict itself, not a copy")
			}
			if ga, ok := got.(any); ok && strings.HasSuffix(tt.name, "shared") && ga != any(d) {
				t.Fatal("ToGo into any stored a copy, not the value itself")
			}
		})
	}
}

func ptrTo[T any](v T) *T { return &v }

// TestToGoErrors checks the errors of ToGo: the path, the Python type and the reason.
func TestToGoErrors(t *testing.T) {
	var nilMap map[string]int
	deep := any(nil)
	for range 1100 {
		deep = []any{deep}
	}
	shared := []any{}
	for range 40 {
		shared = []any{shared, shared}
	}
	tests := []struct {
		name   string
		src    any
		dst    any
		path   string
		python string
		reason string
		err    error
	}{
		{"non-pointer", int64(1), 1, "", "int", "destination must be a non-nil pointer, not Go int", nil},
		{"nil pointer", int64(1), (*int)(nil), "", "int", "destination must be a non-nil pointer", nil},
		{"nil", int64(1), nil, "", "int", "destination must be a non-nil pointer, not nil", nil},
		{"map value", int64(1), nilMap, "", "int", "destination must be a non-nil pointer", nil},
		{"int8 overflow", int64(128), new(int8), "", "int", "Python int out of range for Go int8", nil},
		{"big.Int into int64", new(big.Int).Lsh(big.NewInt(1), 64), new(int64), "", "int", "Python int out of range for Go int64", nil},
		{"negative into uint", int64(-1), new(uint), "", "int", "Python int out of range for Go uint", nil},
		{"bool into int", true, new(int), "", "bool", "cannot store Python bool in Go int", nil},
		{"float into int", 1.0, new(int), "", "float", "cannot store Python float in Go int", nil},
		{"int into bool", int64(1), new(bool), "", "int", "cannot store Python int in Go bool", nil},
		{"float32 overflow", 1e39, new(float32), "", "float", "Python float out of range for Go float32", nil},
		{"huge int into float", new(big.Int).Lsh(big.NewInt(1), 2000), new(float64), "", "int", "Python int too large to convert to float", nil},
		{"str into []byte", "ab", new([]byte), "", "str", "cannot store Python str in Go []uint8", nil},
		{"bytes into string", []byte("ab"), new(string), "", "bytes", "cannot store Python bytes in Go string", nil},
		{"bytes into [4]byte", []byte("abc"), new([4]byte), "", "bytes", "Python bytes of length 3 into Go [4]uint8", nil},
		{"dict into slice", py.NewDict(0), new([]int), "", "dict", "cannot store Python dict in Go []int", nil},
		{"list into struct", []any{}, new(inner), "", "list", "cannot store Python list in Go py_test.inner", nil},
		{"int key into map[string]", py.DictOf(int64(1), "x"), new(map[string]string), "[1]", "int", "cannot use a dict key of Python type int as a Go string map key", nil},
		{"str key into map[int]", py.DictOf("x y", "x"), new(map[int]string), `["x y"]`, "str", "cannot use a dict key of Python type str as a Go int map key", nil},
		{"str key out of range", py.DictOf("300", "x"), new(map[uint8]string), `["300"]`, "str", "dict key out of range for Go uint8", nil},
		{"negative str key into uint", py.DictOf("-1", "x"), new(map[uint8]string), `["-1"]`, "str", "dict key out of range", nil},
		{"float map key type", py.DictOf("x", "y"), new(map[float64]string), "x", "str", "Go map key type float64 is neither", nil},
		{"TextUnmarshaler error", "nope", new(netip), "", "str", "UnmarshalText of Go py_test.netip failed", nil},
		{"Unmarshaler error", py.DictOf("F", int64(1)), new(struct{ F failing }), "F", "int", "UnmarshalPy of Go py_test.failing failed", errMarshal},
		{"naive datetime", py.DateTime{Year: 2024, Month: 1, Day: 1}, new(time.Time), "", "datetime.datetime", "naive datetime", nil},
		{"naive ISO str", "2024-01-01T00:00:00", new(time.Time), "", "str", "naive datetime", nil},
		{"bad ISO str", "yesterday", new(time.Time), "", "str", "Python str is not an ISO 8601 datetime", nil},
		{"date into time.Time", py.Date{Year: 2024, Month: 1, Day: 1}, new(time.Time), "", "datetime.date", "cannot store Python datetime.date in Go time.Time", nil},
		{"unknown zone", py.DateTime{Year: 2024, Month: 1, Day: 1, TZ: py.ZoneInfo{Key: "No/Such_Zone"}}, new(time.Time), "", "datetime.datetime", "datetime's UTC offset is unknown", nil},
		{"timedelta too long", py.TimeDelta{Days: 200000}, new(time.Duration), "", "datetime.timedelta", "Python datetime.timedelta out of range", nil},
		{"int into Duration", int64(5), new(time.Duration), "", "int", "cannot store Python int in Go time.Duration", nil},
		{"str into error interface", "x", new(error), "", "str", "cannot store Python str in Go error", nil},
		{"chan destination", int64(1), new(chan int), "", "int", "Go type chan int cannot hold a Python value", nil},
		{"nil embedded pointer to an unexported struct", py.DictOf("X", int64(1), "Y", int64(2)), new(withEmbeddedPtr), "Y", "int", "cannot set the embedded pointer to an unexported struct", nil},
		{"too deep", deep, new(any), "", "list", "", nil},
		{"too deep into a recursive type", deep, new(rec), strings.Repeat("[0]", 1000), "list", "value nested more than 1000 deep", nil},
		{"shared lists expanding", shared, new(rec), "*", "list", "value expands to more than 1048576 values", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := py.ToGo(tt.src, tt.dst)
			if tt.reason == "" {
				if err != nil {
					t.Fatalf("ToGo: %v", err)
				}
				return
			}
			var ce *py.ConvertError
			if !errors.As(err, &ce) {
				t.Fatalf("ToGo error = %v, want a *py.ConvertError", err)
			}
			pathOK := tt.path == "*" || strings.HasPrefix(ce.Path, tt.path) && (tt.path != "" || ce.Path == "")
			if ce.Op != "ToGo" || !pathOK || ce.Python != tt.python || !strings.HasPrefix(ce.Reason, tt.reason) {
				t.Fatalf("ToGo error = %q (path %q, Python %q), want path %q, Python %q, reason %q...", err, ce.Path, ce.Python, tt.path, tt.python, tt.reason)
			}
			if tt.err != nil && !errors.Is(err, tt.err) {
				t.Fatalf("ToGo error %v does not wrap %v", err, tt.err)
			}
		})
	}
}

// TestConvertErrorMessage pins the message format: package, operation, path, what.
func TestConvertErrorMessage(t *testing.T) {
	src := py.DictOf("items", []any{py.DictOf("qty", int64(1)), py.DictOf("qty", int64(2)), py.DictOf("qty", "three")})
	var cart struct {
		Items []struct {
			Qty uint8 `py:"qty"`
		} `py:"items"`
	}
	err := py.ToGo(src, &cart)
	const want = "py: ToGo items[2].qty: cannot store Python str in Go uint8"
	if err == nil || err.Error() != want {
		t.Fatalf("error = %v, want %q", err, want)
	}
	_, err = py.FromGo(map[string]any{"a b": []any{make(chan int)}})
	const want2 = `py: FromGo ["a b"][0]: Python has no value for Go type chan int`
	if err == nil || err.Error() != want2 {
		t.Fatalf("error = %v, want %q", err, want2)
	}
	err = py.ToGo(int64(1), &struct{ F failing }{})
	if err == nil {
		t.Fatal("no error")
	}
}

// TestRoundTrip converts Go values to Python and back.
func TestRoundTrip(t *testing.T) {
	type item struct {
		Name  string            `py:"name"`
		Tags  []string          `py:"tags"`
		Attrs map[string]string `py:"attrs"`
		When  time.Time         `py:"when"`
		ISO   time.Time         `py:"iso,isoformat"`
		For   time.Duration     `py:"for"`
		Blob  []byte            `py:"blob"`
		Key   [16]byte          `py:"key"`
		Price money             `py:"price"`
		IP    netip             `py:"ip"`
		Next  *item             `py:"next"`
		Any   any               `py:"any"`
		N     uint64            `py:"n"`
	}
	in := item{Name: "a", Tags: []string{"x"}, Attrs: map[string]string{"k": "v"},
		When: time.Date(2024, 2, 29, 23, 59, 59, 999999000, time.UTC), ISO: time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC),
		For: -time.Hour, Blob: []byte{0}, Key: [16]byte{15: 1}, Price: money{1234}, IP: netip{1, 2, 3, 4},
		Next: &item{Name: "b", Tags: []string{}, Attrs: map[string]string{}, Blob: []byte{}}, Any: "s", N: math.MaxUint64}
	v, err := py.FromGo(&in)
	if err != nil {
		t.Fatal(err)
	}
	var out item
	if err := py.ToGo(v, &out); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in, out) {
		t.Fatalf("round trip:\n got %#v\nwant %#v", out, in)
	}
}
