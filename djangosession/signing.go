package djangosession

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha3"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"math"
	"math/big"
	"strings"
	"sync"
	"time"
)

// This file ports django.core.signing and django.utils.crypto.salted_hmac: the salted HMAC, the
// base62 timestamps, URL-safe base64 without padding, Signer, TimestampSigner, and the
// sign_object/unsign_object framing that dumps/loads and the session formats build on.

// Django's defaults.
const (
	// DefaultAlgorithm is the Signer algorithm of Django 4.0+ ("sha256"); Django 3.2 takes
	// DEFAULT_HASHING_ALGORITHM, whose default is also "sha256".
	DefaultAlgorithm = "sha256"
	// DefaultSep is Signer's default separator.
	DefaultSep = ":"
	// DefaultSignerSalt is Signer's default salt: its module and class name.
	DefaultSignerSalt = "django.core.signing.Signer"
	// DefaultTimestampSignerSalt is TimestampSigner's default salt.
	DefaultTimestampSignerSalt = "django.core.signing.TimestampSigner"
	// DefaultDumpsSalt is the default salt of signing.dumps and signing.loads.
	DefaultDumpsSalt = "django.core.signing"
	// DefaultMaxDecompressedSize caps what a compressed signed payload may inflate to (16 MiB).
	// Django has no such cap; the payload is only inflated after its signature has been
	// verified, so the cap guards against a key holder, not against the public.
	DefaultMaxDecompressedSize = 16 << 20
)

// InvalidAlgorithmError reports an HMAC algorithm name that is not supported. Django accepts
// any attribute of Python's hashlib (getattr(hashlib, algorithm)) and raises InvalidAlgorithm
// for the rest. This package supports md5, sha1, sha224, sha256, sha384, sha512 and
// sha3_224/256/384/512. Python's blake2b and blake2s have no standard-library Go counterpart
// and are reported here with Django set; shake_128/shake_256 fail in Django too (TypeError).
type InvalidAlgorithmError struct {
	Algorithm string
	// Django reports whether Django itself would accept the name (blake2b, blake2s).
	Django bool
}

// Error implements error.
func (e *InvalidAlgorithmError) Error() string {
	if e.Django {
		return fmt.Sprintf("djangosession: HMAC algorithm %q is accepted by Django but not supported here", e.Algorithm)
	}
	return fmt.Sprintf("djangosession: %q is not an algorithm accepted by hashlib", e.Algorithm)
}

// InvalidSeparatorError reports a Signer separator that Django refuses: one made only of
// characters of the signature or base64 alphabets (Django's regex ^[A-z0-9-_=]*$, which also
// covers "[", "\\", "]", "^", "`" and the empty string).
type InvalidSeparatorError struct {
	Sep string
}

// Error implements error.
func (e *InvalidSeparatorError) Error() string {
	return fmt.Sprintf("djangosession: unsafe Signer separator %q: it may not consist only of A-z, 0-9, -, _ or =", e.Sep)
}

// ErrEmptyKey is returned when a Signer or an options struct has no secret key. Django falls
// back to settings.SECRET_KEY and refuses an empty one (ImproperlyConfigured).
var ErrEmptyKey = errors.New("djangosession: empty secret key")

// SignatureExpiredError gives the detail of an expired signature. It unwraps to
// ErrSignatureExpired, which in turn matches ErrBadSignature.
type SignatureExpiredError struct {
	Age    time.Duration // time.Now() - timestamp
	MaxAge time.Duration
}

// Error implements error.
func (e *SignatureExpiredError) Error() string {
	return fmt.Sprintf("%v: signature age %v > %v", ErrSignatureExpired, e.Age, e.MaxAge)
}

// Unwrap returns ErrSignatureExpired.
func (e *SignatureExpiredError) Unwrap() error { return ErrSignatureExpired }

