package py

import (
	"encoding/binary"
	"hash/maphash"
)

// keyIndex is the hash index of a [Dict]'s keys or a [Set]'s items: an open-addressing table
// of positions in their items slice, each with 32 bits of its key's hash. A slot is 8 bytes
// and the table is at most half full, so an index costs 8 to 16 bytes per key (a Go map of
// hashKey costs about ten times as much).
type keyIndex struct {
	slots []uint64 // 0: empty; else hash<<32 | position+1
	n     int
}

var indexSeed = maphash.MakeSeed()

// hashOf hashes a key; equal keys hash alike. Both the text and the int of the key go
// through the seeded hash (as a Go map's keys do), so that input cannot be crafted to collide
// (ints that collide under a fixed multiplier would make building a set quadratic).
func hashOf(k hashKey) uint32 {
	h := maphash.String(indexSeed, k.s) + uint64(k.kind)*0x9E3779B97F4A7C15
	if k.n != 0 || k.big {
		var b [9]byte
		binary.LittleEndian.PutUint64(b[:], uint64(k.n))
		if k.big {
			b[8] = 1
		}
		h ^= maphash.Bytes(indexSeed, b[:])
	}
	return uint32(h ^ h>>32)
}

// newKeyIndex returns an index with room for n keys.
func newKeyIndex(n int) *keyIndex {
	size := 16
	for size < 2*n {
		size *= 2
	}
	return &keyIndex{slots: make([]uint64, size)}
}

// reserve returns x (a new index when x is nil, holding the n keys given by key) with room for
// total keys without growing, and the bytes it allocated.
func (x *keyIndex) reserve(total, n int, key func(i int) hashKey) (*keyIndex, int) {
	if x != nil && 2*total <= len(x.slots) {
		return x, 0
	}
	y := newKeyIndex(total)
	if x != nil {
		for _, s := range x.slots {
			if s != 0 {
				y.put(s)
			}
		}
		y.n = x.n
	} else {
		for i := range n {
			y.insert(hashOf(key(i)), i)
		}
	}
	return y, 8 * len(y.slots)
}

// lookup returns the position of the key of hash h for which eq reports true.
func (x *keyIndex) lookup(h uint32, eq func(pos int) bool) (int, bool) {
	mask := uint32(len(x.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		s := x.slots[i]
		if s == 0 {
			return 0, false
		}
		if uint32(s>>32) == h && eq(int(uint32(s))-1) {
			return int(uint32(s)) - 1, true
		}
	}
}

// insert records a new key of hash h at pos.
func (x *keyIndex) insert(h uint32, pos int) {
	if 2*(x.n+1) > len(x.slots) {
		old := x.slots
		x.slots = make([]uint64, 2*len(old))
		for _, s := range old {
			if s != 0 {
				x.put(s)
			}
		}
	}
	x.put(uint64(h)<<32 | uint64(uint32(pos+1)))
	x.n++
}

func (x *keyIndex) put(s uint64) {
	mask := uint32(len(x.slots) - 1)
	i := uint32(s>>32) & mask
	for x.slots[i] != 0 {
		i = (i + 1) & mask
	}
	x.slots[i] = s
}
