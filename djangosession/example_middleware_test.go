package djangosession_test

import (
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/djangobridge/bridge/djangosession"
	"github.com/djangobridge/bridge/djangosession/djangosessiontest"
)

// The session middleware in front of a plain net/http handler. With chi:
//
//	r := chi.NewRouter()
//	r.Use(mw.Handler)
//
// With gin (wrap the engine, which is an http.Handler):
//
//	engine := gin.New()
//	http.ListenAndServe(addr, mw.Handler(engine)) // in handlers: djangosession.FromContext(c.Request.Context())
//
// With echo:
//
//	e := echo.New()
//	e.Use(echo.WrapMiddleware(mw.Handler)) // in handlers: djangosession.FromContext(c.Request().Context())
func ExampleMiddleware() {
	clock := djangosessiontest.NewClock(time.Unix(1700000000, 0).UTC())
	cache := djangosessiontest.NewCache() // in production: a redisstore or memcachestore adapter
	cache.Now = clock.Now
	store, err := djangosession.NewStore(djangosession.Config{SessionEngine: djangosession.EngineCache, Cache: cache,
		DjangoVersion: "5.2",
		Now:           clock.Now, // leave nil in production
	})
	if err != nil {
		log.Fatal(err)
	}
	mw := &djangosession.Middleware{Store: store} // Django's default cookie settings

	mux := http.NewServeMux()
	mux.HandleFunc("/visit", func(w http.ResponseWriter, r *http.Request) {
		s, err := djangosession.FromContext(r.Context())
		if err != nil {
			return // the cache is down: the middleware answers 500
		}
		n, _ := s.Int("visits")
		s.Set("visits", n+1)
		fmt.Fprintf(w, "visit %d\n", n+1)
	})
	handler := mw.Handler(mux)

	cookie := ""
	for range 2 {
		req := httptest.NewRequest(http.MethodGet, "/visit", nil)
		if cookie != "" {
			req.Header.Set("Cookie", cookie)
		}
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		setCookie := rec.Header().Get("Set-Cookie")
		cookie, _, _ = strings.Cut(setCookie, ";")
		_, attrs, _ := strings.Cut(setCookie, "; ")
		fmt.Print(rec.Body.String())
		fmt.Println("  Set-Cookie: sessionid=<32 chars>;", attrs)
		fmt.Println("  Vary:", rec.Header().Get("Vary"))
	}
	// Output:
	// visit 1
	//   Set-Cookie: sessionid=<32 chars>; expires=Tue, 28 Nov 2023 22:13:20 GMT; HttpOnly; Max-Age=1209600; Path=/; SameSite=Lax
	//   Vary: Cookie
	// visit 2
	//   Set-Cookie: sessionid=<32 chars>; expires=Tue, 28 Nov 2023 22:13:20 GMT; HttpOnly; Max-Age=1209600; Path=/; SameSite=Lax
	//   Vary: Cookie
}
