package hashers

import (
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"hash"
	"strconv"
	"strings"
)

// PBKDF2 is PBKDF2PasswordHasher: "pbkdf2_sha256$<iterations>$<salt>$<base64 hash>",
// PBKDF2-HMAC-SHA256 with a 32-byte key. It is Django's default (first) hasher.
type PBKDF2 struct {
	// Iterations is PBKDF2PasswordHasher.iterations, which Django raises in every release
	// (see Iterations). Zero means the newest supported Django's (6.1: 1500000).
	Iterations int
}

// PBKDF2SHA1 is PBKDF2SHA1PasswordHasher: "pbkdf2_sha1$...", PBKDF2-HMAC-SHA1 with a 20-byte
// key and the same iterations as PBKDF2.
type PBKDF2SHA1 struct {
	// Iterations as in PBKDF2.
	Iterations int
}

var (
	_ Hasher = PBKDF2{}
	_ Hasher = PBKDF2SHA1{}
)

func (h PBKDF2) Algorithm() string     { return "pbkdf2_sha256" }
func (h PBKDF2) Salt() (string, error) { return NewSalt() }
func (h PBKDF2) Encode(pw, salt string) (string, error) {
	return pbkdf2Encode(h.Algorithm(), sha256.New, pw, salt, iterOr(h.Iterations))
}
func (h PBKDF2) Verify(pw, encoded string) (bool, error) {
	return pbkdf2Verify(h.Algorithm(), sha256.New, pw, encoded)
}
func (h PBKDF2) MustUpdate(encoded string) bool {
	return pbkdf2MustUpdate(h.Algorithm(), encoded, iterOr(h.Iterations))
}

// HardenRuntime is harden_runtime: the iterations the stored hash lacks, spent on nothing.
func (h PBKDF2) HardenRuntime(pw, encoded string) {
	pbkdf2Harden(h.Algorithm(), sha256.New, pw, encoded, iterOr(h.Iterations))
}

func (h PBKDF2SHA1) Algorithm() string     { return "pbkdf2_sha1" }
func (h PBKDF2SHA1) Salt() (string, error) { return NewSalt() }
func (h PBKDF2SHA1) Encode(pw, salt string) (string, error) {
	return pbkdf2Encode(h.Algorithm(), sha1.New, pw, salt, iterOr(h.Iterations))
}
func (h PBKDF2SHA1) Verify(pw, encoded string) (bool, error) {
	return pbkdf2Verify(h.Algorithm(), sha1.New, pw, encoded)
}
func (h PBKDF2SHA1) MustUpdate(encoded string) bool {
	return pbkdf2MustUpdate(h.Algorithm(), encoded, iterOr(h.Iterations))
}

// HardenRuntime is harden_runtime, as for PBKDF2.
func (h PBKDF2SHA1) HardenRuntime(pw, encoded string) {
	pbkdf2Harden(h.Algorithm(), sha1.New, pw, encoded, iterOr(h.Iterations))
}

// maxIterations bounds the work a stored hash can ask for (Django has no bound; 10^9
// iterations take minutes).
const maxIterations = 1_000_000_000

func iterOr(n int) int {
	if n <= 0 {
		return iterations[latest]
	}
	return n
}

func pbkdf2Encode(algorithm string, h func() hash.Hash, pw, salt string, iter int) (string, error) {
	if err := checkSalt(salt); err != nil {
		return "", err
	}
	if iter > maxIterations {
		return "", malformed(algorithm, "too many iterations")
	}
	key, err := pbkdf2.Key(h, pw, []byte(salt), iter, h().Size())
	if err != nil {
		return "", malformed(algorithm, err.Error())
	}
	return algorithm + "$" + strconv.Itoa(iter) + "$" + salt + "$" + base64.StdEncoding.EncodeToString(key), nil
}

// pbkdf2Decode is decode(): algorithm$iterations$salt$hash (the hash may hold '$').
func pbkdf2Decode(algorithm, encoded string) (iter int, salt string, err error) {
	parts := strings.SplitN(encoded, "$", 4)
	if len(parts) != 4 || parts[0] != algorithm {
		return 0, "", malformed(algorithm, "want algorithm$iterations$salt$hash")
	}
	iter, err = strconv.Atoi(parts[1])
	if err != nil {
		return 0, "", malformed(algorithm, "iterations are not an integer")
	}
	return iter, parts[2], nil
}

func pbkdf2Verify(algorithm string, h func() hash.Hash, pw, encoded string) (bool, error) {
	iter, salt, err := pbkdf2Decode(algorithm, encoded)
	if err != nil {
		return false, err
	}
	if iter <= 0 || checkSalt(salt) != nil {
		// Django encodes with its default iterations for 0 (and refuses an empty salt):
		// never equal to the stored text.
		return false, nil
	}
	if iter > maxIterations {
		return false, malformed(algorithm, "too many iterations")
	}
	enc2, err := pbkdf2Encode(algorithm, h, pw, salt, iter)
	if err != nil {
		return false, err
	}
	return subtle.ConstantTimeCompare([]byte(encoded), []byte(enc2)) == 1, nil
}

func pbkdf2MustUpdate(algorithm, encoded string, iter int) bool {
	got, salt, err := pbkdf2Decode(algorithm, encoded)
	if err != nil {
		return false
	}
	return got != iter || MustUpdateSalt(salt)
}

func pbkdf2Harden(algorithm string, h func() hash.Hash, pw, encoded string, iter int) {
	got, salt, err := pbkdf2Decode(algorithm, encoded)
	if err != nil || got <= 0 || iter-got <= 0 || checkSalt(salt) != nil {
		return
	}
	_, _ = pbkdf2Encode(algorithm, h, pw, salt, iter-got)
}
