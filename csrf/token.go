package csrf

import (
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// ErrMalformedToken: a string given to [Mask] or [Unmask] is not a secret or a masked token.
var ErrMalformedToken = errors.New("csrf: malformed CSRF secret or token")

// charIndex is CSRF_ALLOWED_CHARS.index(c), or -1.
func charIndex(c byte) int {
	switch {
	case c >= 'a' && c <= 'z':
		return int(c - 'a')
	case c >= 'A' && c <= 'Z':
		return int(c-'A') + 26
	case c >= '0' && c <= '9':
		return int(c-'0') + 52
	}
	return -1
}

// validChars reports whether s has only AllowedChars (Django's invalid_token_chars_re).
func validChars(s string) bool {
	for i := 0; i < len(s); i++ {
		if charIndex(s[i]) < 0 {
			return false
		}
	}
	return true
}

// newString is _get_new_csrf_string(): 32 characters of AllowedChars, uniform (rejection
// sampling over random bytes).
func newString(rnd io.Reader) (string, error) {
	var out [SecretLength]byte
	var buf [48]byte
	n := 0
	for n < len(out) {
		if _, err := io.ReadFull(rnd, buf[:]); err != nil {
			return "", fmt.Errorf("csrf: reading random bytes: %w", err)
		}
		for _, b := range buf {
			if b >= 248 { // 248 = 4 * 62
				continue
			}
			out[n] = AllowedChars[b%62]
			if n++; n == len(out) {
				break
			}
		}
	}
	return string(out[:]), nil
}

// cipher is the loop of _mask_cipher_secret (sign +1) and _unmask_cipher_token (sign -1):
// pairs of characters as Python's zip makes them, so as long as the shorter input. It fails
// where Python's str.index would raise ValueError.
func cipher(text, mask string, sign int) (string, bool) {
	n := min(len(text), len(mask))
	b := make([]byte, n)
	for i := range n {
		x, y := charIndex(text[i]), charIndex(mask[i])
		if x < 0 || y < 0 {
			return "", false
		}
		b[i] = AllowedChars[((x+sign*y)%62+62)%62]
	}
	return string(b), true
}

// maskSecret is _mask_cipher_secret(secret) with a fresh mask.
func maskSecret(rnd io.Reader, secret string) (string, error) {
	mask, err := newString(rnd)
	if err != nil {
		return "", err
	}
	c, ok := cipher(secret, mask, +1)
	if !ok {
		return "", fmt.Errorf("csrf: the stored CSRF secret has characters outside AllowedChars: %w", ErrMalformedToken)
	}
	return mask + c, nil
}

// unmask is _unmask_cipher_token(token) for any string, as Python computes it.
func unmask(token string) (string, bool) {
	mask := token[:min(len(token), SecretLength)]
	return cipher(token[len(mask):], mask, -1)
}

// Mask is Django's _mask_cipher_secret: a fresh random mask followed by the secret enciphered
// with it, the 64-character token a form or a header carries. secret must be 32 characters
// of AllowedChars.
func Mask(secret string) (string, error) {
	if len(secret) != SecretLength || !validChars(secret) {
		return "", fmt.Errorf("csrf: a CSRF secret is %d characters of AllowedChars: %w", SecretLength, ErrMalformedToken)
	}
	return maskSecret(rand.Reader, secret)
}

// Unmask is Django's _unmask_cipher_token: the secret of a 64-character masked token.
func Unmask(token string) (string, error) {
	if len(token) != TokenLength || !validChars(token) {
		return "", fmt.Errorf("csrf: a masked CSRF token is %d characters of AllowedChars: %w", TokenLength, ErrMalformedToken)
	}
	s, _ := unmask(token)
	return s, nil
}

// constantTimeEqual is Django's constant_time_compare.
func constantTimeEqual(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// formatProblem is _check_token_format (4.0+): the InvalidTokenFormat reason, or "". n is the
// token's length as Python counts it: bytes for a header or a cookie (WSGI decodes them as
// latin-1), characters for a form field (decoded as UTF-8).
func formatProblem(token string, n int) string {
	if n != TokenLength && n != SecretLength {
		return "has incorrect length"
	}
	if !validChars(token) {
		return "has invalid characters"
	}
	return ""
}

// sanitize32 is Django 3.2's _sanitize_token: a 64-character token as it is, a 32-character
// secret masked, anything else replaced by a new random token. changed reports a value that
// is not the input.
func sanitize32(rnd io.Reader, token string) (out string, changed bool, err error) {
	switch {
	case !validChars(token):
	case len(token) == TokenLength:
		return token, false, nil
	case len(token) == SecretLength:
		out, err = maskSecret(rnd, token)
		return out, true, err
	}
	secret, err := newString(rnd)
	if err != nil {
		return "", true, err
	}
	out, err = maskSecret(rnd, secret)
	return out, true, err
}

// pyLen is the length of s decoded as Python's bytes.decode("utf-8", "replace") does: a
// character per valid sequence, and one U+FFFD per maximal invalid subpart.
func pyLen(s string) int {
	n := 0
	for i := 0; i < len(s); n++ {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			size = maximalSubpart(s[i:])
		}
		i += size
	}
	return n
}

// maximalSubpart is the length of the invalid UTF-8 sequence at the start of s that Python
// replaces by one U+FFFD: a lead byte and the continuation bytes that could follow it.
func maximalSubpart(s string) int {
	c := s[0]
	need, lo, hi := 0, byte(0x80), byte(0xBF)
	switch {
	case c >= 0xC2 && c <= 0xDF:
		need = 1
	case c == 0xE0:
		need, lo = 2, 0xA0
	case c == 0xED:
		need, hi = 2, 0x9F
	case c >= 0xE1 && c <= 0xEF:
		need = 2
	case c == 0xF0:
		need, lo = 3, 0x90
	case c == 0xF4:
		need, hi = 3, 0x8F
	case c >= 0xF1 && c <= 0xF3:
		need = 3
	default:
		return 1
	}
	i := 1
	for ; i <= need && i < len(s); i++ {
		b := s[i]
		if i == 1 && (b < lo || b > hi) || i > 1 && (b < 0x80 || b > 0xBF) {
			break
		}
	}
	return i
}
