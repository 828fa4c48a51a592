package compattest

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"context"
	"encoding/json"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/djangobridge/bridge/internal/fixtures"
	"github.com/djangobridge/bridge/internal/pybridge"
)

// serverEntry is the part of a CACHES entry the raw readers of this file need.
type serverEntry struct {
	Backend  string          `json:"BACKEND"`
	Location json.RawMessage `json:"LOCATION"`
}

func (e serverEntry) locations() []string {
	var one string
	if json.Unmarshal(e.Location, &one) == nil {
		return strings.Split(one, ",")
	}
	var many []string
	_ = json.Unmarshal(e.Location, &many)
	return many
}

// redisAddr turns "redis://127.0.0.1:16379/2" into "127.0.0.1:16379".
func redisAddr(url string) string {
	rest, _ := strings.CutPrefix(url, "redis://")
	host, _, _ := strings.Cut(rest, "/")
	return host
}

type rawGet struct {
	Found  bool    `json:"found"`
	Server *string `json:"server"`
	B64    []byte  `json:"b64"`
	Flags  *uint32 `json:"flags"`
}

// readDirect reads serverKey from the config's servers with the plain Go clients: the primary
// for Redis, every server for memcached (exactly one may have it).
func readDirect(ctx context.Context, t *testing.T, b *pybridge.Bridge, entry serverEntry, serverKey string) (value []byte, flags *uint32, server string) {
	t.Helper()
	locs := entry.locations()
	if !strings.Contains(entry.Backend, "memcached") {
		v, found, err := redisGet(ctx, redisAddr(locs[0]), b.Info.RedisDB, serverKey)
		if err != nil {
			t.Fatal(err)
		}
		if !found {
			return nil, nil, ""
		}
		return v, nil, redisAddr(locs[0])
	}
	for _, addr := range locs {
		v, fl, found, err := memcachedGet(ctx, addr, serverKey)
		if err != nil {
			t.Fatal(err)
		}
		if found {
			if value != nil {
				t.Fatalf("%s found on %s and %s", serverKey, server, addr)
			}
			value, flags, server = v, &fl, addr
		}
	}
	return value, flags, server
}

func decompress(config string, raw []byte) ([]byte, bool) {
	var r io.ReadCloser
	var err error
	switch {
	case strings.HasSuffix(config, "-zlib"):
		r, err = zlib.NewReader(bytes.NewReader(raw))
	case strings.HasSuffix(config, "-gzip"):
		r, err = gzip.NewReader(bytes.NewReader(raw))
	case strings.HasSuffix(config, "-lzma"), strings.HasSuffix(config, "-lz4"), strings.HasSuffix(config, "-zstd"):
		return nil, false // no stdlib decoder: only the raw bytes are compared
	default:
		return raw, true
	}
	if err != nil {
		return nil, false
	}
	defer r.Close()
	out, err := io.ReadAll(r)
	return out, err == nil
}

