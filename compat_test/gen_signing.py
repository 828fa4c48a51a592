"""The signing.json cases (FORMAT.md), each produced by calling real Django (signing_ops.py).

Inputs are chosen here; every output (``signed``, ``hexdigest``, ``error``...) is what Django
returned or raised. Tampered inputs for ``reject`` cases are derived by hand from Django's own
output, and their ``why`` says how.
"""
import django

import djharness
import signing_ops as ops

KEY = "s3cr3t"
OLD_KEY = "old-s3cr3t"
OTHER_KEY = "another key \u00e9"


def _flip_last(s):
    """Hand-made tampering: change the last character (kept in the base64url alphabet)."""
    return s[:-1] + ("A" if s[-1] != "A" else "B")


def generate(now):
    cases = []

    def add(kind, fields, fn=None, out=None):
        c = dict(kind=kind, **fields)
        if fn is not None:
            c.update(fn(dict(fields, now=now)))
        if out:
            c.update(out)
        cases.append(c)
        return c

    # salted_hmac
    for alg in ("sha1", "sha256", "sha512"):
        for key_salt, value in (("django.contrib.sessions.SessionStore", "hello"), ("x", ""), ("salt\u00e9", "v\u00e9")):
            add("salted_hmac", {"key_salt": key_salt, "value": value, "secret": KEY, "algorithm": alg}, ops.salted_hmac)

    # base62
    for n in (0, 1, 61, 62, -1, -62, 3843, 3844, 1700000000, 2**63 - 1, 2**64):
        add("b62", {"n": n}, ops.b62_encode)

    # Signer / TimestampSigner
    fallbacks = [None, [OLD_KEY]] if ops.HAS_FALLBACKS else [None]
    base = {"key": KEY, "fallback_keys": None, "salt": None, "sep": ":", "algorithm": None}
    variants = []
    for value in ("hello", "", "h\u00e9llo:w\u00f6rld \U0001f600"):
        variants.append(dict(base, value=value))
    for alg in ("sha1", "sha256", "sha512"):
        variants.append(dict(base, algorithm=alg, value="hello"))
    for salt in ("my.salt", "\u00e9"):
        variants.append(dict(base, salt=salt, value="hello"))
    for sep in ("~", "!!", "/"):
        variants.append(dict(base, sep=sep, value="a:b"))
    variants.append(dict(base, key=OTHER_KEY, value="hello"))
    for fb in fallbacks[1:]:
        variants.append(dict(base, fallback_keys=fb, value="hello"))
    for v in variants:
        add("signer", v, ops.sign)
        add("timestamp_signer", dict(v, timestamp=now), ops.timestamp_sign)

    # sign_object
    for compress in (False, True):
        for value in ({"a": 1, "b": [1, 2]}, ["x"] * 50, "str"):
            add("sign_object", {"key": KEY, "salt": None, "compress": compress, "value": value}, ops.sign_object)

    # dumps
    long_value = {"items": [{"sku": f"SKU-{i}", "qty": i} for i in range(40)]}
    for salt in (None, "custom.salt"):
        for compress in (False, True):
            for value in ({"a": 1}, [1, 2, 3], "str", None, {"k\u00e9": "\U0001f600"}, long_value):
                add("dumps", {"key": KEY, "salt": salt, "compress": compress, "timestamp": now, "value": value}, ops.dumps)

    # session encode / legacy / signed cookies
    auth_like = {"_auth_user_id": "1", "_auth_user_backend": "django.contrib.auth.backends.ModelBackend", "_auth_user_hash": "0" * 64}
    session_values = [{}, {"a": 1}, auth_like, {"cart": [{"sku": f"SKU-{i}"} for i in range(30)]}]
    serializers = ["json"] + (["pickle"] if ops.HAS_PICKLE_SERIALIZER else [])
    for ser in serializers:
        for value in session_values:
            add("session_encode", {"secret_key": KEY, "timestamp": now, "serializer": ser, "value": value}, ops.session_encode)
    if django.VERSION < (4, 0):
        from django.test import override_settings

        for value in session_values:
            with override_settings(DEFAULT_HASHING_ALGORITHM="sha1"):
                out = ops.session_encode({"secret_key": KEY, "serializer": "json", "value": value, "now": now})
            add("legacy_session_data", {"secret_key": KEY, "value": value}, out=out)
    for value in session_values:
        add("signed_cookie", {"secret_key": KEY, "timestamp": now, "value": value}, ops.signed_cookie_encode)

    # auth hashes
    algs = ["sha256"] + (["sha1"] if django.VERSION < (4, 0) else [])
    for alg in algs:
        for pw in ("pbkdf2_sha256$1$salt$hash", "", "argon2$argon2id$v=19$m=102400,t=2,p=8$c2FsdA$aGFzaA"):
            add("auth_hash", {"secret_key": KEY, "password": pw, "algorithm": alg}, ops.auth_hash)

    cases.extend(_rejects(now))
    if ops.HAS_FALLBACKS:
        cases.extend(_fallbacks(now))
    return cases


