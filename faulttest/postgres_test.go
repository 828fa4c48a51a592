package faulttest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // test-only driver

	"github.com/djangobridge/bridge/djangosession"
	"github.com/djangobridge/bridge/djangosession/dbstore"
	"github.com/djangobridge/bridge/djangosession/redisstore"
)

// The PostgreSQL faults: the db and cached_db engines' database killed (SIGKILL of the whole
// server) and restarted in the middle of a load/save loop, and stalled or cut by a proxy past
// the callers' deadlines. Errors must be typed (a *dbstore.Error, or the context's error),
// never a miss; the Store must recover by itself; and the ledger must show no session lost or
// overwritten.

// djangoSessionDDL is the table Django's migrate makes on PostgreSQL (sessions.0001_initial).
const djangoSessionDDL = `CREATE TABLE "django_session" ("session_key" varchar(40) NOT NULL PRIMARY KEY, "session_data" text NOT NULL, "expire_date" timestamp with time zone NOT NULL);
CREATE INDEX "django_session_expire_date_a5c62663" ON "django_session" ("expire_date");`

// pgBin is the newest /usr/lib/postgresql/*/bin with a postgres binary, as servers-start.sh
// finds it.
func pgBin(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("fault test (starts its own PostgreSQL): skipped under -short")
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return pgMajor(dirs[i]) < pgMajor(dirs[j]) })
	for i := len(dirs) - 1; i >= 0; i-- {
		if _, err := os.Stat(filepath.Join(dirs[i], "postgres")); err == nil {
			return dirs[i]
		}
	}
	t.Fatal("fault test: no PostgreSQL server binaries in /usr/lib/postgresql/*/bin: run scripts/servers-start.sh " +
		"once (it installs Debian's postgresql); -short skips fault tests")
	return ""
}

func pgMajor(dir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
	return n
}

// pgServer is a PostgreSQL the test started on its own port and data directory. As root it runs
// as the postgres system user (PostgreSQL refuses root), as servers-start.sh does.
type pgServer struct {
	t        *testing.T
	bin, dir string
	port     int

	mu  sync.Mutex
	cmd *exec.Cmd
}

func (s *pgServer) Addr() string { return "127.0.0.1:" + strconv.Itoa(s.port) }

// DSN is the URL of the test database through addr (the server's, or a proxy's).
func (s *pgServer) DSN(addr string) string {
	return "postgres://postgres@" + addr + "/postgres?sslmode=disable&connect_timeout=5"
}

// asPG runs a PostgreSQL program as the postgres user when the test runs as root.
func asPG(bin string, args ...string) *exec.Cmd {
	if os.Geteuid() == 0 {
		return exec.Command("runuser", append([]string{"-u", "postgres", "--", bin}, args...)...)
	}
	return exec.Command(bin, args...)
}

func startPostgres(t *testing.T) *pgServer {
	t.Helper()
	bin := pgBin(t)
	// Not t.TempDir: its parents are closed to the postgres user.
	dir, err := os.MkdirTemp("", "djangobridge-faulttest-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() == 0 {
		if out, err := exec.Command("chown", "postgres:", dir).CombinedOutput(); err != nil {
			t.Fatalf("chown: %v: %s", err, out)
		}
	}
	s := &pgServer{t: t, bin: bin, dir: dir, port: freePort(t)}
	init := asPG(filepath.Join(bin, "initdb"), "-D", filepath.Join(dir, "data"), "-U", "postgres",
		"--encoding=UTF8", "--locale=C", "--auth=trust", "--no-sync")
	init.Dir = "/"
	if out, err := init.CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	s.Start()
	t.Cleanup(s.Kill)
	return s
}

