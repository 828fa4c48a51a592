package djangosession

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/djangobridge/bridge/py"
)

// ExpiryKey is the session key in which Django keeps a custom expiry (set_expiry).
const ExpiryKey = "_session_expiry"

// The forms of "_session_expiry" (django.contrib.sessions.backends.base):
//
//	absent or None   SESSION_COOKIE_AGE, and SESSION_EXPIRE_AT_BROWSER_CLOSE decides the cookie
//	int N > 0        N seconds after the last save (a rolling window)
//	int 0            a browser-session cookie; the cache timeout is still SESSION_COOKIE_AGE
//	datetime         (3.2) an absolute expiry, pickled; tz pytz.utc with USE_TZ, else naive local
//	str              (4.2+) the same as datetime.isoformat(): "2030-01-02T03:04:05+00:00",
//	                 with ".ffffff" when the microseconds are not 0, no offset when naive
//
// 4.2+ read datetimes as well as strings; 3.2 cannot read strings (its get_expiry_age returns the
// string itself as the timeout, and the save fails).

// errExpiry builds the error for a "_session_expiry" value Django could not use either.
func errExpiry(v any, why string) error {
	return fmt.Errorf("djangosession: %s %s: %s: %w", ExpiryKey, describe(v), why, ErrCorrupt)
}

// describe names a value for a message without printing whole strings.
func describe(v any) string {
	if s, ok := v.(string); ok {
		if utf8.RuneCountInString(s) > 40 {
			s = string([]rune(s)[:40]) + "…"
		}
		return strconv.Quote(s)
	}
	return fmt.Sprintf("of Go type %T", v)
}

// pyTruthy reports Python's bool(v) for the value types a session holds. Values of unknown
// types (objects) are true, as Python objects are by default.
func pyTruthy(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	case int64:
		return x != 0
	case int:
		return x != 0
	case *big.Int:
		return x != nil && x.Sign() != 0
	case float64:
		return x != 0
	case string:
		return x != ""
	case []byte:
		return len(x) > 0
	case py.ByteArray:
		return len(x) > 0
	case []any:
		return len(x) > 0
	case py.Tuple:
		return len(x) > 0
	case *py.Dict:
		return x.Len() > 0
	case *py.OrderedDict:
		return x.Len() > 0
	case *py.Set:
		return x.Len() > 0
	case *py.FrozenSet:
		return x.Len() > 0
	case py.TimeDelta:
		return x != py.TimeDelta{}
	}
	return true
}

// pyTime is a Python datetime reduced to what expiry math needs.
type pyTime struct {
	wall  time.Time // the wall clock fields, in UTC (for naive arithmetic)
	at    time.Time // the instant (aware only)
	aware bool
}

func pyTimeOf(d py.DateTime) (pyTime, error) {
	if d.Month < 1 || d.Month > 12 || d.Day < 1 || d.Day > 31 || d.Hour < 0 || d.Hour > 23 ||
		d.Minute < 0 || d.Minute > 59 || d.Second < 0 || d.Second > 59 || d.Microsecond < 0 || d.Microsecond > 999999 {
		return pyTime{}, errExpiry(d, "not a valid datetime")
	}
	p := pyTime{wall: time.Date(d.Year, time.Month(d.Month), d.Day, d.Hour, d.Minute, d.Second, d.Microsecond*1000, time.UTC)}
	if d.TZ != nil {
		off, err := d.TZ.UTCOffset(d)
		if err != nil {
			return pyTime{}, errExpiry(d, err.Error())
		}
		p.aware = true
		p.at = p.wall.Add(-off)
	}
	return p, nil
}

// now returns timezone.now() as Django sees it: microsecond precision; aware UTC with USE_TZ,
// else the naive wall clock in TIME_ZONE.
func (st *Store) now() pyTime {
	t := st.cfg.Now().Truncate(time.Microsecond)
	if st.cfg.DisableUseTZ {
		w := t.In(st.cfg.loc)
		y, mo, d := w.Date()
		h, mi, s := w.Clock()
		return pyTime{wall: time.Date(y, mo, d, h, mi, s, w.Nanosecond(), time.UTC)}
	}
	u := t.UTC()
	return pyTime{wall: u, at: u, aware: true}
}

