package dbstore

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

const (
	testKey  = "abcdefgh12345678abcdefgh12345678"
	testData = "eyJhIjoxfQ:1xZVj9:Aie4Xt6r74j--PM7WOinAnqvnZTGmO9GK2s31wth9n8"
)

func mustNew(t *testing.T, opts Options, answer func(string, []driver.Value) ([][]driver.Value, int64, error)) (*Table, *fakeDriver) {
	t.Helper()
	db, d := openFake(t, answer)
	tb, err := New(db, opts)
	if err != nil {
		t.Fatal(err)
	}
	return tb, d
}

// TestSQL pins each statement per dialect, as doc.go shows them. The shapes were checked
// against the SQL Django 3.2-6.1 runs (compat_test/dbrows.py reports it).
func TestSQL(t *testing.T) {
	exp := time.Date(2026, 12, 4, 17, 0, 0, 500000000, time.UTC)
	now := time.Date(2026, 12, 4, 16, 0, 0, 0, time.UTC)
	type stmt struct {
		query string
		args  []driver.Value
	}
	for _, tc := range []struct {
		opts                                     Options
		load, exists, insert, update, del, clear stmt
	}{
		{
			opts:   Options{Dialect: Postgres},
			load:   stmt{`SELECT "session_data", "expire_date" FROM "django_session" WHERE "expire_date" > $1 AND "session_key" = $2`, []driver.Value{now, testKey}},
			exists: stmt{`SELECT 1 FROM "django_session" WHERE "session_key" = $1 LIMIT 1`, []driver.Value{testKey}},
			insert: stmt{`INSERT INTO "django_session" ("session_key", "session_data", "expire_date") VALUES ($1, $2, $3)`, []driver.Value{testKey, testData, exp}},
			update: stmt{`UPDATE "django_session" SET "session_data" = $1, "expire_date" = $2 WHERE "session_key" = $3`, []driver.Value{testData, exp, testKey}},
			del:    stmt{`DELETE FROM "django_session" WHERE "session_key" = $1`, []driver.Value{testKey}},
			clear:  stmt{`DELETE FROM "django_session" WHERE "expire_date" < $1`, []driver.Value{now}},
		},
		{
			opts:   Options{Dialect: MySQL, Table: "my`sessions"},
			load:   stmt{"SELECT `session_data`, `expire_date` FROM `my``sessions` WHERE `expire_date` > ? AND `session_key` = ?", []driver.Value{"2026-12-04 16:00:00", testKey}},
			exists: stmt{"SELECT 1 FROM `my``sessions` WHERE `session_key` = ? LIMIT 1", []driver.Value{testKey}},
			insert: stmt{"INSERT INTO `my``sessions` (`session_key`, `session_data`, `expire_date`) VALUES (?, ?, ?)", []driver.Value{testKey, testData, "2026-12-04 17:00:00.500000"}},
			update: stmt{"UPDATE `my``sessions` SET `session_data` = ?, `expire_date` = ? WHERE `session_key` = ?", []driver.Value{testData, "2026-12-04 17:00:00.500000", testKey}},
			del:    stmt{"DELETE FROM `my``sessions` WHERE `session_key` = ?", []driver.Value{testKey}},
			clear:  stmt{"DELETE FROM `my``sessions` WHERE `expire_date` < ?", []driver.Value{"2026-12-04 16:00:00"}},
		},
		{
			opts:   Options{Dialect: SQLite, DisableUseTZ: true}, // America/Chicago: UTC-6 in December
			load:   stmt{`SELECT "session_data", "expire_date" FROM "django_session" WHERE "expire_date" > ? AND "session_key" = ?`, []driver.Value{"2026-12-04 10:00:00", testKey}},
			exists: stmt{`SELECT 1 FROM "django_session" WHERE "session_key" = ? LIMIT 1`, []driver.Value{testKey}},
			insert: stmt{`INSERT INTO "django_session" ("session_key", "session_data", "expire_date") VALUES (?, ?, ?)`, []driver.Value{testKey, testData, "2026-12-04 11:00:00.500000"}},
			update: stmt{`UPDATE "django_session" SET "session_data" = ?, "expire_date" = ? WHERE "session_key" = ?`, []driver.Value{testData, "2026-12-04 11:00:00.500000", testKey}},
			del:    stmt{`DELETE FROM "django_session" WHERE "session_key" = ?`, []driver.Value{testKey}},
			clear:  stmt{`DELETE FROM "django_session" WHERE "expire_date" < ?`, []driver.Value{"2026-12-04 10:00:00"}},
		},
	} {
		t.Run(tc.opts.Dialect.String(), func(t *testing.T) {
			tb, d := mustNew(t, tc.opts, func(q string, _ []driver.Value) ([][]driver.Value, int64, error) {
				switch {
				case strings.HasPrefix(q, "SELECT 1"):
					return [][]driver.Value{{int64(1)}}, 0, nil
				case strings.HasPrefix(q, "SELECT"):
					return [][]driver.Value{{testData, exp}}, 0, nil
				}
				return nil, 1, nil
			})
			ctx := context.Background()
			if _, _, err := tb.Load(ctx, testKey, now); err != nil {
				t.Fatal(err)
			}
			if _, err := tb.Exists(ctx, testKey); err != nil {
				t.Fatal(err)
			}
			if err := tb.Insert(ctx, testKey, testData, exp.Add(123)); err != nil { // ns dropped
				t.Fatal(err)
			}
			if err := tb.Update(ctx, testKey, testData, exp); err != nil {
				t.Fatal(err)
			}
			if err := tb.Delete(ctx, testKey); err != nil {
				t.Fatal(err)
			}
			if _, err := tb.ClearExpired(ctx, now); err != nil {
				t.Fatal(err)
			}
			want := []stmt{tc.load, tc.exists, tc.insert, tc.update, tc.del, tc.clear}
			calls := d.Calls()
			if len(calls) != len(want) {
				t.Fatalf("%d statements, want %d: %v", len(calls), len(want), calls)
			}
			for i, w := range want {
				if calls[i].Query != w.query {
					t.Errorf("statement %d:\n got %s\nwant %s", i, calls[i].Query, w.query)
				}
				if fmt.Sprint(calls[i].Args) != fmt.Sprint(w.args) {
					t.Errorf("statement %d args: got %v, want %v", i, calls[i].Args, w.args)
				}
			}
		})
	}
}

