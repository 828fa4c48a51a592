package py

import (
	"bytes"
	"math"
	"math/big"
	"unsafe"
)

// maxEqualDepth bounds the recursion of Equal: deeper values compare unequal.
const maxEqualDepth = 10000

// Equal reports whether a and b are the same Python value, compared type-strictly (the
// comparison of compat_test/FORMAT.md): 1, 1.0 and True differ; a tuple is not a list; floats
// compare by bits (so NaN equals the same NaN); sets are unordered; dicts are ordered; an int64
// equals a *big.Int of the same value. Shared and cyclic values are handled.
func Equal(a, b any) bool {
	c := comparer{}
	return c.eq(a, b, 0)
}

type comparer struct {
	seen map[[4]uintptr]bool
}

// visit records a pair of containers; it reports false when the pair is already being (or was)
// compared, which is then taken as equal.
func (c *comparer) visit(pa, la, pb, lb uintptr) bool {
	if c.seen == nil {
		c.seen = make(map[[4]uintptr]bool)
	}
	k := [4]uintptr{pa, la, pb, lb}
	if c.seen[k] {
		return false
	}
	c.seen[k] = true
	return true
}

func sliceID[T any](s []T) (uintptr, uintptr) {
	return uintptr(unsafe.Pointer(unsafe.SliceData(s))), uintptr(len(s))
}

// eqSlices reports whether a and b hold equal elements by eqElem. A pair of slices already
// visited counts as equal (see visit).
func eqSlices[T any](c *comparer, a, b []T, eqElem func(x, y T) bool) bool {
	if len(a) != len(b) {
		return false
	}
	if len(a) == 0 {
		return true
	}
	pa, la := sliceID(a)
	pb, lb := sliceID(b)
	if !c.visit(pa, la, pb, lb) {
		return true
	}
	for i := range a {
		if !eqElem(a[i], b[i]) {
			return false
		}
	}
	return true
}

func (c *comparer) eqList(a, b []any, depth int) bool {
	return eqSlices(c, a, b, func(x, y any) bool { return c.eq(x, y, depth+1) })
}

func (c *comparer) eqItems(a, b []Item, depth int) bool {
	return eqSlices(c, a, b, func(x, y Item) bool {
		return c.eq(x.Key, y.Key, depth+1) && c.eq(x.Value, y.Value, depth+1)
	})
}

