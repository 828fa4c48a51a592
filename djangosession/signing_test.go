package djangosession

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/djangobridge/bridge/internal/tagged"
	"github.com/djangobridge/bridge/py"
	"github.com/djangobridge/bridge/signing"
)

func TestSessionDataNegative(t *testing.T) {
	now := func() time.Time { return time.Unix(1700000000, 0) }
	opts := SessionDataOptions{SecretKey: "s3cr3t", Now: now}
	good, err := EncodeSessionData(py.DictOf("a", int64(1)), opts)
	if err != nil {
		t.Fatal(err)
	}
	// Hand-made: a list, validly signed with the session salt.
	list, err := signing.Dumps([]any{int64(1)}, signing.DumpsOptions{Key: "s3cr3t", Salt: SessionKeySalt, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	// Hand-made: JSON with raw UTF-8, validly signed: Django decodes it as latin-1 (mojibake).
	raw := signing.TimestampSigner{Signer: signing.Signer{Key: "s3cr3t", Salt: SessionKeySalt}, Now: now}
	mojibake, err := raw.Sign(signing.B64Encode([]byte(`{"k":"é"}`)))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		data string
		opts SessionDataOptions
		want error
	}{
		{"tampered", good[:len(good)-1] + "A", opts, signing.ErrBadSignature},
		{"wrong key", good, SessionDataOptions{SecretKey: "other"}, signing.ErrBadSignature},
		{"garbage", "not a session", opts, signing.ErrBadSignature},
		{"garbage as 3.2", "not a session", SessionDataOptions{SecretKey: "s3cr3t", Django32: true}, signing.ErrBadSignature},
		{"empty", "", opts, signing.ErrBadSignature},
		{"not a dict", list, opts, ErrCorrupt},
		{"legacy without Django32", "Zjc2NDA5NTVlNWUyMmY4ZTZhOTg1NTA2OGM2NjA5ZDcwNTE1MjkwNDp7ImEiOjF9", opts, signing.ErrBadSignature},
		{"legacy with a wrong hash", "MDAwMDp7ImEiOjF9", SessionDataOptions{SecretKey: "s3cr3t", Django32: true}, signing.ErrBadSignature},
		{"no key", good, SessionDataOptions{}, signing.ErrEmptyKey},
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
	cookie, err := EncodeSignedCookieSession(py.DictOf("a", int64(1)), opts)
	if err != nil {
		t.Fatal(err)
	}
	opts.Now = func() time.Time { return signedAt.Add(DefaultSessionCookieAge) }
	if _, err := DecodeSignedCookieSession(cookie, opts); err != nil {
		t.Fatalf("exactly SESSION_COOKIE_AGE old: %v", err)
	}
	opts.Now = func() time.Time { return signedAt.Add(DefaultSessionCookieAge + time.Second) }
	if _, err := DecodeSignedCookieSession(cookie, opts); !errors.Is(err, signing.ErrSignatureExpired) {
		t.Fatalf("older: %v", err)
	}
	opts.SessionCookieAge = 2 * DefaultSessionCookieAge
	if _, err := DecodeSignedCookieSession(cookie, opts); err != nil {
		t.Fatalf("with a longer SESSION_COOKIE_AGE: %v", err)
	}
	// The session_data salt differs from the cookie salt.
	if _, err := DecodeSessionData(cookie, SessionDataOptions{SecretKey: "s3cr3t"}); !errors.Is(err, signing.ErrBadSignature) {
		t.Fatalf("cookie as session_data: %v", err)
	}
}

func TestSessionDataFallbackKey(t *testing.T) {
	now := func() time.Time { return time.Unix(1700000000, 0) }
	data, err := EncodeSessionData(py.DictOf("a", strings.Repeat("x", 300)), SessionDataOptions{SecretKey: "old", Now: now})
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
				want, err := tagged.Unmarshal(row.Expected)
				if err != nil {
					t.Fatal(err)
				}
				opts := SessionDataOptions{SecretKey: secret, Now: now, Django32: id == "3.2"}
				// Django stored the session it held (tuples included); encoding that gives the row.
				enc, err := EncodeSessionData(want.(*py.Dict), opts)
				if err != nil || enc != row.SessionData {
					t.Fatalf("EncodeSessionData(expected) = %q, %v; Django %q", enc, err, row.SessionData)
				}
				got, err := DecodeSessionData(row.SessionData, opts)
				if err != nil {
					t.Fatal(err)
				}
				// What decode returns is json.loads(json.dumps(session)): tuples become lists.
				js, err := signing.JSONSerializer{}.Dumps(want)
				if err != nil {
					t.Fatal(err)
				}
				loaded, err := signing.JSONSerializer{}.Loads(js)
				if err != nil {
					t.Fatal(err)
				}
				if !py.Equal(got, loaded) {
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
