package dbstore_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/djangobridge/bridge/djangosession/dbstore"
)

// BenchmarkLoad is one Load of a Django-shaped row from SQLite (modernc.org/sqlite): the
// package's own cost is the statement text, one scan and one parse of expire_date.
func BenchmarkLoad(b *testing.B) {
	db, err := sql.Open("sqlite", filepath.Join(b.TempDir(), "db.sqlite3"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, djangoDDL[dbstore.SQLite]); err != nil {
		b.Fatal(err)
	}
	tb, err := dbstore.New(db, dbstore.Options{Dialect: dbstore.SQLite})
	if err != nil {
		b.Fatal(err)
	}
	now := time.Date(2026, 12, 4, 16, 0, 0, 0, time.UTC)
	const key = "2f1kq3o7n4ldmc1owjrbtvdxk0tpmeyd"
	data := "eyJuIjoxfQ:1xZVj9:Aie4Xt6r74j--PM7WOinAnqvnZTGmO9GK2s31wth9n8"
	if err := tb.Insert(ctx, key, data, now.Add(time.Hour+time.Microsecond)); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, _, err := tb.Load(ctx, key, now); err != nil {
			b.Fatal(err)
		}
	}
}
