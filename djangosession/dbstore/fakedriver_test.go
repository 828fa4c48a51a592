package dbstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"testing"
)

// fakeDriver is a database/sql driver that records each statement with its arguments and
// answers from a script: the unit tests check the exact SQL per dialect without a server.
type fakeDriver struct {
	mu    sync.Mutex
	calls []fakeCall
	// answer returns the rows (for a query) or the affected count (for an exec), or an error.
	answer func(query string, args []driver.Value) (rows [][]driver.Value, affected int64, err error)
}

type fakeCall struct {
	Query string
	Args  []driver.Value
}

var fakeSeq atomic.Int64

// openFake registers a fresh fake driver and returns a *sql.DB on it.
func openFake(t *testing.T, answer func(string, []driver.Value) ([][]driver.Value, int64, error)) (*sql.DB, *fakeDriver) {
	t.Helper()
	d := &fakeDriver{answer: answer}
	name := fmt.Sprintf("dbstore-fake-%d", fakeSeq.Add(1))
	sql.Register(name, d)
	db, err := sql.Open(name, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, d
}

func (d *fakeDriver) Calls() []fakeCall {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]fakeCall(nil), d.calls...)
}

func (d *fakeDriver) Open(string) (driver.Conn, error) { return &fakeConn{d: d}, nil }

type fakeConn struct{ d *fakeDriver }

func (c *fakeConn) Prepare(string) (driver.Stmt, error) { return nil, errors.New("fake: no Prepare") }
func (c *fakeConn) Close() error                        { return nil }
func (c *fakeConn) Begin() (driver.Tx, error)           { return nil, errors.New("fake: no transactions") }

func (c *fakeConn) record(query string, named []driver.NamedValue) ([][]driver.Value, int64, error) {
	args := make([]driver.Value, len(named))
	for i, a := range named {
		args[i] = a.Value
	}
	c.d.mu.Lock()
	c.d.calls = append(c.d.calls, fakeCall{query, args})
	c.d.mu.Unlock()
	if c.d.answer == nil {
		return nil, 0, nil
	}
	return c.d.answer(query, args)
}

func (c *fakeConn) QueryContext(_ context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	rows, _, err := c.record(query, args)
	if err != nil {
		return nil, err
	}
	return &fakeRows{rows: rows}, nil
}

func (c *fakeConn) ExecContext(_ context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	_, n, err := c.record(query, args)
	if err != nil {
		return nil, err
	}
	return driver.RowsAffected(n), nil
}

type fakeRows struct {
	rows [][]driver.Value
	i    int
}

func (r *fakeRows) Columns() []string {
	if len(r.rows) == 0 {
		return []string{"a", "b"}
	}
	cols := make([]string, len(r.rows[0]))
	for i := range cols {
		cols[i] = fmt.Sprintf("c%d", i)
	}
	return cols
}
func (r *fakeRows) Close() error { return nil }
func (r *fakeRows) Next(dest []driver.Value) error {
	if r.i >= len(r.rows) {
		return io.EOF
	}
	copy(dest, r.rows[r.i])
	r.i++
	return nil
}
