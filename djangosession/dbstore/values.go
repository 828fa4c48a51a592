package dbstore

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// timeArg is t as Django's adapt_datetimefield_value would send it: microsecond precision
// (Python's datetime has no finer unit, so finer digits are dropped); for PostgreSQL an
// instant, for MySQL and SQLite the text of str(datetime) for the naive wall clock in UTC (or in
// TIME_ZONE with USE_TZ=False): "YYYY-MM-DD HH:MM:SS", plus ".ffffff" unless the microseconds
// are zero.
func (t *Table) timeArg(v time.Time) (any, error) {
	v = v.Truncate(time.Microsecond)
	if t.dialect == Postgres {
		v = v.UTC()
		if y := v.Year(); y < 1 || y > 9999 {
			return nil, &ExpireDateError{Reason: fmt.Sprintf("year %d is outside Python's datetime range 1..9999", y)}
		}
		return v, nil
	}
	return formatNaive(v.In(t.loc))
}

// formatNaive is Python's str(datetime) for v's wall clock.
func formatNaive(v time.Time) (string, error) {
	if y := v.Year(); y < 1 || y > 9999 {
		return "", &ExpireDateError{Reason: fmt.Sprintf("year %d is outside Python's datetime range 1..9999", y)}
	}
	if v.Nanosecond() == 0 {
		return v.Format("2006-01-02 15:04:05"), nil
	}
	return v.Format("2006-01-02 15:04:05.000000"), nil
}

// parseExpire reads an expire_date value as the driver returned it: a time.Time, or text as
// string or []byte. The result is in UTC, or in TIME_ZONE with USE_TZ=False.
func (t *Table) parseExpire(raw any) (time.Time, error) {
	switch v := raw.(type) {
	case time.Time:
		switch t.dialect {
		case Postgres:
			// timestamp with time zone: the driver gives the instant.
			return v.In(t.loc), nil
		case MySQL:
			// datetime(6) is naive; go-sql-driver/mysql (parseTime=true) builds the time from
			// its fields in the DSN's loc, so the wall clock is the stored value.
			return t.localize(v), nil
		default:
			// SQLite text parsed by the driver (declared type datetime): drivers read naive
			// text as UTC, some then convert to a configured location; the UTC wall clock is
			// the stored text.
			return t.localize(v.UTC()), nil
		}
	case string:
		return t.parseText(v)
	case []byte:
		return t.parseText(string(v))
	case nil:
		return time.Time{}, &ExpireDateError{Reason: "NULL"}
	default:
		return time.Time{}, &ExpireDateError{Value: fmt.Sprint(v), Reason: fmt.Sprintf("unexpected %T from the driver", raw)}
	}
}

// datetimeRE is django.utils.dateparse.datetime_re (Django 4.0+; 3.2 has the same groups
// without ',' as decimal mark), plus optional seconds in the offset, which PostgreSQL's text
// output may carry.
var datetimeRE = regexp.MustCompile(`^(\d{4})-(\d{1,2})-(\d{1,2})[T ](\d{1,2}):(\d{1,2})` +
	`(?::(\d{1,2})(?:[.,](\d{1,6})\d{0,6})?)?\s*(Z|[+-]\d{2}(?::?\d{2}(?::\d{2})?)?)?$`)

