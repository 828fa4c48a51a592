package pickle

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
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
	if testing.Verbose() && l.Lazy() && len(data) > 50000 {
		t.Logf("%d bytes: charged %d, bound %d", len(data), charged, l.bound)
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
	for _, k := range keys {
		// After Dict, Get returns the dict's own values (the same objects).
		got, _, _ := l.Get(k)
		dv, _ := d.Get(k)
		if !sameObject(got, dv) {
			t.Fatalf("after Dict, Get(%q) is not the dict's value", k)
		}
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
	// Random sessions of plain values (memo references across values included), protocols 3
	// to 5 (at 2, bytes are a REDUCE of _codecs.encode): read lazily, and equal to Decode's.
	for i := range 300 {
		d := py.NewDict(0)
		for j := range 1 + rng.IntN(12) {
			d.Set(fmt.Sprintf("k%d", j), randomPlain(rng, 4))
		}
		p, err := (&Codec{Protocol: 3 + i%3}).Encode(d)
		if err != nil {
			t.Fatal(err)
		}
		if !checkLazy(t, fixtureCodec, p, rng) {
			t.Fatalf("random session %d not read lazily: %v", i, d)
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
	if raceEnabled {
		// scripts/test.sh runs the allocation tests once more without -race.
		t.Skip("allocation counts are meaningless under -race (sync.Pool drops items at random)")
	}
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

// TestDecodeLazyBoundCrafted runs checkLazy, whose bound check is the point here, on pickles
// crafted by hand to make the decoder charge the most per byte with the opcodes DecodeLazy
// reads: containers of one byte each, memoized or not, dicts grown one item at a time, a
// deep stack. Each is the value of the one key of a session dict.
func TestDecodeLazyBoundCrafted(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	session := func(value []byte) []byte {
		p := append([]byte("\x80\x05}\x8c\x01a"), value...)
		return append(p, 's', '.')
	}
	rep := func(s string, n int) []byte { return bytes.Repeat([]byte(s), n) }
	intKeys := func(n int) []byte { // SETITEM one int key at a time
		var b []byte
		for i := range n {
			b = append(b, 'J', byte(i), byte(i>>8), byte(i>>16), 0, 'N', 's')
		}
		return b
	}
	lazy := 0
	for _, n := range []int{10, 1000, 100000} {
		cases := map[string][]byte{
			"empty dicts":           append(append([]byte("]("), rep("}", n)...), 'e'),
			"memoized empty dicts":  append(append([]byte("]("), rep("}\x94", n)...), 'e'),
			"empty lists":           append(append([]byte("]("), rep("]", n)...), 'e'),
			"nones on the stack":    append(append([]byte("("), rep("N", n)...), 't'),
			"one item at a time":    append([]byte("}"), intKeys(n)...),
			"dicts of one item":     append(append([]byte("]("), rep("}K\x01Ns", n)...), 'e'),
			"strs memoized and got": append(append([]byte("]("), append([]byte("\x8c\x01x\x94"), rep("h\x00", n)...)...), 'e'),
		}
		for name, v := range cases {
			t.Run(fmt.Sprintf("%s/%d", name, n), func(t *testing.T) {
				if checkLazy(t, &Codec{}, session(v), rng) {
					lazy++
				}
			})
		}
	}
	if lazy == 0 {
		t.Fatal("no crafted pickle read lazily: the bound is not tested")
	}
}

// sameObject reports whether a and b are the same Go value: the same pointer or slice array
// for containers, equal for scalars.
func sameObject(a, b any) bool {
	switch x := a.(type) {
	case []any:
		y, ok := b.([]any)
		return ok && len(x) == len(y) && (len(x) == 0 || &x[0] == &y[0])
	case *py.Dict:
		y, ok := b.(*py.Dict)
		return ok && x == y
	case py.Tuple:
		y, ok := b.(py.Tuple)
		return ok && len(x) == len(y) && (len(x) == 0 || &x[0] == &y[0])
	}
	return py.Equal(a, b)
}
