package messages_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/djangobridge/bridge/djangosession"
	"github.com/djangobridge/bridge/messages"
)

func TestNewConfigErrors(t *testing.T) {
	for _, tt := range []struct {
		name  string
		cfg   messages.Config
		field string
	}{
		{"version", messages.Config{SecretKey: "k", DjangoVersion: "5.0"}, "DjangoVersion"},
		{"no key", messages.Config{}, "SECRET_KEY"},
		{"no key cookie", messages.Config{MessageStorage: messages.CookieStorage}, "SECRET_KEY"},
		{"storage", messages.Config{SecretKey: "k", MessageStorage: 7}, "MESSAGE_STORAGE"},
		{"fallbacks 3.2", messages.Config{SecretKey: "k", DjangoVersion: "3.2", SecretKeyFallbacks: []string{"o"}}, "SECRET_KEY_FALLBACKS"},
		{"domain", messages.Config{SecretKey: "k", SessionCookieDomain: "a;b"}, "SESSION_COOKIE_DOMAIN"},
		{"samesite", messages.Config{SecretKey: "k", SessionCookieSameSite: 9}, "SESSION_COOKIE_SAMESITE"},
	} {
		_, err := messages.New(tt.cfg)
		var ce *messages.ConfigError
		if !errors.As(err, &ce) || ce.Field != tt.field {
			t.Errorf("%s: New = %v, want a ConfigError for %s", tt.name, err, tt.field)
		}
	}
	if _, err := messages.New(messages.Config{MessageStorage: messages.SessionStorage}); err != nil {
		t.Errorf("SessionStorage without a key: %v", err)
	}
}

func TestOutsideMiddleware(t *testing.T) {
	if err := messages.AddTo(context.Background(), messages.Message{Level: 20, Message: "x"}); !errors.Is(err, messages.ErrNoMiddleware) {
		t.Errorf("AddTo = %v", err)
	}
	if _, err := messages.Get(context.Background()); !errors.Is(err, messages.ErrNoMiddleware) {
		t.Errorf("Get = %v", err)
	}
}

// FallbackStorage without djangosession's Middleware: the cookie alone works; a session read
// fails with ErrNoSession, as Django raises ImproperlyConfigured.
func TestFallbackWithoutSession(t *testing.T) {
	mw, err := messages.New(messages.Config{SecretKey: "k"})
	if err != nil {
		t.Fatal(err)
	}
	var addErr, lateErr error
	h := mw.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		addErr = messages.AddTo(r.Context(), messages.Message{Level: 20, Message: "x"})
		_, _ = w.Write([]byte("ok"))
		lateErr = messages.AddTo(r.Context(), messages.Message{Level: 20, Message: "late"})
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if addErr != nil || lateErr == nil {
		t.Errorf("AddTo = %v, after the response started = %v", addErr, lateErr)
	}
	if len(rec.Result().Cookies()) != 1 {
		t.Fatalf("Set-Cookie = %q", rec.Header().Values("Set-Cookie"))
	}

	only, err := mw.EncodeCookie(nil, true)
	if err != nil {
		t.Fatal(err)
	}
	var getErr error
	h = mw.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, getErr = messages.Get(r.Context())
	}))
	req := httptest.NewRequest("GET", "/", nil)
	req.AddCookie(&http.Cookie{Name: messages.CookieName, Value: only})
	h.ServeHTTP(httptest.NewRecorder(), req)
	if !errors.Is(getErr, djangosession.ErrNoSession) {
		t.Errorf("Get = %v, want ErrNoSession", getErr)
	}
}

// The message is dropped, not an error, when below MESSAGE_LEVEL or empty; a message that is
// not UTF-8 is refused.
func TestAddToFilters(t *testing.T) {
	mw, err := messages.New(messages.Config{SecretKey: "k", MessageLevel: messages.Warning})
	if err != nil {
		t.Fatal(err)
	}
	var got []messages.Message
	var errs []error
	h := mw.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, m := range []messages.Message{{Level: messages.Info, Message: "info"}, {Level: messages.Error}, {Level: messages.Error, Message: "\xff"}, {Level: messages.Error, Message: "kept"}} {
			errs = append(errs, messages.AddTo(r.Context(), m))
		}
		got, _ = messages.Get(r.Context())
	}))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	if errs[0] != nil || errs[1] != nil || errs[2] == nil || errs[3] != nil {
		t.Errorf("errors = %v", errs)
	}
	if len(got) != 1 || got[0].Message != "kept" {
		t.Errorf("Get = %+v", got)
	}
}
