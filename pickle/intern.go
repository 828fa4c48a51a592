package pickle

import (
	"errors"
	"math/bits"
	"strconv"
)

// MaxInterned is the most strs an [Interner] holds.
const MaxInterned = 8

// Interner is a small set of str values that [Codec.Decode] returns as shared, pre-boxed Go
// strings instead of allocating a new one each time: the keys a caller knows most of its
// pickles hold (a session store interns the keys Django's own apps write). Only the first
// occurrence of each text in one pickle is interned: a second str of the same text is a
// distinct object in Python (else the pickle would reference the first through its memo), and
// the values of a decoded pickle share strings exactly as the pickle shares them, which
// [Codec.Encode], which memoizes str by identity, relies on.
//
// An Interner is immutable and safe for concurrent use; make it once with [NewInterner].
type Interner struct {
	strs  []string
	boxed []any
	byLen [64]uint8 // bit i of [n] set when strs[i] is n bytes long
}

// NewInterner returns an Interner of strs: at most [MaxInterned], each 1 to 63 bytes long.
func NewInterner(strs ...string) (*Interner, error) {
	if len(strs) > MaxInterned {
		return nil, errors.New("pickle: NewInterner: " + strconv.Itoa(len(strs)) + " strs; at most 8")
	}
	in := &Interner{strs: append([]string(nil), strs...), boxed: make([]any, len(strs))}
	for i, s := range strs {
		if s == "" || len(s) >= len(in.byLen) {
			return nil, errors.New("pickle: NewInterner: " + strconv.Quote(s) + " must be 1 to 63 bytes long")
		}
		in.boxed[i] = s
		in.byLen[len(s)] |= 1 << i
	}
	return in, nil
}

// find returns the index of the str b, skipping the strs whose bit is set in skip, or -1.
func (in *Interner) find(b []byte, skip uint8) int {
	if len(b) == 0 || len(b) >= len(in.byLen) {
		return -1
	}
	for m := in.byLen[len(b)] &^ skip; m != 0; m &= m - 1 {
		i := bits.TrailingZeros8(m)
		if s := in.strs[i]; s[0] == b[0] && s == string(b) {
			return i
		}
	}
	return -1
}

// Strs returns the interned strs.
func (in *Interner) Strs() []string { return append([]string(nil), in.strs...) }
