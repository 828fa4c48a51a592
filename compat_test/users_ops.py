"""Bridge ops for users, groups, permissions and passwords (compat_test/README.md, "users").

Django's ORM makes the rows; the answers (fields, get_all_permissions, has_perm, authenticate)
are Django's own. Password hashes are returned for the Go test to compare, never logged.
"""


def _hasher(spec):
    """A hasher instance from {"class": "PBKDF2PasswordHasher", "attrs": {...}}, or None."""
    if not spec:
        return "default"
    from django.contrib.auth import hashers

    cls = getattr(hashers, spec["class"])
    return type("Custom" + spec["class"], (cls,), dict(spec.get("attrs") or {}))()


def _iso(dt):
    if dt is None:
        return None
    from django.utils import timezone

    if timezone.is_naive(dt):
        dt = timezone.make_aware(dt, timezone.get_default_timezone())
    return dt.astimezone(__import__("datetime").timezone.utc).isoformat()


def _info(user, has_perm=()):
    from django.contrib.auth import get_user_model

    user = get_user_model()._default_manager.get(pk=user.pk)  # fresh: no permission cache
    return {
        "pk": str(user.pk),
        "username": user.get_username(),
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_staff": user.is_staff,
        "is_active": user.is_active,
        "is_superuser": user.is_superuser,
        "last_login": _iso(user.last_login),
        "date_joined": _iso(user.date_joined),
        "perms": sorted(user.get_all_permissions()),
        "has_perm": {p: user.has_perm(p) for p in has_perm},
        "password_hash": user.password,
    }


def op_users_seed(req):
    """Create (or re-create) users, groups and permissions; return each user's info."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group, Permission

    User = get_user_model()

    def perm(name):
        app, code = name.split(".", 1)
        return Permission.objects.get(content_type__app_label=app, codename=code)

    groups = {}
    for g in req.get("groups") or []:
        Group.objects.filter(name=g["name"]).delete()
        grp = Group.objects.create(name=g["name"])
        grp.permissions.set([perm(p) for p in g.get("perms") or []])
        groups[g["name"]] = grp
    out = {}
    for u in req.get("users") or []:
        User.objects.filter(username=u["username"]).delete()
        user = User(
            username=u["username"],
            email=u.get("email", ""),
            first_name=u.get("first_name", ""),
            last_name=u.get("last_name", ""),
            is_staff=u.get("is_staff", False),
            is_superuser=u.get("is_superuser", False),
            is_active=u.get("is_active", True),
        )
        user.password = make_password(u["password"], hasher=_hasher(u.get("hasher")))
        user.save()
        user.groups.set([groups[g] for g in u.get("groups") or []])
        user.user_permissions.set([perm(p) for p in u.get("perms") or []])
        out[u["username"]] = _info(user, req.get("has_perm") or ())
    return {"users": out}


def op_users_info(req):
    from django.contrib.auth import get_user_model

    user = get_user_model()._default_manager.get_by_natural_key(req["username"])
    return _info(user, req.get("has_perm") or ())


def op_users_authenticate(req):
    """authenticate(username=, password=): ok, and the stored hash afterwards."""
    from django.contrib.auth import authenticate, get_user_model

    user = authenticate(None, username=req["username"], password=req["password"])
    stored = get_user_model()._default_manager.get_by_natural_key(req["username"]).password
    return {"ok": user is not None, "password_hash": stored}


def op_redirect_to_login(req):
    """login_required(login_url=, redirect_field_name=) on an anonymous GET of ``path``."""
    from django.contrib.auth.decorators import login_required
    from django.contrib.auth.models import AnonymousUser
    from django.http import HttpResponse
    from django.test import RequestFactory

    kwargs = {"login_url": req.get("login_url")}
    if "redirect_field_name" in req:
        kwargs["redirect_field_name"] = req["redirect_field_name"]
    view = login_required(**kwargs)(lambda request: HttpResponse("ok"))
    request = RequestFactory().get(req["path"], secure=bool(req.get("secure")))
    request.user = AnonymousUser()
    response = view(request)
    return {"status": response.status_code, "location": response.get("Location")}


OPS = {
    "redirect_to_login": op_redirect_to_login,
    "users_seed": op_users_seed,
    "users_info": op_users_info,
    "users_authenticate": op_users_authenticate,
}
