package py

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"sync"
	"time"
)

// This file holds the Go types for the Python standard-library values a session may hold:
// datetime.datetime/date/time/timedelta and their tzinfo classes, decimal.Decimal, uuid.UUID,
// and the inert [*Object] that stands for an allow-listed instance of any other class.

// DateTime is a Python datetime.datetime. TZ is nil for a naive datetime. Fold is 0 or 1 (PEP
// 495); it is kept as the pickle says (pickles of protocol 4 and later carry it).
type DateTime struct {
	Year, Month, Day, Hour, Minute, Second, Microsecond, Fold int
	TZ                                                        TZInfo
}

// Time converts d to a time.Time. An aware datetime gives its exact instant (in a fixed zone of
// its UTC offset); a naive one gives the same wall clock in naiveLoc (time.UTC when nil). If
// the offset cannot be determined (a zoneinfo key unknown to the local tz database), UTC is
// used.
func (d DateTime) Time(naiveLoc *time.Location) time.Time {
	if d.TZ == nil {
		if naiveLoc == nil {
			naiveLoc = time.UTC
		}
		return time.Date(d.Year, time.Month(d.Month), d.Day, d.Hour, d.Minute, d.Second, d.Microsecond*1000, naiveLoc)
	}
	off, err := d.TZ.UTCOffset(d)
	if err != nil {
		off = 0
	}
	loc := time.UTC
	if off != 0 {
		loc = time.FixedZone("", int(off/time.Second))
	}
	return time.Date(d.Year, time.Month(d.Month), d.Day, d.Hour, d.Minute, d.Second, d.Microsecond*1000, loc)
}

// DateTimeOf returns the wall clock of t in tz as a DateTime with TZ tz. A nil tz gives a
// naive DateTime of t's own wall clock. For a [ZoneInfo], Fold is set to 1 when t is the second
// occurrence of an ambiguous wall clock. For a pytz zone, the zone's fixed offset recorded in
// the pickle is used, as pytz's own instances are per-offset.
func DateTimeOf(t time.Time, tz TZInfo) DateTime {
	if tz != nil {
		switch z := tz.(type) {
		case ZoneInfo:
			if loc, err := z.Location(); err == nil {
				t = t.In(loc)
				d := dateTimeFields(t, tz)
				// Fold=1 when the same wall clock occurred earlier with another offset.
				_, off := t.Zone()
				if _, off2 := t.Add(-time.Hour * 3).Zone(); off2 > off {
					if _, early := t.Add(-time.Duration(off2-off) * time.Second).Zone(); early == off2 {
						d.Fold = 1
					}
				}
				return d
			}
			t = t.UTC()
		default:
			off, err := tz.UTCOffset(DateTime{Year: t.Year(), Month: int(t.Month()), Day: t.Day()})
			if err != nil {
				off = 0
			}
			t = t.In(time.FixedZone("", int(off/time.Second)))
		}
	}
	return dateTimeFields(t, tz)
}

func dateTimeFields(t time.Time, tz TZInfo) DateTime {
	return DateTime{Year: t.Year(), Month: int(t.Month()), Day: t.Day(), Hour: t.Hour(),
		Minute: t.Minute(), Second: t.Second(), Microsecond: t.Nanosecond() / 1000, TZ: tz}
}

// TZInfo is a Python tzinfo: [TimeZone], [ZoneInfo] or [PytzZone].
type TZInfo interface {
	// UTCOffset returns the zone's offset from UTC for the wall clock d (d.TZ is ignored).
	UTCOffset(d DateTime) (time.Duration, error)
	isTZInfo()
}

// TimeZone is a Python datetime.timezone: a fixed offset with an optional name. UTC is
// TimeZone{} (datetime.timezone.utc).
type TimeZone struct {
	Offset time.Duration
	Name   *string // nil unless the timezone was built with a name
}

// UTCOffset returns z.Offset.
func (z TimeZone) UTCOffset(DateTime) (time.Duration, error) { return z.Offset, nil }
func (TimeZone) isTZInfo()                                   {}

