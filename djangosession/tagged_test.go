package djangosession

import (
	"math"
	"math/big"
	"testing"
)

// TestEqualValuesStrict checks FORMAT.md's type-strict comparison.
func TestEqualValuesStrict(t *testing.T) {
	nan := math.NaN()
	s1, _ := NewSet(int64(1), "a")
	s2, _ := NewSet("a", int64(1))
	tests := []struct {
		name string
		a, b any
		want bool
	}{
		{"int vs float", int64(1), 1.0, false},
		{"int vs bool", int64(1), true, false},
		{"int64 vs big.Int", int64(5), big.NewInt(5), true},
		{"tuple vs list", Tuple{int64(1)}, []any{int64(1)}, false},
		{"bytes vs bytearray", []byte("x"), ByteArray("x"), false},
		{"floats by bits: -0.0", 0.0, math.Copysign(0, -1), false},
		{"floats by bits: NaN", nan, nan, true},
		{"sets unordered", s1, s2, true},
		{"dicts ordered", DictOf("a", int64(1), "b", int64(2)), DictOf("b", int64(2), "a", int64(1)), false},
		{"dict vs OrderedDict", DictOf("a", int64(1)), &OrderedDict{Dict: *DictOf("a", int64(1))}, false},
		{"datetime fold", DateTime{Year: 2023, Month: 1, Day: 1}, DateTime{Year: 2023, Month: 1, Day: 1, Fold: 1}, false},
		{"timezone name", DateTime{Year: 2023, Month: 1, Day: 1, TZ: TimeZone{}}, DateTime{Year: 2023, Month: 1, Day: 1, TZ: TimeZone{Name: new(string)}}, false},
		{"decimal text", Decimal{"1.0"}, Decimal{"1"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := EqualValues(tt.a, tt.b); got != tt.want {
				t.Fatalf("EqualValues = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestTaggedForms checks MarshalTagged against FORMAT.md forms written by hand from
// compat_test/pytagged.py's output for the same Python values, and UnmarshalTagged back.
func TestTaggedForms(t *testing.T) {
	name := "X"
	tests := []struct {
		name string
		v    any
		json string
	}{
		{"plain dict", DictOf("a", int64(1), "b", []any{nil, true, "s"}), `{"a":1,"b":[null,true,"s"]}`},
		{"big int", int64(1 << 60), `{"__py__":"int","value":"1152921504606846976"}`},
		{"float", 1e16, `{"__py__":"float","repr":"1e+16","bits":"4341c37937e08000"}`},
		{"float repr", 0.0001, `{"__py__":"float","repr":"0.0001","bits":"3f1a36e2eb1c432d"}`},
		{"non-str keys", DictOf(int64(1), "a"), `{"__py__":"dict","items":[[1,"a"]]}`},
		{"__py__ key", DictOf("__py__", int64(1)), `{"__py__":"dict","items":[["__py__",1]]}`},
		{"lone surrogate", "a\xed\xa0\x80b", `{"__py__":"str","utf8_surrogatepass_b64":"Ye2ggGI="}`},
		{"datetime", DateTime{Year: 2023, Month: 11, Day: 14, Hour: 22, Minute: 13, Second: 20, Microsecond: 5, TZ: TimeZone{Offset: 3600e9, Name: &name}},
			`{"__py__":"datetime","iso":"2023-11-14T22:13:20.000005","fold":0,"tzinfo":{"class":"datetime.timezone","utcoffset_seconds":3600,"tzname":"X","offset_seconds":3600,"name":"X"}}`},
		{"time", Time{Hour: 1, Minute: 2, Second: 3}, `{"__py__":"time","iso":"01:02:03","fold":0,"tzinfo":null}`},
		{"uuid", UUID{Bytes: [16]byte{0x12, 0x34}, IsSafe: SafeUUIDUnsafe}, `{"__py__":"uuid","value":"12340000-0000-0000-0000-000000000000","is_safe":"unsafe"}`},
		{"object", &Object{Global: Global{"m", "C"}, How: "newobj", Args: Tuple{}, State: DictOf("x", int64(1)), HasState: true},
			`{"__py__":"object","global":"m.C","how":"newobj","args":[],"state":{"x":1}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j, err := MarshalTagged(tt.v)
			if err != nil || string(j) != tt.json {
				t.Fatalf("MarshalTagged = %s, %v\nwant %s", j, err, tt.json)
			}
			back, err := UnmarshalTagged(j)
			if err != nil || !EqualValues(back, tt.v) {
				t.Fatalf("UnmarshalTagged: %#v, %v", back, err)
			}
		})
	}
	bad := []string{`{"__py__":"nope"}`, `1.5`, `{"__py__":"float","bits":"xyz"}`, `[1] [2]`, `{"__py__":"set","items":[[1]]}`}
	for _, b := range bad {
		if _, err := UnmarshalTagged([]byte(b)); err == nil {
			t.Errorf("UnmarshalTagged(%s) accepted", b)
		}
	}
	cyclic := []any{nil}
	cyclic[0] = cyclic
	if _, err := MarshalTagged(cyclic); err == nil {
		t.Error("MarshalTagged of a cyclic value succeeded")
	}
}