// hashes maps the hashlib names this package supports to their constructors.
var hashes = map[string]func() hash.Hash{
	"md5":      md5.New,
	"sha1":     sha1.New,
	"sha224":   sha256.New224,
	"sha256":   sha256.New,
	"sha384":   sha512.New384,
	"sha512":   sha512.New,
	"sha3_224": func() hash.Hash { return sha3.New224() },
	"sha3_256": func() hash.Hash { return sha3.New256() },
	"sha3_384": func() hash.Hash { return sha3.New384() },
	"sha3_512": func() hash.Hash { return sha3.New512() },
}

func hashFor(algorithm string) (func() hash.Hash, error) {
	if h, ok := hashes[algorithm]; ok {
		return h, nil
	}
	return nil, &InvalidAlgorithmError{Algorithm: algorithm, Django: algorithm == "blake2b" || algorithm == "blake2s"}
}

// SaltedHMAC returns the digest of django.utils.crypto.salted_hmac(keySalt, value, secret,
// algorithm=algorithm): an HMAC of value whose key is H(keySalt + secret), the digest itself,
// not keySalt + secret. Hex-encode it for Django's hexdigest().
func SaltedHMAC(keySalt, value, secret, algorithm string) ([]byte, error) {
	h, err := hashFor(algorithm)
	if err != nil {
		return nil, err
	}
	return saltedHMAC(h, keySalt, value, secret), nil
}

func saltedHMAC(h func() hash.Hash, keySalt, value, secret string) []byte {
	kh := h()
	kh.Write([]byte(keySalt))
	kh.Write([]byte(secret))
	m := hmac.New(h, kh.Sum(nil))
	m.Write([]byte(value))
	return m.Sum(nil)
}

// B64Encode is Django's signing.b64_encode: URL-safe base64 with the "=" padding stripped.
func B64Encode(b []byte) string {
	return base64.RawURLEncoding.EncodeToString(b)
}

// B64Decode is Django's signing.b64_decode: it re-pads s and decodes it as Python's
// base64.urlsafe_b64decode does, which is lenient: characters outside the base64 alphabets
// ("+" and "/" are accepted as well as "-" and "_") are skipped, the unused low bits of the
// last character are ignored, and decoding stops at a complete padding sequence. It fails
// (wrapping ErrCorrupt) exactly where Python raises binascii.Error.
func B64Decode(s string) ([]byte, error) {
	if len(s)%4 != 1 && isRawURLBase64(s) {
		// Only URL-safe characters, no padding: Go's decoder (lenient about the unused low
		// bits, like Python's) gives the same bytes.
		return base64.RawURLEncoding.DecodeString(s)
	}
	pad := (4 - len(s)%4) % 4
	b := make([]byte, 0, len(s)+pad)
	b = append(b, s...)
	for range pad {
		b = append(b, '=')
	}
	return pyB64DecodeAlphabet(b, true)
}

func isRawURLBase64(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '+' || c == '/' || b64Table[c] == 0xff {
			return false
		}
	}
	return true
}

// b64Error is a base64 decoding failure (Python's binascii.Error).
type b64Error struct{ msg string }

func (e *b64Error) Error() string { return "djangosession: base64: " + e.msg }
func (e *b64Error) Unwrap() error { return ErrCorrupt }

