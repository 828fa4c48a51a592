package djangosession

import (
	"bytes"
	"crypto/hmac"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/djangobridge/bridge/py"
	"github.com/djangobridge/bridge/signing"
)

// This file holds the session formats built on signing: the session_data string of the db,
// cached_db (its database row) and file backends (SessionBase.encode/decode), Django 3.2's
// pre-3.1 legacy format, and the cookie value of the signed_cookies backend.

// Salts of the session formats.
const (
	// SessionKeySalt is SessionBase.key_salt for every built-in backend:
	// "django.contrib.sessions." + "SessionStore".
	SessionKeySalt = "django.contrib.sessions.SessionStore"
	// LegacySessionKeySalt is the salt of the pre-3.1 format (no dot before the class name).
	LegacySessionKeySalt = "django.contrib.sessionsSessionStore"
	// SignedCookieSalt is the salt of the signed_cookies backend.
	SignedCookieSalt = "django.contrib.sessions.backends.signed_cookies"
	// DefaultSessionCookieAge is SESSION_COOKIE_AGE's default, two weeks.
	DefaultSessionCookieAge = 1209600 * time.Second
)

// NotDictError reports session data that verified and decoded to something other than a dict.
// Django would hand such a value to the session machinery, which fails later; here it wraps
// ErrCorrupt.
type NotDictError struct {
	Type string
}

// Error implements error.
func (e *NotDictError) Error() string {
	return "djangosession: session data decodes to " + e.Type + ", not a dict"
}

// Unwrap returns ErrCorrupt.
func (e *NotDictError) Unwrap() error { return ErrCorrupt }

func asDict(v any) (*py.Dict, error) {
	switch d := v.(type) {
	case *py.Dict:
		if d == nil {
			return nil, &NotDictError{Type: "nil *Dict"}
		}
		return d, nil
	case *py.OrderedDict:
		if d == nil {
			return nil, &NotDictError{Type: "nil *OrderedDict"}
		}
		return &d.Dict, nil
	}
	return nil, &NotDictError{Type: py.TypeName(v)}
}

// SessionDataOptions configure EncodeSessionData and DecodeSessionData. The zero value is
// Django 4.0+'s defaults except SecretKey.
type SessionDataOptions struct {
	// SecretKey is SECRET_KEY (required). SecretKeyFallbacks is SECRET_KEY_FALLBACKS (4.1+),
	// tried in order when decoding.
	SecretKey          string
	SecretKeyFallbacks []string
	// Serializer is SESSION_SERIALIZER: nil means JSONSerializer (Django's default);
	// PickleSerializer for PickleSerializer apps (Django < 5.0).
	Serializer signing.Serializer
	// Now is the clock for the timestamp EncodeSessionData writes; nil means time.Now.
	Now func() time.Time
	// Algorithm is the signing algorithm: "" means "sha256", the only one Django 4.0+ uses.
	// For Django 3.2 with DEFAULT_HASHING_ALGORITHM = "sha1", Django writes the legacy format
	// instead: use EncodeLegacySessionData.
	Algorithm string
	// Django32 applies Django 3.2's reading rules: a sha1 signature is accepted too, and when
	// the value does not verify, the pre-3.1 legacy format is tried.
	Django32 bool
	// MaxDecompressedSize caps the inflated size of compressed data; 0 means
	// DefaultMaxDecompressedSize, negative means no cap.
	MaxDecompressedSize int
}

// EncodeSessionData is SessionStore.encode(session) of the db, cached_db and file backends:
// signing.dumps(session, salt=SessionKeySalt, serializer=SESSION_SERIALIZER, compress=True).
func EncodeSessionData(session *py.Dict, opts SessionDataOptions) (string, error) {
	if session == nil {
		session = py.NewDict(0)
	}
	return signing.Dumps(session, signing.DumpsOptions{Key: opts.SecretKey, Salt: SessionKeySalt, Algorithm: opts.Algorithm,
		Serializer: opts.Serializer, Compress: true, Now: opts.Now})
}

// DecodeSessionData is SessionStore.decode(session_data): it verifies the signature (with
// SecretKey, then each fallback), without any age limit, and decodes the dict.
//
// Where Django returns an empty session, this returns an error instead and the caller decides:
// a bad signature (Django logs django.security.SuspiciousSession "Session data corrupted")
// matches ErrBadSignature; anything else Django swallows (undecodable base64, zlib, JSON or
// pickle, a missing timestamp) matches ErrCorrupt. A value that is not a dict gives
// *NotDictError (Django would return it and fail later).
func DecodeSessionData(data string, opts SessionDataOptions) (*py.Dict, error) {
	s, _, err := DecodeSessionDataKey(data, opts)
	return s, err
}