// TestUpdateMySQLFoundRows: without clientFoundRows an unchanged row reports 0 affected rows;
// Update then asks whether the row exists. Other dialects trust the count.
func TestUpdateMySQLFoundRows(t *testing.T) {
	exp := time.Date(2026, 12, 4, 17, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		dialect   Dialect
		rowExists bool
		want      error
		stmts     int
	}{
		{MySQL, true, nil, 2},
		{MySQL, false, ErrNoRow, 2},
		{Postgres, true, ErrNoRow, 1}, // 0 affected on PostgreSQL means no row
		{SQLite, true, ErrNoRow, 1},
	} {
		t.Run(fmt.Sprintf("%v/exists=%v", tc.dialect, tc.rowExists), func(t *testing.T) {
			tb, d := mustNew(t, Options{Dialect: tc.dialect}, func(q string, _ []driver.Value) ([][]driver.Value, int64, error) {
				if strings.HasPrefix(q, "SELECT 1") && tc.rowExists {
					return [][]driver.Value{{int64(1)}}, 0, nil
				}
				return nil, 0, nil
			})
			err := tb.Update(context.Background(), testKey, testData, exp)
			if !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
				t.Fatalf("Update: %v, want %v", err, tc.want)
			}
			if n := len(d.Calls()); n != tc.stmts {
				t.Fatalf("%d statements, want %d", n, tc.stmts)
			}
		})
	}
}

