package signing_test

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/djangobridge/bridge/auth"
	"github.com/djangobridge/bridge/internal/tagged"
	"github.com/djangobridge/bridge/py"
	"github.com/djangobridge/bridge/signing"

	"github.com/djangobridge/bridge/djangosession"
	"github.com/djangobridge/bridge/internal/pybridge"
)

// These live tests hand Go-made signed values to a real Django of every supported version
// (internal/pybridge) and check that Django accepts them and reads back the same value, and
// that Django's own dumps of random values equals Go's byte for byte.

const liveKey = "s3cr3t"

const liveNow = int64(1700000000)

// pyNaN is float("nan") in CPython: the quiet NaN with no payload.
var pyNaN = math.Float64frombits(0x7ff8000000000000)

func liveClock() time.Time { return time.Unix(liveNow, 0) }

// liveValues are the values signed in the live tests: session-like dicts, every JSON type, and
// the awkward cases of Python's json module.
func liveValues() []any {
	return []any{
		py.DictOf("_auth_user_id", "42", "_auth_user_backend", "django.contrib.auth.backends.ModelBackend",
			"_auth_user_hash", strings.Repeat("ab", 32)),
		py.DictOf("k\u00e9", "\U0001f600 \u2028 </script> \x00\x1f\x7f \"\\/", "n", int64(-1), "f", 1e16, "g", 0.0001,
			"h", []any{1e15, 1234567890123456.0, 0.00001, 1.5, 100.0, 5e-324, math.MaxFloat64}),
		py.DictOf("cart", []any{py.DictOf("sku", "SKU-1", "qty", int64(2))}, "empty", py.NewDict(0), "list", []any{}),
		py.DictOf("big", new(big.Int).Lsh(big.NewInt(1), 100), "neg", int64(math.MinInt64), "t", true, "n", nil),
		py.DictOf("nan", pyNaN, "inf", math.Inf(1), "ninf", math.Inf(-1), "negzero", math.Copysign(0, -1)),
		py.DictOf("long", strings.Repeat("session data ", 400)),
		"hello",
		[]any{int64(1), 2.5, "x"},
		nil,
	}
}

type liveValueResp struct {
	Value json.RawMessage `json:"value"`
	Empty bool            `json:"empty"`
}

func liveCall(t *testing.T, b *pybridge.Bridge, op string, req map[string]any) liveValueResp {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var resp liveValueResp
	if err := b.Call(ctx, op, req, &resp); err != nil {
		t.Fatalf("%s: Django rejected a Go-made value: %v", op, err)
	}
	if resp.Empty {
		t.Fatalf("%s: Django returned an empty session for a Go-made value", op)
	}
	return resp
}

// djangoDumps asks Django for signing.dumps(v) with the live key at the fixed clock, and returns
// v's tagged JSON and Django's signed string.
func djangoDumps(t *testing.T, b *pybridge.Bridge, v any, compress bool) (tj []byte, signed string) {
	t.Helper()
	tj, err := tagged.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Signed string `json:"signed"`
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req := map[string]any{"key": liveKey, "value": json.RawMessage(tj), "compress": compress, "now": liveNow}
	if err := b.Call(ctx, "dumps", req, &d); err != nil {
		t.Fatal(err)
	}
	return tj, d.Signed
}

func liveSame(t *testing.T, what string, raw json.RawMessage, want any) {
	t.Helper()
	got, err := tagged.Unmarshal(raw)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if !py.Equal(got, want) {
		t.Fatalf("%s: Django read %s, want %#v", what, raw, want)
	}
}

