package faulttest

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/djangobridge/bridge/pickle"
	"github.com/djangobridge/bridge/py"
	"github.com/djangobridge/bridge/signing"

	"github.com/bradfitz/gomemcache/memcache"
	"github.com/djangobridge/bridge/djangosession"
	"github.com/redis/go-redis/v9"
)

// The hostile corpus: ../testdata/hostile (README.md there). Every file is crafted by hand by
// make.py; expected.json holds the outcome each must have.
const hostileDir = "../testdata/hostile"

// hostileKey is the key make.py signs with; hostileTS its timestamp.
const (
	hostileKey = "hostile-corpus-secret-key"
	hostileTS  = 1700000000
)

type hostileExpected struct {
	Pickle map[string]string `json:"pickle"`
	Signed map[string]struct {
		Decoder string `json:"decoder"`
		Expect  string `json:"expect"`
	} `json:"signed"`
}

func readExpected(t *testing.T) hostileExpected {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(hostileDir, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var e hostileExpected
	if err := json.Unmarshal(raw, &e); err != nil {
		t.Fatal(err)
	}
	return e
}

func readHostile(t *testing.T, parts ...string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(append([]string{hostileDir}, parts...)...))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sameFiles checks that dir holds exactly one file per expected name (nothing untested).
func sameFiles(t *testing.T, dir, ext string, names []string) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(hostileDir, dir, "*"+ext))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range files {
		got = append(got, strings.TrimSuffix(filepath.Base(f), ext))
	}
	slices.Sort(got)
	slices.Sort(names)
	if !slices.Equal(got, names) {
		t.Fatalf("%s holds %v, expected.json lists %v", dir, got, names)
	}
}

// TestHostilePickles decodes every hand-made pickle of the corpus with the default codec: the
// malicious ones name the refused global, the malformed ones are ErrCorrupt, none panics or
// allocates what a length field claims.
func TestHostilePickles(t *testing.T) {
	exp := readExpected(t)
	var names []string
	for name := range exp.Pickle {
		names = append(names, name)
	}
	sameFiles(t, "pickle", ".pickle", names)
	var codec pickle.Codec
	for name, want := range exp.Pickle {
		t.Run(name, func(t *testing.T) {
			v, err := codec.Decode(readHostile(t, "pickle", name+".pickle"))
			var fg *pickle.ForbiddenGlobalError
			switch {
			case strings.HasPrefix(want, "forbidden:"):
				if !errors.As(err, &fg) || fg.Global.String() != strings.TrimPrefix(want, "forbidden:") {
					t.Fatalf("Decode: %v, want a ForbiddenGlobalError for %s", err, want)
				}
				if !errors.Is(err, pickle.ErrCorrupt) {
					t.Errorf("%v does not match ErrCorrupt", err)
				}
			case want == "corrupt":
				if !errors.Is(err, pickle.ErrCorrupt) || errors.As(err, &fg) {
					t.Fatalf("Decode: %v, %v; want an ErrCorrupt that names no global", v, err)
				}
			case want == "value":
				if err != nil {
					t.Fatal(err)
				}
				if _, ok := v.(*py.Dict); ok {
					t.Fatalf("decoded a dict, want a non-dict value")
				}
			case want == "dict":
				d, ok := v.(*py.Dict)
				if err != nil || !ok || d.Len() != 1 {
					t.Fatalf("Decode: %v %v, want {'a': 1}", v, err)
				}
			default:
				t.Fatalf("unknown expectation %q", want)
			}
		})
	}
}

