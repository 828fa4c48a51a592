package djangosession

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// runSessionCase checks the session kinds of signing.json (see TestSigningFixtures).
func runSessionCase(t *testing.T, id string, c signingCase, kind string) {
	switch kind {
	case "session_encode":
		want := c.value(t, "value")
		d, ok := want.(*Dict)
		if !ok {
			t.Fatalf("value is %T", want)
		}
		opts := SessionDataOptions{SecretKey: c.str(t, "secret_key"), Now: c.clock(t, "timestamp"), Django32: id == "3.2"}
		if c.str(t, "serializer") == "pickle" {
			opts.Serializer = PickleSerializer{}
		}
		got, err := EncodeSessionData(d, opts)
		if err != nil {
			t.Fatal(err)
		}
		back, err := DecodeSessionData(c.str(t, "session_data"), opts)
		if err != nil || !sameValue(back, d) {
			t.Fatalf("DecodeSessionData = %#v, %v", back, err)
		}
		if got == c.str(t, "session_data") {
			return
		}
		if c.str(t, "serializer") != "pickle" {
			t.Fatalf("EncodeSessionData = %q, Django %q", got, c.str(t, "session_data"))
		}
		// CPython's pickle memoizes by object identity (an interned key written once and then
		// referenced), which a Go value does not carry; the pickle may then differ in its memo
		// opcodes only, and only where a str occurs more than once. It must still decode to the
		// same session.
		if !repeatsAString(d) {
			t.Fatalf("EncodeSessionData = %q, Django %q (no str repeats, so the bytes must match)", got, c.str(t, "session_data"))
		}
		mine, err := DecodeSessionData(got, opts)
		if err != nil || !sameValue(mine, d) {
			t.Fatalf("EncodeSessionData made %q, which decodes to %#v, %v", got, mine, err)
		}
		t.Logf("pickle bytes differ from Django's (memo opcodes): Go %d chars, Django %d", len(got), len(c.str(t, "session_data")))
	case "legacy_session_data":
		want := c.value(t, "value").(*Dict)
		opts := SessionDataOptions{SecretKey: c.str(t, "secret_key"), Django32: true}
		got, err := EncodeLegacySessionData(want, opts)
		if err != nil {
			t.Fatal(err)
		}
		if got != c.str(t, "session_data") {
			t.Fatalf("EncodeLegacySessionData = %q, Django %q", got, c.str(t, "session_data"))
		}
		back, err := DecodeSessionData(got, opts)
		if err != nil || !sameValue(back, want) {
			t.Fatalf("DecodeSessionData = %#v, %v", back, err)
		}
		// Django 4.0+ cannot read the legacy format.
		if _, err := DecodeSessionData(got, SessionDataOptions{SecretKey: opts.SecretKey}); err == nil {
			t.Fatal("the legacy format must not decode without Django32")
		}
	case "signed_cookie":
		want := c.value(t, "value").(*Dict)
		opts := SignedCookieOptions{SecretKey: c.str(t, "secret_key"), Now: c.clock(t, "timestamp"), Django32: id == "3.2"}
		got, err := EncodeSignedCookieSession(want, opts)
		if err != nil {
			t.Fatal(err)
		}
		if got != c.str(t, "cookie") {
			t.Fatalf("EncodeSignedCookieSession = %q, Django %q", got, c.str(t, "cookie"))
		}
		back, err := DecodeSignedCookieSession(got, opts)
		if err != nil || !sameValue(back, want) {
			t.Fatalf("DecodeSignedCookieSession = %#v, %v", back, err)
		}
	case "auth_hash":
		pw, key := c.str(t, "password"), c.str(t, "secret_key")
		var got string
		switch alg := c.str(t, "algorithm"); alg {
		case "sha256":
			got = SessionAuthHash(pw, key)
		case "sha1":
			got = LegacySessionAuthHash(pw, key)
		default:
			t.Fatalf("algorithm %q", alg)
		}
		if got != c.str(t, "hash") {
			t.Fatalf("hash %s, Django %s", got, c.str(t, "hash"))
		}
		ok, k := VerifySessionAuthHash(got, pw, []string{"other", key}, AuthHashOptions{AcceptLegacySHA1: id == "3.2"})
		if !ok || k != 1 {
			t.Fatalf("VerifySessionAuthHash = %v, %d", ok, k)
		}
	}
}

