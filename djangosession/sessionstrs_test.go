package djangosession_test

import (
	"slices"
	"testing"

	"github.com/djangobridge/bridge/auth"
	"github.com/djangobridge/bridge/csrf"
	"github.com/djangobridge/bridge/djangosession"
	"github.com/djangobridge/bridge/messages"
)

// TestSessionStrs: the strs the Store's codec interns are the session keys of the contrib
// packages (which sit above djangosession, so it cannot name their constants) and the default
// backend.
func TestSessionStrs(t *testing.T) {
	want := []string{auth.SessionKey, auth.BackendSessionKey, auth.HashSessionKey, auth.ModelBackend,
		csrf.SessionKey, djangosession.ExpiryKey, messages.SessionKey}
	got := djangosession.SessionStrs.Strs()
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("interned %q, want %q", got, want)
	}
}
