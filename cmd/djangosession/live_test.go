package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"math/big"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/djangobridge/bridge/internal/tagged"
	"github.com/djangobridge/bridge/py"

	"github.com/djangobridge/bridge/djangosession"
	"github.com/djangobridge/bridge/internal/pybridge"
)

// The live tests run get/set/delete/exists/ttl against the real servers, with a real Django
// (compat_test/bridge.py, every supported version) on the other side: Django loads what set
// wrote, and get reads what Django saved. They need scripts/servers-start.sh and
// compat_test/setup.sh; -short skips them.

// cacheEntry is a CACHES entry as the bridge reports it.
type cacheEntry struct {
	Backend     string          `json:"BACKEND"`
	Location    json.RawMessage `json:"LOCATION"`
	KeyPrefix   string          `json:"KEY_PREFIX"`
	Version     int             `json:"VERSION"`
	KeyFunction string          `json:"KEY_FUNCTION"`
	Options     map[string]any  `json:"OPTIONS"`
}

func (c cacheEntry) locations(t *testing.T) []string {
	var one string
	if json.Unmarshal(c.Location, &one) == nil {
		return []string{one}
	}
	var many []string
	if err := json.Unmarshal(c.Location, &many); err != nil {
		t.Fatalf("LOCATION %s: %v", c.Location, err)
	}
	return many
}

var compressorNames = map[string]string{
	"django_redis.compressors.zlib.ZlibCompressor": "zlib",
	"django_redis.compressors.gzip.GzipCompressor": "gzip",
	"django_redis.compressors.lzma.LzmaCompressor": "lzma",
	"django_redis.compressors.lz4.Lz4Compressor":   "lz4",
	"django_redis.compressors.zstd.ZStdCompressor": "zstd",
}

// cacheArgs translates a CACHES entry into the command's --cache URL and key flags; ok is false
// for what the command cannot express (a KEY_FUNCTION).
func cacheArgs(t *testing.T, e cacheEntry) (args []string, ok bool) {
	if e.KeyFunction != "" {
		return nil, false
	}
	locs := e.locations(t)
	var u string
	switch e.Backend {
	case "django.core.cache.backends.redis.RedisCache", "django_redis.cache.RedisCache":
		var hosts []string
		path := ""
		for _, l := range locs {
			p, err := url.Parse(l)
			if err != nil {
				t.Fatalf("LOCATION %q: %v", l, err)
			}
			hosts = append(hosts, p.Host)
			path = p.Path
		}
		if e.Backend == "django_redis.cache.RedisCache" {
			q := url.Values{}
			if c, ok := e.Options["COMPRESSOR"].(string); ok {
				if compressorNames[c] == "" {
					t.Fatalf("unknown COMPRESSOR %q", c)
				}
				q.Set("compressor", compressorNames[c])
			}
			if p, ok := e.Options["PICKLE_VERSION"].(float64); ok {
				q.Set("pickle_protocol", strconv.Itoa(int(p)))
			}
			u = "django-redis://" + strings.Join(hosts, ",") + path
			if len(q) > 0 {
				u += "?" + q.Encode()
			}
		} else {
			u = "redis://" + strings.Join(hosts, ",") + path
		}
	case "django.core.cache.backends.memcached.PyMemcacheCache":
		u = "memcached://" + strings.Join(locs, ",") + "?client=pymemcache"
	case "django.core.cache.backends.memcached.PyLibMCCache":
		u = "memcached://" + strings.Join(locs, ",") + "?client=pylibmc"
	default:
		t.Fatalf("unknown BACKEND %q", e.Backend)
	}
	args = []string{"--cache", u, "--key-prefix", e.KeyPrefix}
	if e.Version != 0 {
		args = append(args, "--version", strconv.Itoa(e.Version))
	}
	return args, true
}