// ZoneInfo is a Python zoneinfo.ZoneInfo, named by its IANA key ("Europe/Paris").
type ZoneInfo struct {
	Key string
}

var zoneCache sync.Map // key → *time.Location

// Location returns the zone as a *time.Location, loaded with time.LoadLocation once per key.
func (z ZoneInfo) Location() (*time.Location, error) {
	if l, ok := zoneCache.Load(z.Key); ok {
		return l.(*time.Location), nil
	}
	l, err := time.LoadLocation(z.Key)
	if err != nil {
		return nil, fmt.Errorf("py: zoneinfo %q: %w", z.Key, err)
	}
	zoneCache.Store(z.Key, l)
	return l, nil
}

// UTCOffset returns the offset of the zone at wall clock d, with Python's rules for a wall
// clock that is skipped or repeated: Fold 0 takes the offset in force before the transition,
// Fold 1 the one after. It fails when the key is not in the local tz database.
func (z ZoneInfo) UTCOffset(d DateTime) (time.Duration, error) {
	off, _, err := z.zoneAt(d)
	return off, err
}

// TZName returns the zone's abbreviation at wall clock d, as Python's zoneinfo gives it:
// that of the same offset UTCOffset picks, so a skipped wall clock with Fold 0 has the name
// in force before the transition ("CET" for 02:30 on the night Paris springs forward) and
// with Fold 1 the one after ("CEST").
func (z ZoneInfo) TZName(d DateTime) (string, error) {
	_, name, err := z.zoneAt(d)
	return name, err
}

// Fixed reports the offset and abbreviation of a zone that has no transitions at all
// (ZoneInfo("UTC"), "Etc/GMT+5"): for it alone Python's utcoffset(None) and tzname(None),
// which a time with this tzinfo answers, are not None.
func (z ZoneInfo) Fixed() (time.Duration, string, bool) {
	loc, err := z.Location()
	if err != nil {
		return 0, "", false
	}
	t := time.Unix(0, 0).In(loc)
	if start, end := t.ZoneBounds(); !start.IsZero() || !end.IsZero() {
		return 0, "", false
	}
	name, off := t.Zone()
	return time.Duration(off) * time.Second, name, true
}

// zoneAt resolves wall clock d as zoneinfo's _find_trans does (PEP 495): the offset and
// abbreviation of the zone in force at d; in a gap (a skipped wall clock) or a fold (a
// repeated one), those in force before the transition for Fold 0 and after it for Fold 1.
func (z ZoneInfo) zoneAt(d DateTime) (time.Duration, string, error) {
	loc, err := z.Location()
	if err != nil {
		return 0, "", err
	}
	wall := time.Date(d.Year, time.Month(d.Month), d.Day, d.Hour, d.Minute, d.Second, d.Microsecond*1000, time.UTC).Unix()
	nameBefore, before := time.Unix(wall-86400, 0).In(loc).Zone()
	nameAfter, after := time.Unix(wall+86400, 0).In(loc).Zone()
	okBefore := offsetAt(loc, wall-int64(before)) == before
	okAfter := offsetAt(loc, wall-int64(after)) == after
	off, name := before, ""
	switch {
	case okBefore && !okAfter:
	case okAfter && !okBefore:
		off = after
	case okBefore && okAfter: // no transition near d, or a fold
		if d.Fold == 1 {
			off = after
		}
	default: // a gap: the names of the offsets on either side
		name = nameBefore
		if d.Fold == 1 {
			off, name = after, nameAfter
		}
	}
	if name == "" {
		name, _ = time.Unix(wall-int64(off), 0).In(loc).Zone()
	}
	return time.Duration(off) * time.Second, name, nil
}

func offsetAt(loc *time.Location, unix int64) int {
	_, off := time.Unix(unix, 0).In(loc).Zone()
	return off
}

func (ZoneInfo) isTZInfo() {}

// PytzZone is a pytz timezone, kept as the call that rebuilds it: Callable "pytz._UTC" with no
// Args for pytz.UTC, "pytz._p" with (zone,) for a static zone or (zone, utcoffset seconds,
// dst seconds, tzname) for a DST zone's per-offset instance, or "pytz.FixedOffset" with
// (minutes,) for pytz.FixedOffset.
type PytzZone struct {
	Callable string
	Args     Tuple
}

