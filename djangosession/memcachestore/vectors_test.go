package memcachestore

import (
	"fmt"
	"testing"
)

// Server choice vectors produced by the real clients, not by this package: pymemcache 4.0.0
// (HashClient(LOCATION).hasher.get_node(key)) and pylibmc 1.6.3 (Client(LOCATION).hash(key),
// the libmemcached server index) on x86-64, identical under every harness venv: Python 3.10.13
// and 3.11.7 (pylibmc wheels bundling libmemcached 1.0.16), 3.12.1 and 3.13.0 (libmemcached
// 1.1.4). They include the spec's cache-clients.md §9 vectors (":1:foo", "myapp:1:user_42",
// ":1:café"). The generator script is in the comment at the end of this file.

var rendezvousVectors = []struct {
	location []string
	key      string
	node     string
}{
	{[]string{"127.0.0.1:21211", "127.0.0.1:21212"}, ":1:foo", "127.0.0.1:21212"},
	{[]string{"127.0.0.1:21211", "127.0.0.1:21212"}, "myapp:1:user_42", "127.0.0.1:21211"},
	{[]string{"127.0.0.1:21211", "127.0.0.1:21212"}, ":1:caf\u00e9", "127.0.0.1:21212"},
	{[]string{"127.0.0.1:21211", "127.0.0.1:21212"}, ":1:django.contrib.sessions.cache6x1z9k3j2m0q8w7e5r4t1y2u3i9o0p4a", "127.0.0.1:21211"},
	{[]string{"127.0.0.1:21211", "127.0.0.1:21212"}, "shop:3:django.contrib.sessions.cacheabcdefghijklmnopqrstuvwxyz012345", "127.0.0.1:21211"},
	{[]string{"127.0.0.1:21211", "127.0.0.1:21212"}, ":1:\u00ff\u0100\u4e2d\U0001f600", "127.0.0.1:21211"},
	{[]string{"127.0.0.1:21211", "127.0.0.1:21212"}, "", "127.0.0.1:21211"},
	{[]string{"127.0.0.1:21211", "127.0.0.1:21212"}, "a", "127.0.0.1:21211"},
	{[]string{"127.0.0.1:21211", "127.0.0.1:21212"}, "ab", "127.0.0.1:21212"},
	{[]string{"127.0.0.1:21211", "127.0.0.1:21212"}, "abc", "127.0.0.1:21212"},
	{[]string{"127.0.0.1:21211", "127.0.0.1:21212"}, "abcd", "127.0.0.1:21211"},
	{[]string{"127.0.0.1:21211", "127.0.0.1:21212"}, ":1:django.contrib.sessions.cached_dbkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk", "127.0.0.1:21212"},
	{[]string{"127.0.0.1:11211", "127.0.0.1:11212", "127.0.0.1:11213"}, ":1:foo", "127.0.0.1:11211"},
	{[]string{"127.0.0.1:11211", "127.0.0.1:11212", "127.0.0.1:11213"}, "myapp:1:user_42", "127.0.0.1:11213"},
	{[]string{"127.0.0.1:11211", "127.0.0.1:11212", "127.0.0.1:11213"}, ":1:caf\u00e9", "127.0.0.1:11211"},
	{[]string{"127.0.0.1:11211", "127.0.0.1:11212", "127.0.0.1:11213"}, ":1:django.contrib.sessions.cache6x1z9k3j2m0q8w7e5r4t1y2u3i9o0p4a", "127.0.0.1:11212"},
	{[]string{"127.0.0.1:11211", "127.0.0.1:11212", "127.0.0.1:11213"}, "shop:3:django.contrib.sessions.cacheabcdefghijklmnopqrstuvwxyz012345", "127.0.0.1:11212"},
	{[]string{"127.0.0.1:11211", "127.0.0.1:11212", "127.0.0.1:11213"}, ":1:\u00ff\u0100\u4e2d\U0001f600", "127.0.0.1:11213"},
	{[]string{"127.0.0.1:11211", "127.0.0.1:11212", "127.0.0.1:11213"}, "", "127.0.0.1:11213"},
	{[]string{"127.0.0.1:11211", "127.0.0.1:11212", "127.0.0.1:11213"}, "a", "127.0.0.1:11213"},
	{[]string{"127.0.0.1:11211", "127.0.0.1:11212", "127.0.0.1:11213"}, "ab", "127.0.0.1:11212"},
	{[]string{"127.0.0.1:11211", "127.0.0.1:11212", "127.0.0.1:11213"}, "abc", "127.0.0.1:11213"},
	{[]string{"127.0.0.1:11211", "127.0.0.1:11212", "127.0.0.1:11213"}, "abcd", "127.0.0.1:11211"},
	{[]string{"127.0.0.1:11211", "127.0.0.1:11212", "127.0.0.1:11213"}, ":1:django.contrib.sessions.cached_dbkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk", "127.0.0.1:11211"},
	{[]string{"localhost", "[::1]:11212", "unix:/tmp/memcached.sock", "/var/run/m.sock", "10.0.0.5:11211", "10.0.0.6:11211", "10.0.0.7"}, ":1:foo", "::1:11212"},
	{[]string{"localhost", "[::1]:11212", "unix:/tmp/memcached.sock", "/var/run/m.sock", "10.0.0.5:11211", "10.0.0.6:11211", "10.0.0.7"}, "myapp:1:user_42", "/var/run/m.sock"},
	{[]string{"localhost", "[::1]:11212", "unix:/tmp/memcached.sock", "/var/run/m.sock", "10.0.0.5:11211", "10.0.0.6:11211", "10.0.0.7"}, ":1:caf\u00e9", "10.0.0.6:11211"},
	{[]string{"localhost", "[::1]:11212", "unix:/tmp/memcached.sock", "/var/run/m.sock", "10.0.0.5:11211", "10.0.0.6:11211", "10.0.0.7"}, ":1:django.contrib.sessions.cache6x1z9k3j2m0q8w7e5r4t1y2u3i9o0p4a", "/var/run/m.sock"},
	{[]string{"localhost", "[::1]:11212", "unix:/tmp/memcached.sock", "/var/run/m.sock", "10.0.0.5:11211", "10.0.0.6:11211", "10.0.0.7"}, "shop:3:django.contrib.sessions.cacheabcdefghijklmnopqrstuvwxyz012345", "10.0.0.7:11211"},
	{[]string{"localhost", "[::1]:11212", "unix:/tmp/memcached.sock", "/var/run/m.sock", "10.0.0.5:11211", "10.0.0.6:11211", "10.0.0.7"}, ":1:\u00ff\u0100\u4e2d\U0001f600", "::1:11212"},
	{[]string{"localhost", "[::1]:11212", "unix:/tmp/memcached.sock", "/var/run/m.sock", "10.0.0.5:11211", "10.0.0.6:11211", "10.0.0.7"}, "", "10.0.0.6:11211"},
	{[]string{"localhost", "[::1]:11212", "unix:/tmp/memcached.sock", "/var/run/m.sock", "10.0.0.5:11211", "10.0.0.6:11211", "10.0.0.7"}, "a", "10.0.0.7:11211"},
	{[]string{"localhost", "[::1]:11212", "unix:/tmp/memcached.sock", "/var/run/m.sock", "10.0.0.5:11211", "10.0.0.6:11211", "10.0.0.7"}, "ab", "10.0.0.7:11211"},
	{[]string{"localhost", "[::1]:11212", "unix:/tmp/memcached.sock", "/var/run/m.sock", "10.0.0.5:11211", "10.0.0.6:11211", "10.0.0.7"}, "abc", "10.0.0.6:11211"},
	{[]string{"localhost", "[::1]:11212", "unix:/tmp/memcached.sock", "/var/run/m.sock", "10.0.0.5:11211", "10.0.0.6:11211", "10.0.0.7"}, "abcd", "10.0.0.7:11211"},
	{[]string{"localhost", "[::1]:11212", "unix:/tmp/memcached.sock", "/var/run/m.sock", "10.0.0.5:11211", "10.0.0.6:11211", "10.0.0.7"}, ":1:django.contrib.sessions.cached_dbkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk", "10.0.0.6:11211"},
}

