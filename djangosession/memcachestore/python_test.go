package memcachestore

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"testing"
	"time"

	"github.com/djangobridge/bridge/djangosession/internal/livetest"
)

// pyScript runs under a harness venv with one Django memcached cache alias (KEY_FUNCTION keeps
// keys as given). Ops: "get" reads with cache.get and compares with the unpickled expectation;
// "set" stores with cache.set and returns the pickle the client wrote; "pick" asks the client
// itself which server it would use (pymemcache: HashClient.hasher.get_node; pylibmc:
// Client.hash, libmemcached's server index).
const pyScript = `
import base64, json, pickle, sys
import django
from django.conf import settings
req = json.load(sys.stdin)
backend = {"pymemcache": "django.core.cache.backends.memcached.PyMemcacheCache",
           "pylibmc": "django.core.cache.backends.memcached.PyLibMCCache"}[req["client"]]
settings.configure(CACHES={"default": {"BACKEND": backend, "LOCATION": req["location"],
    "KEY_FUNCTION": lambda key, prefix, version: key}})
django.setup()
from django.core.cache import cache
import pymemcache, pylibmc
out = {"django": django.get_version(), "python": sys.version.split()[0],
       "pymemcache": pymemcache.__version__, "pylibmc": pylibmc.__version__, "results": []}
for op in req["ops"]:
    if op["op"] == "get":
        v = cache.get(op["key"])
        want = pickle.loads(base64.b64decode(op["pickle_b64"]))
        out["results"].append({"equal": v == want and type(v) is type(want), "repr": repr(v)[:200]})
    elif op["op"] == "set":
        v = pickle.loads(base64.b64decode(op["pickle_b64"]))
        cache.set(op["key"], v, op["timeout"])
        out["results"].append({"pickle_b64": base64.b64encode(pickle.dumps(v, pickle.HIGHEST_PROTOCOL)).decode()})
    elif op["op"] == "pick":
        if req["client"] == "pymemcache":
            node = cache._cache.hasher.get_node(op["key"])
        else:
            node = req["location"][cache._cache.hash(op["key"])]
        out["results"].append({"node": node})
print(json.dumps(out))
`

type pyOp struct {
	Op        string `json:"op"`
	Key       string `json:"key"`
	PickleB64 string `json:"pickle_b64,omitempty"`
	Timeout   int    `json:"timeout,omitempty"`
}

type pyResp struct {
	Django     string `json:"django"`
	Python     string `json:"python"`
	Pymemcache string `json:"pymemcache"`
	Pylibmc    string `json:"pylibmc"`
	Results    []struct {
		Equal     bool   `json:"equal"`
		Repr      string `json:"repr"`
		PickleB64 string `json:"pickle_b64"`
		Node      string `json:"node"`
	} `json:"results"`
}

// TestLivePython, for each harness venv and both Django memcached backends over both servers:
// keys Go writes are found by Django's cache.get and sit on exactly the server the Python client
// picks (each server asked directly); keys Django writes sit where Go's selector points, and Go
// reads them back as the pickle Django wrote.
func TestLivePython(t *testing.T) {
	addrs := servers(t)
	venvs := livetest.Venvs(t)
	const n = 100
	for _, v := range venvs {
		for _, client := range []Client{PyMemcache, PyLibMC} {
			t.Run(v.ID+"/"+client.String(), func(t *testing.T) {
				ctx := context.Background()
				prefix := keyPrefix(t)
				var keys []string
				cleanup(t, addrs, &keys)
				c, err := New(Options{Timeout: liveTimeout, Location: addrs, Client: client})
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				name := map[Client]string{PyMemcache: "pymemcache", PyLibMC: "pylibmc"}[client]
				req := map[string]any{"client": name, "location": addrs}
				var ops []pyOp
				b64 := base64.StdEncoding.EncodeToString(sessionPickle)
				for i := range n {
					// Non-ASCII keys too: pymemcache hashes code points & 0xFF, libmemcached
					// sign-extended UTF-8 bytes.
					gk := fmt.Sprintf("%sgo-%d-é中", prefix, i)
					pk := fmt.Sprintf("%spy-%d-ÿ", prefix, i)
					keys = append(keys, gk, pk)
					if err := c.Set(ctx, gk, sessionPickle, time.Minute); err != nil {
						t.Fatal(err)
					}
					ops = append(ops, pyOp{Op: "get", Key: gk, PickleB64: b64}, pyOp{Op: "pick", Key: gk},
						pyOp{Op: "set", Key: pk, PickleB64: b64, Timeout: 60})
				}
				req["ops"] = ops
				var resp pyResp
				livetest.RunPython(t, v, pyScript, req, &resp)
				t.Logf("Python %s, Django %s, pymemcache %s, pylibmc %s", resp.Python, resp.Django, resp.Pymemcache, resp.Pylibmc)
				if len(resp.Results) != len(ops) {
					t.Fatalf("%d results for %d ops", len(resp.Results), len(ops))
				}
				spread := map[string]int{}
				for i, op := range ops {
					r := resp.Results[i]
					switch op.Op {
					case "get":
						if !r.Equal {
							t.Errorf("Django read %q as %s", op.Key, r.Repr)
						}
					case "pick":
						on := whereIs(t, addrs, op.Key)
						if len(on) != 1 || on[0] != r.Node {
							t.Errorf("Go put %q on %v; the Python client picks %s", op.Key, on, r.Node)
						}
						spread[r.Node]++
					case "set":
						want, _ := base64.StdEncoding.DecodeString(r.PickleB64)
						on := whereIs(t, addrs, op.Key)
						if len(on) != 1 {
							t.Errorf("Django put %q on %v", op.Key, on)
						}
						// Get asks only the server Go's selector picks.
						got, err := c.Get(ctx, op.Key)
						if err != nil || !bytes.Equal(got, want) {
							t.Errorf("Go read Django's %q as %x, %v; want %x", op.Key, got, err, want)
						}
					}
				}
				if len(spread) != len(addrs) {
					t.Errorf("keys spread over %v: the test does not exercise the choice", spread)
				}
			})
		}
	}
}
