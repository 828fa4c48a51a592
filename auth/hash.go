package auth

import (
	"crypto/hmac"
	"encoding/hex"

	"github.com/djangobridge/bridge/signing"
)

// HashSalt is the key_salt of AbstractBaseUser.get_session_auth_hash.
const HashSalt = "django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash"

// SessionAuthHash returns the value Django stores under "_auth_user_hash":
// salted_hmac(HashSalt, passwordHash, secret=secretKey, algorithm="sha256").hexdigest(),
// where passwordHash is the user's stored password field (e.g. "pbkdf2_sha256$...").
func SessionAuthHash(passwordHash, secretKey string) string {
	return hashHex(passwordHash, secretKey, "sha256")
}

// LegacySessionAuthHash is Django 3.2's _legacy_get_session_auth_hash (the same HMAC with
// sha1, 40 hex digits), also what get_session_auth_hash returns on 3.2 when
// DEFAULT_HASHING_ALGORITHM is "sha1". Django 3.2's get_user accepts it; 4.0+ does not.
func LegacySessionAuthHash(passwordHash, secretKey string) string {
	return hashHex(passwordHash, secretKey, "sha1")
}

func hashHex(passwordHash, secretKey, algorithm string) string {
	mac, _ := signing.SaltedHMAC(HashSalt, passwordHash, secretKey, algorithm) // known algorithm
	return hex.EncodeToString(mac)
}

// HashOptions configure VerifySessionAuthHash.
type HashOptions struct {
	// AcceptLegacySHA1 also accepts LegacySessionAuthHash, as Django 3.2 does.
	AcceptLegacySHA1 bool
}

// VerifySessionAuthHash checks a stored "_auth_user_hash" against the user's password hash, as
// django.contrib.auth.get_user does: keys[0] is SECRET_KEY, keys[1:] are SECRET_KEY_FALLBACKS.
// It returns whether the hash matched and the index of the key that matched. When index > 0
// the session was authenticated with a fallback key: Django 4.1.8+ then cycles the session
// key and stores SessionAuthHash(passwordHash, keys[0]); the caller should do the same. An
// empty stored hash never matches. Comparisons are constant-time; every key is tried.
func VerifySessionAuthHash(stored, passwordHash string, keys []string, opts HashOptions) (match bool, keyIndex int) {
	if stored == "" {
		return false, 0
	}
	match, keyIndex = false, 0
	for i, k := range keys {
		ok := hmac.Equal([]byte(stored), []byte(SessionAuthHash(passwordHash, k)))
		if opts.AcceptLegacySHA1 {
			ok = hmac.Equal([]byte(stored), []byte(LegacySessionAuthHash(passwordHash, k))) || ok
		}
		if ok && !match {
			match, keyIndex = true, i
		}
	}
	return match, keyIndex
}
