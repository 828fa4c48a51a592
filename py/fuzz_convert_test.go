package py_test

import (
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/djangobridge/bridge/internal/fixtures"
	"github.com/djangobridge/bridge/internal/tagged"
	"github.com/djangobridge/bridge/pickle"
	"github.com/djangobridge/bridge/py"
	"github.com/djangobridge/bridge/pyjson"
)

// The struct shapes FuzzToGo decodes into: every kind of destination ToGo handles.

type fzItem struct {
	SKU   string           `py:"sku"`
	Qty   uint8            `py:"qty"`
	Price float32          `py:"price"`
	Tags  []string         `py:"tags"`
	Meta  map[string]int16 `py:"meta"`
	Raw   []byte           `py:"raw"`
	Hash  [4]byte          `py:"hash"`
	Money money            `py:"money"`
}

type fzCart struct {
	vecBase
	Items  []fzItem          `py:"items"`
	Coupon *string           `py:"coupon"`
	At     time.Time         `py:"at"`
	TTL    time.Duration     `py:"ttl"`
	Extra  any               `py:"extra"`
	ByID   map[int]fzItem    `py:"by_id"`
	Flags  map[uint8]bool    `py:"flags"`
	Next   *fzCart           `py:"next"`
	Pair   [2]int8           `py:"pair"`
	Big    big.Int           `py:"big"`
	Date   py.DateTime       `py:"date"`
	Dict   *py.Dict          `py:"dict"`
	IPs    map[netip]float64 `py:"ips"`
	Sub    rec               `py:"sub"`
}

var fuzzShapes = []func() any{
	func() any { return new(fzCart) },
	func() any { return new(map[string]any) },
	func() any { return new([]fzItem) },
	func() any { return new(map[int]string) },
	func() any { return new(fzItem) },
	func() any { return new(any) },
	func() any { return new(time.Time) },
	func() any { return new([]int8) },
}

// FuzzToGo decodes its input as a pickle, as JSON (pyjson) and as tagged JSON, and converts
// each value that decodes into every shape above. ToGo must not panic and must fail only with
// a *py.ConvertError; what it accepts must convert back with FromGo, and again with ToGo, to
// the same Python value.
//
// The seed corpus is testdata/fuzz/FuzzToGo/ (the Django-made vectors of testdata/values,
// written by gen.py); the sessions of compat_test/fixtures (pickles and their tagged JSON) are
// added here when present.
func FuzzToGo(f *testing.F) {
	if dir, err := fixtures.Dir(); err == nil {
		paths, _ := filepath.Glob(filepath.Join(dir, "django-*", "cache-prefixed.json"))
		for _, p := range paths {
			version := filepath.Base(filepath.Dir(p))[len("django-"):]
			cf, err := fixtures.LoadCache(version, "prefixed")
			if err != nil {
				f.Fatal(err)
			}
			for _, c := range cf.Cases {
				f.Add(c.Pickle)
				f.Add([]byte(c.Expected))
			}
		}
	}
	if _, err := os.Stat(filepath.Join("testdata", "fuzz", "FuzzToGo", "vector-cart-pickle")); err != nil {
		f.Fatalf("seed corpus missing: %v (run testdata/values/gen.py)", err)
	}
	// Inputs that share lists expand to the node budget in every shape: a smaller budget keeps
	// the fuzzer fast, and the budget itself is tested by TestToGoErrors and TestFromGoErrors.
	f.Cleanup(py.SetMaxConvertNodes(1 << 14))
	f.Fuzz(func(t *testing.T, data []byte) {
		decoders := []func([]byte) (any, error){pickle.Unmarshal, pyjson.Unmarshal, tagged.Unmarshal}
		for _, decode := range decoders {
			src, err := decode(data)
			if err != nil {
				continue
			}
			for _, shape := range fuzzShapes {
				checkToGo(t, src, shape)
			}
		}
	})
}

func checkToGo(t *testing.T, src any, shape func() any) {
	dst := shape()
	err := py.ToGo(src, dst)
	var ce *py.ConvertError
	if err != nil {
		if !errors.As(err, &ce) || ce.Op != "ToGo" || ce.Reason == "" {
			t.Fatalf("ToGo into %T: error %v is not a ToGo *py.ConvertError", dst, err)
		}
		return
	}
	v, err := py.FromGo(dst)
	if err != nil {
		// An aware datetime of year 1 or 9999 may leave Python's range once in UTC, as
		// astimezone(timezone.utc) raises OverflowError in Python.
		if errors.As(err, &ce) && ce.Go == reflect.TypeFor[time.Time]() {
			return
		}
		t.Fatalf("FromGo of what ToGo stored in %T: %v", dst, err)
	}
	dst2 := shape()
	if err := py.ToGo(v, dst2); err != nil {
		t.Fatalf("ToGo of FromGo's value into %T: %v", dst2, err)
	}
	v2, err := py.FromGo(dst2)
	if err != nil {
		t.Fatalf("FromGo the second time: %v", err)
	}
	if !py.Equal(v, v2) {
		t.Fatalf("%T: round trip changed the value:\n%#v\n%#v", dst, v, v2)
	}
}
