// Package pickleoracle_test measures two Go pickle libraries, github.com/nlpodyssey/gopickle
// v0.3.0 and github.com/kisielk/og-rek v1.3.0, against djangosession's codec, and uses gopickle
// as a differential oracle: wherever gopickle decodes a fixture pickle to plain values, the
// djangosession decoder must agree. djangosession itself imports neither (it imports only the
// standard library); they are test dependencies of this package alone.
//
//	go test -v ./bench/pickleoracle/                      # agreement, coverage, hostile input
//	go test -run '^$' -bench . -benchmem ./bench/pickleoracle/
package pickleoracle_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"

	"github.com/djangobridge/bridge/internal/tagged"
	"github.com/djangobridge/bridge/pickle"
	"github.com/djangobridge/bridge/py"

	ogrek "github.com/kisielk/og-rek"
	gopickle "github.com/nlpodyssey/gopickle/pickle"
	"github.com/nlpodyssey/gopickle/types"

	"github.com/djangobridge/bridge/internal/fixtures"
)

type sample struct {
	where    string
	pickle   []byte
	expected json.RawMessage // what CPython's pickle.loads gave, as tagged JSON (nil if unknown)
}

// fixtureSamples returns the distinct Django-made fixture pickles and the CPython-made ones of
// djangosession/testdata.
func fixtureSamples(t testing.TB) (django, cpython []sample) {
	t.Helper()
	dir, err := fixtures.Dir()
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "django-*", "cache-*.json"))
	sort.Strings(files)
	seen := map[string]bool{}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var cf fixtures.CacheFile
		if err := json.Unmarshal(raw, &cf); err != nil {
			t.Fatal(err)
		}
		for _, c := range cf.Cases {
			if seen[string(c.Pickle)] {
				continue
			}
			seen[string(c.Pickle)] = true
			django = append(django, sample{filepath.Base(filepath.Dir(f)) + "/" + filepath.Base(f) + "/" + c.Name, c.Pickle, c.Expected})
		}
	}
	if len(django) == 0 {
		t.Fatalf("no fixtures under %s (run compat_test/generate.sh)", dir)
	}
	files, _ = filepath.Glob(filepath.Join(dir, "..", "..", "djangosession", "testdata", "cpython-*.json"))
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var cf struct {
			Cases []struct {
				Name     string          `json:"name"`
				Protocol int             `json:"protocol"`
				Pickle   string          `json:"pickle_b64"`
				Expected json.RawMessage `json:"expected"`
			} `json:"cases"`
		}
		if err := json.Unmarshal(raw, &cf); err != nil {
			t.Fatal(err)
		}
		for _, c := range cf.Cases {
			p, _ := base64.StdEncoding.DecodeString(c.Pickle)
			cpython = append(cpython, sample{fmt.Sprintf("%s/%s/p%d", filepath.Base(f), c.Name, c.Protocol), p, c.Expected})
		}
	}
	return django, cpython
}

var ours = &pickle.Codec{AllowGlobals: []string{"djproject.shop.cart.CartItem"}}

// gopickleDecode decodes with gopickle, turning a panic into an error.
func gopickleDecode(p []byte) (v any, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	u := gopickle.NewUnpickler(bytes.NewReader(p))
	return u.Load()
}

// ogrekDecode decodes with og-rek (PyDict mode, Python key semantics), turning a panic into an
// error.
func ogrekDecode(p []byte) (v any, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return ogrek.NewDecoderWithConfig(bytes.NewReader(p), &ogrek.DecoderConfig{PyDict: true}).Decode()
}

// fromGopickle converts gopickle's plain values to djangosession's; ok is false for anything
// else (its class objects, OrderedDict, ...).
func fromGopickle(v any) (any, bool) {
	switch x := v.(type) {
	case nil, bool, float64, string, *big.Int:
		return x, true
	case int:
		return int64(x), true
	case []byte:
		return x, true
	case *types.ByteArray:
		return py.ByteArray(*x), true
	case *types.List:
		out := make([]any, len(*x))
		for i, it := range *x {
			c, ok := fromGopickle(it)
			if !ok {
				return nil, false
			}
			out[i] = c
		}
		return out, true
	case *types.Tuple:
		l := types.List(*x)
		out, ok := fromGopickle(&l)
		if !ok {
			return nil, false
		}
		return py.Tuple(out.([]any)), true
	case *types.Dict:
		d := py.NewDict(len(*x))
		for _, e := range *x {
			k, ok1 := fromGopickle(e.Key)
			val, ok2 := fromGopickle(e.Value)
			if !ok1 || !ok2 || d.SetKey(k, val) != nil {
				return nil, false
			}
		}
		return d, true
	case *types.Set:
		s := &py.Set{}
		for it := range *x {
			c, ok := fromGopickle(it)
			if !ok || s.Add(c) != nil {
				return nil, false
			}
		}
		return s, true
	case *types.FrozenSet:
		s := &py.Set{}
		for it := range *x {
			c, ok := fromGopickle(it)
			if !ok || s.Add(c) != nil {
				return nil, false
			}
		}
		return &py.FrozenSet{Set: *s}, true
	}
	return nil, false
}

