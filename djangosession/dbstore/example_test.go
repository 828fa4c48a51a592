package dbstore_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/djangobridge/bridge/djangosession/dbstore"
)

// Django's session table on SQLite, as `manage.py migrate` creates it, read and written from
// Go. In a real program the table already exists and the time is time.Now().
func Example() {
	dir, err := os.MkdirTemp("", "dbstore-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	// Any driver: this package's tests import modernc.org/sqlite ("sqlite").
	db, err := sql.Open("sqlite", filepath.Join(dir, "db.sqlite3"))
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, `CREATE TABLE "django_session" ("session_key" varchar(40) NOT NULL PRIMARY KEY, "session_data" text NOT NULL, "expire_date" datetime NOT NULL)`); err != nil {
		log.Fatal(err)
	}

	sessions, err := dbstore.New(db, dbstore.Options{Dialect: dbstore.SQLite})
	if err != nil {
		log.Fatal(err)
	}
	now := time.Date(2026, 12, 4, 16, 0, 0, 0, time.UTC)
	key := "2f1kq3o7n4ldmc1owjrbtvdxk0tpmeyd"
	data := "eyJuIjoxfQ:1xZVj9:Aie4Xt6r74j--PM7WOinAnqvnZTGmO9GK2s31wth9n8" // from djangosession's codec

	if err := sessions.Insert(ctx, key, data, now.Add(14*24*time.Hour)); err != nil {
		log.Fatal(err)
	}
	err = sessions.Insert(ctx, key, data, now)
	fmt.Println("insert again:", errors.Is(err, dbstore.ErrDuplicate))

	got, expire, err := sessions.Load(ctx, key, now)
	fmt.Println(got == data, expire, err)

	_, _, err = sessions.Load(ctx, key, now.Add(15*24*time.Hour))
	fmt.Println("two weeks later:", errors.Is(err, dbstore.ErrNotFound))

	n, err := sessions.ClearExpired(ctx, now.Add(15*24*time.Hour))
	fmt.Println("cleared:", n, err)
	// Output:
	// insert again: true
	// true 2026-12-18 16:00:00 +0000 UTC <nil>
	// two weeks later: true
	// cleared: 1 <nil>
}
