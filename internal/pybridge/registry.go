package pybridge

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// The package-level registry: one shared bridge per Django version for the whole test binary.
//
// ForEachVersion starts a version's bridge the first time a test asks for it and keeps it for
// the rest of the binary. To end them, call CloseAll from TestMain:
//
//	func TestMain(m *testing.M) {
//		code := m.Run()
//		fmt.Println(pybridge.Summary())
//		pybridge.CloseAll()
//		os.Exit(code)
//	}
//
// Without CloseAll the processes still end with the test binary: each bridge exits at EOF on
// its stdin, which the operating system closes when the binary exits.
var registry = struct {
	mu      sync.Mutex
	bridges map[string]*shared
	counts  map[string]int
}{bridges: map[string]*shared{}, counts: map[string]int{}}

type shared struct {
	once sync.Once
	b    *Bridge
	err  error
}

// StartTimeout bounds how long a shared bridge may take to start (migrations included).
const StartTimeout = 2 * time.Minute

// Shared returns the test binary's bridge for djangoID, starting it on first use. It fails t
// with a how-to message when the servers or the venv are missing, and skips t under -short.
func Shared(t testing.TB, djangoID string) *Bridge {
	t.Helper()
	if testing.Short() {
		t.Skip("live test (needs a Django venv and the test servers): skipped under -short")
	}
	RequireServers(t)
	registry.mu.Lock()
	s := registry.bridges[djangoID]
	if s == nil {
		s = &shared{}
		registry.bridges[djangoID] = s
	}
	registry.mu.Unlock()
	s.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), StartTimeout)
		defer cancel()
		s.b, s.err = Start(ctx, djangoID)
	})
	if s.err != nil {
		t.Fatalf("%v", s.err)
	}
	return s.b
}

// ForEachVersion runs fn as a subtest "django-<id>" for every supported version, each with
// the shared bridge of that version. Subtests are counted per version (see Summary).
func ForEachVersion(t *testing.T, fn func(t *testing.T, b *Bridge)) {
	t.Helper()
	if testing.Short() {
		t.Skip("live test (needs the Django venvs and the test servers): skipped under -short")
	}
	for _, v := range versions {
		t.Run("django-"+v, func(t *testing.T) {
			b := Shared(t, v)
			registry.mu.Lock()
			registry.counts[v]++
			registry.mu.Unlock()
			fn(t, b)
		})
	}
}

// Counts returns how many ForEachVersion subtests ran against each version's bridge.
func Counts() map[string]int {
	registry.mu.Lock()
	defer registry.mu.Unlock()
	out := make(map[string]int, len(registry.counts))
	for k, v := range registry.counts {
		out[k] = v
	}
	return out
}

// Summary returns a one-line report of the live subtests run per version.
func Summary() string {
	counts := Counts()
	ids := make([]string, 0, len(versions))
	ids = append(ids, versions...)
	sort.Strings(ids)
	parts := make([]string, 0, len(ids))
	total := 0
	for _, v := range ids {
		parts = append(parts, fmt.Sprintf("%s=%d", v, counts[v]))
		total += counts[v]
	}
	return fmt.Sprintf("pybridge: live subtests per Django version: %s (total %d)", strings.Join(parts, " "), total)
}

// CloseAll closes every shared bridge. Call it from TestMain after m.Run.
func CloseAll() {
	registry.mu.Lock()
	all := registry.bridges
	registry.bridges = map[string]*shared{}
	registry.mu.Unlock()
	for _, s := range all {
		if s.b != nil {
			_ = s.b.Close()
		}
	}
}

// Servers are the test servers' addresses, from the environment (compat_test/FORMAT.md).
type Servers struct {
	Redis        string   // DJANGOBRIDGE_REDIS, e.g. "127.0.0.1:16379"
	RedisReplica string   // DJANGOBRIDGE_REDIS_REPLICA
	Memcached    []string // DJANGOBRIDGE_MEMCACHED, comma-separated
}

// RequireServers returns the server addresses. It skips t under -short and otherwise fails t
// with instructions when a variable is missing.
func RequireServers(t testing.TB) Servers {
	t.Helper()
	if testing.Short() {
		t.Skip("live test (needs the test servers): skipped under -short")
	}
	var missing []string
	for _, name := range ServerEnv {
		if os.Getenv(name) == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		t.Fatalf("live test: %s not set. Start the servers with scripts/servers-start.sh, then "+
			"`source .run/servers.env` (run compat_test/setup.sh for the Django venvs); "+
			"-short skips live tests", strings.Join(missing, ", "))
	}
	s := Servers{
		Redis:        os.Getenv("DJANGOBRIDGE_REDIS"),
		RedisReplica: os.Getenv("DJANGOBRIDGE_REDIS_REPLICA"),
	}
	for _, m := range strings.Split(os.Getenv("DJANGOBRIDGE_MEMCACHED"), ",") {
		if m = strings.TrimSpace(m); m != "" {
			s.Memcached = append(s.Memcached, m)
		}
	}
	return s
}
