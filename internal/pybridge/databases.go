package pybridge

import (
	"os"
	"strings"
	"testing"
)

// DatabaseEnv lists the environment variables naming the test database servers, as
// scripts/servers-start.sh prints them: URLs "postgres://USER:PASS@HOST:PORT/NAME" and
// "mysql://USER:PASS@HOST:PORT/NAME". A bridge started with one of them as DJANGOBRIDGE_DB_URL
// uses a database of its own on that server (compat_test/README.md).
var DatabaseEnv = []string{"DJANGOBRIDGE_POSTGRES", "DJANGOBRIDGE_MYSQL"}

// Databases are the test database servers' URLs, from the environment.
type Databases struct {
	Postgres string // DJANGOBRIDGE_POSTGRES
	MySQL    string // DJANGOBRIDGE_MYSQL (MariaDB)
}

// RequireDatabases returns the database URLs. It skips t under -short and otherwise fails t with
// instructions when a variable is missing.
func RequireDatabases(t testing.TB) Databases {
	t.Helper()
	if testing.Short() {
		t.Skip("live test (needs the test database servers): skipped under -short")
	}
	var missing []string
	for _, name := range DatabaseEnv {
		if os.Getenv(name) == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		t.Fatalf("live test: %s not set. Start the servers with scripts/servers-start.sh, then "+
			"`source .run/servers.env` (run compat_test/setup.sh for the Django venvs); "+
			"-short skips live tests", strings.Join(missing, ", "))
	}
	return Databases{Postgres: os.Getenv("DJANGOBRIDGE_POSTGRES"), MySQL: os.Getenv("DJANGOBRIDGE_MYSQL")}
}
