#!/bin/sh
# Compare djangosession's signing and session formats with Django's own, in one run: the Go
# benchmarks of djangosession/bench_signing_test.go and, under timeit, Django 5.2's
# signing.dumps(compress=True) / signing.loads(max_age=SESSION_COOKIE_AGE) as the signed_cookies
# backend calls them, and SessionStore.encode / decode (db, cached_db and file session_data).
# Data: the "typical" and "typical_10k" sessions of compat_test/fixtures/django-5.2/cache-redis.json.
# Prints ns/op for both and the Go/Django speed ratio (>1: Go is faster).
#
# Usage: bench/signing_compare.sh [python]   (default: the django-5.2 compat venv's python)
set -eu
repo=$(cd "$(dirname "$0")/.." && pwd)
py=${1:-"${DJANGOBRIDGE_VENVS:-$repo/compat_test/.venvs}/django-5.2/bin/python"}
fixture="$repo/compat_test/fixtures/django-5.2/cache-redis.json"
[ -x "$py" ] || { echo "no python at $py (run compat_test/setup.sh)" >&2; exit 1; }
[ -f "$fixture" ] || { echo "no $fixture (run compat_test/generate.sh)" >&2; exit 1; }

gobench=$(cd "$repo" && go test -run '^$' -bench '^Benchmark(SignedCookie(Dumps|Loads)|SessionData(Encode|Decode))$' -benchmem -count=1 ./djangosession/)
echo "$gobench" | grep -E '^Benchmark' >&2

GOBENCH="$gobench" PYTHONPATH="$repo/compat_test" "$py" - "$fixture" <<'PY'
import json, os, re, sys, timeit

import django
from django.conf import settings

settings.configure(SECRET_KEY="s3cr3t", INSTALLED_APPS=["django.contrib.sessions"], USE_TZ=True)
django.setup()
from django.contrib.sessions.backends.db import SessionStore
from django.core import signing

import pytagged

cases = {c["name"]: pytagged.from_tagged(c["expected"])
         for c in json.load(open(sys.argv[1], encoding="utf-8"))["cases"] if c["engine"] == "cache"}
go = {}
for line in os.environ["GOBENCH"].splitlines():
    m = re.match(r"Benchmark(\w+)/(\S+?)(-\d+)?\s+\d+\s+([\d.]+) ns/op.*?(\d+) B/op\s+(\d+) allocs/op", line)
    if m:
        go[(m.group(1), m.group(2))] = (float(m.group(4)), int(m.group(6)))

def best(fn):
    t = timeit.Timer(fn)
    n, _ = t.autorange()
    return min(t.repeat(5, n)) / n * 1e9

SALT = "django.contrib.sessions.backends.signed_cookies"
print(f"python {sys.version.split()[0]}, Django {django.get_version()}")
print(f"{'case':<34}{'Go ns/op':>12}{'Django ns/op':>15}{'Go/Django speed':>17}{'Go allocs':>11}")
ratios = []
for name in ("typical", "typical_10k"):
    v = cases[name]
    cookie = signing.dumps(v, compress=True, salt=SALT)
    store = SessionStore()
    data = store.encode(v)
    ops = (
        ("SignedCookieDumps", lambda: signing.dumps(v, compress=True, salt=SALT)),
        ("SignedCookieLoads", lambda: signing.loads(cookie, salt=SALT, max_age=1209600)),
        ("SessionDataEncode", lambda: store.encode(v)),
        ("SessionDataDecode", lambda: store.decode(data)),
    )
    for op, fn in ops:
        g = go.get((op, name))
        if g is None:
            print(f"missing Go benchmark {op}/{name}", file=sys.stderr)
            sys.exit(1)
        c = best(fn)
        ratios.append(c / g[0])
        print(f"{op + ' ' + name:<34}{g[0]:>12.0f}{c:>15.0f}{c / g[0]:>16.2f}x{g[1]:>11}")
print(f"lowest Go/Django speed ratio: {min(ratios):.2f}x (target 5x)")
PY
