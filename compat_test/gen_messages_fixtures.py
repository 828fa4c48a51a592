#!/usr/bin/env python
"""Django's message storages on a table of requests: the fixtures of messages/testdata.

Run with the python of one Django venv; it prints one JSON document (messages/testdata/README.md):

    compat_test/.venvs/django-6.1/bin/python compat_test/gen_messages_fixtures.py > messages/testdata/django-6.1.json

Each case is a request (the messages cookie, the session's "_messages"), settings
(MESSAGE_STORAGE, SECRET_KEY, SESSION_COOKIE_*), and what the view does: "add" a message
(messages.add_message) or "iter" (iterate over get_messages). The storage is Django's own class
(default_storage(request)), updated as MessageMiddleware.process_response does. The result is
what Django did: the messages each "iter" saw, the Set-Cookie values (Morsel.OutputString),
the session's "_messages" afterwards and the messages left unstored. get_cookie_signer is
SIGNING_BACKEND, by default a TimestampSigner: time.time() is fixed at NOW, and zlib is
deterministic, so the cookies are byte-exact.
"""
import json
import random
import sys
import time

NOW = 1700000000
time.time = lambda: float(NOW)

import django
from django.conf import settings

V32 = django.VERSION[:2] == (3, 2)
SECRET = "djangobridge-messages-fixtures"
OLD_SECRET = "djangobridge-messages-old-key"

settings.configure(
    SECRET_KEY=SECRET,
    ALLOWED_HOSTS=["*"],
    USE_TZ=True,
    INSTALLED_APPS=["django.contrib.messages", "django.contrib.sessions"],
    SESSION_ENGINE="django.contrib.sessions.backends.signed_cookies",
    MIDDLEWARE=[],
    LOGGING_CONFIG=None,
)
django.setup()

from django.contrib.messages.storage import default_storage  # noqa: E402
from django.contrib.messages.storage.cookie import CookieStorage, MessageEncoder  # noqa: E402
from django.contrib.sessions.backends.signed_cookies import SessionStore  # noqa: E402
from django.core import signing  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.test import RequestFactory, override_settings  # noqa: E402
from django.utils.crypto import salted_hmac  # noqa: E402
from django.utils.safestring import SafeData, mark_safe  # noqa: E402

STORAGES = {
    "fallback": "django.contrib.messages.storage.fallback.FallbackStorage",
    "cookie": "django.contrib.messages.storage.cookie.CookieStorage",
    "session": "django.contrib.messages.storage.session.SessionStorage",
}


def words(seed, n):
    """n pseudo-random words: text that zlib cannot shrink much, so that cookies overflow."""
    rng = random.Random(seed)
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    return " ".join("".join(rng.choice(alphabet) for _ in range(rng.randint(3, 9))) for _ in range(n))


def msg_out(m):
    return [m.level, str(m.message), m.extra_tags, isinstance(m.message, SafeData)]


def run(case):
    over = {"MESSAGE_STORAGE": STORAGES[case.get("storage", "fallback")]}
    over.update(case.get("settings") or {})
    with override_settings(**over):
        request = RequestFactory().get("/")
        if case.get("cookie") is not None:
            request.COOKIES[CookieStorage.cookie_name] = case["cookie"]
        request.session = SessionStore()
        if case.get("session") is not None:
            request.session["_messages"] = case["session"]
        request.session.modified = False
        storage = default_storage(request)
        request._messages = storage
        seen = []
        for op in case["ops"]:
            if op[0] == "add":
                _, level, text, extra, safe = op
                storage.add(level, mark_safe(text) if safe else text, extra_tags=extra)
            elif op[0] == "iter":
                seen.append([msg_out(m) for m in storage])
        response = HttpResponse("ok")
        unstored = storage.update(response) or []
        return {
            "seen": seen,
            "set_cookie": [m.OutputString() for m in response.cookies.values()],
            "session": request.session.get("_messages"),
            "session_modified": request.session.modified,
            "unstored": [msg_out(m) for m in unstored],
        }


def cookie_of(msgs, encode_empty=False, not_finished=False, key=None):
    """The cookie Django writes for msgs ([level, text, extra_tags, safe])."""
    from django.contrib.messages.storage.base import Message

    request = RequestFactory().get("/")
    ctx = override_settings(SECRET_KEY=key) if key else override_settings()
    with ctx:
        storage = CookieStorage(request)
        objs = []
        for level, text, extra, safe in msgs:
            m = Message(level, mark_safe(text) if safe else text, extra_tags=extra)
            m._prepare()
            objs.append(m)
        if not_finished:
            objs.append(CookieStorage.not_finished)
        return storage._encode(objs, encode_empty=encode_empty)


A = [20, "Hello from Django", "", False]
B = [25, "Saved \u2013 \u00e9t\u00e9 \U0001F600 <b>", "tag1 tag2", False]
C = [40, "<i>safe</i>", "", True]
D = [30, "warn", None, False]


def add(m):
    return ["add"] + list(m)


