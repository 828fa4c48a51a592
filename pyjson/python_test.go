package pyjson

import (
	"bufio"
	"bytes"
	"encoding/json"
	"math"
	"math/big"
	"math/rand/v2"
	"os/exec"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/djangobridge/bridge/internal/pybridge"
	"github.com/djangobridge/bridge/py"
)

// appendEncodeCheck is the CPython side of TestAppendEncodePython: for each JSON line
// {"got": ..., "want": ...} (the JSON texts as latin-1 strs, as Django decodes them) it prints
// whether json.loads of both is the same, in order and type: json.dumps of each is compared,
// which also tells 1 from 1.0 and True and keeps NaN equal to itself.
const appendEncodeCheck = `
import json, sys
for line in sys.stdin:
    c = json.loads(line)
    try:
        a, b = json.loads(c["got"]), json.loads(c["want"])
        out = {"ok": json.dumps(a) == json.dumps(b)}
        if not out["ok"]:
            out["got"], out["want"] = json.dumps(a), json.dumps(b)
    except Exception as e:
        out = {"ok": False, "error": repr(e)}
    print(json.dumps(out))
`

// TestAppendEncodePython checks AppendEncode against CPython's json.loads: for the JSON
// payloads Django signed in the fixtures and for 400 random session-like dicts, random
// changes (set an existing key, add a key, remove a key) written by AppendEncode must load as
// Marshal of the whole dict after the change does. One Python process checks every case.
func TestAppendEncodePython(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: no Python")
	}
	versions := pybridge.Versions()
	python, err := pybridge.Python(versions[len(versions)-1])
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(17, 4))
	var bases [][]byte
	for _, p := range fixturePayloads(t) {
		if v, err := Unmarshal(p); err == nil {
			if _, ok := v.(*py.Dict); ok {
				bases = append(bases, p)
			}
		}
	}
	nFixtures := len(bases)
	for range 400 {
		b, err := Marshal(randomSession(rng))
		if err != nil {
			t.Fatal(err)
		}
		bases = append(bases, b)
	}
	type pyCase struct {
		Got  string `json:"got"`
		Want string `json:"want"`
	}
	var input bytes.Buffer
	enc := json.NewEncoder(&input)
	var descr []string
	for _, base := range bases {
		for range 3 {
			o, err := UnmarshalObject(base)
			if err != nil {
				t.Fatal(err)
			}
			full, err := o.Dict()
			if err != nil {
				t.Fatal(err)
			}
			full = full.Clone()
			keys := o.Keys()
			changed := py.NewDict(0)
			var removed []string
			for range rng.IntN(4) + 1 {
				switch op := rng.IntN(3); {
				case op == 0 && len(keys) > 0: // set an existing key
					changed.Set(keys[rng.IntN(len(keys))], randomValue(rng, 2))
				case op == 1 && len(keys) > 0: // remove a key
					removed = append(removed, keys[rng.IntN(len(keys))])
				default: // add a key
					changed.Set(randomKey(rng), randomValue(rng, 2))
				}
			}
			for _, it := range changed.Items() {
				full.Set(it.Key.(string), it.Value)
			}
			for _, k := range removed {
				full.Remove(k)
			}
			got, err := o.AppendEncode(nil, changed, removed)
			if err != nil {
				t.Fatal(err)
			}
			want, err := Marshal(full)
			if err != nil {
				t.Fatal(err)
			}
			if err := enc.Encode(pyCase{Got: latin1(got), Want: latin1(want)}); err != nil {
				t.Fatal(err)
			}
			cj, _ := Marshal(changed)
			descr = append(descr, "base "+string(base[:min(len(base), 60)])+"…, changed "+string(cj)+", removed "+strings.Join(removed, ","))
		}
	}
	cmd := exec.Command(python, "-c", appendEncodeCheck)
	cmd.Stdin = &input
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v", python, err)
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<24)
	n := 0
	for ; sc.Scan(); n++ {
		var r struct {
			OK    bool   `json:"ok"`
			Error string `json:"error"`
			Got   string `json:"got"`
			Want  string `json:"want"`
		}
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		if !r.OK && n < len(descr) {
			t.Errorf("case %d (%s): CPython loads AppendEncode as %.200s, Marshal as %.200s %s", n, descr[n], r.Got, r.Want, r.Error)
		}
	}
	if n != len(descr) {
		t.Fatalf("CPython answered %d cases of %d", n, len(descr))
	}
	t.Logf("%d cases (%d fixture payloads, 400 random sessions) checked by %s", n, nFixtures, python)
}

// latin1 returns b decoded as latin-1, as Django decodes a JSON payload.
func latin1(b []byte) string {
	var sb strings.Builder
	for _, c := range b {
		sb.WriteRune(rune(c))
	}
	return sb.String()
}

var sessionKeys = []string{"_auth_user_id", "_auth_user_backend", "_auth_user_hash", "_csrftoken", "_session_expiry",
	"_messages", "cart", "django_language", "_password_reset_token", "k\u00e9y", "emoji\U0001f600", "quote\"\\/", "ctl\n\t\x00"}

func randomKey(rng *rand.Rand) string {
	if rng.IntN(3) > 0 {
		return sessionKeys[rng.IntN(len(sessionKeys))]
	}
	return randomString(rng)
}

func randomString(rng *rand.Rand) string {
	alphabet := []rune("abcXYZ019 _-\"\\/\b\f\n\r\t\x00\x1f\x7f\u00e9\u00ff\u2013\u2028\U0001f600<>&'")
	var sb strings.Builder
	for range rng.IntN(12) {
		r := alphabet[rng.IntN(len(alphabet))]
		if utf8.ValidRune(r) {
			sb.WriteRune(r)
		}
	}
	if rng.IntN(8) == 0 {
		sb.WriteString("\xed\xa0\x80") // a lone surrogate, as Unmarshal returns \ud800
	}
	return sb.String()
}

func randomValue(rng *rand.Rand, depth int) any {
	n := 9
	if depth == 0 {
		n = 7
	}
	switch rng.IntN(n) {
	case 0:
		return nil
	case 1:
		return rng.IntN(2) == 0
	case 2:
		return int64(rng.Uint64())
	case 3:
		return new(big.Int).Lsh(big.NewInt(rng.Int64()), uint(64+rng.IntN(100)))
	case 4:
		return []float64{0.1, 1e16, 1e-7, math.Copysign(0, -1), math.Inf(1), math.Inf(-1), 5e-324, rng.NormFloat64()}[rng.IntN(8)]
	case 5, 6:
		return randomString(rng)
	case 7:
		l := make([]any, rng.IntN(4))
		for i := range l {
			l[i] = randomValue(rng, depth-1)
		}
		return l
	default:
		d := py.NewDict(0)
		for range rng.IntN(4) {
			d.Set(randomKey(rng), randomValue(rng, depth-1))
		}
		return d
	}
}

// randomSession is a dict like a Django session: the auth keys, often, and a few others.
func randomSession(rng *rand.Rand) *py.Dict {
	d := py.NewDict(0)
	if rng.IntN(4) > 0 {
		d.Set("_auth_user_id", "42")
		d.Set("_auth_user_backend", "django.contrib.auth.backends.ModelBackend")
		d.Set("_auth_user_hash", strings.Repeat("ab", 32))
	}
	for range rng.IntN(10) {
		d.Set(randomKey(rng), randomValue(rng, 3))
	}
	return d
}
