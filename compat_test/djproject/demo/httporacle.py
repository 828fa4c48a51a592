#!/usr/bin/env python
"""Django as the oracle for the HTTP side of djangobridge (compat_test/http_live_test.go).

One long-lived process per Django version, JSON lines like bridge.py (one request per line on
stdin, one response per line on stdout), for what the bridge has no op for: changing a
password in Django's database, reading django.contrib.messages, and the exact response headers
of SessionMiddleware under given settings. It starts Django like the bridge (djharness.setup:
a fresh SQLite database seeded with alice, Redis db DJANGOBRIDGE_REDIS_DB, default 2), so
sessions it reads and writes are shared with the bridge and with Go through the cache servers.

Ops ("settings" may carry override_settings for any op; "config" is SESSION_CACHE_ALIAS):
  password_hash  {username}                              -> {password_hash, pk}
  set_password   {username, password, salt}              -> {password_hash}   (fixed salt: the same hash every run)
  get_user       {config, session_key}                   -> {user_id (or null), session_key, cookie}
  messages       {config, session_key}                   -> {messages: [[level, message, extra_tags, tags]], stored}
  add_message    {config, session_key, level, message}   -> {stored}          (messages.add_message, saved)
  encode_messages {messages: [[level, message, extra_tags|null, safe]]} -> {encoded}
  sql            {query, args}                           -> {rows}            (raw sqlite3, "?" parameters)
  touch          {config, session_key (optional), set: {k: str}, flush, expiry}
                 -> {set_cookie (list of Set-Cookie values), vary, session_key, status}
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


def _cookies(req):
    from django.conf import settings

    key = req.get("session_key")
    return {settings.SESSION_COOKIE_NAME: key} if key is not None else {}


def _set_cookies(response):
    return [m.OutputString() for m in response.cookies.values()]


def op_password_hash(req):
    from django.contrib.auth import get_user_model

    u = get_user_model().objects.get(username=req["username"])
    return {"password_hash": u.password, "pk": str(u.pk)}


def op_set_password(req):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password

    u = get_user_model().objects.get(username=req["username"])
    u.password = make_password(req["password"], salt=req.get("salt"))
    u.save(update_fields=["password"])
    return {"password_hash": u.password}


def op_get_user(req):
    from django.contrib import auth
    from django.http import HttpResponse

    holder = {}

    def view(request):
        user = auth.get_user(request)
        holder["user_id"] = str(user.pk) if user.is_authenticated else None
        return HttpResponse("ok")

    request, response = djharness.run_request(view, cookies=_cookies(req))
    return {"user_id": holder.get("user_id"), "session_key": request.session.session_key,
            "cookie": _set_cookies(response)}


def op_messages(req):
    from django.contrib import messages
    from django.http import HttpResponse

    holder = {}

    def view(request):
        holder["stored"] = request.session.get("_messages")
        holder["messages"] = [[m.level, str(m.message), m.extra_tags, m.tags] for m in messages.get_messages(request)]
        return HttpResponse("ok")

    djharness.run_request(view, cookies=_cookies(req))
    return {"messages": holder["messages"], "stored": holder["stored"]}


def op_add_message(req):
    from django.contrib import messages
    from django.http import HttpResponse

    holder = {}

    def view(request):
        messages.add_message(request, req["level"], req["message"])
        return HttpResponse("ok")

    request, _ = djharness.run_request(view, cookies=_cookies(req))
    return {"stored": request.session.get("_messages"), "session_key": request.session.session_key}


def op_encode_messages(req):
    from django.contrib.messages.storage.base import Message
    from django.contrib.messages.storage.cookie import MessageEncoder
    from django.utils.safestring import mark_safe

    msgs = []
    for level, text, extra, safe in req["messages"]:
        m = Message(level, mark_safe(text) if safe else text, extra_tags=extra)
        m._prepare()
        msgs.append(m)
    return {"encoded": MessageEncoder().encode(msgs)}


def op_touch(req):
    import datetime

    from django.http import HttpResponse

    def view(request):
        if req.get("flush"):
            request.session.flush()
        for k, v in (req.get("set") or {}).items():
            request.session[k] = v
        if "expiry" in req:
            request.session.set_expiry(req["expiry"])
        return HttpResponse("ok", status=req.get("status", 200))

    request, response = djharness.run_request(view, cookies=_cookies(req))
    return {"set_cookie": _set_cookies(response), "vary": response.get("Vary"),
            "session_key": request.session.session_key, "status": response.status_code}


def op_csrf_token(req):
    from django.http import HttpResponse
    from django.middleware.csrf import get_token

    holder = {}

    def view(request):
        holder["token"] = get_token(request)
        return HttpResponse("ok")

    request, response = djharness.run_request(view, cookies=_cookies(req))
    return {"token": holder["token"], "session_key": request.session.session_key,
            "stored": request.session.get("_csrftoken"), "set_cookie": _set_cookies(response)}


def op_csrf_post(req):
    """POST through the real middleware chain (CSRF enforced): the token in the form field
    csrfmiddlewaretoken, or in the X-CSRFToken header when "header" is true."""
    from django.conf import settings
    from django.http import HttpResponse
    from django.test import RequestFactory
    from django.utils.module_loading import import_string

    def view(request):
        return HttpResponse("accepted")

    factory = RequestFactory()
    if req.get("header"):
        request = factory.post("/", data={}, HTTP_X_CSRFTOKEN=req["token"])
    else:
        request = factory.post("/", data={"csrfmiddlewaretoken": req["token"]})
    request.COOKIES.update(_cookies(req))
    # CsrfViewMiddleware.process_view runs in the handler, not in the middleware __call__.
    mw = [import_string(p)(view) for p in settings.MIDDLEWARE]
    for m in mw:
        if hasattr(m, "process_request"):
            m.process_request(request)
    csrf_mw = [m for m in mw if type(m).__name__ == "CsrfViewMiddleware"][0]
    rejected = csrf_mw.process_view(request, view, (), {})
    return {"status": rejected.status_code if rejected is not None else 200}


def op_sql(req):
    """Runs a query with "?" parameters on the raw sqlite3 connection of Django's database
    (to check the SQL of djangosession/authdb against Django's real schema)."""
    from django.db import connection

    connection.ensure_connection()
    cur = connection.connection.cursor()
    try:
        cur.execute(req["query"], req.get("args") or [])
        return {"rows": [list(r) for r in cur.fetchall()]}
    finally:
        cur.close()


OPS = {k[3:]: v for k, v in globals().items() if k.startswith("op_")}


def handle(req):
    from django.test import override_settings

    over = dict(req.get("settings") or {})
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