var modulaVectors = []struct {
	location []string
	key      string
	index    int
}{
	{[]string{"127.0.0.1:21211", "127.0.0.1:21212"}, ":1:foo", 1},
	{[]string{"127.0.0.1:21211", "127.0.0.1:21212"}, "myapp:1:user_42", 0},
	{[]string{"127.0.0.1:21211", "127.0.0.1:21212"}, ":1:caf\u00e9", 1},
	{[]string{"127.0.0.1:21211", "127.0.0.1:21212"}, ":1:django.contrib.sessions.cache6x1z9k3j2m0q8w7e5r4t1y2u3i9o0p4a", 1},
	{[]string{"127.0.0.1:21211", "127.0.0.1:21212"}, "shop:3:django.contrib.sessions.cacheabcdefghijklmnopqrstuvwxyz012345", 1},
	{[]string{"127.0.0.1:21211", "127.0.0.1:21212"}, ":1:\u00ff\u0100\u4e2d\U0001f600", 1},
	{[]string{"127.0.0.1:21211", "127.0.0.1:21212"}, "a", 0},
	{[]string{"127.0.0.1:21211", "127.0.0.1:21212"}, "ab", 0},
	{[]string{"127.0.0.1:21211", "127.0.0.1:21212"}, "abc", 1},
	{[]string{"127.0.0.1:21211", "127.0.0.1:21212"}, "abcd", 0},
	{[]string{"127.0.0.1:21211", "127.0.0.1:21212"}, ":1:django.contrib.sessions.cached_dbkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk", 1},
	{[]string{"127.0.0.1:11211", "127.0.0.1:11212", "127.0.0.1:11213"}, ":1:foo", 2},
	{[]string{"127.0.0.1:11211", "127.0.0.1:11212", "127.0.0.1:11213"}, "myapp:1:user_42", 1},
	{[]string{"127.0.0.1:11211", "127.0.0.1:11212", "127.0.0.1:11213"}, ":1:caf\u00e9", 1},
	{[]string{"127.0.0.1:11211", "127.0.0.1:11212", "127.0.0.1:11213"}, ":1:django.contrib.sessions.cache6x1z9k3j2m0q8w7e5r4t1y2u3i9o0p4a", 1},
	{[]string{"127.0.0.1:11211", "127.0.0.1:11212", "127.0.0.1:11213"}, "shop:3:django.contrib.sessions.cacheabcdefghijklmnopqrstuvwxyz012345", 1},
	{[]string{"127.0.0.1:11211", "127.0.0.1:11212", "127.0.0.1:11213"}, ":1:\u00ff\u0100\u4e2d\U0001f600", 0},
	{[]string{"127.0.0.1:11211", "127.0.0.1:11212", "127.0.0.1:11213"}, "a", 0},
	{[]string{"127.0.0.1:11211", "127.0.0.1:11212", "127.0.0.1:11213"}, "ab", 0},
	{[]string{"127.0.0.1:11211", "127.0.0.1:11212", "127.0.0.1:11213"}, "abc", 0},
	{[]string{"127.0.0.1:11211", "127.0.0.1:11212", "127.0.0.1:11213"}, "abcd", 1},
	{[]string{"127.0.0.1:11211", "127.0.0.1:11212", "127.0.0.1:11213"}, ":1:django.contrib.sessions.cached_dbkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk", 1},
	{[]string{"localhost", "[::1]:11212", "10.0.0.5:11211", "10.0.0.6:11211", "10.0.0.7"}, ":1:foo", 4},
	{[]string{"localhost", "[::1]:11212", "10.0.0.5:11211", "10.0.0.6:11211", "10.0.0.7"}, "myapp:1:user_42", 3},
	{[]string{"localhost", "[::1]:11212", "10.0.0.5:11211", "10.0.0.6:11211", "10.0.0.7"}, ":1:caf\u00e9", 4},
	{[]string{"localhost", "[::1]:11212", "10.0.0.5:11211", "10.0.0.6:11211", "10.0.0.7"}, ":1:django.contrib.sessions.cache6x1z9k3j2m0q8w7e5r4t1y2u3i9o0p4a", 1},
	{[]string{"localhost", "[::1]:11212", "10.0.0.5:11211", "10.0.0.6:11211", "10.0.0.7"}, "shop:3:django.contrib.sessions.cacheabcdefghijklmnopqrstuvwxyz012345", 0},
	{[]string{"localhost", "[::1]:11212", "10.0.0.5:11211", "10.0.0.6:11211", "10.0.0.7"}, ":1:\u00ff\u0100\u4e2d\U0001f600", 4},
	{[]string{"localhost", "[::1]:11212", "10.0.0.5:11211", "10.0.0.6:11211", "10.0.0.7"}, "a", 2},
	{[]string{"localhost", "[::1]:11212", "10.0.0.5:11211", "10.0.0.6:11211", "10.0.0.7"}, "ab", 2},
	{[]string{"localhost", "[::1]:11212", "10.0.0.5:11211", "10.0.0.6:11211", "10.0.0.7"}, "abc", 3},
	{[]string{"localhost", "[::1]:11212", "10.0.0.5:11211", "10.0.0.6:11211", "10.0.0.7"}, "abcd", 3},
	{[]string{"localhost", "[::1]:11212", "10.0.0.5:11211", "10.0.0.6:11211", "10.0.0.7"}, ":1:django.contrib.sessions.cached_dbkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk", 4},
}

