package compattest

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/djangobridge/bridge/djangosession"
	"github.com/djangobridge/bridge/internal/pybridge"
	"github.com/djangobridge/bridge/messages"
)

// messagesLiveKey is messagesoracle.py's SECRET_KEY.
const messagesLiveKey = "djangobridge-messages-live"

// jar is the browser between Go and Django: cookie name -> value.
type jar map[string]string

func (j jar) fromDjango(t *testing.T, resp map[string]any) {
	t.Helper()
	cookies, _ := resp["cookies"].(map[string]any)
	for name, c := range cookies {
		m := c.(map[string]any)
		if age, ok := m["max_age"].(float64); ok && age == 0 {
			delete(j, name)
		} else {
			j[name] = m["value"].(string)
		}
	}
}

func (j jar) fromGo(rec *httptest.ResponseRecorder) {
	for _, c := range rec.Result().Cookies() {
		if c.MaxAge < 0 {
			delete(j, c.Name)
		} else {
			j[c.Name] = c.Value
		}
	}
}

func (j jar) copy() map[string]any {
	out := map[string]any{}
	for k, v := range j {
		out[k] = v
	}
	return out
}

// goService is a Go service next to the oracle's Django: signed-cookie sessions and the
// default FallbackStorage with the same SECRET_KEY.
type goService struct {
	h    http.Handler
	add  []messages.Message
	seen []messages.Message
	err  error
}

func newGoService(t *testing.T, version string) *goService {
	t.Helper()
	store, err := djangosession.NewStore(djangosession.Config{SessionEngine: djangosession.EngineSignedCookies, SecretKey: messagesLiveKey, DjangoVersion: version})
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := messages.New(messages.Config{DjangoVersion: version, SecretKey: messagesLiveKey})
	if err != nil {
		t.Fatal(err)
	}
	g := &goService{}
	mux := http.NewServeMux()
	mux.HandleFunc("/add/", func(w http.ResponseWriter, r *http.Request) {
		for _, m := range g.add {
			if err := messages.AddTo(r.Context(), m); err != nil {
				g.err = err
			}
		}
		_, _ = w.Write([]byte("added"))
	})
	mux.HandleFunc("/get/", func(w http.ResponseWriter, r *http.Request) {
		g.seen, g.err = messages.Get(r.Context())
		_, _ = w.Write([]byte("read"))
	})
	g.h = (&djangosession.Middleware{Store: store}).Handler(msgs.Handler(mux))
	return g
}

func (g *goService) do(t *testing.T, j jar, path string) {
	t.Helper()
	req := httptest.NewRequest("GET", path, nil)
	for k, v := range j {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	rec := httptest.NewRecorder()
	g.h.ServeHTTP(rec, req)
	if g.err != nil {
		t.Fatalf("Go %s: %v", path, g.err)
	}
	j.fromGo(rec)
}

// batch is n messages of text zlib cannot shrink much: 40 of them overflow the 2048-byte
// cookie into the session.
func batch(prefix string, n int) []messages.Message {
	out := make([]messages.Message, n)
	x := uint32(2463534242)
	for i := range out {
		var b strings.Builder
		for k := 0; k < 60; k++ {
			x ^= x << 13
			x ^= x >> 17
			x ^= x << 5
			b.WriteByte("abcdefghijklmnopqrstuvwxyz0123456789 "[x%37])
		}
		out[i] = messages.Message{Level: messages.Info + i%3*5, Message: fmt.Sprintf("%s %d ✓ %s", prefix, i, b.String()), ExtraTags: fmt.Sprintf("t%d", i%2)}
	}
	return out
}

func djangoMessages(t *testing.T, resp map[string]any) []messages.Message {
	t.Helper()
	var out []messages.Message
	for _, x := range resp["messages"].([]any) {
		m := x.([]any)
		extra, _ := m[2].(string) // None: what Django 3.2 reads for an empty extra_tags
		out = append(out, messages.Message{Level: int(m[0].(float64)), Message: m[1].(string), ExtraTags: extra})
	}
	return out
}

func sameMessages(t *testing.T, what string, got, want []messages.Message) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d messages, want %d", what, len(got), len(want))
	}
	for i := range want {
		if got[i].Level != want[i].Level || got[i].Message != want[i].Message || got[i].ExtraTags != want[i].ExtraTags {
			t.Errorf("%s: message %d = %+v, want %+v", what, i, got[i], want[i])
		}
	}
}

// TestMessagesLive: under Django's default FallbackStorage, messages Go adds show in Django's
// get_messages, and messages Django adds are read by Go, for each Django version, with and
// without overflow from the cookie into the session, and each side's read empties the storage
// for the other.
func TestMessagesLive(t *testing.T) {
	if testing.Short() {
		t.Skip("live test: needs the Django venvs (compat_test/setup.sh)")
	}
	for _, v := range pybridge.Versions() {
		t.Run(v, func(t *testing.T) {
			t.Parallel()
			o := startOracleScript(t, v, "messagesoracle.py")
			for _, n := range []int{1, 40} {
				t.Run(fmt.Sprintf("go-to-django/%d", n), func(t *testing.T) {
					g, j := newGoService(t, v), jar{}
					g.add = batch("From Go", n)
					g.do(t, j, "/add/")
					if _, ok := j[messages.CookieName]; !ok {
						t.Fatalf("Go set no messages cookie: %v", j)
					}
					if _, ok := j["sessionid"]; ok != (n > 1) {
						t.Errorf("session cookie present = %v, want %v (overflow)", ok, n > 1)
					}
					resp := o.call(t, "get", map[string]any{"cookies": j.copy()})
					sameMessages(t, "Django's get_messages", djangoMessages(t, resp), g.add)
					j.fromDjango(t, resp)
					if _, ok := j[messages.CookieName]; ok {
						t.Errorf("Django kept the messages cookie after reading it")
					}
					resp = o.call(t, "get", map[string]any{"cookies": j.copy()})
					sameMessages(t, "Django's second get_messages", djangoMessages(t, resp), nil)
				})
				t.Run(fmt.Sprintf("django-to-go/%d", n), func(t *testing.T) {
					g, j := newGoService(t, v), jar{}
					want := batch("From Django", n)
					var list [][]any
					for _, m := range want {
						list = append(list, []any{m.Level, m.Message, m.ExtraTags})
					}
					j.fromDjango(t, o.call(t, "add", map[string]any{"messages": list}))
					g.do(t, j, "/get/")
					sameMessages(t, "Go's Get", g.seen, want)
					if _, ok := j[messages.CookieName]; ok {
						t.Errorf("Go kept the messages cookie after reading it")
					}
					resp := o.call(t, "get", map[string]any{"cookies": j.copy()})
					sameMessages(t, "Django after Go read them", djangoMessages(t, resp), nil)
				})
			}
			t.Run("both", func(t *testing.T) {
				g, j := newGoService(t, v), jar{}
				j.fromDjango(t, o.call(t, "add", map[string]any{"messages": [][]any{{25, "first, from Django", ""}}}))
				g.add = []messages.Message{{Level: messages.Warning, Message: "second, from Go"}}
				g.do(t, j, "/add/")
				resp := o.call(t, "get", map[string]any{"cookies": j.copy()})
				sameMessages(t, "Django's get_messages", djangoMessages(t, resp), []messages.Message{{Level: 25, Message: "first, from Django"}, {Level: messages.Warning, Message: "second, from Go"}})
			})
		})
	}
}
