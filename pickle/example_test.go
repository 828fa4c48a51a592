package pickle_test

import (
	"errors"
	"fmt"

	"github.com/djangobridge/bridge/pickle"
	"github.com/djangobridge/bridge/py"
)

// A session dict as Django's RedisCache stores it: pickle protocol 5, written by CPython for
// {"_auth_user_id": "1", "cart": [1, 2]}.
var sessionPickle = []byte("\x80\x05\x95(\x00\x00\x00\x00\x00\x00\x00}\x94(\x8c\r_auth_user_id\x94\x8c\x011\x94\x8c\x04cart\x94]\x94(K\x01K\x02eu.")

func ExampleUnmarshal() {
	v, err := pickle.Unmarshal(sessionPickle)
	if err != nil {
		fmt.Println(err)
		return
	}
	d := v.(*py.Dict)
	uid, _ := d.String("_auth_user_id")
	cart, _ := d.Get("cart")
	fmt.Println(uid, cart)
	// Output: 1 [1 2]
}

func ExampleMarshal() {
	d := py.DictOf("_auth_user_id", "1", "cart", []any{int64(1), int64(2)})
	p, err := pickle.Marshal(d, 5)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(string(p) == string(sessionPickle)) // the bytes CPython writes
	// Output: true
}

func ExampleCodec_Decode_forbidden() {
	// Hand-made: a pickle that would call os.system("id") in Python.
	evil := []byte("\x80\x02cos\nsystem\nX\x02\x00\x00\x00id\x85R.")
	_, err := pickle.Unmarshal(evil)
	var fg *pickle.ForbiddenGlobalError
	fmt.Println(errors.As(err, &fg), fg.Global, errors.Is(err, pickle.ErrCorrupt))
	// Output: true os.system true
}

func ExampleCodec_allowGlobals() {
	// An app object, kept inert and written back unchanged when its class is allow-listed.
	obj := &py.Object{
		Global: py.Global{Module: "shop.cart", Name: "CartItem"},
		How:    "newobj", Args: py.Tuple{},
		State: py.DictOf("sku", "sku-1", "qty", int64(2)), HasState: true,
	}
	c := &pickle.Codec{AllowGlobals: []string{"shop.cart.CartItem"}}
	p, _ := c.Encode(py.DictOf("item", obj))
	v, err := c.Decode(p)
	fmt.Println(err, py.Equal(v, py.DictOf("item", obj)))

	_, err = pickle.Unmarshal(p) // the default allow-list refuses it
	fmt.Println(err)
	// Output:
	// <nil> true
	// pickle: global shop.cart.CartItem is not allowed
}

func ExampleCodec_DecodeLazy() {
	var c pickle.Codec
	l, err := c.DecodeLazy(sessionPickle) // checks the whole pickle, builds no value
	if err != nil {
		fmt.Println(err)
		return
	}
	uid, _, _ := l.Get("_auth_user_id") // builds this value only
	fmt.Println(l.Keys(), uid)

	// Save a change: the original bytes, with the changed item appended.
	p, appended, err := l.AppendItems([]py.Item{{Key: "_auth_user_id", Value: "2"}})
	if err != nil || !appended {
		fmt.Println(appended, err)
		return
	}
	v, _ := pickle.Unmarshal(p)
	uid, _ = v.(*py.Dict).String("_auth_user_id")
	cart, _ := v.(*py.Dict).Get("cart")
	fmt.Println(uid, cart)
	// Output:
	// [_auth_user_id cart] 1
	// 2 [1 2]
}