// sub is Python's a - b for datetimes, floored to whole seconds as
// delta.days * 86400 + delta.seconds. Naive minus aware fails, as in Python.
func sub(a, b pyTime) (int64, error) {
	if a.aware != b.aware {
		return 0, errors.New("can't subtract offset-naive and offset-aware datetimes")
	}
	x, y := a.wall, b.wall
	if a.aware {
		x, y = a.at, b.at
	}
	secs := x.Unix() - y.Unix()
	if x.Nanosecond() < y.Nanosecond() {
		secs--
	}
	return secs, nil
}

// seconds converts whole seconds to a Duration, saturating at its range (about 292 years).
func seconds(n int64) time.Duration {
	const limit = math.MaxInt64 / int64(time.Second)
	switch {
	case n > limit:
		return time.Duration(limit) * time.Second
	case n < -limit:
		return -time.Duration(limit) * time.Second
	}
	return time.Duration(n) * time.Second
}

// expiryAge is get_expiry_age(modification=now, expiry=v): the cache timeout of a save.
func (st *Store) expiryAge(v any, now pyTime) (time.Duration, error) {
	if !pyTruthy(v) {
		return st.cfg.SessionCookieAge, nil
	}
	var exp pyTime
	switch x := v.(type) {
	case int64:
		return seconds(x), nil
	case int:
		return seconds(int64(x)), nil
	case bool: // True: Python returns it, and int(True) is 1
		return time.Second, nil
	case *big.Int:
		if x.IsInt64() {
			return seconds(x.Int64()), nil
		}
		return seconds(int64(x.Sign()) * math.MaxInt64), nil
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return 0, errExpiry(v, "not a finite number")
		}
		if math.Abs(x) >= float64(math.MaxInt64/int64(time.Second)) {
			return seconds(int64(math.Copysign(math.MaxInt64, x))), nil
		}
		return time.Duration(x * float64(time.Second)), nil
	case string:
		p, err := st.parseExpiryString(x)
		if err != nil {
			return 0, err
		}
		exp = p
	case py.DateTime:
		p, err := pyTimeOf(x)
		if err != nil {
			return 0, err
		}
		exp = p
	default:
		return 0, errExpiry(v, "not an int, a datetime or an ISO string")
	}
	n, err := sub(exp, now)
	if err != nil {
		return 0, errExpiry(v, err.Error())
	}
	return seconds(n), nil
}

// expiryDate is get_expiry_date(modification=now, expiry=v).
func (st *Store) expiryDate(v any, now pyTime) (time.Time, error) {
	var exp pyTime
	switch x := v.(type) {
	case string:
		p, err := st.parseExpiryString(x)
		if err != nil {
			return time.Time{}, err
		}
		exp = p
	case py.DateTime:
		p, err := pyTimeOf(x)
		if err != nil {
			return time.Time{}, err
		}
		exp = p
	default:
		age, err := st.expiryAge(v, now)
		if err != nil {
			return time.Time{}, err
		}
		exp = pyTime{wall: now.wall.Add(age), at: now.at.Add(age), aware: now.aware}
	}
	if exp.aware {
		return exp.at, nil
	}
	y, mo, d := exp.wall.Date()
	h, mi, s := exp.wall.Clock()
	return time.Date(y, mo, d, h, mi, s, exp.wall.Nanosecond(), st.cfg.loc), nil
}

// parseExpiryString reads an ISO string as Django 4.2+ does (datetime.fromisoformat).
func (st *Store) parseExpiryString(s string) (pyTime, error) {
	if st.cfg.version == 0 { // 3.2
		return pyTime{}, errExpiry(s, "Django 3.2 cannot read an ISO-string expiry")
	}
	d, err := py.FromISOFormat(s)
	if err != nil {
		return pyTime{}, errExpiry(s, err.Error())
	}
	return pyTimeOf(d)
}

// expiryValue is what set_expiry(datetime) stores for t in the configured Django version.
func (st *Store) expiryValue(t time.Time) any {
	t = t.Truncate(time.Microsecond)
	var tz py.TZInfo
	if st.cfg.DisableUseTZ {
		t = t.In(st.cfg.loc)
	} else {
		t = t.UTC()
		if st.cfg.version == 0 {
			tz = py.PytzZone{Callable: "pytz._UTC"} // 3.2: timezone.utc is pytz.utc
		} else {
			tz = py.TimeZone{} // 4.x+: datetime.timezone.utc
		}
	}
	d := py.DateTimeOf(t, tz)
	if st.cfg.version == 0 {
		return d
	}
	return d.Isoformat()
}
