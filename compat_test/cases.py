"""The session cases of the fixtures (same names across Django versions).

A case either fills a SessionStore directly (``fill(store)``: set items, set_expiry) before
Django creates it, or runs a view through the real middleware chain (``view(request)``: login,
CSRF rotation, messages), after which SessionMiddleware saves the session.
"""
import collections
import datetime
import decimal
import pickle
import uuid
import zoneinfo

from djproject.shop.cart import CartItem

NOW = 1700000000  # 2023-11-14T22:13:20Z, the fixed clock of every fixture
BACKEND = "django.contrib.auth.backends.ModelBackend"


# The configurations that carry the big cases (one memcached, Django's Redis, django-redis) and
# the cached_db twin of typical_10k.
BIG_CONFIGS = ("pymemcache", "redis", "django-redis")
BIG_CONFIGS_DEFAULT = BIG_CONFIGS


class Case:
    def __init__(self, name, fill=None, view=None, cache_only=False, big=False, configs=BIG_CONFIGS_DEFAULT, note=""):
        self.name = name
        self.fill = fill
        self.view = view
        # Size limits of the committed fixtures: a cache_only case is not repeated for cached_db
        # except in BIG_CONFIGS; a big case appears only in BIG_CONFIGS, cache engine only.
        self.cache_only = cache_only or big
        self.big = big
        self.big_configs = configs
        self.note = note

    def in_config(self, config_id):
        return not self.big or config_id in self.big_configs





def _values(d):
    def fill(store):
        for k, v in d.items():
            store[k] = v

    return fill


def _expiry(value, extra=None):
    def fill(store):
        store["a"] = 1
        for k, v in (extra or {}).items():
            store[k] = v
        store.set_expiry(value)

    return fill


def _expiry_none(store):
    store["a"] = 1
    store.set_expiry(3600)
    store.set_expiry(None)  # deletes _session_expiry


def _login(request):
    from django.contrib import auth
    from django.contrib.auth import get_user_model
    from django.http import HttpResponse

    user = get_user_model().objects.get(pk=1)
    auth.login(request, user, backend=BACKEND)
    return HttpResponse("ok")


def _csrf(request):
    from django.http import HttpResponse
    from django.middleware.csrf import rotate_token

    rotate_token(request)
    return HttpResponse("ok")


def _messages(request):
    from django.contrib import messages
    from django.http import HttpResponse
    from django.utils.safestring import mark_safe

    messages.info(request, "Hi \u00e9")
    messages.success(request, "ok", extra_tags="tag")
    messages.warning(request, mark_safe("<b>safe</b>"))
    messages.error(request, "empty tags", extra_tags="")
    messages.add_message(request, 10, "debug is below the default level and dropped")
    messages.add_message(request, 35, "custom level \U0001f600")
    return HttpResponse("ok")


def _typical(request, cart_bytes=0):
    from django.http import HttpResponse

    _login(request)
    request.session["django_language"] = "fr"
    request.session["last_activity"] = NOW
    if cart_bytes:
        cart = []
        i = 0
        while len(pickle.dumps(cart, 5)) < cart_bytes:
            cart.append(
                {
                    "sku": f"SKU-{i:05d}",
                    "name": f"Product number {i} \u2013 blue",
                    "qty": 1 + i % 4,
                    "price_cents": 995 + 37 * i,
                    "gift": i % 3 == 0,
                }
            )
            i += 1
        request.session["cart"] = cart
    return HttpResponse("ok")


def _shared_refs():
    lst = [1, 2, "three"]
    s = "the same str object " * 3
    d = {"k": "v"}
    return {"list_a": lst, "list_b": lst, "str_a": s, "str_b": s, "dict_a": d, "both": [d, d]}


