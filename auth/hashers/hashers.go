package hashers

import (
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
)

// Hasher is one password hasher of PASSWORD_HASHERS, as Django's BasePasswordHasher. Its
// methods must be safe for concurrent use and must not panic on any input.
type Hasher interface {
	// Algorithm is the hasher's name, the first field of the hashes it makes
	// ("pbkdf2_sha256").
	Algorithm() string
	// Salt returns a new random salt for Encode.
	Salt() (string, error)
	// Encode hashes password with salt and the hasher's current parameters. It fails for a
	// salt the format cannot hold (Django's "salt must be provided and cannot contain $").
	Encode(password, salt string) (string, error)
	// Verify reports whether password matches encoded, a hash of this algorithm, comparing in
	// constant time. A hash it cannot read gives false and an error matching ErrMalformed (or
	// ErrUnsupported); Django would raise there.
	Verify(password, encoded string) (bool, error)
	// MustUpdate reports whether encoded, a hash of this algorithm, was made with other
	// parameters than the hasher's current ones (Django's must_update). False for a hash it
	// cannot read.
	MustUpdate(encoded string) bool
}

// runtimeHardener is Django's optional harden_runtime: after a failed check of a hash with a
// lower work factor, spend the difference, so that the failure takes as long as with current
// parameters.
type runtimeHardener interface {
	HardenRuntime(password, encoded string)
}

var (
	// ErrUnknownAlgorithm: no hasher of the List reads this hash (Django's identify_hasher
	// ValueError; check_password then says false).
	ErrUnknownAlgorithm = errors.New("hashers: no configured hasher reads this password hash (add the hasher that made it to the List, e.g. from package xhashers)")
	// ErrMalformed: the hash names a known algorithm but its fields cannot be read.
	ErrMalformed = errors.New("hashers: malformed password hash")
	// ErrUnsupported: the hash is well formed but uses a variant this package cannot compute
	// (argon2d, argon2 version 0x10, parameters beyond the safety limits).
	ErrUnsupported = errors.New("hashers: unsupported password hash parameters")
	// ErrNoHashers: the List is empty (Django requires at least one PASSWORD_HASHERS entry).
	ErrNoHashers = errors.New("hashers: the List is empty: give at least one Hasher (see Default)")
	// ErrBadSalt: Encode got an empty salt or one with '$'.
	ErrBadSalt = errors.New("hashers: the salt must be non-empty and must not contain '$'")
)

// UnusablePrefix is UNUSABLE_PASSWORD_PREFIX: a stored password starting with it never
// matches (user.set_unusable_password()).
const UnusablePrefix = "!"

// unusableSuffixLength is UNUSABLE_PASSWORD_SUFFIX_LENGTH.
const unusableSuffixLength = 40

// IsUsable is is_password_usable: false for a hash made by MakeUnusable (one starting with
// "!"), true for any other value, even one no hasher reads.
func IsUsable(encoded string) bool { return !strings.HasPrefix(encoded, UnusablePrefix) }

// MakeUnusable is make_password(None): "!" and 40 random characters.
func MakeUnusable() (string, error) {
	s, err := RandomString(unusableSuffixLength)
	if err != nil {
		return "", err
	}
	return UnusablePrefix + s, nil
}

// randomChars is RANDOM_STRING_CHARS.
const randomChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// RandomString is get_random_string(n): n characters from [a-zA-Z0-9], uniformly chosen with
// crypto/rand.
func RandomString(n int) (string, error) {
	b := make([]byte, n)
	buf := make([]byte, n+n/2+8)
	for i := 0; i < n; {
		if _, err := rand.Read(buf); err != nil {
			return "", fmt.Errorf("hashers: reading random bytes: %w", err)
		}
		for _, c := range buf {
			if c >= 248 { // 248 = 4*62: keep the choice uniform
				continue
			}
			b[i] = randomChars[int(c)%62]
			i++
			if i == n {
				break
			}
		}
	}
	return string(b), nil
}

// SaltLength is the length of BasePasswordHasher.salt(): ceil(128 / log2(62)) = 22 characters.
const SaltLength = 22

// NewSalt is BasePasswordHasher.salt(): 22 random characters from [a-zA-Z0-9] (128 bits).
func NewSalt() (string, error) { return RandomString(SaltLength) }

