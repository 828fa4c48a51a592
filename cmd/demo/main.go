// Command demo shows a Go service and a Django app sharing one login over HTTP, with the
// djangosession middleware (scripts/demo.sh runs it end to end).
//
//	DJANGO_SECRET_KEY=... demo serve -listen 127.0.0.1:0 -db /path/to/db.sqlite3 [-engine db]
//	demo drive -django http://127.0.0.1:8000 -go http://127.0.0.1:8001 -username alice -password wonderland
//
// serve runs the Go service next to a Django app on its default settings (SESSION_ENGINE db on
// SQLite, CSRF in the csrftoken cookie; -engine and -csrf-use-sessions choose otherwise): GET
// /go/whoami says who is logged in; POST /go/note (CSRF-checked with the token of a Django form)
// stores a value and flashes a message; POST /go/logout logs out. Users and their password hashes
// are read from Django's auth_user table on each request.
//
// drive plays a browser against both over real HTTP, prints each step, and exits non-zero at
// the first step that fails.
package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/signal"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/djangobridge/bridge/auth"
	"github.com/djangobridge/bridge/auth/authdb"
	"github.com/djangobridge/bridge/csrf"
	"github.com/djangobridge/bridge/djangosession"
	"github.com/djangobridge/bridge/djangosession/dbstore"
	"github.com/djangobridge/bridge/djangosession/redisstore"
	"github.com/djangobridge/bridge/messages"
	_ "modernc.org/sqlite" // the app's database driver (the library imports none)
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: demo serve|drive [flags]")
		return 2
	}
	switch args[0] {
	case "serve":
		return serve(args[1:], stdout, stderr)
	case "drive":
		return drive(args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "demo: unknown command %q (want serve or drive)\n", args[0])
	return 2
}

func serve(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:0", "address to listen on (loopback)")
	engine := fs.String("engine", "db", "SESSION_ENGINE: db, cached_db, cache, file or signed_cookies")
	dbPath := fs.String("db", "", "Django's SQLite database file (DATABASES[\"default\"][\"NAME\"]): the sessions of db and cached_db, and auth_user")
	redisURL := fs.String("redis", "", "LOCATION of the cache alias SESSION_CACHE_ALIAS names (cache and cached_db)")
	filePath := fs.String("file-path", "", "SESSION_FILE_PATH (file)")
	useSessions := fs.Bool("csrf-use-sessions", false, "CSRF_USE_SESSIONS (default False: the csrftoken cookie)")
	version := fs.String("django-version", "5.2", "the Django version of the app")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	fail := func(err error) int {
		fmt.Fprintln(stderr, "demo:", err)
		return 1
	}
	// SECRET_KEY comes from the environment, as in settings.py: never from a flag (ps shows flags).
	secret := os.Getenv("DJANGO_SECRET_KEY")
	db, err := sql.Open("sqlite", *dbPath)
	if err != nil {
		return fail(err)
	}
	defer db.Close()
	table, err := dbstore.New(db, dbstore.Options{Dialect: dbstore.SQLite})
	if err != nil {
		return fail(err)
	}
	cfg := djangosession.Config{SessionEngine: *engine, DB: table, SecretKey: secret,
		SessionFilePath: *filePath, DjangoVersion: *version}
	if *redisURL != "" {
		cache, err := redisstore.New(redisstore.Options{Location: []string{*redisURL}})
		if err != nil {
			return fail(err)
		}
		defer cache.Close()
		cfg.Cache = cache
	}
	store, err := djangosession.NewStore(cfg)
	if err != nil {
		return fail(err)
	}
	cs, err := csrf.New(csrf.Config{CSRFUseSessions: *useSessions, DjangoVersion: *version})
	if err != nil {
		return fail(err)
	}
	users, err := authdb.NewUsers(db, authdb.UserOptions{}) // auth_user
	if err != nil {
		return fail(err)
	}
	am, err := auth.New(auth.Manager{Users: users, SecretKey: secret})
	if err != nil {
		return fail(err)
	}
	mw := &djangosession.Middleware{Store: store}
	msgs, err := messages.New(messages.Config{SecretKey: secret, DjangoVersion: *version}) // FallbackStorage, Django's default
	if err != nil {
		return fail(err)
	}

	logf := func(format string, a ...any) { fmt.Fprintf(stdout, "[go service] "+format+"\n", a...) }
	session := func(w http.ResponseWriter, r *http.Request) (*djangosession.Session, auth.User, bool) {
		s, err := djangosession.FromContext(r.Context())
		if err != nil {
			return nil, auth.User{}, false // the middleware answers 500
		}
		u, err := am.GetUser(r.Context(), s)
		if err != nil {
			http.Error(w, "user lookup failed", http.StatusInternalServerError)
			return nil, auth.User{}, false
		}
		return s, u, true
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /go/whoami", func(w http.ResponseWriter, r *http.Request) {
		_, u, ok := session(w, r)
		if !ok {
			return
		}
		if !u.IsAuthenticated() {
			logf("GET /go/whoami: anonymous")
			fmt.Fprintln(w, "anonymous")
			return
		}
		logf("GET /go/whoami: logged in as %s (id %s, email %q, backend %s)", u.Username, u.ID, u.Email, u.Backend)
		fmt.Fprintf(w, "%s %s\n", u.ID, u.Username)
	})
	mux.Handle("POST /go/note", cs.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, u, ok := session(w, r)
		if !ok {
			return
		}
		if !u.IsAuthenticated() {
			http.Error(w, "log in first", http.StatusForbidden)
			return
		}
		note := r.PostFormValue("note")
		s.Set("go_note", note)
		msg := fmt.Sprintf("Hello %s, from the Go service", u.Username)
		if err := messages.AddTo(r.Context(), messages.Message{Level: messages.Info, Message: msg}); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		logf("POST /go/note: CSRF token accepted; set go_note=%q and flashed %q for %s", note, msg, u.Username)
		fmt.Fprintln(w, "noted")
	})))
	mux.Handle("POST /go/logout", cs.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, u, ok := session(w, r)
		if !ok {
			return
		}
		if err := am.Logout(r.Context(), s); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		logf("POST /go/logout: %s logged out (session flushed)", u.Username)
		fmt.Fprintln(w, "logged out")
	})))

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintln(stderr, "demo:", err)
		return 1
	}
	fmt.Fprintf(stdout, "[go service] listening on http://%s\n", ln.Addr())
	srv := &http.Server{Handler: mw.Handler(msgs.Handler(mux)), ReadHeaderTimeout: 5 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintln(stderr, "demo:", err)
		return 1
	}
	return 0
}

