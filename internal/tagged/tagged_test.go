package tagged

import (
	"testing"

	"github.com/djangobridge/bridge/py"
)

// TestTaggedForms checks Marshal against FORMAT.md forms written by hand from
// compat_test/pytagged.py's output for the same Python values, and Unmarshal back.
func TestTaggedForms(t *testing.T) {
	name := "X"
	tests := []struct {
		name string
		v    any
		json string
	}{
		{"plain dict", py.DictOf("a", int64(1), "b", []any{nil, true, "s"}), `{"a":1,"b":[null,true,"s"]}`},
		{"big int", int64(1 << 60), `{"__py__":"int","value":"1152921504606846976"}`},
		{"float", 1e16, `{"__py__":"float","repr":"1e+16","bits":"4341c37937e08000"}`},
		{"float repr", 0.0001, `{"__py__":"float","repr":"0.0001","bits":"3f1a36e2eb1c432d"}`},
		{"non-str keys", py.DictOf(int64(1), "a"), `{"__py__":"dict","items":[[1,"a"]]}`},
		{"__py__ key", py.DictOf("__py__", int64(1)), `{"__py__":"dict","items":[["__py__",1]]}`},
		{"lone surrogate", "a\xed\xa0\x80b", `{"__py__":"str","utf8_surrogatepass_b64":"Ye2ggGI="}`},
		{"datetime", py.DateTime{Year: 2023, Month: 11, Day: 14, Hour: 22, Minute: 13, Second: 20, Microsecond: 5, TZ: py.TimeZone{Offset: 3600e9, Name: &name}},
			`{"__py__":"datetime","iso":"2023-11-14T22:13:20.000005","fold":0,"tzinfo":{"class":"datetime.timezone","utcoffset_seconds":3600,"tzname":"X","offset_seconds":3600,"name":"X"}}`},
		{"time", py.Time{Hour: 1, Minute: 2, Second: 3}, `{"__py__":"time","iso":"01:02:03","fold":0,"tzinfo":null}`},
		{"uuid", py.UUID{Bytes: [16]byte{0x12, 0x34}, IsSafe: py.SafeUUIDUnsafe}, `{"__py__":"uuid","value":"12340000-0000-0000-0000-000000000000","is_safe":"unsafe"}`},
		{"object", &py.Object{Global: py.Global{Module: "m", Name: "C"}, How: "newobj", Args: py.Tuple{}, State: py.DictOf("x", int64(1)), HasState: true},
			`{"__py__":"object","global":"m.C","how":"newobj","args":[],"state":{"x":1}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j, err := Marshal(tt.v)
			if err != nil || string(j) != tt.json {
				t.Fatalf("Marshal = %s, %v\nwant %s", j, err, tt.json)
			}
			back, err := Unmarshal(j)
			if err != nil || !py.Equal(back, tt.v) {
				t.Fatalf("Unmarshal: %#v, %v", back, err)
			}
		})
	}
	bad := []string{`{"__py__":"nope"}`, `1.5`, `{"__py__":"float","bits":"xyz"}`, `[1] [2]`, `{"__py__":"set","items":[[1]]}`}
	for _, b := range bad {
		if _, err := Unmarshal([]byte(b)); err == nil {
			t.Errorf("Unmarshal(%s) accepted", b)
		}
	}
	cyclic := []any{nil}
	cyclic[0] = cyclic
	if _, err := Marshal(cyclic); err == nil {
		t.Error("Marshal of a cyclic value succeeded")
	}
}
