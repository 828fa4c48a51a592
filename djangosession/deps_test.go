package djangosession

import (
	"os/exec"
	"strings"
	"testing"
)

// TestStdlibOnly keeps the core package free of third-party imports: the backends live in
// sub-packages so that a program importing only djangosession builds with the standard library.
func TestStdlibOnly(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, p := range strings.Fields(string(out)) {
		if p != "github.com/djangobridge/bridge/djangosession" {
			t.Errorf("djangosession depends on non-standard package %s; move that code to a sub-package", p)
		}
	}
}
