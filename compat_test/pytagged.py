"""Tagged JSON (compat_test/FORMAT.md): Python value <-> JSON-able value, and strict equality.

to_tagged(v)    Python value -> JSON-able structure (what fixtures and the bridge emit);
                with share=True, a shareable value met more than once is written once as
                {"__py__": "shared", "id": N, "value": ...} and then as {"__py__": "ref", "id": N}
                (FORMAT.md, "Shared values"), as Go's tagged.Marshal does; the default writes
                every value out in full, as the fixtures are written
from_tagged(j)  the inverse, used by the bridge to build the values Django stores; a shared
                value and its refs become one Python object
canonical(j)    a string that is equal for two tagged values exactly when FORMAT.md's
                type-strict comparison says they are equal (sets unordered, dicts ordered;
                refs compare as the value they name)

from_tagged rebuilds "object" values by importing their global; it is for test inputs only.
"""
import base64
import collections
import copyreg
import datetime
import decimal
import importlib
import json
import struct
import uuid

MAX_SAFE_INT = 2**53
TAG = "__py__"


def _b64(b):
    return base64.b64encode(bytes(b)).decode("ascii")


def _float(f):
    return {TAG: "float", "repr": repr(f), "bits": struct.pack(">d", f).hex()}


def _global_name(obj):
    module = obj.__module__
    if module is None:  # a classmethod, such as zoneinfo.ZoneInfo._unpickle
        module = obj.__self__.__module__
    return f"{module}.{obj.__qualname__}"


MIN_SHARED_LEN = 8  # bytes: shorter str, bytes, bytearray and Decimal text are not shareable
INT64 = 2**63


def _shareable(v):
    """Whether v has an identity in tagged JSON (FORMAT.md, "Shared values")."""
    t = type(v)
    if t is str:
        return len(v) >= MIN_SHARED_LEN or len(v.encode("utf-8", "surrogatepass")) >= MIN_SHARED_LEN
    if t in (bytes, bytearray):
        return len(v) >= MIN_SHARED_LEN
    if t is int:
        return not -INT64 <= v < INT64
    if t is decimal.Decimal:
        return len(str(v)) >= MIN_SHARED_LEN
    if t in (list, tuple):
        return len(v) > 0
    if t in (dict, collections.OrderedDict, set, frozenset):
        return True
    if v is None or t in (bool, float, complex) or t in _VALUE_TYPES:
        return False
    return True  # an object


class _Writer:
    """to_tagged's state: occurrences of each shareable object (by id) and the ids written."""

    def __init__(self, share):
        self.share = share
        self.seen = {}  # id(obj) -> count (1 or 2)
        self.keep = []  # objects counted, kept alive so that their ids stay unique
        self.ids = {}  # id(obj) -> shared id, -1 while being written
        self.reduced = {}  # id(obj) -> __reduce_ex__(4) of an object, computed once
        self.plain = False

    def reduce(self, v):
        rv = self.reduced.get(id(v))
        if rv is None:
            rv = v.__reduce_ex__(4)
            if isinstance(rv, str):
                raise TypeError(f"cannot tag global reference {rv!r}")
            rv = list(rv)
            for i in (3, 4):  # listitems and dictitems may be iterators: read them once
                if len(rv) > i and rv[i] is not None:
                    rv[i] = list(rv[i])
            rv = tuple(rv)
            self.reduced[id(v)] = rv
            self.keep.append(v)
        return rv

    def count(self, v):
        """Record the occurrences of the shareable values of v, visiting each inside once."""
        stack = [v]
        while stack:
            v = stack.pop()
            if _shareable(v):
                n = self.seen.get(id(v), 0)
                if n:
                    self.seen[id(v)] = 2
                    continue
                self.seen[id(v)] = 1
                self.keep.append(v)
            t = type(v)
            children = ()
            if t in (list, tuple, set, frozenset):
                children = list(v)
            elif t in (dict, collections.OrderedDict):
                children = [x for kv in v.items() for x in kv]
            elif _shareable(v) and t not in (str, bytes, bytearray, int, decimal.Decimal):
                children = self._object_children(v)
            stack.extend(reversed(children))

    def _object_children(self, v):
        rv = self.reduce(v)
        func, args = rv[0], rv[1]
        out = []
        if func is copyreg.__newobj__:
            out.extend(args[1:])
        elif func is copyreg.__newobj_ex__:
            out.extend(args[1])
            out.append(args[2])
        else:
            out.extend(args)
        if len(rv) > 2 and rv[2] is not None:
            out.append(rv[2])
        if len(rv) > 3 and rv[3] is not None:
            out.extend(rv[3])
        if len(rv) > 4 and rv[4] is not None:
            out.extend(x for kv in rv[4] for x in kv)
        return out

    def shared(self, v):
        return self.share and not self.plain and _shareable(v) and self.seen.get(id(v), 0) > 1

    def value(self, v):
        if self.shared(v):
            n = self.ids.get(id(v))
            if n is not None:
                if n < 0:
                    raise ValueError("cyclic value")
                return {TAG: "ref", "id": n}
            n = len(self.ids)
            self.ids[id(v)] = -1
            out = {TAG: "shared", "id": n, "value": _to_tagged(self, v)}
            self.ids[id(v)] = n
            return out
        return _to_tagged(self, v)