// TestGopickleAgrees: wherever gopickle decodes a pickle to plain values, so do we, to the same
// value, unless gopickle's value differs from what CPython itself loaded (then gopickle is
// wrong, and we must match CPython).
func TestGopickleAgrees(t *testing.T) {
	django, cpython := fixtureSamples(t)
	all := append(append([]sample(nil), django...), cpython...)
	var decoded, compared int
	gopickleWrong := map[string]bool{}
	for _, s := range all {
		gv, err := gopickleDecode(s.pickle)
		if err != nil {
			continue
		}
		decoded++
		want, ok := fromGopickle(gv)
		if !ok {
			continue
		}
		compared++
		got, err := ours.Decode(s.pickle)
		if err != nil {
			t.Errorf("%s: gopickle decodes it, we fail: %v", s.where, err)
			continue
		}
		if !py.Equal(got, want) {
			if cp, err := tagged.Unmarshal(s.expected); err == nil && py.Equal(got, cp) {
				gopickleWrong[s.where[strings.Index(s.where, "/")+1:]] = true
				continue
			}
			gj, _ := tagged.Marshal(got)
			wj, _ := tagged.Marshal(want)
			t.Errorf("%s: disagree\n ours:     %.500s\n gopickle: %.500s", s.where, gj, wj)
		}
	}
	t.Logf("%d pickles: gopickle decodes %d, %d to plain values, all compared with ours", len(all), decoded, compared)
	var wrong []string
	for w := range gopickleWrong {
		wrong = append(wrong, w)
	}
	sort.Strings(wrong)
	t.Logf("gopickle differs from CPython (and we do not) on: %s", strings.Join(wrong, ", "))
	if compared == 0 {
		t.Fatal("nothing compared")
	}
}

// TestCoverage counts, for each library, the pickles it decodes: Django's fixtures, the
// CPython-made ones, and hand-made single-opcode samples.
func TestCoverage(t *testing.T) {
	django, cpython := fixtureSamples(t)
	// Hand-made (not by Python): one pickle per opcode family that sessions rarely contain.
	crafted := []sample{
		{"EMPTY_SET+ADDITEMS", []byte("\x80\x04\x8f(K\x01\x90."), nil},
		{"FROZENSET", []byte("\x80\x04(K\x01\x91."), nil},
		{"NEWOBJ+BUILD (uuid.UUID)", []byte("\x80\x02cuuid\nUUID\n)\x81}X\x03\x00\x00\x00intK\x05sb."), nil},
		{"NEWOBJ_EX", []byte("\x80\x04\x8c\x05myapp\x8c\x05Thing\x93)}\x92."), nil},
		{"LONG4", []byte("\x80\x02\x8b\x01\x00\x00\x00\x05."), nil},
		{"BINUNICODE8", []byte("\x80\x04\x8d\x01\x00\x00\x00\x00\x00\x00\x00x."), nil},
		{"BINBYTES8", []byte("\x80\x04\x8e\x01\x00\x00\x00\x00\x00\x00\x00x."), nil},
		{"BYTEARRAY8", []byte("\x80\x05\x96\x01\x00\x00\x00\x00\x00\x00\x00x."), nil},
		{"INT bool I01", []byte("I01\n."), nil},
		{"STRING", []byte("S'a\\n'\n."), nil},
		{"UNICODE", []byte("V\\u00e9\n."), nil},
		{"datetime REDUCE", []byte("\x80\x03cdatetime\ndatetime\nC\n\x07\xe7\x0b\x0e\x16\r\x14\x00\x00\x00\x85R."), nil},
	}
	libs := []struct {
		name string
		dec  func([]byte) (any, error)
	}{
		{"djangosession", func(p []byte) (any, error) {
			c := &pickle.Codec{AllowGlobals: []string{"djproject.shop.cart.CartItem", "myapp.Thing"}}
			return c.Decode(p)
		}},
		{"gopickle v0.3.0", gopickleDecode},
		{"og-rek v1.3.0", ogrekDecode},
	}
	for _, lib := range libs {
		count := func(ss []sample) (ok int, panics int, failed []string) {
			for _, s := range ss {
				_, err := lib.dec(s.pickle)
				switch {
				case err == nil:
					ok++
				case strings.HasPrefix(err.Error(), "panic: "):
					panics++
					failed = append(failed, s.where+" (PANIC)")
				default:
					failed = append(failed, s.where)
				}
			}
			return
		}
		dOK, dPanics, dFailed := count(django)
		cOK, cPanics, _ := count(cpython)
		kOK, _, kFailed := count(crafted)
		t.Logf("%-16s Django fixtures %d/%d, CPython-made %d/%d, crafted opcodes %d/%d, panics %d",
			lib.name, dOK, len(django), cOK, len(cpython), kOK, len(crafted), dPanics+cPanics)
		if len(kFailed) > 0 {
			t.Logf("  crafted failures: %s", strings.Join(kFailed, ", "))
		}
		if len(dFailed) > 0 {
			names := map[string]bool{}
			for _, f := range dFailed {
				names[f[strings.LastIndex(f, "/")+1:]] = true
			}
			var ns []string
			for n := range names {
				ns = append(ns, n)
			}
			sort.Strings(ns)
			t.Logf("  fixture cases failed: %s", strings.Join(ns, ", "))
		}
		if lib.name == "djangosession" && (dOK != len(django) || cOK != len(cpython) || kOK != len(crafted)) {
			t.Errorf("djangosession fails some: %v %v", dFailed, kFailed)
		}
	}
}

