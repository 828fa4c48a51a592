package messages_test

import (
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/djangobridge/bridge/djangosession"
	"github.com/djangobridge/bridge/djangosession/djangosessiontest"
	"github.com/djangobridge/bridge/messages"
)

// A Go handler adds a flash message under Django's default FallbackStorage: it goes into the
// signed "messages" cookie, which the next Django page reads.
func ExampleMiddleware() {
	store, err := djangosession.NewStore(djangosession.Config{SessionEngine: djangosession.EngineCache, Cache: djangosessiontest.NewCache()})
	if err != nil {
		log.Fatal(err)
	}
	sessions := &djangosession.Middleware{Store: store}
	msgs, err := messages.New(messages.Config{SecretKey: "django-insecure-example"})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /cart", func(w http.ResponseWriter, r *http.Request) {
		if err := messages.AddTo(r.Context(), messages.Message{Level: messages.Success, Message: "Added to your cart."}); err != nil {
			http.Error(w, "error", http.StatusInternalServerError)
			return
		}
		http.Redirect(w, r, "/cart", http.StatusSeeOther)
	})
	h := sessions.Handler(msgs.Handler(mux))

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("POST", "/cart", nil))
	cookie := rec.Result().Cookies()[0]
	fmt.Println(cookie.Name, cookie.HttpOnly, cookie.SameSite == http.SameSiteLaxMode)
	got, notFinished, err := msgs.DecodeCookie(cookie.Value)
	fmt.Println(got[0].Message, got[0].Tags(), notFinished, err)

	// The next request carries the cookie; iterating the messages consumes them.
	mux.HandleFunc("GET /cart", func(w http.ResponseWriter, r *http.Request) {
		got, _ := messages.Get(r.Context())
		fmt.Println(len(got), got[0].Message)
	})
	req := httptest.NewRequest("GET", "/cart", nil)
	req.AddCookie(cookie)
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	fmt.Println(strings.Split(rec.Header().Get("Set-Cookie"), ";")[0])
	// Output:
	// messages true true
	// Added to your cart. success false <nil>
	// 1 Added to your cart.
	// messages=""
}