def _datetimes():
    utc = datetime.timezone.utc
    ist = datetime.timezone(datetime.timedelta(hours=5, minutes=30))
    named = datetime.timezone(datetime.timedelta(hours=-3), "BRT")
    paris = zoneinfo.ZoneInfo("Europe/Paris")
    ny = zoneinfo.ZoneInfo("America/New_York")
    return {
        "naive": datetime.datetime(2023, 11, 14, 22, 13, 20),
        "naive_us": datetime.datetime(2023, 11, 14, 22, 13, 20, 123456),
        "utc": datetime.datetime(2023, 11, 14, 22, 13, 20, tzinfo=utc),
        "utc_us": datetime.datetime(2030, 1, 2, 3, 4, 5, 6, tzinfo=utc),
        "fixed_offset": datetime.datetime(2023, 11, 15, 3, 43, 20, tzinfo=ist),
        "named_offset": datetime.datetime(2023, 11, 14, 19, 13, 20, tzinfo=named),
        "zoneinfo": datetime.datetime(2023, 7, 14, 12, 0, tzinfo=paris),
        "zoneinfo_fold": datetime.datetime(2023, 11, 5, 1, 30, fold=1, tzinfo=ny),
        "min": datetime.datetime.min,
        "max": datetime.datetime.max,
        "date": datetime.date(2024, 2, 29),
        "time": datetime.time(12, 34, 56, 789),
        "time_tz": datetime.time(12, 34, tzinfo=ist),
        "timedelta": datetime.timedelta(days=1, seconds=2, microseconds=3),
        "timedelta_neg": datetime.timedelta(days=-1, seconds=86399),
        "timedelta_big": datetime.timedelta(days=999999999),
    }


def _datetimes_pytz():
    import pytz

    paris = pytz.timezone("Europe/Paris")
    return {
        "pytz_utc": datetime.datetime(2023, 11, 14, 22, 13, 20, tzinfo=pytz.utc),
        "pytz_paris": paris.localize(datetime.datetime(2023, 7, 14, 12, 0)),
        "pytz_paris_winter": paris.localize(datetime.datetime(2023, 1, 14, 12, 0)),
        "pytz_static": datetime.datetime(2023, 1, 1, tzinfo=pytz.timezone("Etc/GMT+5")),
        "pytz_fixed": datetime.datetime(2023, 1, 1, tzinfo=pytz.FixedOffset(90)),
    }


def _ints():
    vals = [
        0, 1, 255, 256, 65535, 65536, -1, -255, -256, 2**31 - 1, -(2**31), 2**31, -(2**31) - 1,
        2**53 - 1, 2**53, -(2**53), 2**63 - 1, -(2**63), 2**64, 10**40, -(10**40), 2**2048,
    ]
    d = {f"i{n}": v for n, v in enumerate(vals)}
    d["all"] = vals
    return d


def _floats():
    return {
        "zero": 0.0,
        "neg_zero": -0.0,
        "one": 1.0,
        "pi": 3.141592653589793,
        "tenth": 0.1,
        "inf": float("inf"),
        "neg_inf": float("-inf"),
        "nan": float("nan"),
        "tiny": 5e-324,
        "max": 1.7976931348623157e308,
        "int_like": 1e16,
    }


def _strings():
    return {
        "empty": "",
        "s255": "a" * 255,
        "s256": "b" * 256,
        "multibyte_254_chars": "\u00e9" * 128,  # 256 UTF-8 bytes: BINUNICODE, not SHORT_
        "nul": "a\x00b",
        "newline": "line1\nline2\r\n",
        "quote": "it's \"quoted\" \\ back",
    }


def _unicode():
    return {
        "latin": "h\u00e9llo w\u00f6rld",
        "emoji": "\U0001f600\U0001f389",
        "cjk": "\u65e5\u672c\u8a9e",
        "rtl": "\u05e9\u05dc\u05d5\u05dd",
        "combining": "e\u0301",
        "cl\u00e9": "non-ASCII key",
        "\U0001f511": "emoji key",
    }


def _bytes():
    return {
        "bytes": b"\x00\xffabc",
        "empty": b"",
        "b256": bytes(range(256)),
        "bytearray": bytearray(b"xyz"),
        "bytearray_empty": bytearray(),
    }


def _tuples():
    return {
        "t0": (),
        "t1": (1,),
        "t2": (1, "a"),
        "t3": (1, 2.5, None),
        "t4": (1, 2, 3, 4),
        "t10": tuple(range(10)),
        "nested": ((1,), (2, (3, ())), [4]),
    }


