package csrf

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/djangobridge/bridge/internal/pybridge"
)

// pyURLSplit is what each Django version parses Origin and Referer with: urlparse in 3.2
// and 4.2, urlsplit from 5.0; both give scheme, netloc and geturl(), or "error" for Python's
// ValueError. It reads a JSON list of strings on stdin.
const pyURLSplit = `
import json, sys, django
from urllib.parse import urlparse, urlsplit
parse = urlparse if django.VERSION < (5, 0) else urlsplit
out = []
for u in json.load(sys.stdin):
    try:
        r = parse(u)
        out.append([r.scheme, r.netloc, r.geturl()])
    except ValueError:
        out.append("error")
json.dump(out, sys.stdout)
`

// urlInputs are URLs made of the pieces that matter to urlsplit: schemes, "//", brackets,
// "?#;@", ports, spaces and control characters, non-ASCII.
func urlInputs(n int) []string {
	pieces := []string{"https", "http", "HTTPS", "h-t.t+p", "1x", ":", "//", "/", "[", "]", "::1", "[::1]", "[v1.x]",
		"[1.2.3.4]", "[fe80::1%25eth0]", "?", "#", ";", "@", "example.com", "Ex.COM", ":8443", "\u00e9", " ", "\t", "\n",
		"\x01", "a", "%2F", "+", "-", ".", ""}
	rng := rand.New(rand.NewPCG(1, 2))
	out := []string{"", "https://example.com/", "https://example.com/a;", "https://example.com/a;b;", "https:example.com",
		"//example.com/", " \x00https://example.com/x?#", "https://[::1]:8000/", "https://[bad]/", "https://a]b/", "https://[v1.fe]/"}
	for len(out) < n {
		var b strings.Builder
		if rng.IntN(2) == 0 {
			b.WriteString([]string{"https://", "http://", "HTTPS://", " https://", "https:"}[rng.IntN(5)])
		}
		for range 1 + rng.IntN(7) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		out = append(out, b.String())
	}
	return out
}

// TestURLSplitAgainstPython compares urlsplit and geturl with Python's, in each Django venv
// (its Python decides the bracket check: 3.10 for Django 3.2, 3.11+ for the others).
func TestURLSplitAgainstPython(t *testing.T) {
	if testing.Short() {
		t.Skip("runs Python in the Django venvs: skipped under -short")
	}
	inputs := urlInputs(5000)
	data, _ := json.Marshal(inputs)
	for _, version := range Versions {
		t.Run("django-"+version, func(t *testing.T) {
			py, err := pybridge.Python(version)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, py, "-c", pyURLSplit)
			cmd.Stdin = strings.NewReader(string(data))
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("python: %v", err)
			}
			var want []any
			if err := json.Unmarshal(out, &want); err != nil {
				t.Fatal(err)
			}
			v, _ := parseVersion(version)
			bad := 0
			for i, in := range inputs {
				u, err := urlsplit(in, v >= v42)
				got := any("error")
				if err == nil {
					g := ""
					if u.scheme != "" && u.netloc != "" {
						g = u.geturl(v < v52)
					}
					got = []any{u.scheme, u.netloc, g}
				}
				w := want[i]
				if wl, ok := w.([]any); ok && (wl[0] == "" || wl[1] == "") {
					w = []any{wl[0], wl[1], ""} // geturl is only used with a scheme and a netloc
				}
				if gotJ, _ := json.Marshal(got); string(gotJ) != mustJSON(w) {
					if bad++; bad <= 10 {
						t.Errorf("%q: Go %s, Python %s", in, gotJ, mustJSON(w))
					}
				}
			}
			if bad > 0 {
				t.Errorf("%d of %d inputs differ", bad, len(inputs))
			}
		})
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
