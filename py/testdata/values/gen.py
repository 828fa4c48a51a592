"""Make the vectors of py's FromGo/ToGo tests: the Python dicts a Django app would hold for the
Go values of py/values_vectors_test.go, as Django stores them.

Run from the repository root with a compat venv's python (the README names the one used):

    compat_test/.venvs/django-5.2/bin/python py/testdata/values/gen.py

It writes py/testdata/values/vectors.json, and the same pickles and JSON as the seed corpus of
FuzzToGo (py/testdata/fuzz/FuzzToGo/vector-<name>-pickle and -json, Go's corpus format). The
vectors file is {"python", "django", "cases": [...]}, each case
{"name", "repr", "pickle_hex", "json" or "json_error"}:

- pickle_hex is pickle.dumps(value, pickle.HIGHEST_PROTOCOL), what Django's cache backends
  (locmem, redis, memcached through pymemcache) store, and so the cache session engine;
- json is django.core.signing.JSONSerializer().dumps(value) (SESSION_SERIALIZER's default,
  used by the db, cached_db, file and signed_cookies engines), or json_error the exception it
  raised ("TypeError: Object of type datetime is not JSON serializable").
"""
import collections
import datetime
import json
import os
import pickle
import sys
import zoneinfo

import django
from django.conf import settings

settings.configure(USE_TZ=True, TIME_ZONE="UTC", SECRET_KEY="x" * 50)
django.setup()

from django.contrib.sessions.backends.signed_cookies import SessionStore  # noqa: E402
from django.core.signing import JSONSerializer  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
UTC = datetime.timezone.utc


def expiry_session():
    # What set_expiry(datetime) writes into a session with USE_TZ.
    s = SessionStore()
    s["cart_id"] = 7
    s.set_expiry(datetime.datetime(2024, 5, 1, 12, 30, 45, 123456, tzinfo=UTC))
    return dict(s.items())


def cases():
    # Each name matches a row of py/values_vectors_test.go.
    return [
        ("cart", {
            "items": [
                {"sku": "A-1", "qty": 2, "price": 9.5},
                {"sku": "B-2", "qty": 1, "price": 0.1},
            ],
            "coupon": None,
            "note": "caf\u00e9 \u2615",
            "gift": False,
        }),
        ("omitempty", {"id": 3}),
        ("embedded", {"id": 42, "created_by": "ann", "name": "shoes"}),
        ("map_sorted", {"a": 1, "b": 2, "c": 3}),
        ("int_keys", {1: "one", 2: "two", 10: "ten"}),
        ("bytes", {"raw": b"\x00\xffab", "hash": b"\x01\x02\x03\x04"}),
        ("datetime", {"at": datetime.datetime(2024, 5, 1, 12, 30, 45, 123456, tzinfo=UTC)}),
        ("isoformat", {"at": "2024-05-01T12:30:45.123456+00:00", "day": "2024-05-01T00:00:00+00:00"}),
        ("duration", {"ttl": datetime.timedelta(seconds=90, microseconds=5),
                      "back": datetime.timedelta(seconds=-1.5)}),
        ("big_uint", {"n": 2**64 - 1, "m": 2**63, "k": -2**63}),
        ("float32", {"f": 0.1, "g": 16777216.0}),
        ("empty_containers", {"tags": [], "scores": {}, "ptr": None, "any": None}),
        ("array", {"rgb": [255, 128, 0], "pairs": [[1, 2], [3, 4]]}),
        ("odd_keys", {"caf\u00e9": False, "dark mode": True}),
        ("nested_any", {"meta": {"a": [1, "x", None, 2.5, True]}}),
        # Values only Python makes, read by ToGo.
        ("zoneinfo_datetime", {"at": datetime.datetime(2024, 7, 1, 14, 0, tzinfo=zoneinfo.ZoneInfo("Europe/Paris"))}),
        ("naive_datetime", {"at": datetime.datetime(2024, 5, 1, 12, 0)}),
        ("case_insensitive", {"SKU": "x", "Qty": 3, "PRICE": 2, "extra": [1, 2]}),
        ("tuple_set", {"tags": ("a", "b"), "ids": {3}}),
        ("overflow", {"sku": "z", "qty": 300}),
        ("negative_uint", {"sku": "z", "qty": -1}),
        ("nested_error", {"items": [{"qty": 1}, {"qty": 2}, {"qty": "three"}]}),
        ("ordered", collections.OrderedDict([("b", 1), ("a", 2)])),
        ("expiry", expiry_session()),
    ]


def main():
    out = []
    for name, value in cases():
        case = {"name": name, "repr": repr(value),
                "pickle_hex": pickle.dumps(value, pickle.HIGHEST_PROTOCOL).hex()}
        try:
            case["json"] = JSONSerializer().dumps(value).decode("latin-1")
        except Exception as e:  # noqa: BLE001 - the error is the vector
            case["json_error"] = "%s: %s" % (type(e).__name__, e)
        out.append(case)
    doc = {"python": sys.version.split()[0], "django": django.get_version(), "cases": out}
    with open(os.path.join(HERE, "vectors.json"), "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1, ensure_ascii=True)
        f.write("\n")
    corpus = os.path.join(HERE, "..", "fuzz", "FuzzToGo")
    os.makedirs(corpus, exist_ok=True)
    for case in out:
        seeds = {"pickle": bytes.fromhex(case["pickle_hex"])}
        if "json" in case:
            seeds["json"] = case["json"].encode("latin-1")
        for kind, data in seeds.items():
            with open(os.path.join(corpus, "vector-%s-%s" % (case["name"], kind)), "w", encoding="ascii") as f:
                f.write('go test fuzz v1\n[]byte("%s")\n' % go_bytes(data))


def go_bytes(data):
    return "".join(chr(c) if 32 <= c < 127 and c not in (34, 92) else "\\x%02x" % c for c in data)


main()