def _sets():
    return {
        "ints": {3, 1, 2},
        "strs": {"b", "a", "c"},
        "empty": set(),
        "frozen": frozenset({1, "x"}),
        "frozen_empty": frozenset(),
        "nested": {frozenset({1, 2}), frozenset()},
    }


def _non_str_keys():
    return {
        "d": {1: "int", (1, 2): "tuple", frozenset({1}): "frozenset", None: "none", 2.5: "float", b"k": "bytes"},
        "has_py_key": {"__py__": "a key that collides with the tag"},
        7: "top-level int key",
    }


def _misc():
    return {
        "decimal": decimal.Decimal("1.10"),
        "decimal_neg_exp": decimal.Decimal("-0.00001"),
        "decimal_big": decimal.Decimal("12345678901234567890.123456789"),
        "decimal_inf": decimal.Decimal("Infinity"),
        "decimal_nan": decimal.Decimal("NaN"),
        "uuid": uuid.UUID("12345678-1234-5678-1234-567812345678"),
        "complex": complex(1, 2),
        "complex_neg_zero": complex(0.0, -0.0),
        "ordered": collections.OrderedDict([("b", 1), ("a", 2)]),
        "ordered_empty": collections.OrderedDict(),
        "true": True,
        "false": False,
        "none": None,
    }


def _nested():
    return {
        "a": {"b": {"c": [1, {"d": [None, True, False, "x"]}]}},
        "empty_list": [],
        "empty_dict": {},
        "list_of_lists": [[1, 2], [], [[3]]],
        "deep": [[[[[[[[[["deep"]]]]]]]]]],
    }


def _cart():
    item = CartItem("sku-1", 2, 1999)
    return {"item": item, "cart": [item, CartItem("sku-2", 1, 500)], "empty": CartItem("", 0, 0)}


def all_cases():
    """The cases, in fixture order."""
    aware = datetime.datetime(2023, 11, 21, 22, 13, 20, tzinfo=datetime.timezone.utc)
    return [
        Case("empty", _values({})),
        Case("auth_login", view=_login),
        Case("csrf", view=_csrf),
        Case("messages", view=_messages),
        Case("expiry_int", _expiry(3600)),
        Case("expiry_zero", _expiry(0)),
        Case("expiry_int_long", _expiry(40 * 86400), note="over 30 days: memcached absolute exptime"),
        Case("expiry_timedelta", _expiry(datetime.timedelta(days=1))),
        Case("expiry_datetime", _expiry(aware)),
        Case("expiry_none", _expiry_none),
        Case("bools_none", _values({"t": True, "f": False, "n": None})),
        Case("strings", _values(_strings())),
        Case("unicode", _values(_unicode())),
        # Over 64 KiB, so pickle writes it outside a frame; protocol 5 and 4 (django-redis) once each.
        Case("long_string", _values({"blob": "0123456789abcdef" * 4100}), big=True, configs=("pymemcache", "django-redis")),
        Case("ints", _values(_ints())),
        Case("floats", _values(_floats())),
        Case("nested", _values(_nested())),
        Case("tuples", _values(_tuples())),
        Case("bytes", _values(_bytes())),
        Case(
            "big_list",
            _values({"l": list(range(1100)), "strs": [f"s{i}" for i in range(1001)], "set": set(range(1100))}),
            big=True,
        ),
        Case("big_dict", _values({f"k{i:04d}": i for i in range(1100)}), big=True),
        Case("shared_refs", _values(_shared_refs())),
        Case("datetimes", _values(_datetimes())),
        Case("datetimes_pytz", _values(_datetimes_pytz())),
        Case("sets", _values(_sets())),
        Case("misc", _values(_misc())),
        Case("lone_surrogate", _values({"s": "a\ud800b", "low": "\udfff"})),
        Case("non_str_keys", _values(_non_str_keys())),
        Case("cart_item", _values(_cart())),
        Case("typical", view=_typical),
        Case("typical_10k", view=lambda r: _typical(r, cart_bytes=10 * 1024), cache_only=True),
    ]