def _tz(tz, owner, has_date, w):
    """Tagged form of a tzinfo attached to ``owner`` (a datetime or time)."""
    if tz is None:
        return None
    out = {"class": None}
    try:
        off = owner.utcoffset()  # for a time: tzinfo.utcoffset(None)
    except Exception:  # a tzinfo that needs a date
        off = None
    out["utcoffset_seconds"] = None if off is None else _td_seconds(off)
    try:
        out["tzname"] = owner.tzname()
    except Exception:
        out["tzname"] = None
    if type(tz) is datetime.timezone:
        args = tz.__getinitargs__()
        out["class"] = "datetime.timezone"
        out["offset_seconds"] = _td_seconds(args[0])
        out["name"] = args[1] if len(args) > 1 else None
        return out
    module = type(tz).__module__ or ""
    if module == "zoneinfo" or module.startswith("zoneinfo."):
        out["class"] = "zoneinfo.ZoneInfo"
        out["key"] = tz.key
        return out
    if module.startswith("pytz"):
        import pytz  # only present where pytz is installed
        import pytz.tzinfo

        if tz is pytz.utc or type(tz).__name__ == "UTC":
            out["class"] = "pytz.UTC"
        elif isinstance(tz, pytz.tzinfo.StaticTzInfo):
            out["class"] = "pytz.StaticTzInfo"
        elif isinstance(tz, pytz.tzinfo.DstTzInfo):
            out["class"] = "pytz.DstTzInfo"
        else:
            out["class"] = _global_name(type(tz))
        func, args = tz.__reduce__()[:2]
        plain, w.plain = w.plain, True  # a tz object's form depends on its owner: never shared
        out["pytz_reduce"] = {"callable": _global_name(func), "args": [w.value(a) for a in args]}
        w.plain = plain
        return out
    out["class"] = _global_name(type(tz))
    return out


def _td_seconds(td):
    s = td.days * 86400 + td.seconds
    return s if td.microseconds == 0 else s + td.microseconds / 1e6


def _object(v, w):
    """An instance of a class outside the table, described the way pickle would write it."""
    rv = w.reduce(v)
    to_tagged = w.value
    func, args = rv[0], rv[1]
    state = rv[2] if len(rv) > 2 else None
    listitems = rv[3] if len(rv) > 3 else None
    dictitems = rv[4] if len(rv) > 4 else None
    out = {TAG: "object"}
    if func is copyreg.__newobj__:
        out["global"] = _global_name(args[0])
        out["how"] = "newobj"
        out["args"] = [to_tagged(a) for a in args[1:]]
    elif func is copyreg.__newobj_ex__:
        cls, nargs, kwargs = args
        out["global"] = _global_name(cls)
        out["how"] = "newobj_ex"
        out["args"] = [to_tagged(a) for a in nargs]
        out["kwargs"] = to_tagged(kwargs)
    else:
        out["global"] = _global_name(func)
        out["how"] = "reduce"
        out["args"] = [to_tagged(a) for a in args]
    if state is not None:
        out["state"] = to_tagged(state)
    if listitems is not None:
        out["listitems"] = [to_tagged(x) for x in listitems]
    if dictitems is not None:
        out["dictitems"] = [[to_tagged(k), to_tagged(x)] for k, x in dictitems]
    return out


