#!/usr/bin/env python
"""Django's CsrfViewMiddleware on a table of requests: the fixtures of csrf/testdata.

Run with the python of one Django venv; it prints one JSON document (csrf/testdata/README.md):

    compat_test/.venvs/django-6.1/bin/python compat_test/gen_csrf_fixtures.py > csrf/testdata/django-6.1.json

Each case is a request (method, host, scheme, headers, cookies, session, body), settings, and
what the view does (get_token, rotate_token; csrf_exempt). The request goes through
process_request, process_view, the view and process_response of the real middleware, as
Django's handler runs them, with a fixed clock (the cookie's expires) and a seeded random
(masks and new secrets). The result is what Django did: the status, the reason its
CSRF_FAILURE_VIEW got, the Set-Cookie values (Morsel.OutputString, as the response sends them),
Vary, the tokens get_token returned and the session's "_csrftoken" afterwards. Random values
are given as labels (see label()) so that Go, with its own random source, can be compared.
"""
import contextlib
import json
import logging
import os
import random
import secrets
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import django  # noqa: E402
from django.conf import settings  # noqa: E402

NOW = 1700000000
SECRET = "abcdefghijklmnopqrstuvwxyzABCDEF"
MASK = "0123456789ABCDEFGHIJKLMNOPQRSTUV"
OTHER = "ZYXWVUTSRQPONMLKJIHGFEDCBAzyxwvu"
V32 = django.VERSION[:2] == (3, 2)

settings.configure(
    SECRET_KEY="djangobridge-csrf-fixtures",
    ALLOWED_HOSTS=["*"],
    USE_TZ=True,
    CSRF_FAILURE_VIEW="__main__.failure",
    INSTALLED_APPS=[],
    MIDDLEWARE=[],
    LOGGING_CONFIG=None,
)
django.setup()

import djharness  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.middleware import csrf  # noqa: E402
from django.test import RequestFactory, override_settings  # noqa: E402

HOLDER = {}
logging.getLogger("django.security").setLevel(logging.CRITICAL)


class SeededSecrets:
    """django.utils.crypto's secrets module with a seeded choice (masks and new secrets)."""

    def __init__(self, seed):
        self._rng = random.Random(seed)
        self.compare_digest = secrets.compare_digest

    def choice(self, seq):
        return self._rng.choice(seq)


@contextlib.contextmanager
def seeded_random(seed):
    from django.utils import crypto

    orig = crypto.secrets
    crypto.secrets = SeededSecrets(seed)
    try:
        yield
    finally:
        crypto.secrets = orig


def failure(request, reason=""):
    HOLDER["reason"] = reason
    return HttpResponse("forbidden", status=403)


def mask_with(secret, mask):
    chars = csrf.CSRF_ALLOWED_CHARS
    return mask + "".join(chars[(chars.index(x) + chars.index(y)) % 62] for x, y in zip(secret, mask))


def secret_of(v):
    if not isinstance(v, str) or any(c not in csrf.CSRF_ALLOWED_CHARS for c in v):
        return None
    if len(v) == 32:
        return v
    if len(v) == 64:
        return csrf._unmask_cipher_token(v)
    return None


def label(v, given, final):
    """What a value is, in terms Go can check without Django's random numbers: "input" (the
    value the request carried), "input-secret-N" (an N-character value of the request's
    secret), "new-secret-N" (of the secret the request ended with), "other-N"."""
    if v is None:
        return None
    if v == given:
        return "input"
    s = secret_of(v)
    if s is not None and given is not None and s == secret_of(given):
        return "input-secret-%d" % len(v)
    if s is not None and final is not None and s == secret_of(final):
        return "new-secret-%d" % len(v)
    return "other-%d" % len(v)


TOKEN = mask_with(SECRET, MASK)          # a masked token of SECRET
WRONG = mask_with(OTHER, MASK)           # a well-formed token of another secret
MULTIPART_BOUNDARY = "djangobridgeboundary"


