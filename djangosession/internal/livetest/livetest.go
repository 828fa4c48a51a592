// Package livetest finds the test servers and the per-Django Python venvs for the live tests of
// the cache adapters, and runs small Python scripts in those venvs. Live tests call it; when a
// server or venv is missing they fail with a message saying how to start it, and only
// testing.Short() skips them.
package livetest

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// Short skips t under -short; every live test calls it first.
func Short(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("live test: skipped under -short")
	}
}

// Env returns the value of the environment variable name, failing t with a how-to message when
// it is empty (and skipping t under -short).
func Env(t testing.TB, name string) string {
	t.Helper()
	Short(t)
	v := os.Getenv(name)
	if v == "" {
		t.Fatalf("live test: %s is not set. Start the servers with scripts/servers-start.sh and "+
			"`source .run/servers.env` (or run with -short to skip live tests)", name)
	}
	return v
}

// RepoRoot returns the directory holding go.mod, walking up from the working directory.
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("livetest: no go.mod above the working directory")
		}
		dir = parent
	}
}

// Venv is one per-Django virtualenv of the compat harness.
type Venv struct {
	ID     string // "3.2", "4.2", ...
	Python string // path of its python
}

// Venvs returns the harness venvs (DJANGOBRIDGE_VENVS, default <repo>/compat_test/.venvs),
// failing t when there is none.
func Venvs(t testing.TB) []Venv {
	t.Helper()
	Short(t)
	dir := os.Getenv("DJANGOBRIDGE_VENVS")
	if dir == "" {
		dir = filepath.Join(RepoRoot(t), "compat_test", ".venvs")
	}
	matches, _ := filepath.Glob(filepath.Join(dir, "django-*", "bin", "python"))
	sort.Strings(matches)
	var out []Venv
	for _, m := range matches {
		id := strings.TrimPrefix(filepath.Base(filepath.Dir(filepath.Dir(m))), "django-")
		out = append(out, Venv{ID: id, Python: m})
	}
	if len(out) == 0 {
		t.Fatalf("live test: no Django venv under %s. Create them with compat_test/setup.sh "+
			"(or set DJANGOBRIDGE_VENVS; -short skips live tests)", dir)
	}
	return out
}

// RunPython runs script with v's python, feeding in as JSON on stdin and decoding stdout (JSON)
// into out. The run is limited to two minutes.
func RunPython(t testing.TB, v Venv, script string, in, out any) {
	t.Helper()
	data, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(v.Python, "-c", script)
	cmd.Stdin = bytes.NewReader(data)
	cmd.Env = append(os.Environ(), "PYTHONHASHSEED=0", "PYTHONDONTWRITEBYTECODE=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("python %s: %v", v.ID, err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err = <-done:
	case <-time.After(2 * time.Minute):
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("python %s: timed out; stderr:\n%s", v.ID, stderr.String())
	}
	if err != nil {
		t.Fatalf("python %s: %v; stderr:\n%s", v.ID, err, stderr.String())
	}
	if err := json.Unmarshal(stdout.Bytes(), out); err != nil {
		t.Fatalf("python %s: bad output %q: %v; stderr:\n%s", v.ID, stdout.String(), err, stderr.String())
	}
}

// CacheFixture is one compat_test/fixtures/django-<id>/cache-<config>.json file (FORMAT.md).
type CacheFixture struct {
	Path     string
	DjangoID string
	Config   struct {
		ID          string          `json:"id"`
		Backend     string          `json:"BACKEND"`
		Location    json.RawMessage `json:"LOCATION"`
		KeyPrefix   string          `json:"KEY_PREFIX"`
		Options     map[string]any  `json:"OPTIONS"`
		Compression *string         `json:"compression"`
	} `json:"config"`
	Cases []CacheCase `json:"cases"`
}

// Locations returns the config's LOCATION as a list (a string is returned as one entry).
func (f *CacheFixture) Locations() []string {
	var list []string
	if json.Unmarshal(f.Config.Location, &list) == nil {
		return list
	}
	var s string
	_ = json.Unmarshal(f.Config.Location, &s)
	return []string{s}
}

// CacheCase is one case of a CacheFixture.
type CacheCase struct {
	Name        string  `json:"name"`
	Engine      string  `json:"engine"`
	SessionKey  string  `json:"session_key"`
	ServerKey   string  `json:"server_key"`
	Server      string  `json:"server"`
	RawB64      string  `json:"raw_b64"`
	Flags       *uint32 `json:"flags"`
	TTL         int     `json:"ttl"`
	ExpiryAge   int     `json:"expiry_age"`
	Compression *string `json:"compression"`
	PickleB64   string  `json:"pickle_b64"`
}

// CacheFixtures loads every cache fixture file whose BACKEND contains backendSubstr, failing t
// when there is none.
func CacheFixtures(t testing.TB, backendSubstr string) []CacheFixture {
	t.Helper()
	dir := filepath.Join(RepoRoot(t), "compat_test", "fixtures")
	paths, _ := filepath.Glob(filepath.Join(dir, "django-*", "cache-*.json"))
	sort.Strings(paths)
	var out []CacheFixture
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var f CacheFixture
		if err := json.Unmarshal(data, &f); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if !strings.Contains(f.Config.Backend, backendSubstr) {
			continue
		}
		f.Path = p
		f.DjangoID = strings.TrimPrefix(filepath.Base(filepath.Dir(p)), "django-")
		out = append(out, f)
	}
	if len(out) == 0 {
		t.Fatalf("no cache fixtures for %q under %s: generate them with compat_test/generate.sh", backendSubstr, dir)
	}
	return out
}
