package djangosession

import (
	"testing"
)

// Outputs of CPython 3.13's datetime.isoformat().
func TestNewSessionKey(t *testing.T) {
	seen := map[string]bool{}
	var chars [SessionKeyLength]map[byte]bool
	for i := range chars {
		chars[i] = map[byte]bool{}
	}
	for range 2000 {
		k, err := newSessionKey()
		if err != nil {
			t.Fatal(err)
		}
		if len(k) != SessionKeyLength || seen[k] {
			t.Fatalf("bad or repeated key %q", k)
		}
		seen[k] = true
		for i := range k {
			chars[i][k[i]] = true
		}
	}
	for i, m := range chars {
		// 2000 draws from 36 characters miss one with probability about 36*(35/36)^2000, ~1e-23.
		if len(m) != len(SessionKeyChars) {
			t.Errorf("position %d saw %d distinct characters", i, len(m))
		}
		for c := range m {
			if c < '0' || (c > '9' && c < 'a') || c > 'z' {
				t.Errorf("character %q outside [a-z0-9]", c)
			}
		}
	}
}
