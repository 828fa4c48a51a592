package djangosession_test

import (
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/djangobridge/bridge/djangosession/dbstore"
	_ "modernc.org/sqlite"
)

// djangoSessionDDL is the table Django's `manage.py sqlmigrate sessions 0001` creates on SQLite
// (the same text in Django 3.2 and 5.2): the unit tests' django_session. The live tests let
// Django's migrate create it on every database.
const djangoSessionDDL = `CREATE TABLE "django_session" ("session_key" varchar(40) NOT NULL PRIMARY KEY, "session_data" text NOT NULL, "expire_date" datetime NOT NULL);
CREATE INDEX "django_session_expire_date_a5c62663" ON "django_session" ("expire_date");`

// newTable returns an empty django_session table in a SQLite file of its own.
func newTable(t testing.TB) *dbstore.Table {
	t.Helper()
	db, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "db.sqlite3"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Exec(djangoSessionDDL); err != nil {
		t.Fatal(err)
	}
	tbl, err := dbstore.New(db, dbstore.Options{Dialect: dbstore.SQLite})
	if err != nil {
		t.Fatal(err)
	}
	return tbl
}
