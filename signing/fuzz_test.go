package signing_test

import (
	"strings"
	"testing"
	"time"

	"github.com/djangobridge/bridge/djangosession"
	"github.com/djangobridge/bridge/internal/fixtures"
	"github.com/djangobridge/bridge/signing"
)

const fuzzKey = "s3cr3t"

var fuzzNow = func() time.Time { return time.Unix(1700000000, 0) }

// fuzzSeeds returns every signed string and session value of the Django fixtures.
func fuzzSeeds(f *testing.F, fields ...string) []string {
	var out []string
	for _, cases := range fixtures.RawSigning(f) {
		for _, c := range cases {
			for _, k := range fields {
				if c.Has(k) {
					out = append(out, c.Str(f, k))
				}
			}
		}
	}
	return out
}

// payloadOf returns the part of a signed value before the timestamp and signature.
func payloadOf(s string) string {
	for range 2 {
		if i := strings.LastIndexByte(s, ':'); i >= 0 {
			s = s[:i]
		}
	}
	return s
}

// FuzzUnsign feeds arbitrary strings to Signer and TimestampSigner: no panic, and whatever
// verifies re-signs to the same text.
func FuzzUnsign(f *testing.F) {
	for _, s := range fuzzSeeds(f, "signed", "session_data", "cookie") {
		f.Add(s)
	}
	s := signing.Signer{Key: fuzzKey, FallbackKeys: []string{"old-s3cr3t"}, LegacyAlgorithm: "sha1"}
	ts := signing.TimestampSigner{Signer: signing.Signer{Key: fuzzKey}, Now: fuzzNow}
	f.Fuzz(func(t *testing.T, in string) {
		if v, k, err := s.UnsignKey(in); err == nil && k == 0 {
			if out, _ := s.Sign(v); out != in && !strings.HasSuffix(in, ":"+mustSig(t, signing.Signer{Key: fuzzKey, Algorithm: "sha1"}, v)) {
				t.Fatalf("%q verified but re-signs to %q", in, out)
			}
		}
		if u, err := ts.UnsignDetail(in, time.Hour); err == nil && u.KeyIndex != 0 {
			t.Fatalf("key index %d without fallbacks", u.KeyIndex)
		}
		signing.B64Decode(in)
		signing.B62Decode(in)
	})
}

func mustSig(t *testing.T, s signing.Signer, v string) string {
	sig, err := s.Signature(v)
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

// FuzzLoads feeds arbitrary payloads, validly signed, to Loads (the JSON, base64 and zlib
// decoders behind a valid signature) and arbitrary strings to Loads itself: no panic, and
// whatever decodes survives Dumps/Loads unchanged.
func FuzzLoads(f *testing.F) {
	for _, s := range fuzzSeeds(f, "signed", "session_data", "cookie") {
		f.Add(payloadOf(s))
	}
	f.Add(`{"a":[1,2.5,"\u00e9\ud800",NaN,-Infinity,1e400,123456789012345678901234567890]}`)
	signer := signing.TimestampSigner{Signer: signing.Signer{Key: fuzzKey, Salt: signing.DefaultDumpsSalt}, Now: fuzzNow}
	opts := signing.LoadsOptions{Key: fuzzKey, MaxDecompressedSize: 1 << 20}
	f.Fuzz(func(t *testing.T, payload string) {
		signing.Loads(payload, opts)
		for _, framed := range []string{payload, signing.B64Encode([]byte(payload))} {
			signed, err := signer.Sign(framed)
			if err != nil {
				t.Fatal(err)
			}
			v, err := signing.Loads(signed, opts)
			if err != nil {
				continue
			}
			again, err := signing.Dumps(v, signing.DumpsOptions{Key: fuzzKey, Compress: true, Now: fuzzNow})
			if err != nil {
				t.Fatalf("%q decoded to %#v, which does not encode: %v", payload, v, err)
			}
			back, err := signing.Loads(again, opts)
			if err != nil || !sameValue(back, v) {
				t.Fatalf("%q: round trip gave %#v, %v; want %#v", payload, back, err, v)
			}
		}
	})
}

// FuzzDecodeSessionData feeds arbitrary session_data (and validly signed arbitrary payloads)
// to DecodeSessionData with 3.2 and 4.0+ rules: no panic; a decoded session re-encodes.
func FuzzDecodeSessionData(f *testing.F) {
	for _, s := range fuzzSeeds(f, "session_data", "cookie") {
		f.Add(s)
		f.Add(payloadOf(s))
	}
	signer := signing.TimestampSigner{Signer: signing.Signer{Key: fuzzKey, Salt: djangosession.SessionKeySalt}, Now: fuzzNow}
	f.Fuzz(func(t *testing.T, in string) {
		signed, err := signer.Sign(in)
		if err != nil {
			t.Fatal(err)
		}
		for _, data := range []string{in, signed} {
			for _, d32 := range []bool{false, true} {
				opts := djangosession.SessionDataOptions{SecretKey: fuzzKey, Django32: d32, Now: fuzzNow, MaxDecompressedSize: 1 << 20}
				d, err := djangosession.DecodeSessionData(data, opts)
				if err != nil {
					continue
				}
				enc, err := djangosession.EncodeSessionData(d, opts)
				if err != nil {
					t.Fatalf("%q decoded but does not re-encode: %v", data, err)
				}
				if back, err := djangosession.DecodeSessionData(enc, opts); err != nil || !sameValue(back, d) {
					t.Fatalf("%q: round trip gave %#v, %v", data, back, err)
				}
			}
		}
	})
}
