package hashers

import "fmt"

// The Django versions this module supports (djangosession.DjangoVersions).
const latest = "6.1"

// iterations is PBKDF2PasswordHasher.iterations per Django version.
var iterations = map[string]int{
	"3.2": 260_000,
	"4.2": 600_000,
	"5.2": 1_000_000,
	"6.0": 1_200_000,
	"6.1": 1_500_000,
}

// Iterations returns PBKDF2PasswordHasher.iterations of a Django version ("3.2", "4.2", "5.2",
// "6.0", "6.1").
func Iterations(django string) (int, error) {
	n, ok := iterations[django]
	if !ok {
		return 0, fmt.Errorf("hashers: unknown Django version %q: want one of 3.2, 4.2, 5.2, 6.0, 6.1", django)
	}
	return n, nil
}

// Default returns the standard-library part of a Django version's default PASSWORD_HASHERS:
// PBKDF2 and PBKDF2SHA1 with that version's iterations. Package xhashers' Default adds
// Argon2, BCryptSHA256 and (4.2+) Scrypt.
func Default(django string) (List, error) {
	n, err := Iterations(django)
	if err != nil {
		return nil, err
	}
	return List{PBKDF2{Iterations: n}, PBKDF2SHA1{Iterations: n}}, nil
}

// Legacy returns the legacy hashers a Django version still ships, to append to a List for a
// site whose PASSWORD_HASHERS names them: SHA1, MD5, UnsaltedSHA1 and UnsaltedMD5 on 3.2 and
// 4.2, MD5 alone from 5.1. (CryptPasswordHasher, in 3.2 and 4.2 only, needs the C library's
// crypt(3) and is not provided.)
func Legacy(django string) (List, error) {
	if _, err := Iterations(django); err != nil {
		return nil, err
	}
	if django == "3.2" || django == "4.2" {
		return List{SHA1{}, MD5{}, UnsaltedSHA1{}, UnsaltedMD5{}}, nil
	}
	return List{MD5{}}, nil
}
