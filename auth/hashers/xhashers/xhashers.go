package xhashers

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/blowfish"
	"golang.org/x/crypto/scrypt"

	"github.com/djangobridge/bridge/auth/hashers"
)

// Default returns a Django version's default PASSWORD_HASHERS: PBKDF2, PBKDF2SHA1, Argon2,
// BCryptSHA256 and, from 4.0, Scrypt, with that version's parameters (scrypt's parallelism is 1
// in 4.2 and 5 from 5.0).
func Default(django string) (hashers.List, error) {
	l, err := hashers.Default(django)
	if err != nil {
		return nil, err
	}
	l = append(l, Argon2{}, BCrypt{SHA256: true})
	switch django {
	case "3.2":
	case "4.2":
		l = append(l, Scrypt{Parallelism: 1})
	default:
		l = append(l, Scrypt{})
	}
	return l, nil
}

var (
	_ hashers.Hasher = Argon2{}
	_ hashers.Hasher = BCrypt{}
	_ hashers.Hasher = Scrypt{}
)

func malformed(algorithm, what string) error {
	return fmt.Errorf("%w: %s: %s", hashers.ErrMalformed, algorithm, what)
}

func unsupported(algorithm, what string) error {
	return fmt.Errorf("%w: %s: %s", hashers.ErrUnsupported, algorithm, what)
}

// Argon2 is Argon2PasswordHasher: "argon2$argon2id$v=19$m=<KiB>,t=<n>,p=<n>$<salt>$<hash>"
// (argon2-cffi's encoding after the "argon2" prefix), an argon2id hash (32 bytes) of the password
// with Django's 22-character salt. Zero fields mean Django's values, the same in 3.2 to 6.1.
// Verify also reads argon2i hashes (Django before 2.1.2 made them); argon2d and version 0x10
// give ErrUnsupported.
type Argon2 struct {
	TimeCost    uint32 // time_cost (Django: 2)
	MemoryCost  uint32 // memory_cost in KiB (Django: 102400)
	Parallelism uint8  // parallelism (Django: 8)
	// HashLen is argon2-cffi's DEFAULT_HASH_LENGTH, which Django uses: 32 bytes since
	// argon2-cffi 21.2.0 (default), 16 before. A hash of another length verifies, but Django
	// (and MustUpdate) upgrades it.
	HashLen uint32
	// MaxMemoryCost bounds the memory a stored hash may ask Verify to use, in KiB
	// (default 1 GiB; Django has no bound).
	MaxMemoryCost uint32
}

func (a Argon2) params() (t, m uint32, p uint8) {
	t, m, p = a.TimeCost, a.MemoryCost, a.Parallelism
	if t == 0 {
		t = 2
	}
	if m == 0 {
		m = 102400
	}
	if p == 0 {
		p = 8
	}
	return t, m, p
}

func (a Argon2) hashLen() uint32 {
	if a.HashLen == 0 {
		return 32
	}
	return a.HashLen
}

func (Argon2) Algorithm() string     { return "argon2" }
func (Argon2) Salt() (string, error) { return hashers.NewSalt() }
func (a Argon2) Encode(pw, salt string) (string, error) {
	if salt == "" || strings.Contains(salt, "$") {
		return "", hashers.ErrBadSalt
	}
	t, m, p := a.params()
	key := argon2.IDKey([]byte(pw), []byte(salt), t, m, p, a.hashLen())
	return fmt.Sprintf("argon2$argon2id$v=19$m=%d,t=%d,p=%d$%s$%s", m, t, p,
		base64.RawStdEncoding.EncodeToString([]byte(salt)), base64.RawStdEncoding.EncodeToString(key)), nil
}

type argon2Hash struct {
	variety    string
	version    int
	m, t, p    uint64
	salt, hash []byte
}

