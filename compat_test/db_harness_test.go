package compattest

import (
	"context"
	"encoding/json"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/djangobridge/bridge/internal/pybridge"
)

// The harness of Django's database engines: for every Django version and every database the
// bridge can run on (SQLite, PostgreSQL, MariaDB), a bridge started with DJANGOBRIDGE_DB_URL
// migrates its own database; a session created with engine db or cached_db loads back with the
// same data (a 4-byte UTF-8 character included: MySQL needs utf8mb4), and clear_expired
// (Django's clearsessions) removes exactly the expired row and keeps the live one.
func TestLiveDatabaseEngines(t *testing.T) {
	if testing.Short() {
		t.Skip("live test (needs the Django venvs and the test database servers): skipped under -short")
	}
	pybridge.RequireServers(t) // cached_db needs the cache servers too
	dbs := pybridge.RequireDatabases(t)
	sqliteDir := t.TempDir()
	for _, v := range pybridge.Versions() {
		t.Run("django-"+v, func(t *testing.T) {
			for _, db := range []struct{ name, url, vendor string }{
				{"sqlite", "sqlite:///" + filepath.Join(sqliteDir, "django-"+v+".sqlite3"), "sqlite"},
				{"postgres", dbs.Postgres, "postgresql"},
				{"mysql", dbs.MySQL, "mysql"},
			} {
				t.Run(db.name, func(t *testing.T) {
					t.Parallel()
					checkDatabaseEngines(t, v, db.url, db.vendor)
				})
			}
		})
	}
}

type sessionResp struct {
	SessionKey string         `json:"session_key"`
	Exists     bool           `json:"exists"`
	Data       map[string]any `json:"data"`
}

type clearResp struct {
	Removed   *int `json:"removed"`
	Remaining *int `json:"remaining"`
}

func checkDatabaseEngines(t *testing.T, djangoID, url, vendor string) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	b, err := pybridge.StartEnv(ctx, djangoID, []string{"DJANGOBRIDGE_DB_URL=" + url})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if b.Info.Database.Vendor != vendor {
		t.Fatalf("bridge database vendor %q, want %q (%+v)", b.Info.Database.Vendor, vendor, b.Info.Database)
	}
	if b.Info.DjangoID != djangoID {
		t.Fatalf("bridge runs Django %s, want %s", b.Info.DjangoID, djangoID)
	}

	data := map[string]any{"n": float64(7), "s": "crème 🍪", "l": []any{float64(1), "x"}}
	for i, engine := range []string{"db", "cached_db"} {
		var live, expired, loaded sessionResp
		if err := b.Call(ctx, "session_create", map[string]any{"engine": engine, "data": data}, &live); err != nil {
			t.Fatalf("%s: %v", engine, err)
		}
		if len(live.SessionKey) != 32 {
			t.Fatalf("%s: session key %q", engine, live.SessionKey)
		}
		if err := b.Call(ctx, "session_load", map[string]any{"engine": engine, "session_key": live.SessionKey}, &loaded); err != nil {
			t.Fatalf("%s: %v", engine, err)
		}
		if !loaded.Exists || !reflect.DeepEqual(loaded.Data, data) {
			t.Fatalf("%s: loaded exists=%v data=%v, want %v", engine, loaded.Exists, loaded.Data, data)
		}

		// Created in 2001: its expire_date (two weeks later) is long past.
		req := map[string]any{"engine": engine, "data": map[string]any{"old": true}, "now": 1_000_000_000}
		if err := b.Call(ctx, "session_create", req, &expired); err != nil {
			t.Fatalf("%s: %v", engine, err)
		}
		var cleared clearResp
		if err := b.Call(ctx, "clear_expired", map[string]any{"engine": engine}, &cleared); err != nil {
			t.Fatalf("%s: %v", engine, err)
		}
		// The bridge's database is its own: exactly this round's expired row goes, and the live
		// rows of both rounds stay.
		if cleared.Removed == nil || *cleared.Removed != 1 || cleared.Remaining == nil || *cleared.Remaining != i+1 {
			raw, _ := json.Marshal(cleared)
			t.Fatalf("%s: clear_expired = %s, want removed 1, remaining %d", engine, raw, i+1)
		}
		// Read the table through the db engine: cached_db would answer from the cache, which
		// clearsessions does not touch.
		for key, want := range map[string]bool{expired.SessionKey: false, live.SessionKey: true} {
			var ex struct {
				Exists bool `json:"exists"`
			}
			if err := b.Call(ctx, "session_exists", map[string]any{"engine": "db", "session_key": key}, &ex); err != nil {
				t.Fatalf("%s: %v", engine, err)
			}
			if ex.Exists != want {
				t.Fatalf("%s: after clear_expired, row %s exists=%v, want %v", engine, key[:8], ex.Exists, want)
			}
		}
	}
}
