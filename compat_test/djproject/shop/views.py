"""Deliberately plain views: log in, show the session and its messages, add a message, log out.

They are used by the harness and by the HTTP demo, so they render HTML by hand (no templates).
"""
from html import escape

from django.contrib import auth, messages
from django.http import HttpResponse, HttpResponseRedirect
from django.middleware.csrf import get_token
from django.views.decorators.http import require_http_methods


def _page(request, title, body):
    html = (
        f"<!doctype html><title>{escape(title)}</title><h1>{escape(title)}</h1>{body}"
        f'<p><a href="/">session</a> · <a href="/login/">login</a> · '
        f'<form method="post" action="/logout/" style="display:inline">'
        f'<input type="hidden" name="csrfmiddlewaretoken" value="{escape(get_token(request))}">'
        f'<button>logout</button></form></p>'
    )
    return HttpResponse(html)


@require_http_methods(["GET", "POST"])
def login_view(request):
    error = ""
    if request.method == "POST":
        user = auth.authenticate(
            request, username=request.POST.get("username", ""), password=request.POST.get("password", "")
        )
        if user is not None:
            auth.login(request, user)
            messages.success(request, f"Welcome, {user.get_username()}")
            return HttpResponseRedirect("/")
        error = "<p>Wrong username or password.</p>"
    token = escape(get_token(request))
    body = (
        f'{error}<form method="post"><input type="hidden" name="csrfmiddlewaretoken" value="{token}">'
        '<input name="username" placeholder="username"> '
        '<input name="password" type="password" placeholder="password"> <button>login</button></form>'
    )
    return _page(request, "Login", body)


def session_view(request):
    # Reading the messages consumes them, as a real page would.
    msgs = "".join(f"<li>{escape(m.tags)}: {escape(str(m))}</li>" for m in messages.get_messages(request))
    rows = "".join(
        f"<tr><td>{escape(str(k))}</td><td>{escape(repr(v))}</td></tr>" for k, v in request.session.items()
    )
    user = request.user.get_username() if request.user.is_authenticated else "(anonymous)"
    body = (
        f"<p>user: {escape(user)}</p><p>session key: {escape(str(request.session.session_key))}</p>"
        f"<ul>{msgs}</ul><table>{rows}</table>"
    )
    return _page(request, "Session", body)


@require_http_methods(["POST"])
def message_view(request):
    messages.info(request, request.POST.get("text", "hello"))
    return HttpResponseRedirect("/")


@require_http_methods(["POST"])
def logout_view(request):
    auth.logout(request)
    return HttpResponseRedirect("/login/")
