package dbstore_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/djangobridge/bridge/djangosession/dbstore"
)

// djangoIDs are the Django versions of compat_test/FORMAT.md.
var djangoIDs = []string{"3.2", "4.2", "5.2", "6.0", "6.1"}

// venvPython returns the python of the venv for Django id, failing (skipping under -short)
// when it is missing. The venvs live in DJANGOBRIDGE_VENVS (default compat_test/.venvs) and
// need psycopg (psycopg2 for 3.2) and mysqlclient besides Django.
func venvPython(t *testing.T, id string) string {
	t.Helper()
	dir := os.Getenv("DJANGOBRIDGE_VENVS")
	if dir == "" {
		dir = filepath.Join("..", "..", "compat_test", ".venvs")
	}
	py := filepath.Join(dir, "django-"+id, "bin", "python")
	if _, err := os.Stat(py); err != nil {
		if testing.Short() {
			t.Skipf("no venv for Django %s (-short)", id)
		}
		t.Fatalf("no venv for Django %s at %s: create it with compat_test/setup.sh (or set DJANGOBRIDGE_VENVS; "+
			"go test -short skips live tests)", id, py)
	}
	return py
}

// djangoRows is one compat_test/dbrows.py process: Django's db session engine on one database.
type djangoRows struct {
	t      *testing.T
	cmd    *exec.Cmd
	in     io.WriteCloser
	out    *bufio.Reader
	stderr *lockedBuffer
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func startDjango(t *testing.T, python, engine, name string, useTZ bool, timeZone string) *djangoRows {
	t.Helper()
	tz := "0"
	if useTZ {
		tz = "1"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	cmd := exec.CommandContext(ctx, python, filepath.Join("..", "..", "compat_test", "dbrows.py"), engine, name, tz, timeZone)
	p := &djangoRows{t: t, cmd: cmd, stderr: &lockedBuffer{}}
	cmd.Stderr = p.stderr
	var err error
	if p.in, err = cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p.out = bufio.NewReaderSize(stdout, 1<<16)
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("start dbrows.py: %v", err)
	}
	t.Cleanup(func() {
		p.in.Close()
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cancel()
			<-done
		}
		cancel()
	})
	p.read("start")
	return p
}

func (p *djangoRows) read(what string) map[string]any {
	p.t.Helper()
	line, err := p.out.ReadBytes('\n')
	if err != nil {
		p.t.Fatalf("dbrows.py %s: %v; stderr:\n%s", what, err, p.stderr.String())
	}
	var resp map[string]any
	if err := json.Unmarshal(line, &resp); err != nil {
		p.t.Fatalf("dbrows.py %s: %v in %q", what, err, line)
	}
	if resp["ok"] != true {
		p.t.Fatalf("dbrows.py %s: %v: %v", what, resp["error"], resp["message"])
	}
	return resp
}

func (p *djangoRows) do(req map[string]any) map[string]any {
	p.t.Helper()
	b, err := json.Marshal(req)
	if err != nil {
		p.t.Fatal(err)
	}
	if _, err := p.in.Write(append(b, '\n')); err != nil {
		p.t.Fatalf("dbrows.py: %v; stderr:\n%s", err, p.stderr.String())
	}
	return p.read(fmt.Sprint(req["op"]))
}

// unixFloat is a time as the float of seconds dbrows.py sends (microseconds exact).
func unixFloat(t time.Time) float64 { return float64(t.UnixMicro()) / 1e6 }

func fromUnixFloat(f float64) time.Time {
	return time.UnixMicro(int64(math.Round(f * 1e6)))
}

// TestDjango has Django (each version, each dialect, USE_TZ True and False) and Go share one
// session table that Django's migrate created: rows Django writes load in Go with the same data
// and expiry; rows Go writes load in Django; expired rows are a miss on both sides; and
// ClearExpired removes exactly the rows clear_expired (clearsessions) removes.
func TestDjango(t *testing.T) {
	for _, id := range djangoIDs {
		for _, d := range []dbstore.Dialect{dbstore.SQLite, dbstore.Postgres, dbstore.MySQL} {
			for _, useTZ := range []bool{true, false} {
				name := fmt.Sprintf("%s/%v/USE_TZ=%v", id, d, useTZ)
				t.Run(name, func(t *testing.T) {
					t.Parallel()
					python := venvPython(t, id)
					drv, dsn, dbName := freshDatabase(t, d, "")
					py := startDjango(t, python, d.String(), dbName, useTZ, dbstore.DefaultTimeZone)
					db := openDB(t, drv, dsn)
					tb, err := dbstore.New(db, dbstore.Options{Dialect: d, DisableUseTZ: !useTZ})
					if err != nil {
						t.Fatal(err)
					}
					crossCheck(t, py, tb, d, useTZ)
				})
			}
		}
	}
}

