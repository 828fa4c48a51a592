package tagged

import (
	"errors"
	"strings"
	"testing"
	"unsafe"

	"github.com/djangobridge/bridge/py"
)

// TestSharedRefs checks that a value met more than once is written once and referenced
// after, that the output stays small for the issue-16 inputs, and that Unmarshal rebuilds
// the sharing.
func TestSharedRefs(t *testing.T) {
	// A 10,000-char str referenced 1,000 times in a list, that list referenced 100 times.
	s := strings.Repeat("x", 10000)
	inner := make([]any, 1000)
	for i := range inner {
		inner[i] = s
	}
	outer := make([]any, 100)
	for i := range outer {
		outer[i] = inner
	}
	j, err := Marshal(outer)
	if err != nil {
		t.Fatal(err)
	}
	if len(j) > 40000 {
		t.Fatalf("Marshal wrote %d bytes for a graph of 1,101 nodes", len(j))
	}
	back, err := Unmarshal(j)
	if err != nil || !py.Equal(back, outer) {
		t.Fatalf("Unmarshal: %v", err)
	}
	bl := back.([]any)
	b0, b1 := bl[0].([]any), bl[99].([]any)
	if unsafe.SliceData(b0) != unsafe.SliceData(b1) || unsafe.StringData(b0[0].(string)) != unsafe.StringData(b0[999].(string)) {
		t.Error("Unmarshal did not rebuild the sharing")
	}

	// A tuple nested 24 levels deep, each level (t, t): 2^24 leaves, 25 nodes.
	var tup any = "leaf"
	for range 24 {
		tup = py.Tuple{tup, tup}
	}
	j, err = Marshal(tup)
	if err != nil {
		t.Fatal(err)
	}
	if len(j) > 4000 {
		t.Fatalf("Marshal wrote %d bytes for 25 nodes", len(j))
	}
	back, err = Unmarshal(j)
	if err != nil || !py.Equal(back, tup) {
		t.Fatalf("Unmarshal: %v", err)
	}
}

// TestSharedForms pins the shared and ref forms (FORMAT.md), including a shared str used as a
// dict key, which makes its dict take the "dict" form.
func TestSharedForms(t *testing.T) {
	k := "a shared key"
	l := []any{int64(1)}
	d := py.DictOf(k, l)
	v := []any{d, d, py.DictOf(k, l), "short", "short"}
	want := `[{"__py__":"shared","id":0,"value":{"__py__":"dict","items":[[{"__py__":"shared","id":1,"value":"a shared key"},{"__py__":"shared","id":2,"value":[1]}]]}},{"__py__":"ref","id":0},{"__py__":"dict","items":[[{"__py__":"ref","id":1},{"__py__":"ref","id":2}]]},"short","short"]`
	j, err := Marshal(v)
	if err != nil || string(j) != want {
		t.Fatalf("Marshal = %s, %v\nwant %s", j, err, want)
	}
	back, err := Unmarshal(j)
	if err != nil || !py.Equal(back, v) {
		t.Fatalf("Unmarshal: %v", err)
	}
	bl := back.([]any)
	if bl[0].(*py.Dict) != bl[1].(*py.Dict) {
		t.Error("ref 0 is not the shared dict")
	}
	bad := []string{
		`{"__py__":"ref","id":0}`,
		`[{"__py__":"ref","id":0},{"__py__":"shared","id":0,"value":[1]}]`,
		`{"__py__":"shared","id":0,"value":[{"__py__":"ref","id":0}]}`,
		`[{"__py__":"shared","id":0,"value":[1]},{"__py__":"shared","id":0,"value":[2]}]`,
		`{"__py__":"shared","id":0}`,
		`{"__py__":"ref","id":"x"}`,
	}
	for _, b := range bad {
		if _, err := Unmarshal([]byte(b)); err == nil {
			t.Errorf("Unmarshal(%s) accepted", b)
		}
	}
}

// TestLoneSurrogateEscape checks that a lone surrogate written as a \u escape is refused (a
// JSON decoder would turn it into U+FFFD), pointing to the str tag, and that the escapes of a
// surrogate pair, or text that only looks like one, are accepted.
func TestLoneSurrogateEscape(t *testing.T) {
	for _, in := range []string{`"\ud800"`, `"a\udc00b"`, `"\ud800\u0041"`, `["x", {"k": "\uDBFF"}]`, `{"\ud800": 1}`} {
		_, err := Unmarshal([]byte(in))
		if !errors.Is(err, ErrLoneSurrogate) || !strings.Contains(err.Error(), "utf8_surrogatepass_b64") {
			t.Errorf("Unmarshal(%s) = %v, want ErrLoneSurrogate", in, err)
		}
	}
	if _, err := Unmarshal([]byte("\"\xff\"")); err == nil {
		t.Error("Unmarshal accepted invalid UTF-8")
	}
	ok := map[string]string{`"\ud83d\ude00"`: "\U0001F600", `"\\ud800"`: `\ud800`, `"\ufffd"`: "\uFFFD"}
	for in, want := range ok {
		v, err := Unmarshal([]byte(in))
		if err != nil || v != want {
			t.Errorf("Unmarshal(%s) = %q, %v; want %q", in, v, err, want)
		}
	}
}

// TestBareTZInfo checks that a tzinfo outside a datetime (a pickle may hold one) is written
// as the object pytagged writes for it (its __reduce__, forms from CPython 3.11) and read back.
func TestBareTZInfo(t *testing.T) {
	x := "X"
	tests := []struct {
		v    any
		json string
	}{
		{py.ZoneInfo{Key: "Europe/Paris"}, `{"__py__":"object","global":"zoneinfo.ZoneInfo._unpickle","how":"reduce","args":["Europe/Paris",1]}`},
		{py.TimeZone{}, `{"__py__":"object","global":"datetime.timezone","how":"reduce","args":[{"__py__":"timedelta","days":0,"seconds":0,"microseconds":0}]}`},
		{py.TimeZone{Offset: 5 * 3600e9, Name: &x}, `{"__py__":"object","global":"datetime.timezone","how":"reduce","args":[{"__py__":"timedelta","days":0,"seconds":18000,"microseconds":0},"X"]}`},
		{py.PytzZone{Callable: "pytz._p", Args: py.Tuple{"Europe/Paris", int64(540), int64(0), "LMT"}}, `{"__py__":"object","global":"pytz._p","how":"reduce","args":["Europe/Paris",540,0,"LMT"]}`},
	}
	for _, tt := range tests {
		j, err := Marshal(tt.v)
		if err != nil || string(j) != tt.json {
			t.Errorf("Marshal(%#v) = %s, %v\nwant %s", tt.v, j, err, tt.json)
			continue
		}
		back, err := Unmarshal(j)
		if err != nil || !py.Equal(back, tt.v) {
			t.Errorf("Unmarshal(%s) = %#v, %v", j, back, err)
		}
	}
}