// DecodeSessionDataKey is DecodeSessionData that also reports which key verified the data: 0
// for SecretKey, i+1 for SecretKeyFallbacks[i], so that a caller can re-save the session
// under the current key. Legacy data (Django32) reports 0: that format knows no fallbacks.
func DecodeSessionDataKey(data string, opts SessionDataOptions) (*py.Dict, int, error) {
	v, i, err := decodeSessionDataValue(data, opts)
	if err != nil {
		return nil, 0, err
	}
	d, err := asDict(v)
	return d, i, err
}

// decodeSessionDataValue is DecodeSessionDataKey's work: the value the serializer returned
// (with signing.LazyJSONSerializer, a *pyjson.Object), or the legacy format's dict.
func decodeSessionDataValue(data string, opts SessionDataOptions) (any, int, error) {
	lo := signing.LoadsOptions{Key: opts.SecretKey, FallbackKeys: opts.SecretKeyFallbacks, Salt: SessionKeySalt,
		Algorithm: opts.Algorithm, Serializer: opts.Serializer, MaxDecompressedSize: opts.MaxDecompressedSize}
	if opts.Django32 {
		lo.LegacyAlgorithm = "sha1"
	}
	l, err := signing.LoadsDetail(data, lo)
	if err != nil {
		if opts.Django32 && !errors.Is(err, signing.ErrEmptyKey) {
			// Django 3.2 tries the legacy format after any failure.
			if d, lerr := DecodeLegacySessionData(data, opts); lerr == nil {
				return d, 0, nil
			}
		}
		return nil, 0, fromCodec(err)
	}
	return l.Value, l.KeyIndex, nil
}

// encodedJSON is a signing.Serializer whose Dumps returns JSON already written (a lazy
// session's, see Store.encodeData), whatever value it is given.
type encodedJSON []byte

func (b encodedJSON) Dumps(any) ([]byte, error) { return b, nil }

func (b encodedJSON) Loads([]byte) (any, error) {
	return nil, errors.New("djangosession: encodedJSON only writes")
}

// LegacySessionHash is Django 3.2's SessionBase._hash(serialized): the sha1 salted HMAC
// hexdigest with LegacySessionKeySalt.
func LegacySessionHash(serialized []byte, secretKey string) string {
	mac, _ := signing.SaltedHMAC(LegacySessionKeySalt, string(serialized), secretKey, "sha1") // sha1 is known
	return hex.EncodeToString(mac)
}

// EncodeLegacySessionData writes the pre-3.1 format, which Django 3.2 writes when
// DEFAULT_HASHING_ALGORITHM is "sha1": standard base64 (with padding) of
// LegacySessionHash + ":" + serialized. Django 4.0+ cannot read it.
func EncodeLegacySessionData(session *py.Dict, opts SessionDataOptions) (string, error) {
	if opts.SecretKey == "" {
		return "", signing.ErrEmptyKey
	}
	if session == nil {
		session = py.NewDict(0)
	}
	ser := opts.Serializer
	if ser == nil {
		ser = signing.JSONSerializer{}
	}
	serialized, err := ser.Dumps(session)
	if err != nil {
		return "", err
	}
	h := LegacySessionHash(serialized, opts.SecretKey)
	raw := make([]byte, 0, len(h)+1+len(serialized))
	raw = append(raw, h...)
	raw = append(raw, ':')
	raw = append(raw, serialized...)
	return base64.StdEncoding.EncodeToString(raw), nil
}

// legacyError is a legacy session value that does not verify or parse.
type legacyError struct{ msg string }

func (e *legacyError) Error() string { return "djangosession: legacy session data: " + e.msg }
func (e *legacyError) Unwrap() error { return ErrCorrupt }

// DecodeLegacySessionData is Django 3.2's SessionBase._legacy_decode. The data is decoded with
// Python's lenient base64.b64decode; a hash that does not match (Django logs SuspiciousSession
// and returns {}) matches ErrBadSignature; other failures match ErrCorrupt. Only SecretKey is
// used: Django 3.2 has no fallback keys.
func DecodeLegacySessionData(data string, opts SessionDataOptions) (*py.Dict, error) {
	if opts.SecretKey == "" {
		return nil, signing.ErrEmptyKey
	}
	for i := 0; i < len(data); i++ {
		if data[i] >= 0x80 {
			return nil, &legacyError{msg: "not ASCII"} // Python: UnicodeEncodeError
		}
	}
	raw, err := py.Base64Decode([]byte(data), false)
	if err != nil {
		return nil, corrupt(err)
	}
	i := bytes.IndexByte(raw, ':')
	if i < 0 {
		return nil, &legacyError{msg: "no ':' found"}
	}
	got, serialized := raw[:i], raw[i+1:]
	want := LegacySessionHash(serialized, opts.SecretKey)
	// Django decodes the hash as UTF-8 first (an error gives {}), then compares as text.
	if !hmac.Equal(got, []byte(want)) {
		return nil, fmt.Errorf("%w: legacy session hash does not match", signing.ErrBadSignature)
	}
	ser := opts.Serializer
	if ser == nil {
		ser = signing.JSONSerializer{}
	}
	v, err := ser.Loads(serialized)
	if err != nil {
		return nil, fromCodec(err)
	}
	return asDict(v)
}