// TestHostileSigned checks every hand-signed value of the corpus with the decoder it targets.
func TestHostileSigned(t *testing.T) {
	exp := readExpected(t)
	var names []string
	for name := range exp.Signed {
		names = append(names, name)
	}
	sameFiles(t, "signed", ".txt", names)
	now := func() time.Time { return time.Unix(hostileTS+10, 0) }
	for name, c := range exp.Signed {
		t.Run(name, func(t *testing.T) {
			text := string(readHostile(t, "signed", name+".txt"))
			var err error
			switch c.Decoder {
			case "loads":
				_, err = signing.Loads(text, signing.LoadsOptions{Key: hostileKey, Now: now})
			case "loads-max-age-60s-now+3600s":
				_, err = signing.Loads(text, signing.LoadsOptions{Key: hostileKey, MaxAge: time.Minute,
					Now: func() time.Time { return time.Unix(hostileTS+3600, 0) }})
			case "session_data":
				_, err = djangosession.DecodeSessionData(text, djangosession.SessionDataOptions{SecretKey: hostileKey, Now: now})
			case "cookie":
				_, err = djangosession.DecodeSignedCookieSession(text, djangosession.SignedCookieOptions{SecretKey: hostileKey, Now: now})
			default:
				t.Fatalf("unknown decoder %q", c.Decoder)
			}
			switch c.Expect {
			case "ok":
				if err != nil {
					t.Fatalf("control value rejected: %v", err)
				}
			case "bad":
				if !errors.Is(err, signing.ErrBadSignature) || errors.Is(err, signing.ErrSignatureExpired) {
					t.Fatalf("%v, want ErrBadSignature (not expired)", err)
				}
			case "expired":
				if !errors.Is(err, signing.ErrSignatureExpired) {
					t.Fatalf("%v, want ErrSignatureExpired", err)
				}
			case "corrupt":
				if !(errors.Is(err, djangosession.ErrCorrupt) || errors.Is(err, signing.ErrCorrupt)) || errors.Is(err, signing.ErrBadSignature) {
					t.Fatalf("%v, want ErrCorrupt behind a valid signature", err)
				}
			default:
				t.Fatalf("unknown expectation %q", c.Expect)
			}
		})
	}
}

// rawWriter writes bytes under a backend key as another program would.
type rawWriter func(t *testing.T, key string, value []byte, flags uint32)

// hostileBackends are the Go caches of the cache-value table, each with a raw writer to the same
// server.
func hostileBackends(t *testing.T) map[string]struct {
	cache djangosession.Cache
	raw   rawWriter
	has   func(key string) bool
} {
	t.Helper()
	rs, ms := startRedis(t), startMemcached(t)
	rc := redis.NewClient(&redis.Options{Addr: rs.Addr(), DB: 2})
	t.Cleanup(func() { rc.Close() })
	mc := memcache.New(ms.Addr())
	t.Cleanup(func() { mc.Close() })
	redisRaw := func(t *testing.T, key string, value []byte, _ uint32) {
		if err := rc.Set(context.Background(), key, value, time.Hour).Err(); err != nil {
			t.Fatal(err)
		}
	}
	redisHas := func(key string) bool { n, _ := rc.Exists(context.Background(), key).Result(); return n == 1 }
	mcRaw := func(t *testing.T, key string, value []byte, flags uint32) {
		if err := mc.Set(&memcache.Item{Key: key, Value: value, Flags: flags, Expiration: 3600}); err != nil {
			t.Fatal(err)
		}
	}
	mcHas := func(key string) bool { _, err := mc.Get(key); return err == nil }
	type be = struct {
		cache djangosession.Cache
		raw   rawWriter
		has   func(key string) bool
	}
	out := map[string]be{}
	for _, cfg := range casConfigs {
		c, closeCache := cfg.cache(t, rs.Addr(), ms.Addr())
		t.Cleanup(func() { closeCache() })
		if strings.Contains(cfg.id, "redis") {
			out[cfg.id] = be{c, redisRaw, redisHas}
		} else {
			out[cfg.id] = be{c, mcRaw, mcHas}
		}
	}
	return out
}