func TestSessionDataNegative(t *testing.T) {
	now := func() time.Time { return time.Unix(1700000000, 0) }
	opts := SessionDataOptions{SecretKey: "s3cr3t", Now: now}
	good, err := EncodeSessionData(DictOf("a", int64(1)), opts)
	if err != nil {
		t.Fatal(err)
	}
	// Hand-made: a list, validly signed with the session salt.
	list, err := Dumps([]any{int64(1)}, DumpsOptions{Key: "s3cr3t", Salt: SessionKeySalt, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	// Hand-made: JSON with raw UTF-8, validly signed: Django decodes it as latin-1 (mojibake).
	raw := TimestampSigner{Signer: Signer{Key: "s3cr3t", Salt: SessionKeySalt}, Now: now}
	mojibake, err := raw.Sign(B64Encode([]byte(`{"k":"é"}`)))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		data string
		opts SessionDataOptions
		want error
	}{
		{"tampered", good[:len(good)-1] + "A", opts, ErrBadSignature},
		{"wrong key", good, SessionDataOptions{SecretKey: "other"}, ErrBadSignature},
		{"garbage", "not a session", opts, ErrBadSignature},
		{"garbage as 3.2", "not a session", SessionDataOptions{SecretKey: "s3cr3t", Django32: true}, ErrBadSignature},
		{"empty", "", opts, ErrBadSignature},
		{"not a dict", list, opts, ErrCorrupt},
		{"legacy without Django32", "Zjc2NDA5NTVlNWUyMmY4ZTZhOTg1NTA2OGM2NjA5ZDcwNTE1MjkwNDp7ImEiOjF9", opts, ErrBadSignature},
		{"legacy with a wrong hash", "MDAwMDp7ImEiOjF9", SessionDataOptions{SecretKey: "s3cr3t", Django32: true}, ErrBadSignature},
		{"no key", good, SessionDataOptions{}, ErrEmptyKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeSessionData(tt.data, tt.opts)
			if !errors.Is(err, tt.want) {
				t.Fatalf("error %v, want %v", err, tt.want)
			}
		})
	}
	if _, err := DecodeSessionData(list, opts); !errors.As(err, new(*NotDictError)) {
		t.Fatalf("not a dict: %v", err)
	}
	d, err := DecodeSessionData(mojibake, opts)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := d.String("k"); v != "Ã©" {
		t.Fatalf("latin-1 decoding: %q", v)
	}
}

func TestSignedCookieAge(t *testing.T) {
	signedAt := time.Unix(1700000000, 0)
	opts := SignedCookieOptions{SecretKey: "s3cr3t", Now: func() time.Time { return signedAt }}
	cookie, err := EncodeSignedCookieSession(DictOf("a", int64(1)), opts)
	if err != nil {
		t.Fatal(err)
	}
	opts.Now = func() time.Time { return signedAt.Add(DefaultSessionCookieAge) }
	if _, err := DecodeSignedCookieSession(cookie, opts); err != nil {
		t.Fatalf("exactly SESSION_COOKIE_AGE old: %v", err)
	}
	opts.Now = func() time.Time { return signedAt.Add(DefaultSessionCookieAge + time.Second) }
	if _, err := DecodeSignedCookieSession(cookie, opts); !errors.Is(err, ErrSignatureExpired) {
		t.Fatalf("older: %v", err)
	}
	opts.SessionCookieAge = 2 * DefaultSessionCookieAge
	if _, err := DecodeSignedCookieSession(cookie, opts); err != nil {
		t.Fatalf("with a longer SESSION_COOKIE_AGE: %v", err)
	}
	// The session_data salt differs from the cookie salt.
	if _, err := DecodeSessionData(cookie, SessionDataOptions{SecretKey: "s3cr3t"}); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("cookie as session_data: %v", err)
	}
}

