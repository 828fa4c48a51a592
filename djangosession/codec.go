package djangosession

import (
	"errors"
	"fmt"
	"slices"
)

// DefaultMaxPickleSize is the input size limit of [PickleCodec.Decode] when MaxSize is 0.
const DefaultMaxPickleSize = 16 << 20

// DefaultMaxPickleDepth is the nesting limit of [PickleCodec] when MaxDepth is 0.
const DefaultMaxPickleDepth = 200

// PickleCodec decodes and encodes Python pickles, the format Django's cache session backends
// store a session dict in. The zero value is ready to use: default limits, protocol 5 on
// encode, and the default allow-list of globals (see [DefaultAllowedGlobals]).
//
// Nothing in a pickle is ever imported, resolved or executed: globals outside the allow-list
// are refused with a [*ForbiddenGlobalError], and the ones in AllowGlobals are kept as inert
// [*Object] values that Encode writes back unchanged.
//
// A PickleCodec is safe for concurrent use as long as its fields are not changed.
type PickleCodec struct {
	// Protocol is the pickle protocol Encode writes, 2 to 5. 0 means 5, what Django's own cache
	// backends write (django-redis writes 4).
	Protocol int

	// AllowGlobals lists extra globals, as "module.QualName", that Decode accepts. Their
	// instances decode to inert [*Object] values, and Encode writes an [*Object] only when its
	// Global is listed here.
	AllowGlobals []string

	// MaxSize is the largest input Decode accepts, in bytes. 0 means DefaultMaxPickleSize;
	// -1 means no limit.
	MaxSize int

	// MaxDepth is the deepest nesting of containers Decode accepts. 0 means
	// DefaultMaxPickleDepth. Encode accepts values 4 times as deep (its own forms of some types
	// nest deeper than the values), so that whatever Decode returns can be written back.
	MaxDepth int
}

// allows reports whether g is in c.AllowGlobals, without allocating.
func (c *PickleCodec) allows(g Global) bool {
	for _, s := range c.AllowGlobals {
		m := len(g.Module)
		if len(s) == m+1+len(g.Name) && s[m] == '.' && s[:m] == g.Module && s[m+1:] == g.Name {
			return true
		}
	}
	return false
}

// objectAllowed reports whether an inert object may be decoded or encoded: its Global is in
// AllowGlobals, or it is copyreg._reconstructor(cls, base, state) of an allowed cls (base, a
// Global too, is checked where it is written).
func (c *PickleCodec) objectAllowed(o *Object) bool {
	if c.allows(o.Global) {
		return true
	}
	if o.Global == gReconstruct && o.How == "reduce" && len(o.Args) == 3 {
		_, isBase := o.Args[1].(Global)
		cls, ok := o.Args[0].(Global)
		return ok && isBase && c.allows(cls)
	}
	return false
}

// UnmarshalPickle decodes a pickle with the zero [PickleCodec].
func UnmarshalPickle(data []byte) (any, error) {
	return protocolCodecs[0].Decode(data)
}

// protocolCodecs[p] is the default codec writing protocol p; they are never modified.
var protocolCodecs = [highestProtocol + 1]PickleCodec{{}, {Protocol: 1}, {Protocol: 2}, {Protocol: 3}, {Protocol: 4}, {Protocol: 5}}

// MarshalPickle encodes v at the given protocol (2 to 5; 0 means 5) with the default
// allow-list.
func MarshalPickle(v any, protocol int) ([]byte, error) {
	if protocol >= 0 && protocol <= highestProtocol {
		return protocolCodecs[protocol].Encode(v)
	}
	c := PickleCodec{Protocol: protocol}
	return c.Encode(v)
}

// PickleError reports a pickle that could not be decoded: the byte offset of the opcode that
// failed, the opcode, and the cause. It unwraps to Err and always matches ErrCorrupt.
type PickleError struct {
	Offset int64 // offset of the failing opcode in the input
	Opcode byte  // the failing opcode (0 when the input ended before one)
	Err    error // the cause
}

// Error describes the failure with its offset and opcode.
func (e *PickleError) Error() string {
	return fmt.Sprintf("djangosession: pickle: at offset %d (opcode %s): %v", e.Offset, opName(e.Opcode), e.Err)
}

// Unwrap returns the cause.
func (e *PickleError) Unwrap() error { return e.Err }

// Is reports that a PickleError matches ErrCorrupt.
func (e *PickleError) Is(target error) bool { return target == ErrCorrupt }

// ForbiddenGlobalError reports a pickle naming a global (a class or function) outside the
// allow-list, or an [*Object] to encode whose Global is not allow-listed. It matches ErrCorrupt.
type ForbiddenGlobalError struct {
	Global Global
}

// Error names the global.
func (e *ForbiddenGlobalError) Error() string {
	return "djangosession: pickle: global " + e.Global.String() + " is not allowed"
}

// Is reports that a ForbiddenGlobalError matches ErrCorrupt.
func (e *ForbiddenGlobalError) Is(target error) bool { return target == ErrCorrupt }

