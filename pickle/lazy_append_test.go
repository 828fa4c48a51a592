package pickle

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/djangobridge/bridge/internal/pybridge"
	"github.com/djangobridge/bridge/internal/tagged"
	"github.com/djangobridge/bridge/py"
)

// appendCase is one save by AppendItems: the pickle it wrote and the dict a whole encode
// would have written.
type appendCase struct {
	where string
	out   []byte
	want  *py.Dict
}

// randomChange returns items to set on d: new values for some existing keys and some new keys.
func randomChange(rng *rand.Rand, d *py.Dict, round int) []py.Item {
	var items []py.Item
	keys := d.Keys()
	for range 1 + rng.IntN(3) {
		var k any = fmt.Sprintf("new_%d_%d", round, rng.IntN(4))
		if len(keys) > 0 && rng.IntN(2) == 0 {
			k = keys[rng.IntN(len(keys))]
		}
		var v any
		switch rng.IntN(5) {
		case 0:
			v = int64(rng.IntN(1 << 20))
		case 1:
			v = fmt.Sprintf("value %d é", rng.IntN(1000))
		case 2:
			v = []any{"a", int64(round), py.NewDict(0)}
		case 3:
			v = py.Tuple{true, nil, 1.5}
		default:
			v = py.DictOf("_auth_user_id", "7", "nested", []any{"x", "x"})
		}
		items = append(items, py.Item{Key: k, Value: v})
	}
	return items
}

// appendCases saves each lazily read fixture pickle 40 times over, each time changing a few
// keys, loading the result again; it checks each result in Go (Decode equals the changed dict,
// DecodeLazy still reads it lazily) and that the size stays within twice a whole encode's.
func appendCases(t *testing.T) []appendCase {
	rng := rand.New(rand.NewPCG(3, 4))
	var out []appendCase
	appended, whole := 0, 0
	inputs := loadFixturePickles(t)
	// Random sessions of plain values, pickled at each protocol.
	for i := range 200 {
		d := py.NewDict(0)
		for j := range 1 + rng.IntN(12) {
			d.Set(fmt.Sprintf("k%d", j), randomPlain(rng, 3))
		}
		p, err := (&Codec{Protocol: 2 + i%4}).Encode(d)
		if err != nil {
			t.Fatal(err)
		}
		inputs = append(inputs, fixturePickle{where: fmt.Sprintf("random/%d", i), pickle: p})
	}
	for _, fp := range inputs {
		l, err := fixtureCodec.DecodeLazy(fp.pickle)
		if err != nil || !l.Lazy() {
			continue
		}
		cur := fp.pickle
		for round := range 40 {
			l, err := fixtureCodec.DecodeLazy(cur)
			if err != nil {
				t.Fatalf("%s round %d: %v", fp.where, round, err)
			}
			if !l.Lazy() {
				t.Fatalf("%s round %d: an appended pickle is not read lazily", fp.where, round)
			}
			d, err := l.Dict()
			if err != nil {
				t.Fatal(err)
			}
			want := d.Clone()
			items := randomChange(rng, want, round)
			for _, it := range items {
				want.Set(it.Key.(string), it.Value)
			}
			next, ok, err := l.AppendItems(items)
			if err != nil {
				t.Fatalf("%s round %d: %v", fp.where, round, err)
			}
			c := &Codec{Protocol: pickleProtocol(cur), AllowGlobals: fixtureCodec.AllowGlobals}
			full, err := c.Encode(want)
			if err != nil {
				t.Fatal(err)
			}
			if !ok {
				whole++
				next = full
			} else {
				appended++
				got, err := fixtureCodec.Decode(next)
				if err != nil || !py.Equal(got, want) || !sameOrder(got.(*py.Dict), want) {
					t.Fatalf("%s round %d: appended pickle decodes to %v, %v; want %v", fp.where, round, got, err, want)
				}
				if len(next) > 2*len(full)+512 {
					t.Fatalf("%s round %d: %d bytes appended, %d whole", fp.where, round, len(next), len(full))
				}
				if round%8 == 0 || round == 39 {
					out = append(out, appendCase{fmt.Sprintf("%s/round%d", fp.where, round), next, want})
				}
			}
			cur = next
		}
	}
	t.Logf("%d saves appended, %d encoded whole", appended, whole)
	if appended == 0 || appended < whole {
		t.Fatalf("%d saves appended, %d whole", appended, whole)
	}
	return out
}

// randomPlain returns a random value of the types DecodeLazy reads lazily, shared strs
// included (memo references in the pickle).
func randomPlain(rng *rand.Rand, depth int) any {
	k := rng.IntN(9)
	if depth == 0 {
		k %= 5
	}
	switch k {
	case 0:
		return int64(rng.IntN(1<<40) - 1<<39)
	case 1:
		return sharedStrs[rng.IntN(len(sharedStrs))]
	case 2:
		return rng.Float64()
	case 3:
		return []byte("raw")
	case 4:
		return nil
	case 5, 6:
		l := make([]any, rng.IntN(5))
		for i := range l {
			l[i] = randomPlain(rng, depth-1)
		}
		return l
	case 7:
		return py.Tuple{randomPlain(rng, depth-1), true}
	}
	d := py.NewDict(0)
	for range rng.IntN(4) {
		d.Set(sharedStrs[rng.IntN(len(sharedStrs))], randomPlain(rng, depth-1))
	}
	return d
}

var sharedStrs = []string{"id", "qty", "name", "é", "a longer str value than the others"}

func sameOrder(a, b *py.Dict) bool {
	ka, kb := a.Keys(), b.Keys()
	if len(ka) != len(kb) {
		return false
	}
	for i := range ka {
		if !py.Equal(ka[i], kb[i]) {
			return false
		}
	}
	return true
}

// TestLazyAppendItems checks AppendItems in Go: see appendCases.
func TestLazyAppendItems(t *testing.T) { appendCases(t) }

// TestLazyAppendItemsCPython has each Django version's Python read the appended pickles and
// compare them, keys in order, with the dict a whole encode writes.
func TestLazyAppendItemsCPython(t *testing.T) {
	cases := appendCases(t)
	pybridge.ForEachVersion(t, func(t *testing.T, br *pybridge.Bridge) {
		ctx := context.Background()
		for _, c := range cases {
			tj, err := tagged.Marshal(c.want)
			if err != nil {
				t.Fatal(err)
			}
			var resp struct {
				Equal  bool            `json:"equal"`
				Loaded json.RawMessage `json:"loaded"`
			}
			if err := br.Call(ctx, "pickle_equal", map[string]any{"b64": base64.StdEncoding.EncodeToString(c.out), "value": json.RawMessage(tj)}, &resp); err != nil {
				t.Fatalf("%s: %v", c.where, err)
			}
			if !resp.Equal {
				t.Fatalf("%s: Python read back %.600s\nwant %.600s", c.where, resp.Loaded, tj)
			}
		}
		t.Logf("%d appended pickles read back by Python %s as the whole encode's dict", len(cases), br.Info.Python)
	})
}
