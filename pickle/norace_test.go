//go:build !race

package pickle

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// raceEnabled reports a -race build; see race_test.go.
const raceEnabled = false

// TestMemoryBudgetHolds measures what Decode allocates in all (runtime.MemStats.TotalAlloc)
// for the inputs of budgetCases and checks it stays within the budget, MaxMemory×len+
// DecodeMemoryBase, plus a slack for the decoder itself (whether Decode succeeds or stops at
// the budget). It runs without -race, which adds allocations of its own.
func TestMemoryBudgetHolds(t *testing.T) {
	const slack = 32 << 10
	for _, f := range []int{0, 16} {
		c := &Codec{MaxMemory: f}
		for _, bc := range budgetCases(4) {
			var a, b runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&a)
			_, err := c.Decode(bc.p)
			runtime.ReadMemStats(&b)
			alloc := b.TotalAlloc - a.TotalAlloc
			limit := uint64(c.memoryBudget(len(bc.p))) + slack
			if alloc > limit {
				t.Errorf("MaxMemory %d, %s (%d bytes): allocated %d, budget %d (err %v)", f, bc.name, len(bc.p), alloc, limit, err)
			}
		}
	}
}

// measure decodes p with c and returns what Decode charged to its budget and what it
// allocated in all.
func measure(c *Codec, p []byte) (charged, alloc uint64, err error) {
	chargeHook = func(n int64) { charged = uint64(n) }
	defer func() { chargeHook = nil }()
	var a, b runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&a)
	_, err = c.Decode(p)
	runtime.ReadMemStats(&b)
	return charged, b.TotalAlloc - a.TotalAlloc, err
}

// TestMemoryChargesCover checks, for the CPython-made test vectors and the inputs of
// budgetCases, that what Decode charges to its budget covers what it allocates (within a
// constant for the decoder itself), so the budget bounds real memory; -v prints the ratios.
func TestMemoryChargesCover(t *testing.T) {
	const slack = 16 << 10
	type row struct {
		name   string
		n      int
		charge uint64
		alloc  uint64
	}
	var rows []row
	c := &Codec{MaxMemory: 1 << 20}
	files, _ := filepath.Glob(filepath.Join("testdata", "cpython-*.json"))
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var cf cpythonFile
		if err := json.Unmarshal(raw, &cf); err != nil {
			t.Fatal(err)
		}
		for _, cs := range cf.Cases {
			p, _ := base64.StdEncoding.DecodeString(cs.Pickle)
			ch, al, err := measure(c, p)
			if err == nil {
				rows = append(rows, row{fmt.Sprintf("%s/%s/p%d", filepath.Base(f), cs.Name, cs.Protocol), len(p), ch, al})
			}
		}
	}
	for _, bc := range budgetCases(4) {
		ch, al, err := measure(c, bc.p)
		if err != nil {
			t.Fatalf("%s: %v", bc.name, err)
		}
		rows = append(rows, row{bc.name, len(bc.p), ch, al})
	}
	for _, r := range rows {
		if r.alloc > r.charge+slack {
			t.Errorf("%s (%d bytes): allocated %d, charged %d", r.name, r.n, r.alloc, r.charge)
		}
		if r.n >= 2000 {
			t.Logf("%-45s %8d bytes: charged %5.1fx, allocated %5.1fx", r.name, r.n, float64(r.charge)/float64(r.n), float64(r.alloc)/float64(r.n))
		}
	}
}

// TestDecodeBudgetIndependentOfPool checks that what Decode charges to its budget, and so
// whether an input fits it, does not depend on the pooled decoder it gets: a decoder whose
// stack and memo grew in an earlier Decode charges the same as a new one. (It did not: an
// input near the budget decoded or failed depending on the pool, which the lazy decoder's
// tests found under -race, where sync.Pool drops decoders at random.)
func TestDecodeBudgetIndependentOfPool(t *testing.T) {
	// A list of 1,000 memoized empty dicts: stack and memo grow past their first capacities.
	x := append(append([]byte("\x80\x05}\x8c\x01a]("), bytes.Repeat([]byte("}\x94"), 1000)...), "es."...)
	charge := func() int64 {
		var charged int64
		chargeHook = func(n int64) { charged = n }
		defer func() { chargeHook = nil }()
		if _, err := (&Codec{MaxMemory: -1}).Decode(x); err != nil {
			t.Fatal(err)
		}
		return charged
	}
	first := charge()
	// Grow the pooled decoder: 3,000 memoized values on the stack at once.
	big := append(append([]byte("\x80\x05("), bytes.Repeat([]byte("N\x94"), 3000)...), "t."...)
	for range 3 {
		if _, err := (&Codec{MaxMemory: -1}).Decode(big); err != nil {
			t.Fatal(err)
		}
	}
	if again := charge(); again != first {
		t.Fatalf("Decode charged %d after the pool's decoder grew, %d before", again, first)
	}
}
