package py_test

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/djangobridge/bridge/pickle"
	"github.com/djangobridge/bridge/py"
	"github.com/djangobridge/bridge/pyjson"
)

// The Go types of the vectors in testdata/values (made by gen.py: what Django stores for the
// equivalent Python dicts).

type vecItem struct {
	SKU   string  `py:"sku"`
	Qty   uint8   `py:"qty"`
	Price float64 `py:"price"`
}

type vecCart struct {
	Items  []vecItem `py:"items"`
	Coupon *string   `py:"coupon"`
	Note   string    `py:"note"`
	Gift   bool      `py:"gift"`
}

type vecOmit struct {
	ID   int       `py:"id"`
	Note string    `py:"note,omitempty"`
	Tags []string  `py:"tags,omitempty"`
	At   time.Time `py:"at,omitzero"`
	Skip string    `py:"-"`
}

type vecBase struct {
	ID        int64  `py:"id"`
	CreatedBy string `py:"created_by"`
}

type vecProduct struct {
	vecBase
	Name   string `py:"name"`
	secret string
}

type vecBytes struct {
	Raw  []byte  `py:"raw"`
	Hash [4]byte `py:"hash"`
}

type vecAt struct {
	At time.Time `py:"at"`
}

type vecISO struct {
	At  time.Time `py:"at,isoformat"`
	Day time.Time `py:"day,isoformat"`
}

type vecDuration struct {
	TTL  time.Duration `py:"ttl"`
	Back time.Duration `py:"back"`
}

type vecBig struct {
	N uint64 `py:"n"`
	M uint64 `py:"m"`
	K int64  `py:"k"`
}

type vecFloat32 struct {
	F float32 `py:"f"`
	G float32 `py:"g"`
}

type vecEmpty struct {
	Tags   []string       `py:"tags"`
	Scores map[string]int `py:"scores"`
	Ptr    *int           `py:"ptr"`
	Any    any            `py:"any"`
}

type vecArray struct {
	RGB   [3]int16 `py:"rgb"`
	Pairs [][2]int `py:"pairs"`
}

type vecMeta struct {
	Meta map[string]any `py:"meta"`
}

type vecTupleSet struct {
	Tags []string `py:"tags"`
	IDs  []int    `py:"ids"`
}

type vecExpiry struct {
	CartID int       `py:"cart_id"`
	Expiry time.Time `py:"_session_expiry"`
}

