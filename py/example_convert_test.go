package py_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/djangobridge/bridge/pickle"
	"github.com/djangobridge/bridge/py"
	"github.com/djangobridge/bridge/pyjson"
)

type Item struct {
	SKU   string  `py:"sku"`
	Qty   int     `py:"qty"`
	Price float64 `py:"price"`
}

type Cart struct {
	Items   []Item    `py:"items"`
	Coupon  string    `py:"coupon,omitempty"`
	Updated time.Time `py:"updated,isoformat"` // a str, so that a JSON session can hold it
}

func ExampleFromGo() {
	cart := Cart{
		Items:   []Item{{SKU: "A-1", Qty: 2, Price: 9.5}},
		Updated: time.Date(2024, 5, 1, 12, 30, 0, 0, time.UTC),
	}
	v, err := py.FromGo(cart)
	if err != nil {
		panic(err)
	}
	// The session value, as Django's JSONSerializer writes it.
	b, err := pyjson.Marshal(v)
	if err != nil {
		panic(err)
	}
	fmt.Println(string(b))
	// Output:
	// {"items":[{"sku":"A-1","qty":2,"price":9.5}],"updated":"2024-05-01T12:30:00+00:00"}
}

func ExampleToGo() {
	// A cart a Django view stored: session["cart"] = {"items": [...], ...}, read from a
	// pickled session.
	data, _ := pickle.Marshal(py.DictOf(
		"items", []any{py.DictOf("sku", "A-1", "qty", int64(2), "price", 9.5, "note", "gift")},
		"updated", py.DateTime{Year: 2024, Month: 5, Day: 1, Hour: 12, Minute: 30, TZ: py.TimeZone{}},
	), 5)
	v, err := pickle.Unmarshal(data)
	if err != nil {
		panic(err)
	}
	var cart Cart
	if err := py.ToGo(v, &cart); err != nil {
		panic(err)
	}
	fmt.Printf("%+v %s\n", cart.Items, cart.Updated.Format(time.RFC3339))
	// Output:
	// [{SKU:A-1 Qty:2 Price:9.5}] 2024-05-01T12:30:00Z
}

func ExampleConvertError() {
	v := py.DictOf("items", []any{
		py.DictOf("sku", "A-1", "qty", int64(1)),
		py.DictOf("sku", "B-2", "qty", "two"),
	})
	var cart Cart
	err := py.ToGo(v, &cart)
	fmt.Println(err)
	var ce *py.ConvertError
	if errors.As(err, &ce) {
		fmt.Println(ce.Path, ce.Python)
	}
	// Output:
	// py: ToGo items[1].qty: cannot store Python str in Go int
	// items[1].qty str
}

// Money is stored as a Python decimal.Decimal.
type Money struct{ Cents int64 }

func (m Money) MarshalPy() (any, error) {
	return py.Decimal{Value: fmt.Sprintf("%d.%02d", m.Cents/100, m.Cents%100)}, nil
}

func (m *Money) UnmarshalPy(v any) error {
	d, ok := v.(py.Decimal)
	if !ok {
		return fmt.Errorf("want a decimal.Decimal, not %s", py.TypeName(v))
	}
	var units, cents int64
	if _, err := fmt.Sscanf(d.Value, "%d.%02d", &units, &cents); err != nil {
		return err
	}
	m.Cents = units*100 + cents
	return nil
}

func ExampleMarshaler() {
	v, err := py.FromGo(map[string]Money{"total": {Cents: 1999}})
	if err != nil {
		panic(err)
	}
	fmt.Printf("%#v\n", v.(*py.Dict).Items())
	var back map[string]Money
	if err := py.ToGo(v, &back); err != nil {
		panic(err)
	}
	fmt.Println(back["total"].Cents)
	// Output:
	// []py.Item{py.Item{Key:"total", Value:py.Decimal{Value:"19.99"}}}
	// 1999
}

func ExampleDict_Time() {
	// A JSON-serialized session after Django 4.2+'s set_expiry(datetime) (USE_TZ = True).
	v, err := pyjson.Unmarshal([]byte(`{"cart_id":7,"_session_expiry":"2024-05-01T12:30:45.123456+00:00"}`))
	if err != nil {
		panic(err)
	}
	d := v.(*py.Dict)
	t, ok := d.Time("_session_expiry")
	fmt.Println(t, ok)
	n, ok := d.Float("cart_id") // an int reads as a float, as Python's float() reads it
	fmt.Println(n, ok)
	// Output:
	// 2024-05-01 12:30:45.123456 +0000 UTC true
	// 7 true
}