// newSessionKey returns a random key in Django's alphabet.
func newSessionKey(t *testing.T) string {
	b := make([]byte, djangosession.SessionKeyLength)
	for i := range b {
		n, err := rand.Int(rand.Reader, big.NewInt(int64(len(djangosession.SessionKeyChars))))
		if err != nil {
			t.Fatal(err)
		}
		b[i] = djangosession.SessionKeyChars[n.Int64()]
	}
	return string(b)
}

// liveSession is a session with the types a Django app keeps, as tagged JSON.
func liveSession(t *testing.T, extra ...any) []byte {
	big70, _ := new(big.Int).SetString("1180591620717411303424", 10)
	d := py.DictOf(
		"_auth_user_id", "1",
		"_auth_user_backend", "django.contrib.auth.backends.ModelBackend",
		"cart", []any{int64(1), "two", py.Tuple{2.5, nil, true}},
		"when", py.DateTime{Year: 2024, Month: 2, Day: 29, Hour: 23, Minute: 59, Second: 58, Microsecond: 123456, TZ: py.TimeZone{}},
		"price", py.Decimal{Value: "12.50"},
		"big", big70,
		"raw", []byte{0, 255},
		"é", "ünïcode ✓",
	)
	for i := 0; i+1 < len(extra); i += 2 {
		d.Set(extra[i].(string), extra[i+1])
	}
	b, err := tagged.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// loaded is the bridge's session_load response.
type loaded struct {
	Exists     bool            `json:"exists"`
	Data       json.RawMessage `json:"data"`
	SessionKey *string         `json:"session_key"`
	ExpiryAge  int64           `json:"expiry_age"`
}

func sameValue(t *testing.T, what string, got, want []byte) {
	t.Helper()
	if !py.Equal(taggedValue(t, what+" (got)", got), taggedValue(t, what+" (want)", want)) {
		t.Errorf("%s:\n got %.400s\nwant %.400s", what, got, want)
	}
}

// ttlOf runs ttl and returns the seconds, failing the test on error.
func ttlOf(t *testing.T, what string, args []string) int64 {
	t.Helper()
	r := cli(t, nil, "", args...)
	n, err := strconv.ParseInt(strings.TrimSpace(r.stdout), 10, 64)
	if r.code != 0 || err != nil {
		t.Fatalf("%s: exit %d, stdout %q, stderr %q", what, r.code, r.stdout, r.stderr)
	}
	return n
}

func TestLiveCache(t *testing.T) {
	pybridge.ForEachVersion(t, func(t *testing.T, b *pybridge.Bridge) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		call := func(t *testing.T, op string, req map[string]any, resp any) {
			t.Helper()
			if err := b.Call(ctx, op, req, resp); err != nil {
				t.Fatalf("bridge %s: %v\n%s", op, err, b.Stderr())
			}
		}
		dj := []string{"--django", b.DjangoID}
		tested := 0
		for _, id := range b.Info.Configs {
			var entry cacheEntry
			if err := json.Unmarshal(b.Info.Caches[id], &entry); err != nil {
				t.Fatalf("%s: %v", id, err)
			}
			args, ok := cacheArgs(t, entry)
			// redis-replica: Django reads from the replica, which lags behind the writes.
			if !ok || id == "redis-replica" {
				continue
			}
			tested++
			t.Run(id, func(t *testing.T) {
				base := map[string]any{"config": id, "engine": "cache"}
				with := func(m map[string]any) map[string]any {
					out := map[string]any{}
					for k, v := range base {
						out[k] = v
					}
					for k, v := range m {
						out[k] = v
					}
					return out
				}

				// Go writes, Django reads.
				key := newSessionKey(t)
				data := liveSession(t)
				if r := cli(t, nil, string(data), cat([]string{"set", key}, args, dj)...); r.code != 0 {
					t.Fatalf("set: exit %d, stderr %q", r.code, r.stderr)
				}
				var l loaded
				call(t, "session_load", with(map[string]any{"session_key": key}), &l)
				if !l.Exists || l.SessionKey == nil || *l.SessionKey != key {
					t.Fatalf("Django does not find the session set wrote: %+v", l)
				}
				sameValue(t, "Django's view of what set wrote", l.Data, data)
				if l.ExpiryAge != 1209600 {
					t.Errorf("Django's expiry age %d, want SESSION_COOKIE_AGE 1209600", l.ExpiryAge)
				}
				if n := ttlOf(t, "ttl", cat([]string{"ttl", key}, args)); n <= 0 || n > 1209600 {
					t.Errorf("ttl %d, want in (0, 1209600]", n)
				}
				if r := cli(t, nil, "", cat([]string{"exists", key}, args)...); r.stdout != "true\n" {
					t.Errorf("exists: %+v", r)
				}
				if r := cli(t, nil, "", cat([]string{"delete", key}, args)...); r.code != 0 {
					t.Fatalf("delete: %+v", r)
				}
				var ex struct {
					Exists bool `json:"exists"`
				}
				call(t, "session_exists", with(map[string]any{"session_key": key}), &ex)
				if ex.Exists {
					t.Error("Django still finds the session after delete")
				}
				if r := cli(t, nil, "", cat([]string{"exists", key}, args)...); r.stdout != "false\n" || r.code != 0 {
					t.Errorf("exists after delete: %+v", r)
				}

				// set_expiry(600) in the data, and --expiry, decide the timeout.
				key = newSessionKey(t)
				data = liveSession(t, djangosession.ExpiryKey, int64(600))
				if r := cli(t, nil, string(data), cat([]string{"set", key}, args, dj)...); r.code != 0 {
					t.Fatalf("set with _session_expiry: %+v", r)
				}
				call(t, "session_load", with(map[string]any{"session_key": key}), &l)
				if !l.Exists || l.ExpiryAge != 600 {
					t.Errorf("Django: exists %v, expiry age %d, want 600", l.Exists, l.ExpiryAge)
				}
				if n := ttlOf(t, "ttl", cat([]string{"ttl", key}, args)); n <= 0 || n > 600 {
					t.Errorf("ttl %d after set_expiry(600), want in (0, 600]", n)
				}
				if r := cli(t, nil, string(data), cat([]string{"set", key, "--expiry", "300"}, args, dj)...); r.code != 0 {
					t.Fatalf("set --expiry: %+v", r)
				}
				if n := ttlOf(t, "ttl", cat([]string{"ttl", key}, args)); n <= 0 || n > 300 {
					t.Errorf("ttl %d after --expiry 300, want in (0, 300]", n)
				}
				data = liveSession(t)
				if r := cli(t, nil, string(data), cat([]string{"set", key, "--cookie-age", "120"}, args, dj)...); r.code != 0 {
					t.Fatalf("set --cookie-age: %+v", r)
				}
				if n := ttlOf(t, "ttl", cat([]string{"ttl", key}, args)); n <= 0 || n > 120 {
					t.Errorf("ttl %d after --cookie-age 120, want in (0, 120]", n)
				}
				cli(t, nil, "", cat([]string{"delete", key}, args)...)

				// Django writes, Go reads.
				for _, engine := range []string{"cache", "cached_db"} {
					var created struct {
						SessionKey string          `json:"session_key"`
						Data       json.RawMessage `json:"data"`
						ExpiryAge  int64           `json:"expiry_age"`
					}
					data := liveSession(t)
					if engine == "cached_db" {
						// The database row goes through SESSION_SERIALIZER, JSON.
						data = []byte(`{"_auth_user_id": "1", "cart": [1, "two", true, null], "é": "ünïcode ✓"}`)
					}
					call(t, "session_create", map[string]any{"config": id, "engine": engine, "data": json.RawMessage(data)}, &created)
					eargs := cat(args, []string{"--engine", engine}, dj)
					r := cli(t, nil, "", cat([]string{"get", created.SessionKey}, eargs)...)
					if r.code != 0 {
						t.Fatalf("%s get: exit %d, stderr %q", engine, r.code, r.stderr)
					}
					sameValue(t, engine+": get of Django's session", []byte(r.stdout), created.Data)
					if r := cli(t, nil, "", cat([]string{"exists", created.SessionKey}, eargs)...); r.stdout != "true\n" {
						t.Errorf("%s exists: %+v", engine, r)
					}
					if n := ttlOf(t, engine+" ttl", cat([]string{"ttl", created.SessionKey}, eargs)); n <= 0 || n > created.ExpiryAge {
						t.Errorf("%s ttl %d, want in (0, %d]", engine, n, created.ExpiryAge)
					}
					if engine == "cached_db" {
						if r := cli(t, nil, "", cat([]string{"delete", created.SessionKey}, eargs)...); r.code != exitUsage {
							t.Errorf("delete --engine cached_db: %+v", r)
						}
						call(t, "session_delete", map[string]any{"config": id, "engine": engine, "session_key": created.SessionKey}, nil)
						continue
					}
					if r := cli(t, nil, "", cat([]string{"delete", created.SessionKey}, eargs)...); r.code != 0 {
						t.Fatalf("delete: %+v", r)
					}
					call(t, "session_exists", map[string]any{"config": id, "engine": engine, "session_key": created.SessionKey}, &ex)
					if ex.Exists {
						t.Error("Django still finds its session after delete")
					}
					r = cli(t, nil, "", cat([]string{"get", created.SessionKey}, eargs)...)
					if r.code != exitRejected || !strings.Contains(r.stderr, "no session is stored under this key") {
						t.Errorf("get after delete: %+v", r)
					}
					if r := cli(t, nil, "", cat([]string{"ttl", created.SessionKey}, eargs)...); r.code != exitRejected {
						t.Errorf("ttl after delete: %+v", r)
					}
				}
			})
		}
		if tested == 0 {
			t.Fatalf("no cache configuration to test in %v", b.Info.Configs)
		}
		t.Logf("Django %s: %d cache configurations", b.DjangoID, tested)
	})
}

