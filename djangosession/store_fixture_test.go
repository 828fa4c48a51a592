package djangosession_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/djangobridge/bridge/internal/tagged"
	"github.com/djangobridge/bridge/pickle"
	"github.com/djangobridge/bridge/py"

	"github.com/djangobridge/bridge/djangosession"
	"github.com/djangobridge/bridge/djangosession/djangosessiontest"
)

// fixturesDir holds the sessions real Django versions stored (compat_test/FORMAT.md).
const fixturesDir = "../compat_test/fixtures"

type fixtureMeta struct {
	Django   string `json:"django"`
	Now      int64  `json:"now"`
	Settings struct {
		SessionCookieAge int64 `json:"SESSION_COOKIE_AGE"`
		UseTZ            bool  `json:"USE_TZ"`
	} `json:"settings"`
}

type cacheFixture struct {
	Config struct {
		ID          string `json:"id"`
		KeyPrefix   string `json:"KEY_PREFIX"`
		Version     *int   `json:"VERSION"`
		KeyFunction string `json:"KEY_FUNCTION"`
	} `json:"config"`
	Cases []struct {
		Name       string          `json:"name"`
		Engine     string          `json:"engine"`
		SessionKey string          `json:"session_key"`
		ServerKey  string          `json:"server_key"`
		ExpiryAge  int64           `json:"expiry_age"`
		PickleB64  string          `json:"pickle_b64"`
		Expected   json.RawMessage `json:"expected"`
	} `json:"cases"`
}

// fixtureKeyFunc is djproject.keys.custom_key: f"{version}|{prefix}|{key}".
func fixtureKeyFunc(key, prefix string, version int) string {
	return fmt.Sprintf("%d|%s|%s", version, prefix, key)
}

func loadFixtureDirs(t *testing.T) []string {
	t.Helper()
	dirs, _ := filepath.Glob(filepath.Join(fixturesDir, "django-*"))
	if len(dirs) == 0 {
		t.Fatalf("no fixtures in %s: run compat_test/setup.sh, then compat_test/generate.sh", fixturesDir)
	}
	return dirs
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// Every cache fixture: the server key from the session key, the session Django stored as Go
// loads it, and get_expiry_age at the fixture's clock.
func TestCacheFixtures(t *testing.T) {
	total := 0
	for _, dir := range loadFixtureDirs(t) {
		version := strings.TrimPrefix(filepath.Base(dir), "django-")
		var meta fixtureMeta
		readJSON(t, filepath.Join(dir, "meta.json"), &meta)
		files, _ := filepath.Glob(filepath.Join(dir, "cache-*.json"))
		if len(files) == 0 {
			t.Errorf("%s: no cache fixtures", dir)
		}
		for _, file := range files {
			var fx cacheFixture
			readJSON(t, file, &fx)
			for _, c := range fx.Cases {
				total++
				name := fmt.Sprintf("%s/%s/%s/%s", version, fx.Config.ID, c.Engine, c.Name)
				t.Run(name, func(t *testing.T) {
					now := time.Unix(meta.Now, 0).UTC()
					cfg := djangosession.Config{
						DjangoVersion:    version,
						SessionEngine:    "django.contrib.sessions.backends." + c.Engine,
						SessionCookieAge: time.Duration(meta.Settings.SessionCookieAge) * time.Second,
						KeyPrefix:        fx.Config.KeyPrefix,
						DisableUseTZ:     !meta.Settings.UseTZ,
						TimeZone:         "UTC",
						Now:              func() time.Time { return now },
						// The fixture app's own class (compat_test/djproject/shop/cart.py).
						Codec: &pickle.Codec{AllowGlobals: []string{"djproject.shop.cart.CartItem"}},
					}
					if fx.Config.Version != nil {
						cfg.Version = *fx.Config.Version
					}
					switch fx.Config.KeyFunction {
					case "":
					case "djproject.keys.custom_key":
						cfg.KeyFunction = fixtureKeyFunc
					default:
						t.Fatalf("unknown KEY_FUNCTION %q", fx.Config.KeyFunction)
					}
					cache := djangosessiontest.NewCache()
					cache.Now = cfg.Now
					cfg.Cache = cache
					if c.Engine == "cached_db" {
						// The cache copy is read first; the row (none here) only on a miss.
						cfg.DB, cfg.SecretKey = newTable(t), testSecret
					}
					st, err := djangosession.NewStore(cfg)
					if err != nil {
						t.Fatal(err)
					}
					if got := st.CacheKey(c.SessionKey); got != c.ServerKey {
						t.Errorf("CacheKey = %q, Django used %q", got, c.ServerKey)
					}
					pickled, err := base64.StdEncoding.DecodeString(c.PickleB64)
					if err != nil {
						t.Fatal(err)
					}
					ctx := context.Background()
					if err := cache.Set(ctx, c.ServerKey, pickled, time.Hour); err != nil {
						t.Fatal(err)
					}
					s, err := st.Load(ctx, c.SessionKey)
					if err != nil {
						t.Fatalf("Load: %v", err)
					}
					if s.Len() == 0 && !strings.HasPrefix(c.Name, "empty") {
						t.Errorf("loaded an empty session")
					}
					if s.Key() != c.SessionKey {
						t.Errorf("key dropped: %q", s.Key())
					}
					age, err := s.ExpiryAge()
					if err != nil || age != time.Duration(c.ExpiryAge)*time.Second {
						t.Errorf("ExpiryAge = %v, %v; Django's get_expiry_age() = %d", age, err, c.ExpiryAge)
					}
					want, err := tagged.Unmarshal(c.Expected)
					if err != nil {
						t.Fatalf("expected: %v", err)
					}
					if !py.Equal(s.Data(), want) {
						t.Errorf("loaded session differs from Django's:\n got %#v\nwant %#v", s.Data(), want)
					}
					checkFixtureExpiryForm(t, st, c.Name, version, s)
				})
			}
		}
	}
	t.Logf("%d cache fixture cases", total)
}

// checkFixtureExpiryForm makes Go call set_expiry as the fixture case did and compares the
// stored "_session_expiry" with Django's.
func checkFixtureExpiryForm(t *testing.T, st *djangosession.Store, name, version string, django *djangosession.Session) {
	t.Helper()
	var set func(s *djangosession.Session)
	switch name {
	case "expiry_int":
		set = func(s *djangosession.Session) { s.SetExpirySeconds(3600) }
	case "expiry_zero":
		set = func(s *djangosession.Session) { s.SetExpirySeconds(0) }
	case "expiry_int_long":
		set = func(s *djangosession.Session) { s.SetExpirySeconds(40 * 86400) }
	case "expiry_timedelta":
		set = func(s *djangosession.Session) { s.SetExpiryIn(24 * time.Hour) }
	case "expiry_datetime":
		if version == djangosession.Django32 {
			// 3.2 keeps the datetime the app passed (datetime.timezone.utc here); Go writes
			// pytz.utc, as timezone.now() does. ExpiryAge above covers the instant.
			return
		}
		set = func(s *djangosession.Session) { s.SetExpiryAt(time.Date(2023, 11, 21, 22, 13, 20, 0, time.UTC)) }
	case "expiry_none":
		set = func(s *djangosession.Session) { s.SetExpirySeconds(3600); s.ClearExpiry() }
	default:
		return
	}
	g := st.New()
	set(g)
	got, gok := g.Get(djangosession.ExpiryKey)
	want, wok := django.Get(djangosession.ExpiryKey)
	if gok != wok || !py.Equal(got, want) {
		t.Errorf("Go stores _session_expiry %#v (present %v), Django stored %#v (present %v)", got, gok, want, wok)
	}
}