def _is_plain_str(s):
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def to_tagged(v, share=False):
    """Convert a Python value to tagged JSON (a structure json.dumps accepts).

    With share=True, shared values are written once and referenced after (FORMAT.md, "Shared
    values"): the output is linear in the size of the object graph. Without, every value is
    written out in full, as the fixtures are.
    """
    w = _Writer(share)
    if share:
        w.count(v)
    return w.value(v)


def _to_tagged(w, v):
    to_tagged = w.value
    t = type(v)
    if v is None or t is bool:
        return v
    if t is str:
        if _is_plain_str(v):
            return v
        return {TAG: "str", "utf8_surrogatepass_b64": _b64(v.encode("utf-8", "surrogatepass"))}
    if t is int:
        if -MAX_SAFE_INT < v < MAX_SAFE_INT:
            return v
        return {TAG: "int", "value": str(v)}
    if t is float:
        return _float(v)
    if t is list:
        return [to_tagged(x) for x in v]
    if t is dict:
        if all(type(k) is str and k != TAG and _is_plain_str(k) and not w.shared(k) for k in v):
            return {k: to_tagged(x) for k, x in v.items()}
        return {TAG: "dict", "items": [[to_tagged(k), to_tagged(x)] for k, x in v.items()]}
    if t is collections.OrderedDict:
        return {TAG: "OrderedDict", "items": [[to_tagged(k), to_tagged(x)] for k, x in v.items()]}
    if t in (tuple, set, frozenset):
        return {TAG: t.__name__, "items": [to_tagged(x) for x in v]}
    if t in (bytes, bytearray):
        return {TAG: t.__name__, "b64": _b64(v)}
    if t is datetime.datetime:
        return {
            TAG: "datetime",
            "iso": v.replace(tzinfo=None, fold=0).isoformat(),
            "fold": v.fold,
            "tzinfo": _tz(v.tzinfo, v, True, w),
        }
    if t is datetime.date:
        return {TAG: "date", "iso": v.isoformat()}
    if t is datetime.time:
        return {
            TAG: "time",
            "iso": v.replace(tzinfo=None, fold=0).isoformat(),
            "fold": v.fold,
            "tzinfo": _tz(v.tzinfo, v, False, w),
        }
    if t is datetime.timedelta:
        return {TAG: "timedelta", "days": v.days, "seconds": v.seconds, "microseconds": v.microseconds}
    if t is decimal.Decimal:
        return {TAG: "decimal", "value": str(v)}
    if t is uuid.UUID:
        out = {TAG: "uuid", "value": str(v)}
        if v.is_safe is uuid.SafeUUID.safe:
            out["is_safe"] = "safe"
        elif v.is_safe is uuid.SafeUUID.unsafe:
            out["is_safe"] = "unsafe"
        return out
    if t is complex:
        return {TAG: "complex", "real": _float(v.real), "imag": _float(v.imag)}
    return _object(v, w)


_VALUE_TYPES = (datetime.datetime, datetime.date, datetime.time, datetime.timedelta, uuid.UUID)


# ---- tagged JSON -> Python -------------------------------------------------------------------


def _import_global(name):
    module, _, qual = name.rpartition(".")
    # The qualname may itself be dotted (Outer.Inner): walk back until a module imports.
    parts = qual.split(".")
    while module:
        try:
            obj = importlib.import_module(module)
            break
        except ImportError:
            module, _, head = module.rpartition(".")
            parts.insert(0, head)
    else:
        raise ValueError(f"cannot import {name!r}")
    for p in parts:
        obj = getattr(obj, p)
    return obj