// vectorRows pairs each vector with its Go value. in is what FromGo converts (nil for values
// only Python makes); newDst makes the destination of ToGo; want is what ToGo must store (in
// when nil); errPath/errPython the *py.ConvertError ToGo must return instead.
var vectorRows = []struct {
	name            string
	in              any
	newDst          func() any
	want            any
	errPath         string
	errPython       string
	errReasonPrefix string
}{
	{name: "cart", in: vecCart{Items: []vecItem{{"A-1", 2, 9.5}, {"B-2", 1, 0.1}}, Note: "café ☕"},
		newDst: func() any { return new(vecCart) }},
	{name: "omitempty", in: vecOmit{ID: 3, Skip: "not stored"}, newDst: func() any { return new(vecOmit) },
		want: vecOmit{ID: 3}},
	{name: "embedded", in: vecProduct{vecBase: vecBase{42, "ann"}, Name: "shoes", secret: "not stored"},
		newDst: func() any { return new(vecProduct) }, want: vecProduct{vecBase: vecBase{42, "ann"}, Name: "shoes"}},
	{name: "map_sorted", in: map[string]int{"b": 2, "c": 3, "a": 1}, newDst: func() any { return new(map[string]int) }},
	{name: "int_keys", in: map[int]string{10: "ten", 2: "two", 1: "one"}, newDst: func() any { return new(map[int]string) }},
	{name: "bytes", in: vecBytes{Raw: []byte("\x00\xffab"), Hash: [4]byte{1, 2, 3, 4}}, newDst: func() any { return new(vecBytes) }},
	{name: "datetime", in: vecAt{time.Date(2024, 5, 1, 14, 30, 45, 123456789, time.FixedZone("CEST", 7200))},
		newDst: func() any { return new(vecAt) }, want: vecAt{time.Date(2024, 5, 1, 12, 30, 45, 123456000, time.UTC)}},
	{name: "isoformat", in: vecISO{time.Date(2024, 5, 1, 12, 30, 45, 123456000, time.UTC), time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)},
		newDst: func() any { return new(vecISO) }},
	{name: "duration", in: vecDuration{90*time.Second + 5*time.Microsecond + 999, -1500 * time.Millisecond},
		newDst: func() any { return new(vecDuration) }, want: vecDuration{90*time.Second + 5*time.Microsecond, -1500 * time.Millisecond}},
	{name: "big_uint", in: vecBig{1<<64 - 1, 1 << 63, -1 << 63}, newDst: func() any { return new(vecBig) }},
	{name: "float32", in: vecFloat32{0.1, 16777216}, newDst: func() any { return new(vecFloat32) }},
	{name: "empty_containers", in: vecEmpty{}, newDst: func() any { return new(vecEmpty) },
		want: vecEmpty{Tags: []string{}, Scores: map[string]int{}}},
	{name: "array", in: vecArray{[3]int16{255, 128, 0}, [][2]int{{1, 2}, {3, 4}}}, newDst: func() any { return new(vecArray) }},
	{name: "odd_keys", in: map[string]bool{"dark mode": true, "café": false}, newDst: func() any { return new(map[string]bool) }},
	{name: "nested_any", in: vecMeta{map[string]any{"a": []any{1, "x", nil, 2.5, true}}}, newDst: func() any { return new(vecMeta) },
		want: vecMeta{map[string]any{"a": []any{int64(1), "x", nil, 2.5, true}}}},

	{name: "zoneinfo_datetime", newDst: func() any { return new(vecAt) }, want: vecAt{time.Date(2024, 7, 1, 12, 0, 0, 0, time.UTC)}},
	{name: "naive_datetime", newDst: func() any { return new(vecAt) }, errPath: "at", errPython: "datetime.datetime", errReasonPrefix: "naive datetime"},
	{name: "case_insensitive", newDst: func() any { return new(vecItem) }, want: vecItem{SKU: "x", Qty: 3, Price: 2}},
	{name: "tuple_set", newDst: func() any { return new(vecTupleSet) }, want: vecTupleSet{[]string{"a", "b"}, []int{3}}},
	{name: "overflow", newDst: func() any { return new(vecItem) }, errPath: "qty", errPython: "int", errReasonPrefix: "Python int out of range for Go uint8"},
	{name: "negative_uint", newDst: func() any { return new(vecItem) }, errPath: "qty", errPython: "int", errReasonPrefix: "Python int out of range for Go uint8"},
	{name: "nested_error", newDst: func() any { return new(vecCart) }, errPath: "items[2].qty", errPython: "str", errReasonPrefix: "cannot store Python str in Go uint8"},
	{name: "ordered", newDst: func() any { return new(map[string]int) }, want: map[string]int{"a": 2, "b": 1}},
	{name: "expiry", newDst: func() any { return new(vecExpiry) }, want: vecExpiry{7, time.Date(2024, 5, 1, 12, 30, 45, 123456000, time.UTC)}},
}

type vector struct {
	Name      string  `json:"name"`
	Repr      string  `json:"repr"`
	PickleHex string  `json:"pickle_hex"`
	JSON      *string `json:"json"`
	JSONError string  `json:"json_error"`
}

