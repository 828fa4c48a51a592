package djangosession

import (
	"crypto/rand"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// Session keys, as django.contrib.sessions.backends.base makes and checks them.
const (
	// SessionKeyChars is VALID_KEY_CHARS: the alphabet of new session keys.
	SessionKeyChars = "abcdefghijklmnopqrstuvwxyz0123456789"

	// SessionKeyLength is the length of a new session key.
	SessionKeyLength = 32

	// MinSessionKeyLength is the shortest key Django accepts (_validate_session_key); shorter
	// keys, including "", mean "no session".
	MinSessionKeyLength = 8

	// MemcachedMaxKeyLength is MEMCACHE_MAX_KEY_LENGTH.
	MemcachedMaxKeyLength = 250
)

// DefaultKeyFunc is Django's default_key_func: "prefix:version:key".
func DefaultKeyFunc(key, prefix string, version int) string {
	return prefix + ":" + strconv.Itoa(version) + ":" + key
}

// ValidSessionKey reports whether Django accepts key as a session key: at least 8 characters.
// Like Django it checks no characters; a key the cache backend refuses is a miss on load.
func ValidSessionKey(key string) bool {
	return utf8.RuneCountInString(key) >= MinSessionKeyLength
}

// ValidateMemcachedKey checks a final cache key as Django's memcached backends do before
// contacting a server (validate_key): more than 250 characters, or a character below 33 or equal
// to 127, raises InvalidCacheKey. It also refuses a key that is not valid UTF-8 or whose UTF-8
// form exceeds 250 bytes, which the memcached client or server would refuse. The error matches
// ErrInvalidKey.
func ValidateMemcachedKey(key string) error {
	if !utf8.ValidString(key) {
		return fmt.Errorf("%w: not valid UTF-8", ErrInvalidKey)
	}
	if utf8.RuneCountInString(key) > MemcachedMaxKeyLength || len(key) > MemcachedMaxKeyLength {
		return fmt.Errorf("%w: longer than %d", ErrInvalidKey, MemcachedMaxKeyLength)
	}
	for _, r := range key {
		if r < 33 || r == 127 {
			return fmt.Errorf("%w: contains characters that cause errors with memcached", ErrInvalidKey)
		}
	}
	return nil
}

// newSessionKey returns 32 characters from SessionKeyChars drawn with crypto/rand. Bytes of 252
// and above are rejected so that each character is uniform (252 = 7 * 36).
func newSessionKey() (string, error) {
	var out [SessionKeyLength]byte
	var buf [64]byte
	n := 0
	for n < SessionKeyLength {
		if _, err := rand.Read(buf[:]); err != nil {
			return "", fmt.Errorf("djangosession: reading random bytes: %w", err)
		}
		for _, b := range buf {
			if b >= 252 {
				continue
			}
			out[n] = SessionKeyChars[b%36]
			n++
			if n == SessionKeyLength {
				break
			}
		}
	}
	return string(out[:]), nil
}
