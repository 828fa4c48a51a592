// Package exampletest checks the example services against a database made by real Django: the
// schema `manage.py migrate` creates and a session row written by Django's own login(). Each
// example's test hands [Run] its handler constructor.
//
// The database is testdata/django-5.2.sqlite3, made by testdata/make_fixture.py (see its doc
// for how to run it); testdata/django-5.2.json holds the session cookie and the test SECRET_KEY.
package exampletest

import (
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/djangobridge/bridge/auth"
	"github.com/djangobridge/bridge/auth/authdb"
	"github.com/djangobridge/bridge/csrf"
	"github.com/djangobridge/bridge/djangosession"
	"github.com/djangobridge/bridge/djangosession/dbstore"
	"github.com/djangobridge/bridge/messages"
)

// Fixture is testdata/django-5.2.json: what make_fixture.py logged in with.
type Fixture struct {
	DjangoVersion string `json:"django_version"`
	Django        string `json:"django"`
	SecretKey     string `json:"secret_key"`
	SessionCookie string `json:"session_cookie"`
	UserID        string `json:"user_id"`
}

// csrfSecret stands for the csrftoken cookie Django set in the browser (32 of csrf.AllowedChars).
const csrfSecret = "exampleTestCsrfSecret0123456789A"

// Open copies the Django-made database to a temporary directory and opens it. The session row's
// expire_date is moved a day ahead, as a request to Django would have done by now, so that the
// fixture's two-week session does not expire; session_data stays as Django wrote it.
func Open(t *testing.T) (*sql.DB, Fixture) {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("exampletest: cannot find the testdata directory")
	}
	dir := filepath.Join(filepath.Dir(file), "testdata")
	var fx Fixture
	raw, err := os.ReadFile(filepath.Join(dir, "django-5.2.json"))
	if err != nil {
		t.Fatalf("exampletest: %v (regenerate with testdata/make_fixture.py)", err)
	}
	if err := json.Unmarshal(raw, &fx); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "django-5.2.sqlite3"))
	if err != nil {
		t.Fatalf("exampletest: %v (regenerate with testdata/make_fixture.py)", err)
	}
	path := filepath.Join(t.TempDir(), "db.sqlite3")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", "file:"+path+"?mode=rw&_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	expire := time.Now().UTC().Add(24 * time.Hour).Format("2006-01-02 15:04:05.000000")
	res, err := db.Exec(`UPDATE django_session SET expire_date = ? WHERE session_key = ?`, expire, fx.SessionCookie)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		t.Fatalf("exampletest: the fixture has %d rows for its session cookie, want 1", n)
	}
	return db, fx
}