func loadVectors(t testing.TB) map[string]vector {
	t.Helper()
	data, err := os.ReadFile("testdata/values/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Cases []vector `json:"cases"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	m := map[string]vector{}
	for _, c := range doc.Cases {
		m[c.Name] = c
	}
	if len(m) != len(vectorRows) {
		t.Fatalf("%d vectors in testdata, %d rows in vectorRows", len(m), len(vectorRows))
	}
	return m
}

func (v vector) pickle(t testing.TB) []byte {
	b, err := hex.DecodeString(v.PickleHex)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestVectorsFromGo converts each Go value and encodes it with both codecs: the bytes must be
// the ones Django wrote for the equivalent Python dict (and JSON must fail where Django's
// JSONSerializer failed).
func TestVectorsFromGo(t *testing.T) {
	vecs := loadVectors(t)
	n := 0
	for _, row := range vectorRows {
		if row.in == nil {
			continue
		}
		n++
		t.Run(row.name, func(t *testing.T) {
			vec := vecs[row.name]
			v, err := py.FromGo(row.in)
			if err != nil {
				t.Fatalf("FromGo: %v", err)
			}
			want := vec.pickle(t)
			pyv, err := pickle.Unmarshal(want)
			if err != nil {
				t.Fatalf("pickle.Unmarshal of Python's bytes: %v", err)
			}
			if !py.Equal(v, pyv) {
				t.Errorf("FromGo = %#v\nPython: %s", v, vec.Repr)
			}
			got, err := pickle.Marshal(v, 5)
			if err != nil {
				t.Fatalf("pickle.Marshal: %v", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("pickle.Marshal(FromGo(v)):\n got %x\nwant %x (Python: %s)", got, want, vec.Repr)
			}
			gotJSON, err := pyjson.Marshal(v)
			switch {
			case vec.JSON != nil:
				if err != nil {
					t.Fatalf("pyjson.Marshal: %v", err)
				}
				if string(gotJSON) != *vec.JSON {
					t.Errorf("pyjson.Marshal(FromGo(v)) = %s, want %s", gotJSON, *vec.JSON)
				}
			default:
				var te *pyjson.TypeError
				if !errors.As(err, &te) {
					t.Fatalf("pyjson.Marshal error = %v, want a *pyjson.TypeError as Django's %s", err, vec.JSONError)
				}
			}
		})
	}
	if n < 15 {
		t.Fatalf("only %d FromGo vectors", n)
	}
}

// TestVectorsToGo decodes each vector with both codecs (JSON when Django could write it) and
// converts it into the row's Go type.
func TestVectorsToGo(t *testing.T) {
	vecs := loadVectors(t)
	for _, row := range vectorRows {
		vec := vecs[row.name]
		srcs := map[string]func() (any, error){
			"pickle": func() (any, error) { return pickle.Unmarshal(vec.pickle(t)) },
		}
		if vec.JSON != nil {
			srcs["json"] = func() (any, error) { return pyjson.Unmarshal([]byte(*vec.JSON)) }
		}
		for codec, decode := range srcs {
			t.Run(row.name+"/"+codec, func(t *testing.T) {
				src, err := decode()
				if err != nil {
					t.Fatalf("decode: %v", err)
				}
				dst := row.newDst()
				err = py.ToGo(src, dst)
				if row.errPath != "" || row.errPython != "" {
					var ce *py.ConvertError
					if !errors.As(err, &ce) {
						t.Fatalf("ToGo error = %v, want a *py.ConvertError", err)
					}
					if ce.Op != "ToGo" || ce.Path != row.errPath || ce.Python != row.errPython || !strings.HasPrefix(ce.Reason, row.errReasonPrefix) {
						t.Fatalf("ToGo error = %+v (%q), want path %q, Python %q, reason %q...", *ce, err, row.errPath, row.errPython, row.errReasonPrefix)
					}
					return
				}
				if err != nil {
					t.Fatalf("ToGo: %v", err)
				}
				want := row.want
				if want == nil {
					want = row.in
				}
				if got := reflect.ValueOf(dst).Elem().Interface(); !reflect.DeepEqual(got, want) {
					t.Errorf("ToGo =\n %#v\nwant\n %#v", got, want)
				}
			})
		}
	}
}