// parseText reads expire_date text the way Django's parse_datetime does: naive text is local
// time in the table's location (UTC, or TIME_ZONE with USE_TZ=False); text with an offset is
// that instant.
func (t *Table) parseText(s string) (time.Time, error) {
	m := datetimeRE.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return time.Time{}, &ExpireDateError{Value: s, Reason: "not a date and time"}
	}
	num := func(i int) int {
		n, _ := strconv.Atoi(m[i]) // the pattern allows digits only
		return n
	}
	year, month, day, hour, minute := num(1), num(2), num(3), num(4), num(5)
	sec, usec := 0, 0
	if m[6] != "" {
		sec = num(6)
	}
	if m[7] != "" {
		usec = num(7)
		for i := len(m[7]); i < 6; i++ {
			usec *= 10
		}
	}
	if year < 1 || month < 1 || month > 12 || day < 1 || day > daysIn(year, month) ||
		hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, &ExpireDateError{Value: s, Reason: "field out of range"}
	}
	wall := time.Date(year, time.Month(month), day, hour, minute, sec, usec*1000, time.UTC)
	if m[8] == "" {
		return t.localize(wall), nil
	}
	off := 0
	if z := m[8]; z != "Z" {
		digits := strings.ReplaceAll(z[1:], ":", "")
		h, _ := strconv.Atoi(digits[0:2])
		mm, ss := 0, 0
		if len(digits) >= 4 {
			mm, _ = strconv.Atoi(digits[2:4])
		}
		if len(digits) == 6 {
			ss, _ = strconv.Atoi(digits[4:6])
		}
		if h > 23 || mm > 59 || ss > 59 {
			return time.Time{}, &ExpireDateError{Value: s, Reason: "offset out of range"}
		}
		off = h*3600 + mm*60 + ss
		if z[0] == '-' {
			off = -off
		}
	}
	return wall.Add(-time.Duration(off) * time.Second).In(t.loc), nil
}

func daysIn(year, month int) int {
	return time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// localize reads wall's clock fields (its own location is ignored) as local time in t.loc,
// with Python's fold=0 rule, which Django follows: a time that occurs twice (clocks set back)
// is the first occurrence; a time skipped (clocks set forward) uses the offset in force before
// the change.
func (t *Table) localize(wall time.Time) time.Time {
	y, mo, d := wall.Date()
	h, mi, s := wall.Clock()
	w := time.Date(y, mo, d, h, mi, s, wall.Nanosecond(), time.UTC)
	if t.loc == time.UTC {
		return w
	}
	offAt := func(u time.Time) int { _, o := u.In(t.loc).Zone(); return o }
	// Offsets in force around w (transitions are far more than a day apart).
	cands := []int{offAt(w.Add(-24 * time.Hour)), offAt(w.Add(24 * time.Hour))}
	best, found := 0, false
	for _, o := range cands {
		if offAt(w.Add(-time.Duration(o)*time.Second)) == o { // w exists with offset o
			if !found || o > best { // the larger offset is the earlier instant
				best, found = o, true
			}
		}
	}
	if !found { // a skipped time: the offset before the change (the smaller one)
		best = min(cands[0], cands[1])
	}
	return w.Add(-time.Duration(best) * time.Second).In(t.loc)
}

// isDuplicate tells a unique-key violation from other errors without importing a driver.
func isDuplicate(d Dialect, err error) bool {
	msg := err.Error()
	switch d {
	case Postgres:
		// pgx's *pgconn.PgError and lib/pq's *pq.Error both have SQLState().
		var st interface{ SQLState() string }
		if errors.As(err, &st) {
			return st.SQLState() == "23505"
		}
		return strings.Contains(msg, "SQLSTATE 23505") ||
			strings.Contains(msg, "duplicate key value violates unique constraint")
	case MySQL:
		// go-sql-driver/mysql: "Error 1062 (23000): Duplicate entry '...' for key 'PRIMARY'".
		// (The *MySQLError's Number field has no method to ask through.)
		return strings.Contains(msg, "Error 1062") || strings.HasPrefix(msg, "Duplicate entry ")
	case SQLite:
		// modernc.org/sqlite's *Error.Code() is the extended code: 1555 (PRIMARYKEY) or
		// 2067 (UNIQUE). Every driver passes on SQLite's own text.
		var c interface{ Code() int }
		if errors.As(err, &c) && (c.Code() == 1555 || c.Code() == 2067) {
			return true
		}
		return strings.Contains(msg, "UNIQUE constraint failed") ||
			strings.Contains(msg, "PRIMARY KEY constraint failed")
	}
	return false
}
