package djangosession

import "unsafe"

// Boxing decoded scalars in slabs.
//
// Storing a string, an int64 above 255 or a float64 in an interface makes Go allocate a copy of
// it for the interface to point to: one allocation per str of a session, most of the decoder's
// allocations. The decoder instead appends these values to slabs (one allocation per many
// values) and builds each interface value pointing into its slab, exactly as the runtime's own
// boxing points an interface at the copy it allocated. An interface value is a type word and a
// data pointer (the layout reflect and the runtime share, unchanged since Go 1); the slab
// element is never written again, so the value behaves as any boxed string or number: a type
// assertion copies it out, and the slab stays alive while any value points into it.

// eface is the layout of an empty interface value.
type eface struct {
	typ  unsafe.Pointer
	data unsafe.Pointer
}

func typeWord(v any) unsafe.Pointer { return (*eface)(unsafe.Pointer(&v)).typ }

var (
	stringType  = typeWord("")
	int64Type   = typeWord(int64(0))
	float64Type = typeWord(float64(0))
)

// slabNext appends x to *slab, starting a new slab (so that earlier elements never move) when
// it is full, and returns a pointer to the stored element. first is the size of the first slab.
func slabNext[T any](slab *[]T, x T, first int) unsafe.Pointer {
	if len(*slab) == cap(*slab) {
		n := first
		if cap(*slab) > 0 {
			n = min(2*cap(*slab), 512)
		}
		*slab = make([]T, 0, n)
	}
	*slab = append(*slab, x)
	return unsafe.Pointer(&(*slab)[len(*slab)-1])
}

func makeEface(typ, data unsafe.Pointer) any {
	var v any
	e := (*eface)(unsafe.Pointer(&v))
	e.typ, e.data = typ, data
	return v
}

func (d *decoder) boxStr(s string) any {
	if len(s) == 0 {
		return ""
	}
	return makeEface(stringType, slabNext(&d.strs, s, d.slabSize(0, 24, 512)))
}

func (d *decoder) boxInt(n int64) any {
	if n >= 0 && n < 256 {
		return n // the runtime boxes these without allocating
	}
	return makeEface(int64Type, slabNext(&d.ints, n, d.slabSize(0, 64, 512)))
}

func (d *decoder) boxFloat(f float64) any {
	return makeEface(float64Type, slabNext(&d.floats, f, d.slabSize(0, 64, 512)))
}