// browser is a cookie-keeping HTTP client that does not follow redirects.
type browser struct {
	c      *http.Client
	stdout io.Writer
	step   int
}

var tokenRE = regexp.MustCompile(`name="csrfmiddlewaretoken" value="([A-Za-z0-9]+)"`)

func (b *browser) get(u string, cookie string) (int, string, error) {
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return 0, "", err
	}
	if cookie != "" {
		req.Header.Set("Cookie", cookie)
	}
	return b.do(req)
}

func (b *browser) post(u string, form url.Values, header map[string]string) (int, string, error) {
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	return b.do(req)
}

func (b *browser) do(req *http.Request) (int, string, error) {
	resp, err := b.c.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, string(body), err
}

func (b *browser) say(format string, a ...any) {
	b.step++
	fmt.Fprintf(b.stdout, "step %d: "+format+"\n", append([]any{b.step}, a...)...)
}

// page pulls what Django's session page shows: the user, the messages, the session rows.
func page(body string) (user string, messages, rows []string) {
	if m := regexp.MustCompile(`<p>user: ([^<]*)</p>`).FindStringSubmatch(body); m != nil {
		user = html.UnescapeString(m[1])
	}
	for _, m := range regexp.MustCompile(`<li>([^<]*)</li>`).FindAllStringSubmatch(body, -1) {
		messages = append(messages, html.UnescapeString(m[1]))
	}
	for _, m := range regexp.MustCompile(`<tr><td>([^<]*)</td><td>([^<]*)</td></tr>`).FindAllStringSubmatch(body, -1) {
		rows = append(rows, html.UnescapeString(m[1])+" = "+html.UnescapeString(m[2]))
	}
	return user, messages, rows
}

