package redisstore

import (
	"bytes"
	"context"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/djangobridge/bridge/djangosession/internal/livetest"
)

// pyScript runs under a harness venv. It configures one Django cache alias (KEY_FUNCTION keeps
// keys as given) and runs ops: "dumps" pickles a value the way the backend's serializer does,
// "set" stores a value with Django's cache.set, "get" reads with cache.get and compares with the
// unpickled expectation.
const pyScript = `
import base64, json, pickle, sys
import django
from django.conf import settings
req = json.load(sys.stdin)
opts = {}
if req["backend"] == "django":
    backend = "django.core.cache.backends.redis.RedisCache"
else:
    backend = "django_redis.cache.RedisCache"
    if req.get("compressor"):
        opts["COMPRESSOR"] = req["compressor"]
    if req.get("pickle_version") is not None:
        opts["PICKLE_VERSION"] = req["pickle_version"]
settings.configure(CACHES={"default": {"BACKEND": backend, "LOCATION": req["location"],
    "KEY_FUNCTION": lambda key, prefix, version: key, "OPTIONS": opts}})
django.setup()
from django.core.cache import cache
out = {"django": django.get_version(), "python": sys.version.split()[0], "results": []}
try:
    import django_redis
    out["django_redis"] = django_redis.__version__
except Exception:
    pass
try:
    cache.get("djbtest:probe")
except Exception as e:
    out["unsupported"] = "%s: %s" % (type(e).__name__, e)
    print(json.dumps(out)); sys.exit(0)
for op in req["ops"]:
    if op["op"] == "get":
        v = cache.get(op["key"])
        want = pickle.loads(base64.b64decode(op["pickle_b64"]))
        out["results"].append({"equal": v == want and type(v) is type(want), "repr": repr(v)[:200]})
    elif op["op"] == "set":
        v = pickle.loads(base64.b64decode(op["pickle_b64"]))
        cache.set(op["key"], v, op["timeout"])
        if req["backend"] == "django":
            p = cache._cache._serializer.dumps(v)
        else:
            p = cache.client._serializer.dumps(v)
        out["results"].append({"pickle_b64": base64.b64encode(p).decode()})
print(json.dumps(out))
`

type pyOp struct {
	Op        string `json:"op"`
	Key       string `json:"key"`
	PickleB64 string `json:"pickle_b64"`
	Timeout   int    `json:"timeout,omitempty"`
}

type pyReq struct {
	Backend       string `json:"backend"`
	Location      string `json:"location"`
	Compressor    string `json:"compressor,omitempty"`
	PickleVersion *int   `json:"pickle_version,omitempty"`
	Ops           []pyOp `json:"ops"`
}

type pyResp struct {
	Django      string `json:"django"`
	Python      string `json:"python"`
	DjangoRedis string `json:"django_redis"`
	Unsupported string `json:"unsupported"`
	Results     []struct {
		Equal     bool   `json:"equal"`
		Repr      string `json:"repr"`
		PickleB64 string `json:"pickle_b64"`
	} `json:"results"`
}

var compressorClass = map[Compressor]string{
	CompressorZlib: "django_redis.compressors.zlib.ZlibCompressor",
	CompressorGzip: "django_redis.compressors.gzip.GzipCompressor",
	CompressorLZMA: "django_redis.compressors.lzma.LzmaCompressor",
	CompressorLZ4:  "django_redis.compressors.lz4.Lz4Compressor",
	CompressorZstd: "django_redis.compressors.zstd.ZStdCompressor",
}

// TestLivePython: what Go writes, each Django backend (every harness venv) reads with cache.get;
// what Django writes with cache.set, Go reads back as the pickle Django's serializer produced.
func TestLivePython(t *testing.T) {
	url := primaryURL(t)
	venvs := livetest.Venvs(t)
	pickles := map[string][]byte{"short": sessionPickle, "long": longPickle, "empty": []byte("\x80\x05}\x94.")}
	for _, v := range venvs {
		for _, tc := range wireCases() {
			t.Run(v.ID+"/"+tc.name, func(t *testing.T) {
				ctx := context.Background()
				prefix := keyPrefix(t)
				rawClient(t, url, prefix)
				o := tc.opts
				o.Location = []string{url}
				c, err := New(o)
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				req := pyReq{Backend: "django", Location: url}
				if tc.opts.Format == FormatDjangoRedis {
					req.Backend = "django-redis"
					req.Compressor = compressorClass[tc.opts.Compressor]
					if tc.opts.PickleVersion != 0 {
						req.PickleVersion = &tc.opts.PickleVersion
					}
				}
				// Go → Python.
				var names []string
				for name, p := range pickles {
					key := prefix + "go-" + name
					if err := c.Set(ctx, key, p, time.Minute); err != nil {
						t.Fatal(err)
					}
					names = append(names, name)
					req.Ops = append(req.Ops, pyOp{Op: "get", Key: key, PickleB64: base64.StdEncoding.EncodeToString(p)})
				}
				// Python → Go.
				for name, p := range pickles {
					req.Ops = append(req.Ops, pyOp{Op: "set", Key: prefix + "py-" + name,
						PickleB64: base64.StdEncoding.EncodeToString(p), Timeout: 60})
					names = append(names, name)
				}
				var resp pyResp
				livetest.RunPython(t, v, pyScript, req, &resp)
				if resp.Unsupported != "" {
					// Django 3.2 has no RedisCache, django-redis 5.x no GzipCompressor: this
					// combination cannot exist, so there is nothing to compare.
					t.Logf("Django %s / django-redis %s: %s", resp.Django, resp.DjangoRedis, resp.Unsupported)
					if !(v.ID == "3.2" && (tc.opts.Format == FormatDjango || tc.opts.Compressor == CompressorGzip)) {
						t.Fatalf("unexpected: %s", resp.Unsupported)
					}
					return
				}
				t.Logf("Python %s, Django %s, django-redis %s", resp.Python, resp.Django, resp.DjangoRedis)
				if len(resp.Results) != len(req.Ops) {
					t.Fatalf("%d results for %d ops", len(resp.Results), len(req.Ops))
				}
				for i, op := range req.Ops {
					r := resp.Results[i]
					switch op.Op {
					case "get":
						if !r.Equal {
							t.Errorf("Django read %s (%s) as %s", op.Key, names[i], r.Repr)
						}
					case "set":
						want, _ := base64.StdEncoding.DecodeString(r.PickleB64)
						got, err := c.Get(ctx, op.Key)
						if err != nil || !bytes.Equal(got, want) {
							t.Errorf("Go read Django's %s as %x, %v; want %x", names[i], got, err, want)
						}
						if !strings.HasPrefix(string(want), "\x80") || int(want[1]) != c.PickleProtocol() {
							t.Errorf("Django wrote protocol %d, PickleProtocol() says %d", want[1], c.PickleProtocol())
						}
					}
				}
			})
		}
	}
}