func TestLiveDjangoAcceptsGoSigning(t *testing.T) {
	pybridge.ForEachVersion(t, func(t *testing.T, b *pybridge.Bridge) {
		legacy := b.DjangoID == "3.2"
		for i, v := range liveValues() {
			for _, compress := range []bool{false, true} {
				signed, err := signing.Dumps(v, signing.DumpsOptions{Key: liveKey, Compress: compress, Now: liveClock})
				if err != nil {
					t.Fatal(err)
				}
				resp := liveCall(t, b, "loads", map[string]any{"key": liveKey, "signed": signed, "now": liveNow + 5, "max_age": 10})
				liveSame(t, "loads", resp.Value, v)

				// Django's own dumps of the same value is the same string.
				if _, django := djangoDumps(t, b, v, compress); django != signed {
					t.Errorf("value %d compress=%v: Go dumps %q, Django %q", i, compress, signed, django)
				}
			}
			dict, ok := v.(*py.Dict)
			if !ok {
				continue
			}
			data, err := djangosession.EncodeSessionData(dict, djangosession.SessionDataOptions{SecretKey: liveKey, Now: liveClock})
			if err != nil {
				t.Fatal(err)
			}
			liveSame(t, "session_decode", liveCall(t, b, "session_decode", map[string]any{"secret_key": liveKey, "session_data": data}).Value, v)
			cookie, err := djangosession.EncodeSignedCookieSession(dict, djangosession.SignedCookieOptions{SecretKey: liveKey, Now: liveClock})
			if err != nil {
				t.Fatal(err)
			}
			liveSame(t, "signed_cookie_decode", liveCall(t, b, "signed_cookie_decode",
				map[string]any{"secret_key": liveKey, "cookie": cookie, "now": liveNow + 100}).Value, v)
			if legacy {
				old, err := djangosession.EncodeLegacySessionData(dict, djangosession.SessionDataOptions{SecretKey: liveKey})
				if err != nil {
					t.Fatal(err)
				}
				liveSame(t, "legacy session_decode", liveCall(t, b, "session_decode", map[string]any{"secret_key": liveKey, "session_data": old}).Value, v)
			}
		}

		for _, sep := range []string{":", "~", "!!"} {
			s := signing.Signer{Key: liveKey, Sep: sep, Salt: "live.salt", Algorithm: "sha512"}
			signed, err := s.Sign("h\u00e9llo:w\u00f6rld")
			if err != nil {
				t.Fatal(err)
			}
			resp := liveCall(t, b, "unsign", map[string]any{"key": liveKey, "sep": sep, "salt": "live.salt", "algorithm": "sha512", "signed": signed})
			liveSame(t, "unsign", resp.Value, "h\u00e9llo:w\u00f6rld")
			ts := signing.TimestampSigner{Signer: s, Now: liveClock}
			tsigned, err := ts.Sign("v")
			if err != nil {
				t.Fatal(err)
			}
			resp = liveCall(t, b, "timestamp_unsign", map[string]any{"key": liveKey, "sep": sep, "salt": "live.salt",
				"algorithm": "sha512", "signed": tsigned, "max_age": 60, "now": liveNow + 59})
			liveSame(t, "timestamp_unsign", resp.Value, "v")
		}

		if !legacy {
			// A value signed with the current key verifies on a Django that has the old one as
			// a fallback, and vice versa.
			data, err := djangosession.EncodeSessionData(py.DictOf("a", int64(1)), djangosession.SessionDataOptions{SecretKey: "old", Now: liveClock})
			if err != nil {
				t.Fatal(err)
			}
			resp := liveCall(t, b, "session_decode", map[string]any{"secret_key": liveKey, "fallback_keys": []string{"old"}, "session_data": data})
			liveSame(t, "session_decode with fallback", resp.Value, py.DictOf("a", int64(1)))
		}

		var h struct {
			Hash string `json:"hash"`
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		pw := "pbkdf2_sha256$720000$salt$hash="
		if err := b.Call(ctx, "auth_hash", map[string]any{"secret_key": liveKey, "password": pw, "algorithm": "sha256"}, &h); err != nil {
			t.Fatal(err)
		}
		if got := auth.SessionAuthHash(pw, liveKey); got != h.Hash {
			t.Fatalf("auth hash %s, Django %s", got, h.Hash)
		}
	})
}

// randomValue builds a pseudo-random JSON-able value: floats from random bits, strings from
// random code points (controls, surrogate-pair ranges, astral planes), big ints, nesting.
func randomValue(r *rand.Rand, depth int) any {
	switch k := r.IntN(10); {
	case k == 0 && depth < 3:
		d := py.NewDict(0)
		for n := r.IntN(5); n > 0; n-- {
			d.Set(randomString(r), randomValue(r, depth+1))
		}
		return d
	case k == 1 && depth < 3:
		l := []any{}
		for n := r.IntN(5); n > 0; n-- {
			l = append(l, randomValue(r, depth+1))
		}
		return l
	case k == 2:
		f := math.Float64frombits(r.Uint64())
		if math.IsNaN(f) {
			return pyNaN // json.loads gives CPython's canonical NaN
		}
		return f
	case k == 3:
		// Around the fixed/exponent switch of repr (decimal exponents -4 and 16).
		return float64(r.IntN(1e6)) * math.Pow(10, float64(r.IntN(44)-22))
	case k == 4:
		return r.Int64() >> r.IntN(63)
	case k == 5:
		// Beyond the int64 range, so that it decodes to a *big.Int again.
		n := new(big.Int).SetUint64(r.Uint64() | 1<<63)
		n.Lsh(n, 64).Or(n, new(big.Int).SetUint64(r.Uint64()))
		if r.IntN(2) == 0 {
			n.Neg(n)
		}
		return n
	case k == 6:
		return r.IntN(2) == 0
	default:
		return randomString(r)
	}
}

func randomString(r *rand.Rand) string {
	var sb strings.Builder
	for n := r.IntN(12); n > 0; n-- {
		switch r.IntN(4) {
		case 0:
			sb.WriteRune(rune(r.IntN(0x80)))
		case 1:
			sb.WriteRune(rune(0x80 + r.IntN(0x780)))
		case 2:
			c := rune(0x800 + r.IntN(0xF800))
			if c >= 0xD800 && c <= 0xDFFF {
				c = 0xFFFD
			}
			sb.WriteRune(c)
		default:
			sb.WriteRune(rune(0x10000 + r.IntN(0x100000)))
		}
	}
	return sb.String()
}

func TestLiveDumpsRandomValues(t *testing.T) {
	pybridge.ForEachVersion(t, func(t *testing.T, b *pybridge.Bridge) {
		r := rand.New(rand.NewPCG(1, 2))
		for i := 0; i < 150; i++ {
			v := randomValue(r, 0)
			compress := i%2 == 1
			signed, err := signing.Dumps(v, signing.DumpsOptions{Key: liveKey, Compress: compress, Now: liveClock})
			if err != nil {
				t.Fatal(err)
			}
			tagged, django := djangoDumps(t, b, v, compress)
			if django != signed {
				t.Fatalf("value %d (%s): Go dumps %q, Django %q", i, tagged, signed, django)
			}
			got, err := signing.Loads(django, signing.LoadsOptions{Key: liveKey})
			if err != nil || !py.Equal(got, v) {
				t.Fatalf("value %d: Loads(Django's) = %#v, %v", i, got, err)
			}
		}
	})
}

// TestLiveLoadsEdgeCases signs hand-made payloads (valid and invalid JSON, odd base64 and zlib
// framing) with the right key and checks that Go and Django accept the same ones and read the
// same values.
func TestLiveLoadsEdgeCases(t *testing.T) {
	payloads := []string{
		`{"a":1,"a":2,"b":3}`, ` {"a" : [ 1 , 2 ] } `, "\t\n\r[]\r\n", `{"a":1,}`, `[1,]`, `[1 2]`, `{"a" 1}`, `{1:2}`,
		`"\ud800"`, `"\udc00\ud800"`, `"\ud83d\ude00"`, `"\ud83d\u0041"`, `"\ud83d\"`, `"\ud83dx"`, `"\u00e9\u00E9"`,
		`"\x"`, `"\u12"`, `"\u12G4"`, "\"a\x01b\"", "\"a\x7fb\"", "\"caf\xc3\xa9\"", "\"\xff\"", `"\/\b\f\n\r\t"`,
		`NaN`, `-NaN`, `Infinity`, `-Infinity`, `infinity`, `nan`, `[NaN,Infinity]`, `NaNx`, `nul`, `truex`,
		`1`, `-0`, `-0.0`, `01`, `1.`, `.5`, `1e5`, `1E+5`, `1e`, `1.5e`, `-`, `--1`, `+1`, `1e400`, `-1e400`, `1e-400`,
		`123456789012345678901234567890`, `-9223372036854775808`, `9223372036854775808`, strings.Repeat("9", 4300),
		strings.Repeat("9", 4301), `0.1`, `2.5e-5`, `1.7976931348623157e308`, `4.9e-324`,
		``, ` `, `[]]`, `{}x`, strings.Repeat("[", 50) + strings.Repeat("]", 50), "\xef\xbb\xbf{}",
	}
	pybridge.ForEachVersion(t, func(t *testing.T, b *pybridge.Bridge) {
		s := signing.TimestampSigner{Signer: signing.Signer{Key: liveKey, Salt: signing.DefaultDumpsSalt}, Now: liveClock}
		var signed []string
		for _, p := range payloads {
			v, err := s.Sign(signing.B64Encode([]byte(p)))
			if err != nil {
				t.Fatal(err)
			}
			signed = append(signed, v)
		}
		// Hand-made framing variants around a valid payload.
		for _, body := range []string{"eyJhIjoxfQ==", "eyJhIjo xfQ", "eyJhIjoxfR", "e", "eyJhIjox!fQ", ".eJyrVkpUsjKsBQAIBgJH", ".eJyrVkpUsjKsBQAIBgJHxx", ".eJyrVkpUsjKsBQAIBgJ", ".eJyrVkpUsjKsBQAIBgJI", "."} {
			v, err := s.Sign(body)
			if err != nil {
				t.Fatal(err)
			}
			payloads = append(payloads, "framing "+body)
			signed = append(signed, v)
		}
		for i, sv := range signed {
			goV, goErr := signing.Loads(sv, signing.LoadsOptions{Key: liveKey})
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			var resp liveValueResp
			pyErr := b.Call(ctx, "loads", map[string]any{"key": liveKey, "signed": sv}, &resp)
			cancel()
			if (goErr == nil) != (pyErr == nil) {
				t.Errorf("payload %q: Go error %v, Django error %v", truncateForLog(payloads[i]), goErr, pyErr)
				continue
			}
			if goErr != nil {
				if !errorsIsCorrupt(goErr) {
					t.Errorf("payload %q: Go error %v is not ErrCorrupt", truncateForLog(payloads[i]), goErr)
				}
				continue
			}
			want, err := tagged.Unmarshal(resp.Value)
			if err != nil {
				t.Fatal(err)
			}
			if !py.Equal(goV, want) {
				t.Errorf("payload %q: Go read %#v, Django %s", truncateForLog(payloads[i]), goV, resp.Value)
			}
		}
	})
}

func truncateForLog(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

func errorsIsCorrupt(err error) bool {
	return errors.Is(err, signing.ErrCorrupt) || errors.Is(err, djangosession.ErrCorrupt)
}