def _try(fn, req):
    """(error class name or "empty" or None, Django's output when it accepted)."""
    try:
        out = fn(req)
    except Exception as e:
        return djharness.error_class(e), None
    if out.get("empty"):
        return "empty", None
    return None, out


def _rejects(now):
    out = []
    good = ops.sign({"key": KEY, "value": "hello"})["signed"]
    ts = ops.timestamp_sign({"key": KEY, "value": "hello", "now": now})["signed"]
    dumped = ops.dumps({"key": KEY, "value": {"a": 1}, "now": now})["signed"]
    dumped_c = ops.dumps({"key": KEY, "value": {"k": "v" * 200}, "compress": True, "now": now})["signed"]
    sess = ops.session_encode({"secret_key": KEY, "serializer": "json", "value": {"a": 1}, "now": now})["session_data"]
    cookie = ops.signed_cookie_encode({"secret_key": KEY, "value": {"a": 1}, "now": now})["cookie"]
    sha1 = ops.sign({"key": KEY, "value": "hello", "algorithm": "sha1"})["signed"]
    # Hand-made: a payload that is not base64/zlib but carries a valid signature over it.
    bad_b64 = ops.sign({"key": KEY, "salt": "django.core.signing", "value": "!!!!:" + "1r31eq"})["signed"]
    bad_zlib = ops.sign({"key": KEY, "salt": "django.core.signing", "value": ".bm90IHpsaWI:1r31eq"})["signed"]
    bad_ts = ops.sign({"key": KEY, "salt": "django.core.signing.TimestampSigner", "value": "hello:!!"})["signed"]

    def rej(op, why, fn, may_accept=False, **inputs):
        req = dict(inputs)
        err, res = _try(fn, dict(req, now=req.get("now", now)))
        if err is None:
            if not may_accept:
                raise RuntimeError(f"reject case {op}/{why}: Django accepted it")
            # This Django accepts what newer ones reject: recorded as an "accept" case.
            c = {"kind": "accept", "op": op, "why": why, "value": res["value"]}
            c.update(inputs)
            c.setdefault("now", now)
            out.append(c)
            return
        c = {"kind": "reject", "op": op, "why": why, "error": err}
        c.update(inputs)
        c.setdefault("now", now)
        out.append(c)

    rej("unsign", "tampered signature", ops.unsign, key=KEY, signed=_flip_last(good))
    rej("unsign", "tampered value", ops.unsign, key=KEY, signed="jello" + good[5:])
    rej("unsign", "wrong salt", ops.unsign, key=KEY, salt="other", signed=good)
    rej("unsign", "wrong key", ops.unsign, key=OTHER_KEY, signed=good)
    rej("unsign", "wrong algorithm (sha1 signature checked as sha256)", ops.unsign, key=KEY, signed=sha1, may_accept=True)
    rej("unsign", "truncated signature", ops.unsign, key=KEY, signed=good[:-5])
    rej("unsign", "missing separator", ops.unsign, key=KEY, signed=good.replace(":", ""))
    rej("unsign", "empty", ops.unsign, key=KEY, signed="")
    rej("timestamp_unsign", "expired with max_age", ops.timestamp_unsign, key=KEY, signed=ts, max_age=10, now=now + 11)
    rej("timestamp_unsign", "tampered timestamp", ops.timestamp_unsign, key=KEY, signed=ts.replace(":1r31eq:", ":1r31er:"))
    rej("timestamp_unsign", "plain Signer value (no timestamp)", ops.timestamp_unsign, key=KEY, signed=good)
    rej("timestamp_unsign", "validly signed non-base62 timestamp (hand-made)", ops.timestamp_unsign, key=KEY, signed=bad_ts)
    rej("loads", "tampered signature", ops.loads, key=KEY, signed=_flip_last(dumped))
    rej("loads", "wrong salt", ops.loads, key=KEY, salt="other", signed=dumped)
    rej("loads", "wrong key", ops.loads, key=OTHER_KEY, signed=dumped)
    rej("loads", "expired with max_age", ops.loads, key=KEY, signed=dumped, max_age=5, now=now + 6)
    rej("loads", "truncated", ops.loads, key=KEY, signed=dumped[:-3])
    rej("loads", "compressed payload tampered", ops.loads, key=KEY, signed="." + dumped_c[2:])
    rej("loads", "validly signed payload that is not base64 JSON (hand-made)", ops.loads, key=KEY, signed=bad_b64)
    rej("loads", "validly signed '.' payload that is not zlib (hand-made)", ops.loads, key=KEY, signed=bad_zlib)
    rej("loads", "missing separator", ops.loads, key=KEY, signed=dumped.replace(":", ""))
    rej("session_decode", "tampered", ops.session_decode, secret_key=KEY, session_data=_flip_last(sess))
    rej("session_decode", "wrong key", ops.session_decode, secret_key=OTHER_KEY, session_data=sess)
    rej("session_decode", "garbage", ops.session_decode, secret_key=KEY, session_data="not a session")
    rej("signed_cookie_decode", "tampered", ops.signed_cookie_decode, secret_key=KEY, cookie=_flip_last(cookie))
    rej(
        "signed_cookie_decode",
        "older than SESSION_COOKIE_AGE",
        ops.signed_cookie_decode,
        secret_key=KEY,
        cookie=cookie,
        now=now + 1209601,
    )
    return out


