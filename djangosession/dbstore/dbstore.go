package dbstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Dialect is the SQL dialect of the database behind a [Table]: it picks the placeholders, the
// identifier quoting, how expire_date is written and read, and how a duplicate key is told
// from other errors. It never picks a driver: the caller opens the *sql.DB.
type Dialect int

const (
	// Postgres is PostgreSQL (Django's postgresql backend): $1 placeholders, "quoted"
	// identifiers, expire_date a timestamp with time zone.
	Postgres Dialect = iota + 1
	// MySQL is MySQL or MariaDB (Django's mysql backend): ? placeholders, `quoted`
	// identifiers, expire_date a datetime(6) holding naive UTC (or naive local time in
	// TIME_ZONE with USE_TZ=False).
	MySQL
	// SQLite is SQLite (Django's sqlite3 backend): ? placeholders, "quoted" identifiers,
	// expire_date text "YYYY-MM-DD HH:MM:SS[.ffffff]" in UTC (or local time in TIME_ZONE with
	// USE_TZ=False), compared as text as Django does.
	SQLite
)

// String returns the dialect's name: "postgres", "mysql", "sqlite".
func (d Dialect) String() string {
	switch d {
	case Postgres:
		return "postgres"
	case MySQL:
		return "mysql"
	case SQLite:
		return "sqlite"
	}
	return fmt.Sprintf("Dialect(%d)", int(d))
}

// DefaultTable is Django's Session model's db_table.
const DefaultTable = "django_session"

// DefaultTimeZone is Django's default TIME_ZONE.
const DefaultTimeZone = "America/Chicago"

// Options configures a [Table]. Only Dialect is required; the zero value of every other field
// is Django's default.
type Options struct {
	// Dialect is the database's SQL dialect. Required: there is no default.
	Dialect Dialect

	// Table is the session model's db_table. Default: "django_session" (DefaultTable).
	// A plain name is quoted as one identifier, as Django's quote_name does; a name that is
	// already quoted ('"schema"."table"' on PostgreSQL, Django's way to name a schema) is used
	// as it is if it is one or more well-formed quoted identifiers joined by dots.
	Table string

	// DisableUseTZ is USE_TZ=False (Django's default since 5.0 is USE_TZ=True; before 5.0 a
	// new project's settings.py set it). On MySQL and SQLite expire_date then holds naive
	// local time in TimeZone instead of UTC. On PostgreSQL the column holds an instant either
	// way, so only the reading of ambiguous local times could differ (see the package doc).
	DisableUseTZ bool

	// TimeZone is TIME_ZONE, an IANA name. Default: "America/Chicago" (DefaultTimeZone).
	// Used only with DisableUseTZ. The name is loaded with time.LoadLocation: a program that
	// may run without the system's zoneinfo should import time/tzdata.
	TimeZone string
}

// Table is one session table. Its methods are safe for concurrent use, as *sql.DB is.
type Table struct {
	db      *sql.DB
	dialect Dialect
	loc     *time.Location // where expire_date's naive values live (MySQL, SQLite)

	loadSQL, existsSQL, insertSQL, updateSQL, deleteSQL, clearSQL string
}

