package py

import (
	"math"
	"strconv"
)

// FloatRepr returns Python's repr(f) for a finite float: the shortest digits that round-trip,
// in fixed notation when the decimal exponent is in [-4, 16) ("0.0001", "1e+16", "1e-05") and
// with ".0" added to integral values. NaN and infinities give "nan", "inf", "-inf".
func FloatRepr(f float64) string {
	switch {
	case math.IsNaN(f):
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	es := strconv.FormatFloat(f, 'e', -1, 64)
	// es is [-]d[.ddd]e±XX; the decimal point position is exponent + 1.
	ei := len(es) - 1
	for es[ei] != 'e' {
		ei--
	}
	exp, _ := strconv.Atoi(es[ei+1:])
	decpt := exp + 1
	if decpt <= -4 || decpt > 16 {
		return es
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	for i := 0; i < len(s); i++ {
		if s[i] == '.' {
			return s
		}
	}
	return s + ".0"
}
