// Package pybridge drives compat_test/bridge.py, a long-lived Python process running a real
// Django, over JSON lines (compat_test/FORMAT.md, ops in compat_test/README.md).
//
// Start launches one bridge for one Django version; Call sends one request and decodes its
// response. A Bridge is safe for concurrent use: calls are serialised, one request at a time.
// For tests, ForEachVersion runs a subtest per Django version on a bridge shared by the whole
// test binary (see registry.go).
package pybridge

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// allVersions are the supported Django ids, as in compat_test/FORMAT.md.
var allVersions = []string{"3.2", "4.2", "5.2", "6.0", "6.1"}

// versions are the ids the live tests run: all of them, or the comma-separated subset in
// DJANGOBRIDGE_DJANGO_VERSIONS (the docker-compose stack builds one Django per image).
var versions = selectVersions(os.Getenv("DJANGOBRIDGE_DJANGO_VERSIONS"))

func selectVersions(env string) []string {
	if strings.TrimSpace(env) == "" {
		return allVersions
	}
	var out []string
	for _, v := range strings.Split(env, ",") {
		v = strings.TrimSpace(v)
		if slices.Contains(allVersions, v) && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	if len(out) == 0 {
		// An unknown id must not silently turn the live tests off.
		return allVersions
	}
	return out
}

// Versions returns the Django version ids the live tests run: every supported id ("3.2", "4.2",
// "5.2", "6.0", "6.1") unless DJANGOBRIDGE_DJANGO_VERSIONS names a subset.
func Versions() []string { return append([]string(nil), versions...) }

// ServerEnv lists the environment variables the bridge needs (the test servers' addresses).
var ServerEnv = []string{"DJANGOBRIDGE_REDIS", "DJANGOBRIDGE_REDIS_REPLICA", "DJANGOBRIDGE_MEMCACHED"}

// Error is a response with ok:false: the Python exception Django (or the bridge) raised.
type Error struct {
	Op      string // the request's op
	Class   string // the Python exception class name, e.g. "BadSignature", "UpdateError"
	Message string // str(exception)
}

// Error returns "pybridge: <op>: <Class>: <message>".
func (e *Error) Error() string {
	return fmt.Sprintf("pybridge: %s: %s: %s", e.Op, e.Class, e.Message)
}

// ErrClosed is returned by Call on a bridge that was closed or whose process died.
var ErrClosed = errors.New("pybridge: bridge closed")

// Bridge is one running bridge.py process.
type Bridge struct {
	// DjangoID is the version id the bridge was started for ("4.2").
	DjangoID string
	// Info is the bridge's answer to ping, read at start.
	Info Info

	mu     sync.Mutex
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	lines  chan lineResult
	stderr *tailBuffer
	nextID int64
	broken error
	done   chan struct{} // closed when the process has exited
}

// Info is the ping response.
type Info struct {
	Django    string                     `json:"django"`
	DjangoID  string                     `json:"django_id"`
	Python    string                     `json:"python"`
	Packages  map[string]string          `json:"packages"`
	Configs   []string                   `json:"configs"`
	Caches    map[string]json.RawMessage `json:"caches"`
	RedisDB   int                        `json:"redis_db"`
	KeyPrefix string                     `json:"key_prefix"`
	// Database is the bridge's default database (DJANGOBRIDGE_DB_URL; a temp SQLite file
	// without it), used by the db and cached_db engines.
	Database Database `json:"database"`
	// SessionFilePath is the file engine's SESSION_FILE_PATH.
	SessionFilePath string `json:"session_file_path"`
	PID             int    `json:"pid"`
}

// Database describes a bridge's default database (never its password).
type Database struct {
	Vendor string `json:"vendor"` // "sqlite", "postgresql" or "mysql"
	Name   string `json:"name"`   // the database (SQLite: the file)
	Host   string `json:"host"`
	Port   string `json:"port"`
	User   string `json:"user"`
}

type lineResult struct {
	line []byte
	err  error
}

// RepoRoot returns the directory holding go.mod, walking up from the working directory.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("pybridge: no go.mod above the working directory")
		}
		dir = parent
	}
}

// VenvsDir returns DJANGOBRIDGE_VENVS, or <repo root>/compat_test/.venvs.
func VenvsDir() (string, error) {
	if v := os.Getenv("DJANGOBRIDGE_VENVS"); v != "" {
		return v, nil
	}
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	return filepath.Join(root, "compat_test", ".venvs"), nil
}

// Python returns the interpreter of the venv for djangoID, or an error saying how to make it.
func Python(djangoID string) (string, error) {
	dir, err := VenvsDir()
	if err != nil {
		return "", err
	}
	py := filepath.Join(dir, "django-"+djangoID, "bin", "python")
	if _, err := os.Stat(py); err != nil {
		return "", fmt.Errorf("pybridge: no Django %s venv at %s: run compat_test/setup.sh "+
			"(or set DJANGOBRIDGE_VENVS)", djangoID, py)
	}
	return py, nil
}

// Start launches compat_test/bridge.py in the venv of djangoID and waits until it answers
// ping. The server variables (ServerEnv) must be set. ctx bounds only the start; the process
// lives until Close (or until the test binary exits: the bridge ends at EOF on its stdin).
func Start(ctx context.Context, djangoID string) (*Bridge, error) {
	return StartEnv(ctx, djangoID, nil)
}

