"""Make CPython pickles of hand-picked values for the djangosession pickle tests.

Run with each supported interpreter (the compat venvs'), from the repository root:

    for v in 3.2 4.2 5.2 6.0; do
        compat_test/.venvs/django-$v/bin/python djangosession/testdata/make_pickles.py
    done

It writes djangosession/testdata/cpython-<X.Y>.json: {"python": sys.version, "cases": [...]},
each case {"name", "protocol", "pickle_b64", "expected"}, where pickle_b64 is what CPython's
pickle.dumps (the C implementation) wrote and expected is the value as tagged JSON
(compat_test/FORMAT.md, via compat_test/pytagged.py). Unlike compat_test/fixtures, these are
not Django-made: they cover what sessions rarely hold (batches of 1000, frames past 64 KiB,
LONG4, protocols 0 and 1).
"""
import base64
import collections
import datetime
import decimal
import json
import os
import pickle
import sys
import uuid
import zoneinfo

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "compat_test"))
import pytagged  # noqa: E402

try:
    import pytz
except ImportError:  # the tests use the venvs, which have it
    pytz = None


def values():
    utc = datetime.timezone.utc
    paris = zoneinfo.ZoneInfo("Europe/Paris")
    v = {
        "none": None,
        "bools": [True, False],
        "ints": [0, 1, 255, 256, 65535, 65536, -1, -128, -129, -255, -256, -32768, -32769,
                 2**31 - 1, -2**31, 2**31, -2**31 - 1, 2**32, 2**63 - 1, -2**63, 2**63, -2**63 - 1,
                 2**64, -2**64, 2**127, -2**127, 2**2040, -2**2040],
        "long4": 7**2000,
        "long4_neg": -(7**2000),
        "floats": [0.0, -0.0, 1.5, -2.25, 1e300, 5e-324, float("inf"), float("-inf"), float("nan")],
        "strs": ["", "a", "a" * 255, "a" * 256, "héllo", "日本", "😀", "a\udc80b", "\n\\\"'"],
        "long_str": "x" * 70000,
        "bytes": [b"", b"\x00\xff", b"b" * 255, b"b" * 256],
        "long_bytes": b"y" * 70000,
        "bytearrays": [bytearray(), bytearray(b"ab\x00")],
        "tuples": [(), (1,), (1, 2), (1, 2, 3), (1, 2, 3, 4), ((),), (("a", ("b",)),)],
        "list_0": [], "list_1": [1], "list_1000": list(range(1000)),
        "list_1001": list(range(1001)), "list_2001": list(range(2001)),
        "dict_0": {}, "dict_1": {"a": 1}, "dict_1000": {f"k{i}": i for i in range(1000)},
        "dict_1001": {f"k{i}": i for i in range(1001)},
        "dict_2000": {f"k{i}": i for i in range(2000)},
        "dict_nonstr": {1: "a", (1, 2): "b", None: "c", 1.5: "d", b"x": "e", frozenset({1}): "f"},
        "set_0": set(), "set_1": {1}, "set_1000": set(range(1000)), "set_1001": set(range(1001)),
        "frozenset_0": frozenset(), "frozenset_3": frozenset({1, 2, 3}),
        "frozenset_1000": frozenset(range(1000)),
        "od_0": collections.OrderedDict(), "od_1": collections.OrderedDict(a=1),
        "od_2": collections.OrderedDict(a=1, b=[2]),
        "od_1000": collections.OrderedDict((f"k{i}", i) for i in range(1000)),
        "od_1001": collections.OrderedDict((f"k{i}", i) for i in range(1001)),
        "complex": [1 + 2j, complex(0, -0.0)],
        "datetime_naive": datetime.datetime(2023, 11, 14, 22, 13, 20, 123456),
        "datetime_utc": datetime.datetime(2023, 11, 14, 22, 13, 20, tzinfo=utc),
        "datetime_min": datetime.datetime.min,
        "datetime_max": datetime.datetime.max,
        "datetime_offset": datetime.datetime(2023, 1, 1, tzinfo=datetime.timezone(datetime.timedelta(hours=-5, minutes=-30))),
        "datetime_named": datetime.datetime(2023, 1, 1, tzinfo=datetime.timezone(datetime.timedelta(hours=1), "CET")),
        "datetime_zoneinfo": datetime.datetime(2023, 7, 14, 12, tzinfo=paris),
        "datetime_fold": datetime.datetime(2023, 10, 29, 2, 30, tzinfo=paris, fold=1),
        "datetimes_shared_tz": [datetime.datetime(2023, 1, 1, tzinfo=utc), datetime.datetime(2024, 1, 1, tzinfo=utc)],
        "date": datetime.date(2024, 2, 29),
        "time": datetime.time(23, 59, 59, 999999),
        "time_tz": datetime.time(1, 2, 3, tzinfo=utc),
        "time_fold": datetime.time(1, 2, 3, fold=1),
        "timedeltas": [datetime.timedelta(0), datetime.timedelta(days=-1, seconds=5), datetime.timedelta(days=999999999, seconds=86399, microseconds=999999)],
        "decimals": [decimal.Decimal("1.10"), decimal.Decimal("-0"), decimal.Decimal("1E+3"),
                     decimal.Decimal("NaN"), decimal.Decimal("-Infinity"), decimal.Decimal("sNaN12")],
        "uuids": [uuid.UUID(int=0), uuid.UUID("12345678-1234-5678-1234-567812345678"),
                  uuid.UUID(int=2**128 - 1, is_safe=uuid.SafeUUID.safe),
                  uuid.UUID(int=5, is_safe=uuid.SafeUUID.unsafe)],
        "many_strings": [f"string number {i:04d} " * 3 for i in range(1500)],
        "nested": {"a": [{"b": ({"c": [[]]},)}]},
    }
    if pytz is not None:
        v["pytz"] = [
            datetime.datetime(2023, 1, 1, tzinfo=pytz.utc),
            pytz.timezone("Europe/Paris").localize(datetime.datetime(2023, 7, 14, 12)),
            pytz.timezone("Etc/GMT+5").localize(datetime.datetime(2023, 1, 1)),
            datetime.datetime(2023, 1, 1, tzinfo=pytz.FixedOffset(90)),
        ]
    return v