// MustUpdateSalt is must_update_salt(salt, 128): a salt of fewer than 22 characters holds
// fewer than 128 bits, and Django upgrades its hash.
func MustUpdateSalt(salt string) bool { return len([]rune(salt)) < SaltLength }

// List is PASSWORD_HASHERS: the hashers a site reads, the first of which makes new hashes and
// is the one Django upgrades others to. A List is safe for concurrent use once built.
type List []Hasher

// Identify is identify_hasher: the hasher that reads encoded, by its algorithm field, with
// Django's special cases for the unsalted hashes of old Django versions (32 hex digits or
// "md5$$..." is unsalted_md5, "sha1$$..." is unsalted_sha1). ErrUnknownAlgorithm when none of l
// does.
func (l List) Identify(encoded string) (Hasher, error) {
	var algorithm string
	switch {
	case (len(encoded) == 32 && !strings.Contains(encoded, "$")) || (len(encoded) == 37 && strings.HasPrefix(encoded, "md5$$")):
		algorithm = "unsalted_md5"
	case len(encoded) == 46 && strings.HasPrefix(encoded, "sha1$$"):
		algorithm = "unsalted_sha1"
	default:
		algorithm, _, _ = strings.Cut(encoded, "$")
	}
	for _, h := range l {
		if h != nil && h.Algorithm() == algorithm {
			return h, nil
		}
	}
	return nil, ErrUnknownAlgorithm
}

// Check is check_password (Django 5.0+'s verify_password): whether password matches the
// stored hash encoded, and, when it does, whether Django would now replace the hash
// (mustUpdate: the hash's algorithm is not l[0]'s, or l[0] made it with other parameters or a
// short salt). On mustUpdate, store l.Make(password) (Django's setter does set_password and
// saves the password field).
//
// As in Django: an unusable password ("!...") and a hash no hasher reads give false, after
// running l[0] once so that they take about as long as a real check (the latter also returns
// ErrUnknownAlgorithm, for logs); a wrong password against an older work factor spends the
// difference (harden_runtime). A malformed hash gives false and an error matching ErrMalformed
// where Django would raise.
func (l List) Check(password, encoded string) (ok, mustUpdate bool, err error) {
	if len(l) == 0 || l[0] == nil {
		return false, false, ErrNoHashers
	}
	preferred := l[0]
	if !IsUsable(encoded) {
		l.fakeRuntime(password)
		return false, false, nil
	}
	hasher, err := l.Identify(encoded)
	if err != nil {
		l.fakeRuntime(password)
		return false, false, err
	}
	changed := hasher.Algorithm() != preferred.Algorithm()
	mustUpdate = changed || preferred.MustUpdate(encoded)
	ok, err = hasher.Verify(password, encoded)
	if err != nil {
		return false, false, err
	}
	if !ok && !changed && mustUpdate {
		if h, is := hasher.(runtimeHardener); is {
			h.HardenRuntime(password, encoded)
		}
	}
	if !ok {
		return false, false, nil
	}
	return true, mustUpdate, nil
}

// fakeRuntime is check_password's "run the default password hasher once".
func (l List) fakeRuntime(password string) {
	if s, err := l[0].Salt(); err == nil {
		_, _ = l[0].Encode(password, s)
	}
}

// Make is make_password(password): a new hash of password by l[0], with a new random salt.
func (l List) Make(password string) (string, error) {
	if len(l) == 0 || l[0] == nil {
		return "", ErrNoHashers
	}
	salt, err := l[0].Salt()
	if err != nil {
		return "", err
	}
	return l[0].Encode(password, salt)
}

// SimulateCheck runs l[0] once on password and discards the result: what Django's
// ModelBackend.authenticate does for an unknown username (set_password on a new user), so
// that a missing user takes as long to reject as a wrong password.
func (l List) SimulateCheck(password string) {
	if len(l) > 0 && l[0] != nil {
		l.fakeRuntime(password)
	}
}

func checkSalt(salt string) error {
	if salt == "" || strings.Contains(salt, "$") {
		return ErrBadSalt
	}
	return nil
}

func malformed(algorithm, what string) error {
	return fmt.Errorf("%w: %s: %s", ErrMalformed, algorithm, what)
}
