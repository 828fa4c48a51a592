// Package hashers is django.contrib.auth.hashers for Go: checking a password against the
// password field Django stores (auth_user.password), telling when Django would upgrade that
// hash, and making new hashes that every supported Django version reads.
//
//	Django                                  Go
//	PASSWORD_HASHERS                        List (its first entry makes new hashes)
//	check_password(password, encoded, ...)  List.Check (ok, and whether to upgrade)
//	make_password(password)                 List.Make
//	make_password(None)                     MakeUnusable
//	is_password_usable(encoded)             IsUsable
//	identify_hasher(encoded)                List.Identify
//	PBKDF2PasswordHasher, ...SHA1...        PBKDF2, PBKDF2SHA1
//	MD5PasswordHasher, SHA1PasswordHasher,  MD5, SHA1, UnsaltedMD5, UnsaltedSHA1
//	Unsalted{MD5,SHA1}PasswordHasher
//	Argon2, BCryptSHA256, BCrypt, Scrypt    package xhashers (golang.org/x/crypto)
//
// This package uses only the standard library (PBKDF2 comes from crypto/pbkdf2). The hashers
// that need golang.org/x/crypto live in the xhashers sub-package, whose Default returns a
// version's whole default PASSWORD_HASHERS; without it, [Default] holds the two PBKDF2 hashers,
// and a stored argon2, bcrypt or scrypt hash is reported as [ErrUnknownAlgorithm].
//
// Parameters differ by Django version: PBKDF2PasswordHasher.iterations is 260000 in 3.2,
// 600000 in 4.2, 1000000 in 5.2, 1200000 in 6.0 and 1500000 in 6.1 ([Iterations]). A Django
// upgrades a hash made with other parameters when the password is next checked, so a Go
// service must use the same version's parameters as the Django it shares users with, or the
// two will keep rewriting each other's hashes.
//
// No function here logs or returns a password or a hash in an error message.
package hashers
