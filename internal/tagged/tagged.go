package tagged

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/djangobridge/bridge/py"
)

// This file converts between the Go value model and tagged JSON, the JSON form of Python
// values used by the compat fixtures, the tests and the CLI (compat_test/FORMAT.md). Besides
// FORMAT.md's tags it writes and reads {"__py__": "global", "name": "module.QualName"} for a
// bare Global (a class or function reference, e.g. in the arguments of an inert Object).

const (
	taggedMaxDepth = 10000     // deeper values (or cycles) are refused by Marshal
	taggedMaxBytes = 256 << 20 // the largest output Marshal writes
)

// Marshal encodes a value of the Go value model (see the package documentation) as
// tagged JSON. Dicts keep their order. A shareable value (see [shareID]) met more than once
// is written in full the first time, wrapped as {"__py__": "shared", "id": N, "value": ...},
// and as {"__py__": "ref", "id": N} after that, so the output is linear in the size of the
// value's graph, not of its expansion. It fails for values outside the model, for cyclic
// values, and when the output would exceed 256 MiB.
func Marshal(v any) ([]byte, error) {
	w := taggedWriter{}
	if err := w.count(v, 0); err != nil {
		return nil, err
	}
	if err := w.value(v, 0); err != nil {
		return nil, err
	}
	return w.buf, nil
}

type taggedWriter struct {
	buf []byte
	// seen counts the occurrences of each shareable value (0, 1 or 2 for "more than once");
	// ids holds the id of each shared value written so far, and -1 while it is being written
	// (meeting it then means a cycle).
	seen map[identity]uint8
	ids  map[identity]int
	// plain turns sharing off (inside tz objects, whose form depends on their owner).
	plain bool
}

// minSharedLen is the length in bytes from which a str, bytes, bytearray or Decimal is
// shareable: shorter ones are written out at each reference, which costs a bounded amount
// per reference.
const minSharedLen = 8

// identity identifies a shareable value as the decoders share it: by the address (and
// length) of its data.
type identity struct {
	kind byte
	p    uintptr
	n    int
}

// shareID returns the identity of a shareable value: a str, bytes or bytearray of at least
// minSharedLen bytes (a str counted in UTF-8, lone surrogates as surrogatepass), an int
// outside the int64 range (*big.Int), a Decimal whose text has at least minSharedLen bytes,
// a non-empty list or tuple, a dict, OrderedDict, set, frozenset or inert object. Values of
// other types have no identity and are written out each time (each is of bounded size).
func shareID(v any) (identity, bool) {
	switch x := v.(type) {
	case string:
		if len(x) >= minSharedLen {
			return identity{'s', uintptr(unsafe.Pointer(unsafe.StringData(x))), len(x)}, true
		}
	case []byte:
		if len(x) >= minSharedLen {
			return identity{'b', uintptr(unsafe.Pointer(unsafe.SliceData(x))), len(x)}, true
		}
	case py.ByteArray:
		if len(x) >= minSharedLen {
			return identity{'a', uintptr(unsafe.Pointer(unsafe.SliceData(x))), len(x)}, true
		}
	case *big.Int:
		if x != nil && !x.IsInt64() {
			return identity{'i', uintptr(unsafe.Pointer(x)), 0}, true
		}
	case py.Decimal:
		if len(x.Value) >= minSharedLen {
			return identity{'D', uintptr(unsafe.Pointer(unsafe.StringData(x.Value))), len(x.Value)}, true
		}
	case []any:
		if len(x) > 0 {
			return identity{'l', uintptr(unsafe.Pointer(unsafe.SliceData(x))), len(x)}, true
		}
	case py.Tuple:
		if len(x) > 0 {
			return identity{'t', uintptr(unsafe.Pointer(unsafe.SliceData(x))), len(x)}, true
		}
	case *py.Dict:
		if x != nil {
			return identity{'d', uintptr(unsafe.Pointer(x)), 0}, true
		}
	case *py.OrderedDict:
		if x != nil {
			return identity{'o', uintptr(unsafe.Pointer(x)), 0}, true
		}
	case *py.Set:
		if x != nil {
			return identity{'S', uintptr(unsafe.Pointer(x)), 0}, true
		}
	case *py.FrozenSet:
		if x != nil {
			return identity{'F', uintptr(unsafe.Pointer(x)), 0}, true
		}
	case *py.Object:
		if x != nil {
			return identity{'O', uintptr(unsafe.Pointer(x)), 0}, true
		}
	}
	return identity{}, false
}

