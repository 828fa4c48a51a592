package py

import (
	"math"
	"math/big"
	"testing"
)

// TestEqualValuesStrict checks FORMAT.md's type-strict comparison.
func TestEqualValuesStrict(t *testing.T) {
	nan := math.NaN()
	s1, _ := NewSet(int64(1), "a")
	s2, _ := NewSet("a", int64(1))
	tests := []struct {
		name string
		a, b any
		want bool
	}{
		{"int vs float", int64(1), 1.0, false},
		{"int vs bool", int64(1), true, false},
		{"int64 vs big.Int", int64(5), big.NewInt(5), true},
		{"tuple vs list", Tuple{int64(1)}, []any{int64(1)}, false},
		{"bytes vs bytearray", []byte("x"), ByteArray("x"), false},
		{"floats by bits: -0.0", 0.0, math.Copysign(0, -1), false},
		{"floats by bits: NaN", nan, nan, true},
		{"sets unordered", s1, s2, true},
		{"dicts ordered", DictOf("a", int64(1), "b", int64(2)), DictOf("b", int64(2), "a", int64(1)), false},
		{"dict vs OrderedDict", DictOf("a", int64(1)), &OrderedDict{Dict: *DictOf("a", int64(1))}, false},
		{"datetime fold", DateTime{Year: 2023, Month: 1, Day: 1}, DateTime{Year: 2023, Month: 1, Day: 1, Fold: 1}, false},
		{"timezone name", DateTime{Year: 2023, Month: 1, Day: 1, TZ: TimeZone{}}, DateTime{Year: 2023, Month: 1, Day: 1, TZ: TimeZone{Name: new(string)}}, false},
		{"decimal text", Decimal{Value: "1.0"}, Decimal{Value: "1"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Equal(tt.a, tt.b); got != tt.want {
				t.Fatalf("EqualValues = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestEqualSharedLinear checks that Equal compares values with shared parts (DAGs, as a
// pickle's memo makes them) in time linear in their graph: tuples, lists and dicts (t, t)
// nested 60 deep have 2^60 leaves, so expanding them would never finish.
func TestEqualSharedLinear(t *testing.T) {
	build := func(leaf string) (tu, li, di any) {
		tu, li, di = leaf, leaf, leaf
		for range 60 {
			tu = Tuple{tu, tu}
			li = []any{li, li}
			di = DictOf("a", di, "b", di)
		}
		return tu, li, di
	}
	a1, a2, a3 := build("leaf")
	b1, b2, b3 := build("leaf")
	c1, c2, c3 := build("lead")
	for i, p := range [][3]any{{a1, b1, c1}, {a2, b2, c2}, {a3, b3, c3}} {
		if !Equal(p[0], p[1]) {
			t.Errorf("shape %d: equal DAGs compare unequal", i)
		}
		if Equal(p[0], p[2]) {
			t.Errorf("shape %d: DAGs with different leaves compare equal", i)
		}
	}
}

// TestIndexHashSeeded checks that hashOf spreads ints crafted to collide under an unseeded
// hash (the first version of keyIndex mixed ints with a fixed multiplier, so such ints all
// took one slot and building a set of them took quadratic time).
func TestIndexHashSeeded(t *testing.T) {
	fixed := func(n int64) uint32 {
		p := (uint64(n) ^ uint64('i')<<56) * 0x9E3779B97F4A7C15
		return uint32(p ^ p>>32)
	}
	const mask = 1<<12 - 1
	var crafted []int64
	for n := int64(0); len(crafted) < 2000; n++ {
		if fixed(n)&mask == 0 {
			crafted = append(crafted, n)
		}
	}
	slots := map[uint32]bool{}
	for _, n := range crafted {
		slots[hashOf(intKey(n))&mask] = true
	}
	// 2,000 keys spread at random over 4,096 slots fill about 1,585 of them.
	if len(slots) < 1000 {
		t.Fatalf("2,000 crafted ints take %d of 4,096 slots", len(slots))
	}
	s := &Set{}
	for _, n := range crafted {
		if err := s.Add(n); err != nil {
			t.Fatal(err)
		}
	}
	if s.Len() != len(crafted) || !s.Contains(crafted[1999]) || s.Contains(crafted[1999]+1) {
		t.Fatal("set contents wrong")
	}
}
