package pickle

import (
	"fmt"
	"math"
	"math/big"
	"unsafe"

	"github.com/djangobridge/bridge/py"
)

// This file holds the memory budget of Decode (Codec.MaxMemory): what each allocation of the
// decoder is charged. Each figure is the size the Go runtime allocates for it (rounded up to
// its size class) on a 64-bit platform, so the sum charged bounds what one Decode call
// allocates in all, garbage included.

// DefaultMaxMemory is the memory budget of Decode when MaxMemory is 0: at most
// DefaultMaxMemory times the input size, plus DecodeMemoryBase, allocated in all.
const DefaultMaxMemory = 64

// DecodeMemoryBase is the constant part of the memory budget: what any pickle may allocate
// whatever its size (the first stack, memo and slabs).
const DecodeMemoryBase = 64 << 10

const (
	sizeSlot   = 16 // one any: a slot of a list or tuple
	sizeItem   = 32 // one py.Item
	sizeEntry  = int(unsafe.Sizeof(entry{}))
	sizeDict   = int(unsafe.Sizeof(py.Dict{}))
	sizeSet    = 32 // a new py.Set (its size class)
	sizeObject = 224
	boxedSlice = 24 // a slice header boxed in an any
	boxedStr   = 16 // a string header boxed in an any
	boxedWord  = 8  // an int64 or float64 boxed in an any
	// indexEntry bounds what a dict's or set's hash index (py's keyIndex: 8-byte slots, at
	// most half full, sized up front by Grow) costs per key: 32 bytes for the table, as much
	// again for the ones it outgrew.
	indexEntry = 64
	// textCost is what parsing the argument of a text opcode (INT, LONG, FLOAT, PUT, GET,
	// ...) costs per byte, beyond a constant: big ints parse through temporaries.
	textCost        = 12
	sparseEntryCost = 96
	// otherValue bounds what a value built by REDUCE of a known global costs (a datetime
	// boxed with its tzinfo, a Decimal, a UUID, ...) beyond its arguments.
	otherValue = 160
)

// chargeHook, when set (by tests), receives what each Decode call charged in all.
var chargeHook func(charged int64)

// memoryBudget returns the most Decode may allocate for an input of n bytes.
func (c *Codec) memoryBudget(n int) int64 {
	f := c.MaxMemory
	switch {
	case f < 0:
		return math.MaxInt64
	case f == 0:
		f = DefaultMaxMemory
	}
	if int64(n) > (math.MaxInt64-DecodeMemoryBase)/int64(f) {
		return math.MaxInt64
	}
	return int64(f)*int64(n) + DecodeMemoryBase
}

// charge records an allocation of n bytes. The caller checks d.left (or leaves it to the next
// step) before anything in proportion to the input is allocated.
func (d *decoder) charge(n int) {
	d.left -= int64(n)
}

// afford reports whether an allocation of n bytes fits in what is left: checked before
// anything in proportion to the input is allocated.
func (d *decoder) afford(n int) bool {
	return d.left >= int64(n)
}

// overBudget reports the budget Decode stopped at.
func (d *decoder) overBudget() error {
	f := d.c.MaxMemory
	if f == 0 {
		f = DefaultMaxMemory
	}
	return fmt.Errorf("%w of %d bytes (%d times the %d-byte input, plus %d)", ErrMemoryBudget,
		d.c.memoryBudget(len(d.buf)), f, len(d.buf), DecodeMemoryBase)
}

// growTo returns the capacity to give a slice of n elements (the stack, the memo, a list)
// that must take k more: twice n, so that each element is copied a bounded number of times
// (append grows large slices by a quarter), but no more than the rest of the input can fill,
// each further element taking at least one byte of it.
func (d *decoder) growTo(n, k int) int {
	return max(n+k, min(2*n, n+k+len(d.buf)-d.pos), 4)
}

// growSlice returns s with capacity n (at least len(s)), in one exact allocation.
func growSlice[T any](s []T, n int) []T {
	t := make([]T, len(s), n)
	copy(t, s)
	return t
}

// heapSize is what the runtime takes for an allocation of n bytes: above 512 bytes an object
// with pointers has an 8-byte header, and size classes (then whole pages past 32 KiB) round
// it up by at most an eighth.
func heapSize(n int) int {
	if n <= 512 {
		return n
	}
	return n + n/8 + 8
}

// indexCost is what a dict of n items costs for its hash index (built past 8 items).
func indexCost(n int) int {
	if n <= 8 {
		return 0
	}
	return n * indexEntry
}

// emptyTuple is the one empty tuple Decode returns, boxed once (as CPython's is a singleton).
var emptyTuple any = py.Tuple{}

// emptyList is every empty list Decode makes, boxed once: it has no room, so an APPEND to it
// makes a new slice and never writes to the shared one.
var emptyList any = []any{}

// boxCost returns what boxing the scalar v in an any costs, with its own data.
func boxCost(v any) int {
	switch x := v.(type) {
	case nil, bool:
		return 0
	case int64:
		if x >= 0 && x < 256 {
			return 0 // the runtime boxes these without allocating
		}
		return boxedWord
	case float64:
		return boxedWord
	case string:
		return boxedStr
	case []byte, py.ByteArray:
		return boxedSlice
	case *big.Int:
		return 64 + 2*(x.BitLen()/8+8)
	case py.Global:
		return 32 + len(x.Module) + len(x.Name)
	}
	return otherValue
}

// reducedCost returns what the value REDUCE built costs beyond its arguments (a set built by
// REDUCE is charged as it is built).
func reducedCost(v any) int {
	switch x := v.(type) {
	case *py.Set, *py.FrozenSet:
		return 0
	case *py.Object:
		return sizeObject
	case *py.OrderedDict:
		return 64
	case py.ByteArray:
		return boxedSlice + len(x)
	case []byte:
		return boxedSlice + len(x)
	}
	return otherValue
}
