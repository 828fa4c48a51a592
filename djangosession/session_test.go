package djangosession_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/djangobridge/bridge/py"

	"github.com/djangobridge/bridge/djangosession"
)

// The accessed and modified flags after each dict operation on a loaded session holding
// {"a": 1, "b": "x"}, as SessionBase sets them.
func TestSessionFlags(t *testing.T) {
	type sess = *djangosession.Session
	tests := []struct {
		name         string
		op           func(s sess) any
		want         any // the operation's result
		accessed     bool
		modified     bool
		wantLen      int
		wantAFirst   bool // "a" is still the first key
		wantNotEmpty bool
	}{
		{"no op", func(s sess) any { return nil }, nil, false, false, -1, true, true},
		{"Key", func(s sess) any { return s.Key() }, key1, false, false, -1, true, true},
		{"Get present", func(s sess) any { v, _ := s.Get("a"); return v }, int64(1), true, false, 2, true, true},
		{"Get missing", func(s sess) any { _, ok := s.Get("zz"); return ok }, false, true, false, 2, true, true},
		{"String", func(s sess) any { v, _ := s.String("b"); return v }, "x", true, false, 2, true, true},
		{"String wrong type", func(s sess) any { _, ok := s.String("a"); return ok }, false, true, false, 2, true, true},
		{"Int", func(s sess) any { v, _ := s.Int("a"); return v }, int64(1), true, false, 2, true, true},
		{"Bool wrong type", func(s sess) any { _, ok := s.Bool("a"); return ok }, false, true, false, 2, true, true},
		{"Has", func(s sess) any { return s.Has("b") }, true, true, false, 2, true, true},
		{"Len", func(s sess) any { return s.Len() }, 2, true, false, 2, true, true},
		{"Keys", func(s sess) any { return len(s.Keys()) }, 2, true, false, 2, true, true},
		{"All", func(s sess) any {
			n := 0
			for range s.All() {
				n++
			}
			return n
		}, 2, true, false, 2, true, true},
		{"Set new", func(s sess) any { s.Set("c", true); return nil }, nil, true, true, 3, true, true},
		{"Set existing keeps order", func(s sess) any { s.Set("a", int64(5)); return nil }, nil, true, true, 2, true, true},
		{"Remove present", func(s sess) any { return s.Remove("b") }, true, true, true, 1, true, true},
		{"Remove missing", func(s sess) any { return s.Remove("zz") }, false, true, false, 2, true, true},
		{"Pop present", func(s sess) any { v, _ := s.Pop("a"); return v }, int64(1), true, true, 1, false, true},
		{"Pop missing", func(s sess) any { _, ok := s.Pop("zz"); return ok }, false, true, false, 2, true, true},
		{"SetDefault existing", func(s sess) any { return s.SetDefault("a", int64(9)) }, int64(1), true, false, 2, true, true},
		{"SetDefault new", func(s sess) any { return s.SetDefault("c", int64(9)) }, int64(9), true, true, 3, true, true},
		{"Update", func(s sess) any { return s.Update(py.DictOf("b", "y", "c", int64(3))) }, nil, true, true, 3, true, true},
		{"Update empty", func(s sess) any { return s.Update(py.NewDict(0)) }, nil, true, true, 2, true, true},
		{"Clear", func(s sess) any { s.Clear(); return nil }, nil, true, true, 0, false, true},
		{"Data", func(s sess) any { return s.Data().Len() }, 2, true, false, 2, true, true},
		{"MarkModified", func(s sess) any { s.MarkModified(); return nil }, nil, false, true, -1, true, true},
		{"SetTestCookie", func(s sess) any { s.SetTestCookie(); return s.TestCookieWorked() }, true, true, true, 3, true, true},
		{"TestCookieWorked", func(s sess) any { return s.TestCookieWorked() }, false, true, false, 2, true, true},
		{"DeleteTestCookie missing", func(s sess) any { s.DeleteTestCookie(); return nil }, nil, true, false, 2, true, true},
		{"ExpireAtBrowserClose", func(s sess) any { return s.ExpireAtBrowserClose() }, false, true, false, 2, true, true},
		{"ClearExpiry without one", func(s sess) any { s.ClearExpiry(); return nil }, nil, true, false, 2, true, true},
		{"SetExpirySeconds", func(s sess) any { s.SetExpirySeconds(60); return nil }, nil, true, true, 3, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, cache, _ := newTestStore(t, djangosession.Config{})
			seed(t, st, cache, key1, py.DictOf("a", int64(1), "b", "x"))
			s, err := st.Load(context.Background(), key1)
			if err != nil {
				t.Fatal(err)
			}
			got := tt.op(s)
			if got != tt.want {
				t.Errorf("result = %#v, want %#v", got, tt.want)
			}
			if s.Accessed() != tt.accessed || s.Modified() != tt.modified {
				t.Errorf("accessed %v modified %v, want %v %v", s.Accessed(), s.Modified(), tt.accessed, tt.modified)
			}
			if tt.wantLen >= 0 {
				if n := s.Data().Len(); n != tt.wantLen {
					t.Errorf("len = %d, want %d", n, tt.wantLen)
				}
				if first := s.Keys(); tt.wantAFirst != (len(first) > 0 && first[0] == "a") {
					t.Errorf("keys %v", first)
				}
			}
			if s.IsEmpty() == tt.wantNotEmpty {
				t.Errorf("IsEmpty = %v", s.IsEmpty())
			}
		})
	}
}

