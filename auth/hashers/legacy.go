package hashers

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/hex"
	"hash"
	"strings"
)

// The legacy hashers: Django reads them only when PASSWORD_HASHERS lists them, and upgrades
// their hashes at the next successful check. [Legacy] lists those a version still ships.

// MD5 is MD5PasswordHasher: "md5$<salt>$<hex md5(salt+password)>" (all versions).
type MD5 struct{}

// SHA1 is SHA1PasswordHasher: "sha1$<salt>$<hex sha1(salt+password)>" (3.2, 4.2; removed in
// 5.1).
type SHA1 struct{}

// UnsaltedMD5 is UnsaltedMD5PasswordHasher: 32 hex digits of md5(password), also read as
// "md5$$<hex>" (3.2, 4.2; removed in 5.1).
type UnsaltedMD5 struct{}

// UnsaltedSHA1 is UnsaltedSHA1PasswordHasher: "sha1$$<hex sha1(password)>" (3.2, 4.2;
// removed in 5.1).
type UnsaltedSHA1 struct{}

var (
	_ Hasher = MD5{}
	_ Hasher = SHA1{}
	_ Hasher = UnsaltedMD5{}
	_ Hasher = UnsaltedSHA1{}
)

func (MD5) Algorithm() string     { return "md5" }
func (MD5) Salt() (string, error) { return NewSalt() }
func (h MD5) Encode(pw, salt string) (string, error) {
	return saltedEncode(h.Algorithm(), md5.New, pw, salt)
}
func (h MD5) Verify(pw, enc string) (bool, error) {
	return saltedVerify(h.Algorithm(), md5.New, pw, enc)
}
func (h MD5) MustUpdate(enc string) bool { return saltedMustUpdate(h.Algorithm(), enc) }

func (SHA1) Algorithm() string     { return "sha1" }
func (SHA1) Salt() (string, error) { return NewSalt() }
func (h SHA1) Encode(pw, salt string) (string, error) {
	return saltedEncode(h.Algorithm(), sha1.New, pw, salt)
}
func (h SHA1) Verify(pw, enc string) (bool, error) {
	return saltedVerify(h.Algorithm(), sha1.New, pw, enc)
}
func (h SHA1) MustUpdate(enc string) bool { return saltedMustUpdate(h.Algorithm(), enc) }

func hexDigest(h func() hash.Hash, s string) string {
	d := h()
	d.Write([]byte(s))
	return hex.EncodeToString(d.Sum(nil))
}

func saltedEncode(algorithm string, h func() hash.Hash, pw, salt string) (string, error) {
	if err := checkSalt(salt); err != nil {
		return "", err
	}
	return algorithm + "$" + salt + "$" + hexDigest(h, salt+pw), nil
}

func saltedDecode(algorithm, enc string) (salt string, err error) {
	parts := strings.SplitN(enc, "$", 3)
	if len(parts) != 3 || parts[0] != algorithm {
		return "", malformed(algorithm, "want algorithm$salt$hash")
	}
	return parts[1], nil
}

func saltedVerify(algorithm string, h func() hash.Hash, pw, enc string) (bool, error) {
	salt, err := saltedDecode(algorithm, enc)
	if err != nil {
		return false, err
	}
	if checkSalt(salt) != nil {
		return false, malformed(algorithm, "empty salt") // Django's encode raises
	}
	enc2, _ := saltedEncode(algorithm, h, pw, salt)
	return subtle.ConstantTimeCompare([]byte(enc), []byte(enc2)) == 1, nil
}

func saltedMustUpdate(algorithm, enc string) bool {
	salt, err := saltedDecode(algorithm, enc)
	return err == nil && MustUpdateSalt(salt)
}

func (UnsaltedMD5) Algorithm() string     { return "unsalted_md5" }
func (UnsaltedMD5) Salt() (string, error) { return "", nil }
func (UnsaltedMD5) Encode(pw, salt string) (string, error) {
	if salt != "" {
		return "", ErrBadSalt
	}
	return hexDigest(md5.New, pw), nil
}
func (UnsaltedMD5) Verify(pw, enc string) (bool, error) {
	if len(enc) == 37 && strings.HasPrefix(enc, "md5$$") {
		enc = enc[5:]
	}
	return subtle.ConstantTimeCompare([]byte(enc), []byte(hexDigest(md5.New, pw))) == 1, nil
}
func (UnsaltedMD5) MustUpdate(string) bool { return false }

func (UnsaltedSHA1) Algorithm() string     { return "unsalted_sha1" }
func (UnsaltedSHA1) Salt() (string, error) { return "", nil }
func (UnsaltedSHA1) Encode(pw, salt string) (string, error) {
	if salt != "" {
		return "", ErrBadSalt
	}
	return "sha1$$" + hexDigest(sha1.New, pw), nil
}
func (h UnsaltedSHA1) Verify(pw, enc string) (bool, error) {
	enc2, _ := h.Encode(pw, "")
	return subtle.ConstantTimeCompare([]byte(enc), []byte(enc2)) == 1, nil
}
func (UnsaltedSHA1) MustUpdate(string) bool { return false }
