// Package layers checks the library's package graph: dependencies point one way, from the
// codecs at the bottom to the HTTP layer on top, and the core packages import only the
// standard library.
package layers

import (
	"encoding/json"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/djangobridge/bridge/"

// layer lists each library package (relative to the module) with the module packages it may
// import, directly or not. Every other import must be the standard library, except for the
// adapters, which bring the client library their cache needs.
var layer = map[string][]string{
	"internal/zlib":                   nil,
	"py":                              nil,
	"pickle":                          {"py"},
	"pyjson":                          {"py"},
	"signing":                         {"py", "pyjson", "internal/zlib"},
	"djangosession/dbstore":           nil,
	"internal/pycookie":               nil,
	"djangosession":                   {"py", "pickle", "pyjson", "signing", "internal/zlib", "djangosession/dbstore", "internal/pycookie"},
	"csrf":                            {"djangosession", "djangosession/dbstore", "py", "pickle", "pyjson", "signing", "internal/zlib", "internal/pycookie"},
	"messages":                        {"djangosession", "djangosession/dbstore", "py", "pickle", "pyjson", "signing", "internal/zlib", "internal/pycookie"},
	"auth":                            {"djangosession", "djangosession/dbstore", "csrf", "py", "pickle", "pyjson", "signing", "internal/zlib", "internal/pycookie"},
	"auth/hashers":                    nil,
	"auth/hashers/xhashers":           {"auth/hashers"},
	"auth/authdb":                     {"auth", "auth/hashers", "djangosession", "djangosession/dbstore", "csrf", "py", "pickle", "pyjson", "signing", "internal/zlib", "internal/pycookie"},
	"djangosession/djangosessiontest": {"djangosession", "djangosession/dbstore", "py", "pickle", "pyjson", "signing", "internal/zlib", "internal/pycookie"},
	"djangosession/redisstore":        {"djangosession", "djangosession/dbstore", "py", "pickle", "pyjson", "signing", "internal/zlib", "internal/pycookie"},
	"djangosession/memcachestore":     {"djangosession", "djangosession/dbstore", "py", "pickle", "pyjson", "signing", "internal/zlib", "internal/pycookie"},
}

// adapters may import third-party modules (their cache client; xhashers: golang.org/x/crypto
// for argon2, bcrypt and scrypt).
var adapters = []string{"djangosession/redisstore", "djangosession/memcachestore", "auth/hashers/xhashers"}

func TestLayers(t *testing.T) {
	for pkg, allowed := range layer {
		out, err := exec.Command("go", "list", "-deps", "-json=ImportPath,Standard", module+pkg).Output()
		if err != nil {
			t.Fatalf("go list %s: %v", pkg, err)
		}
		dec := json.NewDecoder(strings.NewReader(string(out)))
		for dec.More() {
			var p struct {
				ImportPath string
				Standard   bool
			}
			if err := dec.Decode(&p); err != nil {
				t.Fatal(err)
			}
			switch {
			case p.Standard, p.ImportPath == module+pkg:
			case strings.HasPrefix(p.ImportPath, module):
				dep := strings.TrimPrefix(p.ImportPath, module)
				if !slices.Contains(allowed, dep) {
					t.Errorf("%s imports %s, which is not below it (allowed: %v)", pkg, dep, allowed)
				}
			case !slices.Contains(adapters, pkg):
				t.Errorf("%s imports %s: the core packages use only the standard library", pkg, p.ImportPath)
			}
		}
	}
}

// TestEveryPackageHasALayer makes a new library package declare its place.
func TestEveryPackageHasALayer(t *testing.T) {
	out, err := exec.Command("go", "list", module+"...").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range strings.Fields(string(out)) {
		rel := strings.TrimPrefix(p, module)
		if strings.HasPrefix(rel, "cmd/") || strings.HasPrefix(rel, "internal/") || strings.HasPrefix(rel, "bench/") ||
			strings.HasPrefix(rel, "compat_test") || strings.HasPrefix(rel, "faulttest") || strings.HasPrefix(rel, "examples") ||
			strings.Contains(rel, "/internal/") {
			continue
		}
		if _, ok := layer[rel]; !ok {
			t.Errorf("library package %s has no entry in the layer table", rel)
		}
	}
}