def _fallbacks(now):
    out = []
    old = {"key": OLD_KEY, "now": now}
    signed = ops.sign(dict(old, value="hello"))["signed"]
    tsigned = ops.timestamp_sign(dict(old, value="hello"))["signed"]
    dumped = ops.dumps(dict(old, value={"a": 1}))["signed"]
    sess = ops.session_encode({"secret_key": OLD_KEY, "serializer": "json", "value": {"a": 1}, "now": now})["session_data"]
    cookie = ops.signed_cookie_encode({"secret_key": OLD_KEY, "value": {"a": 1}, "now": now})["cookie"]
    fb = [OTHER_KEY, OLD_KEY]

    def fall(op, fn, **inputs):
        res = fn(dict(inputs, now=now))
        out.append(dict({"kind": "fallback", "op": op, "now": now, "value": res["value"]}, **inputs))

    fall("unsign", ops.unsign, key=KEY, fallback_keys=fb, signed=signed)
    fall("timestamp_unsign", ops.timestamp_unsign, key=KEY, fallback_keys=fb, signed=tsigned)
    fall("loads", ops.loads, key=KEY, fallback_keys=fb, signed=dumped)
    fall("session_decode", ops.session_decode, secret_key=KEY, fallback_keys=fb, session_data=sess)
    fall("signed_cookie_decode", ops.signed_cookie_decode, secret_key=KEY, fallback_keys=fb, cookie=cookie)
    return out
