// Package pickle reads and writes Python pickles without Python: the format Django's cache
// session backends (and django-redis, and Django's cache framework generally) store values in.
// [Unmarshal] and [Marshal] use the default [Codec]; a Codec carries the limits, the
// allow-list of globals and the protocol. Values are those of package py (the type table is in
// its documentation).
//
// Decode reads everything CPython's pickle writes at protocols 0 to 5 (Python 2 str decoded as
// ASCII, as Python 3's default encoding="ASCII" does). It refuses persistent IDs, the
// extension registry, out-of-band buffers, recursive (self-containing) lists and dicts, a
// container changed after it was referenced twice (by a memo GET or a DUP: CPython would
// change it for both references), and tzinfo names longer than 255 bytes. A value the pickle
// references twice (memo GET, DUP) is one Go value, as it is one Python object.
// Encode writes protocols 2 to 5 the way CPython's C pickler does; for values without shared
// references the bytes are CPython's own.
//
// # Reading only what is used
//
// [Codec.DecodeLazy] checks a pickled dict whole, as strictly as Decode (a pickle Decode
// rejects is rejected, with Decode's error), but builds none of its values: a [LazyDict]
// records where each top-level value lies, and builds one value on its first
// [LazyDict.Get]. Len, Keys and Has build nothing. A session whose request reads its three
// auth keys pays for those, whatever else it holds. [LazyDict.AppendItems] writes the dict
// back with changed items appended to the original bytes (a SETITEMS batch CPython applies to
// the same dict), so that untouched values are not encoded again. DecodeLazy reads the
// opcodes CPython writes for dicts of plain values (str, bytes, int, float, bool, None, list,
// tuple, dict); a pickle with anything else (a datetime, a set, an object, text opcodes) is
// decoded whole at once and served from the decoded dict.
//
// # Safety
//
// Decode never imports, resolves or calls anything. A global (a class or function a pickle
// names) decodes only when it is one of [DefaultAllowedGlobals], which become the types of
// package py, or listed in Codec.AllowGlobals, which become inert *py.Object values; any other
// (os.system, builtins.eval, an app's class) fails with a [*ForbiddenGlobalError] naming it.
// Encode writes only the globals of those types and those of Objects whose Global is
// allow-listed, so a value built from untrusted input cannot make Python import or call
// anything else. Decode bounds the input size, nesting depth, stack and memo, checks every
// length field against the remaining input before allocating, does not panic, and reports
// every failure as an error matching [ErrCorrupt] (an [*Error] with the byte offset and
// opcode, or a *ForbiddenGlobalError).
//
// # Memory budget
//
// One Decode call allocates at most Codec.MaxMemory × len(data) + [DecodeMemoryBase] bytes in
// all: by default 64 times the input plus 64 KiB, so at most 1 GiB for an input of
// [DefaultMaxSize]. That counts the value returned, the decoder's stack and memo, and the
// garbage it leaves (the backing arrays its slices outgrew). Past it, Decode fails with an
// [*Error] wrapping [ErrMemoryBudget]. It holds because every allocation the decoder makes
// is charged, at the size the Go runtime takes for it (size classes, and the 8-byte header of
// large objects with pointers), and the charge of anything in proportion to the input is
// checked before it is allocated; a test compares the charges with runtime.MemStats for
// CPython's pickles and crafted worst cases. Slices grow twofold, but never past what the rest
// of the input could fill (each further element takes at least one byte of it), so each
// element is copied a bounded number of times; strs and bytes point into one copy of the
// input; an empty tuple or list is one shared value; dict and set indexes take 8 bytes a
// slot.
//
// What it costs: the pickles CPython writes take up to about 42 times their size (a set of
// 1,000 ints at protocol 1; a session dict of strs takes under 10; a list of 1,000,000 ints
// 10). CPython itself needs up to about 73 times (a list of empty dicts, one byte each; 236
// times for empty sets). The Go value model costs more per container than CPython in places
// (an any is 16 bytes where a list slot is 8; a stack or memo entry 32): crafted pickles of
// one byte per container need 78 times (empty dicts), 89 times (empty dicts, each memoized)
// or 138 times (800,000 of them on the stack in one batch), and are refused at the default
// budget; lists of one-byte values (None, DUP, memo refs) need 42 times. Set MaxMemory higher
// to accept them, or lower to spend less.
package pickle