// pyB64DecodeAlphabet is CPython's binascii.a2b_base64 in its default, non-strict mode, as
// base64.b64decode (urlsafe false) or base64.urlsafe_b64decode (urlsafe true, which
// translates "-" and "_" to "+" and "/" first, so both alphabets are accepted) call it.
func pyB64DecodeAlphabet(in []byte, urlsafe bool) ([]byte, error) {
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
		return nil, &b64Error{msg: "invalid base64-encoded string: number of data characters cannot be 1 more than a multiple of 4"}
	default:
		return nil, &b64Error{msg: "incorrect padding"}
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

const base62Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// B62Encode is Django's signing.b62_encode (utils.baseconv.base62 in 3.2): most significant
// digit first, "-" for negatives, "0" for zero.
func B62Encode(n int64) string {
	if n == 0 {
		return "0"
	}
	var buf [12]byte
	i := len(buf)
	u := uint64(n)
	if n < 0 {
		u = uint64(-(n + 1)) + 1 // |n| without overflow for math.MinInt64
	}
	for u > 0 {
		i--
		buf[i] = base62Alphabet[u%62]
		u /= 62
	}
	if n < 0 {
		i--
		buf[i] = '-'
	}
	return string(buf[i:])
}

// Base62Error reports a string that Django's b62_decode cannot decode (it raises ValueError or
// IndexError). It wraps ErrCorrupt.
type Base62Error struct {
	Input string // truncated to 16 bytes
}

// Error implements error.
func (e *Base62Error) Error() string {
	return fmt.Sprintf("djangosession: invalid base62 %q", e.Input)
}

// Unwrap returns ErrCorrupt.
func (e *Base62Error) Unwrap() error { return ErrCorrupt }

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

// B62Decode is Django's signing.b62_decode for values that fit an int64. Like Django it
// accepts leading zeros, "-" alone (0) and "-0"; it rejects the empty string and characters
// outside the alphabet. Values beyond the int64 range also fail here; see b62DecodeBig.
func B62Decode(s string) (int64, error) {
	b, err := b62DecodeBig(s)
	if err != nil {
		return 0, err
	}
	if !b.IsInt64() {
		return 0, &Base62Error{Input: truncate(s, 16)}
	}
	return b.Int64(), nil
}

func b62DecodeBig(s string) (*big.Int, error) {
	if s == "" {
		return nil, &Base62Error{}
	}
	if s == "0" {
		return new(big.Int), nil
	}
	neg := false
	d := s
	if d[0] == '-' {
		neg = true
		d = d[1:]
	}
	var small uint64
	var acc *big.Int
	for i := 0; i < len(d); i++ {
		v := strings.IndexByte(base62Alphabet, d[i])
		if v < 0 {
			return nil, &Base62Error{Input: truncate(s, 16)}
		}
		if acc == nil {
			if small <= (math.MaxUint64-61)/62 {
				small = small*62 + uint64(v)
				continue
			}
			acc = new(big.Int).SetUint64(small)
		}
		acc.Mul(acc, big.NewInt(62))
		acc.Add(acc, big.NewInt(int64(v)))
	}
	if acc == nil {
		acc = new(big.Int).SetUint64(small)
	}
	if neg {
		acc.Neg(acc)
	}
	return acc, nil
}

// Signer is django.core.signing.Signer. The zero value of each field is Django's default, so
// Signer{Key: secret} is Django's Signer() with SECRET_KEY = secret. A Signer is a plain value;
// it is safe for concurrent use as long as its fields are not changed.
type Signer struct {
	// Key is the secret (Django: key or SECRET_KEY). It must not be empty.
	Key string
	// FallbackKeys are tried, in order, after Key when verifying (Django 4.1+ fallback_keys,
	// default SECRET_KEY_FALLBACKS). Signing always uses Key.
	FallbackKeys []string
	// Salt defaults to "django.core.signing.Signer" (Django treats "" as unset too).
	Salt string
	// Sep defaults to ":"; a separator Django refuses gives *InvalidSeparatorError.
	Sep string
	// Algorithm defaults to "sha256" (Django 4.0+; 3.2: DEFAULT_HASHING_ALGORITHM).
	Algorithm string
	// LegacyAlgorithm is an extra algorithm accepted when verifying, tried after Algorithm with
	// each key. Django 3.2 always also accepts "sha1"; leave it empty for 4.0+.
	LegacyAlgorithm string
}

// signer is a Signer with its defaults resolved and validated.
type signer struct {
	keys   []string
	salt   string
	sep    string
	hash   func() hash.Hash
	legacy func() hash.Hash
}

func (s *Signer) resolve(defaultSalt string) (signer, error) {
	if s.Key == "" {
		return signer{}, ErrEmptyKey
	}
	r := signer{salt: s.Salt, sep: s.Sep}
	if r.salt == "" {
		r.salt = defaultSalt
	}
	if r.sep == "" {
		r.sep = DefaultSep
	} else if sepUnsafe(r.sep) {
		return signer{}, &InvalidSeparatorError{Sep: r.sep}
	}
	alg := s.Algorithm
	if alg == "" {
		alg = DefaultAlgorithm
	}
	var err error
	if r.hash, err = hashFor(alg); err != nil {
		return signer{}, err
	}
	if s.LegacyAlgorithm != "" {
		if r.legacy, err = hashFor(s.LegacyAlgorithm); err != nil {
			return signer{}, err
		}
	}
	r.keys = make([]string, 0, 1+len(s.FallbackKeys))
	r.keys = append(r.keys, s.Key)
	r.keys = append(r.keys, s.FallbackKeys...)
	return r, nil
}

// sepUnsafe reports whether Python's re.match(r"^[A-z0-9-_=]*$", sep) matches.
func sepUnsafe(sep string) bool {
	for i := 0; i < len(sep); i++ {
		c := sep[i]
		if !(c >= 'A' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '=') {
			return false
		}
	}
	return true
}

func (r *signer) signature(h func() hash.Hash, value, key string) string {
	return B64Encode(saltedHMAC(h, r.salt+"signer", value, key))
}

func (r *signer) sign(value string) string {
	return value + r.sep + r.signature(r.hash, value, r.keys[0])
}

// unsign verifies signed and returns its value and the index of the key that matched.
func (r *signer) unsign(signed string) (string, int, error) {
	i := strings.LastIndex(signed, r.sep)
	if i < 0 {
		return "", 0, fmt.Errorf("%w: no %q found in value", ErrBadSignature, r.sep)
	}
	value, sig := signed[:i], signed[i+len(r.sep):]
	for k, key := range r.keys {
		if hmac.Equal([]byte(sig), []byte(r.signature(r.hash, value, key))) {
			return value, k, nil
		}
		if r.legacy != nil && hmac.Equal([]byte(sig), []byte(r.signature(r.legacy, value, key))) {
			return value, k, nil
		}
	}
	return "", 0, fmt.Errorf("%w: signature does not match", ErrBadSignature)
}

// Signature returns the signature Django's Signer.signature(value) computes with Key.
func (s Signer) Signature(value string) (string, error) {
	r, err := s.resolve(DefaultSignerSalt)
	if err != nil {
		return "", err
	}
	return r.signature(r.hash, value, r.keys[0]), nil
}

// Sign returns value + Sep + signature, as Signer.sign.
func (s Signer) Sign(value string) (string, error) {
	r, err := s.resolve(DefaultSignerSalt)
	if err != nil {
		return "", err
	}
	return r.sign(value), nil
}

// Unsign verifies a value made by Sign and returns the value. A missing separator or a
// signature that matches no key gives an error matching ErrBadSignature.
func (s Signer) Unsign(signed string) (string, error) {
	v, _, err := s.UnsignKey(signed)
	return v, err
}

// UnsignKey is Unsign that also reports which key matched: 0 for Key, i+1 for FallbackKeys[i].
// A caller that sees a fallback key can re-sign with the current one.
func (s Signer) UnsignKey(signed string) (value string, keyIndex int, err error) {
	r, err := s.resolve(DefaultSignerSalt)
	if err != nil {
		return "", 0, err
	}
	return r.unsign(signed)
}

// ObjectOptions are the optional arguments of SignObject and UnsignObject.
type ObjectOptions struct {
	// Serializer defaults to JSONSerializer (Django's signing.JSONSerializer).
	Serializer Serializer
	// Compress zlib-compresses the serialized data when that saves more than one byte.
	Compress bool
	// MaxDecompressedSize caps the inflated size of a compressed payload; 0 means
	// DefaultMaxDecompressedSize, a negative value means no cap.
	MaxDecompressedSize int
}

// SignObject is Signer.sign_object: it serializes v, optionally compresses it, encodes it
// with B64Encode (a leading "." marks compression) and signs the result.
func (s Signer) SignObject(v any, opts ObjectOptions) (string, error) {
	r, err := s.resolve(DefaultSignerSalt)
	if err != nil {
		return "", err
	}
	b, err := encodeObject(v, opts.Serializer, opts.Compress)
	if err != nil {
		return "", err
	}
	return r.sign(b), nil
}

// UnsignObject is Signer.unsign_object: it verifies the signature before decoding anything.
func (s Signer) UnsignObject(signed string, opts ObjectOptions) (any, error) {
	r, err := s.resolve(DefaultSignerSalt)
	if err != nil {
		return nil, err
	}
	b, _, err := r.unsign(signed)
	if err != nil {
		return nil, err
	}
	return decodeObject(b, opts.Serializer, opts.MaxDecompressedSize)
}

// TimestampSigner is django.core.signing.TimestampSigner: Signer with a base62 timestamp
// between the value and the signature. Its default Salt is "django.core.signing.TimestampSigner".
type TimestampSigner struct {
	Signer
	// Now returns the current time; nil means time.Now. Only its whole seconds are signed.
	Now func() time.Time
}

func (s *TimestampSigner) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Timestamp returns B62Encode of the current Unix time in whole seconds.
func (s TimestampSigner) Timestamp() string {
	return B62Encode(s.now().Unix())
}

// Signature returns the signature of value (without a timestamp) under Key and the
// TimestampSigner's salt.
func (s TimestampSigner) Signature(value string) (string, error) {
	r, err := s.resolve(DefaultTimestampSignerSalt)
	if err != nil {
		return "", err
	}
	return r.signature(r.hash, value, r.keys[0]), nil
}

// Sign returns value + Sep + timestamp + Sep + signature.
func (s TimestampSigner) Sign(value string) (string, error) {
	r, err := s.resolve(DefaultTimestampSignerSalt)
	if err != nil {
		return "", err
	}
	return r.sign(value + r.sep + s.Timestamp()), nil
}

// Unsigned is the result of a verified timestamped value.
type Unsigned struct {
	Value string
	// KeyIndex is 0 when Key matched and i+1 when FallbackKeys[i] did.
	KeyIndex int
	// Timestamp is the signing time. It is the zero Time when the (signed) timestamp lies
	// beyond the int64 range, which Django accepts when no max age is given.
	Timestamp time.Time
}

// Unsign verifies signed and, when maxAge is not zero, its age; it returns the value. Zero
// means no age check (Django's max_age=None). An expired signature gives a
// *SignatureExpiredError, which matches both ErrSignatureExpired and ErrBadSignature.
func (s TimestampSigner) Unsign(signed string, maxAge time.Duration) (string, error) {
	u, err := s.UnsignDetail(signed, maxAge)
	return u.Value, err
}

// UnsignKey is Unsign that also reports which key matched (see Signer.UnsignKey).
func (s TimestampSigner) UnsignKey(signed string) (value string, keyIndex int, err error) {
	u, err := s.UnsignDetail(signed, 0)
	return u.Value, u.KeyIndex, err
}

// UnsignDetail is Unsign returning the matched key and the timestamp as well.
//
// Like Django it verifies the signature first and then decodes the timestamp, even without a
// max age: a correctly signed value with no timestamp, or an invalid one, is an error wrapping
// ErrCorrupt (Django raises ValueError), not ErrBadSignature.
func (s TimestampSigner) UnsignDetail(signed string, maxAge time.Duration) (Unsigned, error) {
	r, err := s.resolve(DefaultTimestampSignerSalt)
	if err != nil {
		return Unsigned{}, err
	}
	return r.unsignTimestamp(signed, maxAge, s.now)
}

// timestampError is a validly signed value whose timestamp part Django cannot use.
type timestampError struct{ msg string }

func (e *timestampError) Error() string { return "djangosession: signed value: " + e.msg }
func (e *timestampError) Unwrap() error { return ErrCorrupt }

func (r *signer) unsignTimestamp(signed string, maxAge time.Duration, now func() time.Time) (Unsigned, error) {
	result, k, err := r.unsign(signed)
	if err != nil {
		return Unsigned{}, err
	}
	i := strings.LastIndex(result, r.sep)
	if i < 0 {
		return Unsigned{}, &timestampError{msg: "no timestamp"}
	}
	value, tsText := result[:i], result[i+len(r.sep):]
	ts, err := b62DecodeBig(tsText)
	if err != nil {
		return Unsigned{}, &timestampError{msg: "invalid timestamp"}
	}
	u := Unsigned{Value: value, KeyIndex: k}
	if ts.IsInt64() {
		u.Timestamp = time.Unix(ts.Int64(), 0)
	}
	if maxAge != 0 {
		// Django: age = time.time() - timestamp, in float seconds; an int too large for a
		// float raises OverflowError.
		tsf, _ := new(big.Float).SetInt(ts).Float64()
		if math.IsInf(tsf, 0) {
			return Unsigned{}, &timestampError{msg: "timestamp out of range"}
		}
		t := now()
		nowf := float64(t.Unix()) + float64(t.Nanosecond())/1e9
		age := nowf - tsf
		if age > maxAge.Seconds() {
			return Unsigned{}, &SignatureExpiredError{Age: secondsToDuration(age), MaxAge: maxAge}
		}
	}
	return u, nil
}

func secondsToDuration(s float64) time.Duration {
	if s >= float64(math.MaxInt64)/1e9 {
		return time.Duration(math.MaxInt64)
	}
	return time.Duration(s * 1e9)
}

// SignObject is Signer.sign_object with the timestamp: what signing.dumps produces.
func (s TimestampSigner) SignObject(v any, opts ObjectOptions) (string, error) {
	r, err := s.resolve(DefaultTimestampSignerSalt)
	if err != nil {
		return "", err
	}
	b, err := encodeObject(v, opts.Serializer, opts.Compress)
	if err != nil {
		return "", err
	}
	return r.sign(b + r.sep + s.Timestamp()), nil
}

// UnsignObject verifies, checks the age (maxAge 0 = none) and decodes a SignObject value.
func (s TimestampSigner) UnsignObject(signed string, maxAge time.Duration, opts ObjectOptions) (any, error) {
	r, err := s.resolve(DefaultTimestampSignerSalt)
	if err != nil {
		return nil, err
	}
	u, err := r.unsignTimestamp(signed, maxAge, s.now)
	if err != nil {
		return nil, err
	}
	return decodeObject(u.Value, opts.Serializer, opts.MaxDecompressedSize)
}

// inflatedPool holds buffers for payloads inflated on their way to JSONSerializer.
var inflatedPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// encodeObject is the framing of sign_object before signing.
func encodeObject(v any, ser Serializer, compress bool) (string, error) {
	if ser == nil {
		ser = JSONSerializer{}
	}
	data, err := ser.Dumps(v)
	if err != nil {
		return "", err
	}
	if compress {
		c := zlibCompress(data)
		if len(c) < len(data)-1 {
			return "." + B64Encode(c), nil
		}
	}
	return B64Encode(data), nil
}

// decodeObject is the framing of unsign_object after verification.
func decodeObject(b64 string, ser Serializer, maxSize int) (any, error) {
	if ser == nil {
		ser = JSONSerializer{}
	}
	compressed := strings.HasPrefix(b64, ".")
	if compressed {
		b64 = b64[1:]
	}
	data, err := B64Decode(b64)
	if err != nil {
		return nil, err
	}
	if compressed {
		if maxSize == 0 {
			maxSize = DefaultMaxDecompressedSize
		}
		if _, ok := ser.(JSONSerializer); ok {
			// JSONSerializer copies what it keeps, so the inflated bytes can be reused.
			bp := inflatedPool.Get().(*[]byte)
			out, err := zlibDecompressTo((*bp)[:0], data, maxSize)
			if err != nil {
				inflatedPool.Put(bp)
				return nil, err
			}
			v, err := ser.Loads(out)
			if cap(out) <= 1<<20 {
				*bp = out[:0]
				inflatedPool.Put(bp)
			}
			return v, err
		}
		if data, err = zlibDecompress(data, maxSize); err != nil {
			return nil, err
		}
	}
	return ser.Loads(data)
}

// DumpsOptions are the arguments of Dumps. The zero value is Django's defaults except Key.
type DumpsOptions struct {
	// Key is SECRET_KEY (required).
	Key string
	// Salt defaults to "django.core.signing". (Django's dumps(salt="") falls back to
	// TimestampSigner's default salt; pass DefaultTimestampSignerSalt for that.)
	Salt string
	// Algorithm defaults to "sha256" (Django 3.2: DEFAULT_HASHING_ALGORITHM).
	Algorithm string
	// Serializer defaults to JSONSerializer.
	Serializer Serializer
	// Compress is dumps(compress=True).
	Compress bool
	// Now is the clock for the timestamp; nil means time.Now.
	Now func() time.Time
}

// Dumps is django.core.signing.dumps: a URL-safe, timestamped, signed serialization of v.
func Dumps(v any, opts DumpsOptions) (string, error) {
	salt := opts.Salt
	if salt == "" {
		salt = DefaultDumpsSalt
	}
	ts := TimestampSigner{Signer: Signer{Key: opts.Key, Salt: salt, Algorithm: opts.Algorithm}, Now: opts.Now}
	return ts.SignObject(v, ObjectOptions{Serializer: opts.Serializer, Compress: opts.Compress})
}

// LoadsOptions are the arguments of Loads. The zero value is Django's defaults except Key.
type LoadsOptions struct {
	// Key is SECRET_KEY (required); FallbackKeys is SECRET_KEY_FALLBACKS (Django 4.1+).
	Key          string
	FallbackKeys []string
	// Salt defaults to "django.core.signing".
	Salt string
	// Algorithm defaults to "sha256"; LegacyAlgorithm is an extra accepted one (Django 3.2
	// accepts "sha1" as well).
	Algorithm       string
	LegacyAlgorithm string
	// Serializer defaults to JSONSerializer.
	Serializer Serializer
	// MaxAge rejects values signed longer ago; 0 means no limit (Django's max_age=None).
	MaxAge time.Duration
	// Now is the clock for MaxAge; nil means time.Now.
	Now func() time.Time
	// MaxDecompressedSize caps a compressed payload's inflated size; 0 means
	// DefaultMaxDecompressedSize, negative means no cap.
	MaxDecompressedSize int
}

// Loaded is the result of LoadsDetail.
type Loaded struct {
	Value any
	// KeyIndex is 0 when Key matched and i+1 when FallbackKeys[i] did.
	KeyIndex  int
	Timestamp time.Time
}

// Loads is django.core.signing.loads: it reverses Dumps. Errors match ErrBadSignature (wrong
// key, salt, algorithm or tampering), ErrSignatureExpired (older than MaxAge) or ErrCorrupt
// (a valid signature over data Django could not decode either).
func Loads(s string, opts LoadsOptions) (any, error) {
	l, err := LoadsDetail(s, opts)
	return l.Value, err
}

// LoadsDetail is Loads that also reports the key that matched and the signing time.
func LoadsDetail(s string, opts LoadsOptions) (Loaded, error) {
	salt := opts.Salt
	if salt == "" {
		salt = DefaultDumpsSalt
	}
	ts := TimestampSigner{Signer: Signer{Key: opts.Key, FallbackKeys: opts.FallbackKeys, Salt: salt,
		Algorithm: opts.Algorithm, LegacyAlgorithm: opts.LegacyAlgorithm}, Now: opts.Now}
	r, err := ts.resolve(DefaultTimestampSignerSalt)
	if err != nil {
		return Loaded{}, err
	}
	u, err := r.unsignTimestamp(s, opts.MaxAge, ts.now)
	if err != nil {
		return Loaded{}, err
	}
	v, err := decodeObject(u.Value, opts.Serializer, opts.MaxDecompressedSize)
	if err != nil {
		return Loaded{}, err
	}
	return Loaded{Value: v, KeyIndex: u.KeyIndex, Timestamp: u.Timestamp}, nil
}
