package main

import (
	"strings"
	"testing"

	"github.com/djangobridge/bridge/djangosession/dbstore"
)

func TestParseDBURL(t *testing.T) {
	const pw = "p%40ss:w0rd"
	tests := []struct {
		in      string
		driver  string
		dialect dbstore.Dialect
		dsn     string // a substring of the driver's DSN
	}{
		{"sqlite:///srv/app/db.sqlite3", "sqlite", dbstore.SQLite, "file:///srv/app/db.sqlite3?mode=rw"},
		{"postgres://app:" + pw + "@db.internal:5432/shop?sslmode=disable", "pgx", dbstore.Postgres, "sslmode=disable"},
		{"postgresql://app@127.0.0.1/shop", "pgx", dbstore.Postgres, "postgresql://app@127.0.0.1/shop"},
		{"mysql://app:" + pw + "@127.0.0.1:3307/shop", "mysql", dbstore.MySQL, "app:p@ss:w0rd@tcp(127.0.0.1:3307)/shop?charset=utf8mb4"},
		{"mysql://app@db/shop", "mysql", dbstore.MySQL, "tcp(db:3306)/shop"},
	}
	for _, tt := range tests {
		d, err := parseDBURL(tt.in)
		if err != nil {
			t.Errorf("%s: %v", tt.in, err)
			continue
		}
		if d.driver != tt.driver || d.dialect != tt.dialect || !strings.Contains(d.dsn, tt.dsn) {
			t.Errorf("%s: driver %q, dialect %v, dsn %q; want %q, %v, containing %q", tt.in, d.driver, d.dialect, d.dsn, tt.driver, tt.dialect, tt.dsn)
		}
		if strings.Contains(d.shown, "p%40ss") || strings.Contains(d.shown, "p@ss") {
			t.Errorf("%s: shown as %q, with the password", tt.in, d.shown)
		}
		if strings.Contains(tt.in, pw) && d.password != "p@ss:w0rd" {
			t.Errorf("%s: password %q (decoded) not recorded for masking", tt.in, d.password)
		}
	}
	for _, bad := range []string{
		"", "db.sqlite3", "sqlite://relative.db", "sqlite:///", "postgres://h:5432/", "postgres:///shop",
		"mysql://h/", "mysql://h/a/b", "mysql://h/shop?tls=true", "oracle://h/x", "://x",
	} {
		if _, err := parseDBURL(bad); err == nil {
			t.Errorf("%q: accepted", bad)
		}
	}
}

// TestDBFromEnvironment: DJANGOSESSION_DB gives --db (kept out of the process's arguments),
// masked like --db in messages; --db overrides it; other engines ignore it.
func TestDBFromEnvironment(t *testing.T) {
	const secret = "pw-zq81-never-shown"
	env := map[string]string{"DJANGO_SECRET_KEY": testSecret, "DJANGOSESSION_DB": "postgres://app:" + secret + "@127.0.0.1:1/fromenv"}
	r := cli(t, env, "", "get", "abcdefghij", "--engine", "db", "--timeout", "2s")
	if r.code != exitRejected || !strings.Contains(r.stderr, "postgres://app:xxxxx@127.0.0.1:1/fromenv") || strings.Contains(r.stderr, secret) {
		t.Errorf("DJANGOSESSION_DB: %+v", r)
	}
	r = cli(t, env, "", "get", "abcdefghij", "--engine", "db", "--db", "postgres://app:"+secret+"@127.0.0.1:1/fromflag", "--timeout", "2s")
	if r.code != exitRejected || !strings.Contains(r.stderr, "/fromflag") || strings.Contains(r.stderr, secret) {
		t.Errorf("--db over DJANGOSESSION_DB: %+v", r)
	}
	r = cli(t, env, "", "get", "eyJhIjoxfQ:1r31eq:x", "--engine", "signed_cookies")
	if r.code != exitRejected || !strings.Contains(r.stderr, "bad signature") {
		t.Errorf("signed_cookies with DJANGOSESSION_DB set: %+v", r)
	}
}