// UTCOffset returns 0 for pytz.UTC, the recorded offset for a DST zone instance, and the
// zone's offset at d (from the local tz database) for a static zone.
func (z PytzZone) UTCOffset(d DateTime) (time.Duration, error) {
	if z.Callable == "pytz._UTC" {
		return 0, nil
	}
	if z.Callable == "pytz.FixedOffset" && len(z.Args) == 1 {
		if m, ok := z.Args[0].(int64); ok {
			return time.Duration(m) * time.Minute, nil
		}
	}
	if len(z.Args) >= 2 {
		if s, ok := z.Args[1].(int64); ok {
			return time.Duration(s) * time.Second, nil
		}
	}
	if len(z.Args) >= 1 {
		if key, ok := z.Args[0].(string); ok {
			return ZoneInfo{Key: key}.UTCOffset(d)
		}
	}
	return 0, fmt.Errorf("py: pytz zone %s%v has no known offset", z.Callable, z.Args)
}

func (PytzZone) isTZInfo() {}

// Date is a Python datetime.date.
type Date struct{ Year, Month, Day int }

// Time is a Python datetime.time. TZ is nil for a naive time.
type Time struct {
	Hour, Minute, Second, Microsecond, Fold int
	TZ                                      TZInfo
}

// TimeDelta is a Python datetime.timedelta, normalised as Python keeps it:
// 0 <= Seconds < 86400 and 0 <= Microseconds < 1000000.
type TimeDelta struct {
	Days, Seconds, Microseconds int64
}

// Duration converts td to a time.Duration (saturating at the Duration range).
func (td TimeDelta) Duration() time.Duration {
	const maxDays = int64(1<<63-1) / int64(24*time.Hour)
	if td.Days > maxDays {
		return 1<<63 - 1
	}
	if td.Days < -maxDays {
		return -1 << 63
	}
	return time.Duration(td.Days)*24*time.Hour + time.Duration(td.Seconds)*time.Second + time.Duration(td.Microseconds)*time.Microsecond
}

// Decimal is a Python decimal.Decimal, kept as its str() form ("1.50", "-0", "NaN",
// "1E+3"), which is what its pickle carries.
type Decimal struct {
	Value string
}

// SafeUUID is uuid.SafeUUID: whether a UUID was generated in a multiprocessing-safe way.
type SafeUUID int8

// The values of uuid.SafeUUID. SafeUUIDUnknown is what pickles of most UUIDs carry (by
// leaving is_safe out).
const (
	SafeUUIDUnknown SafeUUID = iota // uuid.SafeUUID.unknown (no "is_safe" in the pickle)
	SafeUUIDSafe                    // uuid.SafeUUID.safe (is_safe 0)
	SafeUUIDUnsafe                  // uuid.SafeUUID.unsafe (is_safe -1)
)

// UUID is a Python uuid.UUID.
type UUID struct {
	Bytes  [16]byte
	IsSafe SafeUUID
}

// String returns the canonical hyphenated hex form.
func (u UUID) String() string {
	const hexd = "0123456789abcdef"
	var b [36]byte
	j := 0
	for i, c := range u.Bytes {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			b[j] = '-'
			j++
		}
		b[j], b[j+1] = hexd[c>>4], hexd[c&15]
		j += 2
	}
	return string(b[:])
}

// Object is an instance of an allow-listed class outside the built-in type table, kept inert:
// the pickle's instructions to rebuild it, which Encode writes back as they were. Decode
// returns it as *Object.
type Object struct {
	Global    Global   // the class or callable
	How       string   // "reduce" (Global(*Args)), "newobj" (cls.__new__(cls, *Args)) or "newobj_ex"
	Args      Tuple    // the arguments
	Kwargs    *Dict    // keyword arguments ("newobj_ex" only)
	State     any      // what BUILD received, when HasState
	HasState  bool     // whether a BUILD followed
	ListItems []any    // items APPENDed to the object
	DictItems [][2]any // key/value pairs SETITEM'd on the object
}

