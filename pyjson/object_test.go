package pyjson

import (
	"bytes"
	"compress/zlib"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/djangobridge/bridge/py"
)

// checkObject checks UnmarshalObject against Unmarshal on data: both reject it with the same
// error, or Unmarshal's value is not an object and UnmarshalObject says so with that value,
// or the Object agrees with Unmarshal's dict in every method. It returns the Object (nil if
// none).
func checkObject(t *testing.T, data []byte) *Object {
	t.Helper()
	in := bytes.Clone(data)
	o, err := UnmarshalObject(data)
	want, werr := Unmarshal(in)
	if werr != nil {
		if o != nil || !reflect.DeepEqual(err, werr) {
			t.Fatalf("UnmarshalObject(%.40q) = %v, %v; Unmarshal's error is %#v", data, o, err, werr)
		}
		return nil
	}
	wd, ok := want.(*py.Dict)
	if !ok {
		var ne *NotObjectError
		if o != nil || !errors.As(err, &ne) || !py.Equal(ne.Value, want) {
			t.Fatalf("UnmarshalObject(%.40q) = %v, %v; want a *NotObjectError with %#v", data, o, err, want)
		}
		return nil
	}
	if err != nil {
		t.Fatalf("UnmarshalObject(%.40q): %v; Unmarshal accepts it", data, err)
	}
	if o.Len() != wd.Len() {
		t.Fatalf("Len = %d, want %d", o.Len(), wd.Len())
	}
	var wantKeys []string
	for _, k := range wd.Keys() {
		wantKeys = append(wantKeys, k.(string))
	}
	if keys := o.Keys(); !slices.Equal(keys, wantKeys) && len(keys)+len(wantKeys) > 0 {
		t.Fatalf("Keys = %q, want %q", keys, wantKeys)
	}
	// Get every other key first, so that Dict both builds values and reuses built ones.
	got := map[string]any{}
	for i, k := range wantKeys {
		if !o.Has(k) {
			t.Fatalf("Has(%q) = false", k)
		}
		if i%2 == 1 {
			continue
		}
		v, ok, err := o.Get(k)
		wv, _ := wd.Get(k)
		if !ok || err != nil || !py.Equal(v, wv) {
			t.Fatalf("Get(%q) = %#v, %v, %v; want %#v", k, v, ok, err, wv)
		}
		got[k] = v
	}
	for _, k := range []string{"", "\x00missing", "_auth_user_id"} {
		if !wd.Has(k) {
			if v, ok, err := o.Get(k); ok || v != nil || err != nil || o.Has(k) {
				t.Fatalf("Get(%q) of a missing key = %v, %v, %v", k, v, ok, err)
			}
		}
	}
	d, err := o.Dict()
	if err != nil || !py.Equal(d, wd) {
		t.Fatalf("Dict = %#v, %v; want %#v", d, err, wd)
	}
	for k, v := range got {
		if dv, _ := d.Get(k); !sameObject(dv, v) {
			t.Fatalf("Dict()[%q] is not the value Get built", k)
		}
	}
	for _, k := range wantKeys {
		v, _, _ := o.Get(k)
		if dv, _ := d.Get(k); !sameObject(dv, v) {
			t.Fatalf("Get(%q) after Dict is not the value Dict built", k)
		}
	}
	// With no change, AppendEncode gives the same object back.
	enc, err := o.AppendEncode([]byte("prefix"), nil, nil)
	if err != nil || !bytes.HasPrefix(enc, []byte("prefix")) {
		t.Fatalf("AppendEncode(no change) = %q, %v", enc, err)
	}
	if back, err := Unmarshal(enc[len("prefix"):]); err != nil || !py.Equal(back, wd) {
		t.Fatalf("AppendEncode(no change) = %q (%v), which is not the input's dict", enc, err)
	}
	if !bytes.Equal(data, in) {
		t.Fatal("UnmarshalObject changed its input")
	}
	return o
}