func TestSessionDataFallbackKey(t *testing.T) {
	now := func() time.Time { return time.Unix(1700000000, 0) }
	data, err := EncodeSessionData(DictOf("a", strings.Repeat("x", 300)), SessionDataOptions{SecretKey: "old", Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(data, ".") {
		t.Fatalf("expected compression: %q", data)
	}
	d, k, err := DecodeSessionDataKey(data, SessionDataOptions{SecretKey: "new", SecretKeyFallbacks: []string{"old"}})
	if err != nil || k != 1 || d.Len() != 1 {
		t.Fatalf("DecodeSessionDataKey = %v, %d, %v", d, k, err)
	}
}

// TestDBRowFixtures reads the session_data of real django_session rows (db and cached_db
// backends, compat_test/fixtures/django-<id>/db-<engine>.json) and writes each session back:
// Go's EncodeSessionData reproduces the row byte for byte.
func TestDBRowFixtures(t *testing.T) {
	paths, _ := filepath.Glob(filepath.Join("..", "compat_test", "fixtures", "django-*", "db-*.json"))
	if len(paths) == 0 {
		t.Fatal("no compat_test/fixtures/django-*/db-*.json: run compat_test/generate.sh")
	}
	const secret = "djangobridge-compat-secret-key-not-for-production" // compat_test/djproject/settings.py
	now := func() time.Time { return time.Unix(1700000000, 0) }
	for _, p := range paths {
		raw, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var f struct {
			Rows []struct {
				Name        string          `json:"name"`
				SessionData string          `json:"session_data"`
				Expected    json.RawMessage `json:"expected"`
			} `json:"rows"`
		}
		if err := json.Unmarshal(raw, &f); err != nil {
			t.Fatal(err)
		}
		id := strings.TrimPrefix(filepath.Base(filepath.Dir(p)), "django-")
		for _, row := range f.Rows {
			t.Run(id+"/"+filepath.Base(p)+"/"+row.Name, func(t *testing.T) {
				want, err := UnmarshalTagged(row.Expected)
				if err != nil {
					t.Fatal(err)
				}
				opts := SessionDataOptions{SecretKey: secret, Now: now, Django32: id == "3.2"}
				// Django stored the session it held (tuples included); encoding that gives the row.
				enc, err := EncodeSessionData(want.(*Dict), opts)
				if err != nil || enc != row.SessionData {
					t.Fatalf("EncodeSessionData(expected) = %q, %v; Django %q", enc, err, row.SessionData)
				}
				got, err := DecodeSessionData(row.SessionData, opts)
				if err != nil {
					t.Fatal(err)
				}
				// What decode returns is json.loads(json.dumps(session)): tuples become lists.
				js, err := JSONSerializer{}.Dumps(want)
				if err != nil {
					t.Fatal(err)
				}
				loaded, err := JSONSerializer{}.Loads(js)
				if err != nil {
					t.Fatal(err)
				}
				if !EqualValues(got, loaded) {
					t.Fatalf("decoded %#v, Django stored %s", got, row.Expected)
				}
				again, err := EncodeSessionData(got, opts)
				if err != nil {
					t.Fatal(err)
				}
				if again != row.SessionData {
					t.Fatalf("re-encoded %q, Django %q", again, row.SessionData)
				}
			})
		}
	}
}

// repeatsAString reports whether a str occurs more than once in v, as a dict key or a value:
// the only case where CPython's identity memo can make its pickle differ from the encoder's.
func repeatsAString(v any) bool {
	seen := map[string]bool{}
	var walk func(v any) bool
	walk = func(v any) bool {
		switch x := v.(type) {
		case string:
			if seen[x] {
				return true
			}
			seen[x] = true
		case []any:
			for _, e := range x {
				if walk(e) {
					return true
				}
			}
		case Tuple:
			return walk([]any(x))
		case *Dict:
			for k, e := range x.All() {
				if walk(k) || walk(e) {
					return true
				}
			}
		}
		return false
	}
	return walk(v)
}