// pyKey keys the types of this file as Python's == compares them (see hashKey).
func pyKey(v any, budget *int) (hashKey, error) {
	switch x := v.(type) {
	case DateTime:
		if x.TZ != nil {
			if _, err := x.TZ.UTCOffset(x); err == nil {
				t := x.Time(nil)
				return hashKey{kind: 'A', n: t.Unix()*1e6 + int64(x.Microsecond)}, nil
			}
			return hashKey{kind: 'a', s: fmt.Sprintf("%d-%d-%d %d:%d:%d.%d %#v", x.Year, x.Month, x.Day, x.Hour, x.Minute, x.Second, x.Microsecond, x.TZ)}, nil
		}
		return hashKey{kind: 'D', s: fmt.Sprintf("%d-%d-%d %d:%d:%d.%d", x.Year, x.Month, x.Day, x.Hour, x.Minute, x.Second, x.Microsecond)}, nil
	case Date:
		return hashKey{kind: 'd', s: fmt.Sprintf("%d-%d-%d", x.Year, x.Month, x.Day)}, nil
	case Time:
		tz := ""
		if x.TZ != nil {
			off, err := x.TZ.UTCOffset(DateTime{Year: 1, Month: 1, Day: 1})
			tz = fmt.Sprint(off, err)
		}
		return hashKey{kind: 'T', s: fmt.Sprintf("%d:%d:%d.%d %s", x.Hour, x.Minute, x.Second, x.Microsecond, tz)}, nil
	case TimeDelta:
		return hashKey{kind: 'L', s: fmt.Sprintf("%d/%d/%d", x.Days, x.Seconds, x.Microseconds)}, nil
	case Decimal:
		return decimalKey(x.Value), nil
	case complex128:
		if imag(x) == 0 {
			return floatKey(real(x)), nil
		}
		return hashKey{kind: 'c', s: fmt.Sprintf("%x/%x", math.Float64bits(real(x)), math.Float64bits(imag(x)))}, nil
	case UUID:
		return hashKey{kind: 'u', s: string(x.Bytes[:])}, nil
	case *Object:
		return hashKey{kind: 'o', s: fmt.Sprintf("%p", x)}, nil
	case Global:
		return hashKey{kind: 'g', s: x.String()}, nil
	case TimeZone:
		return hashKey{kind: 'Z', n: int64(x.Offset)}, nil
	case ZoneInfo:
		return hashKey{kind: 'Y', s: x.Key}, nil
	case PytzZone:
		return hashKey{kind: 'P', s: fmt.Sprintf("%s%#v", x.Callable, x.Args)}, nil
	}
	return hashKey{}, &UnhashableError{Type: fmt.Sprintf("Go %T", v)}
}

// decimalKey keys a Decimal by value: integral ones as ints, ones a float holds exactly as
// that float, others by their exact rational value. Values with huge exponents (which would
// be costly to expand) are keyed by their text.
func decimalKey(s string) hashKey {
	mant, exp, ok := splitDecimal(s)
	if !ok || len(mant)+absInt(exp) > 800 {
		return hashKey{kind: 'x', s: s}
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return hashKey{kind: 'x', s: s}
	}
	if r.IsInt() {
		return bigKey(r.Num())
	}
	if f, exact := r.Float64(); exact {
		return floatKey(f)
	}
	return hashKey{kind: 'x', s: r.RatString()}
}

// splitDecimal splits a finite Decimal string into its digits and exponent.
func splitDecimal(s string) (digits string, exp int, ok bool) {
	if s != "" && (s[0] == '-' || s[0] == '+') {
		s = s[1:]
	}
	mant := s
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		mant = s[:i]
		e, err := strconv.Atoi(s[i+1:])
		if err != nil {
			return "", 0, false
		}
		exp = e
	}
	if mant == "" {
		return "", 0, false
	}
	for _, c := range mant {
		if (c < '0' || c > '9') && c != '.' {
			return "", 0, false
		}
	}
	return mant, exp, true
}

func absInt(n int) int {
	if n < 0 {
		if n < -1<<30 {
			return 1 << 30
		}
		return -n
	}
	return n
}