// decode reads "argon2$<variety>$v=<n>$m=..,t=..,p=..$<salt>$<hash>" (v= may be missing:
// version 0x10).
func (Argon2) decode(enc string) (argon2Hash, error) {
	var h argon2Hash
	parts := strings.Split(enc, "$")
	if parts[0] != "argon2" || (len(parts) != 5 && len(parts) != 6) {
		return h, malformed("argon2", "want argon2$variety$v=19$m=,t=,p=$salt$hash")
	}
	h.variety = parts[1]
	rest := parts[2:]
	h.version = 0x10
	if len(parts) == 6 {
		v, ok := strings.CutPrefix(parts[2], "v=")
		n, err := strconv.Atoi(v)
		if !ok || err != nil {
			return h, malformed("argon2", "bad version field")
		}
		h.version = n
		rest = parts[3:]
	}
	fields := strings.Split(rest[0], ",")
	if len(fields) != 3 {
		return h, malformed("argon2", "want m=,t=,p=")
	}
	for i, dst := range []*uint64{&h.m, &h.t, &h.p} {
		name := "mtp"[i : i+1]
		v, ok := strings.CutPrefix(fields[i], name+"=")
		n, err := strconv.ParseUint(v, 10, 32)
		if !ok || err != nil {
			return h, malformed("argon2", "bad "+name+"= parameter")
		}
		*dst = n
	}
	var err error
	if h.salt, err = base64.RawStdEncoding.DecodeString(rest[1]); err != nil {
		return h, malformed("argon2", "salt is not base64")
	}
	if h.hash, err = base64.RawStdEncoding.DecodeString(rest[2]); err != nil {
		return h, malformed("argon2", "hash is not base64")
	}
	return h, nil
}

func (a Argon2) Verify(pw, enc string) (bool, error) {
	h, err := a.decode(enc)
	if err != nil {
		return false, err
	}
	maxM := uint64(a.MaxMemoryCost)
	if maxM == 0 {
		maxM = 1 << 20
	}
	switch {
	case h.version != 0x13:
		return false, unsupported("argon2", fmt.Sprintf("version %#x (only 0x13)", h.version))
	case h.variety != "argon2id" && h.variety != "argon2i":
		return false, unsupported("argon2", "variety "+strconv.Quote(h.variety))
	case h.t < 1 || h.p < 1 || h.p > 255 || h.m < 8*h.p || h.m > maxM:
		return false, unsupported("argon2", "parameters out of range")
	case len(h.hash) < 4 || len(h.salt) < 8:
		return false, malformed("argon2", "salt or hash too short")
	}
	f := argon2.IDKey
	if h.variety == "argon2i" {
		f = argon2.Key
	}
	key := f([]byte(pw), h.salt, uint32(h.t), uint32(h.m), uint8(h.p), uint32(len(h.hash)))
	return subtle.ConstantTimeCompare(key, h.hash) == 1, nil
}

func (a Argon2) MustUpdate(enc string) bool {
	h, err := a.decode(enc)
	if err != nil {
		return false
	}
	t, m, p := a.params()
	return h.variety != "argon2id" || h.version != 0x13 || len(h.hash) != int(a.hashLen()) ||
		h.t != uint64(t) || h.m != uint64(m) || h.p != uint64(p) ||
		len([]rune(string(h.salt))) < hashers.SaltLength // salt.decode("latin1"): one rune a byte
}

// BCrypt is BCryptSHA256PasswordHasher (SHA256 true: "bcrypt_sha256$$2b$<rounds>$<salt+hash>",
// bcrypt of the hex SHA-256 of the password) or BCryptPasswordHasher (SHA256 false:
// "bcrypt$$2b$...", bcrypt of the password itself, of which bcrypt reads 72 bytes).
type BCrypt struct {
	SHA256 bool
	Rounds int // rounds, the log2 work factor (Django: 12)
}

func (b BCrypt) rounds() int {
	if b.Rounds == 0 {
		return 12
	}
	return b.Rounds
}

