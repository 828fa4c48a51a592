package pickle

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/djangobridge/bridge/internal/tagged"
	"github.com/djangobridge/bridge/py"

	"github.com/djangobridge/bridge/internal/fixtures"
	"github.com/djangobridge/bridge/internal/pybridge"
)

// cartItemGlobal is the app class the fixtures' cart_item case stores (compat_test/djproject).
const cartItemGlobal = "djproject.shop.cart.CartItem"

// fixturePickle is one distinct pickle Django wrote, with where it came from.
type fixturePickle struct {
	where    string // "django-5.2/redis/typical"
	name     string // the case name
	pickle   []byte
	expected json.RawMessage
}

// loadFixturePickles returns every distinct pickle of compat_test/fixtures/django-*/cache-*.json.
// It fails the test when there are none: the fixtures are part of the repository
// (compat_test/generate.sh makes them).
func loadFixturePickles(t testing.TB) []fixturePickle {
	t.Helper()
	dir, err := fixtures.Dir()
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join(dir, "django-*", "cache-*.json"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	if len(files) == 0 {
		t.Fatalf("no cache fixtures under %s: run compat_test/generate.sh", dir)
	}
	seen := map[string]bool{}
	var out []fixturePickle
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var cf fixtures.CacheFile
		if err := json.Unmarshal(raw, &cf); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		version := filepath.Base(filepath.Dir(f))
		config := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), "cache-"), ".json")
		for _, c := range cf.Cases {
			k := string(c.Pickle) + "\x00" + string(c.Expected)
			if seen[k] {
				continue
			}
			seen[k] = true
			out = append(out, fixturePickle{
				where: version + "/" + config + "/" + c.Name + "/" + c.Engine, name: c.Name,
				pickle: c.Pickle, expected: c.Expected,
			})
		}
	}
	if len(out) == 0 {
		t.Fatalf("no cases in the cache fixtures under %s", dir)
	}
	return out
}

// fixtureCodec is the codec the fixture tests use: the default allow-list plus the app class
// of the cart_item case.
var fixtureCodec = &Codec{AllowGlobals: []string{cartItemGlobal}}

// TestPickleFixtures decodes every pickle Django wrote through every cache configuration of
// every supported version and compares it with the session Django held (expected).
func TestPickleFixtures(t *testing.T) {
	for _, fp := range loadFixturePickles(t) {
		t.Run(fp.where, func(t *testing.T) {
			want, err := tagged.Unmarshal(fp.expected)
			if err != nil {
				t.Fatalf("expected: %v", err)
			}
			got, err := fixtureCodec.Decode(fp.pickle)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if !py.Equal(got, want) {
				gj, _ := tagged.Marshal(got)
				t.Fatalf("Decode mismatch\n got: %.2000s\nwant: %.2000s", gj, fp.expected)
			}
			// The tagged form round-trips too.
			tj, err := tagged.Marshal(got)
			if err != nil {
				t.Fatalf("MarshalTagged: %v", err)
			}
			back, err := tagged.Unmarshal(tj)
			if err != nil || !py.Equal(back, got) {
				t.Fatalf("tagged round trip: %v", err)
			}
		})
	}
}

// TestPickleFixturesForbidden checks that the default codec refuses the app class of the
// cart_item fixture, naming it.
func TestPickleFixturesForbidden(t *testing.T) {
	found := false
	for _, fp := range loadFixturePickles(t) {
		if fp.name != "cart_item" {
			continue
		}
		found = true
		_, err := Unmarshal(fp.pickle)
		var fg *ForbiddenGlobalError
		if !errors.As(err, &fg) || fg.Global.String() != cartItemGlobal || !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: got %v, want a ForbiddenGlobalError for %s", fp.where, err, cartItemGlobal)
		}
	}
	if !found {
		t.Fatal("no cart_item fixture")
	}
}

// pickleProtocol returns the protocol a pickle declares (0 without a PROTO opcode).
func pickleProtocol(p []byte) int {
	if len(p) >= 2 && p[0] == opProto {
		return int(p[1])
	}
	return 0
}

// TestPickleFixturesReencode re-encodes every fixture value at every protocol from 2 to 5 and
// decodes it back to an equal value; at the fixture's own protocol it counts how many pickles
// come out byte-identical to Django's (CPython's) and requires every value without shared
// references (no memo GET in Django's pickle) to be identical.
func TestPickleFixturesReencode(t *testing.T) {
	var identical, total, sharedTotal int
	var differ []string
	for _, fp := range loadFixturePickles(t) {
		v, err := fixtureCodec.Decode(fp.pickle)
		if err != nil {
			t.Fatalf("%s: Decode: %v", fp.where, err)
		}
		for proto := 2; proto <= 5; proto++ {
			c := &Codec{Protocol: proto, AllowGlobals: fixtureCodec.AllowGlobals}
			b, err := c.Encode(v)
			if err != nil {
				t.Errorf("%s: Encode(protocol %d): %v", fp.where, proto, err)
				continue
			}
			back, err := c.Decode(b)
			if err != nil {
				t.Errorf("%s: Decode(Encode(protocol %d)): %v", fp.where, proto, err)
				continue
			}
			if !py.Equal(back, v) && (proto >= 4 || !py.Equal(back, clearFolds(v))) {
				t.Errorf("%s: protocol %d round trip changed the value", fp.where, proto)
			}
			if proto != pickleProtocol(fp.pickle) {
				continue
			}
			total++
			if bytes.Equal(b, fp.pickle) {
				identical++
				continue
			}
			if hasMemoGet(fp.pickle) {
				sharedTotal++
				differ = append(differ, fp.where+" (shared refs)")
				continue
			}
			differ = append(differ, fp.where)
			t.Errorf("%s: protocol %d: not byte-identical to CPython's pickle\n got: %q\nwant: %q", fp.where, proto, shorten(b), shorten(fp.pickle))
		}
	}
	t.Logf("byte-identical re-encodings: %d of %d fixture pickles (%d differ because of shared references)", identical, total, sharedTotal)
	for _, d := range differ {
		t.Logf("  differs: %s", d)
	}
}

