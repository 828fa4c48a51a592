package storebench

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // test-only drivers
	_ "modernc.org/sqlite"

	"github.com/djangobridge/bridge/djangosession"
	"github.com/djangobridge/bridge/djangosession/dbstore"
)

// The db engine's benchmarks: the Store on Django's session table next to the raw query and
// codec work it cannot avoid, on the same *sql.DB, and (bench/django_bench.py --only db) next
// to Django's own db SessionStore on the same database.

// benchSecret is the SECRET_KEY of both sides (bench/django_bench.py).
const benchSecret = "s3cr3t"

// Django's session table (sessions.0001_initial), made when missing; Django's migrate makes
// the same.
var sessionDDL = map[dbstore.Dialect][]string{
	dbstore.SQLite: {
		`CREATE TABLE IF NOT EXISTS "django_session" ("session_key" varchar(40) NOT NULL PRIMARY KEY, "session_data" text NOT NULL, "expire_date" datetime NOT NULL)`,
		`CREATE INDEX IF NOT EXISTS "django_session_expire_date_a5c62663" ON "django_session" ("expire_date")`,
	},
	dbstore.Postgres: {
		`CREATE TABLE IF NOT EXISTS "django_session" ("session_key" varchar(40) NOT NULL PRIMARY KEY, "session_data" text NOT NULL, "expire_date" timestamp with time zone NOT NULL)`,
		`CREATE INDEX IF NOT EXISTS "django_session_expire_date_a5c62663" ON "django_session" ("expire_date")`,
	},
}

// dbTarget is one database: the sqlite file of DJANGOBRIDGE_BENCH_SQLITE (else a temp file),
// and the PostgreSQL of DJANGOBRIDGE_BENCH_POSTGRES (else DJANGOBRIDGE_POSTGRES, the test
// servers').
type dbTarget struct {
	name    string
	dialect dbstore.Dialect
	db      *sql.DB
}

func dbTargets(b *testing.B) []dbTarget {
	b.Helper()
	if testing.Short() {
		b.Skip("db benchmark needs PostgreSQL: skipped under -short")
	}
	path := os.Getenv("DJANGOBRIDGE_BENCH_SQLITE")
	if path == "" {
		path = filepath.Join(b.TempDir(), "bench.sqlite3")
	}
	pg := os.Getenv("DJANGOBRIDGE_BENCH_POSTGRES")
	if pg == "" {
		pg = os.Getenv("DJANGOBRIDGE_POSTGRES")
	}
	if pg == "" {
		b.Fatal("DJANGOBRIDGE_BENCH_POSTGRES (or DJANGOBRIDGE_POSTGRES) is not set: run bench/run.sh, or start the " +
			"servers with scripts/servers-start.sh and `source .run/servers.env` (-short skips this benchmark)")
	}
	var out []dbTarget
	for _, t := range []struct {
		name, driver, dsn string
		d                 dbstore.Dialect
	}{
		// Django's sqlite3 backend: one connection per thread, default journal.
		{"sqlite", "sqlite", "file:" + path + "?_pragma=busy_timeout(10000)", dbstore.SQLite},
		{"postgres", "pgx", pg, dbstore.Postgres},
	} {
		db, err := sql.Open(t.driver, t.dsn)
		if err != nil {
			b.Fatal(err)
		}
		if t.d == dbstore.SQLite {
			db.SetMaxOpenConns(1)
		}
		for _, q := range sessionDDL[t.d] {
			if _, err := db.Exec(q); err != nil {
				b.Fatalf("%s: %v", t.name, err)
			}
		}
		out = append(out, dbTarget{t.name, t.d, db})
	}
	return out
}

// rawQueries are the statements Django's db engine runs, as a program with database/sql would
// write them by hand: load's SELECT (Session.objects.get(session_key=..., expire_date__gt=now))
// and save's UPDATE.
func rawQueries(d dbstore.Dialect) (load, update string) {
	if d == dbstore.Postgres {
		return `SELECT "session_data" FROM "django_session" WHERE "expire_date" > $1 AND "session_key" = $2`,
			`UPDATE "django_session" SET "session_data" = $1, "expire_date" = $2 WHERE "session_key" = $3`
	}
	return `SELECT "session_data" FROM "django_session" WHERE "expire_date" > ? AND "session_key" = ?`,
		`UPDATE "django_session" SET "session_data" = ?, "expire_date" = ? WHERE "session_key" = ?`
}

// timeArg is a time as Django's backend sends it: an aware time to PostgreSQL, UTC text to
// SQLite.
func timeArg(d dbstore.Dialect, t time.Time) any {
	if d == dbstore.SQLite {
		return t.UTC().Format("2006-01-02 15:04:05.000000")
	}
	return t
}