// New returns the table described by opts, reached through db with whatever driver the caller
// registered. It checks the options but does not touch the database.
func New(db *sql.DB, opts Options) (*Table, error) {
	if db == nil {
		return nil, fmt.Errorf("%w: nil *sql.DB", ErrInvalidOptions)
	}
	switch opts.Dialect {
	case Postgres, MySQL, SQLite:
	case 0:
		return nil, fmt.Errorf("%w: Dialect is not set", ErrInvalidOptions)
	default:
		return nil, fmt.Errorf("%w: unknown %v", ErrInvalidOptions, opts.Dialect)
	}
	name := opts.Table
	if name == "" {
		name = DefaultTable
	}
	table, err := quoteTable(opts.Dialect, name)
	if err != nil {
		return nil, err
	}
	t := &Table{db: db, dialect: opts.Dialect, loc: time.UTC}
	if opts.DisableUseTZ {
		tz := opts.TimeZone
		if tz == "" {
			tz = DefaultTimeZone
		}
		loc, err := time.LoadLocation(tz)
		if err != nil {
			return nil, fmt.Errorf("%w: TimeZone %q: %v", ErrInvalidOptions, tz, err)
		}
		t.loc = loc
	}
	q := func(n int) string { // the n-th placeholder
		if opts.Dialect == Postgres {
			return fmt.Sprintf("$%d", n)
		}
		return "?"
	}
	key := quoteIdent(opts.Dialect, "session_key")
	data := quoteIdent(opts.Dialect, "session_data")
	expire := quoteIdent(opts.Dialect, "expire_date")
	t.loadSQL = "SELECT " + data + ", " + expire + " FROM " + table +
		" WHERE " + expire + " > " + q(1) + " AND " + key + " = " + q(2)
	t.existsSQL = "SELECT 1 FROM " + table + " WHERE " + key + " = " + q(1) + " LIMIT 1"
	t.insertSQL = "INSERT INTO " + table + " (" + key + ", " + data + ", " + expire +
		") VALUES (" + q(1) + ", " + q(2) + ", " + q(3) + ")"
	t.updateSQL = "UPDATE " + table + " SET " + data + " = " + q(1) + ", " + expire + " = " + q(2) +
		" WHERE " + key + " = " + q(3)
	t.deleteSQL = "DELETE FROM " + table + " WHERE " + key + " = " + q(1)
	t.clearSQL = "DELETE FROM " + table + " WHERE " + expire + " < " + q(1)
	return t, nil
}

// Dialect returns the table's dialect.
func (t *Table) Dialect() Dialect { return t.dialect }

// Load returns the session_data and expire_date of the row with key whose expire_date is after
// now: Django's _get_session_from_db, Session.objects.get(session_key=key,
// expire_date__gt=timezone.now()). A missing or expired row gives ErrNotFound. The comparison
// is the database's, as in Django (on SQLite a text comparison).
func (t *Table) Load(ctx context.Context, key string, now time.Time) (data string, expire time.Time, err error) {
	if err := ctx.Err(); err != nil {
		return "", time.Time{}, t.wrap("load", err, key, "")
	}
	nowArg, err := t.timeArg(now)
	if err != nil {
		return "", time.Time{}, t.wrap("load", err, key, "")
	}
	var raw any
	err = t.db.QueryRowContext(ctx, t.loadSQL, nowArg, key).Scan(&data, &raw)
	if errors.Is(err, sql.ErrNoRows) {
		return "", time.Time{}, ErrNotFound
	}
	if err != nil {
		return "", time.Time{}, t.wrap("load", err, key, "")
	}
	expire, err = t.parseExpire(raw)
	if err != nil {
		return "", time.Time{}, t.wrap("load", err, key, data)
	}
	return data, expire, nil
}

// Exists reports whether a row with key exists, expired or not: Django's SessionStore.exists,
// Session.objects.filter(session_key=key).exists().
func (t *Table) Exists(ctx context.Context, key string) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, t.wrap("exists", err, key, "")
	}
	return t.exists(ctx, "exists", key)
}

func (t *Table) exists(ctx context.Context, op, key string) (bool, error) {
	var one int
	err := t.db.QueryRowContext(ctx, t.existsSQL, key).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, t.wrap(op, err, key, "")
	}
	return true, nil
}

// Insert adds a row: Django's save(must_create=True), Model.save(force_insert=True). A row
// with the same key gives an error matching ErrDuplicate (Django's IntegrityError, which the
// session store turns into CreateError and a retry with a new key).
func (t *Table) Insert(ctx context.Context, key, data string, expire time.Time) error {
	if err := ctx.Err(); err != nil {
		return t.wrap("insert", err, key, data)
	}
	exp, err := t.timeArg(expire)
	if err != nil {
		return t.wrap("insert", err, key, data)
	}
	if _, err := t.db.ExecContext(ctx, t.insertSQL, key, data, exp); err != nil {
		if isDuplicate(t.dialect, err) {
			return &Error{Op: "insert", Err: err, kind: ErrDuplicate}
		}
		return t.wrap("insert", err, key, data)
	}
	return nil
}

