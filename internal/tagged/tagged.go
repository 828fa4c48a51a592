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

	"github.com/djangobridge/bridge/py"
)

// This file converts between the Go value model and tagged JSON, the JSON form of Python
// values used by the compat fixtures, the tests and the CLI (compat_test/FORMAT.md). Besides
// FORMAT.md's tags it writes and reads {"__py__": "global", "name": "module.QualName"} for a
// bare Global (a class or function reference, e.g. in the arguments of an inert Object).

const (
	taggedMaxDepth = 10000   // deeper values (or cycles) are refused by Marshal
	taggedMaxNodes = 1 << 24 // values written, counting shared ones each time
)

// Marshal encodes a value of the Go value model (see the package documentation) as
// tagged JSON. Dicts keep their order. It fails for values outside the model, for cyclic
// values, and for values whose expansion (shared values are written out each time) exceeds
// 16M nodes.
func Marshal(v any) ([]byte, error) {
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

// ErrLimit: a value too deep, cyclic or too large for Marshal.
var ErrLimit = errors.New("tagged JSON: value too deep, cyclic or too large (or an int of more than 131072 bits)")

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
	w.nodes++
	if depth > taggedMaxDepth || w.nodes > taggedMaxNodes {
		return ErrLimit
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
	default:
		return fmt.Errorf("tagged JSON: cannot write Go type %T: %w", v, errors.ErrUnsupported)
	}
	return nil
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
func tzName(z py.TZInfo, dt *py.DateTime, off time.Duration, haveOff bool) (string, bool) {
	switch x := z.(type) {
	case py.TimeZone:
		if x.Name != nil {
			return *x.Name, true
		}
		if x.Offset == 0 {
			return "UTC", true
		}
		return "UTC" + py.FormatUTCOffset(x.Offset), true
	case py.PytzZone:
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
		case py.ZoneInfo:
			key = x.Key
		case py.PytzZone:
			key, _ = x.Args[0].(string)
		}
		if loc, err := (py.ZoneInfo{Key: key}).Location(); err == nil {
			name, _ := dt.Time(nil).In(loc).Zone()
			return name, true
		}
	}
	return "", false
}

func Unmarshal(data []byte) (any, error) {
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
			d := py.NewDict(len(x.keys))
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

func fieldPairs(o *jsonObject, k string) ([]py.Item, error) {
	items, err := fieldItems(o, k)
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
		if !py.ValidSurrogatePass(b) {
			return nil, errTagged("str is not UTF-8 (surrogatepass)")
		}
		return string(b), nil
	case "tuple":
		items, err := fieldItems(o, "items")
		return py.Tuple(items), err
	case "set", "frozenset":
		items, err := fieldItems(o, "items")
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
		pairs, err := fieldPairs(o, "items")
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
		if d.TZ, err = taggedTZ(tzr); err != nil {
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
		return taggedObject(o)
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

func taggedTZ(raw any) (py.TZInfo, error) {
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
	obj := &py.Object{Global: g, How: how}
	if _, ok := o.get("args"); ok {
		args, err := fieldItems(o, "args")
		if err != nil {
			return nil, err
		}
		obj.Args = py.Tuple(args)
	} else {
		obj.Args = py.Tuple{}
	}
	if kw, ok := o.get("kwargs"); ok {
		v, err := fromRaw(kw)
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
			obj.DictItems[i] = [2]any{p.Key, p.Value}
		}
	}
	return obj, nil
}
