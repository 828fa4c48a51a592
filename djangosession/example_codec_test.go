package djangosession_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/djangobridge/bridge/djangosession"
)

// A session dict as Django's RedisCache stores it: pickle protocol 5, written by CPython for
// {"_auth_user_id": "1", "cart": [1, 2]}.
var sessionPickle = []byte("\x80\x05\x95(\x00\x00\x00\x00\x00\x00\x00}\x94(\x8c\r_auth_user_id\x94\x8c\x011\x94\x8c\x04cart\x94]\x94(K\x01K\x02eu.")

func ExampleUnmarshalPickle() {
	v, err := djangosession.UnmarshalPickle(sessionPickle)
	if err != nil {
		fmt.Println(err)
		return
	}
	d := v.(*djangosession.Dict)
	uid, _ := d.String("_auth_user_id")
	cart, _ := d.Get("cart")
	fmt.Println(uid, cart)
	// Output: 1 [1 2]
}

func ExampleMarshalPickle() {
	d := djangosession.DictOf("_auth_user_id", "1", "cart", []any{int64(1), int64(2)})
	p, err := djangosession.MarshalPickle(d, 5)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(string(p) == string(sessionPickle)) // the bytes CPython writes
	// Output: true
}

func ExamplePickleCodec_Decode_forbidden() {
	// Hand-made: a pickle that would call os.system("id") in Python.
	evil := []byte("\x80\x02cos\nsystem\nX\x02\x00\x00\x00id\x85R.")
	_, err := djangosession.UnmarshalPickle(evil)
	var fg *djangosession.ForbiddenGlobalError
	fmt.Println(errors.As(err, &fg), fg.Global, errors.Is(err, djangosession.ErrCorrupt))
	// Output: true os.system true
}

func ExamplePickleCodec_allowGlobals() {
	// An app object, kept inert and written back unchanged when its class is allow-listed.
	obj := &djangosession.Object{
		Global: djangosession.Global{Module: "shop.cart", Name: "CartItem"},
		How:    "newobj", Args: djangosession.Tuple{},
		State: djangosession.DictOf("sku", "sku-1", "qty", int64(2)), HasState: true,
	}
	c := &djangosession.PickleCodec{AllowGlobals: []string{"shop.cart.CartItem"}}
	p, _ := c.Encode(djangosession.DictOf("item", obj))
	v, err := c.Decode(p)
	fmt.Println(err, djangosession.EqualValues(v, djangosession.DictOf("item", obj)))

	_, err = djangosession.UnmarshalPickle(p) // the default allow-list refuses it
	fmt.Println(err)
	// Output:
	// <nil> true
	// djangosession: pickle: global shop.cart.CartItem is not allowed
}

func ExampleDateTime_Time() {
	// Django's _session_expiry on 3.2 with USE_TZ: an aware datetime in UTC.
	dt := djangosession.DateTime{Year: 2023, Month: 11, Day: 28, Hour: 22, Minute: 13, Second: 20, TZ: djangosession.TimeZone{}}
	fmt.Println(dt.Time(nil).Unix())
	fmt.Println(djangosession.DateTimeOf(time.Unix(1701209600, 0), djangosession.TimeZone{}) == dt)
	// Output:
	// 1701209600
	// true
}

func ExampleMarshalTagged() {
	v, _ := djangosession.UnmarshalPickle(sessionPickle)
	j, _ := djangosession.MarshalTagged(djangosession.Tuple{v, 1.5, []byte("x")})
	fmt.Println(string(j))
	// Output: {"__py__":"tuple","items":[{"_auth_user_id":"1","cart":[1,2]},{"__py__":"float","repr":"1.5","bits":"3ff8000000000000"},{"__py__":"bytes","b64":"eA=="}]}
}