func TestNewInvalid(t *testing.T) {
	db, _ := openFake(t, nil)
	for _, tc := range []struct {
		name string
		opts Options
	}{
		{"no dialect", Options{}},
		{"unknown dialect", Options{Dialect: 9}},
		{"NUL in table", Options{Dialect: SQLite, Table: "a\x00b"}},
		{"bad UTF-8", Options{Dialect: SQLite, Table: "a\xffb"}},
		{"unterminated quoted table", Options{Dialect: Postgres, Table: `"a`}},
		{"SQL after quoted table", Options{Dialect: Postgres, Table: `"a"; DROP TABLE x; --`}},
		{"quoted then junk", Options{Dialect: Postgres, Table: `"a".b`}},
		{"empty quoted", Options{Dialect: Postgres, Table: `""`}},
		{"mysql quoted junk", Options{Dialect: MySQL, Table: "`a` x"}},
		{"unknown time zone", Options{Dialect: MySQL, DisableUseTZ: true, TimeZone: "Mars/Olympus"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(db, tc.opts)
			if !errors.Is(err, ErrInvalidOptions) {
				t.Fatalf("New: %v, want ErrInvalidOptions", err)
			}
		})
	}
	if _, err := New(nil, Options{Dialect: SQLite}); !errors.Is(err, ErrInvalidOptions) {
		t.Fatalf("New(nil): %v", err)
	}
}

func TestQuoteTable(t *testing.T) {
	for _, tc := range []struct {
		d          Dialect
		name, want string
	}{
		{Postgres, "django_session", `"django_session"`},
		{Postgres, "my.sessions", `"my.sessions"`}, // one identifier, as Django's quote_name
		{Postgres, `we"ird`, `"we""ird"`},
		{Postgres, `"myschema"."sessions"`, `"myschema"."sessions"`},
		{Postgres, `"a""b"`, `"a""b"`},
		{SQLite, "s", `"s"`},
		{MySQL, "django_session", "`django_session`"},
		{MySQL, "`db`.`sessions`", "`db`.`sessions`"},
		{MySQL, `"x"`, "`\"x\"`"},
	} {
		got, err := quoteTable(tc.d, tc.name)
		if err != nil || got != tc.want {
			t.Errorf("quoteTable(%v, %q) = %q, %v; want %q", tc.d, tc.name, got, err, tc.want)
		}
	}
}

func TestTimeArg(t *testing.T) {
	chicago := Options{DisableUseTZ: true}
	for _, tc := range []struct {
		dialect Dialect
		opts    Options
		in      time.Time
		want    any
	}{
		{SQLite, Options{}, time.Date(2026, 12, 4, 17, 0, 0, 0, time.UTC), "2026-12-04 17:00:00"},
		{SQLite, Options{}, time.Date(2026, 12, 4, 17, 0, 0, 1000, time.UTC), "2026-12-04 17:00:00.000001"},
		{SQLite, Options{}, time.Date(2026, 12, 4, 17, 0, 0, 999, time.UTC), "2026-12-04 17:00:00"}, // below a microsecond
		{SQLite, Options{}, time.Date(2026, 12, 4, 11, 0, 0, 0, time.FixedZone("x", -6*3600)), "2026-12-04 17:00:00"},
		{MySQL, Options{}, time.Date(999, 1, 2, 3, 4, 5, 600000000, time.UTC), "0999-01-02 03:04:05.600000"},
		{MySQL, chicago, time.Date(2026, 7, 4, 17, 0, 0, 0, time.UTC), "2026-07-04 12:00:00"},
		{SQLite, chicago, time.Date(2026, 12, 4, 17, 0, 0, 0, time.UTC), "2026-12-04 11:00:00"},
		{Postgres, chicago, time.Date(2026, 12, 4, 11, 0, 0, 1500, time.FixedZone("x", -6*3600)), time.Date(2026, 12, 4, 17, 0, 0, 1000, time.UTC)},
	} {
		opts := tc.opts
		opts.Dialect = tc.dialect
		tb, _ := mustNew(t, opts, nil)
		got, err := tb.timeArg(tc.in)
		if err != nil {
			t.Fatal(err)
		}
		if g, ok := got.(time.Time); ok {
			w := tc.want.(time.Time)
			if !g.Equal(w) || g.Location() != time.UTC {
				t.Errorf("%v timeArg(%v) = %v, want %v", tc.dialect, tc.in, g, w)
			}
			continue
		}
		if got != tc.want {
			t.Errorf("%v timeArg(%v) = %q, want %q", tc.dialect, tc.in, got, tc.want)
		}
	}
	for _, d := range []Dialect{Postgres, MySQL, SQLite} {
		tb, _ := mustNew(t, Options{Dialect: d}, nil)
		for _, v := range []time.Time{time.Date(0, 12, 31, 0, 0, 0, 0, time.UTC), time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)} {
			if _, err := tb.timeArg(v); !errors.Is(err, ErrBadExpireDate) {
				t.Errorf("%v timeArg(%v): %v, want ErrBadExpireDate", d, v, err)
			}
		}
	}
}