func crossCheck(t *testing.T, py *djangoRows, tb *dbstore.Table, d dbstore.Dialect, useTZ bool) {
	ctx := context.Background()
	t0 := time.Date(2026, 7, 4, 12, 0, 0, 0, time.UTC) // CDT in Chicago
	key := func(c string) string { return strings.Repeat(c, 32) }
	save := func(k string, n int, expiry int, now time.Time) (string, time.Time) {
		r := py.do(map[string]any{"op": "save", "key": k, "data": map[string]any{"n": n},
			"expiry": expiry, "must_create": true, "now": unixFloat(now)})
		return r["session_data"].(string), fromUnixFloat(r["expire_unix"].(float64))
	}
	djangoLoad := func(k string, now time.Time) (bool, any) {
		r := py.do(map[string]any{"op": "load", "key": k, "now": unixFloat(now)})
		return r["found"].(bool), r["data"]
	}

	// Rows Django writes, loaded by Go.
	dataA, expA := save(key("a"), 1, 3600, t0)
	dataB, expB := save(key("b"), 2, 3600, t0.Add(250*time.Millisecond))
	_, expC := save(key("c"), 3, 10, t0.Add(-20*time.Second)) // expired 10 s before t0
	_, expD := save(key("d"), 4, 3600, t0.Add(-time.Hour))    // expires exactly at t0
	for _, c := range []struct {
		k    string
		data string
		exp  time.Time
		want time.Time
	}{
		{key("a"), dataA, expA, t0.Add(time.Hour)},
		{key("b"), dataB, expB, t0.Add(time.Hour + 250*time.Millisecond)},
	} {
		if !c.exp.Equal(c.want) {
			t.Fatalf("Django wrote expire_date %v, want %v", c.exp, c.want)
		}
		data, exp, err := tb.Load(ctx, c.k, t0)
		if err != nil || data != c.data || !exp.Equal(c.want) {
			t.Fatalf("Load of Django's row: %q, %v, %v; want %q, %v", data, exp, err, c.data, c.want)
		}
	}
	if !expC.Equal(t0.Add(-10*time.Second)) || !expD.Equal(t0) {
		t.Fatalf("Django wrote expire_dates %v, %v", expC, expD)
	}
	for _, k := range []string{key("c"), key("d")} {
		if _, _, err := tb.Load(ctx, k, t0); !errors.Is(err, dbstore.ErrNotFound) {
			t.Fatalf("Load of an expired row: %v, want ErrNotFound", err)
		}
		if found, _ := djangoLoad(k, t0); found {
			t.Fatalf("Django loaded an expired row")
		}
		if ok, err := tb.Exists(ctx, k); !ok || err != nil {
			t.Fatalf("Exists of an expired row: %v, %v", ok, err)
		}
	}
	if _, _, err := tb.Load(ctx, key("d"), t0.Add(-time.Microsecond)); err != nil {
		t.Fatalf("Load a microsecond before expiry: %v", err)
	}

	// Rows Go writes, loaded by Django.
	expE, expF := t0.Add(2*time.Hour), t0.Add(2*time.Hour+time.Microsecond)
	for _, r := range []struct {
		k, data string
		exp     time.Time
	}{
		{key("e"), dataA, expE},
		{key("f"), dataB, expF},
		{key("g"), dataA, t0.Add(-time.Microsecond)}, // expired
		{key("h"), dataA, t0},                        // expires at t0
	} {
		if err := tb.Insert(ctx, r.k, r.data, r.exp); err != nil {
			t.Fatalf("Insert: %v", err)
		}
	}
	if found, data := djangoLoad(key("e"), t0); !found || nOf(data) != 1 {
		t.Fatalf("Django load of Go's row: %v %v", found, data)
	}
	if found, data := djangoLoad(key("f"), t0); !found || nOf(data) != 2 {
		t.Fatalf("Django load of Go's row: %v %v", found, data)
	}
	for _, k := range []string{key("g"), key("h")} {
		if found, _ := djangoLoad(k, t0); found {
			t.Fatalf("Django loaded Go's expired row")
		}
	}
	if found, _ := djangoLoad(key("f"), expF); found {
		t.Fatalf("Django loaded Go's row at its expiry")
	}
	if found, _ := djangoLoad(key("f"), expE); !found {
		t.Fatalf("Django missed Go's row a microsecond before its expiry")
	}
	rows := djangoRowsByKey(t, py)
	for k, want := range map[string]time.Time{key("e"): expE, key("f"): expF} {
		if got := rows[k].expire; !got.Equal(want) {
			t.Fatalf("Django reads Go's expire_date as %v, want %v", got, want)
		}
	}
	if d != dbstore.Postgres {
		// Go writes the text Django writes: same format, same zone.
		raw := map[string]string{}
		for _, r := range py.do(map[string]any{"op": "raw"})["rows"].([]any) {
			kv := r.([]any)
			raw[kv[0].(string)] = kv[1].(string)
		}
		loc := time.UTC
		if !useTZ {
			loc, _ = time.LoadLocation(dbstore.DefaultTimeZone)
		}
		for k, exp := range map[string]time.Time{key("a"): expA, key("b"): expB, key("e"): expE, key("f"): expF} {
			want := exp.In(loc).Format("2006-01-02 15:04:05")
			if exp.Nanosecond() != 0 || d == dbstore.MySQL { // MySQL's datetime(6) always shows 6 digits
				want = exp.In(loc).Format("2006-01-02 15:04:05.000000")
			}
			if raw[k] != want {
				t.Errorf("expire_date text of %s...: %q, want %q", k[:4], raw[k], want)
			}
		}
	}

	// Insert of a taken key; Update as Django's save(must_create=False).
	if err := tb.Insert(ctx, key("a"), dataB, expA); !errors.Is(err, dbstore.ErrDuplicate) {
		t.Fatalf("Insert of Django's key: %v, want ErrDuplicate", err)
	}
	if err := tb.Update(ctx, key("a"), dataB, expA); err != nil {
		t.Fatalf("Update: %v", err)
	}
	if err := tb.Update(ctx, key("a"), dataB, expA); err != nil {
		t.Fatalf("unchanged Update: %v", err)
	}
	if found, data := djangoLoad(key("a"), t0); !found || nOf(data) != 2 {
		t.Fatalf("Django load after Go's Update: %v %v", found, data)
	}
	if err := tb.Update(ctx, key("z"), dataB, expA); !errors.Is(err, dbstore.ErrNoRow) {
		t.Fatalf("Update of a missing row: %v, want ErrNoRow", err)
	}
	// Django's own update runs one UPDATE and no SELECT before it.
	r := py.do(map[string]any{"op": "save", "key": key("a"), "data": map[string]any{"n": 5},
		"expiry": 3600, "must_create": false, "now": unixFloat(t0)})
	var stmts []string
	for _, q := range r["queries"].([]any) {
		s := q.(string)
		if !strings.HasPrefix(s, "BEGIN") && !strings.HasPrefix(s, "COMMIT") && !strings.Contains(s, "SAVEPOINT") {
			stmts = append(stmts, s)
		}
	}
	if len(stmts) == 0 || !strings.HasPrefix(stmts[0], "UPDATE ") {
		t.Fatalf("Django's save(must_create=False) ran %q", stmts)
	}

	// ClearExpired against clear_expired: Django first, then the same rows again for Go.
	before := djangoRowsByKey(t, py)
	py.do(map[string]any{"op": "clear_expired", "now": unixFloat(t0)})
	afterDjango := djangoRowsByKey(t, py)
	var gone []string
	for k := range before {
		if _, ok := afterDjango[k]; !ok {
			gone = append(gone, k)
		}
	}
	sort.Strings(gone)
	if want := []string{key("c"), key("g")}; fmt.Sprint(gone) != fmt.Sprint(want) {
		t.Fatalf("clear_expired removed %v, want %v", gone, want)
	}
	for _, k := range gone {
		if err := tb.Insert(ctx, k, before[k].data, before[k].expire); err != nil {
			t.Fatal(err)
		}
	}
	n, err := tb.ClearExpired(ctx, t0)
	if err != nil || n != int64(len(gone)) {
		t.Fatalf("ClearExpired: %d, %v; want %d", n, err, len(gone))
	}
	afterGo := djangoRowsByKey(t, py)
	if fmt.Sprint(keysOf(afterGo)) != fmt.Sprint(keysOf(afterDjango)) {
		t.Fatalf("after ClearExpired %v, after clear_expired %v", keysOf(afterGo), keysOf(afterDjango))
	}

	// Delete on either side.
	if err := tb.Delete(ctx, key("a")); err != nil {
		t.Fatal(err)
	}
	if r := py.do(map[string]any{"op": "exists", "key": key("a")}); r["exists"] != false {
		t.Fatalf("Django sees a row Go deleted")
	}
	py.do(map[string]any{"op": "delete", "key": key("e")})
	if ok, err := tb.Exists(ctx, key("e")); ok || err != nil {
		t.Fatalf("Exists of a row Django deleted: %v, %v", ok, err)
	}
}

// nOf is the "n" of a session dict Django loaded (its other key is _session_expiry).
func nOf(data any) float64 {
	m, _ := data.(map[string]any)
	n, _ := m["n"].(float64)
	return n
}

type djangoRow struct {
	data   string
	expire time.Time
}

func djangoRowsByKey(t *testing.T, py *djangoRows) map[string]djangoRow {
	t.Helper()
	m := map[string]djangoRow{}
	for _, r := range py.do(map[string]any{"op": "rows"})["rows"].([]any) {
		row := r.(map[string]any)
		m[row["key"].(string)] = djangoRow{row["session_data"].(string), fromUnixFloat(row["expire_unix"].(float64))}
	}
	return m
}

func keysOf(m map[string]djangoRow) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
