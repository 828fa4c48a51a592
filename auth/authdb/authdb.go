package authdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strconv"

	"github.com/djangobridge/bridge/auth"

	"github.com/djangobridge/bridge/djangosession"
)

// Options describe the user table. The zero value is Django's auth.User (table auth_user,
// integer primary key "id", ModelBackend's is_active check) with "?" placeholders (SQLite,
// MySQL).
type Options struct {
	// Table is the db_table of AUTH_USER_MODEL (default "auth_user"). It may be schema-qualified
	// ("accounts.user"); names are checked to be plain SQL identifiers.
	Table string

	// IDColumn is the primary key column (default "id").
	IDColumn string

	// PasswordColumn is the password column (default "password").
	PasswordColumn string

	// ActiveColumn is the column ModelBackend.user_can_authenticate checks (default
	// "is_active"); a user whose value is false is not found. "-" disables the check (as
	// AllowAllUsersModelBackend, or a user model without is_active).
	ActiveColumn string

	// Placeholder is the driver's bind parameter: "?" (default) or "$1" (PostgreSQL).
	Placeholder string

	// StringIDs passes the session's user id to the query as a string (a UUID or text primary
	// key). By default the id must be a decimal integer (AutoField, BigAutoField); any other id
	// is not found, without a query.
	StringIDs bool
}

var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$`)

func orDefault(v, d string) string {
	if v == "" {
		return d
	}
	return v
}

// Query returns the SQL a lookup runs, or an error for a name that is not a plain identifier
// or an unknown placeholder.
func (o Options) Query() (string, error) {
	table := orDefault(o.Table, "auth_user")
	id := orDefault(o.IDColumn, "id")
	pw := orDefault(o.PasswordColumn, "password")
	active := orDefault(o.ActiveColumn, "is_active")
	for _, name := range []string{table, id, pw} {
		if !identRE.MatchString(name) {
			return "", fmt.Errorf("authdb: %q is not a plain SQL identifier", name)
		}
	}
	cols := pw
	if active != "-" {
		if !identRE.MatchString(active) {
			return "", fmt.Errorf("authdb: %q is not a plain SQL identifier", active)
		}
		cols += ", " + active
	}
	ph := orDefault(o.Placeholder, "?")
	if ph != "?" && ph != "$1" {
		return "", fmt.Errorf("authdb: placeholder %q: want ? or $1", ph)
	}
	return "SELECT " + cols + " FROM " + table + " WHERE " + id + " = " + ph, nil
}

// NewPasswordHashFunc returns an auth.PasswordHashFunc that looks the user up in db. A missing
// or inactive user gives an error matching djangosession.ErrNotFound; a database error is
// returned as it is (wrapped), and never means "logged out". db is used concurrently.
func NewPasswordHashFunc(db *sql.DB, opts Options) (auth.PasswordHashFunc, error) {
	if db == nil {
		return nil, errors.New("authdb: NewPasswordHashFunc needs a *sql.DB")
	}
	q, err := opts.Query()
	if err != nil {
		return nil, err
	}
	checkActive := orDefault(opts.ActiveColumn, "is_active") != "-"
	return func(ctx context.Context, userID string) (string, error) {
		var arg any = userID
		if !opts.StringIDs {
			n, err := strconv.ParseInt(userID, 10, 64)
			if err != nil {
				return "", fmt.Errorf("authdb: user id %q is not an integer: %w", truncate(userID), djangosession.ErrNotFound)
			}
			arg = n
		}
		var password string
		var active sql.NullBool
		row := db.QueryRowContext(ctx, q, arg)
		if checkActive {
			err = row.Scan(&password, &active)
		} else {
			err = row.Scan(&password)
		}
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return "", fmt.Errorf("authdb: no user %q: %w", truncate(userID), djangosession.ErrNotFound)
		case err != nil:
			return "", fmt.Errorf("authdb: looking up user %q: %w", truncate(userID), err)
		case checkActive && !active.Bool:
			return "", fmt.Errorf("authdb: user %q is inactive: %w", truncate(userID), djangosession.ErrNotFound)
		}
		return password, nil
	}, nil
}

func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
