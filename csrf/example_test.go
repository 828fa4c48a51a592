package csrf_test

import (
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/djangobridge/bridge/csrf"
	"github.com/djangobridge/bridge/djangosession"
	"github.com/djangobridge/bridge/djangosession/djangosessiontest"
)

// CSRF with CSRF_USE_SESSIONS = True: a Go endpoint accepts the token of a form Django
// rendered, and can hand out tokens that Django accepts.
func ExampleCSRF() {
	store, err := djangosession.NewStore(djangosession.Config{SessionEngine: djangosession.EngineCache, Cache: djangosessiontest.NewCache()})
	if err != nil {
		log.Fatal(err)
	}
	mw := &djangosession.Middleware{Store: store}
	cs := &csrf.CSRF{}
	var token, cookie string
	issue := mw.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, err := djangosession.FromContext(r.Context())
		if err != nil {
			return
		}
		token, _ = cs.Token(s) // what {% csrf_token %} puts in a form
	}))
	rec := httptest.NewRecorder()
	issue.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/form", nil))
	cookie, _, _ = strings.Cut(rec.Header().Get("Set-Cookie"), ";")

	protected := mw.Handler(cs.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "accepted")
	})))
	for _, tok := range []string{token, "forged"} {
		req := httptest.NewRequest(http.MethodPost, "/submit", strings.NewReader("csrfmiddlewaretoken="+tok))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Cookie", cookie)
		rec := httptest.NewRecorder()
		protected.ServeHTTP(rec, req)
		fmt.Println(rec.Code, strings.TrimSpace(strings.SplitN(rec.Body.String(), "\n", 2)[0]))
	}
	// Output:
	// 200 accepted
	// 403 Forbidden (403)
}
