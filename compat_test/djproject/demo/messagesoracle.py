#!/usr/bin/env python
"""Django's side of the messages live test (compat_test/messages_live_test.go).

One long-lived process per Django version, JSON lines like csrforacle.py (one request per line on
stdin, one response per line on stdout). Requests go through Django's real handler
(django.test.Client: URL routing, SessionMiddleware, MessageMiddleware, the view) on Django's
default MESSAGE_STORAGE (FallbackStorage) with signed-cookie sessions, so the only state is in
the cookies, which the Go side carries between the two.

Every op takes "cookies" ({name: value}, sent with the request) and "settings"
(override_settings); the response has "cookies" ({name: {"value", "max_age"}}, what the
response set) and "status":
  add  {messages: [[level, text, extra_tags]]}   messages.add_message for each
  get  {}                                        iterates get_messages(request)
                                                 -> messages: [[level, text, extra_tags, tags]]
"""
import json
import os
import sys
import traceback

OUT = sys.stdout
sys.stdout = sys.stderr

SECRET_KEY = os.environ.get("DJANGOBRIDGE_MESSAGES_SECRET_KEY", "djangobridge-messages-live")

HOLDER = {}


def add_view(request):
    from django.contrib import messages
    from django.http import HttpResponse

    for level, text, extra in HOLDER["req"].get("messages") or []:
        messages.add_message(request, level, text, extra_tags=extra)
    return HttpResponse("added")


def get_view(request):
    from django.contrib import messages
    from django.http import HttpResponse

    HOLDER["messages"] = [[m.level, str(m.message), m.extra_tags, m.tags] for m in messages.get_messages(request)]
    return HttpResponse("read")


def _urlpatterns():
    from django.urls import path

    return [path("add/", add_view), path("get/", get_view)]


urlpatterns = []


def handle(req):
    from django.test import Client, override_settings

    HOLDER.clear()
    HOLDER["req"] = req
    with override_settings(**(req.get("settings") or {})):
        c = Client()
        for k, v in (req.get("cookies") or {}).items():
            c.cookies[k] = v
        response = c.get("/" + req["op"] + "/")
        cookies = {k: {"value": m.value, "max_age": m["max-age"]} for k, m in response.cookies.items()}
        out = {"status": response.status_code, "cookies": cookies}
        if "messages" in HOLDER:
            out["messages"] = HOLDER["messages"]
        return out


def main():
    import django
    from django.conf import settings

    settings.configure(
        SECRET_KEY=SECRET_KEY,
        ALLOWED_HOSTS=["*"],
        USE_TZ=True,
        ROOT_URLCONF=__name__,
        INSTALLED_APPS=["django.contrib.sessions", "django.contrib.messages"],
        MIDDLEWARE=[
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.contrib.messages.middleware.MessageMiddleware",
        ],
        SESSION_ENGINE="django.contrib.sessions.backends.signed_cookies",
        LOGGING_CONFIG=None,
    )
    django.setup()
    urlpatterns[:] = _urlpatterns()
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


if __name__ == "__main__":
    main()
