package compattest

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/djangobridge/bridge/auth"
	"github.com/djangobridge/bridge/csrf"
	"github.com/djangobridge/bridge/messages"

	"github.com/djangobridge/bridge/auth/authdb"
	"github.com/djangobridge/bridge/djangosession"
	"github.com/djangobridge/bridge/internal/pybridge"
)

// Live tests of the HTTP side (middleware, auth, CSRF, messages) against real Django versions:
// the bridge (login, get_user, session_load) and compat_test/djproject/demo/httporacle.py, a
// second Django process per version for what the bridge has no op for (changing a password,
// reading messages, SessionMiddleware's headers under given settings, CSRF tokens). Both use
// Redis db 2 (memcached on 3.2), shared with Go through the test servers.

// oracle is a running httporacle.py.
type oracle struct {
	mu    sync.Mutex
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   *bufio.Reader
	id    int
}

func startOracle(t *testing.T, djangoID string) *oracle {
	t.Helper()
	return startOracleScript(t, djangoID, "httporacle.py")
}

// startOracleScript starts compat_test/djproject/demo/<script> in the venv of djangoID.
func startOracleScript(t *testing.T, djangoID, script string) *oracle {
	t.Helper()
	py, err := pybridge.Python(djangoID)
	if err != nil {
		t.Fatalf("%v (make the venvs with compat_test/setup.sh)", err)
	}
	root, err := pybridge.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(py, filepath.Join(root, "compat_test", "djproject", "demo", script))
	cmd.Env = append(os.Environ(), "PYTHONHASHSEED=0")
	cmd.Stderr = io.Discard
	if testing.Verbose() {
		cmd.Stderr = os.Stderr
	}
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	o := &oracle{cmd: cmd, stdin: in, out: bufio.NewReader(out)}
	t.Cleanup(func() {
		_ = in.Close()
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	return o
}

// call sends one request and decodes the response into a map; ok:false fails the test.
func (o *oracle) call(t *testing.T, op string, req map[string]any) map[string]any {
	t.Helper()
	o.mu.Lock()
	defer o.mu.Unlock()
	o.id++
	if req == nil {
		req = map[string]any{}
	}
	req["id"], req["op"] = o.id, op
	line, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := o.stdin.Write(append(line, '\n')); err != nil {
		t.Fatalf("oracle %s: %v", op, err)
	}
	type result struct {
		line []byte
		err  error
	}
	ch := make(chan result, 1)
	go func() {
		l, err := o.out.ReadBytes('\n')
		ch <- result{l, err}
	}()
	var r result
	select {
	case r = <-ch:
	case <-time.After(60 * time.Second):
		_ = o.cmd.Process.Kill()
		t.Fatalf("oracle %s: no answer in 60 s", op)
	}
	if r.err != nil {
		t.Fatalf("oracle %s: %v", op, r.err)
	}
	var resp map[string]any
	if err := json.Unmarshal(r.line, &resp); err != nil {
		t.Fatalf("oracle %s: %v: %s", op, err, r.line)
	}
	if resp["ok"] != true {
		t.Fatalf("oracle %s: %v: %v", op, resp["error"], resp["message"])
	}
	return resp
}

// liveSecretKey is the bridge's SECRET_KEY (compat_test/djproject/settings.py).
func liveSecretKey() string {
	if k := os.Getenv("DJANGOBRIDGE_SECRET_KEY"); k != "" {
		return k
	}
	return "djangobridge-compat-secret-key-not-for-production"
}

// passwordBook is a PasswordHashFunc whose entries the test changes.
type passwordBook struct {
	mu sync.Mutex
	m  map[string]string
}

func (p *passwordBook) set(id, hash string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.m[id] = hash
}

func (p *passwordBook) lookup(_ context.Context, id string) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	h, ok := p.m[id]
	if !ok {
		return "", djangosession.ErrNotFound
	}
	return h, nil
}

// httpLiveEnv is the Go service of one Django version, over real HTTP on loopback.
type httpLiveEnv struct {
	b      *pybridge.Bridge
	o      *oracle
	config string
	store  *djangosession.Store
	auth   *auth.Manager
	csrf   *csrf.Middleware // CSRF_USE_SESSIONS, as the project's settings
	pw     *passwordBook
	srv    *httptest.Server
}

// goService is the Go side: who is logged in, login, logout, a message, a CSRF-protected POST.
func (e *httpLiveEnv) goService() http.Handler {
	mux := http.NewServeMux()
	session := func(w http.ResponseWriter, r *http.Request) *djangosession.Session {
		s, err := djangosession.FromContext(r.Context())
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return nil
		}
		return s
	}
	mux.HandleFunc("GET /whoami", func(w http.ResponseWriter, r *http.Request) {
		if s := session(w, r); s != nil {
			u, err := e.auth.GetUser(r.Context(), s)
			if err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			if !u.IsAuthenticated() {
				fmt.Fprint(w, "anonymous")
				return
			}
			fmt.Fprint(w, u.ID)
		}
	})
	// The login view is csrf_exempt here (the test posts without a token) but runs inside the
	// CSRF middleware, so that Login rotates the CSRF secret as Django's login does.
	mux.Handle("POST /login", e.csrf.Handler(csrf.Exempt(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s := session(w, r); s != nil {
			if err := e.auth.Login(r.Context(), s, auth.User{ID: "1"}); err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
			}
		}
	}))))
	mux.Handle("GET /csrf-token", e.csrf.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, err := e.csrf.Token(w, r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		fmt.Fprint(w, tok)
	})))
	mux.HandleFunc("POST /logout", func(w http.ResponseWriter, r *http.Request) {
		if s := session(w, r); s != nil {
			if err := e.auth.Logout(r.Context(), s); err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
			}
		}
	})
	mux.HandleFunc("POST /message", func(w http.ResponseWriter, r *http.Request) {
		if s := session(w, r); s != nil {
			msg := messages.Message{Level: messages.Info, Message: r.URL.Query().Get("text")}
			if err := messages.Add(s, msg); err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
			}
		}
	})
	mux.Handle("POST /protected", e.csrf.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "accepted")
	})))
	mw := &djangosession.Middleware{Store: e.store}
	return mw.Handler(mux)
}

