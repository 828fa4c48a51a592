package authdb_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/djangobridge/bridge/auth/authdb"
	"github.com/djangobridge/bridge/djangosession"
)

// fakeDriver is an in-test database/sql driver: a table of users keyed by id, and a record
// of the queries it ran. The query text itself is checked against a real Django schema in
// compat_test/http_live_test.go.
type fakeDriver struct {
	mu      sync.Mutex
	users   map[any][]driver.Value // id -> (password, is_active)
	queries []string
	down    bool
}

func (d *fakeDriver) Open(string) (driver.Conn, error) { return &fakeConn{d}, nil }

type fakeConn struct{ d *fakeDriver }

func (c *fakeConn) Prepare(q string) (driver.Stmt, error) { return &fakeStmt{c.d, q}, nil }
func (c *fakeConn) Close() error                          { return nil }
func (c *fakeConn) Begin() (driver.Tx, error)             { return nil, errors.New("no transactions") }

type fakeStmt struct {
	d *fakeDriver
	q string
}

func (s *fakeStmt) Close() error                               { return nil }
func (s *fakeStmt) NumInput() int                              { return 1 }
func (s *fakeStmt) Exec([]driver.Value) (driver.Result, error) { return nil, errors.New("read only") }
func (s *fakeStmt) Query(args []driver.Value) (driver.Rows, error) {
	s.d.mu.Lock()
	defer s.d.mu.Unlock()
	s.d.queries = append(s.d.queries, s.q)
	if s.d.down {
		return nil, errors.New("connection refused")
	}
	row, ok := s.d.users[args[0]]
	r := &fakeRows{cols: []string{"password", "is_active"}}
	if !strings.Contains(s.q, "is_active") {
		r.cols = r.cols[:1]
		if ok {
			row = row[:1]
		}
	}
	if ok {
		r.rows = [][]driver.Value{row}
	}
	return r, nil
}

type fakeRows struct {
	cols []string
	rows [][]driver.Value
}

func (r *fakeRows) Columns() []string { return r.cols }
func (r *fakeRows) Close() error      { return nil }
func (r *fakeRows) Next(dest []driver.Value) error {
	if len(r.rows) == 0 {
		return io.EOF
	}
	copy(dest, r.rows[0])
	r.rows = r.rows[1:]
	return nil
}

var registerOnce sync.Once
var fake = &fakeDriver{users: map[any][]driver.Value{
	int64(1): {"pbkdf2_sha256$1000000$salt$hash", true},
	int64(2): {"pbkdf2_sha256$1000000$salt$other", false},
	"4f0c":   {"argon2$x", true},
}}

func openFake(t *testing.T) *sql.DB {
	registerOnce.Do(func() { sql.Register("authdbfake", fake) })
	db, err := sql.Open("authdbfake", "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestQuery(t *testing.T) {
	tests := []struct {
		opts authdb.Options
		want string
	}{
		{authdb.Options{}, "SELECT password, is_active FROM auth_user WHERE id = ?"},
		{authdb.Options{Table: "accounts.member", IDColumn: "uuid", ActiveColumn: "-", Placeholder: "$1"},
			"SELECT password FROM accounts.member WHERE uuid = $1"},
	}
	for _, tt := range tests {
		got, err := tt.opts.Query()
		if err != nil || got != tt.want {
			t.Errorf("%+v: %q %v", tt.opts, got, err)
		}
	}
	// Hand-made names that would be SQL injection, and an unknown placeholder.
	for _, bad := range []authdb.Options{
		{Table: "auth_user; DROP TABLE x"}, {IDColumn: "id OR 1=1"}, {PasswordColumn: `"p"`},
		{ActiveColumn: "a b"}, {Placeholder: "%s"}, {Table: "a.b.c"},
	} {
		if _, err := bad.Query(); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}

func TestPasswordHash(t *testing.T) {
	ctx := context.Background()
	db := openFake(t)
	lookup, err := authdb.NewPasswordHashFunc(db, authdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		id   string
		want string
		err  error
	}{
		{"1", "pbkdf2_sha256$1000000$salt$hash", nil},
		{"2", "", djangosession.ErrNotFound}, // inactive
		{"3", "", djangosession.ErrNotFound}, // missing
		{"abc", "", djangosession.ErrNotFound},
		{"", "", djangosession.ErrNotFound},
	}
	for _, tt := range tests {
		got, err := lookup(ctx, tt.id)
		if got != tt.want || !errors.Is(err, tt.err) {
			t.Errorf("id %q: %q, %v; want %q, %v", tt.id, got, err, tt.want, tt.err)
		}
	}
	// No is_active check: the inactive user is found.
	all, _ := authdb.NewPasswordHashFunc(db, authdb.Options{ActiveColumn: "-"})
	if got, err := all(ctx, "2"); err != nil || got != "pbkdf2_sha256$1000000$salt$other" {
		t.Errorf("without is_active: %q %v", got, err)
	}
	strs, _ := authdb.NewPasswordHashFunc(db, authdb.Options{StringIDs: true})
	if got, err := strs(ctx, "4f0c"); err != nil || got != "argon2$x" {
		t.Errorf("string ids: %q %v", got, err)
	}
	// A database outage is an error, not "no such user".
	fake.mu.Lock()
	fake.down = true
	fake.mu.Unlock()
	defer func() { fake.mu.Lock(); fake.down = false; fake.mu.Unlock() }()
	if _, err := lookup(ctx, "1"); err == nil || errors.Is(err, djangosession.ErrNotFound) {
		t.Errorf("database down: %v", err)
	}
}

func TestPasswordHashNilDB(t *testing.T) {
	if _, err := authdb.NewPasswordHashFunc(nil, authdb.Options{}); err == nil {
		t.Error("nil db accepted")
	}
	if _, err := authdb.NewPasswordHashFunc(openFake(t), authdb.Options{Table: "x y"}); err == nil {
		t.Error("bad table accepted")
	}
}
