package pickle

import (
	"errors"
	"fmt"
	"slices"

	"github.com/djangobridge/bridge/py"
)

// DefaultMaxSize is the input size limit of [Codec.Decode] when MaxSize is 0.
const DefaultMaxSize = 16 << 20

// DefaultMaxDepth is the nesting limit of [Codec] when MaxDepth is 0.
const DefaultMaxDepth = 200

// Codec decodes and encodes Python pickles, the format Django's cache session backends
// store a session dict in. The zero value is ready to use: default limits, protocol 5 on
// encode, and the default allow-list of globals (see [DefaultAllowedGlobals]).
//
// Nothing in a pickle is ever imported, resolved or executed: globals outside the allow-list
// are refused with a [*ForbiddenGlobalError], and the ones in AllowGlobals are kept as inert
// [*Object] values that Encode writes back unchanged.
//
// A Codec is safe for concurrent use as long as its fields are not changed.
type Codec struct {
	// Protocol is the pickle protocol Encode writes, 2 to 5. 0 means 5, what Django's own cache
	// backends write (django-redis writes 4).
	Protocol int

	// Intern, when set, is the strs Decode returns pre-boxed (see [Interner]); nil interns
	// nothing.
	Intern *Interner

	// AllowGlobals lists extra globals, as "module.QualName", that Decode accepts. Their
	// instances decode to inert [*Object] values, and Encode writes an [*Object] only when its
	// Global is listed here.
	AllowGlobals []string

	// MaxSize is the largest input Decode accepts, in bytes. 0 means DefaultMaxSize;
	// -1 means no limit.
	MaxSize int

	// MaxMemory is the memory budget of Decode, as a multiple of the input size: one Decode
	// call allocates at most MaxMemory×len(data) + DecodeMemoryBase bytes in all (the value
	// it returns, its working state and the garbage it leaves), and fails with an [*Error]
	// wrapping ErrMemoryBudget before it would allocate more. 0 means DefaultMaxMemory
	// (64); -1 means no limit. CPython's own unpickler needs up to about 72 times the input
	// (a pickle of empty dicts); see the package documentation.
	MaxMemory int

	// MaxDepth is the deepest nesting of containers Decode accepts. 0 means
	// DefaultMaxDepth. Encode accepts values 4 times as deep (its own forms of some types
	// nest deeper than the values), so that whatever Decode returns can be written back.
	MaxDepth int
}

