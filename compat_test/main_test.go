// Package compattest checks the compatibility harness itself: the fixtures exist for every
// supported Django and cache configuration, and the live bridge stores what the servers hold.
// The Go-reads/Django-reads tests of the library live with the djangosession packages.
package compattest

import (
	"fmt"
	"os"
	"testing"

	"github.com/djangobridge/bridge/internal/pybridge"
)

func TestMain(m *testing.M) {
	code := m.Run()
	fmt.Println(pybridge.Summary())
	pybridge.CloseAll()
	os.Exit(code)
}