func (b BCrypt) Algorithm() string {
	if b.SHA256 {
		return "bcrypt_sha256"
	}
	return "bcrypt"
}

// Salt is bcrypt.gensalt(rounds): "$2b$12$" and 16 random bytes in bcrypt's base64.
func (b BCrypt) Salt() (string, error) {
	s, err := hashers.RandomString(16)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("$2b$%02d$%s", b.rounds(), bcryptB64.EncodeToString([]byte(s))[:22]), nil
}

var bcryptB64 = base64.NewEncoding("./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789").WithPadding(base64.NoPadding)

// Encode is bcrypt.hashpw with salt "$2b$<rounds>$<22 chars>" (a whole stored bcrypt value
// is accepted too: only its first 29 characters are read).
func (b BCrypt) Encode(pw, salt string) (string, error) {
	data, err := bcryptHash(b.password(pw), salt)
	if err != nil {
		return "", err
	}
	return b.Algorithm() + "$" + data, nil
}

func (b BCrypt) password(pw string) []byte {
	if b.SHA256 {
		sum := sha256.Sum256([]byte(pw))
		return []byte(hex.EncodeToString(sum[:]))
	}
	return []byte(pw)
}

// bcryptHash is bcrypt.hashpw: "$2x$NN$" + salt22 + hash31.
func bcryptHash(pw []byte, salt string) (string, error) {
	if len(salt) < 29 || salt[0] != '$' || salt[1] != '2' || salt[3] != '$' || salt[6] != '$' ||
		(salt[2] != 'a' && salt[2] != 'b' && salt[2] != 'y') {
		return "", malformed("bcrypt", "want $2b$NN$ and a 22-character salt")
	}
	cost, err := strconv.Atoi(salt[4:6])
	if err != nil || cost < 4 || cost > 31 {
		return "", malformed("bcrypt", "rounds must be 04..31")
	}
	rawSalt, err := bcryptB64.DecodeString(salt[7:29])
	if err != nil || len(rawSalt) != 16 {
		return "", malformed("bcrypt", "salt is not bcrypt base64")
	}
	key := append(pw[:len(pw):len(pw)], 0) // the NUL byte C bcrypt includes; ExpandKey reads 72 bytes
	if len(key) > 72 {
		key = key[:72]
	}
	c, err := blowfish.NewSaltedCipher(key, rawSalt)
	if err != nil {
		return "", malformed("bcrypt", err.Error())
	}
	for i := uint64(0); i < 1<<uint(cost); i++ {
		blowfish.ExpandKey(key, c)
		blowfish.ExpandKey(rawSalt, c)
	}
	data := []byte("OrpheanBeholderScryDoubt")
	for i := 0; i < 24; i += 8 {
		for j := 0; j < 64; j++ {
			c.Encrypt(data[i:i+8], data[i:i+8])
		}
	}
	return salt[:29] + bcryptB64.EncodeToString(data[:23]), nil
}

func (b BCrypt) Verify(pw, enc string) (bool, error) {
	algorithm, data, ok := strings.Cut(enc, "$")
	if !ok || algorithm != b.Algorithm() {
		return false, malformed(b.Algorithm(), "want "+b.Algorithm()+"$$2b$...")
	}
	enc2, err := b.Encode(pw, data)
	if err != nil {
		return false, err
	}
	return subtle.ConstantTimeCompare([]byte(enc), []byte(enc2)) == 1, nil
}

func (b BCrypt) MustUpdate(enc string) bool {
	parts := strings.SplitN(enc, "$", 5)
	if len(parts) != 5 || parts[0] != b.Algorithm() {
		return false
	}
	n, err := strconv.Atoi(parts[3])
	return err == nil && n != b.rounds()
}

