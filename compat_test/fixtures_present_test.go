package compattest

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/djangobridge/bridge/internal/fixtures"
	"github.com/djangobridge/bridge/internal/pybridge"
)

// The pins of FORMAT.md's version table.
var pinned = map[string][2]string{
	"3.2": {"3.2.25", "3.10.13"},
	"4.2": {"4.2.30", "3.11.7"},
	"5.2": {"5.2.19", "3.12.1"},
	"6.0": {"6.0.10", "3.13.0"},
	"6.1": {"6.1.3", "3.13.0"},
}

// Every supported version has fixtures made by its pinned Django and Python, with a cache file
// for every configuration meta.json lists, and the cases every version shares.
func TestFixturesForEveryVersionAndConfig(t *testing.T) {
	have, err := fixtures.Versions()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(have, pybridge.Versions()) {
		t.Fatalf("fixture versions %v, want %v", have, pybridge.Versions())
	}
	for _, v := range pybridge.Versions() {
		t.Run("django-"+v, func(t *testing.T) {
			m, err := fixtures.LoadMeta(v)
			if err != nil {
				t.Fatal(err)
			}
			if m.Django != pinned[v][0] || m.Python != pinned[v][1] {
				t.Errorf("made by Django %s / Python %s, want %v", m.Django, m.Python, pinned[v])
			}
			if v == "3.2" && slices.Contains(m.Configs, "redis") {
				t.Error("Django 3.2 has no RedisCache, yet a redis config is listed")
			}
			if v != "3.2" && !slices.Contains(m.Configs, "redis-replica") {
				t.Error("no redis-replica config")
			}
			for _, cfg := range m.Configs {
				f, err := fixtures.LoadCache(v, cfg)
				if err != nil {
					t.Fatal(err)
				}
				checkCacheFile(t, v, cfg, f)
			}
		})
	}
}

var sharedCases = []string{"auth_login", "csrf", "messages", "expiry_int", "expiry_zero", "expiry_timedelta",
	"expiry_none", "unicode", "ints", "floats", "tuples", "datetimes", "lone_surrogate", "cart_item",
	"typical", "typical_10k"}

func checkCacheFile(t *testing.T, v, cfg string, f *fixtures.CacheFile) {
	t.Helper()
	if f.Config.ID != cfg {
		t.Errorf("%s: config id %q", cfg, f.Config.ID)
	}
	names := map[string]bool{}
	locs := f.Config.Locations()
	memcached := strings.Contains(f.Config.Backend, "memcached")
	for _, c := range f.Cases {
		names[c.Name] = true
		if !strings.Contains(c.ServerKey, c.SessionKey) {
			t.Errorf("%s/%s: server key %q lacks the session key", cfg, c.Name, c.ServerKey)
		}
		onServer := false
		for _, l := range locs {
			onServer = onServer || strings.Contains(l, c.Server)
		}
		if !onServer {
			t.Errorf("%s/%s: read from %s, not one of %v", cfg, c.Name, c.Server, locs)
		}
		if memcached && (c.Flags == nil || *c.Flags != 1) {
			t.Errorf("%s/%s: memcached flags %v, want 1 (pickle)", cfg, c.Name, c.Flags)
		}
		if !memcached && c.Flags != nil {
			t.Errorf("%s/%s: Redis case with flags %v", cfg, c.Name, *c.Flags)
		}
		if c.TTL == nil || *c.TTL != c.ExpiryAge {
			t.Errorf("%s/%s: ttl %v, expiry_age %d", cfg, c.Name, c.TTL, c.ExpiryAge)
		}
		if (c.Compression == "") != bytes.Equal(c.Raw, c.Pickle) {
			t.Errorf("%s/%s: compression %q but raw==pickle is %v", cfg, c.Name, c.Compression, bytes.Equal(c.Raw, c.Pickle))
		}
		if len(c.Pickle) < 2 || c.Pickle[0] != 0x80 {
			t.Errorf("%s/%s: pickle does not start with PROTO", cfg, c.Name)
		}
	}
	for _, n := range sharedCases {
		if !names[n] {
			t.Errorf("django-%s %s: no %q case", v, cfg, n)
		}
	}
}
