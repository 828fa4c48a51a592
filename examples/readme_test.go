package examples

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestREADMEFirstExample builds the complete service the repository's README shows first, so
// that it stays true to the API: its Go block is written to a module of its own beside this one,
// with this module's requirements.
func TestREADMEFirstExample(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(readme)
	start := strings.Index(text, "```go\npackage main\n")
	if start < 0 {
		t.Fatal("README.md has no ```go block starting with package main")
	}
	code := text[start+len("```go\n"):]
	code = code[:strings.Index(code, "```\n")]
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	mod, err := os.ReadFile("go.mod")
	if err != nil {
		t.Fatal(err)
	}
	sum, err := os.ReadFile("go.sum")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	gomod := strings.Replace(string(mod), "module github.com/djangobridge/bridge/examples", "module readmecheck", 1)
	gomod = strings.Replace(gomod, "=> ../", "=> "+root+"/", 1)
	for name, content := range map[string]string{"go.mod": gomod, "go.sum": string(sum), "main.go": code} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("go", "vet", ".")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the README's first example does not build: %v\n%s", err, out)
	}
}
