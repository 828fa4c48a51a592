package signing

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha3"
	"crypto/sha512"
	"encoding"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/maphash"
	"math"
	"math/big"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/djangobridge/bridge/internal/zlib"
	"github.com/djangobridge/bridge/py"
	"github.com/djangobridge/bridge/pyjson"
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

// hashAlg is a hashlib algorithm this package supports.
type hashAlg struct {
	name string
	new  func() hash.Hash
	pool sync.Pool // of hash.Hash, reused by saltedHMAC
}

// hashes maps the hashlib names this package supports to their constructors.
var hashes = func() map[string]*hashAlg {
	m := map[string]*hashAlg{}
	for name, f := range map[string]func() hash.Hash{
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
	} {
		m[name] = &hashAlg{name: name, new: f}
	}
	return m
}()

func hashFor(algorithm string) (*hashAlg, error) {
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
	return appendSaltedHMAC(nil, h, keySalt, "", secret, nil, value), nil
}

// hmacStates are the hash states of an HMAC key after its inner and outer pad blocks, as
// MarshalBinary returns them: restoring one saves deriving the key and hashing the pad again.
type hmacStates struct {
	inner, outer []byte
}

// hmacCacheKey identifies (algorithm, key salt, secret) by two independent 64-bit maphash
// sums with process-random seeds, so that the cache does not hold secrets in plain text.
type hmacCacheKey [2]uint64

var (
	hmacSeeds    = [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}
	hmacCache    sync.Map // hmacCacheKey -> *hmacStates
	hmacCacheLen atomic.Int32
)

// hmacCacheMax bounds the cache: applications use a handful of (salt, key) pairs; past the
// bound, new pairs are computed without being cached.
const hmacCacheMax = 256

func hmacKeyOf(alg *hashAlg, salt, suffix, secret string) hmacCacheKey {
	var k hmacCacheKey
	for i := range k {
		var h maphash.Hash
		h.SetSeed(hmacSeeds[i])
		h.WriteString(alg.name)
		h.WriteByte(0)
		var n [8]byte
		binary.LittleEndian.PutUint64(n[:], uint64(len(salt)+len(suffix)))
		h.Write(n[:])
		h.WriteString(salt)
		h.WriteString(suffix)
		h.WriteString(secret)
		k[i] = h.Sum64()
	}
	return k
}

// hmacStatesFor returns the cached pad states for (alg, salt + suffix, secret), computing
// them on first use; nil if the hash cannot save its state. The key salt comes in two parts
// so that a Signer's salt + "signer" is never concatenated.
func hmacStatesFor(alg *hashAlg, salt, suffix, secret string) *hmacStates {
	key := hmacKeyOf(alg, salt, suffix, secret)
	if v, ok := hmacCache.Load(key); ok {
		return v.(*hmacStates)
	}
	h := alg.new()
	h.Write([]byte(salt))
	h.Write([]byte(suffix))
	h.Write([]byte(secret))
	k := h.Sum(nil) // Django: key = H(key_salt + secret).digest()
	bs := h.BlockSize()
	if len(k) > bs {
		h.Reset()
		h.Write(k)
		k = h.Sum(nil)
	}
	pad := make([]byte, bs)
	state := func(x byte) []byte {
		for i := range pad {
			pad[i] = x
		}
		for i, c := range k {
			pad[i] ^= c
		}
		h.Reset()
		h.Write(pad)
		m, ok := h.(encoding.BinaryMarshaler)
		if _, canRestore := h.(encoding.BinaryUnmarshaler); !ok || !canRestore {
			return nil
		}
		b, err := m.MarshalBinary()
		if err != nil {
			return nil
		}
		return b
	}
	st := &hmacStates{inner: state(0x36), outer: state(0x5c)}
	if st.inner == nil || st.outer == nil {
		return nil
	}
	if hmacCacheLen.Load() < hmacCacheMax {
		if _, loaded := hmacCache.LoadOrStore(key, st); !loaded {
			hmacCacheLen.Add(1)
		}
	}
	return st
}