// sameObject reports whether a and b are the same Go value: the same pointer for dicts and
// lists, equal for the rest (which are immutable).
func sameObject(a, b any) bool {
	switch x := a.(type) {
	case *py.Dict:
		y, ok := b.(*py.Dict)
		return ok && x == y
	case []any:
		y, ok := b.([]any)
		return ok && len(x) == len(y) && (len(x) == 0 || &x[0] == &y[0])
	}
	return py.Equal(a, b)
}

// objectInputs are hand-made inputs for UnmarshalObject: objects in every form, each way an
// object can be malformed, and other values. They seed FuzzUnmarshalObject too.
var objectInputs = []string{
	`{}`, " \t\n\r{ \t\n\r} \r\n",
	`{"_auth_user_id":"1","_auth_user_backend":"django.contrib.auth.backends.ModelBackend","_auth_user_hash":"abc"}`,
	`{"a":1,"b":2,"a":3}`, `{"a":{"a":1},"a":2}`, `{"a":1,"a":2,"a":3,"b":[],"a":{}}`,
	`{"kA":1,"k\u0041":2}`, `{"\u00e9":1,"` + "\xe9" + `":2}`, `{"\ud83d\ude00":1,"\ud83d":2,"\ude00":3,"\ud83d\u0041":4}`,
	`{"\"\\\/\b\f\n\r\t":[1,2.5,-0,-0.0,1e400,1E-400,1e5,NaN,Infinity,-Infinity,true,false,null]}`,
	"{\"caf\xe9\":\"\xe9\\n\xff\",\"x\":[\"\\u2013\",\"\"]}",
	`{"n":123456789012345678901234567890,"m":-9223372036854775808,"f":0.1,"e":1e-7}`,
	`{ "a" : [ 1 , { "b" : [ ] , "c" : { } } ] , "d" : "" }`,
	`{"k1":1,"k2":2,"k3":3,"k4":4,"k5":5,"k6":6,"k7":7,"k8":8,"k9":9,"k1":10}`,
	`{"deep":` + strings.Repeat("[", jsonMaxDecodeDepth-1) + strings.Repeat("]", jsonMaxDecodeDepth-1) + `}`,
	`{"deep":` + strings.Repeat(`{"a":`, jsonMaxDecodeDepth-1) + "1" + strings.Repeat("}", jsonMaxDecodeDepth-1) + `}`,
	`{"big":` + strings.Repeat("9", 4300) + `,"float":` + strings.Repeat("9", 4301) + `.5}`,
	// Malformed.
	"", " ", "{", "{ ", `{"a"`, `{"a":`, `{"a":1`, `{"a":1,`, `{"a":1,}`, `{,}`, `{1:2}`, `{"a" 1}`, `{"a":1 "b":2}`,
	`{"a":1}x`, `{"a":1}{}`, `{"a":[1,]}`, `{"a":[1 2]}`, `{"a":{"b":1,}}`, `{"a":{"b"}}`, `{"a":{"b":1]}`,
	`{"a":[1}`, `{"a":01}`, `{"a":1.}`, `{"a":.5}`, `{"a":-}`, `{"a":+1}`, `{"a":nan}`, `{"a":-NaN}`, `{"a":NaNx}`,
	`{"a":nul}`, `{"a":tru}`, `{"a":fals}`, `{"a":Infinit}`, `{"a":-Infinit}`, `{"a":1e}`, `{"a":1e+}`, `{"a":-a}`,
	`{"a":"\x"}`, `{"a":"\u12G4"}`, `{"\u12G4":1}`, `{"a":"\ud800\u12G4"}`, "{\"a\":\"a\x01\"}", "{\"a\x1f\":1}",
	`{"a":"abc`, `{"a":"abc\`, `{"a":"\u12`, `{"a`, `{"a":` + strings.Repeat("9", 4301) + `}`,
	`{"a":-` + strings.Repeat("9", 4301) + `}`,
	`{"deep":` + strings.Repeat("[", jsonMaxDecodeDepth) + strings.Repeat("]", jsonMaxDecodeDepth) + `}`,
	`{"deep":` + strings.Repeat(`{"a":`, jsonMaxDecodeDepth) + "1" + strings.Repeat("}", jsonMaxDecodeDepth) + `}`,
	"\xef\xbb\xbf{}", "{}\x00", "{\"a\":1}\xa0", "{\"a\":\xa0 1}",
	// Not objects.
	"[]", `[1,{"a":2}]`, `"{}"`, "1", "-1.5", "null", "true", "NaN", strings.Repeat("[", jsonMaxDecodeDepth+1),
}

func TestUnmarshalObject(t *testing.T) {
	for _, in := range objectInputs {
		checkObject(t, []byte(in))
	}
	for _, p := range fixturePayloads(t) {
		checkObject(t, p)
	}
}

func TestUnmarshalObjectErrors(t *testing.T) {
	_, err := UnmarshalObject([]byte(`{"a":[1,]}`))
	var se *SyntaxError
	if !errors.As(err, &se) || !errors.Is(err, ErrCorrupt) || se.Offset != 8 || se.Msg != "Expecting value" {
		t.Errorf("error %#v, want Unmarshal's Expecting value at 8", err)
	}
	_, err = UnmarshalObject([]byte(`[1]`))
	var ne *NotObjectError
	if !errors.As(err, &ne) || errors.Is(err, ErrCorrupt) || err.Error() != "pyjson: JSON value is list, not an object" {
		t.Errorf("error %v, want a *NotObjectError for a list", err)
	}
}

// TestObjectGet checks that Get decodes a value once and returns the cached one later, and
// that a value taken from the Object outlives later decodes that reuse pooled buffers.
func TestObjectGet(t *testing.T) {
	data := []byte(`{"s":"a\u2013b","l":[1,"x"],"d":{"k":"v"},"n":null,"s":"last"}`)
	o := checkObject(t, data)
	l1, _, _ := o.Get("l")
	l2, _, _ := o.Get("l")
	if !sameObject(l1, l2) {
		t.Error("a second Get built the list again")
	}
	if v, ok, err := o.Get("n"); v != nil || !ok || err != nil {
		t.Errorf(`Get("n") = %v, %v, %v`, v, ok, err)
	}
	if v, _, _ := o.Get("s"); v != "last" {
		t.Errorf(`Get("s") = %v, want the last value`, v)
	}
	for range 100 {
		if _, err := Unmarshal([]byte(`{"x":"yyyyyyyyyyyyyy","z":[1,2,3]}`)); err != nil {
			t.Fatal(err)
		}
	}
	if !py.Equal(l1, []any{int64(1), "x"}) {
		t.Errorf("the list changed to %#v", l1)
	}
	if o.Keys()[0] != "s" || o.Len() != 4 {
		t.Errorf("Keys = %q", o.Keys())
	}
}

// TestObjectAllocs checks that UnmarshalObject plus three Gets of short strs allocates as
// often for a 10 KiB session as for a small one.
func TestObjectAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under -race (sync.Pool drops items at random)")
	}
	small, large := sessionJSON(false), sessionJSON(true)
	if len(large) < 10<<10 {
		t.Fatalf("the large session is %d bytes", len(large))
	}
	count := func(data []byte) float64 {
		return testing.AllocsPerRun(100, func() {
			o, err := UnmarshalObject(data)
			if err != nil {
				t.Fatal(err)
			}
			for _, k := range authKeys {
				if v, ok, _ := o.Get(k); !ok {
					t.Fatal(k, v)
				}
			}
		})
	}
	s, l := count(small), count(large)
	t.Logf("allocations: %.0f for %d bytes, %.0f for %d bytes", s, len(small), l, len(large))
	if s != l {
		t.Errorf("UnmarshalObject + 3 Gets: %.0f allocations for a small session, %.0f for a 10 KiB one", s, l)
	}
}

var authKeys = []string{"_auth_user_id", "_auth_user_backend", "_auth_user_hash"}

// sessionJSON is a logged-in session as Django writes it; large adds a 10 KiB-plus cart.
func sessionJSON(large bool) []byte {
	d := py.DictOf("_auth_user_id", "42", "_auth_user_backend", "django.contrib.auth.backends.ModelBackend",
		"_auth_user_hash", strings.Repeat("ab", 32), "_csrftoken", "oyaUpx1gGYJn5XGQUOFHWGPkj8SsTOvJ",
		"_session_expiry", int64(1209600))
	if large {
		var cart []any
		for i := range 120 {
			cart = append(cart, py.DictOf("sku", "SKU-"+strings.Repeat("x", i%7), "qty", int64(i), "price", 9.99,
				"name", "Widget \u00e9 \"deluxe\"", "tags", []any{"a", "b"}))
		}
		d.Set("cart", cart)
		for i := range 30 {
			d.Set("pref_"+string(rune('a'+i%26))+strings.Repeat("_", i/26), i%2 == 0)
		}
	}
	b, err := Marshal(d)
	if err != nil {
		panic(err)
	}
	return b
}

func TestAppendEncode(t *testing.T) {
	data := []byte(`{"a":1, "b" : "x\u00e9","c":[1,2],"a":4,"d":{"e":null}}`)
	o := checkObject(t, data)
	tests := []struct {
		changed *py.Dict
		removed []string
		want    string
	}{
		{nil, nil, `{"a":4,"b":"x\u00e9","c":[1,2],"d":{"e":null}}`},
		{py.DictOf("b", "y\u00e9"), nil, `{"a":4,"b":"y\u00e9","c":[1,2],"d":{"e":null}}`},
		{py.DictOf("new", int64(1), "a", true), []string{"c"}, `{"a":true,"b":"x\u00e9","d":{"e":null},"new":1}`},
		{py.DictOf("new", int64(1), int64(7), "seven"), []string{"new", "a", "b", "c", "d", "missing"}, `{"7":"seven"}`},
		{py.NewDict(0), []string{}, `{"a":4,"b":"x\u00e9","c":[1,2],"d":{"e":null}}`},
	}
	for _, tt := range tests {
		got, err := o.AppendEncode(nil, tt.changed, tt.removed)
		if err != nil || string(got) != tt.want {
			t.Errorf("AppendEncode(%v, %q) = %s, %v; want %s", tt.changed, tt.removed, got, err, tt.want)
		}
	}
	dst := []byte("keep")
	got, err := o.AppendEncode(dst, py.DictOf("x", []byte("no")), nil)
	var te *TypeError
	if !errors.As(err, &te) || string(got) != "keep" {
		t.Errorf("AppendEncode of a bytes value = %q, %v; want dst and a *TypeError", got, err)
	}
	empty := checkObject(t, []byte(" {} "))
	if got, err := empty.AppendEncode(nil, py.DictOf("a", int64(1)), []string{"z"}); err != nil || string(got) != `{"a":1}` {
		t.Errorf("AppendEncode on {} = %s, %v", got, err)
	}
}

// fixturePayloads returns the JSON payloads Django signed in compat_test/fixtures: the
// session_data of the db and cached_db rows and the values of signing.json (session_data,
// signed cookies, dumps and sign_object results), inflated when compressed.
func fixturePayloads(t testing.TB) [][]byte {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "compat_test", "fixtures", "django-*", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures (%v): run compat_test/generate.sh", err)
	}
	var out [][]byte
	seen := map[string]bool{}
	for _, f := range files {
		base := filepath.Base(f)
		if !strings.HasPrefix(base, "db-") && base != "signing.json" {
			continue
		}
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var file struct {
			Rows  []map[string]any `json:"rows"`
			Cases []map[string]any `json:"cases"`
		}
		if err := json.Unmarshal(raw, &file); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, c := range append(file.Rows, file.Cases...) {
			for _, field := range []string{"session_data", "cookie", "signed"} {
				s, ok := c[field].(string)
				if !ok {
					continue
				}
				if p, ok := signedPayload(s, c["kind"] == "legacy_session_data"); ok && !seen[string(p)] {
					seen[string(p)] = true
					out = append(out, p)
				}
			}
		}
	}
	if len(out) < 20 {
		t.Fatalf("only %d JSON payloads in the fixtures", len(out))
	}
	return out
}

// signedPayload returns the serialized value of a Django signed string: the base64 before the
// first ':' (a leading '.' marks zlib), or for a pre-3.1 session_data the JSON after the hash.
func signedPayload(s string, legacy bool) ([]byte, bool) {
	if legacy {
		b, err := base64.StdEncoding.DecodeString(s)
		if _, js, ok := bytes.Cut(b, []byte(":")); err == nil && ok {
			return js, true
		}
		return nil, false
	}
	b64, _, _ := strings.Cut(s, ":")
	compressed := strings.HasPrefix(b64, ".")
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(b64, "."))
	if err != nil {
		return nil, false
	}
	if compressed {
		r, err := zlib.NewReader(bytes.NewReader(b))
		if err != nil {
			return nil, false
		}
		if b, err = io.ReadAll(r); err != nil {
			return nil, false
		}
	}
	return b, true
}

// FuzzUnmarshalObject checks that any input either gives an Object that agrees with
// Unmarshal's dict in Len, Keys, Has, Get and Dict, and that AppendEncode writes back, with or
// without changes, or is rejected by both with the same error (see checkObject). Its seed
// corpus is testdata/fuzz/FuzzUnmarshalObject: objectInputs and the Django-made fixture
// payloads (written by TestWriteObjectSeeds with -update-seeds).
func FuzzUnmarshalObject(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		o := checkObject(t, data)
		if o == nil {
			return
		}
		// Remove the first key, set the second, add one; compare with the dict changed alike.
		want, _ := o.Dict()
		want = want.Clone()
		keys := o.Keys()
		changed := py.NewDict(0)
		var removed []string
		if len(keys) > 0 {
			removed = append(removed, keys[0])
		}
		if len(keys) > 1 {
			changed.Set(keys[1], []any{"changed", int64(len(data))})
		}
		changed.Set("\u00e9new\x00", 1.5)
		for _, it := range changed.Items() {
			want.Set(it.Key.(string), it.Value)
		}
		for _, k := range removed {
			want.Remove(k)
		}
		enc, err := o.AppendEncode(nil, changed, removed)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Unmarshal(enc)
		if err != nil || !py.Equal(got, want) || !slices.Equal(got.(*py.Dict).Keys(), want.Keys()) {
			t.Fatalf("AppendEncode = %q (%v), want %#v", enc, err, want)
		}
	})
}

var updateSeeds = flag.Bool("update-seeds", false, "rewrite testdata/fuzz/FuzzUnmarshalObject/seed-*")

// TestObjectSeeds checks that FuzzUnmarshalObject's committed seed corpus holds every input of
// objectInputs up to 4 KiB and every fixture payload, one file each, named by a hash of the
// input; with -update-seeds it rewrites the corpus instead.
func TestObjectSeeds(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzUnmarshalObject")
	if *updateSeeds {
		old, _ := filepath.Glob(filepath.Join(dir, "seed-*"))
		for _, f := range old {
			if err := os.Remove(f); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	inputs := fixturePayloads(t)
	for _, in := range objectInputs {
		inputs = append(inputs, []byte(in))
	}
	n := 0
	for _, in := range inputs {
		if len(in) > 4096 {
			continue
		}
		sum := sha256.Sum256(in)
		name := filepath.Join(dir, fmt.Sprintf("seed-%x", sum[:8]))
		content := fmt.Appendf(nil, "go test fuzz v1\n[]byte(%q)\n", in)
		if *updateSeeds {
			if err := os.WriteFile(name, content, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(name)
		if err != nil || !bytes.Equal(got, content) {
			t.Errorf("seed %s missing or stale (%v): run go test ./pyjson -run TestObjectSeeds -update-seeds", name, err)
		}
		n++
	}
	if !*updateSeeds && n == 0 {
		t.Fatal("no seeds checked")
	}
}