def cases():
    out = []

    def case(name, **kw):
        kw["name"] = name
        out.append(kw)

    for st in ("fallback", "cookie", "session"):
        case(st + "/add-one", storage=st, ops=[add(A)])
        case(st + "/add-many", storage=st, ops=[add(A), add(B), add(C), add(D)])
        case(st + "/add-debug-dropped", storage=st, ops=[["add", 10, "debug", "", False], add(A)])
        case(st + "/add-empty-dropped", storage=st, ops=[["add", 20, "", "", False]])
        case(st + "/nothing", storage=st, ops=[])
        case(st + "/iter-empty", storage=st, ops=[["iter"]])
        case(st + "/add-then-iter", storage=st, ops=[add(A), ["iter"]])
        case(st + "/iter-then-add", storage=st, ops=[["iter"], add(B)])
        big = [["add", 20, "%d %s" % (i, words(i, 12)), "", False] for i in range(40)]
        case(st + "/overflow", storage=st, ops=big)
        case(st + "/overflow-iter-add", storage=st, ops=big[:30] + [["iter"]] + big[30:])
        for n in (2, 5, 9, 31):
            msgs = [["add", 20 + i % 3 * 5, "%d %s" % (i, words(1000 * n + i, n + i % 4)), "t%d" % i, i % 5 == 0]
                    for i in range(600 // n + 20)]
            case(st + "/overflow-%d" % n, storage=st, ops=msgs)

    ck = cookie_of([A, B])
    for st in ("fallback", "cookie"):
        case(st + "/read-cookie", storage=st, cookie=ck, ops=[["iter"]])
        case(st + "/read-cookie-add", storage=st, cookie=ck, ops=[add(C)])
        case(st + "/read-cookie-nothing", storage=st, cookie=ck, ops=[])
        case(st + "/read-cookie-iter-add", storage=st, cookie=ck, ops=[["iter"], add(D)])
        case(st + "/tampered", storage=st, cookie=ck[:-3] + "AAA", ops=[["iter"]])
        case(st + "/tampered-add", storage=st, cookie=ck[:-3] + "AAA", ops=[add(A)])
        case(st + "/garbage", storage=st, cookie="not a cookie", ops=[["iter"]])
        case(st + "/empty-value", storage=st, cookie="", ops=[["iter"]])
        case(st + "/empty-list", storage=st, cookie=cookie_of([], encode_empty=True), ops=[["iter"]])
        case(st + "/other-key", storage=st, cookie=cookie_of([A], key=OLD_SECRET), ops=[["iter"]])
        if not V32:
            case(st + "/fallback-key", storage=st, cookie=cookie_of([A], key=OLD_SECRET),
                 settings={"SECRET_KEY_FALLBACKS": [OLD_SECRET]}, ops=[["iter"]])
        for attrs in ({"SESSION_COOKIE_DOMAIN": ".example.com", "SESSION_COOKIE_SECURE": True},
                      {"SESSION_COOKIE_HTTPONLY": False, "SESSION_COOKIE_SAMESITE": None},
                      {"SESSION_COOKIE_SAMESITE": "None"}, {"SESSION_COOKIE_SAMESITE": "Strict"}):
            tag = ",".join("%s=%s" % kv for kv in attrs.items())
            case(st + "/attrs-set/" + tag, storage=st, settings=attrs, ops=[add(A)])
            case(st + "/attrs-delete/" + tag, storage=st, settings=attrs, cookie=ck, ops=[["iter"]])

    sess = MessageEncoder().encode(_objs([C, D]))
    nf = cookie_of([A], not_finished=True)
    only = cookie_of([], not_finished=True)
    case("fallback/split", cookie=nf, session=sess, ops=[["iter"]])
    case("fallback/split-add", cookie=nf, session=sess, ops=[add(B)])
    case("fallback/split-nothing", cookie=nf, session=sess, ops=[])
    case("fallback/sentinel-only", cookie=only, session=sess, ops=[["iter"]])
    case("fallback/sentinel-only-no-session", cookie=only, ops=[["iter"]])
    case("fallback/session-without-cookie", session=sess, ops=[["iter"]])
    case("fallback/session-without-cookie-add", session=sess, ops=[add(A)])
    case("fallback/cookie-complete-session-ignored", cookie=ck, session=sess, ops=[["iter"]])
    case("session/read", storage="session", session=sess, ops=[["iter"]])
    case("session/read-add", storage="session", session=sess, ops=[add(A)])

    if V32:
        # What Django 3.0/3.1 wrote, which 3.2 still reads.
        j = MessageEncoder(separators=(",", ":")).encode(_objs([A, B]))
        case("legacy/hash", cookie="%s$%s" % (salted_hmac("django.contrib.messages", j).hexdigest(), j), ops=[["iter"]])
        case("legacy/hash-bad", cookie="%s$%s" % ("0" * 40, j), ops=[["iter"]])
        case("legacy/signed-json", cookie=signing.get_cookie_signer(salt="django.contrib.messages").sign(j), ops=[["iter"]])
        sha1 = signing.TimestampSigner(b"django.http.cookies" + SECRET.encode(), salt="django.contrib.messages", algorithm="sha1")
        case("legacy/sha1", cookie=sha1.sign_object(_objs([A]), serializer=_ser(), compress=True), ops=[["iter"]])
    return out


def _ser():
    from django.contrib.messages.storage.cookie import MessageSerializer

    return MessageSerializer


def _objs(msgs):
    from django.contrib.messages.storage.base import Message

    objs = []
    for level, text, extra, safe in msgs:
        m = Message(level, mark_safe(text) if safe else text, extra_tags=extra)
        m._prepare()
        objs.append(m)
    return objs


def main():
    import platform

    results = []
    for c in cases():
        r = dict(c)
        r["result"] = run(c)
        results.append(r)
    json.dump({"django": django.get_version(), "python": platform.python_version(),
               "now": NOW, "secret_key": SECRET, "old_secret_key": OLD_SECRET, "cases": results},
              sys.stdout, indent=1, sort_keys=True, ensure_ascii=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
