// Package zlib is the zlib format as Django's signing uses it: [Compress] writes the bytes
// CPython's zlib.compress(data) writes (zlib 1.2.13, level 6), so that a value Go signs is the
// value Django signs; [Decompress] is Python's zlib.decompress(data) with a bound on the
// inflated size, checked as it inflates, so that a small hostile payload cannot make it
// allocate past the caller's limit.
//
// Errors caused by the input match [ErrCorrupt]; a payload past the limit is a
// [*DecompressedSizeError].
package zlib
