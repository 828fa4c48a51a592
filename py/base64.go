package py

// Base64Error is a base64 decoding failure, Python's binascii.Error.
type Base64Error struct{ Msg string }

func (e *Base64Error) Error() string { return "py: base64: " + e.Msg }

// Base64Decode is CPython's binascii.a2b_base64 in its default, non-strict mode, as
// base64.b64decode (urlsafe false) or base64.urlsafe_b64decode (urlsafe true, which
// translates "-" and "_" to "+" and "/" first, so both alphabets are accepted) call it.
func Base64Decode(in []byte, urlsafe bool) ([]byte, error) {
	out := make([]byte, 0, len(in)/4*3+3)
	quad := 0
	pads := 0
	var left byte
	for _, c := range in {
		if c == '=' {
			if quad >= 2 {
				pads++
				if quad+pads >= 4 {
					return out, nil
				}
			}
			continue
		}
		ch := b64Table[c]
		if ch == 0xff || !urlsafe && (c == '-' || c == '_') {
			continue
		}
		switch quad {
		case 0:
			quad = 1
			left = ch
		case 1:
			quad = 2
			out = append(out, left<<2|ch>>4)
			left = ch & 0x0f
		case 2:
			quad = 3
			out = append(out, left<<4|ch>>2)
			left = ch & 0x03
		case 3:
			quad = 0
			out = append(out, left<<6|ch)
			left = 0
		}
	}
	switch quad {
	case 0:
		return out, nil
	case 1:
		return nil, &Base64Error{Msg: "invalid base64-encoded string: number of data characters cannot be 1 more than a multiple of 4"}
	default:
		return nil, &Base64Error{Msg: "incorrect padding"}
	}
}

// b64Table maps a byte to its base64 value in either alphabet, or 0xff.
var b64Table = func() (t [256]byte) {
	for i := range t {
		if v := b64Value(byte(i)); v >= 0 {
			t[i] = byte(v)
		} else {
			t[i] = 0xff
		}
	}
	return t
}()

func b64Value(c byte) int {
	switch {
	case c >= 'A' && c <= 'Z':
		return int(c - 'A')
	case c >= 'a' && c <= 'z':
		return int(c-'a') + 26
	case c >= '0' && c <= '9':
		return int(c-'0') + 52
	case c == '+' || c == '-':
		return 62
	case c == '/' || c == '_':
		return 63
	}
	return -1
}
