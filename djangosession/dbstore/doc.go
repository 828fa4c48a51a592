// Package dbstore reads and writes the rows of Django's db session engine
// (django.contrib.sessions.backends.db): the django_session table, or a custom session
// model's table, through a *sql.DB opened with whatever driver the caller brings. It imports
// no driver, only database/sql.
//
// It is the row layer only: session_data is an opaque string (encoding and signing it is
// djangosession's job), and the caller computes the expiry. Each method is one of the
// statements Django's SessionStore runs, with Django's semantics:
//
//	Django (backends/db.py)                     dbstore
//	_get_session_from_db / load()               [Table.Load]          no row or expired: ErrNotFound
//	exists(key)                                 [Table.Exists]        no expiry filter
//	save(must_create=True)  (force_insert)      [Table.Insert]        key taken: ErrDuplicate
//	save(must_create=False) (force_update)      [Table.Update]        no row: ErrNoRow
//	delete(key)                                 [Table.Delete]        no row: no error
//	clear_expired() (manage.py clearsessions)   [Table.ClearExpired]
//
// # SQL
//
// With the default table, on PostgreSQL ($n placeholders; MySQL quotes with backticks and
// uses ?, SQLite uses ?):
//
//	SELECT "session_data", "expire_date" FROM "django_session" WHERE "expire_date" > $1 AND "session_key" = $2
//	SELECT 1 FROM "django_session" WHERE "session_key" = $1 LIMIT 1
//	INSERT INTO "django_session" ("session_key", "session_data", "expire_date") VALUES ($1, $2, $3)
//	UPDATE "django_session" SET "session_data" = $1, "expire_date" = $2 WHERE "session_key" = $3
//	DELETE FROM "django_session" WHERE "session_key" = $1
//	DELETE FROM "django_session" WHERE "expire_date" < $1
//
// These are Django's statements (3.2 through 6.1) with its table-qualified column names and
// its LIMIT 21 on get() dropped. Django's delete() selects the row, then deletes it by primary
// key; one DELETE does the same. Django runs Insert and Update inside transaction.atomic; a
// single statement needs no transaction. No Django version selects before the UPDATE.
//
// # expire_date
//
// Times are written with microsecond precision, as Python's datetime has no finer unit:
//
//   - PostgreSQL: timestamp with time zone. The argument is a time.Time (an instant), so the
//     connection's TimeZone does not matter. With USE_TZ=False Django sends naive local time
//     and PostgreSQL reads it in TIME_ZONE (Django sets the connection's TimeZone): the same
//     instant, except for a local time that a daylight-saving change makes ambiguous.
//   - MySQL and MariaDB: datetime(6), naive. The argument is text, "YYYY-MM-DD HH:MM:SS" plus
//     ".ffffff" when the microseconds are not zero (Python's str(datetime), which Django's
//     adapt_datetimefield_value sends), in UTC, or in TIME_ZONE with USE_TZ=False. Text keeps
//     the DSN's loc and parseTime settings out of it.
//   - SQLite: text in the same format, compared as text (so "... 17:00:00" sorts before
//     "... 17:00:00.000001", as Django relies on).
//
// Values read back may be a time.Time, a string or a []byte, whatever the driver returns;
// naive values are read in UTC (or TIME_ZONE with USE_TZ=False) with Python's fold=0 rule for
// ambiguous and skipped local times. A value that cannot be read gives an error matching
// ErrBadExpireDate, never a miss. Returned times are in UTC, or in TIME_ZONE with
// USE_TZ=False. DATABASES[...]["TIME_ZONE"] (a per-database time zone) is not supported.
//
// # MySQL's affected rows
//
// Django's MySQL backend connects with CLIENT.FOUND_ROWS, so an UPDATE that changes nothing
// still counts its row. go-sql-driver/mysql does so only with clientFoundRows=true in the DSN;
// without it, when an Update reports no affected rows, Update asks whether the row exists
// before returning ErrNoRow. Either DSN gives Django's result.
//
// # Errors
//
// ErrNotFound, ErrDuplicate and ErrNoRow are what callers branch on. Any other failure is an
// *Error that unwraps to the driver's error or the context's (errors.Is(err,
// context.DeadlineExceeded) works); it is never ErrNotFound. A duplicate key is recognised
// without importing a driver: SQLSTATE 23505 on PostgreSQL (via a SQLState() method, or the
// message), error 1062 on MySQL, a PRIMARY KEY or UNIQUE constraint failure on SQLite. Error
// messages never contain the session key or the session data.
//
// # Custom session models
//
// A model derived from AbstractBaseSession keeps the three columns; set [Options].Table to its
// db_table. Extra columns must be nullable or have a database default, as Insert writes only
// session_key, session_data and expire_date.
package dbstore
