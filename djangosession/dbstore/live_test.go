package dbstore_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/djangobridge/bridge/djangosession/dbstore"
	"github.com/djangobridge/bridge/djangosession/internal/livetest"

	_ "github.com/go-sql-driver/mysql" // test-only drivers
	_ "github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"
)

// The live tests' contract with scripts/servers-start.sh: a role/user djangobridge that may
// create databases named djangobridge*; each test makes its own and drops it.
const (
	envPostgres = "DJANGOBRIDGE_POSTGRES" // postgres://djangobridge:djangobridge@127.0.0.1:PORT/djangobridge
	envMySQL    = "DJANGOBRIDGE_MYSQL"    // mysql://djangobridge:djangobridge@127.0.0.1:PORT/djangobridge
)

// serverURL returns the URL in env; livetest.Env fails the test with how to start the servers
// when it is unset, and skips it under -short.
func serverURL(t *testing.T, env string) *url.URL {
	t.Helper()
	u, err := url.Parse(livetest.Env(t, env))
	if err != nil {
		t.Fatalf("%s is not a URL", env) // never print it: it holds a password
	}
	return u
}

var dbSeq atomic.Int64

// freshDatabase creates an empty database for one test on the server of dialect d and returns
// the Go driver name and DSN to reach it, plus the name (for Django). The database is
// dropped when the test ends. extra is appended to the MySQL DSN's parameters.
func freshDatabase(t *testing.T, d dbstore.Dialect, extra string) (driverName, dsn, name string) {
	t.Helper()
	name = fmt.Sprintf("djangobridge_dbstore_%d_%d", os.Getpid(), dbSeq.Add(1))
	var admin *sql.DB
	var err error
	switch d {
	case dbstore.SQLite:
		p := filepath.Join(t.TempDir(), "db.sqlite3")
		return "sqlite", p + "?_pragma=busy_timeout(10000)", p
	case dbstore.Postgres:
		u := serverURL(t, envPostgres)
		admin, err = sql.Open("pgx", u.String())
		if err == nil {
			v := *u
			v.Path = "/" + name
			v.RawQuery = extra
			dsn = v.String()
		}
		driverName = "pgx"
	case dbstore.MySQL:
		u := serverURL(t, envMySQL)
		pw, _ := u.User.Password()
		base := fmt.Sprintf("%s:%s@tcp(%s)/", u.User.Username(), pw, u.Host)
		admin, err = sql.Open("mysql", base+strings.TrimPrefix(u.Path, "/"))
		dsn = base + name + "?" + strings.TrimPrefix(extra, "&")
		driverName = "mysql"
	}
	if err != nil {
		t.Fatalf("open admin connection: %v", err)
	}
	ctx := context.Background()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		admin.Close()
		t.Fatalf("CREATE DATABASE %s: %v", name, err)
	}
	t.Cleanup(func() {
		drop := "DROP DATABASE IF EXISTS " + name
		if d == dbstore.Postgres {
			drop += " WITH (FORCE)"
		}
		// A backend of another role (autovacuum) may still be on the database for a moment;
		// FORCE cannot end it without pg_signal_backend: try again briefly.
		var err error
		for range 50 {
			if _, err = admin.ExecContext(ctx, drop); err == nil {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if err != nil {
			t.Errorf("%s: %v", drop, err)
		}
		admin.Close()
	})
	return driverName, dsn, name
}

func openDB(t *testing.T, driverName, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open(driverName, dsn)
	if err != nil {
		t.Fatalf("sql.Open(%s): %v", driverName, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// djangoDDL is the table Django's sessions migration 0001 creates (manage.py sqlmigrate
// sessions 0001), for the tests that run without Django.
var djangoDDL = map[dbstore.Dialect]string{
	dbstore.Postgres: `CREATE TABLE "django_session" ("session_key" varchar(40) NOT NULL PRIMARY KEY, "session_data" text NOT NULL, "expire_date" timestamp with time zone NOT NULL)`,
	dbstore.MySQL:    "CREATE TABLE `django_session` (`session_key` varchar(40) NOT NULL PRIMARY KEY, `session_data` longtext NOT NULL, `expire_date` datetime(6) NOT NULL)",
	dbstore.SQLite:   `CREATE TABLE "django_session" ("session_key" varchar(40) NOT NULL PRIMARY KEY, "session_data" text NOT NULL, "expire_date" datetime NOT NULL)`,
}

// TestRows runs every operation against a real database per dialect, with Django's table and
// the test drivers: SQLite always, PostgreSQL and MariaDB from the environment. MySQL runs
// without clientFoundRows (Update must still find unchanged rows) and, in a second pass, with
// parseTime=true and a loc far from UTC (expire_date must still read as stored).
func TestRows(t *testing.T) {
	for _, tc := range []struct {
		name    string
		dialect dbstore.Dialect
		extra   string
		notz    bool
	}{
		{"sqlite", dbstore.SQLite, "", false},
		{"sqlite/USE_TZ=False", dbstore.SQLite, "", true},
		{"postgres", dbstore.Postgres, "", false},
		{"postgres/USE_TZ=False", dbstore.Postgres, "", true},
		// Django sets the connection's TimeZone to TIME_ZONE with USE_TZ=False; with
		// timestamptz the Go side must not care what the session's TimeZone is.
		{"postgres/TimeZone=Asia/Tokyo", dbstore.Postgres, "timezone=Asia%2FTokyo", true},
		{"mysql", dbstore.MySQL, "", false},
		{"mysql/parseTime,USE_TZ=False", dbstore.MySQL, "parseTime=true&loc=Asia%2FTokyo", true},
		{"mysql/clientFoundRows", dbstore.MySQL, "clientFoundRows=true", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			drv, dsn, _ := freshDatabase(t, tc.dialect, tc.extra)
			db := openDB(t, drv, dsn)
			ctx := context.Background()
			if _, err := db.ExecContext(ctx, djangoDDL[tc.dialect]); err != nil {
				t.Fatal(err)
			}
			tb, err := dbstore.New(db, dbstore.Options{Dialect: tc.dialect, DisableUseTZ: tc.notz})
			if err != nil {
				t.Fatal(err)
			}
			exerciseRows(t, db, tb, tc.dialect)
		})
	}
}

func exerciseRows(t *testing.T, db *sql.DB, tb *dbstore.Table, d dbstore.Dialect) {
	ctx := context.Background()
	now := time.Date(2026, 11, 1, 5, 0, 0, 0, time.UTC) // midnight CDT; Chicago's clocks go back at 02:00
	const key, key2, data = "k1k1k1k1k1k1k1k1k1k1k1k1k1k1k1k1", "k2k2k2k2k2k2k2k2k2k2k2k2k2k2k2k2", "payload:signed"
	exp := now.Add(150 * time.Minute) // 01:30 CST: the second 01:30 of the night
	if err := tb.Insert(ctx, key, data, exp); err != nil {
		t.Fatalf("Insert: %v", err)
	}
	err := tb.Insert(ctx, key, "other", exp)
	if !errors.Is(err, dbstore.ErrDuplicate) {
		t.Fatalf("second Insert: %v, want ErrDuplicate", err)
	}
	if strings.Contains(err.Error(), key) {
		t.Fatalf("message holds the key: %q", err)
	}
	// What the driver hands back for expire_date (the report of `go test -v`).
	var raw any
	if err := db.QueryRowContext(ctx, "SELECT expire_date FROM django_session").Scan(&raw); err != nil {
		t.Fatal(err)
	}
	if d == dbstore.Postgres {
		var zone string
		if err := db.QueryRowContext(ctx, "SHOW TimeZone").Scan(&zone); err != nil {
			t.Fatal(err)
		}
		t.Logf("session TimeZone %s; expire_date arrives as %T %s", zone, raw, raw)
	} else {
		t.Logf("expire_date arrives as %T %s", raw, raw)
	}
	got, gotExp, err := tb.Load(ctx, key, now)
	if err != nil || got != data {
		t.Fatalf("Load: %q, %v", got, err)
	}
	// Naive local storage (USE_TZ=False on MySQL/SQLite) cannot tell the two 01:30s apart;
	// like Python (fold=0) it reads the first. Every other case is exact.
	if !gotExp.Equal(exp) && !gotExp.Equal(exp.Add(-time.Hour)) {
		t.Fatalf("Load expire %v, want %v", gotExp, exp)
	}
	if _, _, err := tb.Load(ctx, key, exp); !errors.Is(err, dbstore.ErrNotFound) {
		t.Fatalf("Load at expiry: %v, want ErrNotFound", err)
	}
	// Microseconds survive; nanoseconds are dropped as Python would.
	exp2 := time.Date(2027, 1, 2, 3, 4, 5, 123456789, time.UTC)
	if err := tb.Update(ctx, key, data+"2", exp2); err != nil {
		t.Fatalf("Update: %v", err)
	}
	// The same values again: MySQL changes nothing and, without clientFoundRows, reports 0 rows.
	if err := tb.Update(ctx, key, data+"2", exp2); err != nil {
		t.Fatalf("unchanged Update: %v", err)
	}
	if got, gotExp, err = tb.Load(ctx, key, now); err != nil || got != data+"2" || !gotExp.Equal(exp2.Truncate(time.Microsecond)) {
		t.Fatalf("Load after Update: %q, %v, %v", got, gotExp, err)
	}
	if err := tb.Update(ctx, key2, data, exp2); !errors.Is(err, dbstore.ErrNoRow) {
		t.Fatalf("Update of a missing row: %v, want ErrNoRow", err)
	}
	if ok, err := tb.Exists(ctx, key); !ok || err != nil {
		t.Fatalf("Exists: %v, %v", ok, err)
	}
	// Expired rows: a miss for Load, present for Exists, gone after ClearExpired.
	past := now.Add(-time.Second)
	if err := tb.Insert(ctx, key2, data, past); err != nil {
		t.Fatal(err)
	}
	if _, _, err := tb.Load(ctx, key2, now); !errors.Is(err, dbstore.ErrNotFound) {
		t.Fatalf("Load of an expired row: %v, want ErrNotFound", err)
	}
	if ok, err := tb.Exists(ctx, key2); !ok || err != nil {
		t.Fatalf("Exists of an expired row: %v, %v", ok, err)
	}
	if n, err := tb.ClearExpired(ctx, now); n != 1 || err != nil {
		t.Fatalf("ClearExpired: %d, %v; want 1", n, err)
	}
	if ok, err := tb.Exists(ctx, key2); ok || err != nil {
		t.Fatalf("Exists after ClearExpired: %v, %v", ok, err)
	}
	if err := tb.Delete(ctx, key); err != nil {
		t.Fatal(err)
	}
	if err := tb.Delete(ctx, key); err != nil {
		t.Fatalf("Delete of a missing row: %v", err)
	}
	if _, _, err := tb.Load(ctx, key, now); !errors.Is(err, dbstore.ErrNotFound) {
		t.Fatalf("Load after Delete: %v", err)
	}
	// A key no Django session has (a NUL byte, invalid UTF-8, over 40 bytes) is a miss or a
	// database error (PostgreSQL rejects NUL in text, as psycopg does for Django), never a
	// panic, and the message does not repeat it.
	for _, bad := range []string{"\x00nul\x00key0", "\xff\xfe-not-utf8", strings.Repeat("k", 41)} {
		_, _, err := tb.Load(ctx, bad, now)
		var e *dbstore.Error
		if !errors.Is(err, dbstore.ErrNotFound) && !errors.As(err, &e) {
			t.Fatalf("Load of a malformed key: %v", err)
		}
		if err != nil && strings.Contains(err.Error(), bad) {
			t.Fatalf("message holds the key: %q", err)
		}
		t.Logf("Load(%q): %v", bad[:4], err)
	}
	// A cancelled context reaches the caller as itself.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, _, err := tb.Load(cctx, key, now); !errors.Is(err, context.Canceled) {
		t.Fatalf("Load with a cancelled context: %v", err)
	}
	if d == dbstore.SQLite {
		// SQLite stores whatever text it is given: a value Django could not have written is
		// an error, not a miss.
		if _, err := db.ExecContext(ctx, `INSERT INTO django_session VALUES ('bad', 'x', 'next tuesday')`); err != nil {
			t.Fatal(err)
		}
		if _, _, err := tb.Load(ctx, "bad", time.Date(1000, 1, 1, 0, 0, 0, 0, time.UTC)); !errors.Is(err, dbstore.ErrBadExpireDate) {
			t.Fatalf("Load of a malformed expire_date: %v, want ErrBadExpireDate", err)
		}
	}
}
