package signing_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/djangobridge/bridge/djangosession"
	"github.com/djangobridge/bridge/internal/tagged"
	"github.com/djangobridge/bridge/internal/zlib"
	"github.com/djangobridge/bridge/py"
	"github.com/djangobridge/bridge/pyjson"
	"github.com/djangobridge/bridge/signing"
)

// benchSessions returns the "typical" and "typical_10k" sessions of the Django 5.2 cache
// fixture: a logged-in session (about 280 bytes of JSON) and one with a 10 KiB-plus cart.
func benchSessions(b *testing.B) map[string]*py.Dict {
	b.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "compat_test", "fixtures", "django-5.2", "cache-redis.json"))
	if err != nil {
		b.Fatalf("%v (run compat_test/generate.sh)", err)
	}
	var f struct {
		Cases []struct {
			Name     string          `json:"name"`
			Expected json.RawMessage `json:"expected"`
		} `json:"cases"`
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		b.Fatal(err)
	}
	out := map[string]*py.Dict{}
	for _, c := range f.Cases {
		if c.Name != "typical" && c.Name != "typical_10k" {
			continue
		}
		v, err := tagged.Unmarshal(c.Expected)
		if err != nil {
			b.Fatal(err)
		}
		out[c.Name] = v.(*py.Dict)
	}
	if len(out) != 2 {
		b.Fatal("typical/typical_10k missing from the fixture")
	}
	return out
}

var benchNow = func() time.Time { return time.Unix(1700000000, 0) }

// benchEachSession runs one sub-benchmark per fixture session (typical, typical_10k): prep
// does the untimed setup for a session and returns the call to time. SetBytes is the session's
// JSON size.
func benchEachSession(b *testing.B, prep func(b *testing.B, d *py.Dict) func() error) {
	sessions := benchSessions(b)
	for _, name := range []string{"typical", "typical_10k"} {
		d := sessions[name]
		js, _ := signing.JSONSerializer{}.Dumps(d)
		call := prep(b, d)
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(js)))
			b.ReportAllocs()
			for b.Loop() {
				if err := call(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSignedCookieDumps is signing.dumps(session, compress=True) as the signed_cookies
// backend writes its cookie.
func BenchmarkSignedCookieDumps(b *testing.B) {
	benchEachSession(b, func(b *testing.B, d *py.Dict) func() error {
		opts := djangosession.SignedCookieOptions{SecretKey: fuzzKey, Now: benchNow}
		return func() error { _, err := djangosession.EncodeSignedCookieSession(d, opts); return err }
	})
}

// BenchmarkSignedCookieLoads is signing.loads(cookie, max_age=SESSION_COOKIE_AGE).
func BenchmarkSignedCookieLoads(b *testing.B) {
	benchEachSession(b, func(b *testing.B, d *py.Dict) func() error {
		opts := djangosession.SignedCookieOptions{SecretKey: fuzzKey, Now: benchNow}
		cookie, err := djangosession.EncodeSignedCookieSession(d, opts)
		if err != nil {
			b.Fatal(err)
		}
		return func() error { _, err := djangosession.DecodeSignedCookieSession(cookie, opts); return err }
	})
}

// BenchmarkSessionDataEncode is SessionStore.encode (db/cached_db/file session_data).
func BenchmarkSessionDataEncode(b *testing.B) {
	benchEachSession(b, func(b *testing.B, d *py.Dict) func() error {
		opts := djangosession.SessionDataOptions{SecretKey: fuzzKey, Now: benchNow}
		return func() error { _, err := djangosession.EncodeSessionData(d, opts); return err }
	})
}

// BenchmarkSessionDataDecode is SessionStore.decode.
func BenchmarkSessionDataDecode(b *testing.B) {
	benchEachSession(b, func(b *testing.B, d *py.Dict) func() error {
		opts := djangosession.SessionDataOptions{SecretKey: fuzzKey, Now: benchNow}
		data, err := djangosession.EncodeSessionData(d, opts)
		if err != nil {
			b.Fatal(err)
		}
		return func() error { _, err := djangosession.DecodeSessionData(data, opts); return err }
	})
}

// BenchmarkSessionDataAuthRead is what the db (and file) engine's Load does for a request that
// only checks the login: signing.LoadsDetail of the session_data with the session salt and
// LazyJSONSerializer (djangosession's decodeSessionDataValue), then Get of the three keys
// django.contrib.auth reads on the *pyjson.Object. Django's counterpart is
// SessionStore.decode(session_data) and the three lookups.
func BenchmarkSessionDataAuthRead(b *testing.B) {
	benchEachSession(b, func(b *testing.B, d *py.Dict) func() error {
		opts := djangosession.SessionDataOptions{SecretKey: fuzzKey, Now: benchNow}
		data, err := djangosession.EncodeSessionData(d, opts)
		if err != nil {
			b.Fatal(err)
		}
		lo := signing.LoadsOptions{Key: fuzzKey, Salt: djangosession.SessionKeySalt,
			Serializer: signing.LazyJSONSerializer{}}
		keys := [...]string{"_auth_user_id", "_auth_user_backend", "_auth_user_hash"}
		read := func() ([3]any, error) {
			var out [3]any
			l, err := signing.LoadsDetail(data, lo)
			if err != nil {
				return out, err
			}
			o, ok := l.Value.(*pyjson.Object)
			if !ok {
				return out, fmt.Errorf("LazyJSONSerializer returned %T, not a *pyjson.Object", l.Value)
			}
			for i, k := range keys {
				v, found, err := o.Get(k)
				if err != nil {
					return out, err
				}
				if !found {
					return out, fmt.Errorf("%s missing", k)
				}
				out[i] = v
			}
			return out, nil
		}
		got, err := read()
		if err != nil {
			b.Fatal(err)
		}
		for i, k := range keys {
			want, _ := d.Get(k)
			if !py.Equal(got[i], want) {
				b.Fatalf("%s: got %#v, want %#v", k, got[i], want)
			}
		}
		return func() error { _, err := read(); return err }
	})
}

// BenchmarkSigningParts times the pieces of dumps/loads separately: JSON encoding and
// decoding, zlib compression and decompression, and the salted HMAC.
func BenchmarkSigningParts(b *testing.B) {
	for _, name := range []string{"typical", "typical_10k"} {
		d := benchSessions(b)[name]
		js, _ := signing.JSONSerializer{}.Dumps(d)
		z := zlib.Compress(js)
		b.Run("JSONDumps/"+name, func(b *testing.B) {
			b.SetBytes(int64(len(js)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := (signing.JSONSerializer{}).Dumps(d); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("JSONLoads/"+name, func(b *testing.B) {
			b.SetBytes(int64(len(js)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := (signing.JSONSerializer{}).Loads(js); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("Compress/"+name, func(b *testing.B) {
			b.SetBytes(int64(len(js)))
			b.ReportAllocs()
			for b.Loop() {
				zlib.Compress(js)
			}
		})
		b.Run("Decompress/"+name, func(b *testing.B) {
			b.SetBytes(int64(len(js)))
			b.ReportAllocs()
			buf := make([]byte, 0, len(js))
			for b.Loop() {
				if _, err := zlib.DecompressTo(buf[:0], z, signing.DefaultMaxDecompressedSize); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
