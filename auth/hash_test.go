package auth

import "testing"

func TestVerifySessionAuthHash(t *testing.T) {
	const pw = "pbkdf2_sha256$1$salt$hash"
	cur, old := "s3cr3t", "old-s3cr3t"
	tests := []struct {
		name    string
		stored  string
		keys    []string
		opts    HashOptions
		match   bool
		keyIdx  int
		comment string
	}{
		{"current key", SessionAuthHash(pw, cur), []string{cur, old}, HashOptions{}, true, 0, ""},
		{"fallback key", SessionAuthHash(pw, old), []string{cur, "x", old}, HashOptions{}, true, 2, "caller rotates"},
		{"unknown key", SessionAuthHash(pw, "nope"), []string{cur, old}, HashOptions{}, false, 0, ""},
		{"other password", SessionAuthHash(pw+"x", cur), []string{cur}, HashOptions{}, false, 0, ""},
		{"empty stored hash", "", []string{cur}, HashOptions{}, false, 0, "Django: session_hash must be truthy"},
		{"sha1 legacy on 4.0+", LegacySessionAuthHash(pw, cur), []string{cur}, HashOptions{}, false, 0, ""},
		{"sha1 legacy on 3.2", LegacySessionAuthHash(pw, cur), []string{cur}, HashOptions{AcceptLegacySHA1: true}, true, 0, ""},
		{"truncated", SessionAuthHash(pw, cur)[:63], []string{cur}, HashOptions{}, false, 0, ""},
		{"upper case", "3CD7FDBE5421D78CB7308311488B47D738A52602B25C658EACED3C817FA5CB32", []string{cur}, HashOptions{}, false, 0, "compared as text"},
		{"no keys", SessionAuthHash(pw, cur), nil, HashOptions{}, false, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			match, k := VerifySessionAuthHash(tt.stored, pw, tt.keys, tt.opts)
			if match != tt.match || k != tt.keyIdx {
				t.Fatalf("VerifySessionAuthHash = %v, %d; want %v, %d", match, k, tt.match, tt.keyIdx)
			}
		})
	}
	if got := SessionAuthHash(pw, cur); got != "3cd7fdbe5421d78cb7308311488b47d738a52602b25c658eaced3c817fa5cb32" {
		t.Fatalf("SessionAuthHash = %s", got)
	}
	if got := LegacySessionAuthHash(pw, cur); len(got) != 40 {
		t.Fatalf("LegacySessionAuthHash = %s", got)
	}
}
