package djangosession

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
)

// This file converts between the Go value model and tagged JSON, the JSON form of Python
// values used by the compat fixtures, the tests and the CLI (compat_test/FORMAT.md). Besides
// FORMAT.md's tags it writes and reads {"__py__": "global", "name": "module.QualName"} for a
// bare Global (a class or function reference, e.g. in the arguments of an inert Object).

const (
	taggedMaxDepth = 10000   // deeper values (or cycles) are refused by MarshalTagged
	taggedMaxNodes = 1 << 24 // values written, counting shared ones each time
)

// MarshalTagged encodes a value of the Go value model (see the package documentation) as
// tagged JSON. Dicts keep their order. It fails for values outside the model, for cyclic
// values, and for values whose expansion (shared values are written out each time) exceeds
// 16M nodes.
func MarshalTagged(v any) ([]byte, error) {
	w := taggedWriter{}
	if err := w.value(v, 0); err != nil {
		return nil, err
	}
	return w.buf, nil
}

type taggedWriter struct {
	buf   []byte
	nodes int
}

var errTaggedLimit = errors.New("djangosession: tagged JSON: value too deep, cyclic or too large (or an int of more than 131072 bits)")

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

func (w *taggedWriter) pairs(items []dictItem, depth int) error {
	w.buf = append(w.buf, '[')
	for i, it := range items {
		if i > 0 {
			w.buf = append(w.buf, ',')
		}
		w.buf = append(w.buf, '[')
		if err := w.value(it.key, depth+1); err != nil {
			return err
		}
		w.buf = append(w.buf, ',')
		if err := w.value(it.val, depth+1); err != nil {
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
	w.str(pyFloatRepr(f))
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

// taggedMaxIntBits caps the ints MarshalTagged converts to decimal (which takes more than
// linear time); Python itself refuses str() of ints beyond 4300 digits by default.
const taggedMaxIntBits = 1 << 17

func (w *taggedWriter) int(n *big.Int) error {
	if n.IsInt64() && n.Int64() > -(1<<53) && n.Int64() < 1<<53 {
		w.buf = strconv.AppendInt(w.buf, n.Int64(), 10)
		return nil
	}
	if n.BitLen() > taggedMaxIntBits {
		return errTaggedLimit
	}
	w.tag("int")
	w.field("value")
	w.str(n.String())
	w.buf = append(w.buf, '}')
	return nil
}

func (w *taggedWriter) value(v any, depth int) error {
	w.nodes++
	if depth > taggedMaxDepth || w.nodes > taggedMaxNodes {
		return errTaggedLimit
	}
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
			return &UnsupportedTypeError{Value: v}
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
	case ByteArray:
		w.tag("bytearray")
		w.field("b64")
		w.b64(x)
		w.buf = append(w.buf, '}')
	case []any:
		return w.list(x, depth)
	case Tuple:
		w.tag("tuple")
		w.field("items")
		if err := w.list(x, depth); err != nil {
			return err
		}
		w.buf = append(w.buf, '}')
	case *Set:
		w.tag("set")
		w.field("items")
		if err := w.list(x.items, depth); err != nil {
			return err
		}
		w.buf = append(w.buf, '}')
	case *FrozenSet:
		w.tag("frozenset")
		w.field("items")
		if err := w.list(x.items, depth); err != nil {
			return err
		}
		w.buf = append(w.buf, '}')
	case *Dict:
		plain := true
		for _, it := range x.items {
			s, ok := it.key.(string)
			if !ok || s == "__py__" || !utf8.ValidString(s) {
				plain = false
				break
			}
		}
		if !plain {
			w.tag("dict")
			w.field("items")
			if err := w.pairs(x.items, depth); err != nil {
				return err
			}
			w.buf = append(w.buf, '}')
			return nil
		}
		w.buf = append(w.buf, '{')
		for i, it := range x.items {
			if i > 0 {
				w.buf = append(w.buf, ',')
			}
			w.str(it.key.(string))
			w.buf = append(w.buf, ':')
			if err := w.value(it.val, depth+1); err != nil {
				return err
			}
		}
		w.buf = append(w.buf, '}')
	case *OrderedDict:
		w.tag("OrderedDict")
		w.field("items")
		if err := w.pairs(x.items, depth); err != nil {
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
	case DateTime:
		w.tag("datetime")
		w.field("iso")
		w.str(isoDateTime(x))
		w.field("fold")
		w.buf = strconv.AppendInt(w.buf, int64(x.Fold), 10)
		w.field("tzinfo")
		w.tz(x.TZ, &x)
		w.buf = append(w.buf, '}')
	case Date:
		w.tag("date")
		w.field("iso")
		w.str(fmt.Sprintf("%04d-%02d-%02d", x.Year, x.Month, x.Day))
		w.buf = append(w.buf, '}')
	case Time:
		w.tag("time")
		w.field("iso")
		w.str(isoClock(x.Hour, x.Minute, x.Second, x.Microsecond))
		w.field("fold")
		w.buf = strconv.AppendInt(w.buf, int64(x.Fold), 10)
		w.field("tzinfo")
		w.tz(x.TZ, nil)
		w.buf = append(w.buf, '}')
	case TimeDelta:
		w.tag("timedelta")
		w.field("days")
		w.buf = strconv.AppendInt(w.buf, x.Days, 10)
		w.field("seconds")
		w.buf = strconv.AppendInt(w.buf, x.Seconds, 10)
		w.field("microseconds")
		w.buf = strconv.AppendInt(w.buf, x.Microseconds, 10)
		w.buf = append(w.buf, '}')
	case Decimal:
		w.tag("decimal")
		w.field("value")
		w.str(x.Value)
		w.buf = append(w.buf, '}')
	case UUID:
		w.tag("uuid")
		w.field("value")
		w.str(x.String())
		switch x.IsSafe {
		case SafeUUIDSafe:
			w.field("is_safe")
			w.str("safe")
		case SafeUUIDUnsafe:
			w.field("is_safe")
			w.str("unsafe")
		}
		w.buf = append(w.buf, '}')
	case Global:
		w.tag("global")
		w.field("name")
		w.str(x.String())
		w.buf = append(w.buf, '}')
	case *Object:
		return w.object(x, depth)
	default:
		return &UnsupportedTypeError{Value: v}
	}
	return nil
}

func (w *taggedWriter) object(o *Object, depth int) error {
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
			kw = &Dict{}
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
		items := make([]dictItem, len(o.DictItems))
		for i, kv := range o.DictItems {
			items[i] = dictItem{kv[0], kv[1]}
		}
		if err := w.pairs(items, depth); err != nil {
			return err
		}
	}
	w.buf = append(w.buf, '}')
	return nil
}

// tz writes a tzinfo object; dt is the datetime it belongs to (nil for a time).
func (w *taggedWriter) tz(z TZInfo, dt *DateTime) {
	if z == nil {
		w.buf = append(w.buf, "null"...)
		return
	}
	w.buf = append(w.buf, `{"class":`...)
	switch x := z.(type) {
	case TimeZone:
		w.str("datetime.timezone")
	case ZoneInfo:
		w.str("zoneinfo.ZoneInfo")
	case PytzZone:
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
	var off time.Duration
	var offErr error = errors.New("no date")
	if dt != nil {
		off, offErr = z.UTCOffset(*dt)
	}
	if offErr != nil {
		w.buf = append(w.buf, "null"...)
	} else {
		w.seconds(off)
	}
	w.field("tzname")
	if name, ok := tzName(z, dt, off, offErr == nil); ok {
		w.str(name)
	} else {
		w.buf = append(w.buf, "null"...)
	}
	switch x := z.(type) {
	case TimeZone:
		w.field("offset_seconds")
		w.seconds(x.Offset)
		w.field("name")
		if x.Name != nil {
			w.str(*x.Name)
		} else {
			w.buf = append(w.buf, "null"...)
		}
	case ZoneInfo:
		w.field("key")
		w.str(x.Key)
	case PytzZone:
		w.field("pytz_reduce")
		w.buf = append(w.buf, `{"callable":`...)
		w.str(x.Callable)
		w.field("args")
		_ = w.list(x.Args, 0)
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

// tzName returns what Python's tzname() gives, where this package can tell.
func tzName(z TZInfo, dt *DateTime, off time.Duration, haveOff bool) (string, bool) {
	switch x := z.(type) {
	case TimeZone:
		if x.Name != nil {
			return *x.Name, true
		}
		if x.Offset == 0 {
			return "UTC", true
		}
		return "UTC" + formatOffset(x.Offset), true
	case PytzZone:
		if x.Callable == "pytz._UTC" {
			return "UTC", true
		}
		if x.Callable == "pytz.FixedOffset" {
			return "", false // pytz's FixedOffset.tzname() is None
		}
		if len(x.Args) == 4 {
			if s, ok := x.Args[3].(string); ok {
				return s, true
			}
		}
	}
	if dt != nil && haveOff {
		var key string
		switch x := z.(type) {
		case ZoneInfo:
			key = x.Key
		case PytzZone:
			key, _ = x.Args[0].(string)
		}
		if loc, err := (ZoneInfo{Key: key}).location(); err == nil {
			name, _ := dt.Time(nil).In(loc).Zone()
			return name, true
		}
	}
	return "", false
}

// formatOffset formats an offset as Python's timezone names do: +HH:MM[:SS[.ffffff]].
func formatOffset(d time.Duration) string {
	sign := '+'
	if d < 0 {
		sign, d = '-', -d
	}
	h, m := d/time.Hour, d%time.Hour/time.Minute
	s, us := d%time.Minute/time.Second, d%time.Second/time.Microsecond
	out := fmt.Sprintf("%c%02d:%02d", sign, h, m)
	if s != 0 || us != 0 {
		out += fmt.Sprintf(":%02d", s)
		if us != 0 {
			out += fmt.Sprintf(".%06d", us)
		}
	}
	return out
}

func isoDateTime(d DateTime) string {
	return fmt.Sprintf("%04d-%02d-%02dT", d.Year, d.Month, d.Day) + isoClock(d.Hour, d.Minute, d.Second, d.Microsecond)
}

func isoClock(h, m, s, us int) string {
	if us != 0 {
		return fmt.Sprintf("%02d:%02d:%02d.%06d", h, m, s, us)
	}
	return fmt.Sprintf("%02d:%02d:%02d", h, m, s)
}

// pyFloatRepr formats f as Python's repr(float) does.
func pyFloatRepr(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case math.IsNaN(f):
		return "nan"
	}
	e := strconv.FormatFloat(f, 'e', -1, 64) // d.ddde±XX
	mant, expText, _ := strings.Cut(e, "e")
	exp, _ := strconv.Atoi(expText)
	neg := strings.HasPrefix(mant, "-")
	mant = strings.TrimPrefix(mant, "-")
	digits := strings.Replace(mant, ".", "", 1)
	sign := ""
	if neg {
		sign = "-"
	}
	if exp < -4 || exp >= 16 {
		m := digits[:1]
		if len(digits) > 1 {
			m += "." + digits[1:]
		}
		es := "+"
		if exp < 0 {
			es, exp = "-", -exp
		}
		return fmt.Sprintf("%s%se%s%02d", sign, m, es, exp)
	}
	if exp < 0 {
		return sign + "0." + strings.Repeat("0", -exp-1) + digits
	}
	if len(digits) <= exp+1 {
		return sign + digits + strings.Repeat("0", exp+1-len(digits)) + ".0"
	}
	return sign + digits[:exp+1] + "." + digits[exp+1:]
}

// UnmarshalTagged decodes tagged JSON into the Go value model: JSON objects become *Dict in
// their order (or the tagged type), arrays []any, integral numbers int64.
func UnmarshalTagged(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := readTagged(dec, 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err == nil {
		return nil, errTagged("trailing data after the value")
	}
	return v, nil
}

func errTagged(format string, args ...any) error {
	return fmt.Errorf("djangosession: tagged JSON: "+format, args...)
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

func readTagged(dec *json.Decoder, depth int) (any, error) {
	raw, err := readRaw(dec, depth)
	if err != nil {
		return nil, err
	}
	return fromRaw(raw)
}

func fromRaw(raw any) (any, error) {
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
			v, err := fromRaw(it)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	case *jsonObject:
		tag, ok := x.get("__py__")
		if !ok {
			d := NewDict(len(x.keys))
			for i, k := range x.keys {
				v, err := fromRaw(x.vals[i])
				if err != nil {
					return nil, err
				}
				d.Set(k, v)
			}
			return d, nil
		}
		t, _ := tag.(string)
		return fromTag(t, x)
	}
	return nil, errTagged("unexpected %T", raw)
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

func fieldItems(o *jsonObject, k string) ([]any, error) {
	v, ok := o.get(k)
	l, isList := v.([]any)
	if !ok || !isList {
		return nil, errTagged("field %q must be a list", k)
	}
	out := make([]any, len(l))
	for i, it := range l {
		x, err := fromRaw(it)
		if err != nil {
			return nil, err
		}
		out[i] = x
	}
	return out, nil
}

func fieldPairs(o *jsonObject, k string) ([]dictItem, error) {
	items, err := fieldItems(o, k)
	if err != nil {
		return nil, err
	}
	out := make([]dictItem, len(items))
	for i, it := range items {
		p, ok := it.([]any)
		if !ok || len(p) != 2 {
			return nil, errTagged("field %q must hold [key, value] pairs", k)
		}
		out[i] = dictItem{p[0], p[1]}
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

func fromTag(tag string, o *jsonObject) (any, error) {
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
		if !validSurrogatePass(b) {
			return nil, errTagged("str is not UTF-8 (surrogatepass)")
		}
		return string(b), nil
	case "tuple":
		items, err := fieldItems(o, "items")
		return Tuple(items), err
	case "set", "frozenset":
		items, err := fieldItems(o, "items")
		if err != nil {
			return nil, err
		}
		s, err := NewSet(items...)
		if err != nil {
			return nil, err
		}
		if tag == "frozenset" {
			return &FrozenSet{Set: *s}, nil
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
		return ByteArray(b), err
	case "dict", "OrderedDict":
		pairs, err := fieldPairs(o, "items")
		if err != nil {
			return nil, err
		}
		d := NewDict(len(pairs))
		for _, p := range pairs {
			if err := d.SetKey(p.key, p.val); err != nil {
				return nil, err
			}
		}
		if tag == "OrderedDict" {
			return &OrderedDict{Dict: *d}, nil
		}
		return d, nil
	case "datetime":
		iso, err := fieldString(o, "iso")
		if err != nil {
			return nil, err
		}
		var d DateTime
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
		if d.TZ, err = taggedTZ(tzr); err != nil {
			return nil, err
		}
		return d, nil
	case "date":
		iso, err := fieldString(o, "iso")
		if err != nil {
			return nil, err
		}
		var d Date
		if _, err := fmt.Sscanf(iso, "%4d-%2d-%2d", &d.Year, &d.Month, &d.Day); err != nil {
			return nil, errTagged("bad date iso %q", iso)
		}
		return d, nil
	case "time":
		iso, err := fieldString(o, "iso")
		if err != nil {
			return nil, err
		}
		var t Time
		if err := parseClock(iso, &t.Hour, &t.Minute, &t.Second, &t.Microsecond); err != nil {
			return nil, err
		}
		fold, _ := fieldInt(o, "fold")
		t.Fold = int(fold)
		tzr, _ := o.get("tzinfo")
		if t.TZ, err = taggedTZ(tzr); err != nil {
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
		return newTimeDelta(days, secs, us)
	case "decimal":
		s, err := fieldString(o, "value")
		return Decimal{Value: s}, err
	case "uuid":
		s, err := fieldString(o, "value")
		if err != nil {
			return nil, err
		}
		h, err := hex.DecodeString(strings.ReplaceAll(s, "-", ""))
		if err != nil || len(h) != 16 {
			return nil, errTagged("bad uuid %q", s)
		}
		var u UUID
		copy(u.Bytes[:], h)
		switch v, _ := o.get("is_safe"); v {
		case "safe":
			u.IsSafe = SafeUUIDSafe
		case "unsafe":
			u.IsSafe = SafeUUIDUnsafe
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
		return taggedObject(o)
	}
	return nil, errTagged("unknown tag %q", tag)
}

func parseGlobal(s string) (Global, error) {
	i := strings.LastIndexByte(s, '.')
	if i <= 0 || i == len(s)-1 {
		return Global{}, errTagged("bad global %q", s)
	}
	// A dotted qualname (ZoneInfo._unpickle) belongs to the module before it: the known
	// globals tell which; otherwise the last dot splits.
	for g := range knownGlobals {
		if g.String() == s {
			return g, nil
		}
	}
	return Global{Module: s[:i], Name: s[i+1:]}, nil
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

func taggedTZ(raw any) (TZInfo, error) {
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
		args, err := fieldItems(ro, "args")
		if err != nil {
			return nil, err
		}
		return PytzZone{Callable: callable, Args: Tuple(args)}, nil
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
		z := TimeZone{Offset: time.Duration(math.Round(f*1e6)) * time.Microsecond}
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
		return ZoneInfo{Key: key}, err
	}
	return nil, errTagged("unsupported tzinfo class %q", class)
}

func taggedObject(o *jsonObject) (any, error) {
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
	obj := &Object{Global: g, How: how}
	if _, ok := o.get("args"); ok {
		args, err := fieldItems(o, "args")
		if err != nil {
			return nil, err
		}
		obj.Args = Tuple(args)
	} else {
		obj.Args = Tuple{}
	}
	if kw, ok := o.get("kwargs"); ok {
		v, err := fromRaw(kw)
		if err != nil {
			return nil, err
		}
		d, ok := v.(*Dict)
		if !ok {
			return nil, errTagged("kwargs must be an object")
		}
		obj.Kwargs = d
	}
	if st, ok := o.get("state"); ok {
		v, err := fromRaw(st)
		if err != nil {
			return nil, err
		}
		obj.State, obj.HasState = v, true
	}
	if _, ok := o.get("listitems"); ok {
		if obj.ListItems, err = fieldItems(o, "listitems"); err != nil {
			return nil, err
		}
	}
	if _, ok := o.get("dictitems"); ok {
		pairs, err := fieldPairs(o, "dictitems")
		if err != nil {
			return nil, err
		}
		obj.DictItems = make([][2]any, len(pairs))
		for i, p := range pairs {
			obj.DictItems[i] = [2]any{p.key, p.val}
		}
	}
	return obj, nil
}

// EqualValues reports whether a and b are the same Python value under FORMAT.md's type-strict
// comparison: 1, 1.0 and True differ; a tuple is not a list; floats compare by bits (so NaN
// equals the same NaN); sets are unordered; dicts are ordered; an int64 equals a *big.Int of the
// same value. Shared and cyclic values are handled.
func EqualValues(a, b any) bool {
	c := comparer{}
	return c.eq(a, b, 0)
}

type comparer struct {
	seen map[[4]uintptr]bool
}

// visit records a pair of containers; it reports false when the pair is already being (or was)
// compared, which is then taken as equal.
func (c *comparer) visit(pa, la, pb, lb uintptr) bool {
	if c.seen == nil {
		c.seen = make(map[[4]uintptr]bool)
	}
	k := [4]uintptr{pa, la, pb, lb}
	if c.seen[k] {
		return false
	}
	c.seen[k] = true
	return true
}

func sliceID[T any](s []T) (uintptr, uintptr) {
	return uintptr(unsafe.Pointer(unsafe.SliceData(s))), uintptr(len(s))
}

// eqSlices reports whether a and b hold equal elements by eqElem. A pair of slices already
// visited counts as equal (see visit).
func eqSlices[T any](c *comparer, a, b []T, eqElem func(x, y T) bool) bool {
	if len(a) != len(b) {
		return false
	}
	if len(a) == 0 {
		return true
	}
	pa, la := sliceID(a)
	pb, lb := sliceID(b)
	if !c.visit(pa, la, pb, lb) {
		return true
	}
	for i := range a {
		if !eqElem(a[i], b[i]) {
			return false
		}
	}
	return true
}

func (c *comparer) eqList(a, b []any, depth int) bool {
	return eqSlices(c, a, b, func(x, y any) bool { return c.eq(x, y, depth+1) })
}

func (c *comparer) eqItems(a, b []dictItem, depth int) bool {
	return eqSlices(c, a, b, func(x, y dictItem) bool {
		return c.eq(x.key, y.key, depth+1) && c.eq(x.val, y.val, depth+1)
	})
}

func (c *comparer) eqSet(a, b *Set, depth int) bool {
	if a.Len() != b.Len() {
		return false
	}
	if a.Len() == 0 {
		return true
	}
	if !c.visit(uintptr(unsafe.Pointer(a)), 0, uintptr(unsafe.Pointer(b)), 0) {
		return true
	}
	byKey := make(map[hashKey][]int, b.Len())
	for i, it := range b.items {
		k, err := keyOf(it)
		if err != nil {
			return false
		}
		byKey[k] = append(byKey[k], i)
	}
	used := make([]bool, b.Len())
	for _, it := range a.items {
		k, err := keyOf(it)
		if err != nil {
			return false
		}
		found := false
		for _, j := range byKey[k] {
			if !used[j] && c.eq(it, b.items[j], depth+1) {
				used[j], found = true, true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

func asBig(v any) (*big.Int, bool) {
	switch x := v.(type) {
	case int64:
		return big.NewInt(x), true
	case int:
		return big.NewInt(int64(x)), true
	case *big.Int:
		return x, x != nil
	}
	return nil, false
}

func (c *comparer) eq(a, b any, depth int) bool {
	if depth > taggedMaxDepth {
		return false
	}
	if ia, ok := asBig(a); ok {
		ib, ok := asBig(b)
		return ok && ia.Cmp(ib) == 0
	}
	switch x := a.(type) {
	case nil:
		return b == nil
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case float64:
		y, ok := b.(float64)
		return ok && math.Float64bits(x) == math.Float64bits(y)
	case string:
		y, ok := b.(string)
		return ok && x == y
	case []byte:
		y, ok := b.([]byte)
		return ok && bytes.Equal(x, y)
	case ByteArray:
		y, ok := b.(ByteArray)
		return ok && bytes.Equal(x, y)
	case []any:
		y, ok := b.([]any)
		return ok && c.eqList(x, y, depth)
	case Tuple:
		y, ok := b.(Tuple)
		return ok && c.eqList(x, y, depth)
	case *Dict:
		y, ok := b.(*Dict)
		return ok && x != nil && y != nil && c.eqItems(x.items, y.items, depth)
	case *OrderedDict:
		y, ok := b.(*OrderedDict)
		return ok && x != nil && y != nil && c.eqItems(x.items, y.items, depth)
	case *Set:
		y, ok := b.(*Set)
		return ok && x != nil && y != nil && c.eqSet(x, y, depth)
	case *FrozenSet:
		y, ok := b.(*FrozenSet)
		return ok && x != nil && y != nil && c.eqSet(&x.Set, &y.Set, depth)
	case complex128:
		y, ok := b.(complex128)
		return ok && math.Float64bits(real(x)) == math.Float64bits(real(y)) && math.Float64bits(imag(x)) == math.Float64bits(imag(y))
	case DateTime:
		y, ok := b.(DateTime)
		if !ok {
			return false
		}
		xt, yt := x, y
		xt.TZ, yt.TZ = nil, nil
		return xt == yt && c.eqTZ(x.TZ, y.TZ)
	case Time:
		y, ok := b.(Time)
		if !ok {
			return false
		}
		xt, yt := x, y
		xt.TZ, yt.TZ = nil, nil
		return xt == yt && c.eqTZ(x.TZ, y.TZ)
	case Date, TimeDelta, Decimal, UUID, Global:
		return a == b
	case TimeZone, ZoneInfo, PytzZone:
		bz, ok := b.(TZInfo)
		return ok && c.eqTZ(x.(TZInfo), bz)
	case *Object:
		y, ok := b.(*Object)
		if !ok || x == nil || y == nil {
			return false
		}
		if x == y {
			return true
		}
		if !c.visit(uintptr(unsafe.Pointer(x)), 0, uintptr(unsafe.Pointer(y)), 0) {
			return true
		}
		if x.Global != y.Global || x.How != y.How || x.HasState != y.HasState || len(x.DictItems) != len(y.DictItems) {
			return false
		}
		if !c.eqList(x.Args, y.Args, depth) || !c.eqList(x.ListItems, y.ListItems, depth) {
			return false
		}
		if (x.Kwargs == nil) != (y.Kwargs == nil) && (x.Kwargs.Len() != 0 || y.Kwargs.Len() != 0) {
			return false
		}
		if x.Kwargs != nil && y.Kwargs != nil && !c.eqItems(x.Kwargs.items, y.Kwargs.items, depth) {
			return false
		}
		if x.HasState && !c.eq(x.State, y.State, depth+1) {
			return false
		}
		for i := range x.DictItems {
			if !c.eq(x.DictItems[i][0], y.DictItems[i][0], depth+1) || !c.eq(x.DictItems[i][1], y.DictItems[i][1], depth+1) {
				return false
			}
		}
		return true
	}
	return false
}

func (c *comparer) eqTZ(a, b TZInfo) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	switch x := a.(type) {
	case TimeZone:
		y, ok := b.(TimeZone)
		if !ok || x.Offset != y.Offset || (x.Name == nil) != (y.Name == nil) {
			return false
		}
		return x.Name == nil || *x.Name == *y.Name
	case ZoneInfo:
		y, ok := b.(ZoneInfo)
		return ok && x == y
	case PytzZone:
		y, ok := b.(PytzZone)
		return ok && x.Callable == y.Callable && c.eqList(x.Args, y.Args, 0)
	}
	return false
}