// StartEnv is Start with extra environment variables ("NAME=value") for this bridge only, e.g.
// "DJANGOBRIDGE_DB_URL=postgres://..." (compat_test/README.md lists what the bridge reads).
func StartEnv(ctx context.Context, djangoID string, env []string) (*Bridge, error) {
	for _, name := range ServerEnv {
		if os.Getenv(name) == "" {
			return nil, fmt.Errorf("pybridge: %s is not set: start the servers with "+
				"scripts/servers-start.sh and `source .run/servers.env`", name)
		}
	}
	py, err := Python(djangoID)
	if err != nil {
		return nil, err
	}
	root, err := RepoRoot()
	if err != nil {
		return nil, err
	}
	script := filepath.Join(root, "compat_test", "bridge.py")
	cmd := exec.Command(py, script)
	cmd.Env = append(os.Environ(), "PYTHONUNBUFFERED=1", "PYTHONDONTWRITEBYTECODE=1", "PYTHONHASHSEED=0")
	cmd.Env = append(cmd.Env, env...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	b := &Bridge{
		DjangoID: djangoID,
		cmd:      cmd,
		stdin:    stdin,
		lines:    make(chan lineResult, 2),
		stderr:   newTailBuffer(16 << 10),
		done:     make(chan struct{}),
	}
	if os.Getenv("DJANGOBRIDGE_BRIDGE_LOG") != "" {
		cmd.Stderr = io.MultiWriter(b.stderr, os.Stderr)
	} else {
		cmd.Stderr = b.stderr
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("pybridge: start %s: %w", py, err)
	}
	go b.readLoop(stdout)
	go func() {
		_ = cmd.Wait()
		close(b.done)
	}()
	if err := b.Call(ctx, "ping", nil, &b.Info); err != nil {
		b.Close()
		return nil, fmt.Errorf("pybridge: Django %s bridge did not start: %w", djangoID, err)
	}
	return b, nil
}

func (b *Bridge) readLoop(r io.Reader) {
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		line, err := br.ReadBytes('\n')
		if len(line) > 0 && err == nil {
			b.lines <- lineResult{line: line}
			continue
		}
		if err == nil {
			err = io.ErrUnexpectedEOF
		}
		b.lines <- lineResult{err: err}
		close(b.lines)
		return
	}
}

// Call sends {"op": op, ...req} and decodes the response into resp (which may be nil). A
// response with ok:false is returned as *Error. If ctx ends while the bridge is working on the
// request, the process is killed (the request/response stream can no longer be trusted) and
// later calls return ErrClosed.
func (b *Bridge) Call(ctx context.Context, op string, req map[string]any, resp any) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.broken != nil {
		return b.broken
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("pybridge: %s: %w", op, err)
	}
	b.nextID++
	id := b.nextID
	msg := make(map[string]any, len(req)+2)
	for k, v := range req {
		msg[k] = v
	}
	msg["id"] = id
	msg["op"] = op
	data, err := json.Marshal(msg)
	if err != nil {
		return fmt.Errorf("pybridge: %s: encode request: %w", op, err)
	}
	data = append(data, '\n')
	if _, err := b.stdin.Write(data); err != nil {
		return b.fail(fmt.Errorf("pybridge: %s: write: %w%s", op, err, b.stderrTail()))
	}
	var res lineResult
	var ok bool
	select {
	case res, ok = <-b.lines:
	case <-ctx.Done():
		b.kill()
		b.broken = ErrClosed
		return fmt.Errorf("pybridge: %s: %w", op, ctx.Err())
	}
	if !ok || res.err != nil {
		return b.fail(fmt.Errorf("pybridge: %s: bridge exited: %v%s", op, res.err, b.stderrTail()))
	}
	var head struct {
		ID      int64  `json:"id"`
		OK      bool   `json:"ok"`
		Error   string `json:"error"`
		Message string `json:"message"`
	}
	if err := json.Unmarshal(res.line, &head); err != nil {
		return b.fail(fmt.Errorf("pybridge: %s: bad response %.200q: %w", op, res.line, err))
	}
	if head.ID != id {
		return b.fail(fmt.Errorf("pybridge: %s: response id %d, want %d", op, head.ID, id))
	}
	if !head.OK {
		return &Error{Op: op, Class: head.Error, Message: head.Message}
	}
	if resp != nil {
		if err := json.Unmarshal(res.line, resp); err != nil {
			return fmt.Errorf("pybridge: %s: decode response: %w", op, err)
		}
	}
	return nil
}

// fail marks the bridge unusable and returns err.
func (b *Bridge) fail(err error) error {
	b.kill()
	b.broken = fmt.Errorf("%w (%v)", ErrClosed, err)
	return err
}

func (b *Bridge) kill() {
	if b.cmd.Process != nil {
		_ = b.cmd.Process.Kill()
	}
}

func (b *Bridge) stderrTail() string {
	tail := bytes.TrimSpace(b.stderr.Bytes())
	if len(tail) == 0 {
		return ""
	}
	return "\nbridge stderr (tail):\n" + string(tail)
}

// Stderr returns the last 16 KiB the bridge wrote to stderr (its log).
func (b *Bridge) Stderr() string { return string(b.stderr.Bytes()) }

// Close ends the process: it closes stdin (the bridge exits at EOF), waits up to 5 seconds,
// then kills it. Close is idempotent and safe to call concurrently with Call.
func (b *Bridge) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.broken == nil {
		b.broken = ErrClosed
	}
	_ = b.stdin.Close()
	select {
	case <-b.done:
	case <-time.After(5 * time.Second):
		b.kill()
		<-b.done
	}
	return nil
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
	max int
}

func newTailBuffer(max int) *tailBuffer { return &tailBuffer{max: max} }

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > t.max {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-t.max:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) Bytes() []byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]byte(nil), t.buf...)
}
