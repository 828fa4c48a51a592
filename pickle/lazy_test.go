package pickle

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/djangobridge/bridge/py"
)

// checkLazy checks DecodeLazy against Decode on data: both reject it, or the LazyDict agrees
// with the decoded dict on Len, Keys, Has, every Get (read in a random order) and Dict, and the
// scanner's bound of the decoder's memory charge holds. It reports whether data was read
// lazily.
func checkLazy(t *testing.T, c *Codec, data []byte, rng *rand.Rand) bool {
	t.Helper()
	var charged int64
	chargeHook = func(n int64) { charged = n }
	v, err := c.Decode(data)
	chargeHook = nil
	l, lerr := c.DecodeLazy(data)
	if err != nil {
		if lerr == nil {
			t.Fatalf("Decode fails (%v), DecodeLazy does not", err)
		}
		if lerr.Error() != err.Error() {
			t.Fatalf("DecodeLazy's error %q is not Decode's %q", lerr, err)
		}
		return false
	}
	var want *py.Dict
	switch x := v.(type) {
	case *py.Dict:
		want = x
	case *py.OrderedDict:
		want = &x.Dict
	default:
		var nd *NotDictError
		if !errors.As(lerr, &nd) || !errors.Is(lerr, ErrCorrupt) || !py.Equal(nd.Value, v) {
			t.Fatalf("Decode returns a %s; DecodeLazy: %v", py.TypeName(v), lerr)
		}
		return false
	}
	if lerr != nil {
		t.Fatalf("Decode succeeds, DecodeLazy fails: %v", lerr)
	}
	if l.Lazy() && l.bound < charged {
		t.Fatalf("the scanner's bound %d is below the decoder's charge %d", l.bound, charged)
	}
	if l.Len() != want.Len() {
		t.Fatalf("Len %d, want %d", l.Len(), want.Len())
	}
	var strKeys []string
	for _, k := range want.Keys() {
		if s, ok := k.(string); ok {
			strKeys = append(strKeys, s)
		}
	}
	keys := l.Keys()
	if len(keys) != len(strKeys) {
		t.Fatalf("Keys %q, want %q", keys, strKeys)
	}
	for i := range keys {
		if keys[i] != strKeys[i] {
			t.Fatalf("Keys %q, want %q", keys, strKeys)
		}
		if !l.Has(keys[i]) {
			t.Fatalf("Has(%q) false", keys[i])
		}
	}
	if l.Has("\x00no such key") {
		t.Fatal("Has of a missing key")
	}
	order := rng.Perm(len(keys))
	for _, i := range order[:len(order)/2+len(order)%2] {
		got, ok, err := l.Get(keys[i])
		wv, _ := want.Get(keys[i])
		if err != nil || !ok || !py.Equal(got, wv) {
			t.Fatalf("Get(%q) = %v, %v, %v; want %v", keys[i], got, ok, err, wv)
		}
	}
	d, err := l.Dict()
	if err != nil || !py.Equal(d, want) {
		t.Fatalf("Dict() = %v, %v; want %v", d, err, want)
	}
	for _, i := range order {
		got, ok, err := l.Get(keys[i])
		wv, _ := want.Get(keys[i])
		if err != nil || !ok || !py.Equal(got, wv) {
			t.Fatalf("after Dict, Get(%q) = %v, %v, %v; want %v", keys[i], got, ok, err, wv)
		}
	}
	return l.Lazy()
}

