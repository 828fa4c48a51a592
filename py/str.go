package py

import (
	"errors"
	"unicode/utf8"
)

var errTimeDeltaRange = errors.New("py: datetime.timedelta out of range")

// NewTimeDelta normalises as Python's timedelta constructor does and checks its range.
func NewTimeDelta(days, secs, us int64) (TimeDelta, error) {
	const lim = 1 << 50 // far beyond the valid range, and no overflow below
	if days > lim || days < -lim || secs > lim || secs < -lim || us > lim || us < -lim {
		return TimeDelta{}, errTimeDeltaRange
	}
	secs += floorDiv(us, 1000000)
	us = floorMod(us, 1000000)
	days += floorDiv(secs, 86400)
	secs = floorMod(secs, 86400)
	if days > 999999999 || days < -999999999 {
		return TimeDelta{}, errTimeDeltaRange
	}
	return TimeDelta{Days: days, Seconds: secs, Microseconds: us}, nil
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func floorMod(a, b int64) int64 { return a - floorDiv(a, b)*b }

// ValidSurrogatePass reports whether b decodes with Python's "utf-8" codec and the
// "surrogatepass" error handler, as the unpickler decodes str: valid UTF-8, plus encoded
// surrogates (U+D800 to U+DFFF, ED A0 80 to ED BF BF).
func ValidSurrogatePass(b []byte) bool {
	for i := 0; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf {
			i++
			continue
		}
		if c == 0xED && i+2 < len(b) && b[i+1] >= 0xA0 && b[i+1] <= 0xBF && b[i+2]&0xC0 == 0x80 {
			i += 3
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size <= 1 {
			return false
		}
		i += size
	}
	return true
}
