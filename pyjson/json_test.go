package pyjson

import (
	"encoding/binary"
	"errors"
	"math"
	"math/big"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/djangobridge/bridge/py"
)

// TestJSONDumps compares JSONSerializer.Dumps with json.dumps(v, separators=(",", ":")) as
// printed by CPython 3.12.1 (Django 5.2 venv) for the same values.
func TestJSONDumps(t *testing.T) {
	negZero := math.Copysign(0, -1)
	keys := py.NewDict(0)
	for _, kv := range [][2]any{{int64(1), "i"}, {1.5, "f"}, {true, "t"}, {nil, "n"}, {"k", "s"}, {math.NaN(), "nan"}, {negZero, "z"}} {
		if err := keys.SetKey(kv[0], kv[1]); err != nil {
			t.Fatal(err)
		}
	}
	big64, _ := new(big.Int).SetString("18446744073709551616", 10)
	big100 := new(big.Int).Neg(new(big.Int).Lsh(big.NewInt(1), 100))
	tests := []struct {
		name string
		v    any
		want string
	}{
		{"escapes", "a\"b\\c/d", `"a\"b\\c/d"`},
		{"controls", "\x00\x01\x08\x09\x0a\x0c\x0d\x1f\x7f", `"\u0000\u0001\b\t\n\f\r\u001f\u007f"`},
		{"non-ASCII", "é€\U0001f600\u2028<>&'", `"\u00e9\u20ac\ud83d\ude00\u2028<>&'"`},
		{"lone surrogate (WTF-8)", "a\xed\xa0\x80b", `"a\ud800b"`},
		{"floats", []any{0.0, negZero, 1.0, 1.5, 0.1, 1e16, 1e15, 123456789012345678.0, 0.0001, 0.00001, 1e-7, 5e-324,
			math.MaxFloat64, math.NaN(), math.Inf(1), math.Inf(-1), 2.5e-5, 100.0, 1e22, 1e21},
			"[0.0,-0.0,1.0,1.5,0.1,1e+16,1000000000000000.0,1.2345678901234568e+17,0.0001,1e-05,1e-07,5e-324,1.7976931348623157e+308,NaN,Infinity,-Infinity,2.5e-05,100.0,1e+22,1e+21]"},
		{"ints", []any{int64(0), int64(-1), int64(math.MaxInt64), int64(math.MinInt64), big64, big100, 7},
			"[0,-1,9223372036854775807,-9223372036854775808,18446744073709551616,-1267650600228229401496703205376,7]"},
		{"key coercion", keys, `{"1":"t","1.5":"f","null":"n","k":"s","NaN":"nan","-0.0":"z"}`},
		{"tuple as array", py.Tuple{int64(1), py.Tuple{int64(2)}}, "[1,[2]]"},
		{"ordered dict", &py.OrderedDict{Dict: *py.DictOf("b", int64(1), "a", int64(2))}, `{"b":1,"a":2}`},
		{"map sorted", map[string]any{"b": nil, "a": true}, `{"a":true,"b":null}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Marshal(tt.v)
			if err != nil || string(got) != tt.want {
				t.Fatalf("Dumps = %s, %v; want %s", got, err, tt.want)
			}
		})
	}
}

func TestJSONDumpsErrors(t *testing.T) {
	loop := py.NewDict(0)
	loop.Set("self", loop)
	tupleKey := py.NewDict(0)
	if err := tupleKey.SetKey(py.Tuple{int64(1)}, "x"); err != nil {
		t.Fatal(err)
	}
	deep := any("x")
	for range jsonMaxEncodeDepth + 1 {
		deep = []any{deep}
	}
	set, _ := py.NewSet(int64(1))
	tests := []struct {
		name string
		v    any
		msg  string
	}{
		{"bytes", []byte("x"), "Object of type bytes is not JSON serializable"},
		{"set", set, "Object of type set is not JSON serializable"},
		{"tuple key", tupleKey, "keys must be str, int, float, bool or None, not tuple"},
		{"circular", loop, "Circular reference detected"},
		{"too deep", deep, "maximum recursion depth exceeded while encoding a JSON object"},
		{"int too long", new(big.Int).Exp(big.NewInt(10), big.NewInt(4300), nil), "Exceeds the limit (4300 digits) for integer string conversion"},
		{"invalid UTF-8", "\xff", "string is not valid UTF-8 (byte 0xff at 0)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Marshal(tt.v)
			var je *TypeError
			if !errors.As(err, &je) || je.Msg != tt.msg {
				t.Fatalf("error %v, want %q", err, tt.msg)
			}
		})
	}
}

// TestJSONLoads checks json.loads rules on hand-made payloads (their acceptance by CPython is
// also checked live, in TestLiveLoadsEdgeCases).
func TestJSONLoads(t *testing.T) {
	big30, _ := new(big.Int).SetString("123456789012345678901234567890", 10)
	tests := []struct {
		in   string
		want any
	}{
		{`{"a":1,"b":2,"a":3}`, py.DictOf("a", int64(3), "b", int64(2))},
		{" \t\n\r[1 , 2.5 ]\r\n", []any{int64(1), 2.5}},
		{`"\ud83d\ude00\u00e9\/"`, "\U0001f600é/"},
		{`"\ud800x"`, "\xed\xa0\x80x"},
		{`"\udc00\ud800"`, "\xed\xb0\x80\xed\xa0\x80"},
		{"\"caf\xc3\xa9\"", "cafÃ©"},
		{`[NaN,Infinity,-Infinity,-0,-0.0,1e400,1E-400]`, []any{pyNaN, math.Inf(1), math.Inf(-1), int64(0), math.Copysign(0, -1), math.Inf(1), 0.0}},
		{`123456789012345678901234567890`, big30},
		{`-9223372036854775808`, int64(math.MinInt64)},
	}
	for _, tt := range tests {
		got, err := Unmarshal([]byte(tt.in))
		if err != nil || !py.Equal(got, tt.want) {
			t.Errorf("Loads(%q) = %#v, %v; want %#v", tt.in, got, err, tt.want)
		}
	}
	for _, in := range []string{"", " ", "[1,]", `{"a":1,}`, "{1:2}", "01", "1.", ".5", "-", "+1", "nan", "-NaN", "NaNx",
		`"\x"`, `"\u12G4"`, "\"a\x01\"", `"abc`, "[", strings.Repeat("[", jsonMaxDecodeDepth+1), strings.Repeat("9", 4301), "\xef\xbb\xbf{}"} {
		if _, err := Unmarshal([]byte(in)); !errors.Is(err, ErrCorrupt) || !errors.As(err, new(*SyntaxError)) {
			t.Errorf("Loads(%q): %v, want a *SyntaxError", in[:min(len(in), 20)], err)
		}
	}
}

// TestJSONLoadsDicts checks how objects become dicts: repeated keys (also spelled with escapes,
// or past 8 items, where Dict keeps an index), distinct keys that share a slot of the key
// cache, and keys and strings that outlive later calls, which reuse the pooled decoder.
func TestJSONLoadsDicts(t *testing.T) {
	nine := `{"k1":1,"k2":2,"k3":3,"k4":4,"k5":5,"k6":6,"k7":7,"k8":8,"k9":9`
	tests := []struct {
		in   string
		want *py.Dict
	}{
		{`{"kA":1,"k\u0041":2}`, py.DictOf("kA", int64(2))},
		{`{"axb":1,"ayb":2,"axb":3}`, py.DictOf("axb", int64(3), "ayb", int64(2))}, // same slot
		{`{"a":{"a":1},"a":2}`, py.DictOf("a", int64(2))},
		{nine + `}`, py.DictOf("k1", int64(1), "k2", int64(2), "k3", int64(3), "k4", int64(4), "k5", int64(5),
			"k6", int64(6), "k7", int64(7), "k8", int64(8), "k9", int64(9))},
		{nine + `,"k1":10}`, py.DictOf("k1", int64(10), "k2", int64(2), "k3", int64(3), "k4", int64(4), "k5", int64(5),
			"k6", int64(6), "k7", int64(7), "k8", int64(8), "k9", int64(9))},
		{"{\"caf\xe9\":\"\xe9\\n\xff\",\"x\":[\"\\u2013\",\"\"]}", py.DictOf("caf\u00e9", "\u00e9\n\u00ff", "x", []any{"\u2013", ""})},
	}
	for _, tt := range tests {
		got, err := Unmarshal([]byte(tt.in))
		if err != nil || !py.Equal(got, tt.want) {
			t.Errorf("Loads(%q) = %#v, %v; want %#v", tt.in, got, err, tt.want)
		}
		if d, ok := got.(*py.Dict); ok {
			d.Set("new", int64(0))
			if v, ok := d.Get("new"); !ok || v != int64(0) || d.Len() != tt.want.Len()+1 {
				t.Errorf("Loads(%q): after Set, %d items", tt.in, d.Len())
			}
		}
	}
	// Results stay intact while the decoder decodes other payloads (with the same keys).
	in := []byte(`{"_auth_user_id":"1","name":"a\u2013b","sku":"SKU-1","long":"` + strings.Repeat("x", 300) + `"}`)
	first, err := Unmarshal(in)
	if err != nil {
		t.Fatal(err)
	}
	want := py.DictOf("_auth_user_id", "1", "name", "a\u2013b", "sku", "SKU-1", "long", strings.Repeat("x", 300))
	other := []byte(`{"_auth_user_id":"2","name":"c\u2014d","sku":"SKU-2","long":"` + strings.Repeat("y", 300) + `"}`)
	for range 100 {
		if _, err := Unmarshal(other); err != nil {
			t.Fatal(err)
		}
	}
	clear(in)
	if !py.Equal(first, want) {
		t.Errorf("first result changed to %#v", first)
	}
}

// TestSWARFlags checks the word-at-a-time scans of the JSON encoder and decoder against the
// byte tests they stand for: every byte value at every position of a word of safe bytes, and
// random words.
func TestSWARFlags(t *testing.T) {
	encUnsafe := func(c byte) bool { return !jsonSafe[c] }
	decUnsafe := func(c byte) bool { return c == '"' || c == '\\' || c < 0x20 || c >= 0x80 }
	check := func(w [8]byte) {
		t.Helper()
		x := binary.LittleEndian.Uint64(w[:])
		var enc, dec bool
		for _, c := range w {
			enc = enc || encUnsafe(c)
			dec = dec || decUnsafe(c)
		}
		if got := swarFlags(x, true) != 0; got != enc {
			t.Fatalf("swarFlags(% x, del) flags %v, want %v", w, got, enc)
		}
		if got := swarFlags(x, false) != 0; got != dec {
			t.Fatalf("swarFlags(% x) flags %v, want %v", w, got, dec)
		}
		// The lowest flag marks the first such byte.
		if enc {
			if got, want := firstFlagged(swarFlags(x, true)), slices.IndexFunc(w[:], encUnsafe); got != want {
				t.Fatalf("firstFlagged(swarFlags(% x, del)) = %d, want %d", w, got, want)
			}
		}
		if dec {
			if got, want := firstFlagged(swarFlags(x, false)), slices.IndexFunc(w[:], decUnsafe); got != want {
				t.Fatalf("firstFlagged(swarFlags(% x)) = %d, want %d", w, got, want)
			}
		}
	}
	for pos := range 8 {
		for c := range 256 {
			w := [8]byte{'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'}
			w[pos] = byte(c)
			check(w)
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200000 {
		var w [8]byte
		for i := range w {
			w[i] = byte(rng.IntN(256))
			if rng.IntN(2) == 0 {
				w[i] = byte(' ' + rng.IntN(95)) // mostly printable, so that clean words occur
			}
		}
		check(w)
	}
}
