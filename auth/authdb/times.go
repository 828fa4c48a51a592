package authdb

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// timeArg is t as Django's adapt_datetimefield_value sends it: microsecond precision; an
// instant for PostgreSQL, the naive text str(datetime) in UTC (or TimeZone with
// DisableUseTZ) for MySQL and SQLite.
func (u *Users) timeArg(t time.Time) (any, error) {
	t = t.Truncate(time.Microsecond)
	if y := t.UTC().Year(); y < 1 || y > 9999 {
		return nil, fmt.Errorf("authdb: year %d is outside Python's datetime range", y)
	}
	if u.pg {
		return t.UTC(), nil
	}
	t = t.In(u.loc)
	if t.Nanosecond() == 0 {
		return t.Format("2006-01-02 15:04:05"), nil
	}
	return t.Format("2006-01-02 15:04:05.000000"), nil
}

// datetimeRE is django.utils.dateparse.datetime_re.
var datetimeRE = regexp.MustCompile(`^(\d{4})-(\d{1,2})-(\d{1,2})[T ](\d{1,2}):(\d{1,2})` +
	`(?::(\d{1,2})(?:[.,](\d{1,6})\d{0,6})?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$`)

// parseTime reads a datetime column as the driver returned it; NULL is the zero Time.
func (u *Users) parseTime(raw any) (time.Time, error) {
	switch v := raw.(type) {
	case nil:
		return time.Time{}, nil
	case time.Time:
		if u.pg {
			return v.UTC(), nil
		}
		// Naive values: the wall clock is the stored value, in UTC or TimeZone.
		y, mo, d := v.Date()
		h, mi, s := v.Clock()
		return time.Date(y, mo, d, h, mi, s, v.Nanosecond(), u.loc).UTC(), nil
	case []byte:
		return u.parseText(string(v))
	case string:
		return u.parseText(v)
	}
	return time.Time{}, fmt.Errorf("authdb: unexpected %T from the driver", raw)
}

func (u *Users) parseText(s string) (time.Time, error) {
	m := datetimeRE.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return time.Time{}, fmt.Errorf("authdb: %q is not a date and time", truncate(s))
	}
	n := func(i int) int { x, _ := strconv.Atoi(m[i]); return x }
	usec := 0
	if m[7] != "" {
		usec = n(7)
		for i := len(m[7]); i < 6; i++ {
			usec *= 10
		}
	}
	sec := 0
	if m[6] != "" {
		sec = n(6)
	}
	loc := u.loc
	if z := m[8]; z != "" {
		off := 0
		if z != "Z" {
			d := strings.ReplaceAll(z[1:], ":", "")
			h, _ := strconv.Atoi(d[:2])
			mm := 0
			if len(d) >= 4 {
				mm, _ = strconv.Atoi(d[2:4])
			}
			off = h*3600 + mm*60
			if z[0] == '-' {
				off = -off
			}
		}
		loc = time.FixedZone("", off)
	}
	return time.Date(n(1), time.Month(n(2)), n(3), n(4), n(5), sec, usec*1000, loc).UTC(), nil
}
