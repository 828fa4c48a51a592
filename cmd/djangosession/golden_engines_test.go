package main

import (
	"context"
	"database/sql"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/djangobridge/bridge/internal/fixtures"
	"github.com/djangobridge/bridge/internal/tagged"

	"github.com/djangobridge/bridge/djangosession/dbstore"
)

// djangoSQLiteSessionDDL is the table Django's migrate makes for the Session model on SQLite
// (sessions.0001_initial, sqlmigrate output).
const djangoSQLiteSessionDDL = `CREATE TABLE "django_session" ("session_key" varchar(40) NOT NULL PRIMARY KEY, "session_data" text NOT NULL, "expire_date" datetime NOT NULL)`

// fixtureDB writes Django's db-engine rows of version v into a SQLite file with Django's
// session table, and returns its --db URL and the rows.
func fixtureDB(t *testing.T, v string) (string, []fixtures.DBRow) {
	t.Helper()
	f, err := fixtures.LoadDB(v, "db")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "db.sqlite3")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(djangoSQLiteSessionDDL); err != nil {
		t.Fatal(err)
	}
	tb, err := dbstore.New(db, dbstore.Options{Dialect: dbstore.SQLite})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range f.Rows {
		exp, err := time.Parse(time.RFC3339Nano, r.ExpireDate)
		if err != nil {
			t.Fatalf("%s: expire_date %q: %v", r.Name, r.ExpireDate, err)
		}
		if err := tb.Insert(context.Background(), r.SessionKey, r.SessionData, exp); err != nil {
			t.Fatal(err)
		}
	}
	return "sqlite://" + path, f.Rows
}

// TestGoldenDBEngine reads Django's db rows (every fixture version) with get --engine db from
// a SQLite table as Django lays it out, at the fixtures' clock; check passes with Django's
// SECRET_KEY and fails with another.
func TestGoldenDBEngine(t *testing.T) {
	for _, v := range fixtureVersions(t) {
		t.Run("django-"+v, func(t *testing.T) {
			meta, err := fixtures.LoadMeta(v)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasSuffix(meta.Settings.SessionSerializer, ".JSONSerializer") {
				t.Fatalf("fixtures of %s use %s", v, meta.Settings.SessionSerializer)
			}
			dsn, rows := fixtureDB(t, v)
			env := map[string]string{"DJANGO_SECRET_KEY": meta.Settings.SecretKey}
			base := []string{"--engine", "db", "--db", dsn, "--django", v}
			// The fixtures' clock: every row is unexpired then, and expired now.
			at := []string{"--now", "1700000000"}
			for _, row := range rows {
				r := cli(t, env, "", cat([]string{"get", row.SessionKey}, base, at)...)
				want, err := tagged.Marshal(tuplesToLists(taggedValue(t, row.Name, row.Expected)))
				if err != nil {
					t.Fatal(err)
				}
				expectValue(t, row.Name, r, want)
				if r := cli(t, env, "", cat([]string{"ttl", row.SessionKey}, base, at)...); r.code != 0 || r.stdout == "" || r.stdout[0] == '-' {
					t.Errorf("%s: ttl at the fixtures' clock: %+v", row.Name, r)
				}
				if r := cli(t, env, "", cat([]string{"get", row.SessionKey}, base)...); r.code != exitRejected || !strings.Contains(r.stderr, "no unexpired row") {
					t.Errorf("%s: get today (expired): %+v", row.Name, r)
				}
				if r := cli(t, env, "", cat([]string{"exists", row.SessionKey}, base)...); r.stdout != "true\n" {
					t.Errorf("%s: exists (expired rows exist, as in Django): %+v", row.Name, r)
				}
			}
			r := cli(t, env, "", cat([]string{"check"}, base)...)
			if r.code != 0 || !strings.Contains(r.stdout, "\nok\n") || !strings.Contains(r.stdout, "SECRET_KEY "+itoa(len(rows))) {
				t.Errorf("check with Django's key: %+v", r)
			}
			r = cli(t, map[string]string{"DJANGO_SECRET_KEY": "not-" + meta.Settings.SecretKey}, "", cat([]string{"check"}, base)...)
			if r.code != exitRejected || !strings.Contains(r.stdout, "bad signature: "+itoa(len(rows))) || !strings.Contains(r.stdout, "FAILED") {
				t.Errorf("check with a wrong key: %+v", r)
			}
			r = cli(t, map[string]string{"DJANGO_SECRET_KEY": "not-" + meta.Settings.SecretKey}, "",
				cat([]string{"check", "--fallback-key", meta.Settings.SecretKey}, base)...)
			if r.code != 0 || !strings.Contains(r.stdout, "SECRET_KEY_FALLBACKS[0] "+itoa(len(rows))) {
				t.Errorf("check with Django's key as a fallback: %+v", r)
			}
			// clearsessions removes every row: all expired today.
			if r := cli(t, env, "", cat([]string{"clearsessions"}, base)...); r.code != 0 || r.stdout != itoa(len(rows))+"\n" {
				t.Errorf("clearsessions: %+v", r)
			}
			if r := cli(t, env, "", cat([]string{"check"}, base)...); r.code != 0 || !strings.Contains(r.stdout, "nothing to check") {
				t.Errorf("check of an empty table: %+v", r)
			}
		})
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
