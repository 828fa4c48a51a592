package pybridge

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestMain(m *testing.M) {
	code := m.Run()
	fmt.Println(Summary())
	CloseAll()
	os.Exit(code)
}

func TestVersions(t *testing.T) {
	got := Versions()
	if strings.Join(got, ",") != "3.2,4.2,5.2,6.0,6.1" {
		t.Fatalf("Versions() = %v", got)
	}
	got[0] = "mutated"
	if Versions()[0] != "3.2" {
		t.Fatal("Versions() shares its backing array")
	}
}

func TestTailBuffer(t *testing.T) {
	b := newTailBuffer(4)
	fmt.Fprint(b, "ab")
	fmt.Fprint(b, "cdef")
	if got := string(b.Bytes()); got != "cdef" {
		t.Fatalf("tail = %q, want %q", got, "cdef")
	}
}

func TestErrorMessage(t *testing.T) {
	var err error = &Error{Op: "unsign", Class: "BadSignature", Message: "no"}
	var pe *Error
	if !errors.As(err, &pe) || pe.Class != "BadSignature" {
		t.Fatalf("errors.As failed for %v", err)
	}
	if err.Error() != "pybridge: unsign: BadSignature: no" {
		t.Fatalf("Error() = %q", err.Error())
	}
}

func TestStartWithoutVenv(t *testing.T) {
	for _, name := range ServerEnv {
		t.Setenv(name, "127.0.0.1:1")
	}
	t.Setenv("DJANGOBRIDGE_VENVS", t.TempDir())
	_, err := Start(context.Background(), "4.2")
	if err == nil || !strings.Contains(err.Error(), "compat_test/setup.sh") {
		t.Fatalf("Start without a venv: err = %v, want a hint at compat_test/setup.sh", err)
	}
}

func TestStartWithoutServers(t *testing.T) {
	t.Setenv("DJANGOBRIDGE_REDIS", "")
	_, err := Start(context.Background(), "4.2")
	if err == nil || !strings.Contains(err.Error(), "servers-start.sh") {
		t.Fatalf("Start without servers: err = %v, want a hint at scripts/servers-start.sh", err)
	}
}

func TestLiveCall(t *testing.T) {
	ForEachVersion(t, func(t *testing.T, b *Bridge) {
		ctx := context.Background()
		if b.Info.DjangoID != b.DjangoID || !strings.HasPrefix(b.Info.Django, b.DjangoID+".") {
			t.Fatalf("ping: %+v for %s", b.Info, b.DjangoID)
		}
		// ok:false comes back as *Error and the bridge keeps working.
		err := b.Call(ctx, "unsign", map[string]any{"key": "k", "signed": "hello:bad"}, nil)
		var pe *Error
		if !errors.As(err, &pe) || pe.Class != "BadSignature" || pe.Op != "unsign" {
			t.Fatalf("unsign of a bad signature: %v", err)
		}
		err = b.Call(ctx, "no_such_op", nil, nil)
		if !errors.As(err, &pe) || pe.Class != "BridgeError" {
			t.Fatalf("unknown op: %v", err)
		}
		// Concurrent callers are serialised; each gets its own answer.
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for i := 0; i < 8; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				value := fmt.Sprintf("v%d", i)
				var signed struct{ Signed string }
				if err := b.Call(ctx, "sign", map[string]any{"key": "k", "value": value}, &signed); err != nil {
					errs <- err
					return
				}
				var back struct{ Value string }
				if err := b.Call(ctx, "unsign", map[string]any{"key": "k", "signed": signed.Signed}, &back); err != nil {
					errs <- err
					return
				}
				if back.Value != value {
					errs <- fmt.Errorf("unsign(sign(%q)) = %q", value, back.Value)
				}
			}(i)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	})
}

func TestLiveCancelledCallClosesBridge(t *testing.T) {
	Shared(t, "6.1") // skips under -short, fails without servers/venv
	b, err := Start(context.Background(), "6.1")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	// Already cancelled: nothing is sent and the bridge stays usable.
	if err := b.Call(ctx, "ping", nil, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("Call with a cancelled ctx: %v", err)
	}
	if err := b.Call(context.Background(), "ping", nil, nil); err != nil {
		t.Fatalf("ping after a call that was never sent: %v", err)
	}
	// Cancelled while the bridge works (it sleeps 30 s): the process is killed.
	ctx, cancel = context.WithCancel(context.Background())
	go func() {
		var info Info
		_ = b.Call(context.Background(), "ping", nil, &info) // queued behind the sleep
	}()
	time.AfterFunc(100*time.Millisecond, cancel)
	if err := b.Call(ctx, "sleep", map[string]any{"seconds": 30}, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("Call cancelled mid-request: %v", err)
	}
	if err := b.Call(context.Background(), "ping", nil, nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("Call after a cancelled call: %v, want ErrClosed", err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestSelectVersions(t *testing.T) {
	for _, tc := range []struct {
		env  string
		want []string
	}{
		{"", allVersions},
		{"5.2", []string{"5.2"}},
		{" 6.1, 3.2 ,6.1", []string{"6.1", "3.2"}},
		{"9.9", allVersions},
	} {
		if got := selectVersions(tc.env); !slices.Equal(got, tc.want) {
			t.Errorf("selectVersions(%q) = %v, want %v", tc.env, got, tc.want)
		}
	}
}
