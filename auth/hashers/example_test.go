package hashers_test

import (
	"fmt"
	"log"

	"github.com/djangobridge/bridge/auth/hashers"
)

// Checking a password against the hash Django stored: the password is right, and Django 5.2's
// check_password would upgrade the hash (it has fewer iterations than 5.2's default). Store
// l.Make(password) then: a new hash with 5.2's default hasher and parameters.
func ExampleList_Check() {
	l, err := hashers.Default("5.2")
	if err != nil {
		log.Fatal(err)
	}
	stored := "pbkdf2_sha256$1000$djangobridgesalt012345$j1nSIMWBWs6+CscKNqGZTZ7DxD+Wv8cW8ZkolCwG0mc="
	ok, mustUpdate, err := l.Check("wonderland", stored)
	fmt.Println(ok, mustUpdate, err)
	// Output:
	// true true <nil>
}
