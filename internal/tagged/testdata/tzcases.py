"""Writes tzcases.json: what CPython's zoneinfo and datetime give for utcoffset() and tzname()
of datetimes around DST transitions (gaps and folds) and of times with a tzinfo, checked by
internal/tagged's TestTZFromPython. Run with a venv's python (3.9+; pytz cases when present):
    <venv>/bin/python tzcases.py > tzcases.json
"""
import datetime
import json
import sys
import zoneinfo

D = datetime.datetime
cases = []


def td(x):
    return None if x is None else x.days * 86400 + x.seconds


def add(kind, key, args, fold):
    z = zoneinfo.ZoneInfo(key)
    if kind == "datetime":
        v = D(*args, tzinfo=z, fold=fold)
    else:
        v = datetime.time(*args, tzinfo=z, fold=fold)
    cases.append({"kind": kind, "tz": {"zoneinfo": key}, "args": list(args), "fold": fold,
                  "utcoffset": td(v.utcoffset()), "tzname": v.tzname()})


zones = {
    "Europe/Paris": [(2021, 3, 28, 2, 0), (2021, 3, 28, 2, 30), (2021, 3, 28, 1, 59), (2021, 3, 28, 3, 0),
                     (2021, 10, 31, 2, 0), (2021, 10, 31, 2, 30), (2021, 10, 31, 3, 0), (2021, 10, 31, 1, 59),
                     (1996, 3, 31, 2, 30), (2030, 10, 27, 2, 30), (2021, 7, 1, 12, 0), (2021, 1, 1, 0, 0)],
    "America/New_York": [(2021, 3, 14, 2, 0), (2021, 3, 14, 2, 30), (2021, 11, 7, 1, 0), (2021, 11, 7, 1, 30),
                         (2021, 11, 7, 2, 0), (2007, 3, 11, 2, 30), (1990, 4, 1, 2, 30)],
    "Australia/Lord_Howe": [(2021, 10, 3, 2, 0), (2021, 10, 3, 2, 15), (2021, 4, 4, 1, 30), (2021, 4, 4, 1, 45),
                            (2021, 4, 4, 2, 0)],
    "Europe/London": [(2021, 3, 28, 1, 30), (2021, 10, 31, 1, 30)],
    "UTC": [(2021, 3, 28, 2, 30)],
}
for key, dts in zones.items():
    for a in dts:
        for fold in (0, 1):
            add("datetime", key, a, fold)
    add("time", key, (2, 30), 0)

# time with fixed-offset tzinfos: time.utcoffset() is tzinfo.utcoffset(None).
for off, name in ((0, None), (5 * 3600, None), (-(3 * 3600 + 1800), None), (3600, "X")):
    tz = datetime.timezone(datetime.timedelta(seconds=off)) if name is None else datetime.timezone(datetime.timedelta(seconds=off), name)
    if off == 0 and name is None:
        tz = datetime.timezone.utc
    t = datetime.time(1, 2, 3, tzinfo=tz)
    cases.append({"kind": "time", "tz": {"offset": off, "name": name}, "args": [1, 2, 3], "fold": 0,
                  "utcoffset": td(t.utcoffset()), "tzname": t.tzname()})
try:
    import pytz
except ImportError:
    pytz = None
if pytz is not None:
    for z in (pytz.utc, pytz.FixedOffset(90), pytz.timezone("Etc/GMT+5"), pytz.timezone("Europe/Paris"),
              pytz.timezone("Europe/Paris").localize(D(2021, 7, 1)).tzinfo):
        func, args = z.__reduce__()[:2]
        t = datetime.time(1, 2, 3, tzinfo=z)
        cases.append({"kind": "time", "tz": {"pytz": f"{func.__module__}.{func.__qualname__}", "args": list(args)},
                      "args": [1, 2, 3], "fold": 0, "utcoffset": td(t.utcoffset()), "tzname": t.tzname()})
json.dump({"python": sys.version.split()[0], "cases": cases}, sys.stdout, indent=1)
sys.stdout.write("\n")