// TestHostileCacheValues stores values that are not sessions under a session's cache key, as
// another app or an attacker with cache access would, and loads them through Store.Load on the
// real servers. As in Django, each is "no session" (a new empty session whose key is dropped, so
// a save makes a new key), except a pickle naming a refused global, which is an error (Django
// would run it). The stored value is left as it was: nothing is overwritten.
func TestHostileCacheValues(t *testing.T) {
	requireLive(t)
	backends := hostileBackends(t)
	pickleFile := func(name string) []byte { return readHostile(t, "pickle", name+".pickle") }
	big := make([]byte, pickle.DefaultMaxSize+1)
	copy(big, pickleFile("control_dict"))
	cases := []struct {
		name     string
		backends []string // nil: all
		value    []byte
		flags    uint32
		want     string // "miss", "forbidden", "session"
	}{
		{"control", nil, pickleFile("control_dict"), 1, "session"},
		{"redis-int", []string{"redis", "django-redis-zlib"}, readHostile(t, "cache", "int_text.txt"), 0, "miss"},
		{"redis-int-spaces", []string{"redis", "django-redis-zlib"}, readHostile(t, "cache", "int_text_spaces.txt"), 0, "miss"},
		{"memcached-int-flag", []string{"pymemcache", "pylibmc"}, []byte("42"), 2, "miss"},
		{"memcached-long-flag", []string{"pymemcache", "pylibmc"}, []byte("42"), 4, "miss"},
		{"memcached-str-flag", []string{"pymemcache", "pylibmc"}, readHostile(t, "cache", "str_utf8.txt"), 16, "miss"},
		{"memcached-bytes-flag", []string{"pymemcache", "pylibmc"}, pickleFile("control_dict"), 0, "miss"},
		{"empty", nil, []byte{}, 1, "miss"},
		{"other-app-json", nil, readHostile(t, "cache", "other_app.json"), 1, "miss"},
		{"other-app-pickled-list", nil, pickleFile("list"), 1, "miss"},
		{"pickled-none", nil, pickleFile("none"), 1, "miss"},
		{"pickled-int", nil, pickleFile("int_42"), 1, "miss"},
		{"truncated-pickle", nil, pickleFile("truncated_setitem"), 1, "miss"},
		{"protocol-6", nil, pickleFile("protocol_6"), 1, "miss"},
		{"length-claims-16gib", nil, pickleFile("binunicode8_16gib"), 1, "miss"},
		{"nested-1000", nil, pickleFile("nested_1000"), 1, "miss"},
		{"reduce-os-system", nil, pickleFile("reduce_os_system"), 1, "forbidden"},
		{"session-holding-os-system", nil, pickleFile("dict_with_os_system"), 1, "forbidden"},
		{"newobj-popen", nil, pickleFile("newobj_subprocess_popen"), 1, "forbidden"},
		{"oversized-16mib+1", []string{"redis"}, big, 0, "miss"},
		{"zlib-bomb", []string{"django-redis-zlib"}, readHostile(t, "cache", "zlib_bomb_20mib.zlib"), 0, "miss"},
		{"zlib-garbage", []string{"django-redis-zlib"}, readHostile(t, "cache", "zlib_garbage.zlib"), 0, "miss"},
		{"pylibmc-zlib-bomb", []string{"pylibmc"}, readHostile(t, "cache", "zlib_bomb_20mib.zlib"), 9, "miss"},
		{"pylibmc-zlib-garbage", []string{"pylibmc"}, readHostile(t, "cache", "zlib_garbage.zlib"), 9, "miss"},
	}
	ctx := waitCtx(t, time.Minute)
	total := 0
	for id, be := range backends {
		st, err := djangosession.NewStore(djangosession.Config{SessionEngine: djangosession.EngineCache, Cache: be.cache})
		if err != nil {
			t.Fatal(err)
		}
		for i, c := range cases {
			if c.backends != nil && !slices.Contains(c.backends, id) {
				continue
			}
			total++
			t.Run(id+"/"+c.name, func(t *testing.T) {
				key := "hostile" + strings.Repeat("0", 22) + string(rune('a'+i%26)) + string(rune('a'+i/26))
				ck := st.CacheKey(key)
				be.raw(t, ck, c.value, c.flags)
				s, err := st.Load(ctx, key)
				var fg *pickle.ForbiddenGlobalError
				switch c.want {
				case "forbidden":
					if !errors.As(err, &fg) {
						t.Fatalf("Load: %v, want an error naming the refused global", err)
					}
					return
				case "session":
					if err != nil || s.Len() != 1 || s.Key() != key {
						t.Fatalf("Load: %v, want the control session", err)
					}
					return
				}
				if err != nil {
					t.Fatalf("Load: %v, want no session (a miss)", err)
				}
				if s.Len() != 0 || s.Key() != "" {
					t.Fatalf("Load gave %v under %q, want an empty session without a key", s.Keys(), s.Key())
				}
				s.Set("after", "save")
				if err := s.Save(ctx); err != nil {
					t.Fatal(err)
				}
				if s.Key() == key {
					t.Fatal("the hostile key was reused")
				}
				if !be.has(ck) {
					t.Fatal("the stored value is gone")
				}
			})
		}
	}
	t.Logf("HOSTILE-SUMMARY cache_value_cases=%d", total)
}

