package pyjson

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/djangobridge/bridge/internal/tagged"
	"github.com/djangobridge/bridge/py"
)

// benchJSON returns the JSON (as Marshal and Django write it) of the "typical" and
// "typical_10k" sessions of the Django 5.2 cache fixture, the sessions signing's benchmarks
// use: a logged-in session (about 280 bytes) and one with a 10 KiB-plus cart.
func benchJSON(b *testing.B) map[string][]byte {
	b.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "compat_test", "fixtures", "django-5.2", "cache-redis.json"))
	if err != nil {
		b.Fatalf("%v (run compat_test/generate.sh)", err)
	}
	var f struct {
		Cases []struct {
			Name     string          `json:"name"`
			Expected json.RawMessage `json:"expected"`
		} `json:"cases"`
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		b.Fatal(err)
	}
	out := map[string][]byte{}
	for _, c := range f.Cases {
		if c.Name != "typical" && c.Name != "typical_10k" {
			continue
		}
		v, err := tagged.Unmarshal(c.Expected)
		if err != nil {
			b.Fatal(err)
		}
		if out[c.Name], err = Marshal(v.(*py.Dict)); err != nil {
			b.Fatal(err)
		}
	}
	if len(out) != 2 {
		b.Fatal("typical/typical_10k missing from the fixture")
	}
	return out
}

var benchResult any

// BenchmarkUnmarshal decodes a whole session, as JSONSerializer.Loads does.
func BenchmarkUnmarshal(b *testing.B) {
	sessions := benchJSON(b)
	for _, name := range []string{"typical", "typical_10k"} {
		js := sessions[name]
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(js)))
			b.ReportAllocs()
			for b.Loop() {
				v, err := Unmarshal(js)
				if err != nil {
					b.Fatal(err)
				}
				benchResult = v
			}
		})
	}
}

// BenchmarkUnmarshalObject validates a session and reads what an authenticated request reads:
// the three auth keys.
func BenchmarkUnmarshalObject(b *testing.B) {
	sessions := benchJSON(b)
	for _, name := range []string{"typical", "typical_10k"} {
		js := sessions[name]
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(js)))
			b.ReportAllocs()
			for b.Loop() {
				o, err := UnmarshalObject(js)
				if err != nil {
					b.Fatal(err)
				}
				for _, k := range authKeys {
					v, ok, err := o.Get(k)
					if !ok || err != nil {
						b.Fatal(k, ok, err)
					}
					benchResult = v
				}
			}
		})
	}
}
