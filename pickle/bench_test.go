package pickle

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/djangobridge/bridge/py"

	"github.com/djangobridge/bridge/internal/fixtures"
)

// benchPickle returns the pickle Django 5.2's RedisCache wrote for the named fixture case
// (protocol 5, as PyMemcacheCache and RedisCache write it).
func benchPickle(b testing.TB, name string) []byte {
	b.Helper()
	dir, err := fixtures.Dir()
	if err != nil {
		b.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "django-5.2", "cache-redis.json"))
	if err != nil {
		b.Fatalf("%v (run compat_test/generate.sh)", err)
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
	b.Fatalf("no fixture case %q", name)
	return nil
}

// countObjects counts the Python objects of a value (each container, scalar and datetime
// counted once, tzinfo included).
func countObjects(v any) int {
	switch x := v.(type) {
	case []any:
		n := 1
		for _, it := range x {
			n += countObjects(it)
		}
		return n
	case py.Tuple:
		return countObjects([]any(x))
	case *py.Dict:
		n := 1
		for k, it := range x.All() {
			n += countObjects(k) + countObjects(it)
		}
		return n
	case py.DateTime:
		if x.TZ != nil {
			return 2
		}
	}
	return 1
}

// TestDecodeAllocs checks that decoding a session allocates no more than once per Python
// object it holds, plus 2 (the copy of the input and the slab of dicts).
func TestDecodeAllocs(t *testing.T) {
	if raceEnabled {
		// scripts/test.sh runs the allocation tests once more without -race.
		t.Skip("allocation counts are meaningless under -race (sync.Pool drops items at random)")
	}
	for _, name := range []string{"typical", "typical_10k"} {
		p := benchPickle(t, name)
		v, err := Unmarshal(p)
		if err != nil {
			t.Fatal(err)
		}
		allocs := testing.AllocsPerRun(50, func() { benchSink, _ = Unmarshal(p) })
		objects := countObjects(v)
		t.Logf("%s: %.0f allocations per decode, %d Python objects", name, allocs, objects)
		if allocs > float64(objects+2) {
			t.Errorf("%s: %.0f allocations per decode, want at most %d", name, allocs, objects+2)
		}
	}
}

var benchSink any

// sessionInterner interns what djangosession's Store interns: the keys Django's apps write
// and the default backend. The benchmark decodes as a Store does; without it, each of these
// strs is one more allocation.
var sessionInterner, _ = NewInterner("_auth_user_id", "_auth_user_backend", "_auth_user_hash",
	"django.contrib.auth.backends.ModelBackend", "_csrftoken", "_session_expiry", "_messages")

func benchmarkDecode(b *testing.B, name string) {
	p := benchPickle(b, name)
	codec := &Codec{Intern: sessionInterner}
	v, err := codec.Decode(p)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(p)))
	b.ReportAllocs()
	for b.Loop() {
		v, err := codec.Decode(p)
		if err != nil {
			b.Fatal(err)
		}
		benchSink = v
	}
	b.ReportMetric(float64(countObjects(v)), "pyobjects")
}

func benchmarkEncode(b *testing.B, name string) {
	p := benchPickle(b, name)
	v, err := Unmarshal(p)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(p)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		out, err := Marshal(v, 5)
		if err != nil {
			b.Fatal(err)
		}
		benchSink = out
	}
}

func BenchmarkPickleDecode(b *testing.B) {
	b.Run("typical", func(b *testing.B) { benchmarkDecode(b, "typical") })
	b.Run("typical_10k", func(b *testing.B) { benchmarkDecode(b, "typical_10k") })
}

func BenchmarkPickleEncode(b *testing.B) {
	b.Run("typical", func(b *testing.B) { benchmarkEncode(b, "typical") })
	b.Run("typical_10k", func(b *testing.B) { benchmarkEncode(b, "typical_10k") })
}
