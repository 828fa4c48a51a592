package faulttest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/djangobridge/bridge/djangosession"
)

// ledger remembers, for every session, the last value a Save acknowledged and the values of
// the Saves that failed after it (a failed Save may or may not have reached the server: a reply
// cut after the write, a deadline after the send). At the end, every session must hold one of
// those values, in full.
type ledger struct {
	mu      sync.Mutex
	acked   map[string]int64
	pending map[string][]int64
	seq     atomic.Int64

	attempted, errs, emptyLoads atomic.Int64
	// failedButApplied counts, at verify, sessions holding the value of a Save that returned
	// an error (the write reached the server, its reply did not reach the client).
	failedButApplied atomic.Int64
}

func newLedger() *ledger {
	return &ledger{acked: map[string]int64{}, pending: map[string][]int64{}}
}

// create makes a session holding owner = its index and seq = 0.
func (l *ledger) create(ctx context.Context, t *testing.T, st *djangosession.Store, owner int) string {
	t.Helper()
	s := st.New()
	s.Set("owner", int64(owner))
	s.Set("seq", int64(0))
	s.Set("payload", fmt.Sprintf("session %d: %0100d", owner, owner))
	if err := s.Save(ctx); err != nil {
		t.Fatalf("create session %d: %v", owner, err)
	}
	l.mu.Lock()
	l.acked[s.Key()] = 0
	l.mu.Unlock()
	return s.Key()
}

// step loads key, checks it is whole, sets a new seq and saves it, recording the outcome. It
// returns the error of the failed operation, if any.
func (l *ledger) step(ctx context.Context, st *djangosession.Store, key string, owner int) error {
	l.attempted.Add(1)
	s, err := st.Load(ctx, key)
	if err != nil {
		l.errs.Add(1)
		return err
	}
	if got, _ := s.Int("owner"); got != int64(owner) || !s.Has("seq") || !s.Has("payload") {
		// A load that "succeeded" with an empty or foreign session while the server was
		// broken: the bug this package exists to catch.
		l.emptyLoads.Add(1)
		return fmt.Errorf("load of session %d gave %v: %w", owner, s.Keys(), errUnexpected)
	}
	seq := l.seq.Add(1)
	s.Set("seq", seq)
	l.attempted.Add(1)
	err = s.Save(ctx)
	l.mu.Lock()
	defer l.mu.Unlock()
	if err != nil {
		l.errs.Add(1)
		l.pending[key] = append(l.pending[key], seq)
		return err
	}
	l.acked[key] = seq
	l.pending[key] = nil
	return nil
}

// verify reads every session back through st (with a generous deadline) and returns how many
// are lost: missing, not whole, or holding a value no Save attempted since the last
// acknowledged one. keys maps session keys to owners; only those are checked.
func (l *ledger) verify(t *testing.T, st *djangosession.Store, keys map[string]int) int {
	t.Helper()
	lost := 0
	for key, owner := range keys {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		s, err := st.Load(ctx, key)
		cancel()
		if err != nil {
			t.Errorf("session %d: final load: %v", owner, err)
			lost++
			continue
		}
		gotOwner, _ := s.Int("owner")
		seq, okSeq := s.Int("seq")
		payload, _ := s.String("payload")
		l.mu.Lock()
		allowed := append([]int64{l.acked[key]}, l.pending[key]...)
		l.mu.Unlock()
		switch {
		case s.Key() == "" || s.Len() == 0:
			t.Errorf("session %d: gone (empty after load)", owner)
			lost++
		case gotOwner != int64(owner) || !okSeq || payload != fmt.Sprintf("session %d: %0100d", owner, owner):
			t.Errorf("session %d: not whole: %v", owner, s.Keys())
			lost++
		case !slices.Contains(allowed, seq):
			t.Errorf("session %d: seq %d, want one of %v (last acknowledged first)", owner, seq, allowed)
			lost++
		case seq != allowed[0]:
			l.failedButApplied.Add(1)
		}
	}
	return lost
}

// checkErr asserts that a fault error is typed: a *djangosession.CacheError, and never a miss.
func checkErr(t *testing.T, err error) {
	t.Helper()
	if errors.Is(err, errUnexpected) {
		t.Error(err)
		return
	}
	var ce *djangosession.CacheError
	if !errors.As(err, &ce) {
		t.Errorf("error is not a *djangosession.CacheError: %T %v", err, err)
	}
	if errors.Is(err, djangosession.ErrNotFound) || errors.Is(err, djangosession.ErrCorrupt) {
		t.Errorf("a broken server reported as a miss: %v", err)
	}
}
