package djangosession_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/djangobridge/bridge/pickle"
	"github.com/djangobridge/bridge/signing"

	"github.com/djangobridge/bridge/djangosession"
	"github.com/djangobridge/bridge/djangosession/djangosessiontest"
)

// hostileFiles returns the files of ../testdata/hostile/<dir> (the hand-made hostile corpus) as
// fuzz seeds.
func hostileFiles(f *testing.F, dir string) [][]byte {
	f.Helper()
	paths, err := filepath.Glob(filepath.Join("..", "testdata", "hostile", dir, "*"))
	if err != nil {
		f.Fatal(err)
	}
	var out [][]byte
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// FuzzStoreLoad stores arbitrary bytes as a session's cache value and loads it through
// Store.Load: no panic; the outcome is the stored dict, or no session (a new empty session
// without the key), or an error naming a refused global, never anything else. Seeds: the
// hostile pickles of testdata/hostile.
func FuzzStoreLoad(f *testing.F) {
	for _, b := range hostileFiles(f, "pickle") {
		f.Add(b)
	}
	f.Add([]byte("\x80\x05\x95\x20\x00\x00\x00\x00\x00\x00\x00}\x94(\x8c\x01a\x94K\x01\x8c\r_auth_user_id\x94\x8c\x0242\x94u."))
	const key = "fuzzsession00000000000000000000a"
	f.Fuzz(func(t *testing.T, value []byte) {
		ctx := context.Background()
		cache := djangosessiontest.NewCache()
		st, err := djangosession.NewStore(djangosession.Config{SessionEngine: djangosession.EngineCache, Cache: cache, Codec: &pickle.Codec{MaxSize: 1 << 20}})
		if err != nil {
			t.Fatal(err)
		}
		if err := cache.Set(ctx, st.CacheKey(key), value, time.Hour); err != nil {
			t.Fatal(err)
		}
		s, err := st.Load(ctx, key)
		if err != nil {
			var fg *pickle.ForbiddenGlobalError
			if !errors.As(err, &fg) {
				t.Fatalf("Load: %v; want a session, a miss, or a refused global", err)
			}
			return
		}
		n := s.Len()
		switch s.Key() {
		case key:
		case "":
			if n != 0 {
				t.Fatalf("a miss with %d keys", n)
			}
		default:
			t.Fatalf("key became %q", s.Key())
		}
	})
}

// FuzzDecodeSignedCookie feeds arbitrary cookies to DecodeSignedCookieSession (the signed_cookies
// engine): no panic, and every error is ErrBadSignature (ErrSignatureExpired included) or
// ErrCorrupt. Seeds: the hand-signed values of testdata/hostile/signed.
func FuzzDecodeSignedCookie(f *testing.F) {
	for _, b := range hostileFiles(f, "signed") {
		f.Add(string(b))
	}
	opts := djangosession.SignedCookieOptions{
		SecretKey:           "hostile-corpus-secret-key",
		Now:                 func() time.Time { return time.Unix(1700000010, 0) },
		MaxDecompressedSize: 1 << 20,
	}
	f.Fuzz(func(t *testing.T, cookie string) {
		d, err := djangosession.DecodeSignedCookieSession(cookie, opts)
		if err != nil {
			if !errors.Is(err, signing.ErrBadSignature) && !errors.Is(err, djangosession.ErrCorrupt) {
				t.Fatalf("error %v is neither ErrBadSignature nor ErrCorrupt", err)
			}
			return
		}
		if d == nil {
			t.Fatal("nil session without an error")
		}
	})
}
