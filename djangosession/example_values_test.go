package djangosession_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/djangobridge/bridge/djangosession"
	"github.com/djangobridge/bridge/djangosession/djangosessiontest"
	"github.com/djangobridge/bridge/pickle"
	"github.com/djangobridge/bridge/py"
)

// CartItem and Cart are what a Django view keeps in request.session["cart"]:
// {"items": [{"sku": ..., "qty": ..., "price": ...}], "updated": datetime}.
type CartItem struct {
	SKU   string  `py:"sku"`
	Qty   int     `py:"qty"`
	Price float64 `py:"price"`
}

type Cart struct {
	Items   []CartItem `py:"items"`
	Coupon  string     `py:"coupon,omitempty"`
	Updated time.Time  `py:"updated"`
}

func ExampleSession_Encode() {
	ctx := context.Background()
	now := time.Unix(1700000000, 0).UTC()
	store, err := djangosession.NewStore(djangosession.Config{SessionEngine: djangosession.EngineCache, Cache: djangosessiontest.NewCache(),
		Now: func() time.Time { return now }, // leave nil in production
	})
	if err != nil {
		log.Fatal(err)
	}
	s := store.New()
	cart := Cart{Items: []CartItem{{SKU: "A-1", Qty: 2, Price: 9.5}}, Updated: now}
	// Converted now, so a value Python cannot hold fails here, not in Save.
	if err := s.Encode("cart", cart); err != nil {
		log.Fatal(err)
	}
	if err := s.Save(ctx); err != nil {
		log.Fatal(err)
	}
	v, _ := s.Get("cart")
	fmt.Println(v.(*py.Dict).Keys())

	err = s.Encode("cart", map[string]any{"items": []any{CartItem{}, func() {}}})
	var ce *py.ConvertError
	fmt.Println(errors.As(err, &ce), ce.Path)
	// Output:
	// [items updated]
	// true cart.items[1]
}

func ExampleSession_Decode() {
	ctx := context.Background()
	cache := djangosessiontest.NewCache()
	store, err := djangosession.NewStore(djangosession.Config{SessionEngine: djangosession.EngineCache, Cache: cache})
	if err != nil {
		log.Fatal(err)
	}
	// The session a Django view saved: session["cart"] = {"items": [...], "updated": timezone.now()}.
	const cookie = "q1w2e3r4t5y6u7i8o9p0a1s2d3f4g5h6"
	pickled, _ := pickle.Marshal(py.DictOf("cart", py.DictOf(
		"items", []any{py.DictOf("sku", "A-1", "qty", int64(2), "price", 9.5)},
		"updated", py.DateTime{Year: 2023, Month: 11, Day: 14, Hour: 22, Minute: 13, Second: 20, TZ: py.TimeZone{}},
	)), 5)
	if err := cache.Set(ctx, store.CacheKey(cookie), pickled, time.Hour); err != nil {
		log.Fatal(err)
	}

	s, err := store.Load(ctx, cookie)
	if err != nil {
		log.Fatal(err)
	}
	var cart Cart
	if err := s.Decode("cart", &cart); err != nil {
		log.Fatal(err) // a *py.ConvertError names the path: cart.items[0].qty
	}
	fmt.Printf("%+v %s\n", cart.Items, cart.Updated.Format(time.RFC3339))
	fmt.Println(errors.Is(s.Decode("wishlist", &cart), djangosession.ErrNoKey))
	// Output:
	// [{SKU:A-1 Qty:2 Price:9.5}] 2023-11-14T22:13:20Z
	// true
}
