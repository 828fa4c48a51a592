// Package pickle reads and writes Python pickles without Python: the format Django's cache
// session backends (and django-redis, and Django's cache framework generally) store values in.
// [Unmarshal] and [Marshal] use the default [Codec]; a Codec carries the limits, the
// allow-list of globals and the protocol. Values are those of package py (the type table is in
// its documentation).
//
// Decode reads everything CPython's pickle writes at protocols 0 to 5 (Python 2 str decoded as
// ASCII, as Python 3's default encoding="ASCII" does). It refuses persistent IDs, the
// extension registry, out-of-band buffers and recursive (self-containing) lists and dicts.
// Encode writes protocols 2 to 5 the way CPython's C pickler does; for values without shared
// references the bytes are CPython's own.
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
// A Codec is safe for concurrent use as long as its fields are not changed.
package pickle
