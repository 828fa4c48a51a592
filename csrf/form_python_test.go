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

// pyQueryDict is request.POST of an url-encoded body: QueryDict(body).get(FormField, ""),
// with its length. Bodies come as latin-1 strings (one character per byte).
const pyQueryDict = `
import json, sys
from django.conf import settings
settings.configure()
from django.http import QueryDict
out = []
for b in json.load(sys.stdin):
    v = QueryDict(b.encode("latin-1")).get("csrfmiddlewaretoken", "")
    out.append([v if v.isascii() else None, len(v)])
json.dump(out, sys.stdout)
`

// formInputs are url-encoded bodies with csrfmiddlewaretoken fields made of escapes (valid
// and not, UTF-8 and not), raw non-ASCII bytes, "+", "&", "=" and ";".
func formInputs(n int) []string {
	pieces := []string{"csrfmiddlewaretoken=", "csrfmiddlewaretoken", "csrfmiddlewaretoke%6E=", "&", "=", ";", "+", "a", "Z9",
		"%41", "%", "%4", "%zz", "%C3%A9", "%C3", "%A9", "%E2%82", "%E2%82%AC", "%F0%9F%98", "%FF", "\xc3\xa9", "\xe9", "\xe2\x82", "x=1"}
	rng := rand.New(rand.NewPCG(3, 4))
	out := []string{"", "csrfmiddlewaretoken=abc", "csrfmiddlewaretoken=a&csrfmiddlewaretoken=b", "csrfmiddlewaretoken"}
	for len(out) < n {
		var b strings.Builder
		b.WriteString("csrfmiddlewaretoken=")
		for range rng.IntN(8) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		out = append(out, b.String())
	}
	return out
}

// TestQueryValueAgainstDjango compares the form token and its length with Django's QueryDict
// (6.1's venv; the parsing is the same in every supported version).
func TestQueryValueAgainstDjango(t *testing.T) {
	if testing.Short() {
		t.Skip("runs Django's QueryDict in a venv: skipped under -short")
	}
	py, err := pybridge.Python("6.1")
	if err != nil {
		t.Fatal(err)
	}
	inputs := formInputs(5000)
	latin := make([]string, len(inputs))
	for i, in := range inputs {
		r := make([]rune, len(in))
		for j := 0; j < len(in); j++ {
			r[j] = rune(in[j])
		}
		latin[i] = string(r[:len(in)])
	}
	data, _ := json.Marshal(latin)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, py, "-c", pyQueryDict)
	cmd.Stdin = strings.NewReader(string(data))
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python: %v", err)
	}
	var want [][2]any
	if err := json.Unmarshal(out, &want); err != nil {
		t.Fatal(err)
	}
	bad := 0
	for i, in := range inputs {
		v, n := queryValue([]byte(in), FormField)
		wv, wn := want[i][0], int(want[i][1].(float64))
		if n != wn || (wv != nil && v != wv.(string)) {
			if bad++; bad <= 10 {
				t.Errorf("%q: Go %q (%d characters), Django %v (%d)", in, v, n, wv, wn)
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d bodies differ", bad, len(inputs))
	}
}