func drive(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("drive", flag.ContinueOnError)
	fs.SetOutput(stderr)
	djangoURL := fs.String("django", "http://127.0.0.1:8000", "the Django app")
	goURL := fs.String("go", "http://127.0.0.1:8001", "the Go service")
	username := fs.String("username", "alice", "Django user")
	password := fs.String("password", "wonderland", "their password")
	engine := fs.String("engine", "db", "the SESSION_ENGINE both sides use")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	jar, _ := cookiejar.New(nil) // cookies are per host, not per port: both servers share them
	b := &browser{
		c: &http.Client{Jar: jar, Timeout: 10 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
		stdout: stdout,
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "demo: FAILED at step %d: "+format+"\n", append([]any{b.step + 1}, a...)...)
		return 1
	}
	sessionCookie := func() string {
		u, _ := url.Parse(*djangoURL)
		for _, c := range jar.Cookies(u) {
			if c.Name == "sessionid" {
				return c.Value
			}
		}
		return ""
	}
	djangoToken := func() (string, error) {
		code, body, err := b.get(*djangoURL+"/", "")
		if err != nil || code != 200 {
			return "", fmt.Errorf("GET / = %d %v", code, err)
		}
		m := tokenRE.FindStringSubmatch(body)
		if m == nil {
			return "", errors.New("no csrfmiddlewaretoken on the page")
		}
		return m[1], nil
	}

	// 1. Django's login form.
	code, body, err := b.get(*djangoURL+"/login/", "")
	m := tokenRE.FindStringSubmatch(body)
	if err != nil || code != 200 || m == nil {
		return fail("GET %s/login/ = %d, %v (token found: %v)", *djangoURL, code, err, m != nil)
	}
	b.say("Django  GET /login/ -> 200, CSRF token from the form (%d chars)", len(m[1]))

	// 2. Log in through the form.
	code, _, err = b.post(*djangoURL+"/login/", url.Values{"csrfmiddlewaretoken": {m[1]}, "username": {*username}, "password": {*password}}, nil)
	if err != nil || code != http.StatusFound || sessionCookie() == "" {
		return fail("POST /login/ = %d, %v, session cookie %q", code, err, sessionCookie())
	}
	djKey := sessionCookie()
	b.say("Django  POST /login/ -> 302, logged in as %s; sessionid=%s…", *username, djKey[:8])

	// 3. The Go service sees the user.
	code, body, err = b.get(*goURL+"/go/whoami", "")
	if err != nil || code != 200 || !strings.HasSuffix(strings.TrimSpace(body), " "+*username) {
		return fail("GET /go/whoami = %d %q %v", code, body, err)
	}
	b.say("Go      GET /go/whoami -> %s", strings.TrimSpace(body))

	// 4. Go stores a value and a message, accepting the CSRF token of a page Django rendered.
	tok, err := djangoToken()
	if err != nil {
		return fail("%v", err)
	}
	code, body, err = b.post(*goURL+"/go/note", url.Values{"note": {"written by Go"}}, map[string]string{"X-CSRFToken": tok})
	if err != nil || code != 200 {
		return fail("POST /go/note = %d %q %v", code, body, err)
	}
	code, _, _ = b.post(*goURL+"/go/note", url.Values{"note": {"forged"}}, map[string]string{"X-CSRFToken": strings.Repeat("a", 64)})
	if code != http.StatusForbidden {
		return fail("POST /go/note with a forged token = %d, want 403", code)
	}
	b.say("Go      POST /go/note (X-CSRFToken from Django's page) -> 200; with a forged token -> 403")

	// 5. Django's page shows them.
	code, body, err = b.get(*djangoURL+"/", "")
	user, msgs, rows := page(body)
	if err != nil || code != 200 || user != *username {
		return fail("GET / = %d, user %q, %v", code, user, err)
	}
	hasMsg, hasNote := false, false
	for _, msg := range msgs {
		hasMsg = hasMsg || strings.Contains(msg, "from the Go service")
	}
	for _, r := range rows {
		hasNote = hasNote || r == "go_note = 'written by Go'"
	}
	if !hasMsg || !hasNote {
		return fail("Django's page: messages %q, session %q", msgs, rows)
	}
	b.say("Django  GET / -> user: %s; messages: %q; session has go_note = 'written by Go'", user, msgs)

	// 6. Log out from Go.
	tok, err = djangoToken()
	if err != nil {
		return fail("%v", err)
	}
	code, body, err = b.post(*goURL+"/go/logout", nil, map[string]string{"X-CSRFToken": tok})
	if err != nil || code != 200 || sessionCookie() != "" {
		return fail("POST /go/logout = %d %q %v, cookie %q", code, body, err, sessionCookie())
	}
	b.say("Go      POST /go/logout -> 200, the session cookie is deleted")

	// 7. Django: logged out, even for a replayed copy of the old cookie.
	code, body, err = b.get(*djangoURL+"/", "")
	user, _, _ = page(body)
	if err != nil || code != 200 || user != "(anonymous)" {
		return fail("GET / after logout = %d, user %q, %v", code, user, err)
	}
	code, body, err = (&browser{c: &http.Client{Timeout: 10 * time.Second}}).get(*djangoURL+"/", "sessionid="+djKey)
	replayed, _, _ := page(body)
	if *engine == "signed_cookies" {
		// The cookie is the session: a copy kept from before the logout stays valid until it
		// expires, in Django as in Go (Django's documentation says so).
		if err != nil || code != 200 || replayed != *username {
			return fail("GET / with the old signed cookie = %d, user %q, %v", code, replayed, err)
		}
		b.say("Django  GET / -> user: %s (a replayed copy of the old signed cookie still logs in, as Django documents for signed_cookies)", user)
	} else {
		if err != nil || code != 200 || replayed != "(anonymous)" {
			return fail("GET / with the old cookie = %d, user %q, %v", code, replayed, err)
		}
		b.say("Django  GET / -> user: %s (also with the old sessionid replayed: the session is gone)", user)
	}
	fmt.Fprintln(stdout, "demo: all steps passed")
	return 0
}
