package hashers_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/djangobridge/bridge/auth/hashers"
)

// The standard-library hashers against Django's vectors (the x/crypto ones are tested in
// xhashers).
func TestDjangoVectorsStdlib(t *testing.T) {
	for _, id := range []string{"3.2", "4.2", "5.2", "6.0", "6.1"} {
		t.Run(id, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("..", "testdata", "hashers", "django-"+id+".json"))
			if err != nil {
				t.Fatalf("%v (regenerate with compat_test/gen_hashers.sh)", err)
			}
			var f struct {
				Vectors []struct {
					Algorithm, Password, Salt, Encoded string
					Params                             map[string]int
					Check                              bool
					MustUpdate                         bool `json:"must_update"`
				}
			}
			if err := json.Unmarshal(b, &f); err != nil {
				t.Fatal(err)
			}
			def, _ := hashers.Default(id)
			legacy, _ := hashers.Legacy(id)
			l := append(def, legacy...)
			n := 0
			for _, v := range f.Vectors {
				h, err := l.Identify(v.Encoded)
				if errors.Is(err, hashers.ErrUnknownAlgorithm) {
					continue // argon2, bcrypt, scrypt
				}
				if testing.Short() && v.Params["iterations"] > 1000 {
					continue
				}
				n++
				if h.Algorithm() != v.Algorithm {
					t.Errorf("Identify = %s, want %s", h.Algorithm(), v.Algorithm)
				}
				ok, upd, err := l.Check(v.Password, v.Encoded)
				if err != nil || ok != v.Check || upd != v.MustUpdate {
					t.Errorf("%s: Check = %v %v %v, Django %v %v", v.Algorithm, ok, upd, err, v.Check, v.MustUpdate)
				}
			}
			if n < 10 {
				t.Fatalf("only %d vectors checked", n)
			}
		})
	}
}

func TestCheckMalformed(t *testing.T) {
	l := hashers.List{hashers.PBKDF2{Iterations: 1000}, hashers.MD5{}, hashers.UnsaltedMD5{}}
	tests := []struct {
		encoded string
		err     error
	}{
		{"pbkdf2_sha256$", hashers.ErrMalformed},
		{"pbkdf2_sha256$x$salt$hash", hashers.ErrMalformed},
		{"pbkdf2_sha256$1000$salt", hashers.ErrMalformed},
		{"pbkdf2_sha256$0$salt$hash", nil},                      // Django: default iterations, never equal
		{"pbkdf2_sha256$-5$salt$hash", nil},                     // same
		{"pbkdf2_sha256$1000$$hash", nil},                       // empty salt
		{"pbkdf2_sha256$99999999999$s$h", hashers.ErrMalformed}, // bounded work
		{"md5$", hashers.ErrMalformed},
		{"md5$$abc", hashers.ErrMalformed},
		{"bcrypt$$2b$12$abc", hashers.ErrUnknownAlgorithm},
		{"", hashers.ErrUnknownAlgorithm},
		{"!", nil},
		{"!pbkdf2_sha256$1000$salt$hash", nil},
	}
	for _, tt := range tests {
		ok, upd, err := l.Check("pw", tt.encoded)
		if ok || upd || !errors.Is(err, tt.err) || (tt.err == nil && err != nil) {
			t.Errorf("Check(%q) = %v %v %v, want false, %v", tt.encoded, ok, upd, err, tt.err)
		}
		if err != nil && strings.Contains(err.Error(), "pw") {
			t.Errorf("error %q names the password", err)
		}
	}
	if _, _, err := (hashers.List{}).Check("pw", "md5$s$h"); !errors.Is(err, hashers.ErrNoHashers) {
		t.Errorf("empty List: %v", err)
	}
	for _, salt := range []string{"", "a$b"} {
		if _, err := (hashers.PBKDF2{}).Encode("pw", salt); !errors.Is(err, hashers.ErrBadSalt) {
			t.Errorf("Encode salt %q: %v", salt, err)
		}
	}
}

func TestMakeAndUsable(t *testing.T) {
	l := hashers.List{hashers.PBKDF2{Iterations: 1000}}
	enc, err := l.Make("wonderland")
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(enc, "$")
	if len(parts) != 4 || parts[0] != "pbkdf2_sha256" || parts[1] != "1000" || len(parts[2]) != 22 {
		t.Fatalf("Make: %d fields", len(parts))
	}
	if ok, upd, err := l.Check("wonderland", enc); !ok || upd || err != nil {
		t.Fatalf("Check(Make) = %v %v %v", ok, upd, err)
	}
	if ok, _, _ := (hashers.List{hashers.PBKDF2{Iterations: 2000}}).Check("wonderland", enc); !ok {
		t.Fatal("other iterations: not ok")
	}
	if _, upd, _ := (hashers.List{hashers.PBKDF2{Iterations: 2000}}).Check("wonderland", enc); !upd {
		t.Fatal("other iterations: no upgrade")
	}
	u, err := hashers.MakeUnusable()
	if err != nil || len(u) != 41 || hashers.IsUsable(u) || !hashers.IsUsable(enc) || !hashers.IsUsable("") {
		t.Fatalf("MakeUnusable/IsUsable: %d %v", len(u), err)
	}
	if _, err := hashers.Iterations("5.0"); err == nil {
		t.Fatal("unknown version accepted")
	}
}
