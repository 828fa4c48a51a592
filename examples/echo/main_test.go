package main

import (
	"testing"

	"github.com/djangobridge/bridge/examples/internal/exampletest"
)

// TestService runs the service against Django's database with a session Django's login wrote.
func TestService(t *testing.T) { exampletest.Run(t, newHandler) }
