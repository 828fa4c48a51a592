package pickle

import "errors"

// ErrCorrupt matches every error Decode returns: a pickle that is malformed, exceeds a limit,
// or names a global outside the allow-list. The input is untrusted; reject it.
var ErrCorrupt = errors.New("pickle: corrupt data")

// ErrMemoryBudget is the cause (the Err of the [*Error]) when Decode stops because the value
// would cost more memory than the Codec's budget allows (see Codec.MaxMemory).
var ErrMemoryBudget = errors.New("decoding would exceed the memory budget")
