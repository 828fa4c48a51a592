package compattest

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/djangobridge/bridge/djangosession"
	"github.com/djangobridge/bridge/djangosession/redisstore"
	"github.com/djangobridge/bridge/internal/pybridge"
)

// TestLiveMisconfiguration: a Go-side mistake never logs anyone out of Django. A wrong
// SECRET_KEY (db engine) and a wrong django-redis compressor (cache engine) make Go's Load fail
// with ErrUnreadable, saying what to check; the middleware answers 500 and touches neither the
// cookie nor the stored session; Django, configured right, still sees its user. (An empty
// SECRET_KEY is refused by NewStore: TestConfigValidate.)
func TestLiveMisconfiguration(t *testing.T) {
	if testing.Short() {
		t.Skip("live test (needs the Django venvs and the test servers): skipped under -short")
	}
	pybridge.RequireServers(t)
	for _, v := range pybridge.Versions() {
		t.Run("django-"+v, func(t *testing.T) {
			t.Parallel()
			env := startEngineBridge(t, v, "")
			t.Run("wrong secret key", func(t *testing.T) { env.checkWrongSecret(t) })
			t.Run("wrong compressor", func(t *testing.T) { env.checkWrongCompressor(t) })
		})
	}
}

func (e *engineEnv) checkWrongSecret(t *testing.T) {
	key := e.call(t, "login", map[string]any{"engine": "db", "username": "alice"}).key(t)
	wrong := e.store(t, "db", func(c *djangosession.Config) { c.SecretKey = "not-" + liveSecretKey() })
	_, err := wrong.Load(context.Background(), key)
	if !errors.Is(err, djangosession.ErrUnreadable) || errors.Is(err, djangosession.ErrNotFound) {
		t.Fatalf("Load with the wrong SECRET_KEY: %v, want ErrUnreadable", err)
	}
	e.checkMiddlewareLeavesIt(t, wrong, key)
	if u := e.call(t, "get_user", map[string]any{"engine": "db", "session_key": key}); u.UserID == nil || *u.UserID != "1" {
		t.Errorf("Django lost its user after Go's misconfigured request: %v", u.UserID)
	}
}

func (e *engineEnv) checkWrongCompressor(t *testing.T) {
	const config = "django-redis-lz4"
	if !slices.Contains(e.b.Info.Configs, config) {
		t.Fatalf("the bridge has no %s cache (configs %v)", config, e.b.Info.Configs)
	}
	var entry cacheEntry
	if err := json.Unmarshal(e.b.Info.Caches[config], &entry); err != nil {
		t.Fatal(err)
	}
	locs, err := entry.locations()
	if err != nil {
		t.Fatal(err)
	}
	created := e.call(t, "session_create", map[string]any{"engine": "cache", "config": config,
		"data": map[string]any{"_auth_user_id": "1", "cart": "a value long enough for django-redis to compress it: more than fifteen bytes"}})
	key := created.key(t)
	c, err := redisstore.New(redisstore.Options{Location: locs, Format: redisstore.FormatDjangoRedis, Compressor: redisstore.CompressorZlib})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	cfg := djangosession.Config{SessionEngine: djangosession.EngineCache, Cache: c, DjangoVersion: e.b.DjangoID, KeyPrefix: entry.KeyPrefix}
	if entry.Version != nil {
		cfg.Version = *entry.Version
	}
	st, err := djangosession.NewStore(cfg)
	if err != nil {
		t.Fatal(err)
	}
	_, err = st.Load(context.Background(), key)
	if !errors.Is(err, djangosession.ErrUnreadable) {
		t.Fatalf("Load with ZlibCompressor of an Lz4Compressor value: %v, want ErrUnreadable", err)
	}
	e.checkMiddlewareLeavesIt(t, st, key)
	got := taggedDict(t, e.call(t, "session_load", map[string]any{"engine": "cache", "config": config, "session_key": key}).Data)
	if v, _ := got.String("_auth_user_id"); v != "1" {
		t.Errorf("Django lost the session after Go's misconfigured request: %v", got)
	}
}

// checkMiddlewareLeavesIt sends a request with the session cookie through the middleware over
// a misconfigured store: 500, and no Set-Cookie (the cookie is neither replaced nor deleted).
func (e *engineEnv) checkMiddlewareLeavesIt(t *testing.T, st *djangosession.Store, key string) {
	t.Helper()
	mw := &djangosession.Middleware{Store: st}
	h := mw.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, err := djangosession.FromContext(r.Context())
		if err != nil {
			return // the middleware answers
		}
		s.Set("would", "overwrite")
	}))
	req := httptest.NewRequest("GET", "/", nil)
	req.AddCookie(&http.Cookie{Name: "sessionid", Value: key})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusInternalServerError || len(rec.Header().Values("Set-Cookie")) != 0 {
		t.Errorf("middleware: %d, Set-Cookie %q; want 500 and no cookie", rec.Code, rec.Header().Values("Set-Cookie"))
	}
}
