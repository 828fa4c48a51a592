package main

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"
	_ "modernc.org/sqlite"             // registers "sqlite"

	"github.com/djangobridge/bridge/djangosession/dbstore"
)

// The command links three database drivers: it is a program, and a user of it has no other way
// to bring one. The library packages stay free of drivers (they take a *sql.DB).

// dbURL is a parsed --db DSN: the driver to open, its data source name, the dbstore dialect,
// and the URL with its password masked, for messages.
type dbURL struct {
	driver   string
	dsn      string
	dialect  dbstore.Dialect
	password string // "" when none; masked wherever the command prints
	shown    string // the URL as messages may show it
	path     string // SQLite: the file
}

const dbURLHelp = "sqlite:///ABSOLUTE/PATH, postgres://USER:PASS@HOST:PORT/NAME or mysql://USER:PASS@HOST:PORT/NAME"

// parseDBURL reads a --db value, the form of Django's DATABASES as the compat project's
// DJANGOBRIDGE_DB_URL has it. Its errors never quote the value: it may hold a password.
func parseDBURL(s string) (dbURL, error) {
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" {
		return dbURL{}, usagef("--db: not a URL: use %s", dbURLHelp)
	}
	d := dbURL{shown: u.Redacted()}
	if p, ok := u.User.Password(); ok {
		d.password = p
	}
	switch u.Scheme {
	case "sqlite", "sqlite3":
		if u.Host != "" || u.User != nil {
			return d, usagef("--db: sqlite:///ABSOLUTE/PATH takes no host (three slashes, then the path)")
		}
		if !filepath.IsAbs(u.Path) || strings.HasSuffix(u.Path, "/") {
			return d, usagef("--db: sqlite:///ABSOLUTE/PATH needs the absolute path of a file")
		}
		// mode=rw: a mistyped path is an error, not a new empty database.
		f := url.URL{Scheme: "file", Path: u.Path, RawQuery: "mode=rw&_pragma=busy_timeout(10000)"}
		d.driver, d.dsn, d.dialect, d.path = "sqlite", f.String(), dbstore.SQLite, u.Path
	case "postgres", "postgresql":
		if u.Host == "" || strings.Trim(u.Path, "/") == "" {
			return d, usagef("--db: postgres://USER:PASS@HOST:PORT/NAME needs a host and a database name")
		}
		d.driver, d.dsn, d.dialect = "pgx", s, dbstore.Postgres
	case "mysql", "mariadb":
		name := strings.TrimPrefix(u.Path, "/")
		if u.Host == "" || name == "" || strings.Contains(name, "/") {
			return d, usagef("--db: mysql://USER:PASS@HOST:PORT/NAME needs a host and a database name")
		}
		if u.RawQuery != "" {
			return d, usagef("--db: mysql:// URLs take no query (the command connects with charset utf8mb4, as Django)")
		}
		c := mysql.NewConfig()
		c.User = u.User.Username()
		c.Passwd = d.password
		c.Net = "tcp"
		c.Addr = u.Host
		if u.Port() == "" {
			c.Addr = net.JoinHostPort(u.Hostname(), "3306")
		}
		c.DBName = name
		c.Params = map[string]string{"charset": "utf8mb4"}
		d.driver, d.dsn, d.dialect = "mysql", c.FormatDSN(), dbstore.MySQL
	default:
		return d, usagef("--db: unknown scheme %q: use %s", u.Scheme, dbURLHelp)
	}
	return d, nil
}

// openDB opens and pings the database of a --db URL. Its errors show the URL with the password
// masked (and main masks the password again in anything it prints).
func openDB(ctx context.Context, d dbURL, timeout time.Duration) (*sql.DB, error) {
	if d.path != "" {
		if _, err := os.Stat(d.path); err != nil {
			return nil, fmt.Errorf("--db: no SQLite database: %w", err)
		}
	}
	db, err := sql.Open(d.driver, d.dsn)
	if err != nil {
		return nil, fmt.Errorf("--db %s: %w", d.shown, err)
	}
	db.SetMaxOpenConns(4)
	db.SetConnMaxIdleTime(timeout)
	pctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("cannot reach the database %s: %w", d.shown, err)
	}
	return db, nil
}