func TestSessionUpdateKeepsOrder(t *testing.T) {
	st, _, _ := newTestStore(t, djangosession.Config{})
	s := st.New()
	s.Set("a", int64(1))
	if err := s.Update(py.DictOf("b", int64(2), "a", int64(3))); err != nil {
		t.Fatal(err)
	}
	if got := s.Keys(); !slices.Equal(got, []any{"a", "b"}) {
		t.Errorf("keys = %v", got)
	}
	if v, _ := s.Int("a"); v != 3 {
		t.Errorf("a = %d", v)
	}
}

// IsEmpty is Django's is_empty(): "no key and no data", where a key whose data was never used
// counts as present.
func TestIsEmpty(t *testing.T) {
	ctx := context.Background()
	st, cache, _ := newTestStore(t, djangosession.Config{})
	seed(t, st, cache, key1, py.DictOf())

	s := st.New()
	if !s.IsEmpty() {
		t.Error("new session not empty")
	}
	s.Set("a", int64(1))
	if s.IsEmpty() {
		t.Error("new session with data is empty")
	}

	hit, _ := st.Load(ctx, key1) // an existing but empty dict
	if hit.IsEmpty() {
		t.Error("existing session (key kept) is empty")
	}
	hit.Len()
	if hit.IsEmpty() {
		t.Error("existing empty session is empty: Django keeps its key")
	}

	short, _ := st.Load(ctx, "short")
	if !short.IsEmpty() {
		t.Error("session of an invalid key is not empty")
	}
}

func TestZeroSessionDoesNotPanic(t *testing.T) {
	var s djangosession.Session
	ctx := context.Background()
	s.Set("a", int64(1))
	if v, _ := s.Int("a"); v != 1 {
		t.Error("zero Session lost a value")
	}
	for name, err := range map[string]error{
		"Save": s.Save(ctx), "Create": s.Create(ctx), "Delete": s.Delete(ctx), "Flush": s.Flush(ctx), "CycleKey": s.CycleKey(ctx),
	} {
		if err == nil || errors.Is(err, djangosession.ErrUpdate) {
			t.Errorf("%s on a zero Session: %v", name, err)
		}
	}
	if _, err := s.ExpiryAge(); err == nil {
		t.Error("ExpiryAge on a zero Session succeeded")
	}
	s.SetExpiryIn(0)
	s.SetExpiryAt(fixedNow)
}
