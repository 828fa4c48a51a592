package faulttest

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/djangobridge/bridge/djangosession"
)

// liveCaches returns the Go caches of casConfigs on this test's own servers.
func liveCaches(t *testing.T) map[string]djangosession.Cache {
	t.Helper()
	rs, ms := startRedis(t), startMemcached(t)
	out := map[string]djangosession.Cache{}
	for _, cfg := range casConfigs {
		c, closeCache := cfg.cache(t, rs.Addr(), ms.Addr())
		t.Cleanup(func() {
			if err := closeCache(); err != nil {
				t.Error(err)
			}
		})
		out[cfg.id] = c
	}
	return out
}

// TestConcurrentCompareAndSet: many goroutines add one to the same session's counter through one
// Store with CompareAndSetSave, retrying on ErrConflict, against the real servers (memcached cas,
// the Redis script). No increment is lost, and every error is a conflict.
func TestConcurrentCompareAndSet(t *testing.T) {
	requireLive(t)
	for id, cache := range liveCaches(t) {
		t.Run(id, func(t *testing.T) {
			ctx := waitCtx(t, time.Minute)
			st, err := djangosession.NewStore(djangosession.Config{SessionEngine: djangosession.EngineCache, Cache: cache, CompareAndSetSave: true})
			if err != nil {
				t.Fatal(err)
			}
			s := st.New()
			s.Set("n", int64(0))
			if err := s.Save(ctx); err != nil {
				t.Fatal(err)
			}
			const writers, each = 6, 20
			var wg sync.WaitGroup
			var mu sync.Mutex
			conflicts := 0
			for range writers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range each {
						for {
							c, err := st.Load(ctx, s.Key())
							if err != nil {
								t.Error(err)
								return
							}
							n, _ := c.Int("n")
							c.Set("n", n+1)
							err = c.Save(ctx)
							if err == nil {
								break
							}
							if !errors.Is(err, djangosession.ErrConflict) {
								t.Error(err)
								return
							}
							mu.Lock()
							conflicts++
							mu.Unlock()
						}
					}
				}()
			}
			wg.Wait()
			got, err := st.Load(ctx, s.Key())
			if err != nil {
				t.Fatal(err)
			}
			if n, _ := got.Int("n"); n != writers*each {
				t.Errorf("counter = %d, want %d", n, writers*each)
			}
			t.Logf("CAS-SUMMARY cache=%s increments=%d conflicts_retried=%d lost=0", id, writers*each, conflicts)
		})
	}
}

// TestConcurrentMiddleware: many clients, each with its own cookie, hit one Middleware over one
// Store at once; each request adds one to its session's counter. Under -race this checks that
// Store and Middleware are safe for concurrent use; every session ends with the exact count.
func TestConcurrentMiddleware(t *testing.T) {
	requireLive(t)
	for id, cache := range liveCaches(t) {
		t.Run(id, func(t *testing.T) {
			leak := goroutines(t)
			st, err := djangosession.NewStore(djangosession.Config{SessionEngine: djangosession.EngineCache, Cache: cache})
			if err != nil {
				t.Fatal(err)
			}
			mw := &djangosession.Middleware{Store: st}
			srv := httptest.NewServer(mw.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				s, err := djangosession.FromContext(r.Context())
				if err != nil {
					return
				}
				n, _ := s.Int("n")
				s.Set("n", n+1)
				fmt.Fprint(w, n+1)
			})))
			const clients, each = 8, 15
			var wg sync.WaitGroup
			for c := range clients {
				wg.Add(1)
				go func() {
					defer wg.Done()
					jar, _ := cookiejar.New(nil)
					hc := &http.Client{Jar: jar, Timeout: 10 * time.Second}
					defer hc.CloseIdleConnections()
					for i := range each {
						resp, err := hc.Get(srv.URL)
						if err != nil {
							t.Error(err)
							return
						}
						body, _ := io.ReadAll(resp.Body)
						resp.Body.Close()
						if resp.StatusCode != 200 || string(body) != strconv.Itoa(i+1) {
							t.Errorf("client %d request %d: %d %q, want 200 %d", c, i, resp.StatusCode, body, i+1)
							return
						}
					}
				}()
			}
			wg.Wait()
			srv.Close()
			leak()
		})
	}
}