func TestParseExpire(t *testing.T) {
	utc := func(y int, mo time.Month, d, h, mi, s, us int) time.Time {
		return time.Date(y, mo, d, h, mi, s, us*1000, time.UTC)
	}
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		dialect Dialect
		notz    bool // DisableUseTZ, America/Chicago
		raw     any
		want    time.Time
	}{
		{"sqlite text", SQLite, false, "2026-12-04 17:00:00", utc(2026, 12, 4, 17, 0, 0, 0)},
		{"sqlite text us", SQLite, false, "2026-12-04 17:00:00.500000", utc(2026, 12, 4, 17, 0, 0, 500000)},
		{"sqlite bytes", SQLite, false, []byte("2026-12-04 17:00:00.000001"), utc(2026, 12, 4, 17, 0, 0, 1)},
		{"sqlite T and short fraction", SQLite, false, "2026-12-04T17:00:00.5", utc(2026, 12, 4, 17, 0, 0, 500000)},
		{"sqlite no seconds", SQLite, false, "2026-12-04 17:00", utc(2026, 12, 4, 17, 0, 0, 0)},
		{"sqlite nine digits", SQLite, false, "2026-12-04 17:00:00.123456789", utc(2026, 12, 4, 17, 0, 0, 123456)},
		{"sqlite driver time UTC", SQLite, false, utc(2026, 12, 4, 17, 0, 0, 5), utc(2026, 12, 4, 17, 0, 0, 5)},
		{"sqlite driver time converted", SQLite, true, utc(2026, 12, 4, 11, 0, 0, 0).In(berlin), utc(2026, 12, 4, 17, 0, 0, 0)},
		{"sqlite naive local", SQLite, true, "2026-12-04 11:00:00", utc(2026, 12, 4, 17, 0, 0, 0)},
		{"mysql bytes", MySQL, false, []byte("2026-12-04 17:00:00.000000"), utc(2026, 12, 4, 17, 0, 0, 0)},
		{"mysql parseTime loc", MySQL, false, time.Date(2026, 12, 4, 17, 0, 0, 0, berlin), utc(2026, 12, 4, 17, 0, 0, 0)},
		{"mysql naive local summer", MySQL, true, []byte("2026-07-04 12:00:00.000000"), utc(2026, 7, 4, 17, 0, 0, 0)},
		{"postgres instant", Postgres, false, time.Date(2026, 12, 4, 18, 0, 0, 0, berlin), utc(2026, 12, 4, 17, 0, 0, 0)},
		{"postgres text", Postgres, false, "2026-12-04 11:00:00.5-06", utc(2026, 12, 4, 17, 0, 0, 500000)},
		{"postgres text minutes", Postgres, true, "2026-12-04 22:30:00+05:30", utc(2026, 12, 4, 17, 0, 0, 0)},
		{"postgres text Z", Postgres, false, "2026-12-04T17:00:00Z", utc(2026, 12, 4, 17, 0, 0, 0)},
		{"postgres text LMT seconds", Postgres, false, "1880-01-01 00:00:00-05:50:36", utc(1880, 1, 1, 5, 50, 36, 0)},
		// Python's fold=0: 01:30 on 2026-11-01 happens twice in Chicago; the first is CDT.
		{"ambiguous local", SQLite, true, "2026-11-01 01:30:00", utc(2026, 11, 1, 6, 30, 0, 0)},
		// 02:30 on 2026-03-08 never happens in Chicago; fold=0 reads it with CST (-6).
		{"skipped local", MySQL, true, "2026-03-08 02:30:00", utc(2026, 3, 8, 8, 30, 0, 0)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tb, _ := mustNew(t, Options{Dialect: tc.dialect, DisableUseTZ: tc.notz}, nil)
			got, err := tb.parseExpire(tc.raw)
			if err != nil {
				t.Fatal(err)
			}
			if !got.Equal(tc.want) {
				t.Fatalf("parseExpire(%v) = %v, want %v", tc.raw, got.UTC(), tc.want)
			}
			if want := tb.loc; got.Location() != want {
				t.Fatalf("location %v, want %v", got.Location(), want)
			}
		})
	}
}