// Django creates a session through every cache configuration; the bytes a plain Go client reads
// from the server are the ones the bridge reports and they unpickle to the session; Django then
// loads and deletes it, and the server no longer has it.
func TestLiveSessionBytesOnTheServers(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	pybridge.ForEachVersion(t, func(t *testing.T, b *pybridge.Bridge) {
		meta, err := fixtures.LoadMeta(b.DjangoID)
		if err != nil {
			t.Fatal(err)
		}
		if b.Info.Django != meta.Django || b.Info.Python != meta.Python {
			t.Fatalf("bridge runs Django %s / Python %s, fixtures were made by %s / %s",
				b.Info.Django, b.Info.Python, meta.Django, meta.Python)
		}
		if !slices.Equal(b.Info.Configs, meta.Configs) {
			t.Fatalf("bridge configs %v, fixture configs %v", b.Info.Configs, meta.Configs)
		}
		data := map[string]any{
			"a":     1,
			"s":     "h\u00e9llo \U0001f600",
			"t":     map[string]any{"__py__": "tuple", "items": []any{1, "x"}},
			"big":   map[string]any{"__py__": "int", "value": "18446744073709551616"},
			"items": []any{true, nil, "z"},
		}
		for _, config := range b.Info.Configs {
			t.Run(config, func(t *testing.T) {
				var entry serverEntry
				if err := json.Unmarshal(b.Info.Caches[config], &entry); err != nil {
					t.Fatal(err)
				}
				var created struct {
					SessionKey string `json:"session_key"`
					ServerKey  string `json:"server_key"`
					ExpiryAge  int64  `json:"expiry_age"`
				}
				err := b.Call(ctx, "session_create", map[string]any{"config": config, "data": data, "expiry": 600}, &created)
				if err != nil {
					t.Fatal(err)
				}
				if len(created.SessionKey) != 32 || !strings.HasSuffix(created.ServerKey, "django.contrib.sessions.cache"+created.SessionKey) {
					t.Fatalf("session_create: %+v", created)
				}
				if created.ExpiryAge != 600 {
					t.Errorf("expiry_age %d, want 600", created.ExpiryAge)
				}
				value, flags, server := readDirect(ctx, t, b, entry, created.ServerKey)
				if value == nil {
					t.Fatalf("%s is on no server of %v", created.ServerKey, entry.locations())
				}
				var bridged rawGet
				req := map[string]any{"config": config, "server_key": created.ServerKey, "server": server}
				if err := b.Call(ctx, "raw_get", req, &bridged); err != nil {
					t.Fatal(err)
				}
				if !bridged.Found || !bytes.Equal(bridged.B64, value) {
					t.Fatalf("Go read %d bytes %.40x, the bridge %d bytes %.40x", len(value), value, len(bridged.B64), bridged.B64)
				}
				if strings.Contains(entry.Backend, "memcached") && (flags == nil || *flags != 1 || bridged.Flags == nil || *bridged.Flags != 1) {
					t.Errorf("memcached flags: Go %v, bridge %v; want 1", flags, bridged.Flags)
				}
				if pickled, ok := decompress(config, value); ok {
					// Dicts compare in order: the data's keys (encoding/json sorts them, and
					// Django kept that order), then the _session_expiry set_expiry added.
					dataJSON, err := json.Marshal(data)
					if err != nil {
						t.Fatal(err)
					}
					want := json.RawMessage(append(dataJSON[:len(dataJSON)-1], `,"_session_expiry":600}`...))
					var eq struct {
						Equal  bool            `json:"equal"`
						Loaded json.RawMessage `json:"loaded"`
					}
					err = b.Call(ctx, "pickle_equal", map[string]any{"b64": pickled, "value": want}, &eq)
					if err != nil {
						t.Fatal(err)
					}
					if !eq.Equal {
						t.Errorf("the stored pickle unpickles to %s", eq.Loaded)
					}
				}
				if locs := entry.locations(); len(locs) > 1 && !strings.Contains(entry.Backend, "memcached") {
					waitReplicated(ctx, t, redisAddr(locs[1]), b.Info.RedisDB, created.ServerKey)
				}
				var loaded struct {
					Exists     bool    `json:"exists"`
					SessionKey *string `json:"session_key"`
				}
				key := map[string]any{"config": config, "session_key": created.SessionKey}
				if err := b.Call(ctx, "session_load", key, &loaded); err != nil {
					t.Fatal(err)
				}
				if !loaded.Exists || loaded.SessionKey == nil || *loaded.SessionKey != created.SessionKey {
					t.Errorf("session_load: %+v", loaded)
				}
				if err := b.Call(ctx, "session_delete", key, nil); err != nil {
					t.Fatal(err)
				}
				if v, _, _ := readDirect(ctx, t, b, entry, created.ServerKey); v != nil {
					t.Errorf("%s still on the server after session_delete", created.ServerKey)
				}
				// Saving the vanished session raises Django's UpdateError.
				err = b.Call(ctx, "session_modify", map[string]any{"config": config, "session_key": created.SessionKey, "load": false, "set": map[string]any{"x": 1}}, nil)
				var pe *pybridge.Error
				if !errors.As(err, &pe) || pe.Class != "UpdateError" {
					t.Errorf("session_modify of a deleted session: %v, want UpdateError", err)
				}
			})
		}
		t.Logf("django-%s: %d configurations checked live", b.DjangoID, len(b.Info.Configs))
	})
}

// waitReplicated polls a Redis replica until it has key (Django's redis-replica config reads
// from the replica, so a load right after the write would otherwise race the replication).
func waitReplicated(ctx context.Context, t *testing.T, addr string, db int, key string) {
	t.Helper()
	for i := 0; i < 200; i++ {
		_, found, err := redisGet(ctx, addr, db, key)
		if err != nil {
			t.Fatal(err)
		}
		if found {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("replica %s never received %s", addr, key)
}
