package memcachestore

import "unicode/utf8"

// murmur3Chars is MurmurHash3 x86_32 with seed 0 over node + "-" + key, where every character
// (rune) counts as the byte code point & 0xFF and the length is the number of characters: what
// pymemcache's murmur3_32 computes for a Python str. It does not build the joined string.
func murmur3Chars(node, key string) uint32 {
	const c1, c2 = 0xcc9e2d51, 0x1b873593
	var h, k uint32
	n := 0
	feed := func(b byte) {
		k |= uint32(b) << (8 * (n & 3))
		n++
		if n&3 == 0 {
			k *= c1
			k = k<<15 | k>>17
			k *= c2
			h ^= k
			h = h<<13 | h>>19
			h = h*5 + 0xe6546b64
			k = 0
		}
	}
	feedString := func(s string) {
		for i := 0; i < len(s); {
			c := s[i]
			if c < utf8.RuneSelf {
				feed(c)
				i++
				continue
			}
			r, size := utf8.DecodeRuneInString(s[i:])
			feed(byte(r))
			i += size
		}
	}
	feedString(node)
	feed('-')
	feedString(key)
	if n&3 != 0 {
		k *= c1
		k = k<<15 | k>>17
		k *= c2
		h ^= k
	}
	h ^= uint32(n)
	h ^= h >> 16
	h *= 0x85ebca6b
	h ^= h >> 13
	h *= 0xc2b2ae35
	h ^= h >> 16
	return h
}

// oneAtATime is libmemcached's hashkit_one_at_a_time over the key's bytes, each read through a
// signed char as on x86-64 (bytes ≥ 0x80 are sign-extended).
func oneAtATime(key string) uint32 {
	var v uint32
	for i := 0; i < len(key); i++ {
		v += uint32(int32(int8(key[i])))
		v += v << 10
		v ^= v >> 6
	}
	v += v << 3
	v ^= v >> 11
	v += v << 15
	return v
}
