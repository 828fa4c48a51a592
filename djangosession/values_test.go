package djangosession_test

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"testing"
	"time"

	"github.com/djangobridge/bridge/djangosession"
	"github.com/djangobridge/bridge/pickle"
	"github.com/djangobridge/bridge/py"
)

type valItem struct {
	SKU   string  `py:"sku"`
	Qty   uint8   `py:"qty"`
	Price float64 `py:"price"`
}

type valCart struct {
	Items  []valItem `py:"items"`
	Coupon *string   `py:"coupon"`
	Note   string    `py:"note"`
	Gift   bool      `py:"gift"`
}

// djangoCart is the pickled dict of the "cart" vector of py/testdata/values, which Django 5.2
// made for valCart's Python equivalent.
func djangoCart(t *testing.T) any {
	t.Helper()
	data, err := os.ReadFile("../py/testdata/values/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Cases []struct {
			Name      string `json:"name"`
			PickleHex string `json:"pickle_hex"`
		} `json:"cases"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	for _, c := range doc.Cases {
		if c.Name == "cart" {
			b, err := hex.DecodeString(c.PickleHex)
			if err != nil {
				t.Fatal(err)
			}
			v, err := pickle.Unmarshal(b)
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
	}
	t.Fatal("no cart vector")
	return nil
}

// TestSessionEncodeDecode stores a Go struct with Encode, saves, loads it back and decodes it:
// the cache holds what Django would have stored for the same cart.
func TestSessionEncodeDecode(t *testing.T) {
	ctx := context.Background()
	st, cache, _ := newTestStore(t, djangosession.Config{})
	cart := valCart{Items: []valItem{{"A-1", 2, 9.5}, {"B-2", 1, 0.1}}, Note: "café ☕"}

	s := st.New()
	if err := s.Encode("cart", cart); err != nil {
		t.Fatal(err)
	}
	if !s.Modified() {
		t.Fatal("Encode did not mark the session modified")
	}
	if err := s.Save(ctx); err != nil {
		t.Fatal(err)
	}
	raw, err := cache.Get(ctx, st.CacheKey(s.Key()))
	if err != nil {
		t.Fatal(err)
	}
	want, err := pickle.Marshal(py.DictOf("cart", djangoCart(t)), 5)
	if err != nil {
		t.Fatal(err)
	}
	if string(raw) != string(want) {
		t.Fatalf("stored session:\n got %x\nwant %x", raw, want)
	}

	loaded, err := st.Load(ctx, s.Key())
	if err != nil {
		t.Fatal(err)
	}
	var back valCart
	if err := loaded.Decode("cart", &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, cart) {
		t.Fatalf("Decode = %+v, want %+v", back, cart)
	}
	if loaded.Modified() {
		t.Fatal("Decode marked the session modified")
	}
	if !loaded.Accessed() {
		t.Fatal("Decode did not mark the session accessed")
	}
}

func TestSessionEncodeDecodeErrors(t *testing.T) {
	st, _, _ := newTestStore(t, djangosession.Config{})
	s := st.New()
	s.Set("cart", py.DictOf("items", []any{py.DictOf("qty", int64(1)), py.DictOf("qty", "two")}))
	s.Set("my cart", py.DictOf("qty", int64(300)))
	s.Set("n", "x")

	tests := []struct {
		name string
		key  string
		dst  any
		path string // of the *py.ConvertError; "" for ErrNoKey
	}{
		{"path under the key", "cart", new(valCart), "cart.items[1].qty"},
		{"key that is not a name", "my cart", new(valItem), `["my cart"].qty`},
		{"top value", "n", new(int), "n"},
		{"missing key", "nope", new(valCart), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.Decode(tt.key, tt.dst)
			if tt.path == "" {
				if !errors.Is(err, djangosession.ErrNoKey) || err.Error() != `djangosession: key not in the session: "nope"` {
					t.Fatalf("Decode = %v, want ErrNoKey naming the key", err)
				}
				return
			}
			var ce *py.ConvertError
			if !errors.As(err, &ce) || ce.Path != tt.path {
				t.Fatalf("Decode = %v, want a *py.ConvertError at %s", err, tt.path)
			}
		})
	}

	fresh := st.New()
	err := fresh.Encode("cart", map[string]any{"items": []any{valItem{}, make(chan int)}})
	var ce *py.ConvertError
	if !errors.As(err, &ce) || ce.Path != "cart.items[1]" || ce.Op != "FromGo" {
		t.Fatalf("Encode = %v, want a FromGo *py.ConvertError at cart.items[1]", err)
	}
	if fresh.Has("cart") || fresh.Modified() {
		t.Fatal("a failed Encode changed the session")
	}
	const wantMsg = "py: FromGo cart.items[1]: Python has no value for Go type chan int"
	if err.Error() != wantMsg {
		t.Fatalf("message %q, want %q", err, wantMsg)
	}
}

func TestSessionGetters(t *testing.T) {
	st, _, _ := newTestStore(t, djangosession.Config{})
	s := st.New()
	nested := py.DictOf("a", int64(1))
	s.Set("f", int64(3))
	s.Set("t", "2024-05-01T12:30:45.123456+00:00")
	s.Set("b", []byte("x"))
	s.Set("l", py.Tuple{"a", "b"})
	s.Set("d", nested)
	if f, ok := s.Float("f"); !ok || f != 3 {
		t.Errorf("Float = %v, %v", f, ok)
	}
	if tm, ok := s.Time("t"); !ok || tm != time.Date(2024, 5, 1, 12, 30, 45, 123456000, time.UTC) {
		t.Errorf("Time = %v, %v", tm, ok)
	}
	if b, ok := s.Bytes("b"); !ok || string(b) != "x" {
		t.Errorf("Bytes = %q, %v", b, ok)
	}
	if l, ok := s.Strings("l"); !ok || !reflect.DeepEqual(l, []string{"a", "b"}) {
		t.Errorf("Strings = %q, %v", l, ok)
	}
	if d, ok := s.Dict("d"); !ok || d != nested {
		t.Errorf("Dict = %v, %v", d, ok)
	}
	if _, ok := s.Float("t"); ok {
		t.Error("Float of a str reported true")
	}
	if _, ok := s.Time("f"); ok {
		t.Error("Time of an int reported true")
	}
}
