"""Django's own code on the data the Go benchmarks use, for bench/run.sh.

Runs with a compat venv's python (django-5.2 by default). Measures, with timeit (autorange
for the loop count, then --repeat timed repeats, each giving one ns/op sample):

  codec:  pickle.loads / pickle.dumps(v, 5) of the fixture pickles (what bench/pickle_compare.sh
          measured), pickle.loads followed by the three auth key lookups ("PickleAuthRead", what
          Go's DecodeLazy + 3 Gets is compared with, issue #17), signing.dumps(compress=True) / signing.loads(max_age=SESSION_COOKIE_AGE) as
          the signed_cookies backend calls them, and SessionStore.encode / decode (db, cached_db,
          file session_data) (what bench/signing_compare.sh measured), and decode followed by the
          three auth key lookups ("SessionDataAuthRead", Go: LoadsDetail with LazyJSONSerializer
          + 3 Object.Gets);
  store:  the cache session engine over RedisCache, django-redis, PyMemcacheCache and
          PyLibMCCache: SessionStore(key).load(), save (a loaded session: s[k] = i; s.save(),
          which is Django's GET, then SET), modsave (SessionStore(key); s[k] = i; s.save()), and
          authload (SessionStore(key) and the three keys django.contrib.auth reads, issue #17).
  db:     the db session engine on the database of --db-url (sqlite:///PATH or
          postgres://USER:PASS@HOST:PORT/NAME, the one the Go BenchmarkDBStore uses; names
          "DBStore/<--db-label>/<size>/<op>"): SessionStore(key).load() (Django's SELECT with
          expire_date__gt=now, then decode) and save (a loaded session: s[k] = i; s.save(),
          an UPDATE inside transaction.atomic).
  memory: resident memory of 100,000 unpickled "typical" sessions held at once.

Data: the "typical" and "typical_10k" sessions of compat_test/fixtures/django-5.2/cache-redis.json.
Keys: KEY_PREFIX "djb-bench-py", Redis db 5; the keys are deleted at the end.
Prints one JSON object: {"meta": {...}, "results": {name: {"samples_ns": [...]}}, "memory": {...}}.

Usage: python bench/django_bench.py --redis HOST:PORT --memcached HOST:PORT
           [--only codec,store,memory,db] [--repeat 5] [--min-time 0.2]
           [--db-url URL --db-label NAME]
"""

import argparse
import base64
import gc
import json
import os
import pickle
import sys
import timeit
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "compat_test"))

SIZES = ("typical", "typical_10k")
SALT = "django.contrib.sessions.backends.signed_cookies"
PREFIX = "djb-bench-py"
# The session keys django.contrib.auth reads on every request (get_user).
AUTH_KEYS = ("_auth_user_id", "_auth_user_backend", "_auth_user_hash")


