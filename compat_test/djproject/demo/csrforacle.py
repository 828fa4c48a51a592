#!/usr/bin/env python
"""Django's side of the CSRF live test (compat_test/csrf_live_test.go).

One long-lived process per Django version, JSON lines like httporacle.py (one request per line
on stdin, one response per line on stdout). Requests go through Django's real handler
(django.test.Client with enforce_csrf_checks=True: URL routing, the project's MIDDLEWARE with
SessionMiddleware and CsrfViewMiddleware, the view), so what is checked is what a Django app
on these settings does. Started like the bridge (djharness.setup: Redis db
DJANGOBRIDGE_REDIS_DB, default 2), so sessions are shared with Go through the cache servers.

Every op takes "settings" (override_settings, e.g. CSRF_USE_SESSIONS) and "config" (the cache
alias of the sessions) and "cookies" ({name: value}, sent with the request):
  form   {}                 GET a page whose template has {% csrf_token %}
                            -> {html, set_cookie (Set-Cookie values), cookies (name -> value set)}
  post   {form, headers, secure, method}
                            POST (or method) to a view; form is urlencoded; headers are HTTP names
                            -> {status, reason (what CSRF_FAILURE_VIEW got, or null), body}
"""
import json
import os
import sys
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
COMPAT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, COMPAT)

import djharness  # noqa: E402

OUT = sys.stdout
sys.stdout = sys.stderr

HOLDER = {}
FORM = '<form method="post" action="/submit/">{% csrf_token %}<button>Go</button></form>'


def failure(request, reason=""):
    from django.http import HttpResponseForbidden

    HOLDER["reason"] = reason
    return HttpResponseForbidden("CSRF: " + reason)


def form_view(request):
    from django.http import HttpResponse
    from django.template import Engine, RequestContext

    engine = Engine(context_processors=["django.template.context_processors.csrf"])
    return HttpResponse(engine.from_string(FORM).render(RequestContext(request, {})))


def submit_view(request):
    from django.http import HttpResponse

    return HttpResponse("accepted")


def _urlpatterns():
    from django.urls import path

    return [path("form/", form_view), path("submit/", submit_view)]


urlpatterns = []


def _client(req):
    from django.test import Client

    c = Client(enforce_csrf_checks=True)
    for k, v in (req.get("cookies") or {}).items():
        c.cookies[k] = v
    return c


def _set_cookies(response):
    return [m.OutputString() for m in response.cookies.values()]


def op_form(req):
    response = _client(req).get("/form/")
    return {"status": response.status_code, "html": response.content.decode(),
            "set_cookie": _set_cookies(response),
            "cookies": {k: m.value for k, m in response.cookies.items()}}


def op_post(req):
    extra = {}
    for k, v in (req.get("headers") or {}).items():
        extra["HTTP_" + k.upper().replace("-", "_")] = v
    method = req.get("method", "POST").lower()
    HOLDER.clear()
    c = _client(req)
    if method == "post":
        response = c.post("/submit/", data=req.get("form") or {}, secure=bool(req.get("secure")), **extra)
    else:
        response = getattr(c, method)("/submit/", secure=bool(req.get("secure")), **extra)
    return {"status": response.status_code, "reason": HOLDER.get("reason"), "body": response.content.decode()}


OPS = {k[3:]: v for k, v in globals().items() if k.startswith("op_")}


def handle(req):
    from django.test import override_settings

    over = {"ROOT_URLCONF": __name__, "CSRF_FAILURE_VIEW": __name__ + ".failure"}
    over.update(req.get("settings") or {})
    if req.get("config"):
        over["SESSION_CACHE_ALIAS"] = req["config"]
        over["SESSION_ENGINE"] = "django.contrib.sessions.backends.cache"
    with override_settings(**over):
        return OPS[req["op"]](req)


def main():
    import logging
    import shutil

    tmp = djharness.setup(redis_db=int(os.environ.get("DJANGOBRIDGE_REDIS_DB", "2")))
    logging.getLogger("django.security").setLevel(logging.CRITICAL)
    logging.getLogger("django.request").setLevel(logging.CRITICAL)
    urlpatterns[:] = _urlpatterns()
    try:
        for line in sys.stdin:
            if not line.strip():
                continue
            rid = None
            try:
                req = json.loads(line)
                rid = req.get("id")
                resp = {"id": rid, "ok": True}
                resp.update(handle(req))
            except Exception as e:
                resp = {"id": rid, "ok": False, "error": type(e).__name__, "message": str(e)}
                traceback.print_exc()
            OUT.write(json.dumps(resp) + "\n")
            OUT.flush()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