// hmacWorker is a hash with room to copy string input through and to hold a digest, kept in
// hashAlg.pool. Digests go through its own buffers, never through the caller's: a buffer
// handed to the hash.Hash interface escapes to the heap.
type hmacWorker struct {
	h       hash.Hash
	u       encoding.BinaryUnmarshaler
	sum     [64]byte
	scratch [512]byte
}

func (w *hmacWorker) writeString(s string) {
	for len(s) > 0 {
		n := copy(w.scratch[:], s)
		w.h.Write(w.scratch[:n])
		s = s[n:]
	}
}

// appendSaltedHMAC appends to dst the salted HMAC digest, under the key salt salt + suffix and
// the secret, of the message b followed by s. It is crypto/hmac's HMAC with the pad states
// restored from hmacStatesFor and the hash taken from a pool.
func appendSaltedHMAC(dst []byte, alg *hashAlg, salt, suffix, secret string, b []byte, s string) []byte {
	if st := hmacStatesFor(alg, salt, suffix, secret); st != nil {
		w, _ := alg.pool.Get().(*hmacWorker)
		if w == nil {
			h := alg.new()
			w = &hmacWorker{h: h, u: h.(encoding.BinaryUnmarshaler)} // checked by hmacStatesFor
		}
		defer alg.pool.Put(w)
		if w.u.UnmarshalBinary(st.inner) == nil {
			w.h.Write(b)
			w.writeString(s)
			inner := w.h.Sum(w.sum[:0])
			if w.u.UnmarshalBinary(st.outer) == nil {
				w.h.Write(inner)
				return append(dst, w.h.Sum(w.sum[:0])...)
			}
		}
	}
	kh := alg.new()
	kh.Write([]byte(salt))
	kh.Write([]byte(suffix))
	kh.Write([]byte(secret))
	m := hmac.New(alg.new, kh.Sum(nil))
	m.Write(b)
	m.Write([]byte(s))
	return append(dst, m.Sum(nil)...)
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
	return appendB64Decode(nil, s)
}

// appendB64Decode is B64Decode appending to dst.
func appendB64Decode(dst []byte, s string) ([]byte, error) {
	if len(s)%4 != 1 {
		// Go's decoder accepts the URL-safe alphabet without padding and skips "\r" and
		// "\n". When it succeeds and fills the n bytes that len(s) characters make, it
		// skipped nothing (with len(s)%4 != 1, one character fewer always makes fewer
		// bytes): s was URL-safe characters only, for which Go's decoder, lenient about the
		// unused low bits like Python's, gives the same bytes. Anything else goes the
		// Python way below. Decode only reads s.
		n := base64.RawURLEncoding.DecodedLen(len(s))
		dst = slices.Grow(dst, n)
		src := unsafe.Slice(unsafe.StringData(s), len(s))
		if m, err := base64.RawURLEncoding.Decode(dst[len(dst):len(dst)+n], src); err == nil && m == n {
			return dst[:len(dst)+m], nil
		}
	}
	pad := (4 - len(s)%4) % 4
	b := make([]byte, 0, len(s)+pad)
	b = append(b, s...)
	for range pad {
		b = append(b, '=')
	}
	out, err := py.Base64Decode(b, true)
	if err != nil {
		return nil, corrupt(err)
	}
	return append(dst, out...), nil
}

const base62Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// B62Encode is Django's signing.b62_encode (utils.baseconv.base62 in 3.2): most significant
// digit first, "-" for negatives, "0" for zero.
func B62Encode(n int64) string {
	var buf [12]byte
	return string(appendB62(buf[:0], n))
}