def rss_kib():
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--redis", default="127.0.0.1:16379")
    ap.add_argument("--memcached", default="127.0.0.1:21211")
    ap.add_argument("--only", default="codec,store,memory")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--min-time", type=float, default=0.2,
                    help="seconds per timed repeat (the loop count is chosen to reach it)")
    ap.add_argument("--db-url", default="", help="the database of the db part")
    ap.add_argument("--db-label", default="", help="its name in the results (sqlite, postgres)")
    args = ap.parse_args()
    parts = set(args.only.split(","))
    databases = {}
    if "db" in parts:
        from urllib.parse import unquote, urlsplit

        u = urlsplit(args.db_url)
        if u.scheme == "sqlite":
            databases["default"] = {"ENGINE": "django.db.backends.sqlite3", "NAME": u.path}
        elif u.scheme in ("postgres", "postgresql"):
            databases["default"] = {"ENGINE": "django.db.backends.postgresql", "NAME": u.path.lstrip("/"),
                                    "USER": unquote(u.username or ""), "PASSWORD": unquote(u.password or ""),
                                    "HOST": u.hostname, "PORT": str(u.port or 5432)}
        else:
            sys.exit("django_bench.py: --only db needs --db-url sqlite:///PATH or postgres://...")
        if not args.db_label:
            sys.exit("django_bench.py: --only db needs --db-label")

    import django
    from django.conf import settings

    settings.configure(
        SECRET_KEY="s3cr3t",
        INSTALLED_APPS=["django.contrib.sessions"],
        USE_TZ=True,
        SESSION_ENGINE="django.contrib.sessions.backends.cache",
        DATABASES=databases,
        CACHES={
            "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
            "redis": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                      "LOCATION": f"redis://{args.redis}/5", "KEY_PREFIX": PREFIX},
            "django-redis": {"BACKEND": "django_redis.cache.RedisCache",
                             "LOCATION": f"redis://{args.redis}/5", "KEY_PREFIX": PREFIX},
            "pymemcache": {"BACKEND": "django.core.cache.backends.memcached.PyMemcacheCache",
                           "LOCATION": args.memcached, "KEY_PREFIX": PREFIX},
            "pylibmc": {"BACKEND": "django.core.cache.backends.memcached.PyLibMCCache",
                        "LOCATION": args.memcached, "KEY_PREFIX": PREFIX},
        },
    )
    django.setup()
    import pytagged

    fixture = os.path.join(REPO, "compat_test", "fixtures", "django-5.2", "cache-redis.json")
    with open(fixture, encoding="utf-8") as f:
        cases = [c for c in json.load(f)["cases"] if c["engine"] == "cache" and c["name"] in SIZES]
    values = {c["name"]: pytagged.from_tagged(c["expected"]) for c in cases}
    pickles = {c["name"]: base64.b64decode(c["pickle_b64"]) for c in cases}

    results = {}

    def measure(name, fn):
        t = timeit.Timer(fn)
        n, elapsed = t.autorange()
        if elapsed < args.min_time:
            n = max(n, int(n * args.min_time / max(elapsed, 1e-9)))
        samples = [s / n * 1e9 for s in t.repeat(args.repeat, n)]
        results[name] = {"samples_ns": samples, "loops": n}
        samples.sort()
        print(f"  {name:<44} median {samples[len(samples) // 2]:>12.0f} ns/op", file=sys.stderr)

    if "codec" in parts:
        from django.contrib.sessions.backends.db import SessionStore as DBStore
        from django.core import signing

        for name in SIZES:
            data, v = pickles[name], values[name]
            decoded = pickle.loads(data)
            measure(f"PickleDecode/{name}", lambda: pickle.loads(data))
            measure(f"PickleEncode/{name}", lambda: pickle.dumps(decoded, 5))

            # Issue #17: what a request that only checks the login pays: unpickle the session and
            # read the three keys django.contrib.auth reads (Go: DecodeLazy + 3 Gets).
            def auth_read(data=data):
                d = pickle.loads(data)
                return d["_auth_user_id"], d["_auth_user_backend"], d["_auth_user_hash"]

            if any(auth_read()[i] != decoded[k] for i, k in enumerate(AUTH_KEYS)):
                sys.exit(f"{name}: the auth keys do not read back")
            measure(f"PickleAuthRead/{name}", auth_read)
            cookie = signing.dumps(v, compress=True, salt=SALT)
            store = DBStore()
            sdata = store.encode(v)
            measure(f"SignedCookieDumps/{name}", lambda: signing.dumps(v, compress=True, salt=SALT))
            measure(f"SignedCookieLoads/{name}", lambda: signing.loads(cookie, salt=SALT, max_age=1209600))
            measure(f"SessionDataEncode/{name}", lambda: store.encode(v))
            measure(f"SessionDataDecode/{name}", lambda: store.decode(sdata))

            # The db/file engines' read for a request that only checks the login: decode the
            # session_data and read the three auth keys (Go: LoadsDetail with LazyJSONSerializer,
            # then 3 Object.Gets).
            def sd_auth_read(sdata=sdata):
                d = store.decode(sdata)
                return d["_auth_user_id"], d["_auth_user_backend"], d["_auth_user_hash"]

            if any(sd_auth_read()[i] != decoded[k] for i, k in enumerate(AUTH_KEYS)):
                sys.exit(f"{name}: the auth keys do not read back from session_data")
            measure(f"SessionDataAuthRead/{name}", sd_auth_read)
            # The C parts inside signing.dumps/loads (json's C accelerator, zlib), on the bytes
            # they see there: the report uses them to bound the speed-up any port can reach.
            ser = signing.JSONSerializer()
            js = ser.dumps(v)
            z = zlib.compress(js)
            measure(f"SigningParts/JSONDumps/{name}", lambda: ser.dumps(v))
            measure(f"SigningParts/JSONLoads/{name}", lambda: ser.loads(js))
            measure(f"SigningParts/Compress/{name}", lambda: zlib.compress(js))
            measure(f"SigningParts/Decompress/{name}", lambda: zlib.decompress(z))

    if "store" in parts:
        from django.contrib.sessions.backends.cache import SessionStore
        from django.core.cache import caches

        seeded = []
        for alias in ("redis", "django-redis", "pymemcache", "pylibmc"):
            settings.SESSION_CACHE_ALIAS = alias
            cache = caches[alias]
            for name in SIZES:
                tag = "p" + alias.replace("-", "") + name.replace("_", "")
                key = tag + "0" * (32 - len(tag))
                probe = SessionStore(key)
                cache.set(probe.cache_key, values[name], 3600)
                seeded.append((cache, probe.cache_key))
                if SessionStore(key).load() != values[name]:
                    sys.exit(f"{alias}: the session stored under {key} does not load back")

                def load(key=key):
                    return SessionStore(key).load()

                loaded = SessionStore(key)
                loaded._get_session()
                counter = iter(range(1 << 62))

                def save(s=loaded):
                    s["bench_n"] = next(counter)
                    s.save()

                def modsave(key=key):
                    s = SessionStore(key)
                    s["bench_n"] = next(counter)
                    s.save()

                def authload(key=key):
                    s = SessionStore(key)
                    return s["_auth_user_id"], s["_auth_user_backend"], s["_auth_user_hash"]

                measure(f"Store/{alias}/{name}/load", load)
                measure(f"Store/{alias}/{name}/authload", authload)
                measure(f"Store/{alias}/{name}/save", save)
                measure(f"Store/{alias}/{name}/modsave", modsave)
        for cache, key in seeded:
            cache.delete(key)
        for alias in ("redis", "django-redis", "pymemcache", "pylibmc"):
            caches[alias].close()

    if "db" in parts:
        from django.contrib.sessions.backends.db import SessionStore as DBStore
        from django.contrib.sessions.models import Session
        from django.core.management import call_command
        from django.db import connection

        # The Go benchmark may have made the table (the same DDL): migrate takes it as applied.
        call_command("migrate", "sessions", verbosity=0, fake_initial=True)
        for name in SIZES:
            tag = "pydb" + name.replace("_", "")
            key = tag + "0" * (32 - len(tag))
            Session.objects.filter(session_key=key).delete()
            s = DBStore()
            s.update(values[name])
            s._session_key = key
            s.save(must_create=True)
            if DBStore(key).load() != values[name]:
                sys.exit(f"db: the session stored under {key} does not load back")

            def load(key=key):
                return DBStore(key).load()

            loaded = DBStore(key)
            loaded._get_session()
            counter = iter(range(1 << 62))

            def save(s=loaded):
                s["bench_n"] = next(counter)
                s.save()

            measure(f"DBStore/{args.db_label}/{name}/load", load)
            measure(f"DBStore/{args.db_label}/{name}/save", save)
            Session.objects.filter(session_key=key).delete()
        connection.close()

    memory = {}
    if "memory" in parts:
        data = pickles["typical"]
        gc.collect()
        before = rss_kib()
        held = [pickle.loads(data) for _ in range(100_000)]
        gc.collect()
        after = rss_kib()
        memory = {"sessions": len(held), "rss_before_kib": before, "rss_after_kib": after,
                  "bytes_per_session": (after - before) * 1024 / len(held), "pickle_bytes": len(data)}
        del held

    import importlib.metadata as md

    meta = {"python": sys.version.split()[0], "django": django.get_version()}
    for dist in ("redis", "django-redis", "pymemcache", "pylibmc"):
        try:
            meta[dist] = md.version(dist)
        except md.PackageNotFoundError:
            meta[dist] = None
    json.dump({"meta": meta, "results": results, "memory": memory}, sys.stdout)
    print()


if __name__ == "__main__":
    main()