def _tz_from(r, j):
    if j is None:
        return None
    cls = j.get("class")
    if cls == "datetime.timezone":
        off = datetime.timedelta(seconds=j["offset_seconds"])
        if off == datetime.timedelta(0) and j.get("name") is None:
            return datetime.timezone.utc
        return datetime.timezone(off) if j.get("name") is None else datetime.timezone(off, j["name"])
    if cls == "zoneinfo.ZoneInfo":
        import zoneinfo

        return zoneinfo.ZoneInfo(j["key"])
    if "pytz_reduce" in j:
        red = j["pytz_reduce"]
        return _import_global(red["callable"])(*[r.value(a) for a in red["args"]])
    raise ValueError(f"unsupported tzinfo class {cls!r}")


def _apply_state(obj, state):
    setstate = getattr(obj, "__setstate__", None)
    if setstate is not None and not _is_default_setstate(obj):
        setstate(state)
        return
    slotstate = None
    if isinstance(state, tuple) and len(state) == 2:
        state, slotstate = state
    if state:
        obj.__dict__.update(state)
    if slotstate:
        for k, v in slotstate.items():
            setattr(obj, k, v)


def _is_default_setstate(obj):
    # Python 3.11+ gives every object a default __setstate__ that object.__reduce_ex__ pairs with.
    return getattr(type(obj), "__setstate__", None) is getattr(object, "__setstate__", None)


def _object_from(r, j):
    cls_or_func = _import_global(j["global"])
    args = [r.value(a) for a in j.get("args", [])]
    how = j.get("how")
    if how == "newobj":
        obj = cls_or_func.__new__(cls_or_func, *args)
    elif how == "newobj_ex":
        kwargs = r.value(j.get("kwargs", {}))
        obj = cls_or_func.__new__(cls_or_func, *args, **kwargs)
    elif how == "reduce":
        obj = cls_or_func(*args)
    else:
        raise ValueError(f"unknown object how {how!r}")
    if "state" in j:
        _apply_state(obj, r.value(j["state"]))
    for x in j.get("listitems", []):
        obj.append(r.value(x))
    for k, v in j.get("dictitems", []):
        obj[r.value(k)] = r.value(v)
    return obj


def from_tagged(j):
    """Convert tagged JSON back to the Python value it describes."""
    return _Reader().value(j)


class _Reader:
    """from_tagged's state: the shared values read so far, by id."""

    def __init__(self):
        self.shared = {}
        self.open = set()

    def value(self, j):
        if isinstance(j, dict) and j.get(TAG) == "shared":
            n = j["id"]
            if n in self.shared or n in self.open:
                raise ValueError(f"shared id {n} defined twice")
            self.open.add(n)
            v = _from(self, j["value"])
            self.open.discard(n)
            self.shared[n] = v
            return v
        if isinstance(j, dict) and j.get(TAG) == "ref":
            n = j["id"]
            if n not in self.shared:
                raise ValueError(f"ref {n} before its shared value" if n not in self.open else f"ref {n} in its own value")
            return self.shared[n]
        return _from(self, j)


def _check_str(s):
    if not _is_plain_str(s):
        raise ValueError(
            "a lone surrogate in a plain JSON str: write a str that holds one as "
            '{"__py__": "str", "utf8_surrogatepass_b64": ...}'
        )
    return s