// UnsupportedTypeError reports a Go value given to Encode that has no Python equivalent.
type UnsupportedTypeError struct {
	Value  any
	Reason string // why a value of a supported type cannot be written; "" for an unsupported type
}

// Error names the Go type and, when set, the reason.
func (e *UnsupportedTypeError) Error() string {
	if e.Reason != "" {
		return fmt.Sprintf("djangosession: pickle: cannot encode %T: %s", e.Value, e.Reason)
	}
	return fmt.Sprintf("djangosession: pickle: cannot encode Go type %T", e.Value)
}

// errPickle builds the causes wrapped in PickleError.
func errPickle(format string, args ...any) error {
	return fmt.Errorf(format, args...)
}

var errTruncated = errors.New("unexpected end of input")

// The globals this package knows: each one decodes to a value of the Go value model (see the
// package documentation) and is written by Encode only as part of that value.
var (
	gDateTime    = Global{"datetime", "datetime"}
	gDate        = Global{"datetime", "date"}
	gTime        = Global{"datetime", "time"}
	gTimeDelta   = Global{"datetime", "timedelta"}
	gTimeZone    = Global{"datetime", "timezone"}
	gDecimal     = Global{"decimal", "Decimal"}
	gUUID        = Global{"uuid", "UUID"}
	gOrderedDict = Global{"collections", "OrderedDict"}
	gSet         = Global{"builtins", "set"}
	gFrozenSet   = Global{"builtins", "frozenset"}
	gByteArray   = Global{"builtins", "bytearray"}
	gBytes       = Global{"builtins", "bytes"}
	gComplex     = Global{"builtins", "complex"}
	gObject      = Global{"builtins", "object"}
	gList        = Global{"builtins", "list"} // the base of list subclasses in copyreg._reconstructor
	gDict        = Global{"builtins", "dict"} // the base of dict subclasses in copyreg._reconstructor
	gGetattr     = Global{"builtins", "getattr"}
	gEncode      = Global{"_codecs", "encode"}
	gReconstruct = Global{"copyreg", "_reconstructor"}
	gPytzUTC     = Global{"pytz", "_UTC"}
	gPytzP       = Global{"pytz", "_p"}
	gPytzFixed   = Global{"pytz", "FixedOffset"}
	gZoneInfo    = Global{"zoneinfo", "ZoneInfo"}
	gZoneInfoNew = Global{"zoneinfo", "ZoneInfo._unpickle"}
)

var knownGlobals = map[Global]bool{
	gDateTime: true, gDate: true, gTime: true, gTimeDelta: true, gTimeZone: true,
	gDecimal: true, gUUID: true, gOrderedDict: true, gSet: true, gFrozenSet: true,
	gByteArray: true, gBytes: true, gComplex: true, gObject: true, gList: true, gDict: true, gGetattr: true,
	gEncode: true, gReconstruct: true, gPytzUTC: true, gPytzP: true, gPytzFixed: true, gZoneInfo: true,
	gZoneInfoNew: true,
}

// internedNames maps the module and attribute names of the known globals to constants, so
// that decoded Global values do not keep the input alive.
var internedNames = func() map[string]string {
	m := make(map[string]string)
	for g := range knownGlobals {
		m[g.Module], m[g.Name] = g.Module, g.Name
	}
	return m
}()

// DefaultAllowedGlobals returns the globals every PickleCodec accepts, as "module.QualName":
// the classes and helper functions through which CPython pickles the types of the Go value
// model (datetime, Decimal, UUID, OrderedDict, set, frozenset, bytearray, complex, the tzinfo
// classes of datetime, zoneinfo and pytz), and nothing else. Decode turns them into the Go
// types of the package documentation; they are never imported or called.
func DefaultAllowedGlobals() []string {
	out := make([]string, 0, len(knownGlobals))
	for g := range knownGlobals {
		out = append(out, g.String())
	}
	slices.Sort(out)
	return out
}

// py2Modules and py2Names map the Python 2 names CPython writes at protocols 0 to 2 (and
// reads back for protocols below 3) to the Python 3 ones, for the modules this package knows
// (Lib/_compat_pickle.py). Other modules keep their names.
var py2Modules = map[string]string{"__builtin__": "builtins", "copy_reg": "copyreg"}

var py2Names = map[Global]Global{
	{"__builtin__", "unicode"}:    {"builtins", "str"},
	{"__builtin__", "long"}:       {"builtins", "int"},
	{"__builtin__", "basestring"}: {"builtins", "str"},
	{"__builtin__", "xrange"}:     {"builtins", "range"},
	{"__builtin__", "unichr"}:     {"builtins", "chr"},
}

func py2to3(mod, name string) (string, string) {
	if g, ok := py2Names[Global{mod, name}]; ok {
		return g.Module, g.Name
	}
	if m, ok := py2Modules[mod]; ok {
		return m, name
	}
	return mod, name
}

// py3to2 is the reverse mapping, applied by Encode below protocol 3 as CPython's fix_imports.
func py3to2(g Global) Global {
	for k, v := range py2Modules {
		if v == g.Module {
			return Global{k, g.Name}
		}
	}
	return g
}