// paired runs store and raw alternately, each iteration both (in alternating order, so that
// neither always runs on the warmer cache), timing each call, and reports per sub-benchmark:
// the median and the mean of each side's calls (store-ns/op, raw-ns/op, store-mean-ns/op,
// raw-mean-ns/op) and the median of the per-iteration ratios store/raw (store/raw). On a busy
// machine the pairing is what makes a few-percent comparison possible: a spike hits the two
// calls of one iteration alike, and medians ignore the spikes. ns/op is the pair's sum.
func paired(b *testing.B, bytes int, store, raw func() error) {
	b.ReportAllocs()
	b.SetBytes(int64(bytes))
	var st, rt, ratios []float64
	timeOne := func(f func() error, into *[]float64) {
		t0 := time.Now()
		if err := f(); err != nil {
			b.Fatal(err)
		}
		*into = append(*into, float64(time.Since(t0).Nanoseconds()))
	}
	i := 0
	for b.Loop() {
		if i%2 == 0 {
			timeOne(store, &st)
			timeOne(raw, &rt)
		} else {
			timeOne(raw, &rt)
			timeOne(store, &st)
		}
		ratios = append(ratios, st[len(st)-1]/rt[len(rt)-1])
		i++
	}
	b.ReportMetric(median(st), "store-ns/op")
	b.ReportMetric(median(rt), "raw-ns/op")
	b.ReportMetric(mean(st), "store-mean-ns/op")
	b.ReportMetric(mean(rt), "raw-mean-ns/op")
	b.ReportMetric(median(ratios), "store/raw")
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func mean(xs []float64) float64 {
	t := 0.0
	for _, x := range xs {
		t += x
	}
	return t / float64(max(1, len(xs)))
}

// BenchmarkDBStore measures, for SQLite and PostgreSQL and each fixture session, with one
// caller, each Store call paired with the raw work it cannot avoid (see paired):
//
//	load:  Store.Load (SELECT session_data, expire_date; verify, inflate, decode), paired with
//	       the same SELECT of session_data alone on the same *sql.DB, then DecodeSessionData
//	save:  Set on a loaded session + Save (sign, compress, UPDATE), paired with
//	       EncodeSessionData of the same dict, then the same UPDATE
//
// The raw side is the floor for any Go program reading Django's table; bench/run.sh compares
// store-mean-ns/op with Django's db SessionStore on the same database.
func BenchmarkDBStore(b *testing.B) {
	targets := dbTargets(b)
	defer func() {
		for _, t := range targets {
			t.db.Close()
		}
	}()
	ctx := context.Background()
	for _, t := range targets {
		tb, err := dbstore.New(t.db, dbstore.Options{Dialect: t.dialect})
		if err != nil {
			b.Fatal(err)
		}
		st, err := djangosession.NewStore(djangosession.Config{SessionEngine: djangosession.EngineDB, DB: tb,
			SecretKey: benchSecret, DjangoVersion: "5.2"})
		if err != nil {
			b.Fatal(err)
		}
		opts := djangosession.SessionDataOptions{SecretKey: benchSecret}
		loadQ, updateQ := rawQueries(t.dialect)
		for _, size := range sizes {
			d := fixture(b, size)
			key := sessionKey("godb"+strings.ReplaceAll(size, "_", ""), 0)
			data, err := djangosession.EncodeSessionData(d, opts)
			if err != nil {
				b.Fatal(err)
			}
			if err := tb.Delete(ctx, key); err != nil {
				b.Fatal(err)
			}
			if err := tb.Insert(ctx, key, data, time.Now().Add(time.Hour)); err != nil {
				b.Fatal(err)
			}
			name := t.name + "/" + size + "/"
			b.Run(name+"load", func(b *testing.B) {
				paired(b, len(data), func() error {
					s, err := st.Load(ctx, key)
					if err == nil && s.Len() == 0 {
						err = errors.New("empty session")
					}
					return err
				}, func() error {
					var v string
					if err := t.db.QueryRowContext(ctx, loadQ, timeArg(t.dialect, time.Now()), key).Scan(&v); err != nil {
						return err
					}
					s, err := djangosession.DecodeSessionData(v, opts)
					if err == nil && s.Len() == 0 {
						err = errors.New("empty session")
					}
					return err
				})
			})
			s, err := st.Load(ctx, key)
			if err != nil || s.Len() == 0 {
				b.Fatalf("load: %v", err)
			}
			own := d.Clone()
			b.Run(name+"save", func(b *testing.B) {
				i := int64(0)
				paired(b, len(data), func() error {
					i++
					s.Set("bench_n", i)
					return s.Save(ctx)
				}, func() error {
					i++
					own.Set("bench_n", i)
					v, err := djangosession.EncodeSessionData(own, opts)
					if err != nil {
						return err
					}
					exp := timeArg(t.dialect, time.Now().Add(djangosession.DefaultSessionCookieAge))
					res, err := t.db.ExecContext(ctx, updateQ, v, exp, key)
					if err != nil {
						return err
					}
					if n, err := res.RowsAffected(); err != nil || n != 1 {
						return fmt.Errorf("update: %d rows, %v", n, err)
					}
					return nil
				})
			})
			if err := tb.Delete(ctx, key); err != nil {
				b.Fatal(err)
			}
		}
	}
}