// TestHostileInput measures what each library allocates for a pickle whose length field claims
// 1 GiB but which holds a few bytes, and whether it panics on malformed input (hand-made).
func TestHostileInput(t *testing.T) {
	hostile := []sample{
		{"BINBYTES8 claiming 1 GiB", []byte("\x80\x04\x8e\x00\x00\x00\x40\x00\x00\x00\x00abc."), nil},
		{"BINUNICODE claiming 1 GiB", []byte("\x80\x02X\x00\x00\x00\x40abc."), nil},
		{"FRAME claiming 1 GiB", []byte("\x80\x04\x95\x00\x00\x00\x40\x00\x00\x00\x00N."), nil},
	}
	malformed := []sample{
		{"odd SETITEMS", []byte("\x80\x02}(K\x01u."), nil},
		{"odd DICT", []byte("(K\x01d."), nil},
		{"LONG1 of length 0", []byte("\x80\x02\x8a\x00."), nil},
		{"unhashable set item", []byte("\x80\x04\x8f(C\x01x\x90."), nil},
		{"APPEND on empty stack", []byte("\x80\x02a."), nil},
		{"BUILD on empty stack", []byte("\x80\x02b."), nil},
		{"SETITEM on empty stack", []byte("\x80\x02s."), nil},
		{"TUPLE3 on empty stack", []byte("\x80\x02\x87."), nil},
		{"STACK_GLOBAL of ints", []byte("\x80\x04K\x01K\x02\x93."), nil},
		{"GET of missing memo", []byte("\x80\x02h\x05."), nil},
	}
	libs := []struct {
		name string
		dec  func([]byte) (any, error)
	}{
		{"djangosession", func(p []byte) (any, error) { return pickle.Unmarshal(p) }},
		{"gopickle v0.3.0", gopickleDecode},
		{"og-rek v1.3.0", ogrekDecode},
	}
	for _, lib := range libs {
		for _, h := range hostile {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			_, err := lib.dec(h.pickle)
			runtime.ReadMemStats(&after)
			t.Logf("%-16s %-28s allocated %10d bytes, err=%v", lib.name, h.where, after.TotalAlloc-before.TotalAlloc, err)
			if lib.name == "djangosession" && after.TotalAlloc-before.TotalAlloc > 1<<20 {
				t.Errorf("djangosession allocated %d bytes for %s", after.TotalAlloc-before.TotalAlloc, h.where)
			}
		}
		var panics []string
		for _, m := range malformed {
			if _, err := lib.dec(m.pickle); err != nil && strings.HasPrefix(err.Error(), "panic: ") {
				panics = append(panics, m.where)
			}
		}
		t.Logf("%-16s panics on %d of %d malformed pickles: %s", lib.name, len(panics), len(malformed), strings.Join(panics, "; "))
		if lib.name == "djangosession" && len(panics) > 0 {
			t.Errorf("djangosession panicked")
		}
	}
}

func benchSample(b *testing.B, name string) []byte {
	dir, err := fixtures.Dir()
	if err != nil {
		b.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "django-5.2", "cache-redis.json"))
	if err != nil {
		b.Fatal(err)
	}
	var cf fixtures.CacheFile
	if err := json.Unmarshal(raw, &cf); err != nil {
		b.Fatal(err)
	}
	for _, c := range cf.Cases {
		if c.Name == name && c.Engine == "cache" {
			return c.Pickle
		}
	}
	b.Fatalf("no case %s", name)
	return nil
}

var sink any

func BenchmarkDecode(b *testing.B) {
	for _, name := range []string{"typical", "typical_10k"} {
		p := benchSample(b, name)
		for _, lib := range []struct {
			name string
			dec  func([]byte) (any, error)
		}{
			{"djangosession", func(p []byte) (any, error) { return pickle.Unmarshal(p) }},
			{"gopickle", func(p []byte) (any, error) { u := gopickle.NewUnpickler(bytes.NewReader(p)); return u.Load() }},
			{"og-rek", func(p []byte) (any, error) {
				return ogrek.NewDecoderWithConfig(bytes.NewReader(p), &ogrek.DecoderConfig{PyDict: true}).Decode()
			}},
		} {
			b.Run(name+"/"+lib.name, func(b *testing.B) {
				b.SetBytes(int64(len(p)))
				b.ReportAllocs()
				for b.Loop() {
					v, err := lib.dec(p)
					if err != nil {
						b.Fatal(err)
					}
					sink = v
				}
			})
		}
	}
}