// allows reports whether g is in c.AllowGlobals, without allocating.
func (c *Codec) allows(g py.Global) bool {
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
func (c *Codec) objectAllowed(o *py.Object) bool {
	if c.allows(o.Global) {
		return true
	}
	if o.Global == gReconstruct && o.How == "reduce" && len(o.Args) == 3 {
		_, isBase := o.Args[1].(py.Global)
		cls, ok := o.Args[0].(py.Global)
		return ok && isBase && c.allows(cls)
	}
	return false
}

// Unmarshal decodes a pickle with the zero [Codec].
func Unmarshal(data []byte) (any, error) {
	return protocolCodecs[0].Decode(data)
}

// protocolCodecs[p] is the default codec writing protocol p; they are never modified.
var protocolCodecs = [highestProtocol + 1]Codec{{}, {Protocol: 1}, {Protocol: 2}, {Protocol: 3}, {Protocol: 4}, {Protocol: 5}}

// Marshal encodes v at the given protocol (2 to 5; 0 means 5) with the default
// allow-list.
func Marshal(v any, protocol int) ([]byte, error) {
	if protocol >= 0 && protocol <= highestProtocol {
		return protocolCodecs[protocol].Encode(v)
	}
	c := Codec{Protocol: protocol}
	return c.Encode(v)
}

// Error reports a pickle that could not be decoded: the byte offset of the opcode that
// failed, the opcode, and the cause. It unwraps to Err and always matches ErrCorrupt.
type Error struct {
	Offset int64 // offset of the failing opcode in the input
	Opcode byte  // the failing opcode (0 when the input ended before one)
	Err    error // the cause
}

// Error describes the failure with its offset and opcode.
func (e *Error) Error() string {
	return fmt.Sprintf("pickle: at offset %d (opcode %s): %v", e.Offset, opName(e.Opcode), e.Err)
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Is reports that an Error matches ErrCorrupt.
func (e *Error) Is(target error) bool { return target == ErrCorrupt }

// ForbiddenGlobalError reports a pickle naming a global (a class or function) outside the
// allow-list, or an [*Object] to encode whose Global is not allow-listed. It matches ErrCorrupt.
type ForbiddenGlobalError struct {
	Global py.Global
}

// Error names the global.
func (e *ForbiddenGlobalError) Error() string {
	return "pickle: global " + e.Global.String() + " is not allowed"
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
		return fmt.Sprintf("pickle: cannot encode %T: %s", e.Value, e.Reason)
	}
	return fmt.Sprintf("pickle: cannot encode Go type %T", e.Value)
}

// errPickle builds the causes wrapped in Error.
func errPickle(format string, args ...any) error {
	return fmt.Errorf(format, args...)
}

var errTruncated = errors.New("unexpected end of input")

// The globals this package knows: each one decodes to a value of the Go value model (see the
// package documentation) and is written by Encode only as part of that value.
var (
	gDateTime    = py.Global{Module: "datetime", Name: "datetime"}
	gDate        = py.Global{Module: "datetime", Name: "date"}
	gTime        = py.Global{Module: "datetime", Name: "time"}
	gTimeDelta   = py.Global{Module: "datetime", Name: "timedelta"}
	gTimeZone    = py.Global{Module: "datetime", Name: "timezone"}
	gDecimal     = py.Global{Module: "decimal", Name: "Decimal"}
	gUUID        = py.Global{Module: "uuid", Name: "UUID"}
	gOrderedDict = py.Global{Module: "collections", Name: "OrderedDict"}
	gSet         = py.Global{Module: "builtins", Name: "set"}
	gFrozenSet   = py.Global{Module: "builtins", Name: "frozenset"}
	gByteArray   = py.Global{Module: "builtins", Name: "bytearray"}
	gBytes       = py.Global{Module: "builtins", Name: "bytes"}
	gComplex     = py.Global{Module: "builtins", Name: "complex"}
	gObject      = py.Global{Module: "builtins", Name: "object"}
	gList        = py.Global{Module: "builtins", Name: "list"} // the base of list subclasses in copyreg._reconstructor
	gDict        = py.Global{Module: "builtins", Name: "dict"} // the base of dict subclasses in copyreg._reconstructor
	gGetattr     = py.Global{Module: "builtins", Name: "getattr"}
	gEncode      = py.Global{Module: "_codecs", Name: "encode"}
	gReconstruct = py.Global{Module: "copyreg", Name: "_reconstructor"}
	gPytzUTC     = py.Global{Module: "pytz", Name: "_UTC"}
	gPytzP       = py.Global{Module: "pytz", Name: "_p"}
	gPytzFixed   = py.Global{Module: "pytz", Name: "FixedOffset"}
	gZoneInfo    = py.Global{Module: "zoneinfo", Name: "ZoneInfo"}
	gZoneInfoNew = py.Global{Module: "zoneinfo", Name: "ZoneInfo._unpickle"}
)

var knownGlobals = map[py.Global]bool{
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

// DefaultAllowedGlobals returns the globals every Codec accepts, as "module.QualName":
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

var py2Names = map[py.Global]py.Global{
	{Module: "__builtin__", Name: "unicode"}:    {Module: "builtins", Name: "str"},
	{Module: "__builtin__", Name: "long"}:       {Module: "builtins", Name: "int"},
	{Module: "__builtin__", Name: "basestring"}: {Module: "builtins", Name: "str"},
	{Module: "__builtin__", Name: "xrange"}:     {Module: "builtins", Name: "range"},
	{Module: "__builtin__", Name: "unichr"}:     {Module: "builtins", Name: "chr"},
}

func py2to3(mod, name string) (string, string) {
	if g, ok := py2Names[py.Global{Module: mod, Name: name}]; ok {
		return g.Module, g.Name
	}
	if m, ok := py2Modules[mod]; ok {
		return m, name
	}
	return mod, name
}

// py3to2 is the reverse mapping, applied by Encode below protocol 3 as CPython's fix_imports.
func py3to2(g py.Global) py.Global {
	for k, v := range py2Modules {
		if v == g.Module {
			return py.Global{Module: k, Name: g.Name}
		}
	}
	return g
}