// HardenRuntime is harden_runtime: 2^(rounds-stored)-1 more hashes after a failed check of a
// hash with fewer rounds.
func (b BCrypt) HardenRuntime(pw, enc string) {
	_, data, _ := strings.Cut(enc, "$")
	if len(data) < 29 {
		return
	}
	n, err := strconv.Atoi(data[4:6])
	if err != nil || n >= b.rounds() || n < 4 {
		return
	}
	for diff := (1 << (b.rounds() - n)) - 1; diff > 0; diff-- {
		_, _ = bcryptHash(b.password(pw), data[:29])
	}
}

// Scrypt is ScryptPasswordHasher: "scrypt$<n>$<salt>$<r>$<p>$<base64 hash>", a 64-byte
// scrypt key. Zero fields mean Django's current values: work_factor 2^14, block_size 8,
// parallelism 5 (Django 4.2 has parallelism 1: see Default).
type Scrypt struct {
	WorkFactor  int // n (Django: 16384)
	BlockSize   int // r (Django: 8)
	Parallelism int // p (Django 5.0+: 5; 4.x: 1)
}

func (s Scrypt) params() (n, r, p int) {
	n, r, p = s.WorkFactor, s.BlockSize, s.Parallelism
	if n == 0 {
		n = 1 << 14
	}
	if r == 0 {
		r = 8
	}
	if p == 0 {
		p = 5
	}
	return n, r, p
}

func (Scrypt) Algorithm() string     { return "scrypt" }
func (Scrypt) Salt() (string, error) { return hashers.NewSalt() }
func (s Scrypt) Encode(pw, salt string) (string, error) {
	n, r, p := s.params()
	return scryptEncode(pw, salt, n, r, p)
}

// scryptMaxMem is OpenSSL's default limit, which Django's maxmem=0 leaves in force.
const scryptMaxMem = 32 << 20

func scryptEncode(pw, salt string, n, r, p int) (string, error) {
	if salt == "" || strings.Contains(salt, "$") {
		return "", hashers.ErrBadSalt
	}
	if n < 2 || n&(n-1) != 0 || r < 1 || p < 1 || int64(p)*int64(r) >= 1<<30 ||
		int64(p)*128*int64(r)+128*int64(r)*(int64(n)+2) > scryptMaxMem {
		// hashlib.scrypt raises ValueError ("memory limit exceeded", "n must be a power of 2").
		return "", unsupported("scrypt", "parameters out of range or over 32 MiB")
	}
	key, err := scrypt.Key([]byte(pw), []byte(salt), n, r, p, 64)
	if err != nil {
		return "", unsupported("scrypt", err.Error())
	}
	return fmt.Sprintf("scrypt$%d$%s$%d$%d$%s", n, salt, r, p, base64.StdEncoding.EncodeToString(key)), nil
}

func scryptDecode(enc string) (n int, salt string, r, p int, err error) {
	parts := strings.Split(enc, "$")
	if len(parts) != 6 || parts[0] != "scrypt" {
		return 0, "", 0, 0, malformed("scrypt", "want scrypt$n$salt$r$p$hash")
	}
	var e1, e2, e3 error
	n, e1 = strconv.Atoi(parts[1])
	r, e2 = strconv.Atoi(parts[3])
	p, e3 = strconv.Atoi(parts[4])
	if e1 != nil || e2 != nil || e3 != nil {
		return 0, "", 0, 0, malformed("scrypt", "parameters are not integers")
	}
	return n, parts[2], r, p, nil
}

func (s Scrypt) Verify(pw, enc string) (bool, error) {
	n, salt, r, p, err := scryptDecode(enc)
	if err != nil {
		return false, err
	}
	enc2, err := scryptEncode(pw, salt, n, r, p)
	if err != nil {
		return false, err
	}
	return subtle.ConstantTimeCompare([]byte(enc), []byte(enc2)) == 1, nil
}

func (s Scrypt) MustUpdate(enc string) bool {
	n, _, r, p, err := scryptDecode(enc)
	if err != nil {
		return false
	}
	cn, cr, cp := s.params()
	return n != cn || r != cr || p != cp
}
