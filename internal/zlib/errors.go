package zlib

import "errors"

// ErrCorrupt matches every error caused by the compressed input: a stream Python's
// zlib.decompress rejects, or one that inflates past the caller's limit.
var ErrCorrupt = errors.New("zlib: corrupt data")
