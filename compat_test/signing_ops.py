"""Django's signing entry points as request->result functions (bridge ops and signing fixtures).

Every function takes a dict with the field names of FORMAT.md's signing fixture kinds and
returns a dict. Common optional fields: ``now`` (unix seconds: fixes time.time and
timezone.now for the call), ``secret_key`` / ``fallback_keys`` (settings overrides), ``max_age``.
Values of dumps/loads/session data are tagged JSON (pytagged). Exceptions propagate: the caller
records their class (fixtures) or returns them as ok:false (bridge).
"""
import contextlib

import django
from django.core import signing
from django.test import override_settings

import djharness
import pytagged

HAS_FALLBACKS = django.VERSION >= (4, 1)
HAS_PICKLE_SERIALIZER = django.VERSION < (5, 0)
JSON_SERIALIZER = "django.contrib.sessions.serializers.JSONSerializer"
PICKLE_SERIALIZER = "django.contrib.sessions.serializers.PickleSerializer"


@contextlib.contextmanager
def _context(req):
    """override_settings for secret_key/fallback_keys/serializer, plus the fixed clock."""
    overrides = {}
    if req.get("secret_key") is not None:
        overrides["SECRET_KEY"] = req["secret_key"]
    if HAS_FALLBACKS and req.get("fallback_keys") is not None:
        overrides["SECRET_KEY_FALLBACKS"] = list(req["fallback_keys"])
    if req.get("serializer"):
        overrides["SESSION_SERIALIZER"] = PICKLE_SERIALIZER if req["serializer"] == "pickle" else JSON_SERIALIZER
    if req.get("session_cookie_age") is not None:
        overrides["SESSION_COOKIE_AGE"] = int(req["session_cookie_age"])
    with contextlib.ExitStack() as stack:
        if overrides:
            stack.enter_context(override_settings(**overrides))
        if req.get("now") is not None:
            stack.enter_context(djharness.fixed_clock(int(req["now"])))
        yield


def _signer_kwargs(req):
    kw = {"key": req.get("key"), "sep": req.get("sep") or ":", "salt": req.get("salt"), "algorithm": req.get("algorithm")}
    if req.get("fallback_keys") is not None:
        if not HAS_FALLBACKS:
            raise TypeError("fallback_keys needs Django 4.1+")
        kw["fallback_keys"] = req["fallback_keys"]
    return kw


def sign(req):
    with _context(req):
        return {"signed": signing.Signer(**_signer_kwargs(req)).sign(req["value"])}


def unsign(req):
    with _context(req):
        return {"value": signing.Signer(**_signer_kwargs(req)).unsign(req["signed"])}


def timestamp_sign(req):
    with _context(req):
        return {"signed": signing.TimestampSigner(**_signer_kwargs(req)).sign(req["value"])}


def timestamp_unsign(req):
    with _context(req):
        s = signing.TimestampSigner(**_signer_kwargs(req))
        return {"value": s.unsign(req["signed"], max_age=req.get("max_age"))}


def sign_object(req):
    with _context(req):
        s = signing.Signer(**_signer_kwargs(req))
        return {"signed": s.sign_object(pytagged.from_tagged(req["value"]), compress=bool(req.get("compress")))}


def unsign_object(req):
    with _context(req):
        s = signing.Signer(**_signer_kwargs(req))
        return {"value": pytagged.to_tagged(s.unsign_object(req["signed"]))}


def _salt_kw(req):
    return {} if req.get("salt") is None else {"salt": req["salt"]}


def dumps(req):
    with _context(req):
        v = pytagged.from_tagged(req["value"])
        return {"signed": signing.dumps(v, key=req.get("key"), compress=bool(req.get("compress")), **_salt_kw(req))}


def loads(req):
    with _context(req):
        kw = dict(_salt_kw(req), key=req.get("key"), max_age=req.get("max_age"))
        if req.get("fallback_keys") is not None:
            if not HAS_FALLBACKS:
                raise TypeError("fallback_keys needs Django 4.1+")
            kw["fallback_keys"] = req["fallback_keys"]
        return {"value": pytagged.to_tagged(signing.loads(req["signed"], **kw))}


def _db_store():
    return djharness.session_store("db")


def session_encode(req):
    with _context(req):
        return {"session_data": _db_store().encode(pytagged.from_tagged(req["value"]))}


def session_decode(req):
    """SessionStore.decode: Django returns {} for anything it rejects (``empty`` is then true)."""
    with _context(req):
        d = _db_store().decode(req["session_data"])
        return {"value": pytagged.to_tagged(d), "empty": d == {}}


def signed_cookie_encode(req):
    with _context(req):
        s = djharness.session_store("signed_cookies")
        for k, v in pytagged.from_tagged(req["value"]).items():
            s[k] = v
        s.save()
        return {"cookie": s.session_key}


def signed_cookie_decode(req):
    """signed_cookies SessionStore.load (max_age = SESSION_COOKIE_AGE; {} on any failure)."""
    with _context(req):
        s = djharness.session_store("signed_cookies", req["cookie"])
        d = s.load()
        return {"value": pytagged.to_tagged(d), "empty": d == {}}


def auth_hash(req):
    """User.get_session_auth_hash() of a user whose password hash is ``password``."""
    from django.contrib.auth import get_user_model

    with _context(req):
        user = get_user_model()(password=req["password"])
        if req.get("algorithm") == "sha1":
            if not hasattr(user, "_legacy_get_session_auth_hash"):
                raise ValueError("the sha1 auth hash exists only in Django 3.2")
            return {"hash": user._legacy_get_session_auth_hash()}
        return {"hash": user.get_session_auth_hash()}


def salted_hmac(req):
    from django.utils.crypto import salted_hmac as sh

    with _context(req):
        h = sh(req["key_salt"], req["value"], secret=req.get("secret"), algorithm=req.get("algorithm") or "sha1")
        return {"hexdigest": h.hexdigest()}


def b62_encode(req):
    n = int(req["n"])
    if hasattr(signing, "b62_encode"):
        return {"encoded": signing.b62_encode(n)}
    from django.utils.baseconv import base62

    return {"encoded": base62.encode(n)}


def b62_decode(req):
    if hasattr(signing, "b62_decode"):
        n = signing.b62_decode(req["encoded"])
    else:
        from django.utils.baseconv import base62

        n = base62.decode(req["encoded"])
    return {"n": pytagged.to_tagged(n)}


OPS = {
    "sign": sign,
    "unsign": unsign,
    "timestamp_sign": timestamp_sign,
    "timestamp_unsign": timestamp_unsign,
    "sign_object": sign_object,
    "unsign_object": unsign_object,
    "dumps": dumps,
    "loads": loads,
    "session_encode": session_encode,
    "session_decode": session_decode,
    "signed_cookie_encode": signed_cookie_encode,
    "signed_cookie_decode": signed_cookie_decode,
    "auth_hash": auth_hash,
    "salted_hmac": salted_hmac,
    "b62_encode": b62_encode,
    "b62_decode": b62_decode,
}