func shorten(b []byte) []byte {
	if len(b) > 600 {
		return b[:600]
	}
	return b
}

// hasMemoGet reports whether a pickle fetches anything from its memo (a shared reference).
func hasMemoGet(p []byte) bool {
	ops, err := disassemble(p)
	if err != nil {
		return true
	}
	for _, op := range ops {
		if op == opBinGet || op == opLongBinGet || op == opGet {
			return true
		}
	}
	return false
}

// disassemble lists the opcodes of a well-formed pickle (protocols 2 to 5, binary opcodes
// only), for tests.
func disassemble(p []byte) ([]byte, error) {
	var ops []byte
	for i := 0; i < len(p); {
		op := p[i]
		ops = append(ops, op)
		i++
		n := 0
		switch op {
		case opStop:
			return ops, nil
		case opProto, opBinInt1, opBinGet, opBinPut:
			n = 1
		case opBinInt2:
			n = 2
		case opBinInt, opLongBinGet, opLongBinPut:
			n = 4
		case opBinFloat, opFrame:
			n = 8
		case opLong1, opShortBinUnicode, opShortBinBytes, opShortBinString:
			if i >= len(p) {
				return nil, errTruncated
			}
			n = 1 + int(p[i])
		case opLong4, opBinUnicode, opBinBytes, opBinString:
			if i+4 > len(p) {
				return nil, errTruncated
			}
			n = 4 + int(uint32(p[i])|uint32(p[i+1])<<8|uint32(p[i+2])<<16|uint32(p[i+3])<<24)
		case opBinUnicode8, opBinBytes8, opByteArray8:
			if i+8 > len(p) {
				return nil, errTruncated
			}
			var l uint64
			for k := 7; k >= 0; k-- {
				l = l<<8 | uint64(p[i+k])
			}
			if l > uint64(len(p)) {
				return nil, errTruncated
			}
			n = 8 + int(l)
		case opGlobal:
			for k := 0; k < 2; k++ {
				j := bytes.IndexByte(p[i+n:], '\n')
				if j < 0 {
					return nil, errTruncated
				}
				n += j + 1
			}
		}
		i += n
	}
	return nil, errTruncated
}

// clearFolds returns v with the Fold of every datetime and time set to 0: what pickles below
// protocol 4 keep, in CPython as here.
func clearFolds(v any) any {
	switch x := v.(type) {
	case py.DateTime:
		x.Fold = 0
		return x
	case py.Time:
		x.Fold = 0
		return x
	case []any:
		out := make([]any, len(x))
		for i, it := range x {
			out[i] = clearFolds(it)
		}
		return out
	case py.Tuple:
		return py.Tuple(clearFolds([]any(x)).([]any))
	case *py.Dict:
		out := py.NewDict(x.Len())
		for k, it := range x.All() {
			_ = out.SetKey(clearFolds(k), clearFolds(it))
		}
		return out
	}
	return v
}

// TestPickleLiveCPython re-encodes every fixture value at protocols 2 to 5 and has each Django
// version's own Python unpickle it (bridge op pickle_equal) and compare it with the value.
// Below protocol 4 pickles carry no datetime fold (in CPython too), so the value compared
// there has its folds cleared.
func TestPickleLiveCPython(t *testing.T) {
	fps := loadFixturePickles(t)
	type job struct {
		where string
		b64   string
		value json.RawMessage
	}
	var jobs []job
	seen := map[string]bool{}
	for _, fp := range fps {
		v, err := fixtureCodec.Decode(fp.pickle)
		if err != nil {
			t.Fatalf("%s: %v", fp.where, err)
		}
		for proto := 2; proto <= 5; proto++ {
			c := &Codec{Protocol: proto, AllowGlobals: fixtureCodec.AllowGlobals}
			b, err := c.Encode(v)
			if err != nil {
				t.Fatalf("%s: Encode: %v", fp.where, err)
			}
			want := v
			if proto < 4 {
				want = clearFolds(v)
			}
			tj, err := tagged.Marshal(want)
			if err != nil {
				t.Fatalf("%s: MarshalTagged: %v", fp.where, err)
			}
			if seen[string(b)] {
				continue
			}
			seen[string(b)] = true
			jobs = append(jobs, job{fp.where + "/p" + string(rune('0'+proto)), base64.StdEncoding.EncodeToString(b), tj})
		}
	}
	pybridge.ForEachVersion(t, func(t *testing.T, br *pybridge.Bridge) {
		ctx := context.Background()
		failed := 0
		for _, j := range jobs {
			var resp struct {
				Equal  bool            `json:"equal"`
				Loaded json.RawMessage `json:"loaded"`
			}
			if err := br.Call(ctx, "pickle_equal", map[string]any{"b64": j.b64, "value": j.value}, &resp); err != nil {
				t.Errorf("%s: %v", j.where, err)
				failed++
			} else if !resp.Equal {
				t.Errorf("%s: Python read back %.600s\nwant %.600s", j.where, resp.Loaded, j.value)
				failed++
			}
			if failed > 10 {
				t.Fatal("too many failures")
			}
		}
		t.Logf("%d Go-encoded pickles read back equal by Python %s", len(jobs)-failed, br.Info.Python)
	})
}