// TestLiveGetNotASession stores values Django's cache holds that are not sessions, through the
// bridge's raw client, and checks that get says why it ignores them.
func TestLiveGetNotASession(t *testing.T) {
	b := pybridge.Shared(t, pybridge.Versions()[len(pybridge.Versions())-1])
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var entry cacheEntry
	if err := json.Unmarshal(b.Info.Caches["redis"], &entry); err != nil {
		t.Fatal(err)
	}
	args, _ := cacheArgs(t, entry)
	tests := []struct {
		name   string
		raw    []byte
		stderr string
	}{
		// Hand-made values: a pickled list, a truncated pickle, the int Django stores as text.
		{"list", []byte("\x80\x05]\x94."), "a list, not a session dict"},
		{"truncated", []byte("\x80\x05}\x94(\x8c"), "not a valid pickle"},
		{"int", []byte("42"), "not a session"},
		{"none", []byte("\x80\x05N."), "None"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := newSessionKey(t)
			var ck struct {
				ServerKey string `json:"server_key"`
			}
			if err := b.Call(ctx, "cache_key", map[string]any{"config": "redis", "session_key": key}, &ck); err != nil {
				t.Fatal(err)
			}
			if err := b.Call(ctx, "raw_set", map[string]any{"config": "redis", "server_key": ck.ServerKey, "b64": tt.raw, "ttl": 60}, nil); err != nil {
				t.Fatal(err)
			}
			defer b.Call(ctx, "raw_delete", map[string]any{"config": "redis", "server_key": ck.ServerKey}, nil)
			r := cli(t, nil, "", cat([]string{"get", key}, args)...)
			if r.code != exitRejected || !strings.Contains(r.stderr, tt.stderr) {
				t.Errorf("get: exit %d, stderr %q, want %q", r.code, r.stderr, tt.stderr)
			}
		})
	}
}