// count records the occurrences of the shareable values of v, visiting the inside of each
// one once: its work is linear in the size of the graph.
func (w *taggedWriter) count(v any, depth int) error {
	if depth > taggedMaxDepth {
		return ErrLimit
	}
	if id, ok := shareID(v); ok {
		if w.seen == nil {
			w.seen = make(map[identity]uint8)
		}
		n := w.seen[id]
		if n > 0 {
			w.seen[id] = 2
			return nil
		}
		w.seen[id] = 1
	}
	list := func(items []any) error {
		for _, it := range items {
			if err := w.count(it, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	pairs := func(items []py.Item) error {
		for _, it := range items {
			if err := w.count(it.Key, depth+1); err != nil {
				return err
			}
			if err := w.count(it.Value, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	switch x := v.(type) {
	case []any:
		return list(x)
	case py.Tuple:
		return list(x)
	case *py.Set:
		return list(x.Items())
	case *py.FrozenSet:
		return list(x.Items())
	case *py.Dict:
		return pairs(x.Items())
	case *py.OrderedDict:
		return pairs(x.Items())
	case *py.Object:
		if x == nil {
			return nil
		}
		if err := list(x.Args); err != nil {
			return err
		}
		if x.How == "newobj_ex" && x.Kwargs != nil {
			if err := w.count(x.Kwargs, depth+1); err != nil {
				return err
			}
		}
		if x.HasState {
			if err := w.count(x.State, depth+1); err != nil {
				return err
			}
		}
		if err := list(x.ListItems); err != nil {
			return err
		}
		for _, kv := range x.DictItems {
			if err := w.count(kv[0], depth+1); err != nil {
				return err
			}
			if err := w.count(kv[1], depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}

// shared reports whether v is a shareable value met more than once, and returns its identity.
func (w *taggedWriter) shared(v any) (identity, bool) {
	if w.plain || w.seen == nil {
		return identity{}, false
	}
	id, ok := shareID(v)
	return id, ok && w.seen[id] > 1
}

// ErrLimit: a value too deep, cyclic or too large for Marshal.
var ErrLimit = errors.New("tagged JSON: value too deep, cyclic or too large (output over 256 MiB, or an int of more than 131072 bits)")

func (w *taggedWriter) str(s string) {
	w.buf = append(w.buf, '"')
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			w.buf = append(w.buf, '\\', c)
		case c < 0x20:
			switch c {
			case '\n':
				w.buf = append(w.buf, '\\', 'n')
			case '\r':
				w.buf = append(w.buf, '\\', 'r')
			case '\t':
				w.buf = append(w.buf, '\\', 't')
			default:
				w.buf = append(w.buf, `\u00`...)
				w.buf = append(w.buf, "0123456789abcdef"[c>>4], "0123456789abcdef"[c&15])
			}
		default:
			w.buf = append(w.buf, c)
		}
		i++
	}
	w.buf = append(w.buf, '"')
}

func (w *taggedWriter) tag(t string) {
	w.buf = append(w.buf, `{"__py__":`...)
	w.str(t)
}

func (w *taggedWriter) field(name string) {
	w.buf = append(w.buf, ',')
	w.str(name)
	w.buf = append(w.buf, ':')
}

func (w *taggedWriter) b64(b []byte) {
	w.buf = append(w.buf, '"')
	w.buf = base64.StdEncoding.AppendEncode(w.buf, b)
	w.buf = append(w.buf, '"')
}

func (w *taggedWriter) list(items []any, depth int) error {
	w.buf = append(w.buf, '[')
	for i, it := range items {
		if i > 0 {
			w.buf = append(w.buf, ',')
		}
		if err := w.value(it, depth+1); err != nil {
			return err
		}
	}
	w.buf = append(w.buf, ']')
	return nil
}

func (w *taggedWriter) pairs(items []py.Item, depth int) error {
	w.buf = append(w.buf, '[')
	for i, it := range items {
		if i > 0 {
			w.buf = append(w.buf, ',')
		}
		w.buf = append(w.buf, '[')
		if err := w.value(it.Key, depth+1); err != nil {
			return err
		}
		w.buf = append(w.buf, ',')
		if err := w.value(it.Value, depth+1); err != nil {
			return err
		}
		w.buf = append(w.buf, ']')
	}
	w.buf = append(w.buf, ']')
	return nil
}

func (w *taggedWriter) float(f float64) {
	w.tag("float")
	w.field("repr")
	w.str(py.FloatRepr(f))
	w.field("bits")
	var bits [8]byte
	u := math.Float64bits(f)
	for i := range bits {
		bits[i] = byte(u >> (56 - 8*i))
	}
	w.buf = append(w.buf, '"')
	w.buf = hex.AppendEncode(w.buf, bits[:])
	w.buf = append(w.buf, `"}`...)
}

// taggedMaxIntBits caps the ints Marshal converts to decimal (which takes more than
// linear time); Python itself refuses str() of ints beyond 4300 digits by default.
const taggedMaxIntBits = 1 << 17

func (w *taggedWriter) int(n *big.Int) error {
	if n.IsInt64() && n.Int64() > -(1<<53) && n.Int64() < 1<<53 {
		w.buf = strconv.AppendInt(w.buf, n.Int64(), 10)
		return nil
	}
	if n.BitLen() > taggedMaxIntBits {
		return ErrLimit
	}
	w.tag("int")
	w.field("value")
	w.str(n.String())
	w.buf = append(w.buf, '}')
	return nil
}

func (w *taggedWriter) value(v any, depth int) error {
	if depth > taggedMaxDepth || len(w.buf) > taggedMaxBytes {
		return ErrLimit
	}
	if id, ok := w.shared(v); ok {
		if n, done := w.ids[id]; done {
			if n < 0 {
				return ErrLimit // a cycle
			}
			w.buf = append(w.buf, `{"__py__":"ref","id":`...)
			w.buf = strconv.AppendInt(w.buf, int64(n), 10)
			w.buf = append(w.buf, '}')
			return nil
		}
		if w.ids == nil {
			w.ids = make(map[identity]int)
		}
		n := len(w.ids)
		w.ids[id] = -1
		w.buf = append(w.buf, `{"__py__":"shared","id":`...)
		w.buf = strconv.AppendInt(w.buf, int64(n), 10)
		w.buf = append(w.buf, `,"value":`...)
		if err := w.unshared(v, depth); err != nil {
			return err
		}
		w.buf = append(w.buf, '}')
		w.ids[id] = n
		return nil
	}
	return w.unshared(v, depth)
}

// unshared writes v in full.
func (w *taggedWriter) unshared(v any, depth int) error {
	switch x := v.(type) {
	case nil:
		w.buf = append(w.buf, "null"...)
	case bool:
		w.buf = strconv.AppendBool(w.buf, x)
	case int64:
		if x > -(1<<53) && x < 1<<53 {
			w.buf = strconv.AppendInt(w.buf, x, 10)
		} else {
			return w.int(big.NewInt(x))
		}
	case int:
		return w.value(int64(x), depth)
	case *big.Int:
		if x == nil {
			return fmt.Errorf("tagged JSON: cannot write Go type %T: %w", v, errors.ErrUnsupported)
		}
		return w.int(x)
	case float64:
		w.float(x)
	case string:
		if utf8.ValidString(x) {
			w.str(x)
		} else {
			w.tag("str")
			w.field("utf8_surrogatepass_b64")
			w.b64([]byte(x))
			w.buf = append(w.buf, '}')
		}
	case []byte:
		w.tag("bytes")
		w.field("b64")
		w.b64(x)
		w.buf = append(w.buf, '}')
	case py.ByteArray:
		w.tag("bytearray")
		w.field("b64")
		w.b64(x)
		w.buf = append(w.buf, '}')
	case []any:
		return w.list(x, depth)
	case py.Tuple:
		w.tag("tuple")
		w.field("items")
		if err := w.list(x, depth); err != nil {
			return err
		}
		w.buf = append(w.buf, '}')
	case *py.Set:
		w.tag("set")
		w.field("items")
		if err := w.list(x.Items(), depth); err != nil {
			return err
		}
		w.buf = append(w.buf, '}')
	case *py.FrozenSet:
		w.tag("frozenset")
		w.field("items")
		if err := w.list(x.Items(), depth); err != nil {
			return err
		}
		w.buf = append(w.buf, '}')
	case *py.Dict:
		plain := true
		for _, it := range x.Items() {
			s, ok := it.Key.(string)
			if !ok || s == "__py__" || !utf8.ValidString(s) {
				plain = false
				break
			}
			if _, sh := w.shared(s); sh {
				plain = false // a JSON object key cannot be a shared value or a reference
				break
			}
		}
		if !plain {
			w.tag("dict")
			w.field("items")
			if err := w.pairs(x.Items(), depth); err != nil {
				return err
			}
			w.buf = append(w.buf, '}')
			return nil
		}
		w.buf = append(w.buf, '{')
		for i, it := range x.Items() {
			if i > 0 {
				w.buf = append(w.buf, ',')
			}
			w.str(it.Key.(string))
			w.buf = append(w.buf, ':')
			if err := w.value(it.Value, depth+1); err != nil {
				return err
			}
		}
		w.buf = append(w.buf, '}')
	case *py.OrderedDict:
		w.tag("OrderedDict")
		w.field("items")
		if err := w.pairs(x.Items(), depth); err != nil {
			return err
		}
		w.buf = append(w.buf, '}')
	case complex128:
		w.tag("complex")
		w.field("real")
		w.float(real(x))
		w.field("imag")
		w.float(imag(x))
		w.buf = append(w.buf, '}')
	case py.DateTime:
		w.tag("datetime")
		w.field("iso")
		naive := x
		naive.TZ = nil
		w.str(naive.Isoformat())
		w.field("fold")
		w.buf = strconv.AppendInt(w.buf, int64(x.Fold), 10)
		w.field("tzinfo")
		w.tz(x.TZ, &x)
		w.buf = append(w.buf, '}')
	case py.Date:
		w.tag("date")
		w.field("iso")
		w.str(x.Isoformat())
		w.buf = append(w.buf, '}')
	case py.Time:
		w.tag("time")
		w.field("iso")
		w.str(x.Isoformat())
		w.field("fold")
		w.buf = strconv.AppendInt(w.buf, int64(x.Fold), 10)
		w.field("tzinfo")
		w.tz(x.TZ, nil)
		w.buf = append(w.buf, '}')
	case py.TimeDelta:
		w.tag("timedelta")
		w.field("days")
		w.buf = strconv.AppendInt(w.buf, x.Days, 10)
		w.field("seconds")
		w.buf = strconv.AppendInt(w.buf, x.Seconds, 10)
		w.field("microseconds")
		w.buf = strconv.AppendInt(w.buf, x.Microseconds, 10)
		w.buf = append(w.buf, '}')
	case py.Decimal:
		w.tag("decimal")
		w.field("value")
		w.str(x.Value)
		w.buf = append(w.buf, '}')
	case py.UUID:
		w.tag("uuid")
		w.field("value")
		w.str(x.String())
		switch x.IsSafe {
		case py.SafeUUIDSafe:
			w.field("is_safe")
			w.str("safe")
		case py.SafeUUIDUnsafe:
			w.field("is_safe")
			w.str("unsafe")
		}
		w.buf = append(w.buf, '}')
	case py.Global:
		w.tag("global")
		w.field("name")
		w.str(x.String())
		w.buf = append(w.buf, '}')
	case *py.Object:
		return w.object(x, depth)
	case py.TimeZone, py.ZoneInfo, py.PytzZone:
		// A bare tzinfo (not a datetime's): the object Python's __reduce__ describes.
		return w.object(tzObject(x.(py.TZInfo)), depth)
	default:
		return fmt.Errorf("tagged JSON: cannot write Go type %T: %w", v, errors.ErrUnsupported)
	}
	return nil
}

// tzObject returns a bare tzinfo as the inert object its pickle (and pytagged) describes:
// zoneinfo.ZoneInfo._unpickle(key, 1), datetime.timezone(offset[, name]), or the pytz call.
func tzObject(z py.TZInfo) *py.Object {
	o := &py.Object{How: "reduce"}
	switch x := z.(type) {
	case py.ZoneInfo:
		o.Global, o.Args = py.Global{Module: "zoneinfo", Name: "ZoneInfo._unpickle"}, py.Tuple{x.Key, int64(1)}
	case py.TimeZone:
		td, _ := py.NewTimeDelta(0, 0, int64(x.Offset/time.Microsecond))
		o.Global, o.Args = py.Global{Module: "datetime", Name: "timezone"}, py.Tuple{td}
		if x.Name != nil {
			o.Args = append(o.Args, *x.Name)
		}
	case py.PytzZone:
		o.Global, _ = py.ParseGlobal(x.Callable)
		o.Args = x.Args
	}
	return o
}

// objectTZ returns the tzinfo an inert object of tzObject's forms stands for.
func objectTZ(o *py.Object) (py.TZInfo, bool) {
	if o.How != "reduce" || o.HasState || o.ListItems != nil || o.DictItems != nil {
		return nil, false
	}
	switch g, a := o.Global.String(), o.Args; {
	case g == "zoneinfo.ZoneInfo._unpickle" && len(a) == 2:
		if key, ok := a[0].(string); ok && key != "" {
			return py.ZoneInfo{Key: key}, true
		}
	case g == "datetime.timezone" && (len(a) == 1 || len(a) == 2):
		td, ok := a[0].(py.TimeDelta)
		if !ok {
			return nil, false
		}
		z := py.TimeZone{Offset: td.Duration()}
		if len(a) == 2 {
			name, ok := a[1].(string)
			if !ok {
				return nil, false
			}
			z.Name = &name
		}
		return z, true
	case g == "pytz._UTC" || g == "pytz._p" || g == "pytz.FixedOffset":
		return py.PytzZone{Callable: g, Args: a}, true
	}
	return nil, false
}

func (w *taggedWriter) object(o *py.Object, depth int) error {
	w.tag("object")
	w.field("global")
	w.str(o.Global.String())
	w.field("how")
	w.str(o.How)
	w.field("args")
	if err := w.list(o.Args, depth); err != nil {
		return err
	}
	if o.How == "newobj_ex" {
		w.field("kwargs")
		kw := o.Kwargs
		if kw == nil {
			kw = &py.Dict{}
		}
		if err := w.value(kw, depth+1); err != nil {
			return err
		}
	}
	if o.HasState {
		w.field("state")
		if err := w.value(o.State, depth+1); err != nil {
			return err
		}
	}
	if o.ListItems != nil {
		w.field("listitems")
		if err := w.list(o.ListItems, depth); err != nil {
			return err
		}
	}
	if o.DictItems != nil {
		w.field("dictitems")
		items := make([]py.Item, len(o.DictItems))
		for i, kv := range o.DictItems {
			items[i] = py.Item{Key: kv[0], Value: kv[1]}
		}
		if err := w.pairs(items, depth); err != nil {
			return err
		}
	}
	w.buf = append(w.buf, '}')
	return nil
}

// tz writes a tzinfo object; dt is the datetime it belongs to (nil for a time).
func (w *taggedWriter) tz(z py.TZInfo, dt *py.DateTime) {
	if z == nil {
		w.buf = append(w.buf, "null"...)
		return
	}
	w.buf = append(w.buf, `{"class":`...)
	switch x := z.(type) {
	case py.TimeZone:
		w.str("datetime.timezone")
	case py.ZoneInfo:
		w.str("zoneinfo.ZoneInfo")
	case py.PytzZone:
		switch {
		case x.Callable == "pytz._UTC":
			w.str("pytz.UTC")
		case x.Callable == "pytz.FixedOffset":
			w.str("pytz._FixedOffset")
		case len(x.Args) == 1:
			w.str("pytz.StaticTzInfo")
		default:
			w.str("pytz.DstTzInfo")
		}
	}
	w.field("utcoffset_seconds")
	off, haveOff := utcOffset(z, dt)
	if haveOff {
		w.seconds(off)
	} else {
		w.buf = append(w.buf, "null"...)
	}
	w.field("tzname")
	if name, ok := tzName(z, dt); ok {
		w.str(name)
	} else {
		w.buf = append(w.buf, "null"...)
	}
	switch x := z.(type) {
	case py.TimeZone:
		w.field("offset_seconds")
		w.seconds(x.Offset)
		w.field("name")
		if x.Name != nil {
			w.str(*x.Name)
		} else {
			w.buf = append(w.buf, "null"...)
		}
	case py.ZoneInfo:
		w.field("key")
		w.str(x.Key)
	case py.PytzZone:
		w.field("pytz_reduce")
		w.buf = append(w.buf, `{"callable":`...)
		w.str(x.Callable)
		w.field("args")
		plain := w.plain
		w.plain = true
		_ = w.list(x.Args, 0)
		w.plain = plain
		w.buf = append(w.buf, '}')
	}
	w.buf = append(w.buf, '}')
}

func (w *taggedWriter) seconds(d time.Duration) {
	if d%time.Second == 0 {
		w.buf = strconv.AppendInt(w.buf, int64(d/time.Second), 10)
		return
	}
	w.buf = strconv.AppendFloat(w.buf, d.Seconds(), 'g', -1, 64)
}

// utcOffset returns what Python's utcoffset() gives for the datetime dt with tzinfo z, or for a
// time (dt nil), what z.utcoffset(None) gives: the offset of a fixed-offset tzinfo, and None
// (false) for one whose offset depends on the date.
func utcOffset(z py.TZInfo, dt *py.DateTime) (time.Duration, bool) {
	if dt != nil {
		off, err := z.UTCOffset(*dt)
		return off, err == nil
	}
	switch x := z.(type) {
	case py.TimeZone:
		return x.Offset, true
	case py.ZoneInfo:
		off, _, ok := x.Fixed()
		return off, ok
	case py.PytzZone:
		switch {
		case x.Callable == "pytz._UTC", x.Callable == "pytz.FixedOffset":
			off, err := x.UTCOffset(py.DateTime{})
			return off, err == nil
		case len(x.Args) == 1: // a StaticTzInfo
			if key, ok := x.Args[0].(string); ok {
				off, _, ok := py.ZoneInfo{Key: key}.Fixed()
				return off, ok
			}
		}
	}
	return 0, false
}

// tzName returns what Python's tzname() gives for the datetime dt with tzinfo z (or for a
// time, dt nil: z.tzname(None)), where this package can tell.
func tzName(z py.TZInfo, dt *py.DateTime) (string, bool) {
	switch x := z.(type) {
	case py.TimeZone:
		if x.Name != nil {
			return *x.Name, true
		}
		if x.Offset == 0 {
			return "UTC", true
		}
		return "UTC" + py.FormatUTCOffset(x.Offset), true
	case py.ZoneInfo:
		if dt == nil {
			_, name, ok := x.Fixed()
			return name, ok
		}
		name, err := x.TZName(*dt)
		return name, err == nil
	case py.PytzZone:
		switch {
		case x.Callable == "pytz._UTC":
			return "UTC", true
		case x.Callable == "pytz.FixedOffset":
			return "", false // pytz's FixedOffset.tzname() is None
		case len(x.Args) == 4: // a DstTzInfo: its own abbreviation, or for a time its zone
			if dt == nil {
				s, ok := x.Args[0].(string)
				return s, ok
			}
			s, ok := x.Args[3].(string)
			return s, ok
		case len(x.Args) == 1: // a StaticTzInfo
			if key, ok := x.Args[0].(string); ok {
				_, name, ok := py.ZoneInfo{Key: key}.Fixed()
				return name, ok
			}
		}
	}
	return "", false
}

// Unmarshal decodes tagged JSON into a value of the Go value model. A "shared" value and the
// "ref"s to it decode to one Go value (the same pointer, slice or string), as the pickle
// decoder shares a memoized value. Input that is not valid UTF-8, or that writes a lone
// surrogate as a \u escape, is refused: a str holding lone surrogates is written with the
// "str" tag's utf8_surrogatepass_b64.
func Unmarshal(data []byte) (any, error) {
	if err := checkText(data); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	raw, err := readRaw(dec, 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err == nil {
		return nil, errTagged("trailing data after the value")
	}
	r := reader{}
	return r.fromRaw(raw)
}

// reader holds the shared values read so far.
type reader struct {
	shared map[int64]any
	open   map[int64]bool // ids whose value is being read (a ref to one is a cycle)
}

// ErrLoneSurrogate reports a lone surrogate written as a JSON \u escape, which a JSON decoder
// would silently turn into U+FFFD.
var ErrLoneSurrogate = errors.New(`tagged JSON: a lone surrogate written as a \u escape; write a str that holds one as {"__py__": "str", "utf8_surrogatepass_b64": ...}`)

// checkText refuses input that is not UTF-8, or whose strings hold a \u escape of a lone
// surrogate (a high surrogate not followed by a \u escape of a low one, or a low one alone).
func checkText(data []byte) error {
	if !utf8.Valid(data) {
		return errTagged("input is not valid UTF-8")
	}
	inStr := false
	for i := 0; i < len(data); i++ {
		c := data[i]
		if !inStr {
			inStr = c == '"'
			continue
		}
		switch c {
		case '"':
			inStr = false
		case '\\':
			if i+1 >= len(data) {
				return nil // the JSON decoder reports it
			}
			if data[i+1] != 'u' {
				i++
				continue
			}
			u, ok := hex4(data, i+2)
			if !ok {
				return nil // the JSON decoder reports it
			}
			i += 5
			switch {
			case u >= 0xDC00 && u <= 0xDFFF:
				return ErrLoneSurrogate
			case u >= 0xD800 && u <= 0xDBFF:
				if i+2 < len(data) && data[i+1] == '\\' && data[i+2] == 'u' {
					if lo, ok := hex4(data, i+3); ok && lo >= 0xDC00 && lo <= 0xDFFF {
						i += 6
						continue
					}
				}
				return ErrLoneSurrogate
			}
		}
	}
	return nil
}

func hex4(b []byte, i int) (rune, bool) {
	if i+4 > len(b) {
		return 0, false
	}
	var r rune
	for _, c := range b[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}

func errTagged(format string, args ...any) error {
	return fmt.Errorf("tagged JSON: "+format, args...)
}

// jsonObject is a JSON object read in order.
type jsonObject struct {
	keys []string
	vals []any // raw: *jsonObject, []any, string, json.Number, bool, nil
}

func (o *jsonObject) get(k string) (any, bool) {
	for i, kk := range o.keys {
		if kk == k {
			return o.vals[i], true
		}
	}
	return nil, false
}

func readRaw(dec *json.Decoder, depth int) (any, error) {
	if depth > taggedMaxDepth {
		return nil, errTagged("nesting too deep")
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, errTagged("%v", err)
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '[':
			var out []any
			for dec.More() {
				v, err := readRaw(dec, depth+1)
				if err != nil {
					return nil, err
				}
				out = append(out, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, errTagged("%v", err)
			}
			if out == nil {
				out = []any{}
			}
			return out, nil
		case '{':
			o := &jsonObject{}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, errTagged("%v", err)
				}
				k, _ := kt.(string)
				v, err := readRaw(dec, depth+1)
				if err != nil {
					return nil, err
				}
				o.keys = append(o.keys, k)
				o.vals = append(o.vals, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, errTagged("%v", err)
			}
			return o, nil
		}
		return nil, errTagged("unexpected %v", t)
	default:
		return tok, nil
	}
}

func (r *reader) fromRaw(raw any) (any, error) {
	switch x := raw.(type) {
	case nil, bool, string:
		return x, nil
	case json.Number:
		if n, err := strconv.ParseInt(string(x), 10, 64); err == nil {
			return n, nil
		}
		if b, ok := new(big.Int).SetString(string(x), 10); ok {
			return b, nil
		}
		return nil, errTagged("plain JSON number %s is not an int (floats are tagged)", x)
	case []any:
		out := make([]any, len(x))
		for i, it := range x {
			v, err := r.fromRaw(it)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	case *jsonObject:
		tag, ok := x.get("__py__")
		if !ok {
			d := py.NewDict(len(x.keys))
			for i, k := range x.keys {
				v, err := r.fromRaw(x.vals[i])
				if err != nil {
					return nil, err
				}
				d.Set(k, v)
			}
			return d, nil
		}
		t, _ := tag.(string)
		switch t {
		case "shared":
			return r.sharedValue(x)
		case "ref":
			id, err := fieldInt(x, "id")
			if err != nil {
				return nil, err
			}
			v, ok := r.shared[id]
			if !ok {
				if r.open[id] {
					return nil, errTagged("ref %d inside its own shared value (a cycle)", id)
				}
				return nil, errTagged("ref %d before its shared value", id)
			}
			return v, nil
		}
		return r.fromTag(t, x)
	}
	return nil, errTagged("unexpected %T", raw)
}

// sharedValue reads {"__py__": "shared", "id": N, "value": v}.
func (r *reader) sharedValue(o *jsonObject) (any, error) {
	id, err := fieldInt(o, "id")
	if err != nil {
		return nil, err
	}
	raw, ok := o.get("value")
	if !ok {
		return nil, errTagged("shared %d has no value", id)
	}
	if _, dup := r.shared[id]; dup || r.open[id] {
		return nil, errTagged("shared id %d defined twice", id)
	}
	if r.open == nil {
		r.open, r.shared = make(map[int64]bool), make(map[int64]any)
	}
	r.open[id] = true
	v, err := r.fromRaw(raw)
	if err != nil {
		return nil, err
	}
	delete(r.open, id)
	r.shared[id] = v
	return v, nil
}

func fieldString(o *jsonObject, k string) (string, error) {
	v, ok := o.get(k)
	s, isStr := v.(string)
	if !ok || !isStr {
		return "", errTagged("field %q must be a string", k)
	}
	return s, nil
}

func fieldInt(o *jsonObject, k string) (int64, error) {
	v, ok := o.get(k)
	n, isNum := v.(json.Number)
	if !ok || !isNum {
		return 0, errTagged("field %q must be an int", k)
	}
	i, err := strconv.ParseInt(string(n), 10, 64)
	if err != nil {
		return 0, errTagged("field %q must be an int", k)
	}
	return i, nil
}

func (r *reader) fieldItems(o *jsonObject, k string) ([]any, error) {
	v, ok := o.get(k)
	l, isList := v.([]any)
	if !ok || !isList {
		return nil, errTagged("field %q must be a list", k)
	}
	out := make([]any, len(l))
	for i, it := range l {
		x, err := r.fromRaw(it)
		if err != nil {
			return nil, err
		}
		out[i] = x
	}
	return out, nil
}

func (r *reader) fieldPairs(o *jsonObject, k string) ([]py.Item, error) {
	items, err := r.fieldItems(o, k)
	if err != nil {
		return nil, err
	}
	out := make([]py.Item, len(items))
	for i, it := range items {
		p, ok := it.([]any)
		if !ok || len(p) != 2 {
			return nil, errTagged("field %q must hold [key, value] pairs", k)
		}
		out[i] = py.Item{Key: p[0], Value: p[1]}
	}
	return out, nil
}

func fieldB64(o *jsonObject, k string) ([]byte, error) {
	s, err := fieldString(o, k)
	if err != nil {
		return nil, err
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, errTagged("field %q: %v", k, err)
	}
	return b, nil
}

func (r *reader) fromTag(tag string, o *jsonObject) (any, error) {
	switch tag {
	case "int":
		s, err := fieldString(o, "value")
		if err != nil {
			return nil, err
		}
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return n, nil
		}
		b, ok := new(big.Int).SetString(s, 10)
		if !ok {
			return nil, errTagged("bad int %q", s)
		}
		return b, nil
	case "float":
		return taggedFloat(o)
	case "str":
		b, err := fieldB64(o, "utf8_surrogatepass_b64")
		if err != nil {
			return nil, err
		}
		if !py.ValidSurrogatePass(b) {
			return nil, errTagged("str is not UTF-8 (surrogatepass)")
		}
		return string(b), nil
	case "tuple":
		items, err := r.fieldItems(o, "items")
		return py.Tuple(items), err
	case "set", "frozenset":
		items, err := r.fieldItems(o, "items")
		if err != nil {
			return nil, err
		}
		s, err := py.NewSet(items...)
		if err != nil {
			return nil, err
		}
		if tag == "frozenset" {
			return &py.FrozenSet{Set: *s}, nil
		}
		return s, nil
	case "bytes":
		b, err := fieldB64(o, "b64")
		if b == nil && err == nil {
			b = []byte{}
		}
		return b, err
	case "bytearray":
		b, err := fieldB64(o, "b64")
		if b == nil && err == nil {
			b = []byte{}
		}
		return py.ByteArray(b), err
	case "dict", "OrderedDict":
		pairs, err := r.fieldPairs(o, "items")
		if err != nil {
			return nil, err
		}
		d := py.NewDict(len(pairs))
		for _, p := range pairs {
			if err := d.SetKey(p.Key, p.Value); err != nil {
				return nil, err
			}
		}
		if tag == "OrderedDict" {
			return &py.OrderedDict{Dict: *d}, nil
		}
		return d, nil
	case "datetime":
		iso, err := fieldString(o, "iso")
		if err != nil {
			return nil, err
		}
		var d py.DateTime
		date, clock, ok := strings.Cut(iso, "T")
		if !ok {
			return nil, errTagged("bad datetime iso %q", iso)
		}
		if _, err := fmt.Sscanf(date, "%4d-%2d-%2d", &d.Year, &d.Month, &d.Day); err != nil {
			return nil, errTagged("bad datetime iso %q", iso)
		}
		if err := parseClock(clock, &d.Hour, &d.Minute, &d.Second, &d.Microsecond); err != nil {
			return nil, err
		}
		fold, _ := fieldInt(o, "fold")
		d.Fold = int(fold)
		tzr, _ := o.get("tzinfo")
		if d.TZ, err = r.taggedTZ(tzr); err != nil {
			return nil, err
		}
		return d, nil
	case "date":
		iso, err := fieldString(o, "iso")
		if err != nil {
			return nil, err
		}
		var d py.Date
		if _, err := fmt.Sscanf(iso, "%4d-%2d-%2d", &d.Year, &d.Month, &d.Day); err != nil {
			return nil, errTagged("bad date iso %q", iso)
		}
		return d, nil
	case "time":
		iso, err := fieldString(o, "iso")
		if err != nil {
			return nil, err
		}
		var t py.Time
		if err := parseClock(iso, &t.Hour, &t.Minute, &t.Second, &t.Microsecond); err != nil {
			return nil, err
		}
		fold, _ := fieldInt(o, "fold")
		t.Fold = int(fold)
		tzr, _ := o.get("tzinfo")
		if t.TZ, err = r.taggedTZ(tzr); err != nil {
			return nil, err
		}
		return t, nil
	case "timedelta":
		days, err1 := fieldInt(o, "days")
		secs, err2 := fieldInt(o, "seconds")
		us, err3 := fieldInt(o, "microseconds")
		if err := errors.Join(err1, err2, err3); err != nil {
			return nil, err
		}
		return py.NewTimeDelta(days, secs, us)
	case "decimal":
		s, err := fieldString(o, "value")
		return py.Decimal{Value: s}, err
	case "uuid":
		s, err := fieldString(o, "value")
		if err != nil {
			return nil, err
		}
		h, err := hex.DecodeString(strings.ReplaceAll(s, "-", ""))
		if err != nil || len(h) != 16 {
			return nil, errTagged("bad uuid %q", s)
		}
		var u py.UUID
		copy(u.Bytes[:], h)
		switch v, _ := o.get("is_safe"); v {
		case "safe":
			u.IsSafe = py.SafeUUIDSafe
		case "unsafe":
			u.IsSafe = py.SafeUUIDUnsafe
		}
		return u, nil
	case "complex":
		re, ok1 := o.get("real")
		im, ok2 := o.get("imag")
		ro, ok3 := re.(*jsonObject)
		io, ok4 := im.(*jsonObject)
		if !ok1 || !ok2 || !ok3 || !ok4 {
			return nil, errTagged("complex needs real and imag float tags")
		}
		r, err := taggedFloat(ro)
		if err != nil {
			return nil, err
		}
		i, err := taggedFloat(io)
		if err != nil {
			return nil, err
		}
		return complex(r, i), nil
	case "global":
		s, err := fieldString(o, "name")
		if err != nil {
			return nil, err
		}
		return parseGlobal(s)
	case "object":
		return r.taggedObject(o)
	}
	return nil, errTagged("unknown tag %q", tag)
}

func parseGlobal(s string) (py.Global, error) {
	g, err := py.ParseGlobal(s)
	if err != nil {
		return py.Global{}, errTagged("bad global %q", s)
	}
	return g, nil
}

func taggedFloat(o *jsonObject) (float64, error) {
	s, err := fieldString(o, "bits")
	if err != nil {
		return 0, err
	}
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 8 {
		return 0, errTagged("bad float bits %q", s)
	}
	var u uint64
	for _, c := range b {
		u = u<<8 | uint64(c)
	}
	return math.Float64frombits(u), nil
}

func parseClock(s string, h, m, sec, us *int) error {
	main, frac, hasFrac := strings.Cut(s, ".")
	if _, err := fmt.Sscanf(main, "%2d:%2d:%2d", h, m, sec); err != nil {
		return errTagged("bad time %q", s)
	}
	if hasFrac {
		if len(frac) != 6 && len(frac) != 3 {
			return errTagged("bad time %q", s)
		}
		n, err := strconv.Atoi(frac)
		if err != nil {
			return errTagged("bad time %q", s)
		}
		if len(frac) == 3 {
			n *= 1000
		}
		*us = n
	}
	return nil
}

func (r *reader) taggedTZ(raw any) (py.TZInfo, error) {
	if raw == nil {
		return nil, nil
	}
	o, ok := raw.(*jsonObject)
	if !ok {
		return nil, errTagged("tzinfo must be an object or null")
	}
	if red, ok := o.get("pytz_reduce"); ok {
		ro, ok := red.(*jsonObject)
		if !ok {
			return nil, errTagged("bad pytz_reduce")
		}
		callable, err := fieldString(ro, "callable")
		if err != nil {
			return nil, err
		}
		args, err := r.fieldItems(ro, "args")
		if err != nil {
			return nil, err
		}
		return py.PytzZone{Callable: callable, Args: py.Tuple(args)}, nil
	}
	class, err := fieldString(o, "class")
	if err != nil {
		return nil, err
	}
	switch class {
	case "datetime.timezone":
		v, _ := o.get("offset_seconds")
		n, ok := v.(json.Number)
		if !ok {
			return nil, errTagged("timezone needs offset_seconds")
		}
		f, err := strconv.ParseFloat(string(n), 64)
		if err != nil {
			return nil, errTagged("bad offset_seconds")
		}
		z := py.TimeZone{Offset: time.Duration(math.Round(f*1e6)) * time.Microsecond}
		if name, ok := o.get("name"); ok && name != nil {
			s, ok := name.(string)
			if !ok {
				return nil, errTagged("timezone name must be a string")
			}
			z.Name = &s
		}
		return z, nil
	case "zoneinfo.ZoneInfo":
		key, err := fieldString(o, "key")
		return py.ZoneInfo{Key: key}, err
	}
	return nil, errTagged("unsupported tzinfo class %q", class)
}

func (r *reader) taggedObject(o *jsonObject) (any, error) {
	name, err := fieldString(o, "global")
	if err != nil {
		return nil, err
	}
	g, err := parseGlobal(name)
	if err != nil {
		return nil, err
	}
	how, err := fieldString(o, "how")
	if err != nil {
		return nil, err
	}
	obj := &py.Object{Global: g, How: how}
	if _, ok := o.get("args"); ok {
		args, err := r.fieldItems(o, "args")
		if err != nil {
			return nil, err
		}
		obj.Args = py.Tuple(args)
	} else {
		obj.Args = py.Tuple{}
	}
	if kw, ok := o.get("kwargs"); ok {
		v, err := r.fromRaw(kw)
		if err != nil {
			return nil, err
		}
		d, ok := v.(*py.Dict)
		if !ok {
			return nil, errTagged("kwargs must be an object")
		}
		obj.Kwargs = d
	}
	if st, ok := o.get("state"); ok {
		v, err := r.fromRaw(st)
		if err != nil {
			return nil, err
		}
		obj.State, obj.HasState = v, true
	}
	if _, ok := o.get("listitems"); ok {
		if obj.ListItems, err = r.fieldItems(o, "listitems"); err != nil {
			return nil, err
		}
	}
	if _, ok := o.get("dictitems"); ok {
		pairs, err := r.fieldPairs(o, "dictitems")
		if err != nil {
			return nil, err
		}
		obj.DictItems = make([][2]any, len(pairs))
		for i, p := range pairs {
			obj.DictItems[i] = [2]any{p.Key, p.Value}
		}
	}
	if z, ok := objectTZ(obj); ok {
		return z, nil
	}
	return obj, nil
}