// Update replaces the data and expiry of the row with key, expired or not: Django's
// save(must_create=False), Model.save(force_update=True). No such row gives ErrNoRow (Django's
// "Forced update did not affect any rows", which the session store turns into UpdateError).
//
// On MySQL a row whose values do not change counts as matched, as with Django's connection
// (CLIENT.FOUND_ROWS), whatever the DSN says: when the driver reports no affected rows, Update
// asks whether the row exists.
func (t *Table) Update(ctx context.Context, key, data string, expire time.Time) error {
	if err := ctx.Err(); err != nil {
		return t.wrap("update", err, key, data)
	}
	exp, err := t.timeArg(expire)
	if err != nil {
		return t.wrap("update", err, key, data)
	}
	res, err := t.db.ExecContext(ctx, t.updateSQL, data, exp, key)
	if err != nil {
		return t.wrap("update", err, key, data)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return t.wrap("update", err, key, data)
	}
	if n > 0 {
		return nil
	}
	if t.dialect == MySQL {
		// Without clientFoundRows, MySQL counts changed rows, not matched ones.
		ok, err := t.exists(ctx, "update", key)
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
	}
	return ErrNoRow
}

// Delete removes the row with key, if any: Django's SessionStore.delete. A missing row is not
// an error. (Django reads the row first and deletes it by primary key; one DELETE has the
// same effect.)
func (t *Table) Delete(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return t.wrap("delete", err, key, "")
	}
	if _, err := t.db.ExecContext(ctx, t.deleteSQL, key); err != nil {
		return t.wrap("delete", err, key, "")
	}
	return nil
}

// ClearExpired deletes the rows whose expire_date is before now and returns how many it
// deleted: Django's SessionStore.clear_expired (the clearsessions command),
// Session.objects.filter(expire_date__lt=timezone.now()).delete(). A row expiring exactly at
// now stays, as in Django (Load already treats it as missing).
func (t *Table) ClearExpired(ctx context.Context, now time.Time) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, t.wrap("clear expired", err, "", "")
	}
	nowArg, err := t.timeArg(now)
	if err != nil {
		return 0, t.wrap("clear expired", err, "", "")
	}
	res, err := t.db.ExecContext(ctx, t.clearSQL, nowArg)
	if err != nil {
		return 0, t.wrap("clear expired", err, "", "")
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, t.wrap("clear expired", err, "", "")
	}
	return n, nil
}

// wrap returns err as an *Error for op, its message scrubbed of key and data.
func (t *Table) wrap(op string, err error, key, data string) error {
	return &Error{Op: op, Err: err, detail: scrub(err.Error(), key, data)}
}

// quoteIdent quotes a plain identifier as Django's connection.ops.quote_name does.
func quoteIdent(d Dialect, name string) string {
	q := `"`
	if d == MySQL {
		q = "`"
	}
	return q + strings.ReplaceAll(name, q, q+q) + q
}

// quoteTable quotes db_table: a plain name becomes one quoted identifier (Django's
// quote_name); a name already starting with the quote character must be a dot-separated list
// of quoted identifiers and is kept.
func quoteTable(d Dialect, name string) (string, error) {
	if !utf8.ValidString(name) || strings.ContainsRune(name, 0) || len(name) > 1024 {
		return "", fmt.Errorf("%w: Table must be valid UTF-8 without NUL bytes", ErrInvalidOptions)
	}
	q := byte('"')
	if d == MySQL {
		q = '`'
	}
	if name[0] != q {
		return quoteIdent(d, name), nil
	}
	// Django leaves a name that starts and ends with the quote alone. Accept only
	// "a"."b"... so that no SQL beyond identifiers can ride in.
	i := 0
	for {
		if i >= len(name) || name[i] != q {
			return "", fmt.Errorf("%w: quoted Table is not a list of quoted identifiers", ErrInvalidOptions)
		}
		i++
		start := i
		for {
			j := strings.IndexByte(name[i:], q)
			if j < 0 {
				return "", fmt.Errorf("%w: quoted Table is not a list of quoted identifiers", ErrInvalidOptions)
			}
			i += j + 1
			if i < len(name) && name[i] == q { // doubled quote inside the identifier
				i++
				continue
			}
			break
		}
		if i-1 == start {
			return "", fmt.Errorf("%w: quoted Table has an empty identifier", ErrInvalidOptions)
		}
		if i == len(name) {
			return name, nil
		}
		if name[i] != '.' {
			return "", fmt.Errorf("%w: quoted Table is not a list of quoted identifiers", ErrInvalidOptions)
		}
		i++
	}
}