// SignedCookieOptions configure EncodeSignedCookieSession and DecodeSignedCookieSession. The
// zero value is Django's defaults except SecretKey.
type SignedCookieOptions struct {
	// SecretKey is SECRET_KEY (required); SecretKeyFallbacks is SECRET_KEY_FALLBACKS (4.1+).
	SecretKey          string
	SecretKeyFallbacks []string
	// Serializer is SESSION_SERIALIZER; nil means JSONSerializer.
	Serializer signing.Serializer
	// SessionCookieAge is SESSION_COOKIE_AGE, the max age checked on load; 0 means
	// DefaultSessionCookieAge (two weeks).
	SessionCookieAge time.Duration
	// Now is the clock for signing and for the age check; nil means time.Now.
	Now func() time.Time
	// Algorithm "" means "sha256"; Django 3.2 uses DEFAULT_HASHING_ALGORITHM here.
	Algorithm string
	// Django32 also accepts sha1 signatures on load, as Django 3.2 does.
	Django32 bool
	// MaxDecompressedSize caps the inflated size; 0 means DefaultMaxDecompressedSize.
	MaxDecompressedSize int
}

// EncodeSignedCookieSession returns the value the signed_cookies backend puts in the session
// cookie: signing.dumps(session, compress=True, salt=SignedCookieSalt,
// serializer=SESSION_SERIALIZER), signed with the plain SECRET_KEY.
func EncodeSignedCookieSession(session *py.Dict, opts SignedCookieOptions) (string, error) {
	if session == nil {
		session = py.NewDict(0)
	}
	return signing.Dumps(session, signing.DumpsOptions{Key: opts.SecretKey, Salt: SignedCookieSalt, Algorithm: opts.Algorithm,
		Serializer: opts.Serializer, Compress: true, Now: opts.Now})
}

// DecodeSignedCookieSession is the signed_cookies SessionStore.load(): signing.loads with
// max_age = SESSION_COOKIE_AGE. Django resets the session (returns {} and marks it modified)
// on any failure; this returns the error: ErrSignatureExpired, ErrBadSignature or ErrCorrupt.
// A custom expiry stored in the session is not checked, as in Django (ticket #19201).
func DecodeSignedCookieSession(cookie string, opts SignedCookieOptions) (*py.Dict, error) {
	s, _, err := DecodeSignedCookieSessionKey(cookie, opts)
	return s, err
}

// DecodeSignedCookieSessionKey is DecodeSignedCookieSession that also reports the key that
// matched (0 = SecretKey, i+1 = SecretKeyFallbacks[i]).
func DecodeSignedCookieSessionKey(cookie string, opts SignedCookieOptions) (*py.Dict, int, error) {
	v, i, err := decodeSignedCookieValue(cookie, opts)
	if err != nil {
		return nil, 0, err
	}
	d, err := asDict(v)
	return d, i, err
}

// decodeSignedCookieValue is DecodeSignedCookieSessionKey's work: the value the serializer
// returned (with signing.LazyJSONSerializer, a *pyjson.Object).
func decodeSignedCookieValue(cookie string, opts SignedCookieOptions) (any, int, error) {
	age := opts.SessionCookieAge
	if age == 0 {
		age = DefaultSessionCookieAge
	}
	lo := signing.LoadsOptions{Key: opts.SecretKey, FallbackKeys: opts.SecretKeyFallbacks, Salt: SignedCookieSalt,
		Algorithm: opts.Algorithm, Serializer: opts.Serializer, MaxAge: age, Now: opts.Now,
		MaxDecompressedSize: opts.MaxDecompressedSize}
	if opts.Django32 {
		lo.LegacyAlgorithm = "sha1"
	}
	l, err := signing.LoadsDetail(cookie, lo)
	if err != nil {
		return nil, 0, fromCodec(err)
	}
	return l.Value, l.KeyIndex, nil
}