def multipart(fields):
    out = []
    for k, v in fields:
        out.append("--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n%s\r\n" % (MULTIPART_BOUNDARY, k, v))
    out.append("--%s--\r\n" % MULTIPART_BOUNDARY)
    return "".join(out)


def trusted(*origins):
    """CSRF_TRUSTED_ORIGINS in this version's form: 3.2 takes hosts."""
    if not V32:
        return list(origins)
    out = []
    for o in origins:
        host = o.split("://", 1)[1]
        out.append(host.lstrip("*"))
    return out


def cases():
    form = "application/x-www-form-urlencoded"
    ck = {"csrftoken": SECRET}
    c = []

    def add(name, method="POST", secure=False, headers=None, cookies=None, session=None, body=None,
            content_type=None, settings=None, actions=(), exempt=False, host="example.com", server_port=None):
        c.append({
            "name": name, "method": method, "secure": secure, "host": host, "headers": headers or {},
            "server_port": server_port,
            "cookies": cookies if cookies is not None else {}, "session": session,
            "body": body, "content_type": content_type, "settings": settings or {},
            "actions": list(actions), "exempt": exempt,
        })

    # Safe methods, get_token, rotate_token: when the cookie is (re)sent.
    add("GET nothing", "GET")
    add("GET get_token, no cookie", "GET", actions=["get_token"])
    add("GET get_token twice", "GET", actions=["get_token", "get_token"])
    add("GET get_token, 32-char cookie", "GET", cookies=ck, actions=["get_token"])
    add("GET get_token, 64-char cookie", "GET", cookies={"csrftoken": TOKEN}, actions=["get_token"])
    add("GET 64-char cookie, nothing", "GET", cookies={"csrftoken": TOKEN})
    add("GET cookie of bad characters, nothing", "GET", cookies={"csrftoken": SECRET[:31] + "!"})
    add("GET cookie of bad length, nothing", "GET", cookies={"csrftoken": "short"})
    add("GET cookie of bad length, get_token", "GET", cookies={"csrftoken": "short"}, actions=["get_token"])
    add("GET rotate", "GET", cookies=ck, actions=["rotate"])
    add("GET rotate then get_token", "GET", cookies=ck, actions=["rotate", "get_token"])
    add("GET get_token then rotate", "GET", cookies=ck, actions=["get_token", "rotate"])
    add("HEAD", "HEAD")
    add("OPTIONS", "OPTIONS")
    add("TRACE", "TRACE")
    add("existing Vary", "GET", actions=["get_token"], headers={}, settings={"_vary": "Accept-Encoding"})

    # Cookie settings.
    for sname, st in [
        ("name, age, domain, path", {"CSRF_COOKIE_NAME": "xsrf", "CSRF_COOKIE_AGE": 3600, "CSRF_COOKIE_DOMAIN": ".example.com", "CSRF_COOKIE_PATH": "/app/"}),
        ("secure httponly strict", {"CSRF_COOKIE_SECURE": True, "CSRF_COOKIE_HTTPONLY": True, "CSRF_COOKIE_SAMESITE": "Strict"}),
        ("samesite None string", {"CSRF_COOKIE_SAMESITE": "None"}),
        ("samesite None (no attribute)", {"CSRF_COOKIE_SAMESITE": None}),
        ("age None (browser session)", {"CSRF_COOKIE_AGE": None}),
    ]:
        add("cookie settings: " + sname, "GET", actions=["get_token"], settings=st)

    # POST token checks.
    add("POST no cookie", body="csrfmiddlewaretoken=" + TOKEN, content_type=form)
    add("POST no token", cookies=ck)
    add("POST form token", cookies=ck, body="csrfmiddlewaretoken=" + TOKEN, content_type=form)
    add("POST form token, 64-char cookie", cookies={"csrftoken": mask_with(SECRET, OTHER)}, body="csrfmiddlewaretoken=" + TOKEN, content_type=form)
    add("POST form secret (32)", cookies=ck, body="csrfmiddlewaretoken=" + SECRET, content_type=form)
    add("POST form wrong token", cookies=ck, body="csrfmiddlewaretoken=" + WRONG, content_type=form)
    add("POST form bad length", cookies=ck, body="csrfmiddlewaretoken=" + TOKEN[:40], content_type=form)
    add("POST form bad characters", cookies=ck, body="csrfmiddlewaretoken=" + TOKEN[:63] + "%21", content_type=form)
    add("POST form non-ASCII, 64 characters", cookies=ck, body="csrfmiddlewaretoken=" + TOKEN[:63] + "%C3%A9", content_type=form)
    add("POST form invalid UTF-8, 64 bytes", cookies=ck, body="csrfmiddlewaretoken=" + TOKEN[:62] + "%E2%82", content_type=form)
    add("POST header non-ASCII, 64 bytes", cookies=ck, headers={"X-CSRFToken": TOKEN[:62] + "\u00e9"})
    add("POST form last value wins", cookies=ck, body="csrfmiddlewaretoken=" + WRONG + "&a=1&csrfmiddlewaretoken=" + TOKEN, content_type=form)
    add("POST form empty, header token", cookies=ck, body="csrfmiddlewaretoken=&x=1", content_type=form, headers={"X-CSRFToken": TOKEN})
    add("POST form wins over header", cookies=ck, body="csrfmiddlewaretoken=" + WRONG, content_type=form, headers={"X-CSRFToken": TOKEN})
    add("POST header token", cookies=ck, headers={"X-CSRFToken": TOKEN})
    add("POST header wrong", cookies=ck, headers={"X-CSRFToken": WRONG})
    add("POST header empty", cookies=ck, headers={"X-CSRFToken": ""})
    add("POST header bad characters", cookies=ck, headers={"X-CSRFToken": SECRET[:31] + "-"})
    add("POST JSON body, header token", cookies=ck, body='{"csrfmiddlewaretoken": "x"}', content_type="application/json", headers={"X-CSRFToken": TOKEN})
    add("POST multipart token", cookies=ck, body=multipart([("a", "1"), ("csrfmiddlewaretoken", TOKEN)]), content_type="multipart/form-data; boundary=" + MULTIPART_BOUNDARY)
    add("POST multipart wrong", cookies=ck, body=multipart([("csrfmiddlewaretoken", WRONG)]), content_type="multipart/form-data; boundary=" + MULTIPART_BOUNDARY)
    add("PUT header token", "PUT", cookies=ck, headers={"X-CSRFToken": TOKEN})
    add("DELETE no token", "DELETE", cookies=ck)
    add("PATCH form body is not read", "PATCH", cookies=ck, body="csrfmiddlewaretoken=" + TOKEN, content_type=form)
    add("POST cookie bad length", cookies={"csrftoken": "short"}, headers={"X-CSRFToken": TOKEN})
    add("POST cookie bad characters", cookies={"csrftoken": SECRET[:31] + "!"}, headers={"X-CSRFToken": TOKEN})
    add("POST custom header name", cookies=ck, headers={"X-XSRF-Token": TOKEN}, settings={"CSRF_HEADER_NAME": "HTTP_X_XSRF_TOKEN"})
    add("POST custom header name, wrong", cookies=ck, headers={"X-XSRF-Token": WRONG}, settings={"CSRF_HEADER_NAME": "HTTP_X_XSRF_TOKEN"})
    add("POST custom cookie name", cookies={"xsrf": SECRET}, headers={"X-CSRFToken": TOKEN}, settings={"CSRF_COOKIE_NAME": "xsrf"})
    add("POST exempt", exempt=True)
    add("POST exempt get_token", exempt=True, actions=["get_token"])
    add("POST accepted get_token", cookies=ck, headers={"X-CSRFToken": TOKEN}, actions=["get_token"])
    add("POST rejected, cookie replaced", cookies={"csrftoken": "short"})

    # Origin (Django 4.0+) and Referer (HTTPS).
    ok = {"cookies": ck, "headers": {"X-CSRFToken": TOKEN}}

    def hdr(**h):
        d = dict(ok["headers"])
        d.update({k.replace("_", "-"): v for k, v in h.items()})
        return d

    tr = {"CSRF_TRUSTED_ORIGINS": trusted("https://trusted.example", "https://*.wild.example")}
    add("origin same http", cookies=ck, headers=hdr(Origin="http://example.com"))
    add("origin same https", secure=True, cookies=ck, headers=hdr(Origin="https://example.com"))
    add("origin http on https", secure=True, cookies=ck, headers=hdr(Origin="http://example.com"))
    add("origin cross", cookies=ck, headers=hdr(Origin="http://evil.example"))
    add("origin null", cookies=ck, headers=hdr(Origin="null"))
    add("origin empty", cookies=ck, headers=hdr(Origin=""))
    add("origin host case", cookies=ck, headers=hdr(Origin="http://EXAMPLE.com"))
    add("origin port", cookies=ck, headers=hdr(Origin="http://example.com:8000"), host="example.com:8000")
    add("origin trusted exact", cookies=ck, headers=hdr(Origin="https://trusted.example"), settings=tr)
    add("origin trusted wildcard sub", cookies=ck, headers=hdr(Origin="https://a.wild.example"), settings=tr)
    add("origin trusted wildcard bare", cookies=ck, headers=hdr(Origin="https://wild.example"), settings=tr)
    add("origin trusted wildcard scheme", cookies=ck, headers=hdr(Origin="http://a.wild.example"), settings=tr)
    add("origin trusted wildcard upper", cookies=ck, headers=hdr(Origin="HTTPS://a.wild.example"), settings=tr)
    add("origin trusted wildcard host case", cookies=ck, headers=hdr(Origin="https://A.wild.example"), settings=tr)
    add("origin bad ipv6", cookies=ck, headers=hdr(Origin="https://[bad"), settings=tr)
    add("origin bracketed", cookies=ck, headers=hdr(Origin="https://[zz].wild.example"), settings=tr)
    add("origin overrides referer", secure=True, cookies=ck, headers=hdr(Origin="https://example.com", Referer="https://evil.example/"))
    add("origin without token", cookies=ck, headers={"Origin": "http://evil.example"})
    add("referer none", secure=True, **ok)
    add("referer empty", secure=True, cookies=ck, headers=hdr(Referer=""))
    add("referer malformed", secure=True, cookies=ck, headers=hdr(Referer="example.com/form"))
    add("referer no netloc", secure=True, cookies=ck, headers=hdr(Referer="https:example.com"))
    add("referer insecure", secure=True, cookies=ck, headers=hdr(Referer="http://example.com/form"))
    add("referer same", secure=True, cookies=ck, headers=hdr(Referer="https://example.com/form"))
    add("referer other", secure=True, cookies=ck, headers=hdr(Referer="https://evil.example/a;b?q=1#f"))
    add("referer other, empty params", secure=True, cookies=ck, headers=hdr(Referer="https://evil.example/p;"))
    add("referer other, normalised", secure=True, cookies=ck, headers=hdr(Referer=" HTTPS://Evil.example/x?#"))
    add("referer non-ASCII", secure=True, cookies=ck, headers=hdr(Referer="https://évil.example/ü"))
    add("origin non-ASCII", cookies=ck, headers=hdr(Origin="http://évil.example"))
    add("referer case", secure=True, cookies=ck, headers=hdr(Referer="https://EXAMPLE.com/"))
    add("referer bracket", secure=True, cookies=ck, headers=hdr(Referer="https://[bad]/"))
    add("referer unbalanced bracket", secure=True, cookies=ck, headers=hdr(Referer="https://a]b/"))
    add("referer port", secure=True, cookies=ck, headers=hdr(Referer="https://example.com:8443/"), host="example.com:8443")
    add("referer trusted", secure=True, cookies=ck, headers=hdr(Referer="https://trusted.example/x"), settings=tr)
    add("referer trusted wildcard", secure=True, cookies=ck, headers=hdr(Referer="https://a.wild.example/x"), settings=tr)
    add("referer cookie domain", secure=True, cookies=ck, headers=hdr(Referer="https://sub.example.com/"), settings={"CSRF_COOKIE_DOMAIN": ".example.com"}, host="www.example.com")
    add("referer cookie domain, other", secure=True, cookies=ck, headers=hdr(Referer="https://evil.example/"), settings={"CSRF_COOKIE_DOMAIN": ".example.com"}, host="www.example.com")
    add("referer not checked over http", cookies=ck, headers=hdr(Referer="https://evil.example/"))
    add("referer ok, token missing", secure=True, cookies=ck, headers={"Referer": "https://example.com/"})

    # request.get_host() (ALLOWED_HOSTS), get_port() (SERVER_PORT), is_secure()
    # (SECURE_PROXY_SSL_HEADER).
    ah = {"ALLOWED_HOSTS": ["allowed.example"]}
    add("disallowed host, same origin", cookies=ck, headers=hdr(Origin="http://example.com"), settings=ah)
    add("disallowed host, allowed origin", cookies=ck, headers=hdr(Origin="http://allowed.example"), settings=ah, host="allowed.example")
    add("disallowed host, same referer", secure=True, cookies=ck, headers=hdr(Referer="https://example.com/"), settings=ah)
    add("disallowed host, trusted referer", secure=True, cookies=ck, headers=hdr(Referer="https://trusted.example/"), settings=dict(ah, **tr))
    cd = {"CSRF_COOKIE_DOMAIN": ".example.com"}
    add("cookie domain, server port 8443", secure=True, cookies=ck, headers=hdr(Referer="https://sub.example.com:8443/"), settings=cd, host="www.example.com:8443", server_port="8443")
    add("cookie domain, server port 8443, referer without port", secure=True, cookies=ck, headers=hdr(Referer="https://sub.example.com/"), settings=cd, host="www.example.com:8443", server_port="8443")
    px = {"SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"]}
    add("proxy header https", cookies=ck, headers=hdr(X_Forwarded_Proto="https"), settings=px)
    add("proxy header 'https, http'", cookies=ck, headers=hdr(X_Forwarded_Proto="https, http"), settings=px)
    add("proxy header http over TLS", secure=True, cookies=ck, headers=hdr(X_Forwarded_Proto="http", Origin="https://example.com"), settings=px)

    # CSRF_USE_SESSIONS.
    ses = {"CSRF_USE_SESSIONS": True}
    add("session GET get_token, empty", "GET", session={}, settings=ses, actions=["get_token"])
    add("session GET get_token, secret", "GET", session={"_csrftoken": SECRET}, settings=ses, actions=["get_token"])
    add("session GET get_token, masked", "GET", session={"_csrftoken": TOKEN}, settings=ses, actions=["get_token"])
    add("session GET rotate", "GET", session={"_csrftoken": SECRET}, settings=ses, actions=["rotate"])
    add("session GET nothing", "GET", session={"_csrftoken": TOKEN}, settings=ses)
    add("session POST no secret", session={}, settings=ses, headers={"X-CSRFToken": TOKEN})
    add("session POST secret, token", session={"_csrftoken": SECRET}, settings=ses, body="csrfmiddlewaretoken=" + TOKEN, content_type=form)
    add("session POST masked, token", session={"_csrftoken": mask_with(SECRET, OTHER)}, settings=ses, headers={"X-CSRFToken": TOKEN})
    add("session POST wrong", session={"_csrftoken": SECRET}, settings=ses, headers={"X-CSRFToken": WRONG})
    add("session POST cookie ignored", session={}, cookies=ck, settings=ses, headers={"X-CSRFToken": TOKEN})
    add("session referer session domain", secure=True, session={"_csrftoken": SECRET}, headers=hdr(Referer="https://sub.example.com/"),
        settings={"CSRF_USE_SESSIONS": True, "SESSION_COOKIE_DOMAIN": ".example.com", "CSRF_COOKIE_DOMAIN": ".other.example"}, host="www.example.com")

    if django.VERSION[:2] == (4, 2):
        m = {"CSRF_COOKIE_MASKED": True}
        add("masked GET get_token, no cookie", "GET", settings=m, actions=["get_token"])
        add("masked GET get_token, cookie", "GET", cookies=ck, settings=m, actions=["get_token"])
        add("masked GET rotate", "GET", cookies=ck, settings=m, actions=["rotate"])
        add("masked session get_token", "GET", session={}, settings={"CSRF_COOKIE_MASKED": True, "CSRF_USE_SESSIONS": True}, actions=["get_token"])
    return c


