package xhashers_test

import (
	"fmt"
	"log"
	"strings"

	"github.com/djangobridge/bridge/auth/hashers/xhashers"
)

// Django 4.2's default PASSWORD_HASHERS, which read the argon2, bcrypt and scrypt hashes a
// Django site may hold.
func ExampleDefault() {
	l, err := xhashers.Default("4.2")
	if err != nil {
		log.Fatal(err)
	}
	var names []string
	for _, h := range l {
		names = append(names, h.Algorithm())
	}
	fmt.Println(strings.Join(names, " "))
	// bcrypt_sha256 with 4 rounds, made by Django 4.2: right, and Django would upgrade it.
	ok, mustUpdate, err := l.Check("wonderland", "bcrypt_sha256$$2b$04$abcdefghijklmnopqrstuumXgagNxRN93pnpG3zDi44yvSX9ND/nO")
	fmt.Println(ok, mustUpdate, err)
	// Output:
	// pbkdf2_sha256 pbkdf2_sha1 argon2 bcrypt_sha256 scrypt
	// true true <nil>
}
