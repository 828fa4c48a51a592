package pickle

import (
	"errors"
	"runtime"
	"testing"

	"github.com/djangobridge/bridge/internal/tagged"
	"github.com/djangobridge/bridge/py"
)

// FuzzDecodeTaggedMemory checks the memory side of the whole path the CLI takes: Decode under
// a memory budget, tagged.Marshal of what decodes, tagged.Unmarshal back, and Encode again.
// Without -race it requires Decode to allocate within its budget (runtime.MemStats) whether
// it succeeds or not, and the tagged JSON and the re-encoded pickle to stay linear in the
// input (shared values written once), whatever the value's expansion.
//
// Its seeds, testdata/fuzz/FuzzDecodeTaggedMemory/, are hand-made (testdata/README.md):
// the inputs of issue 16 and the worst cases of budget_test.go, at a small scale.
func FuzzDecodeTaggedMemory(f *testing.F) {
	codec := &Codec{MaxSize: 1 << 20, AllowGlobals: []string{cartItemGlobal, "myapp.Thing"}}
	f.Fuzz(func(t *testing.T, data []byte) { checkMemoryPath(t, codec, data) })
}

// checkMemoryPath is the body of FuzzDecodeTaggedMemory.
func checkMemoryPath(t *testing.T, codec *Codec, data []byte) {
	const slack = 64 << 10
	{
		var a, b runtime.MemStats
		if !raceEnabled {
			runtime.ReadMemStats(&a)
		}
		v, err := codec.Decode(data)
		if !raceEnabled {
			runtime.ReadMemStats(&b)
			if alloc, limit := b.TotalAlloc-a.TotalAlloc, uint64(codec.memoryBudget(len(data)))+slack; alloc > limit {
				t.Fatalf("Decode allocated %d bytes, budget %d (err %v)", alloc, limit, err)
			}
		}
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Decode error %v does not match ErrCorrupt", err)
			}
			return
		}
		if !raceEnabled {
			runtime.ReadMemStats(&a)
		}
		j, err := tagged.Marshal(v)
		if err != nil {
			if errors.Is(err, tagged.ErrLimit) && len(data) > 1<<14 {
				return // an int of more than 131072 bits, too large to write in decimal
			}
			t.Fatalf("tagged.Marshal: %v", err)
		}
		if !raceEnabled {
			runtime.ReadMemStats(&b)
			if alloc, limit := b.TotalAlloc-a.TotalAlloc, 4*uint64(len(j))+256*uint64(len(data))+slack; alloc > limit {
				t.Fatalf("tagged.Marshal allocated %d bytes for %d bytes of output", alloc, len(j))
			}
		}
		// Each input byte adds at most one node or reference to the graph, and a node that is
		// not shared is at most a datetime with a tzinfo of 255-byte names.
		if limit := 1024*len(data) + 4096; len(j) > limit {
			t.Fatalf("tagged JSON of %d bytes for a %d-byte pickle", len(j), len(data))
		}
		back, err := tagged.Unmarshal(j)
		if err != nil {
			t.Fatalf("tagged.Unmarshal(tagged.Marshal(v)): %v", err)
		}
		if !py.Equal(back, v) {
			t.Fatal("tagged JSON round trip changed the value")
		}
		p, err := (&Codec{AllowGlobals: codec.AllowGlobals}).Encode(v)
		if err != nil {
			t.Fatalf("Encode of a decoded value: %v", err)
		}
		if limit := 256*len(data) + 4096; len(p) > limit {
			t.Fatalf("re-encoded to %d bytes from %d", len(p), len(data))
		}
	}
}
