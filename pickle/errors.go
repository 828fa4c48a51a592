package pickle

import "errors"

// ErrCorrupt matches every error Decode returns: a pickle that is malformed, exceeds a limit,
// or names a global outside the allow-list. The input is untrusted; reject it.
var ErrCorrupt = errors.New("pickle: corrupt data")