class FakeSession(dict):
    """What CsrfViewMiddleware uses of request.session: get and item assignment."""


def run(case):
    factory = RequestFactory()
    extra = {"HTTP_HOST": case["host"]}
    # Header values as a WSGI server hands them over: the bytes (UTF-8 here) decoded as latin-1.
    for k, v in case["headers"].items():
        extra["HTTP_" + k.upper().replace("-", "_")] = v.encode().decode("latin-1")
    if case["secure"]:
        extra["secure"] = True
    if case["server_port"]:
        extra["SERVER_PORT"] = case["server_port"]
    body = case["body"]
    method = case["method"].lower()
    if body is not None:
        request = factory.generic(case["method"], "/form/", data=body.encode(), content_type=case["content_type"], **extra)
    elif method in ("get", "head", "options", "trace", "delete"):
        request = getattr(factory, method)("/form/", **extra)
    else:
        request = factory.generic(case["method"], "/form/", **extra)
    for k, v in case["cookies"].items():
        request.COOKIES[k] = v.encode().decode("latin-1")
    session = None
    if case["session"] is not None:
        session = FakeSession(case["session"])
        request.session = session
    tokens = []

    def view(request):
        for a in case["actions"]:
            if a == "get_token":
                tokens.append(csrf.get_token(request))
            else:
                csrf.rotate_token(request)
        r = HttpResponse("ok")
        if "_vary" in case["settings"]:
            r["Vary"] = case["settings"]["_vary"]
        return r

    if case["exempt"]:
        view.csrf_exempt = True
    over = {k: v for k, v in case["settings"].items() if not k.startswith("_")}
    if "SECURE_PROXY_SSL_HEADER" in over:
        over["SECURE_PROXY_SSL_HEADER"] = tuple(over["SECURE_PROXY_SSL_HEADER"])
    HOLDER.clear()
    with override_settings(**over), seeded_random(1), djharness.fixed_clock(NOW):
        mw = csrf.CsrfViewMiddleware(view)
        mw.process_request(request)
        response = mw.process_view(request, view, (), {})
        if response is None:
            response = view(request)
        response = mw.process_response(request, response)
        cookie_name = settings.CSRF_COOKIE_NAME
    if session is not None:
        given = case["session"].get("_csrftoken")
    else:
        given = case["cookies"].get(cookie_name)
    final = request.META.get("CSRF_COOKIE")
    set_cookie = []
    for morsel in response.cookies.values():
        out = morsel.OutputString()
        name, rest = out.split("=", 1)
        value, sep, attrs = rest.partition(";")
        set_cookie.append("%s=<%s>%s%s" % (name, label(value, given, final), sep, attrs))
    return {
        "status": response.status_code,
        "reason": HOLDER.get("reason"),
        "set_cookie": set_cookie,
        "vary": response.get("Vary"),
        "tokens": [label(t, given, final) for t in tokens],
        "session": label(session.get("_csrftoken"), given, final) if session is not None else None,
    }


def main():
    out = {"django": django.get_version(), "now": NOW, "secret": SECRET, "token": TOKEN, "cases": []}
    for case in cases():
        try:
            case["result"] = run(case)
        except Exception as e:  # Django fails the request (500)
            case["result"] = {"status": 500, "exception": "%s: %s" % (type(e).__name__, e)}
        out["cases"].append(case)
    json.dump(out, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
