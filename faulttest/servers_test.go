package faulttest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// requireLive skips under -short and fails (saying how to get them) when the server binaries are
// missing.
func requireLive(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("fault test (starts its own redis-server and memcached): skipped under -short")
	}
	for _, bin := range []string{"redis-server", "memcached"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Fatalf("fault test: %s not found; install it (scripts/servers-start.sh installs "+
				"Debian's redis-server and memcached); -short skips fault tests", bin)
		}
	}
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// server is one redis-server or memcached process the test started, on a fixed port; Kill and
// Start may be called repeatedly (the same port, the same data directory).
type server struct {
	t           *testing.T
	name        string
	port        int
	args        []string
	probe, want string

	mu  sync.Mutex
	cmd *exec.Cmd
	log *os.File
}

func (s *server) Addr() string { return "127.0.0.1:" + strconv.Itoa(s.port) }

// startRedis starts redis-server on a free loopback port with an append-only file fsynced on
// every write, so that a kill -9 loses no acknowledged write.
func startRedis(t *testing.T) *server {
	t.Helper()
	dir := t.TempDir()
	port := freePort(t)
	s := &server{t: t, name: "redis", port: port, probe: "PING\r\n", want: "+PONG",
		args: []string{"redis-server", "--bind", "127.0.0.1", "--port", strconv.Itoa(port),
			"--save", "", "--appendonly", "yes", "--appendfsync", "always", "--dir", dir,
			"--daemonize", "no", "--protected-mode", "no"}}
	s.Start()
	t.Cleanup(s.Kill)
	return s
}

// startMemcached starts memcached on a free loopback port.
func startMemcached(t *testing.T) *server {
	t.Helper()
	port := freePort(t)
	args := []string{"memcached", "-l", "127.0.0.1", "-p", strconv.Itoa(port), "-U", "0", "-m", "16"}
	if os.Geteuid() == 0 {
		args = append(args, "-u", "root")
	}
	s := &server{t: t, name: "memcached", port: port, probe: "version\r\n", want: "VERSION", args: args}
	s.Start()
	t.Cleanup(s.Kill)
	return s
}

// Start runs the server and waits (at most 10 s) until it answers.
func (s *server) Start() {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		s.t.Fatalf("%s on %d already running", s.name, s.port)
	}
	logf, err := os.CreateTemp(s.t.TempDir(), s.name+"-*.log")
	if err != nil {
		s.t.Fatal(err)
	}
	cmd := exec.Command(s.args[0], s.args[1:]...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // dies with the test binary
	if err := cmd.Start(); err != nil {
		logf.Close()
		s.t.Fatalf("start %s: %v", s.name, err)
	}
	s.cmd, s.log = cmd, logf
	deadline := time.Now().Add(10 * time.Second)
	for {
		if probe(s.Addr(), s.probe, s.want) {
			return
		}
		if time.Now().After(deadline) {
			s.killLocked()
			s.t.Fatalf("%s did not answer on %s within 10 s", s.name, s.Addr())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Kill sends SIGKILL to the process (a crash: no shutdown save) and waits for it.
func (s *server) Kill() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.killLocked()
}

func (s *server) killLocked() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
	s.log.Close()
	s.cmd, s.log = nil, nil
}

func probe(addr, req, want string) bool {
	c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
	if err != nil {
		return false
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(500 * time.Millisecond))
	if _, err := io.WriteString(c, req); err != nil {
		return false
	}
	line, _ := bufio.NewReader(c).ReadString('\n')
	return strings.HasPrefix(line, want)
}

// Proxy modes.
const (
	modePass  = iota // forward both ways
	modeStall        // read what the client sends and drop it; never answer
	modeCut          // forward requests; forward cutAfter bytes of a reply, then close
)

// proxy is a loopback TCP proxy in front of one server that can stall or cut connections. The
// mode applies at once to every connection, the clients' pooled ones included, chunk by chunk.
type proxy struct {
	ln       net.Listener
	target   string
	cutAfter int

	mu    sync.Mutex
	mode  int
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
}

func newProxy(t *testing.T, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	// Two bytes: even Redis's "+OK\r\n" and memcached's "STORED\r\n" are cut.
	p := &proxy{ln: ln, target: target, cutAfter: 2, conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.serve()
	t.Cleanup(p.Close)
	return p
}

func (p *proxy) Addr() string { return p.ln.Addr().String() }

func (p *proxy) SetMode(m int) {
	p.mu.Lock()
	p.mode = m
	p.mu.Unlock()
}

func (p *proxy) Mode() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.mode
}

// Close stops the proxy and closes every connection.
func (p *proxy) Close() {
	p.ln.Close()
	p.mu.Lock()
	for c := range p.conns {
		c.Close()
	}
	p.conns = nil
	p.mu.Unlock()
	p.wg.Wait()
}

func (p *proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.conns == nil {
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *proxy) untrack(c net.Conn) {
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
	c.Close()
}

func (p *proxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		if !p.track(c) {
			c.Close()
			continue
		}
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			defer p.untrack(c)
			p.handle(c)
		}()
	}
}

func (p *proxy) handle(c net.Conn) {
	up, err := net.DialTimeout("tcp", p.target, time.Second)
	if err != nil {
		return
	}
	if !p.track(up) {
		up.Close()
		return
	}
	defer p.untrack(up)
	done := make(chan struct{})
	go func() { // requests
		defer close(done)
		defer up.Close()
		buf := make([]byte, 32<<10)
		for {
			n, err := c.Read(buf)
			if n > 0 && p.Mode() != modeStall {
				if _, werr := up.Write(buf[:n]); werr != nil {
					return
				}
			}
			if err != nil {
				return
			}
		}
	}()
	buf := make([]byte, 32<<10) // replies
	for {
		n, err := up.Read(buf)
		if n > 0 {
			switch p.Mode() {
			case modeCut:
				_, _ = c.Write(buf[:min(n, p.cutAfter)])
				n = 0
				err = io.EOF
			case modeStall:
				n = 0
			}
			if n > 0 {
				if _, werr := c.Write(buf[:n]); werr != nil {
					err = werr
				}
			}
		}
		if err != nil {
			break
		}
	}
	c.Close()
	up.Close()
	<-done
}

// goroutines returns a function that fails t if, once the test's clients are closed, more
// goroutines run than when it was called (it waits up to 5 s for them to end).
func goroutines(t *testing.T) func() {
	t.Helper()
	before := numGoroutine()
	return func() {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for {
			n := numGoroutine()
			if n <= before {
				return
			}
			if time.Now().After(deadline) {
				t.Errorf("goroutine leak: %d before, %d after\n%s", before, n, goroutineDump())
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// waitCtx is a context bounded to d, cancelled at the end of the test.
func waitCtx(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// summary logs the parseable per-fault line the report quotes.
func summary(t *testing.T, fault string, attempted, errs, lost int, extra ...string) {
	t.Helper()
	line := fmt.Sprintf("FAULT-SUMMARY fault=%s ops_attempted=%d errors_returned=%d sessions_lost=%d", fault, attempted, errs, lost)
	for _, e := range extra {
		line += " " + e
	}
	t.Log(line)
}

var errUnexpected = errors.New("unexpected")