// TestDecodeLazyFixtures runs checkLazy on every pickle Django wrote, and on CPython's own
// test pickles, and checks that Django's session pickles are read lazily.
func TestDecodeLazyFixtures(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	lazy, whole := 0, 0
	var wholeNames []string
	for _, fp := range loadFixturePickles(t) {
		t.Run(fp.where, func(t *testing.T) {
			if checkLazy(t, fixtureCodec, fp.pickle, rng) {
				lazy++
			} else {
				whole++
				wholeNames = append(wholeNames, fp.name)
				if !wholeCases[fp.name] {
					t.Errorf("%s: a session of plain values, decoded whole", fp.where)
				}
			}
		})
	}
	t.Logf("Django fixtures: %d read lazily, %d decoded whole: %q", lazy, whole, wholeNames)
	for _, typical := range []string{"typical", "typical_10k"} {
		l, err := fixtureCodec.DecodeLazy(benchPickle(t, typical))
		if err != nil || !l.Lazy() {
			t.Fatalf("%s: not read lazily (%v)", typical, err)
		}
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "cpython-*.json"))
	n := 0
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var cf cpythonFile
		if err := json.Unmarshal(raw, &cf); err != nil {
			t.Fatal(err)
		}
		for _, c := range cf.Cases {
			p, err := base64.StdEncoding.DecodeString(c.Pickle)
			if err != nil {
				t.Fatal(err)
			}
			t.Run(filepath.Base(f)+"/"+c.Name, func(t *testing.T) { checkLazy(t, fixtureCodec, p, rng) })
			n++
		}
	}
	if n == 0 {
		t.Fatal("no CPython pickles")
	}
}

// wholeCases are the fixture cases that DecodeLazy decodes whole: their sessions hold
// datetimes, timedeltas, sets, bytearrays, app objects (REDUCE and friends), a str with a lone
// surrogate, or keys that are not strs.
var wholeCases = map[string]bool{"expiry_timedelta": true, "expiry_datetime": true, "bytes": true,
	"datetimes": true, "datetimes_pytz": true, "sets": true, "misc": true, "lone_surrogate": true,
	"non_str_keys": true, "cart_item": true, "big_list": true}

// TestDecodeLazyAuthAllocs checks that a lazy load reading the three auth keys allocates as
// much for the 10 KiB session as for the typical one.
func TestDecodeLazyAuthAllocs(t *testing.T) {
	c := &Codec{Intern: testInterner}
	counts := map[string]float64{}
	for _, name := range []string{"typical", "typical_10k"} {
		p := benchPickle(t, name)
		counts[name] = testing.AllocsPerRun(200, func() {
			l, err := c.DecodeLazy(p)
			if err != nil {
				t.Fatal(err)
			}
			for _, k := range []string{"_auth_user_id", "_auth_user_backend", "_auth_user_hash"} {
				if _, ok, err := l.Get(k); !ok || err != nil {
					t.Fatalf("%s: Get(%q): %v %v", name, k, ok, err)
				}
			}
		})
	}
	t.Logf("allocs: %v", counts)
	if counts["typical"] != counts["typical_10k"] {
		t.Fatalf("allocations differ with the session's size: %v", counts)
	}
}

var testInterner, _ = NewInterner("_auth_user_id", "_auth_user_backend", "_auth_user_hash",
	"django.contrib.auth.backends.ModelBackend", "_csrftoken", "_session_expiry", "_messages")

// FuzzDecodeLazy checks that any input either builds, lazily, the same dict as Decode, or is
// rejected by both with the same error.
func FuzzDecodeLazy(f *testing.F) {
	// The seed corpus, testdata/fuzz/FuzzDecodeLazy, is FuzzPickleDecode's (Django's fixture
	// pickles and the crashers found), plus the CPython pickles added here.
	for _, name := range []string{"typical", "typical_10k"} {
		f.Add(benchPickle(f, name))
	}
	codec := &Codec{MaxSize: 1 << 20, AllowGlobals: []string{cartItemGlobal}}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkLazy(t, codec, data, rand.New(rand.NewPCG(uint64(len(data)), 7)))
	})
}

// BenchmarkDecodeLazyAuth is DecodeLazy of a session plus the reads of its three auth keys:
// what a request that only asks "who is this?" pays (compare BenchmarkPickleDecode).
func BenchmarkDecodeLazyAuth(b *testing.B) {
	for _, name := range []string{"typical", "typical_10k"} {
		p := benchPickle(b, name)
		c := &Codec{Intern: testInterner}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(p)))
			for b.Loop() {
				l, err := c.DecodeLazy(p)
				if err != nil {
					b.Fatal(err)
				}
				for _, k := range []string{"_auth_user_id", "_auth_user_backend", "_auth_user_hash"} {
					if _, ok, _ := l.Get(k); !ok {
						b.Fatal(k)
					}
				}
			}
		})
	}
}