func TestRendezvousVectors(t *testing.T) {
	for _, v := range rendezvousVectors {
		t.Run(fmt.Sprintf("%d/%q", len(v.location), v.key), func(t *testing.T) {
			s, err := NewRendezvousSelector(v.location...)
			if err != nil {
				t.Fatal(err)
			}
			if got := s.Nodes()[s.Pick(v.key)]; got != v.node {
				t.Fatalf("picked %s, pymemcache picks %s", got, v.node)
			}
		})
	}
}

func TestModulaVectors(t *testing.T) {
	for _, v := range modulaVectors {
		t.Run(fmt.Sprintf("%d/%q", len(v.location), v.key), func(t *testing.T) {
			s, err := NewModulaSelector(v.location...)
			if err != nil {
				t.Fatal(err)
			}
			if got := s.Pick(v.key); got != v.index {
				t.Fatalf("picked %d, libmemcached picks %d", got, v.index)
			}
		})
	}
}

/* The generator (run with each harness venv's python; output identical in all):
import json, sys, pymemcache, pylibmc
from pymemcache.client.hash import HashClient
from pymemcache.client.murmur3 import murmur3_32
keys = [":1:foo", "myapp:1:user_42", ":1:café", ":1:django.contrib.sessions.cache6x1z9k3j2m0q8w7e5r4t1y2u3i9o0p4a",
        "shop:3:django.contrib.sessions.cacheabcdefghijklmnopqrstuvwxyz012345", ":1:\u00ff\u0100\u4e2d\U0001f600",
        "", "a", "ab", "abc", "abcd", ":1:django.contrib.sessions.cached_db" + "k"*32]
locs = [["127.0.0.1:21211", "127.0.0.1:21212"],
        ["127.0.0.1:11211", "127.0.0.1:11212", "127.0.0.1:11213"],
        ["localhost", "[::1]:11212", "unix:/tmp/memcached.sock", "/var/run/m.sock", "10.0.0.5:11211", "10.0.0.6:11211", "10.0.0.7"]]
out = {"pymemcache": pymemcache.__version__, "pylibmc": pylibmc.__version__,
       "libmemcached": pylibmc.libmemcached_version, "python": sys.version.split()[0], "cases": []}
for loc in locs:
    hc = HashClient(loc, use_pooling=False)
    tcp = [s for s in loc if not s.startswith(("unix:", "/"))]
    mc = pylibmc.Client(tcp)
    for k in keys:
        node = hc.hasher.get_node(k)
        out["cases"].append({"location": loc, "key": k, "rendezvous_node": node,
            "modula_location": tcp, "modula_index": mc.hash(k) if k else None})
print(json.dumps(out, ensure_ascii=True, indent=0))
*/