// do sends a request to the Go service with the session cookie; it returns the body and the
// session key of the Set-Cookie header ("" when none, `""` when deleted).
func (e *httpLiveEnv) do(t *testing.T, method, path, sessionKey string, body io.Reader, header map[string]string) (int, string, string) {
	t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if sessionKey != "" {
		req.Header.Set("Cookie", "sessionid="+sessionKey)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	setKey := ""
	if sc := resp.Header.Get("Set-Cookie"); sc != "" {
		setKey, _, _ = strings.Cut(strings.TrimPrefix(sc, "sessionid="), ";")
	}
	return resp.StatusCode, string(b), setKey
}

// djangoLogin is auth.login in Django (bridge op login); it returns the session key.
func (e *httpLiveEnv) djangoLogin(t *testing.T) string {
	t.Helper()
	var resp struct {
		SessionKey string `json:"session_key"`
	}
	if err := e.b.Call(context.Background(), "login", map[string]any{"config": e.config, "username": "alice"}, &resp); err != nil {
		t.Fatal(err)
	}
	return resp.SessionKey
}

// djangoUser is auth.get_user in Django (bridge op get_user): the user id or "".
func (e *httpLiveEnv) djangoUser(t *testing.T, key string) string {
	t.Helper()
	var resp struct {
		UserID *string `json:"user_id"`
	}
	if err := e.b.Call(context.Background(), "get_user", map[string]any{"config": e.config, "session_key": key}, &resp); err != nil {
		t.Fatal(err)
	}
	if resp.UserID == nil {
		return ""
	}
	return *resp.UserID
}

func TestHTTPLive(t *testing.T) {
	pybridge.RequireServers(t)
	pybridge.ForEachVersion(t, func(t *testing.T, b *pybridge.Bridge) {
		e := &httpLiveEnv{b: b, o: startOracle(t, b.DjangoID), config: "redis"}
		if !slices.Contains(b.Info.Configs, "redis") {
			e.config = "pymemcache"
		}
		e.store = storeForConfig(t, b, e.config, func(*djangosession.Config) {})
		alice := e.o.call(t, "password_hash", map[string]any{"username": "alice"})["password_hash"].(string)
		e.pw = &passwordBook{m: map[string]string{"1": alice}}
		e.auth = &auth.Manager{SecretKey: liveSecretKey(), PasswordHash: e.pw.lookup}
		var err error
		if e.csrf, err = csrf.New(csrf.Config{CSRFUseSessions: true, DjangoVersion: b.DjangoID}); err != nil {
			t.Fatal(err)
		}
		e.srv = httptest.NewServer(e.goService())
		t.Cleanup(e.srv.Close)

		t.Run("Django login, Go sees the user", func(t *testing.T) {
			key := e.djangoLogin(t)
			code, body, _ := e.do(t, "GET", "/whoami", key, nil, nil)
			if code != 200 || body != "1" {
				t.Fatalf("Go /whoami = %d %q, want alice (1)", code, body)
			}
		})
		t.Run("Go login, Django get_user", func(t *testing.T) {
			// Starting from an anonymous Django session: Go cycles its key.
			anon := e.o.call(t, "touch", map[string]any{"config": e.config, "set": map[string]any{"cart": "3"}})["session_key"].(string)
			code, body, key := e.do(t, "POST", "/login", anon, nil, nil)
			if code != 200 || len(key) != 32 || key == anon {
				t.Fatalf("Go login: %d %q, new key %q", code, body, key)
			}
			if got := e.djangoUser(t, key); got != "1" {
				t.Fatalf("Django get_user after a Go login = %q, want 1", got)
			}
			if got := e.djangoUser(t, anon); got != "" {
				t.Errorf("the pre-login key still works in Django: %q", got)
			}
		})
		t.Run("Go logout, Django anonymous", func(t *testing.T) {
			key := e.djangoLogin(t)
			code, _, set := e.do(t, "POST", "/logout", key, nil, nil)
			if code != 200 || set != `""` {
				t.Fatalf("Go logout: %d, Set-Cookie key %q, want the delete header", code, set)
			}
			if got := e.djangoUser(t, key); got != "" {
				t.Fatalf("Django get_user after a Go logout = %q, want anonymous", got)
			}
		})
		t.Run("password change in Django", func(t *testing.T) {
			forGo, forDjango := e.djangoLogin(t), e.djangoLogin(t)
			newHash := e.o.call(t, "set_password", map[string]any{"username": "alice", "password": "looking-glass", "salt": "djangobridgenewsalt"})["password_hash"].(string)
			t.Cleanup(func() {
				e.o.call(t, "set_password", map[string]any{"username": "alice", "password": "wonderland", "salt": "djangobridgesalt"})
				e.pw.set("1", alice)
			})
			e.pw.set("1", newHash) // what the Go service's database now says
			// The oracle's database has the new password (the bridge's does not).
			if got := e.o.call(t, "get_user", map[string]any{"config": e.config, "session_key": forDjango})["user_id"]; got != nil {
				t.Errorf("Django still accepts the session after the password change (%v)", got)
			}
			// Go treats the request as anonymous and leaves the session to Django, which flushes
			// it on its next request (a Go-side mistake must never log anyone out of Django).
			_, body, set := e.do(t, "GET", "/whoami", forGo, nil, nil)
			if body != "anonymous" || set != "" {
				t.Fatalf("Go after the password change: %q, Set-Cookie key %q; want anonymous and the cookie untouched", body, set)
			}
			if got := e.o.call(t, "get_user", map[string]any{"config": e.config, "session_key": forGo})["user_id"]; got != nil {
				t.Errorf("Django accepts the session Go left after the password change (%v)", got)
			}
			// A Go login with the new password hash is accepted by this Django (whose database
			// has it).
			_, _, key := e.do(t, "POST", "/login", "", nil, nil)
			r := e.o.call(t, "get_user", map[string]any{"config": e.config, "session_key": key})
			if r["user_id"] != "1" {
				t.Fatalf("Django (new password) get_user of a Go login = %v", r["user_id"])
			}
		})
		t.Run("messages both ways", func(t *testing.T) {
			key := e.djangoLogin(t)
			text := "From Go \u2713 <b>"
			if code, body, _ := e.do(t, "POST", "/message?text="+strings.ReplaceAll(text, " ", "%20"), key, nil, nil); code != 200 {
				t.Fatalf("Go /message: %d %s", code, body)
			}
			r := e.o.call(t, "messages", map[string]any{"config": e.config, "session_key": key})
			msgs, _ := r["messages"].([]any)
			found := false
			for _, m := range msgs {
				mm := m.([]any)
				if mm[0] == float64(20) && mm[1] == text && mm[3] == "info" {
					found = true
				}
			}
			if !found {
				t.Fatalf("Django's get_messages = %v (stored %v), want the Go message", msgs, r["stored"])
			}
			// Django adds one; Go reads it with the same fields.
			r = e.o.call(t, "add_message", map[string]any{"config": e.config, "session_key": key, "level": 25, "message": "Hé from Django"})
			s, err := e.store.Load(context.Background(), key)
			if err != nil {
				t.Fatal(err)
			}
			got, err := messages.Peek(s)
			if err != nil || len(got) == 0 || got[len(got)-1].Message != "Hé from Django" || got[len(got)-1].Level != 25 {
				t.Fatalf("Go Messages = %+v, %v (stored %v)", got, err, r["stored"])
			}
			// Byte-identical encoding.
			vec := [][]any{{20, "Hi \u00e9 \"q\" \\ \x7f\n \U0001F600", nil, false}, {25, "ok", "tag", false}, {30, "<i>s</i>", "", true}}
			want := e.o.call(t, "encode_messages", map[string]any{"messages": vec})["encoded"].(string)
			goMsgs := []messages.Message{
				{Level: 20, Message: "Hi \u00e9 \"q\" \\ \x7f\n \U0001F600", NilExtraTags: true},
				{Level: 25, Message: "ok", ExtraTags: "tag"},
				{Level: 30, Message: "<i>s</i>", Safe: true},
			}
			enc, err := messages.Encode(goMsgs, b.DjangoID == "3.2")
			if err != nil || enc != want {
				t.Errorf("EncodeMessages\n got %s\nwant %s", enc, want)
			}
		})
		t.Run("CSRF both ways", func(t *testing.T) {
			key := e.djangoLogin(t)
			r := e.o.call(t, "csrf_token", map[string]any{"config": e.config, "session_key": key})
			djTok := r["token"].(string)
			form := strings.NewReader("csrfmiddlewaretoken=" + djTok)
			if code, body, _ := e.do(t, "POST", "/protected", key, form, map[string]string{"Content-Type": "application/x-www-form-urlencoded"}); code != 200 || body != "accepted" {
				t.Fatalf("Go rejected Django's form token: %d %q", code, body)
			}
			// Hand-made forgery: Django's token with its last character changed (to one that
			// differs from it, so that the forgery is never the token itself).
			last := byte('A')
			if djTok[len(djTok)-1] == last {
				last = 'B'
			}
			forged := djTok[:len(djTok)-1] + string(last)
			if code, _, _ := e.do(t, "POST", "/protected", key, nil, map[string]string{"X-CSRFToken": forged}); code != 403 {
				t.Errorf("Go accepted a forged header token: %d", code)
			}
			storedSecret := func(key string) string {
				s, err := e.store.Load(context.Background(), key)
				if err != nil {
					t.Fatal(err)
				}
				v, _ := s.String(csrf.SessionKey)
				return v
			}
			before := storedSecret(key)
			code, goTok, _ := e.do(t, "GET", "/csrf-token", key, nil, nil)
			if code != 200 || storedSecret(key) != before {
				t.Fatalf("GET /csrf-token: %d %q; the stored secret changed (it was there)", code, goTok)
			}
			for _, header := range []bool{false, true} {
				st := e.o.call(t, "csrf_post", map[string]any{"config": e.config, "session_key": key, "token": goTok, "header": header})["status"]
				if st != float64(200) {
					t.Errorf("Django rejected Go's token (header=%v): %v", header, st)
				}
			}
			// After a Go login the secret is rotated as Django's: Django accepts the new one only.
			_, _, newKey := e.do(t, "POST", "/login", "", nil, nil)
			s2, err := e.store.Load(context.Background(), newKey)
			if err != nil {
				t.Fatal(err)
			}
			stored, _ := s2.String(csrf.SessionKey)
			wantLen := 32
			if b.DjangoID == "3.2" {
				wantLen = 64
			}
			if len(stored) != wantLen {
				t.Errorf("stored CSRF value %q, want %d chars as Django %s stores", stored, wantLen, b.DjangoID)
			}
			_, tok2, _ := e.do(t, "GET", "/csrf-token", newKey, nil, nil)
			if st := e.o.call(t, "csrf_post", map[string]any{"config": e.config, "session_key": newKey, "token": tok2})["status"]; st != float64(200) {
				t.Errorf("Django rejected the token of a Go login's CSRF secret: %v", st)
			}
		})
		t.Run("cookie headers equal Django's", func(t *testing.T) { testCookieHeaders(t, e) })
		t.Run("authdb query on Django's schema", func(t *testing.T) {
			q, err := authdb.Options{}.Query()
			if err != nil {
				t.Fatal(err)
			}
			rows, _ := e.o.call(t, "sql", map[string]any{"query": q, "args": []any{1}})["rows"].([]any)
			if len(rows) != 1 {
				t.Fatalf("%s: %v", q, rows)
			}
			row := rows[0].([]any)
			if row[0] != alice || (row[1] != true && row[1] != float64(1)) { // Django registers a bool converter
				t.Errorf("%s: %v, want [%s 1]", q, row, alice)
			}
		})
	})
}

var expiresRE = regexp.MustCompile(`expires=[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT`)

// normalizeSetCookie replaces the session key and the expires date (Django's comes from the
// real clock) by placeholders; the date's format is checked.
func normalizeSetCookie(t *testing.T, sc, name string) string {
	t.Helper()
	rest, ok := strings.CutPrefix(sc, name+"=")
	if !ok {
		t.Fatalf("Set-Cookie %q does not start with %s=", sc, name)
	}
	val, attrs, _ := strings.Cut(rest, ";")
	if val != `""` {
		val = "KEY"
	}
	if m := expiresRE.FindString(attrs); m != "" {
		if _, err := http.ParseTime(strings.TrimPrefix(m, "expires=")); err != nil {
			t.Errorf("expires %q: %v", m, err)
		}
		attrs = strings.Replace(attrs, m, "expires=DATE", 1)
	}
	return name + "=" + val + ";" + attrs
}

// testCookieHeaders runs the same session change under the same settings in Django
// (SessionMiddleware, through the oracle) and in Go, and compares Set-Cookie and Vary.
func testCookieHeaders(t *testing.T, e *httpLiveEnv) {
	cases := []struct {
		name     string
		settings map[string]any
		mw       djangosession.Middleware
		cfg      func(*djangosession.Config)
		existing bool // on a stored session (else: a new one)
		set      bool
		flush    bool
		expiry   any // set_expiry value, nil = none
		status   int
	}{
		{name: "default new session", set: true},
		{name: "default existing session", existing: true, set: true},
		{name: "domain path secure no httponly strict",
			settings: map[string]any{"SESSION_COOKIE_DOMAIN": ".example.com", "SESSION_COOKIE_PATH": "/app", "SESSION_COOKIE_SECURE": true, "SESSION_COOKIE_HTTPONLY": false, "SESSION_COOKIE_SAMESITE": "Strict"},
			mw:       djangosession.Middleware{SessionCookieDomain: ".example.com", SessionCookiePath: "/app", SessionCookieSecure: true, DisableSessionCookieHTTPOnly: true, SessionCookieSameSite: http.SameSiteStrictMode},
			set:      true},
		{name: "browser close, samesite None (no attribute)",
			settings: map[string]any{"SESSION_EXPIRE_AT_BROWSER_CLOSE": true, "SESSION_COOKIE_SAMESITE": nil},
			mw:       djangosession.Middleware{SessionCookieSameSite: http.SameSiteDefaultMode},
			cfg:      func(c *djangosession.Config) { c.SessionExpireAtBrowserClose = true },
			set:      true},
		{name: "custom name, cookie age", settings: map[string]any{"SESSION_COOKIE_NAME": "sid", "SESSION_COOKIE_AGE": 3600},
			mw: djangosession.Middleware{SessionCookieName: "sid"}, cfg: func(c *djangosession.Config) { c.SessionCookieAge = time.Hour }, set: true},
		{name: "set_expiry(0)", set: true, expiry: 0},
		{name: "set_expiry(300)", set: true, expiry: 300},
		{name: "flush deletes", existing: true, flush: true},
		{name: "flush deletes, samesite string None", existing: true, flush: true,
			settings: map[string]any{"SESSION_COOKIE_SAMESITE": "None"}, mw: djangosession.Middleware{SessionCookieSameSite: http.SameSiteNoneMode}},
		// CSRF_USE_SESSIONS makes Django's CSRF middleware read the session on every request
		// (so Vary: Cookie on every version); without it, only 5.2.14+/6.0.5+/6.1 add Vary.
		{name: "save every request, untouched", existing: true,
			settings: map[string]any{"SESSION_SAVE_EVERY_REQUEST": true, "CSRF_USE_SESSIONS": false}, mw: djangosession.Middleware{SessionSaveEveryRequest: true}},
		{name: "500 does not save", set: true, status: 500},
		{name: "503", set: true, status: 503},
		{name: "404 saves", set: true, status: 404},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			name := "sessionid"
			if v, ok := tc.settings["SESSION_COOKIE_NAME"].(string); ok {
				name = v
			}
			// Sessions to start from: one for Django, one for Go (a flush deletes it).
			var djKey, goKey string
			if tc.existing {
				djKey, goKey = e.djangoLogin(t), e.djangoLogin(t)
			}
			req := map[string]any{"config": e.config, "settings": tc.settings}
			if tc.existing {
				req["session_key"] = djKey
			}
			if tc.set {
				req["set"] = map[string]any{"k": "v"}
			}
			if tc.flush {
				req["flush"] = true
			}
			if tc.expiry != nil {
				req["expiry"] = tc.expiry
			}
			if tc.status != 0 {
				req["status"] = tc.status
			}
			dj := e.o.call(t, "touch", req)
			var djSet []string
			for _, v := range dj["set_cookie"].([]any) {
				djSet = append(djSet, normalizeSetCookie(t, v.(string), name))
			}
			djVary, _ := dj["vary"].(string)

			st := storeForConfig(t, e.b, e.config, func(c *djangosession.Config) {
				if tc.cfg != nil {
					tc.cfg(c)
				}
			})
			mw := tc.mw
			mw.Store = st
			h := mw.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				s, err := djangosession.FromContext(r.Context())
				if err != nil {
					t.Error(err)
					return
				}
				if tc.flush {
					_ = s.Flush(r.Context())
				}
				if tc.set {
					s.Set("k", "v")
				}
				if n, ok := tc.expiry.(int); ok {
					s.SetExpirySeconds(n)
				}
				if tc.status != 0 {
					w.WriteHeader(tc.status)
				}
				_, _ = io.WriteString(w, "ok")
			}))
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			if tc.existing {
				r.Header.Set("Cookie", name+"="+goKey)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			var goSet []string
			for _, v := range rec.Header().Values("Set-Cookie") {
				goSet = append(goSet, normalizeSetCookie(t, v, name))
			}
			if !slices.Equal(goSet, djSet) {
				t.Errorf("Set-Cookie\n Go     %q\n Django %q", goSet, djSet)
			}
			if got := rec.Header().Get("Vary"); got != djVary {
				t.Errorf("Vary: Go %q, Django %q", got, djVary)
			}
		})
	}
}
