package pickle

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
)

// The pickles of this file are hand-made: the inputs of issue 16 and the worst cases for
// memory per input byte found for the Go value model.

// sharedStrPickle is a 10,000-char str referenced 1,000 times in a list, and that list
// referenced 100 times: 12 KB that CPython holds in 14 MB.
func sharedStrPickle() []byte {
	var b bytes.Buffer
	b.WriteString("\x80\x04X")
	binary.Write(&b, binary.LittleEndian, uint32(10000))
	b.WriteString(strings.Repeat("s", 10000))
	b.WriteString("\x940") // memo 0: the str, popped
	b.WriteString("](")    // the inner list
	for range 1000 {
		b.WriteString("h\x00")
	}
	b.WriteString("e\x940") // memo 1: the inner list, popped
	b.WriteString("](")
	for range 100 {
		b.WriteString("h\x01")
	}
	b.WriteString("e.")
	return b.Bytes()
}

// nestedPairPickle is a tuple nested 24 levels deep, each level (t, t).
func nestedPairPickle(levels int) []byte {
	return []byte("\x80\x04\x8c\x04leaf" + strings.Repeat("2\x86", levels) + ".")
}

// runPickle is a list of n values, each written as unit, in batches of 1,000 (as CPython
// batches APPENDS); prefix is written once before the list (to memoize a value), first at
// the start of each batch (for DUP runs).
func runPickle(prefix, unit string, n int, first ...string) []byte {
	var b bytes.Buffer
	b.WriteString("\x80\x04" + prefix + "]")
	for i := 0; i < n; i += 1000 {
		b.WriteString("(")
		k := min(1000, n-i)
		if len(first) > 0 {
			b.WriteString(first[0])
			k--
		}
		b.WriteString(strings.Repeat(unit, k))
		b.WriteString("e")
	}
	b.WriteString(".")
	return b.Bytes()
}

// intSetPickle is set(range(n)) as CPython writes it at protocol 4 (EMPTY_SET, then
// ADDITEMS batches of 1,000).
func intSetPickle(n int) []byte {
	var b bytes.Buffer
	b.WriteString("\x80\x04\x8f")
	for i := 0; i < n; i += 1000 {
		b.WriteString("(")
		for j := i; j < min(n, i+1000); j++ {
			switch {
			case j < 256:
				b.WriteByte('K')
				b.WriteByte(byte(j))
			case j < 65536:
				b.WriteByte('M')
				binary.Write(&b, binary.LittleEndian, uint16(j))
			default:
				b.WriteByte('J')
				binary.Write(&b, binary.LittleEndian, int32(j))
			}
		}
		b.WriteString("\x90")
	}
	b.WriteString(".")
	return b.Bytes()
}

type budgetCase struct {
	name string
	p    []byte
}

func budgetCases(scale int) []budgetCase {
	return []budgetCase{
		{"shared str x1000 x100", sharedStrPickle()},
		{"(t, t) nested 24 deep", nestedPairPickle(24)},
		{"empty dicts", runPickle("", "}", 50000*scale)},
		{"set of ints", intSetPickle(10000 * scale)},
		{"empty lists", runPickle("", "]", 50000*scale)},
		{"empty sets", runPickle("", "\x8f", 50000*scale)},
		{"empty tuples", runPickle("", ")", 50000*scale)},
		{"None", runPickle("", "N", 50000*scale)},
		{"DUP of a dict", runPickle("", "2", 50000*scale, "}")},
		{"memo refs", runPickle("}\x940", "h\x00", 50000*scale)},
		{"memoized dicts", runPickle("", "}\x94", 50000*scale)},
		{"1-tuples", runPickle("", "N\x85", 50000*scale)},
		{"pairs of lists", runPickle("", "]]\x86", 50000*scale)},
		{"dicts of one item", runPickle("", "}N]s", 50000*scale)},
		{"short strs", runPickle("", "\x8c\x00", 50000*scale)},
		{"floats", runPickle("", "G\x3f\xf0\x00\x00\x00\x00\x00\x00", 20000*scale)},
		{"big ints", runPickle("", "\x8a\x09\x01\x02\x03\x04\x05\x06\x07\x08\x09", 20000*scale)},
		{"one big batch", []byte("\x80\x04](" + strings.Repeat("}", 200000*scale) + "e.")},
	}
}

// TestMemoryBudget checks that the issue-16 inputs and the worst cases decode within the
// default budget or are refused with ErrMemoryBudget, and that a small budget refuses them.
func TestMemoryBudget(t *testing.T) {
	for _, c := range budgetCases(1) {
		_, err := Unmarshal(c.p)
		if err != nil && !errors.Is(err, ErrMemoryBudget) {
			t.Errorf("%s: %v", c.name, err)
		}
		if err != nil && !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: %v does not match ErrCorrupt", c.name, err)
		}
	}
	small := &Codec{MaxMemory: 4}
	for _, c := range budgetCases(1)[2:] {
		if _, err := small.Decode(c.p); c.name != "empty tuples" && c.name != "None" && !errors.Is(err, ErrMemoryBudget) {
			t.Errorf("%s with MaxMemory 4: %v, want ErrMemoryBudget", c.name, err)
		}
	}
	if _, err := (&Codec{MaxMemory: -1}).Decode(runPickle("", "]]\x86", 200000)); err != nil {
		t.Errorf("MaxMemory -1: %v", err)
	}
}