// Run serves the handler that newHandler makes over the Django-made database and plays a
// browser logged in to Django: /whoami, CSRF-checked POST /cart and POST /logout, checking the
// session rows as Django will read them.
func Run(t *testing.T, newHandler func(db *sql.DB, secretKey string) (http.Handler, error)) {
	db, fx := Open(t)
	h, err := newHandler(db, fx.SecretKey)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	jar, _ := cookiejar.New(nil)
	jar.SetCookies(u, []*http.Cookie{
		{Name: djangosession.DefaultSessionCookieName, Value: fx.SessionCookie},
		{Name: csrf.DefaultCookieName, Value: csrfSecret},
	})
	browser := &http.Client{Jar: jar}
	ctx := context.Background()

	// What Django will see: the same settings, read straight from the table.
	table, err := dbstore.New(db, dbstore.Options{Dialect: dbstore.SQLite})
	if err != nil {
		t.Fatal(err)
	}
	store, err := djangosession.NewStore(djangosession.Config{
		SessionEngine: djangosession.EngineDB, DB: table, SecretKey: fx.SecretKey, DjangoVersion: fx.DjangoVersion,
	})
	if err != nil {
		t.Fatal(err)
	}
	pw, err := authdb.NewPasswordHashFunc(db, authdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	am := &auth.Manager{SecretKey: fx.SecretKey, PasswordHash: pw}

	do := func(c *http.Client, method, path string, form url.Values, token string) (int, string) {
		t.Helper()
		var body io.Reader
		if form != nil {
			body = strings.NewReader(form.Encode())
		}
		req, err := http.NewRequest(method, srv.URL+path, body)
		if err != nil {
			t.Fatal(err)
		}
		if form != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		if method == http.MethodPost {
			req.Header.Set("Origin", srv.URL) // a browser's same-origin fetch()
		}
		if token != "" {
			req.Header.Set("X-CSRFToken", token)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, strings.TrimSpace(string(b))
	}
	expect := func(what string, gotCode int, gotBody string, wantCode int, wantBody string) {
		t.Helper()
		if gotCode != wantCode || !strings.Contains(gotBody, wantBody) {
			t.Fatalf("%s: got %d %q, want %d with %q", what, gotCode, gotBody, wantCode, wantBody)
		}
	}
	token, err := csrf.Mask(csrfSecret) // what {% csrf_token %} or a page's JavaScript sends
	if err != nil {
		t.Fatal(err)
	}
	djangoSession := func() *djangosession.Session {
		t.Helper()
		s, err := store.Load(ctx, fx.SessionCookie)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}

	code, body := do(&http.Client{}, "GET", "/whoami", nil, "")
	expect("GET /whoami without cookies", code, body, http.StatusUnauthorized, "not logged in")
	code, body = do(browser, "GET", "/whoami", nil, "")
	expect("GET /whoami with Django's session cookie", code, body, http.StatusOK, `"user_id":"`+fx.UserID+`"`)

	code, body = do(browser, "POST", "/cart", url.Values{"item": {"sku-1"}}, "")
	expect("POST /cart without a CSRF token", code, body, http.StatusForbidden, "CSRF token missing.")
	code, body = do(browser, "POST", "/logout", nil, "")
	expect("POST /logout without a CSRF token", code, body, http.StatusForbidden, "CSRF token missing.")

	code, body = do(browser, "POST", "/cart", url.Values{"item": {"sku-1"}}, token)
	expect("POST /cart", code, body, http.StatusOK, `"cart":["sku-1"]`)
	code, body = do(browser, "POST", "/cart", url.Values{"item": {"sku-2"}}, csrfSecret) // the cookie's value, as JavaScript may send it
	expect("POST /cart again", code, body, http.StatusOK, `"cart":["sku-1","sku-2"]`)

	s := djangoSession()
	if err := s.LoadError(); err != nil {
		t.Fatalf("the session row after POST /cart: %v", err)
	}
	if cart, _ := s.Get("cart"); !slices.Equal(toStrings(cart), []string{"sku-1", "sku-2"}) {
		t.Errorf(`session["cart"] = %#v, want ["sku-1", "sku-2"]`, cart)
	}
	msgs, err := messages.Peek(s)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 2 || msgs[1].Message != "Added sku-2 to your cart." || msgs[1].Level != messages.Info {
		t.Errorf("session messages = %+v, want two Info messages ending with %q", msgs, "Added sku-2 to your cart.")
	}
	if user, err := am.GetUser(ctx, s); err != nil || user.ID != fx.UserID {
		t.Errorf("the session's user after POST /cart = %+v, %v; want %s", user, err, fx.UserID)
	}

	code, body = do(browser, "POST", "/logout", nil, token)
	expect("POST /logout", code, body, http.StatusNoContent, "")
	if ok, err := table.Exists(ctx, fx.SessionCookie); err != nil || ok {
		t.Errorf("the session row after POST /logout: exists = %v, %v; want it deleted", ok, err)
	}
	for _, c := range jar.Cookies(u) {
		if c.Name == djangosession.DefaultSessionCookieName {
			t.Errorf("the browser still has a %s cookie after POST /logout", c.Name)
		}
	}
	code, body = do(browser, "GET", "/whoami", nil, "")
	expect("GET /whoami after logout", code, body, http.StatusUnauthorized, "not logged in")
}

// toStrings returns v as a []string when it is a list of str, else nil.
func toStrings(v any) []string {
	list, ok := v.([]any)
	if !ok {
		return nil
	}
	out := make([]string, 0, len(list))
	for _, e := range list {
		s, ok := e.(string)
		if !ok {
			return nil
		}
		out = append(out, s)
	}
	return out
}
