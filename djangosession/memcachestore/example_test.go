package memcachestore_test

import (
	"fmt"

	"github.com/djangobridge/bridge/djangosession/memcachestore"
)

// Which server Django's PyMemcacheCache and PyLibMCCache use for a session key, given the same
// LOCATION (no server is contacted).
func ExampleRendezvousSelector() {
	location := []string{"127.0.0.1:11211", "127.0.0.1:11212", "127.0.0.1:11213"}
	rs, err := memcachestore.NewRendezvousSelector(location...)
	if err != nil {
		panic(err)
	}
	ms, err := memcachestore.NewModulaSelector(location...)
	if err != nil {
		panic(err)
	}
	for _, key := range []string{":1:foo", "myapp:1:user_42"} {
		fmt.Printf("%-16s pymemcache %s, pylibmc %s\n", key, rs.Nodes()[rs.Pick(key)], location[ms.Pick(key)])
	}
	// Output:
	// :1:foo           pymemcache 127.0.0.1:11211, pylibmc 127.0.0.1:11213
	// myapp:1:user_42  pymemcache 127.0.0.1:11213, pylibmc 127.0.0.1:11212
}

// Django's LOCATION entries are normalised as pymemcache does before hashing.
func ExampleNewRendezvousSelector() {
	s, err := memcachestore.NewRendezvousSelector("localhost", "[::1]:11212", "unix:/tmp/memcached.sock")
	if err != nil {
		panic(err)
	}
	fmt.Printf("%q\n", s.Nodes())
	// Output:
	// ["localhost:11211" "::1:11212" "/tmp/memcached.sock"]
}
