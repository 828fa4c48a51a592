package dbstore

import (
	"os/exec"
	"strings"
	"testing"
)

// TestStdlibOnly: the package imports database/sql and no driver; drivers are the caller's
// (and the tests').
func TestStdlibOnly(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, p := range strings.Fields(string(out)) {
		if p != "github.com/djangobridge/bridge/djangosession/dbstore" {
			t.Errorf("dbstore depends on non-standard package %s", p)
		}
	}
}