func TestParseExpireInvalid(t *testing.T) {
	tb, _ := mustNew(t, Options{Dialect: SQLite}, nil)
	for _, raw := range []any{
		nil, "", "garbage", "2026-12-04", "2026-13-04 17:00:00", "2026-02-30 17:00:00",
		"2026-12-04 24:00:00", "2026-12-04 17:60:00", "2026-12-04 17:00:61", "0000-01-01 00:00:00",
		"2026-12-04 17:00:00+25:00", "2026-12-04 17:00:00.1234567890123", "2026-12-04 17:00:00 junk",
		"\xff\x00", []byte("0000-00-00 00:00:00"), int64(1796403600), 1.5, true,
		strings.Repeat("9", 1000),
	} {
		_, err := tb.parseExpire(raw)
		var ee *ExpireDateError
		if !errors.Is(err, ErrBadExpireDate) || !errors.As(err, &ee) {
			t.Errorf("parseExpire(%q): %v, want ErrBadExpireDate", raw, err)
			continue
		}
		if len(err.Error()) > 200 {
			t.Errorf("message too long: %d bytes", len(err.Error()))
		}
	}
}

// TestLoadBadExpire: a row whose expire_date cannot be read is an error, not a miss.
func TestLoadBadExpire(t *testing.T) {
	tb, _ := mustNew(t, Options{Dialect: SQLite}, func(string, []driver.Value) ([][]driver.Value, int64, error) {
		return [][]driver.Value{{testData, "tomorrow"}}, 0, nil
	})
	_, _, err := tb.Load(context.Background(), testKey, time.Now())
	if !errors.Is(err, ErrBadExpireDate) || errors.Is(err, ErrNotFound) {
		t.Fatalf("Load: %v, want ErrBadExpireDate", err)
	}
	var e *Error
	if !errors.As(err, &e) || e.Op != "load" {
		t.Fatalf("Load: %#v, want *Error with Op load", err)
	}
}

type sqlStateErr string

func (e sqlStateErr) Error() string    { return "server said no" }
func (e sqlStateErr) SQLState() string { return string(e) }

type codeErr int

func (e codeErr) Error() string { return "constraint failed" }
func (e codeErr) Code() int     { return int(e) }

func TestIsDuplicate(t *testing.T) {
	for _, tc := range []struct {
		d    Dialect
		err  error
		want bool
	}{
		{Postgres, sqlStateErr("23505"), true},
		{Postgres, fmt.Errorf("wrapped: %w", sqlStateErr("23505")), true},
		{Postgres, sqlStateErr("23502"), false}, // not null violation
		{Postgres, errors.New(`pq: duplicate key value violates unique constraint "django_session_pkey"`), true},
		{Postgres, errors.New(`ERROR: duplicate key value violates unique constraint "django_session_pkey" (SQLSTATE 23505)`), true},
		{Postgres, errors.New("connection refused"), false},
		{MySQL, errors.New("Error 1062 (23000): Duplicate entry 'k' for key 'PRIMARY'"), true},
		{MySQL, errors.New("Error 1048 (23000): Column 'session_data' cannot be null"), false},
		{SQLite, errors.New("UNIQUE constraint failed: django_session.session_key"), true},
		{SQLite, codeErr(1555), true},
		{SQLite, codeErr(2067), true},
		{SQLite, codeErr(1299), false}, // NOT NULL
		{SQLite, errors.New("database is locked"), false},
	} {
		if got := isDuplicate(tc.d, tc.err); got != tc.want {
			t.Errorf("isDuplicate(%v, %q) = %v, want %v", tc.d, tc.err, got, tc.want)
		}
	}
}