// Start runs the server and waits (at most 30 s) until it takes connections. A start after a
// Kill is crash recovery, as after a power cut.
func (s *pgServer) Start() {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		s.t.Fatal("postgres already running")
	}
	// fsync off as in servers-start.sh (a process kill keeps the OS's page cache); commits stay
	// synchronous, so an acknowledged commit is in the WAL the restart replays.
	cmd := asPG(filepath.Join(s.bin, "postgres"), "-D", filepath.Join(s.dir, "data"), "-p", strconv.Itoa(s.port),
		"-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="+s.dir, "-c", "fsync=off",
		"-c", "full_page_writes=off", "-c", "max_connections=50")
	cmd.Dir = "/"
	logf, err := os.OpenFile(filepath.Join(s.dir, "postgres.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		s.t.Fatal(err)
	}
	defer logf.Close()
	cmd.Stdout, cmd.Stderr = logf, logf
	// Its own process group, so that Kill reaches the postmaster and every backend at once; and
	// it dies with the test binary.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("start postgres: %v", err)
	}
	s.cmd = cmd
	deadline := time.Now().Add(30 * time.Second)
	for !s.ready() {
		if time.Now().After(deadline) {
			s.killLocked()
			log, _ := os.ReadFile(filepath.Join(s.dir, "postgres.log"))
			s.t.Fatalf("postgres did not take connections on %s within 30 s:\n%s", s.Addr(), log)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (s *pgServer) ready() bool {
	db, err := sql.Open("pgx", s.DSN(s.Addr()))
	if err != nil {
		return false
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	return db.PingContext(ctx) == nil
}

// Kill sends SIGKILL to the server's whole process group (postmaster and backends: a crash, no
// shutdown checkpoint) and waits until no process of it is left.
func (s *pgServer) Kill() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.killLocked()
}

func (s *pgServer) killLocked() {
	if s.cmd == nil {
		return
	}
	pgid := s.cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	_ = s.cmd.Wait()
	// The backends are in the group too; wait until the group is empty so that the restart
	// finds no process holding the shared memory.
	for range 500 {
		if syscall.Kill(-pgid, 0) != nil {
			break
		}
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		time.Sleep(10 * time.Millisecond)
	}
	s.cmd = nil
}

// openPG opens the test database at addr and makes Django's session table if it is missing.
func openPG(t *testing.T, s *pgServer, addr string, create bool) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", s.DSN(addr))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if create {
		if _, err := db.Exec(djangoSessionDDL); err != nil {
			t.Fatal(err)
		}
	}
	return db
}

const faultSecret = "faulttest-secret-key"

// dbStore returns a Store of engine over db (and cache, for cached_db).
func dbStore(t *testing.T, db *sql.DB, engine string, cache djangosession.Cache) *djangosession.Store {
	t.Helper()
	tb, err := dbstore.New(db, dbstore.Options{Dialect: dbstore.Postgres})
	if err != nil {
		t.Fatal(err)
	}
	st, err := djangosession.NewStore(djangosession.Config{SessionEngine: engine, DB: tb, Cache: cache, SecretKey: faultSecret})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// checkDBErr asserts that an error of a broken database is typed: a *dbstore.Error (which
// unwraps to the driver's or the context's error), a *djangosession.CacheError (cached_db's
// copy), or the context's own error; never a miss, corrupt data or an unreadable session.
func checkDBErr(t *testing.T, err error) {
	t.Helper()
	if msg := dbErrProblem(err); msg != "" {
		t.Error(msg)
	}
}

func dbErrProblem(err error) string {
	if errors.Is(err, errUnexpected) {
		return err.Error()
	}
	if errors.Is(err, djangosession.ErrNotFound) || errors.Is(err, dbstore.ErrNotFound) ||
		errors.Is(err, djangosession.ErrCorrupt) || errors.Is(err, djangosession.ErrUnreadable) {
		return fmt.Sprintf("a broken database reported as a miss or bad data: %v", err)
	}
	var de *dbstore.Error
	var ce *djangosession.CacheError
	if !errors.As(err, &de) && !errors.As(err, &ce) && !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
		return fmt.Sprintf("untyped error from a broken database: %T %v", err, err)
	}
	return ""
}

