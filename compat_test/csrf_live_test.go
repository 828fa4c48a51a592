package compattest

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/djangobridge/bridge/csrf"
	"github.com/djangobridge/bridge/djangosession"
	"github.com/djangobridge/bridge/internal/pybridge"
)

// Live tests of the csrf package against real Django, per version and per mode (the csrftoken
// cookie, Django's default; CSRF_USE_SESSIONS): a form Django rendered (and its token in the
// X-CSRFToken header) posts to the Go service and passes; a token the Go service handed out
// posts to Django (compat_test/djproject/demo/csrforacle.py: Django's real handler and
// middleware) and passes; forged and missing tokens fail on both sides with the same reason.
// Sessions are shared through the test servers, as in TestHTTPLive.

var formTokenRE = regexp.MustCompile(`name="csrfmiddlewaretoken" value="([A-Za-z0-9]+)"`)

// csrfGoService is the Go side: GET /form hands out a token (get_token), POST /submit is
// protected; a rejection answers 403 "CSRF: <reason>" as the oracle's failure view does.
func csrfGoService(t *testing.T, cfg csrf.Config, store *djangosession.Store) *httptest.Server {
	t.Helper()
	cfg.CSRFFailureView = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprint(w, "CSRF: "+csrf.Failure(r).Reason)
	})
	m, err := csrf.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /form", func(w http.ResponseWriter, r *http.Request) {
		tok, err := m.Token(w, r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		fmt.Fprint(w, tok)
	})
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		// What an auth package's login does: rotate_token, then a token for the next page.
		if err := csrf.RotateToken(r.Context()); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		tok, err := m.Token(w, r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		fmt.Fprint(w, tok)
	})
	mux.HandleFunc("/submit", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "accepted") })
	h := m.Handler(mux)
	if cfg.CSRFUseSessions {
		h = (&djangosession.Middleware{Store: store}).Handler(h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// goPost sends method /submit to the Go service with cookies, an urlencoded form (nil: no
// body) and headers; it returns the status and the body.
func goPost(t *testing.T, srv *httptest.Server, method string, cookies map[string]string, form url.Values, header map[string]string) (int, string) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, srv.URL+"/submit", body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	var cs []string
	for k, v := range cookies {
		cs = append(cs, k+"="+v)
	}
	if len(cs) > 0 {
		req.Header.Set("Cookie", strings.Join(cs, "; "))
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// forge changes the last character of a token (to one that differs from it).
func forge(tok string) string {
	last := byte('A')
	if tok[len(tok)-1] == last {
		last = 'B'
	}
	return tok[:len(tok)-1] + string(last)
}

func TestCSRFLive(t *testing.T) {
	pybridge.RequireServers(t)
	pybridge.ForEachVersion(t, func(t *testing.T, b *pybridge.Bridge) {
		o := startOracleScript(t, b.DjangoID, "csrforacle.py")
		config := "redis"
		if !slices.Contains(b.Info.Configs, "redis") {
			config = "pymemcache"
		}
		store := storeForConfig(t, b, config, func(*djangosession.Config) {})
		for _, mode := range []string{"cookie", "session"} {
			t.Run(mode, func(t *testing.T) {
				sessions := mode == "session"
				settings := map[string]any{"CSRF_USE_SESSIONS": sessions}
				// Behind a TLS proxy: X-Forwarded-Proto: https is Django's secure=True.
				srv := csrfGoService(t, csrf.Config{DjangoVersion: b.DjangoID, CSRFUseSessions: sessions,
					IsSecure: csrf.ProxySSLHeader(b.DjangoID, "X-Forwarded-Proto", "https")}, store)
				djangoCall := func(op string, req map[string]any) map[string]any {
					req["settings"], req["config"] = settings, config
					return o.call(t, op, req)
				}
				djangoPost := func(cookies map[string]string, form map[string]string, header map[string]string) (int, string) {
					req := map[string]any{"cookies": cookies, "form": form, "headers": header}
					if header["X-Forwarded-Proto"] == "https" {
						req["secure"] = true
					}
					r := djangoCall("post", req)
					reason, _ := r["reason"].(string)
					return int(r["status"].(float64)), reason
				}
				// A page Django rendered: its cookies (csrftoken, or sessionid) and form token.
				djangoForm := func() (map[string]string, string) {
					r := djangoCall("form", map[string]any{})
					m := formTokenRE.FindStringSubmatch(r["html"].(string))
					if m == nil {
						t.Fatalf("no csrfmiddlewaretoken in Django's page %q", r["html"])
					}
					cookies := map[string]string{}
					for k, v := range r["cookies"].(map[string]any) {
						cookies[k] = v.(string)
					}
					want := "csrftoken"
					if sessions {
						want = "sessionid"
					}
					if _, ok := cookies[want]; !ok {
						t.Fatalf("Django's page set %v, no %s", r["set_cookie"], want)
					}
					return cookies, m[1]
				}

				t.Run("Django form posts to Go", func(t *testing.T) {
					cookies, tok := djangoForm()
					if code, body := goPost(t, srv, "POST", cookies, url.Values{"csrfmiddlewaretoken": {tok}}, nil); code != 200 || body != "accepted" {
						t.Fatalf("Go answered %d %q to Django's form", code, body)
					}
				})
				t.Run("Django token in X-CSRFToken to Go", func(t *testing.T) {
					cookies, tok := djangoForm()
					for _, method := range []string{"POST", "PUT", "DELETE"} {
						if code, body := goPost(t, srv, method, cookies, nil, map[string]string{"X-CSRFToken": tok}); code != 200 {
							t.Errorf("%s: Go answered %d %q to Django's token in the header", method, code, body)
						}
					}
				})
				if !sessions {
					t.Run("cookie value in X-CSRFToken, both sides", func(t *testing.T) {
						// What JavaScript reading the csrftoken cookie sends.
						cookies, _ := djangoForm()
						h := map[string]string{"X-CSRFToken": cookies["csrftoken"]}
						if code, body := goPost(t, srv, "POST", cookies, nil, h); code != 200 {
							t.Errorf("Go: %d %q", code, body)
						}
						if code, reason := djangoPost(cookies, nil, h); code != 200 {
							t.Errorf("Django: %d %q", code, reason)
						}
					})
				}
				t.Run("Go token posts to Django", func(t *testing.T) {
					resp, err := srv.Client().Get(srv.URL + "/form")
					if err != nil {
						t.Fatal(err)
					}
					tokb, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					tok := string(tokb)
					if resp.StatusCode != 200 || len(tok) != 64 {
						t.Fatalf("Go /form: %d %q", resp.StatusCode, tok)
					}
					cookies := map[string]string{}
					for _, c := range resp.Cookies() {
						cookies[c.Name] = c.Value
					}
					want := "csrftoken"
					if sessions {
						want = "sessionid"
					}
					if _, ok := cookies[want]; !ok {
						t.Fatalf("Go's /form set %q, no %s", resp.Header.Values("Set-Cookie"), want)
					}
					if code, reason := djangoPost(cookies, map[string]string{"csrfmiddlewaretoken": tok}, nil); code != 200 {
						t.Errorf("Django rejected Go's form token: %d %q", code, reason)
					}
					if code, reason := djangoPost(cookies, nil, map[string]string{"X-CSRFToken": tok}); code != 200 {
						t.Errorf("Django rejected Go's header token: %d %q", code, reason)
					}
					if code, reason := djangoPost(cookies, map[string]string{"csrfmiddlewaretoken": forge(tok)}, nil); code != 403 {
						t.Errorf("Django accepted a forgery of Go's token: %d %q", code, reason)
					}

					// A Go login rotates the secret: Django takes the new token only.
					req, _ := http.NewRequest("POST", srv.URL+"/login", strings.NewReader(url.Values{"csrfmiddlewaretoken": {tok}}.Encode()))
					req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
					for k, v := range cookies {
						req.AddCookie(&http.Cookie{Name: k, Value: v})
					}
					resp, err = srv.Client().Do(req)
					if err != nil {
						t.Fatal(err)
					}
					newb, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					newTok := string(newb)
					if resp.StatusCode != 200 || len(newTok) != 64 {
						t.Fatalf("Go /login: %d %q", resp.StatusCode, newTok)
					}
					for _, c := range resp.Cookies() {
						cookies[c.Name] = c.Value
					}
					if code, reason := djangoPost(cookies, map[string]string{"csrfmiddlewaretoken": newTok}, nil); code != 200 {
						t.Errorf("Django rejected the token after Go's rotate: %d %q", code, reason)
					}
					djCode, djReason := djangoPost(cookies, map[string]string{"csrfmiddlewaretoken": tok}, nil)
					goCode, goBody := goPost(t, srv, "POST", cookies, url.Values{"csrfmiddlewaretoken": {tok}}, nil)
					if djCode != 403 || goCode != 403 || goBody != "CSRF: "+djReason {
						t.Errorf("the token from before the rotate: Django %d %q; Go %d %q", djCode, djReason, goCode, goBody)
					}
				})
				if !sessions {
					// Session mode: the session cookie is djangosession's (TestHTTPLive compares it).
					t.Run("Set-Cookie as Django writes it", func(t *testing.T) {
						r := djangoCall("form", map[string]any{})
						var dj []string
						for _, v := range r["set_cookie"].([]any) {
							dj = append(dj, normalizeSetCookie(t, v.(string), "csrftoken"))
						}
						resp, err := srv.Client().Get(srv.URL + "/form")
						if err != nil {
							t.Fatal(err)
						}
						resp.Body.Close()
						var got []string
						for _, v := range resp.Header.Values("Set-Cookie") {
							got = append(got, normalizeSetCookie(t, v, "csrftoken"))
						}
						if !slices.Equal(got, dj) {
							t.Errorf("Set-Cookie\n Go     %q\n Django %q", got, dj)
						}
						if v := resp.Header.Get("Vary"); v != "Cookie" {
							t.Errorf("Vary %q, want Cookie", v)
						}
					})
				}
				t.Run("Origin and HTTPS Referer: same answer on both sides", func(t *testing.T) {
					cookies, tok := djangoForm()
					cases := []struct {
						name   string
						header map[string]string
					}{
						{"foreign Origin", map[string]string{"Origin": "http://evil.example"}},
						{"null Origin", map[string]string{"Origin": "null"}},
						{"https, no Referer", map[string]string{"X-Forwarded-Proto": "https"}},
						{"https, insecure Referer", map[string]string{"X-Forwarded-Proto": "https", "Referer": "http://evil.example/"}},
						{"https, malformed Referer", map[string]string{"X-Forwarded-Proto": "https", "Referer": "evil.example/form"}},
						{"https, foreign Referer", map[string]string{"X-Forwarded-Proto": "https", "Referer": "https://evil.example/p;"}},
						{"https, foreign Origin and Referer", map[string]string{"X-Forwarded-Proto": "https", "Origin": "https://evil.example", "Referer": "https://evil.example/"}},
					}
					for _, tc := range cases {
						h := map[string]string{"X-CSRFToken": tok}
						for k, v := range tc.header {
							h[k] = v
						}
						djCode, djReason := djangoPost(cookies, nil, h)
						goCode, goBody := goPost(t, srv, "POST", cookies, nil, h)
						// Django 3.2 has no Origin check: over plain HTTP it accepts these.
						want := 403
						if b.DjangoID == "3.2" && h["X-Forwarded-Proto"] == "" {
							want = 200
						}
						wantBody := "CSRF: " + djReason
						if want == 200 {
							wantBody = "accepted"
						}
						if djCode != want || goCode != want || goBody != wantBody {
							t.Errorf("%s: Django %d %q; Go %d %q", tc.name, djCode, djReason, goCode, goBody)
						}
					}
				})
				t.Run("forged and missing tokens: same reason on both sides", func(t *testing.T) {
					cookies, tok := djangoForm()
					noCookie := map[string]string{}
					cases := []struct {
						name    string
						cookies map[string]string
						form    map[string]string
						header  map[string]string
					}{
						{"forged form token", cookies, map[string]string{"csrfmiddlewaretoken": forge(tok)}, nil},
						{"forged header token", cookies, nil, map[string]string{"X-CSRFToken": forge(tok)}},
						{"short header token", cookies, nil, map[string]string{"X-CSRFToken": tok[:40]}},
						{"bad characters", cookies, map[string]string{"csrfmiddlewaretoken": tok[:63] + "-"}, nil},
						{"missing token", cookies, nil, nil},
						{"no cookie", noCookie, map[string]string{"csrfmiddlewaretoken": tok}, nil},
						{"token of another secret", cookies, map[string]string{"csrfmiddlewaretoken": "abcdefghijklmnopqrstuvwxyzABCDEF"}, nil},
					}
					for _, tc := range cases {
						djCode, djReason := djangoPost(tc.cookies, tc.form, tc.header)
						var form url.Values
						if tc.form != nil {
							form = url.Values{}
							for k, v := range tc.form {
								form.Set(k, v)
							}
						}
						goCode, goBody := goPost(t, srv, "POST", tc.cookies, form, tc.header)
						if djCode != 403 || goCode != 403 || goBody != "CSRF: "+djReason {
							t.Errorf("%s: Django %d %q; Go %d %q", tc.name, djCode, djReason, goCode, goBody)
						}
					}
				})
			})
		}
	})
}