# Large values (frames of 64 KiB and more) are written at protocols 4 and 5 only, and they and
# the batches of 1000 by CPython 3.12 only, to keep the files small.
BIG = {"long_str", "long_bytes", "many_strings"}
BATCHES = {"list_1000", "list_1001", "list_2001", "dict_1000", "dict_1001", "dict_2000",
           "set_1000", "set_1001", "frozenset_1000", "od_1000", "od_1001"}


def main():
    cases = []
    for name, value in values().items():
        protos = range(0, pickle.HIGHEST_PROTOCOL + 1)
        if name in BIG:
            if sys.version_info[:2] != (3, 12):
                continue
            protos = (4, 5)
        if name in BATCHES and sys.version_info[:2] != (3, 12):
            continue
        for proto in protos:
            data = pickle.dumps(value, proto)
            expected = pytagged.to_tagged(pickle.loads(data))
            cases.append({"name": name, "protocol": proto,
                          "pickle_b64": base64.b64encode(data).decode("ascii"),
                          "expected": expected})
    ver = "%d.%d" % sys.version_info[:2]
    out = os.path.join(HERE, f"cpython-{ver}.json")
    with open(out, "w", encoding="utf-8") as f:
        json.dump({"python": sys.version, "made_by": "djangosession/testdata/make_pickles.py (CPython, not Django)",
                   "cases": cases}, f, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        f.write("\n")
    print(out, len(cases), "cases")


if __name__ == "__main__":
    main()