// TestPostgresKilledAndRestarted kills PostgreSQL (SIGKILL of every process) in the middle of a
// load/save loop on a db Store and on a cached_db Store (Redis + PostgreSQL), restarts it on
// the same port and data, and checks typed errors while it is down, recovery without a new
// Store, and the ledger: every session holds its last acknowledged value, or the value of a
// save that failed after reaching the server.
func TestPostgresKilledAndRestarted(t *testing.T) {
	for _, engine := range []string{djangosession.EngineDB, djangosession.EngineCachedDB} {
		name := strings.TrimPrefix(engine, "django.contrib.sessions.backends.")
		t.Run(name, func(t *testing.T) {
			requireLive(t)
			pg := startPostgres(t)
			leak := goroutines(t)
			db := openPG(t, pg, pg.Addr(), true)
			var cache djangosession.Cache
			var closeCache func() error
			if engine == djangosession.EngineCachedDB {
				rs := startRedis(t)
				c, err := redisstore.New(redisstore.Options{Location: []string{"redis://" + rs.Addr() + "/0"}})
				if err != nil {
					t.Fatal(err)
				}
				cache, closeCache = c, c.Close
			}
			st := dbStore(t, db, engine, cache)
			l := newLedger()
			ctx := waitCtx(t, 60*time.Second)
			keys := make([]string, sessionsPerTest)
			owners := map[string]int{}
			for i := range keys {
				keys[i] = l.create(ctx, t, st, i)
				owners[keys[i]] = i
			}
			var (
				mu       sync.Mutex
				problems []string
				errsDown atomic.Int64
			)
			onErr := func(err error) {
				errsDown.Add(1)
				if p := dbErrProblem(err); p != "" {
					mu.Lock()
					if len(problems) < 20 {
						problems = append(problems, p)
					}
					mu.Unlock()
				}
			}
			stop := make(chan struct{})
			done := make(chan struct{})
			go func() { loop(l, st, keys, stop, time.Second, onErr); close(done) }()
			okOps := func() int64 { return l.attempted.Load() - l.errs.Load() }
			if !waitFor(20*time.Second, func() bool { return okOps() >= 200 }) {
				t.Fatal("the loop made no progress before the fault")
			}
			pg.Kill()
			downAt := l.attempted.Load()
			if !waitFor(10*time.Second, func() bool { return errsDown.Load() >= 20 }) {
				t.Error("no errors while PostgreSQL was down")
			}
			pg.Start()
			restarted := okOps()
			recovered := waitFor(30*time.Second, func() bool { return okOps() >= restarted+200 })
			close(stop)
			<-done
			if !recovered {
				t.Error("the Store did not recover after PostgreSQL came back")
			}
			mu.Lock()
			for _, p := range problems {
				t.Error(p)
			}
			mu.Unlock()
			lost := l.verify(t, st, owners)
			// cached_db reads its cache copy first: the rows must hold the sessions too.
			if engine == djangosession.EngineCachedDB {
				lost += l.verify(t, dbStore(t, db, djangosession.EngineDB, nil), owners)
			}
			if n := l.emptyLoads.Load(); n > 0 {
				t.Errorf("%d loads returned an empty or foreign session while PostgreSQL was broken", n)
			}
			if lost > 0 {
				t.Errorf("%d sessions lost", lost)
			}
			summary(t, "postgres-kill-restart-"+name, int(l.attempted.Load()), int(l.errs.Load()), lost,
				"ops_before_kill="+itoa(downAt), "errors_while_down="+itoa(errsDown.Load()),
				"empty_loads="+itoa(l.emptyLoads.Load()), "failed_saves_applied="+itoa(l.failedButApplied.Load()))
			db.Close()
			if closeCache != nil {
				if err := closeCache(); err != nil {
					t.Error(err)
				}
			}
			leak()
		})
	}
}

// TestPostgresStallAndCut puts a proxy between a db Store and PostgreSQL. Stalled (the proxy
// swallows requests, never answers), every load and save must end at the caller's 200 ms
// deadline with an error matching context.DeadlineExceeded; cut (replies cut after two bytes),
// with a typed error; neither is ever a miss. Saves that fail may or may not have committed:
// each session holds its last acknowledged value or that of a failed save, whole. Once the
// proxy forwards again, the same Store works.
func TestPostgresStallAndCut(t *testing.T) {
	requireLive(t)
	pg := startPostgres(t)
	leak := goroutines(t)
	px := newProxy(t, pg.Addr())
	directDB := openPG(t, pg, pg.Addr(), true)
	direct := dbStore(t, directDB, djangosession.EngineDB, nil)
	proxied := openPG(t, pg, px.Addr(), false)
	st := dbStore(t, proxied, djangosession.EngineDB, nil)
	l := newLedger()
	ctx := waitCtx(t, 60*time.Second)
	owners := map[string]int{}
	var keys []string
	for i := range 8 {
		k := l.create(ctx, t, direct, i)
		owners[k] = i
		keys = append(keys, k)
	}
	held := make([]*djangosession.Session, len(keys))
	for i, k := range keys {
		s, err := st.Load(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		held[i] = s
	}
	for _, mode := range []struct {
		name string
		mode int
	}{{"cut", modeCut}, {"stall", modeStall}} {
		t.Run(mode.name, func(t *testing.T) {
			px.SetMode(mode.mode)
			opsBefore, errsBefore := l.attempted.Load(), l.errs.Load()
			l.faultRound(t, ctx, st, keys, held, mode.name, mode.mode == modeStall, "database", checkDBErr)
			lost := l.verify(t, direct, owners)
			applied := l.failedButApplied.Swap(0)
			px.SetMode(modePass)
			// database/sql may hand out a connection the fault broke: the first call on it
			// fails (typed), and the pool replaces it. Within a few tries each session works.
			for i, k := range keys {
				var err error
				for range 5 {
					if err = l.step(ctx, st, k, i); err == nil {
						break
					}
					checkDBErr(t, err)
				}
				if err != nil {
					t.Errorf("after the %s ended: %v", mode.name, err)
				}
			}
			lost += l.verify(t, direct, owners)
			if lost > 0 {
				t.Errorf("%d sessions lost", lost)
			}
			summary(t, "postgres-proxy-"+mode.name, int(l.attempted.Load()-opsBefore), int(l.errs.Load()-errsBefore), lost,
				"failed_saves_applied="+itoa(applied))
		})
	}
	if n := l.emptyLoads.Load(); n > 0 {
		t.Errorf("%d loads returned an empty or foreign session", n)
	}
	proxied.Close()
	directDB.Close()
	px.Close()
	leak()
}
