package djangosession_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/djangobridge/bridge/pickle"
	"github.com/djangobridge/bridge/py"

	"github.com/djangobridge/bridge/djangosession"
	"github.com/djangobridge/bridge/djangosession/djangosessiontest"
)

func ExampleStore_Load() {
	ctx := context.Background()
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

	// What a Django login left in the cache under the cookie's session key.
	const cookie = "q1w2e3r4t5y6u7i8o9p0a1s2d3f4g5h6"
	django := py.DictOf(
		"_auth_user_id", "42",
		"_auth_user_backend", "django.contrib.auth.backends.ModelBackend",
	)
	pickled, err := pickle.Marshal(django, 5)
	if err != nil {
		log.Fatal(err)
	}
	if err := cache.Set(ctx, store.CacheKey(cookie), pickled, 1209600*time.Second); err != nil {
		log.Fatal(err)
	}
	fmt.Println(store.CacheKey(cookie))

	s, err := store.Load(ctx, cookie)
	if err != nil {
		log.Fatal(err) // the cache is down: don't treat the user as logged out
	}
	uid, _ := s.String("_auth_user_id")
	fmt.Println("user:", uid)

	s.Set("cart", []any{"sku-1", "sku-2"})
	s.SetExpiryIn(time.Hour)
	clock.Advance(10 * time.Minute)
	if err := s.Save(ctx); err != nil {
		log.Fatal(err)
	}
	expiry, _ := s.Get(djangosession.ExpiryKey)
	age, _ := s.ExpiryAge()
	fmt.Println("expiry:", expiry, "age:", age)

	// A stale cookie gives a new, empty session; saving it makes a new key.
	stale, err := store.Load(ctx, "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("stale:", stale.Len(), stale.Key() == "")

	// Django deleted the session (logout) while Go held it: Save does not resurrect it.
	if err := store.Delete(ctx, cookie); err != nil {
		log.Fatal(err)
	}
	s.Set("late", true)
	fmt.Println(errors.Is(s.Save(ctx), djangosession.ErrUpdate))
	// Output:
	// :1:django.contrib.sessions.cacheq1w2e3r4t5y6u7i8o9p0a1s2d3f4g5h6
	// user: 42
	// expiry: 2023-11-14T23:13:20+00:00 age: 50m0s
	// stale: 0 true
	// true
}

func ExampleSession_LoadError() {
	ctx := context.Background()
	cache := djangosessiontest.NewCache()
	store, err := djangosession.NewStore(djangosession.Config{SessionEngine: djangosession.EngineCache, Cache: cache, DjangoVersion: "5.2"})
	if err != nil {
		log.Fatal(err)
	}
	// Something that is not a pickled session sits under a session's key.
	const cookie = "q1w2e3r4t5y6u7i8o9p0a1s2d3f4g5h6"
	if err := cache.Set(ctx, store.CacheKey(cookie), []byte("not a pickle"), time.Hour); err != nil {
		log.Fatal(err)
	}
	for _, key := range []string{cookie, "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz", "short"} {
		s, err := store.Load(ctx, key)
		if err != nil {
			log.Fatal(err) // the cache failed: not a reason to log the user out
		}
		// Like Django, the Session is a new, empty one; LoadError says why, for the logs.
		why := s.LoadError()
		fmt.Println(s.Len(), errors.Is(why, djangosession.ErrCorrupt), errors.Is(why, djangosession.ErrNotFound),
			errors.Is(why, djangosession.ErrInvalidKey))
	}
	// Output:
	// 0 true false false
	// 0 false true false
	// 0 false false true
}