def _from(r, j):
    if isinstance(j, str):
        return _check_str(j)
    if j is None or isinstance(j, bool):
        return j
    if isinstance(j, int):
        return j
    if isinstance(j, float):
        raise ValueError("plain JSON floats are not tagged JSON; use the float tag")
    if isinstance(j, list):
        return [r.value(x) for x in j]
    if not isinstance(j, dict):
        raise ValueError(f"not tagged JSON: {type(j).__name__}")
    tag = j.get(TAG)
    if tag is None:
        return {_check_str(k): r.value(v) for k, v in j.items()}
    if tag == "int":
        return int(j["value"])
    if tag == "float":
        return struct.unpack(">d", bytes.fromhex(j["bits"]))[0]
    if tag == "str":
        return base64.b64decode(j["utf8_surrogatepass_b64"]).decode("utf-8", "surrogatepass")
    if tag == "tuple":
        return tuple(r.value(x) for x in j["items"])
    if tag == "set":
        return {r.value(x) for x in j["items"]}
    if tag == "frozenset":
        return frozenset(r.value(x) for x in j["items"])
    if tag == "bytes":
        return base64.b64decode(j["b64"])
    if tag == "bytearray":
        return bytearray(base64.b64decode(j["b64"]))
    if tag == "dict":
        return {r.value(k): r.value(v) for k, v in j["items"]}
    if tag == "OrderedDict":
        return collections.OrderedDict((r.value(k), r.value(v)) for k, v in j["items"])
    if tag == "datetime":
        dt = datetime.datetime.fromisoformat(j["iso"])
        return dt.replace(tzinfo=_tz_from(r, j.get("tzinfo")), fold=j.get("fold", 0))
    if tag == "date":
        return datetime.date.fromisoformat(j["iso"])
    if tag == "time":
        t = datetime.time.fromisoformat(j["iso"])
        return t.replace(tzinfo=_tz_from(r, j.get("tzinfo")), fold=j.get("fold", 0))
    if tag == "timedelta":
        return datetime.timedelta(days=j["days"], seconds=j["seconds"], microseconds=j["microseconds"])
    if tag == "decimal":
        return decimal.Decimal(j["value"])
    if tag == "uuid":
        safe = {"safe": uuid.SafeUUID.safe, "unsafe": uuid.SafeUUID.unsafe}.get(
            j.get("is_safe"), uuid.SafeUUID.unknown
        )
        return uuid.UUID(j["value"], is_safe=safe)
    if tag == "complex":
        return complex(r.value(j["real"]), r.value(j["imag"]))
    if tag == "object":
        return _object_from(r, j)
    raise ValueError(f"unknown tag {tag!r}")


# ---- comparison --------------------------------------------------------------------------------


def _canon(j, shared=None):
    if shared is None:
        shared = {}

    def c(x):
        return _canon(x, shared)

    if isinstance(j, list):
        return ["L", [c(x) for x in j]]
    if isinstance(j, dict):
        tag = j.get(TAG)
        if tag == "shared":
            shared[j["id"]] = out = c(j["value"])
            return out
        if tag == "ref":
            return shared[j["id"]]
        if tag in ("set", "frozenset"):
            items = sorted(json.dumps(c(x), sort_keys=False) for x in j["items"])
            return ["T", tag, items]
        if tag == "float":
            return ["T", "float", j["bits"]]
        if tag == "int":
            return ["I", str(int(j["value"]))]
        if tag == "dict":
            return ["D", [[c(k), c(v)] for k, v in j["items"]]]
        if tag is not None:
            # Other tags: the fields, in a fixed order, with nested values canonicalised.
            return ["T", tag, [[k, c(v)] for k, v in sorted(j.items()) if k != TAG]]
        return ["D", [[c(k), c(v)] for k, v in j.items()]]
    if isinstance(j, bool):
        return ["B", j]
    if isinstance(j, int):
        return ["I", str(j)]
    return ["S" if isinstance(j, str) else "N", j]


def canonical(j):
    """A string equal for two tagged values exactly when they compare equal (FORMAT.md)."""
    return json.dumps(_canon(j), ensure_ascii=True)


def strict_equal(a, b):
    """Type-strict equality of two Python values (1 != 1.0 != True, tuple != list, ...)."""
    return canonical(to_tagged(a)) == canonical(to_tagged(b))


def dumps(j):
    """Serialize tagged JSON the way fixtures are written (stable, UTF-8, no NaN)."""
    return json.dumps(j, ensure_ascii=False, allow_nan=False)