// TestHostileKeys loads sessions under keys with spaces, control characters, CR LF (a memcached
// command injection attempt), non-ASCII and over 250 bytes: each is a miss, as in Django (its
// memcached backends raise InvalidCacheKey, which the session load treats as no session), the
// next save makes a new valid key, and nothing is written under an injected key.
func TestHostileKeys(t *testing.T) {
	requireLive(t)
	backends := hostileBackends(t)
	keys := map[string]string{
		"space":      "abcdefgh ijklmnop",
		"nul":        "abcdefgh\x00ijklmnop",
		"crlf":       "abcdefgh\r\nset injected 0 0 1\r\nx",
		"tab":        "abcdefgh\tijklmnop",
		"del":        "abcdefgh\x7fijklmnop",
		"non-ascii":  "sessiön-ключ-κλειδί-鍵",
		"long-300":   strings.Repeat("k", 300),
		"short-7":    "abcdefg",
		"invalid-u8": "abcdefgh\xff\xfeijkl",
	}
	ctx := waitCtx(t, time.Minute)
	for id, be := range backends {
		st, err := djangosession.NewStore(djangosession.Config{SessionEngine: djangosession.EngineCache, Cache: be.cache})
		if err != nil {
			t.Fatal(err)
		}
		for name, key := range keys {
			t.Run(id+"/"+name, func(t *testing.T) {
				s, err := st.Load(ctx, key)
				if err != nil {
					t.Fatalf("Load: %v, want a miss", err)
				}
				if s.Len() != 0 || s.Key() != "" {
					t.Fatalf("Load gave %v under %q, want an empty session without a key", s.Keys(), s.Key())
				}
				s.Set("a", int64(1))
				if err := s.Save(ctx); err != nil {
					t.Fatal(err)
				}
				if !djangosession.ValidSessionKey(s.Key()) || s.Key() == key {
					t.Fatalf("saved under %q", s.Key())
				}
				if be.has("injected") {
					t.Fatal("a key injected through the session key exists")
				}
			})
		}
	}
}

// TestOversizedSave: a session larger than memcached's 1 MB item limit cannot be saved there;
// Save returns a typed error and, as Django's memcached backends do after a failed set, the key
// is deleted. Redis takes it.
func TestOversizedSave(t *testing.T) {
	requireLive(t)
	backends := hostileBackends(t)
	ctx := waitCtx(t, time.Minute)
	for id, be := range backends {
		t.Run(id, func(t *testing.T) {
			st, err := djangosession.NewStore(djangosession.Config{SessionEngine: djangosession.EngineCache, Cache: be.cache})
			if err != nil {
				t.Fatal(err)
			}
			s := st.New()
			s.Set("small", "x")
			if err := s.Save(ctx); err != nil {
				t.Fatal(err)
			}
			s.Set("big", strings.Repeat("x", 2<<20))
			err = s.Save(ctx)
			if strings.Contains(id, "redis") {
				if err != nil {
					t.Fatalf("Redis refused a 2 MiB session: %v", err)
				}
				return
			}
			var ce *djangosession.CacheError
			if !errors.As(err, &ce) || errors.Is(err, djangosession.ErrNotFound) {
				t.Fatalf("Save of a 2 MiB session to memcached: %v, want a *CacheError", err)
			}
			if be.has(st.CacheKey(s.Key())) {
				t.Fatal("the key survived the failed set; Django deletes it")
			}
		})
	}
}