// TestErrorsNeverLeak: the key and the data never reach a message, even when the driver's
// own text carries them.
func TestErrorsNeverLeak(t *testing.T) {
	ctx := context.Background()
	exp := time.Date(2026, 12, 4, 17, 0, 0, 0, time.UTC)
	leaky := func(q string, args []driver.Value) ([][]driver.Value, int64, error) {
		return nil, 0, fmt.Errorf("Error 1406: oops near '%v'", args)
	}
	for _, d := range []Dialect{Postgres, MySQL, SQLite} {
		tb, _ := mustNew(t, Options{Dialect: d}, leaky)
		_, _, e1 := tb.Load(ctx, testKey, exp)
		_, e2 := tb.Exists(ctx, testKey)
		e3 := tb.Insert(ctx, testKey, testData, exp)
		e4 := tb.Update(ctx, testKey, testData, exp)
		e5 := tb.Delete(ctx, testKey)
		_, e6 := tb.ClearExpired(ctx, exp)
		for i, err := range []error{e1, e2, e3, e4, e5, e6} {
			if err == nil {
				t.Fatalf("%v op %d: no error", d, i)
			}
			msg := err.Error()
			if strings.Contains(msg, testKey) || strings.Contains(msg, testData) || !strings.HasPrefix(msg, "dbstore: ") {
				t.Errorf("%v op %d: message %q", d, i, msg)
			}
			var e *Error
			if !errors.As(err, &e) || errors.Is(err, ErrNotFound) {
				t.Errorf("%v op %d: %#v is not a plain *Error", d, i, err)
			}
		}
	}
	// A duplicate key: MySQL's text holds the key; the message does not.
	tb, _ := mustNew(t, Options{Dialect: MySQL}, func(string, []driver.Value) ([][]driver.Value, int64, error) {
		return nil, 0, errors.New("Error 1062 (23000): Duplicate entry '" + testKey + "' for key 'PRIMARY'")
	})
	err := tb.Insert(ctx, testKey, testData, exp)
	if !errors.Is(err, ErrDuplicate) || strings.Contains(err.Error(), testKey) {
		t.Fatalf("Insert: %v", err)
	}
	if got, want := err.Error(), "dbstore: insert: duplicate session key"; got != want {
		t.Fatalf("message %q, want %q", got, want)
	}
}

func TestContextDone(t *testing.T) {
	tb, d := mustNew(t, Options{Dialect: Postgres}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	now := time.Now()
	_, _, e1 := tb.Load(ctx, testKey, now)
	_, e2 := tb.Exists(ctx, testKey)
	e3 := tb.Insert(ctx, testKey, testData, now)
	e4 := tb.Update(ctx, testKey, testData, now)
	e5 := tb.Delete(ctx, testKey)
	_, e6 := tb.ClearExpired(ctx, now)
	for i, err := range []error{e1, e2, e3, e4, e5, e6} {
		if !errors.Is(err, context.Canceled) {
			t.Errorf("op %d: %v, want context.Canceled", i, err)
		}
	}
	if n := len(d.Calls()); n != 0 {
		t.Errorf("%d statements ran with a cancelled context", n)
	}
}

func TestNotFound(t *testing.T) {
	tb, _ := mustNew(t, Options{Dialect: MySQL}, nil) // no rows
	if _, _, err := tb.Load(context.Background(), testKey, time.Now()); err != ErrNotFound {
		t.Fatalf("Load: %v, want ErrNotFound", err)
	}
	if ok, err := tb.Exists(context.Background(), testKey); ok || err != nil {
		t.Fatalf("Exists: %v, %v", ok, err)
	}
}