func (c *comparer) eqSet(a, b *Set, depth int) bool {
	if a.Len() != b.Len() {
		return false
	}
	if a.Len() == 0 {
		return true
	}
	if !c.visit(uintptr(unsafe.Pointer(a)), 0, uintptr(unsafe.Pointer(b)), 0) {
		return true
	}
	byKey := make(map[hashKey][]int, b.Len())
	for i, it := range b.items {
		k, err := keyOf(it)
		if err != nil {
			return false
		}
		byKey[k] = append(byKey[k], i)
	}
	used := make([]bool, b.Len())
	for _, it := range a.items {
		k, err := keyOf(it)
		if err != nil {
			return false
		}
		found := false
		for _, j := range byKey[k] {
			if !used[j] && c.eq(it, b.items[j], depth+1) {
				used[j], found = true, true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

func asBig(v any) (*big.Int, bool) {
	switch x := v.(type) {
	case int64:
		return big.NewInt(x), true
	case int:
		return big.NewInt(int64(x)), true
	case *big.Int:
		return x, x != nil
	}
	return nil, false
}

func (c *comparer) eq(a, b any, depth int) bool {
	if depth > maxEqualDepth {
		return false
	}
	if ia, ok := asBig(a); ok {
		ib, ok := asBig(b)
		return ok && ia.Cmp(ib) == 0
	}
	switch x := a.(type) {
	case nil:
		return b == nil
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case float64:
		y, ok := b.(float64)
		return ok && math.Float64bits(x) == math.Float64bits(y)
	case string:
		y, ok := b.(string)
		return ok && x == y
	case []byte:
		y, ok := b.([]byte)
		return ok && bytes.Equal(x, y)
	case ByteArray:
		y, ok := b.(ByteArray)
		return ok && bytes.Equal(x, y)
	case []any:
		y, ok := b.([]any)
		return ok && c.eqList(x, y, depth)
	case Tuple:
		y, ok := b.(Tuple)
		return ok && c.eqList(x, y, depth)
	case *Dict:
		y, ok := b.(*Dict)
		return ok && x != nil && y != nil && c.eqItems(x.items, y.items, depth)
	case *OrderedDict:
		y, ok := b.(*OrderedDict)
		return ok && x != nil && y != nil && c.eqItems(x.items, y.items, depth)
	case *Set:
		y, ok := b.(*Set)
		return ok && x != nil && y != nil && c.eqSet(x, y, depth)
	case *FrozenSet:
		y, ok := b.(*FrozenSet)
		return ok && x != nil && y != nil && c.eqSet(&x.Set, &y.Set, depth)
	case complex128:
		y, ok := b.(complex128)
		return ok && math.Float64bits(real(x)) == math.Float64bits(real(y)) && math.Float64bits(imag(x)) == math.Float64bits(imag(y))
	case DateTime:
		y, ok := b.(DateTime)
		if !ok {
			return false
		}
		xt, yt := x, y
		xt.TZ, yt.TZ = nil, nil
		return xt == yt && c.eqTZ(x.TZ, y.TZ)
	case Time:
		y, ok := b.(Time)
		if !ok {
			return false
		}
		xt, yt := x, y
		xt.TZ, yt.TZ = nil, nil
		return xt == yt && c.eqTZ(x.TZ, y.TZ)
	case Date, TimeDelta, Decimal, UUID, Global:
		return a == b
	case TimeZone, ZoneInfo, PytzZone:
		bz, ok := b.(TZInfo)
		return ok && c.eqTZ(x.(TZInfo), bz)
	case *Object:
		y, ok := b.(*Object)
		if !ok || x == nil || y == nil {
			return false
		}
		if x == y {
			return true
		}
		if !c.visit(uintptr(unsafe.Pointer(x)), 0, uintptr(unsafe.Pointer(y)), 0) {
			return true
		}
		if x.Global != y.Global || x.How != y.How || x.HasState != y.HasState || len(x.DictItems) != len(y.DictItems) {
			return false
		}
		if !c.eqList(x.Args, y.Args, depth) || !c.eqList(x.ListItems, y.ListItems, depth) {
			return false
		}
		if (x.Kwargs == nil) != (y.Kwargs == nil) && (x.Kwargs.Len() != 0 || y.Kwargs.Len() != 0) {
			return false
		}
		if x.Kwargs != nil && y.Kwargs != nil && !c.eqItems(x.Kwargs.items, y.Kwargs.items, depth) {
			return false
		}
		if x.HasState && !c.eq(x.State, y.State, depth+1) {
			return false
		}
		for i := range x.DictItems {
			if !c.eq(x.DictItems[i][0], y.DictItems[i][0], depth+1) || !c.eq(x.DictItems[i][1], y.DictItems[i][1], depth+1) {
				return false
			}
		}
		return true
	}
	return false
}

func (c *comparer) eqTZ(a, b TZInfo) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	switch x := a.(type) {
	case TimeZone:
		y, ok := b.(TimeZone)
		if !ok || x.Offset != y.Offset || (x.Name == nil) != (y.Name == nil) {
			return false
		}
		return x.Name == nil || *x.Name == *y.Name
	case ZoneInfo:
		y, ok := b.(ZoneInfo)
		return ok && x == y
	case PytzZone:
		y, ok := b.(PytzZone)
		return ok && x.Callable == y.Callable && c.eqList(x.Args, y.Args, 0)
	}
	return false
}
