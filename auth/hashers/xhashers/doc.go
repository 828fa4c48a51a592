// Package xhashers holds Django's password hashers that need golang.org/x/crypto: Argon2
// (Argon2PasswordHasher), BCryptSHA256 and BCrypt (BCryptSHA256PasswordHasher,
// BCryptPasswordHasher) and Scrypt (ScryptPasswordHasher; hashlib.scrypt in Django). They
// implement hashers.Hasher; [Default] returns a Django version's whole default
// PASSWORD_HASHERS.
//
// It is a separate package so that the auth packages themselves import only the standard
// library: a service whose users all have PBKDF2 hashes does not need it.
package xhashers