// appendB62 appends B62Encode(n) to dst.
func appendB62(dst []byte, n int64) []byte {
	if n == 0 {
		return append(dst, '0')
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
	return append(dst, buf[i:]...)
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

// b62DecodeSmall is b62DecodeBig for values that fit an int64; ok is false when s is valid
// base62 beyond that range (then b62DecodeBig has the value).
func b62DecodeSmall(s string) (v int64, ok bool, err error) {
	if s == "" {
		return 0, false, &Base62Error{}
	}
	d := s
	neg := d[0] == '-'
	if neg {
		d = d[1:]
	}
	if len(d) > 10 { // 62^10 < 2^63: ten digits always fit
		b, err := b62DecodeBig(s)
		if err != nil {
			return 0, false, err
		}
		if !b.IsInt64() {
			return 0, false, nil
		}
		return b.Int64(), true, nil
	}
	for i := 0; i < len(d); i++ {
		c := b62Value[d[i]]
		if c < 0 {
			return 0, false, &Base62Error{Input: truncate(s, 16)}
		}
		v = v*62 + int64(c)
	}
	if neg {
		v = -v
	}
	return v, true, nil
}

// b62Value maps a byte to its base62 digit value, or -1.
var b62Value = func() (t [256]int8) {
	for i := range t {
		t[i] = int8(strings.IndexByte(base62Alphabet, byte(i)))
	}
	return t
}()

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

// keySaltSuffix follows the salt in a Signer's key salt: Django's Signer signs with
// salted_hmac(self.salt + "signer", value, key).
const keySaltSuffix = "signer"

// signer is a Signer with its defaults resolved and validated.
type signer struct {
	key       string   // Key: signs, and is tried first
	fallbacks []string // FallbackKeys, tried after key
	salt      string
	sep       string
	hash      *hashAlg
	legacy    *hashAlg
}

// keyAt returns the k-th key tried when verifying: 0 is Key, k > 0 is FallbackKeys[k-1].
func (r *signer) keyAt(k int) string {
	if k == 0 {
		return r.key
	}
	return r.fallbacks[k-1]
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
	r.key, r.fallbacks = s.Key, s.FallbackKeys
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

func (r *signer) signature(h *hashAlg, value, key string) string {
	return B64Encode(appendSaltedHMAC(nil, h, r.salt, keySaltSuffix, key, nil, value))
}

func (r *signer) sign(value string) string {
	b := append(make([]byte, 0, len(value)+len(r.sep)+86), value...)
	return string(r.appendSignature(b, len(b)))
}

// appendSignature appends sep + the signature of b[:n] to b[:n].
func (r *signer) appendSignature(b []byte, n int) []byte {
	var sum [64]byte
	mac := appendSaltedHMAC(sum[:0], r.hash, r.salt, keySaltSuffix, r.key, b[:n], "")
	dst := append(b[:n], r.sep...)
	return base64.RawURLEncoding.AppendEncode(dst, mac)
}

// signatureMatches reports, in constant time, whether sig is the signature of value under
// alg and key.
func (r *signer) signatureMatches(alg *hashAlg, value, sig, key string) bool {
	const maxSig = 86 // B64Encode of a 64-byte digest
	if len(sig) > maxSig {
		return false // longer than any signature; the length is public anyway
	}
	var buf [64 + 2*maxSig]byte
	mac := appendSaltedHMAC(buf[:0:64], alg, r.salt, keySaltSuffix, key, nil, value)
	want := base64.RawURLEncoding.AppendEncode(buf[64:64:64+maxSig], mac)
	got := append(buf[64+maxSig:64+maxSig:len(buf)], sig...)
	return hmac.Equal(got, want)
}

// unsign verifies signed and returns its value and the index of the key that matched.
func (r *signer) unsign(signed string) (string, int, error) {
	i := strings.LastIndex(signed, r.sep)
	if i < 0 {
		return "", 0, fmt.Errorf("%w: no %q found in value", ErrBadSignature, r.sep)
	}
	value, sig := signed[:i], signed[i+len(r.sep):]
	for k := 0; k <= len(r.fallbacks); k++ {
		key := r.keyAt(k)
		if r.signatureMatches(r.hash, value, sig, key) {
			return value, k, nil
		}
		if r.legacy != nil && r.signatureMatches(r.legacy, value, sig, key) {
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
	return r.signature(r.hash, value, r.key), nil
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
	return r.signObject(v, opts.Serializer, opts.Compress, false, 0)
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
	return r.signature(r.hash, value, r.key), nil
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
	small, ok, err := b62DecodeSmall(tsText)
	if err != nil {
		return Unsigned{}, &timestampError{msg: "invalid timestamp"}
	}
	u := Unsigned{Value: value, KeyIndex: k}
	if ok {
		u.Timestamp = time.Unix(small, 0)
	}
	if maxAge != 0 {
		// Django: age = time.time() - timestamp, in float seconds; an int too large for a
		// float raises OverflowError.
		var tsf float64
		if ok {
			tsf = float64(small) // rounds to nearest even, as big.Float's Float64 does
		} else {
			ts, _ := b62DecodeBig(tsText)
			tsf, _ = new(big.Float).SetInt(ts).Float64()
		}
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
	return r.signObject(v, opts.Serializer, opts.Compress, true, s.now().Unix())
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

// scratchPool holds buffers for the intermediate bytes of signObject and decodeObject.
var scratchPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

func getScratch() *[]byte { return scratchPool.Get().(*[]byte) }

func putScratch(bp *[]byte, b []byte) {
	if cap(b) <= 1<<20 {
		*bp = b[:0]
		scratchPool.Put(bp)
	}
}

// signObject is sign_object: it serializes v, optionally compresses it, encodes it with
// B64Encode (a leading "." marks compression), appends sep + B62Encode(ts) when timestamped,
// and signs the result.
func (r *signer) signObject(v any, ser Serializer, compress, timestamped bool, ts int64) (string, error) {
	var data []byte
	if ser == nil {
		ser = JSONSerializer{}
	}
	if _, ok := ser.(JSONSerializer); ok {
		jp := getScratch()
		b, err := pyjson.AppendMarshal((*jp)[:0], v)
		defer putScratch(jp, b)
		if err != nil {
			return "", err
		}
		data = b
	} else {
		var err error
		if data, err = ser.Dumps(v); err != nil {
			return "", err
		}
	}
	payload, dot := data, false
	if compress {
		zp := getScratch()
		c := zlib.CompressTo((*zp)[:0], data)
		defer putScratch(zp, c)
		if len(c) < len(data)-1 {
			payload, dot = c, true
		}
	}
	op := getScratch()
	out := (*op)[:0]
	out = slices.Grow(out, 1+base64.RawURLEncoding.EncodedLen(len(payload))+2*len(r.sep)+12+86)
	if dot {
		out = append(out, '.')
	}
	out = base64.RawURLEncoding.AppendEncode(out, payload)
	if timestamped {
		out = append(out, r.sep...)
		out = appendB62(out, ts)
	}
	out = r.appendSignature(out, len(out))
	signed := string(out)
	putScratch(op, out)
	return signed, nil
}

// decodeObject is the framing of unsign_object after verification.
func decodeObject(b64 string, ser Serializer, maxSize int) (any, error) {
	if ser == nil {
		ser = JSONSerializer{}
	}
	_, isJSON := ser.(JSONSerializer) // JSONSerializer copies what it keeps: buffers can be reused
	compressed := strings.HasPrefix(b64, ".")
	if compressed {
		b64 = b64[1:]
	}
	var bp *[]byte
	var data []byte
	var err error
	if isJSON || compressed {
		bp = getScratch()
		data, err = appendB64Decode((*bp)[:0], b64)
		defer func() { putScratch(bp, data) }()
	} else {
		data, err = B64Decode(b64)
	}
	if err != nil {
		return nil, err
	}
	if compressed {
		if maxSize == 0 {
			maxSize = DefaultMaxDecompressedSize
		}
		var out []byte
		if isJSON {
			ip := getScratch()
			out, err = zlib.DecompressTo((*ip)[:0], data, maxSize)
			defer func() { putScratch(ip, out) }()
		} else {
			out, err = zlib.Decompress(data, maxSize)
		}
		if err != nil {
			return nil, inflateError(err)
		}
		return ser.Loads(out)
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
