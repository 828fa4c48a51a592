package py

import (
	"errors"
	"strconv"
	"time"
	"unicode/utf8"
)

// Isoformat is Python's datetime.isoformat(): "YYYY-MM-DDTHH:MM:SS[.ffffff]", then the UTC
// offset "+HH:MM[:SS[.ffffff]]" when the datetime is aware and its offset is known.
func (d DateTime) Isoformat() string {
	b := make([]byte, 0, 32)
	b = appendInt(b, d.Year, 4)
	b = append(b, '-')
	b = appendInt(b, d.Month, 2)
	b = append(b, '-')
	b = appendInt(b, d.Day, 2)
	b = append(b, 'T')
	b = appendClock(b, d.Hour, d.Minute, d.Second, d.Microsecond)
	if d.TZ != nil {
		off, err := d.TZ.UTCOffset(d)
		if err == nil {
			b = appendOffset(b, off)
		}
	}
	return string(b)
}

// FormatUTCOffset formats an offset as isoformat() and Python's timezone names do:
// "+HH:MM[:SS[.ffffff]]".
func FormatUTCOffset(off time.Duration) string {
	return string(appendOffset(make([]byte, 0, 16), off))
}

// Isoformat is Python's date.isoformat(): "YYYY-MM-DD".
func (d Date) Isoformat() string {
	b := appendInt(make([]byte, 0, 10), d.Year, 4)
	b = append(b, '-')
	b = appendInt(b, d.Month, 2)
	b = append(b, '-')
	return string(appendInt(b, d.Day, 2))
}

// Isoformat is Python's time.isoformat() for a naive time: "HH:MM:SS[.ffffff]". (An aware
// time's offset needs a date for a zone with transitions; callers append it.)
func (t Time) Isoformat() string {
	return string(appendClock(make([]byte, 0, 15), t.Hour, t.Minute, t.Second, t.Microsecond))
}

func appendClock(b []byte, h, m, s, us int) []byte {
	b = appendInt(b, h, 2)
	b = append(b, ':')
	b = appendInt(b, m, 2)
	b = append(b, ':')
	b = appendInt(b, s, 2)
	if us != 0 {
		b = append(b, '.')
		b = appendInt(b, us, 6)
	}
	return b
}

func appendOffset(b []byte, off time.Duration) []byte {
	sign := byte('+')
	if off < 0 {
		sign, off = '-', -off
	}
	b = append(b, sign)
	h := int(off / time.Hour)
	m := int(off % time.Hour / time.Minute)
	s := int(off % time.Minute / time.Second)
	us := int(off % time.Second / time.Microsecond)
	b = appendInt(b, h, 2)
	b = append(b, ':')
	b = appendInt(b, m, 2)
	if s != 0 || us != 0 {
		b = append(b, ':')
		b = appendInt(b, s, 2)
		if us != 0 {
			b = append(b, '.')
			b = appendInt(b, us, 6)
		}
	}
	return b
}

func appendInt(b []byte, n, width int) []byte {
	s := strconv.Itoa(n)
	for i := len(s); i < width; i++ {
		b = append(b, '0')
	}
	return append(b, s...)
}

// FromISOFormat is Python's datetime.fromisoformat for the datetime strings it accepts Python's datetime.fromisoformat accepts in their
// extended form: "YYYY-MM-DD", then a separator (any one character) and
// "HH[:MM[:SS[.f...]]]", then an optional "Z", "±HH[:MM[:SS[.ffffff]]]" or "±HHMM[SS]".
// Fractions longer than 6 digits are cut to microseconds, as Python 3.11+ does. (Python 3.11+
// also reads the basic forms "YYYYMMDD" and ISO week dates, which Django never writes.)
func FromISOFormat(s string) (DateTime, error) {
	var d DateTime
	p := isoParser{s: s}
	d.Year = p.digits(4)
	p.lit('-')
	d.Month = p.digits(2)
	p.lit('-')
	d.Day = p.digits(2)
	if p.err == nil && p.i < len(s) {
		_, size := utf8.DecodeRuneInString(s[p.i:])
		p.i += size
		d.Hour = p.digits(2)
		if p.peek(':') {
			p.i++
			d.Minute = p.digits(2)
			if p.peek(':') {
				p.i++
				d.Second = p.digits(2)
				if p.peek('.') || p.peek(',') {
					p.i++
					d.Microsecond = p.fraction()
				}
			}
		}
		switch {
		case p.peek('Z'):
			p.i++
			d.TZ = TimeZone{}
		case p.peek('+') || p.peek('-'):
			neg := s[p.i] == '-'
			p.i++
			off := time.Duration(p.digits(2)) * time.Hour
			if p.peekDigit() { // ±HHMM[SS], accepted by Python 3.11+
				off += time.Duration(p.digits(2)) * time.Minute
				if p.peekDigit() {
					off += time.Duration(p.digits(2)) * time.Second
				}
			} else if p.peek(':') {
				p.i++
				off += time.Duration(p.digits(2)) * time.Minute
				if p.peek(':') {
					p.i++
					off += time.Duration(p.digits(2)) * time.Second
					if p.peek('.') {
						p.i++
						off += time.Duration(p.fraction()) * time.Microsecond
					}
				}
			}
			if off >= 24*time.Hour {
				p.fail()
			}
			if neg {
				off = -off
			}
			d.TZ = TimeZone{Offset: off}
		}
	}
	if p.err == nil && p.i != len(s) {
		p.fail()
	}
	if p.err != nil {
		return DateTime{}, p.err
	}
	if d.Year < 1 || d.Month < 1 || d.Month > 12 || d.Day < 1 ||
		d.Day > time.Date(d.Year, time.Month(d.Month)+1, 0, 0, 0, 0, 0, time.UTC).Day() ||
		d.Hour > 23 || d.Minute > 59 || d.Second > 59 {
		return DateTime{}, errors.New("py: fromisoformat: date or time out of range")
	}
	return d, nil
}

type isoParser struct {
	s   string
	i   int
	err error
}

func (p *isoParser) fail() {
	if p.err == nil {
		p.err = errors.New("py: fromisoformat: invalid isoformat string")
	}
}

func (p *isoParser) peek(c byte) bool { return p.err == nil && p.i < len(p.s) && p.s[p.i] == c }

func (p *isoParser) peekDigit() bool {
	return p.err == nil && p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9'
}

func (p *isoParser) lit(c byte) {
	if !p.peek(c) {
		p.fail()
		return
	}
	p.i++
}

func (p *isoParser) digits(n int) int {
	if p.err != nil || p.i+n > len(p.s) {
		p.fail()
		return 0
	}
	v := 0
	for _, c := range []byte(p.s[p.i : p.i+n]) {
		if c < '0' || c > '9' {
			p.fail()
			return 0
		}
		v = v*10 + int(c-'0')
	}
	p.i += n
	return v
}

// fraction reads 1 or more digits of a fraction of a second and returns microseconds.
func (p *isoParser) fraction() int {
	start := p.i
	us := 0
	for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
		if p.i-start < 6 {
			us = us*10 + int(p.s[p.i]-'0')
		}
		p.i++
	}
	n := p.i - start
	if n == 0 {
		p.fail()
		return 0
	}
	for ; n < 6; n++ {
		us *= 10
	}
	return us
}
