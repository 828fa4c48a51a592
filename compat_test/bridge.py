#!/usr/bin/env python
"""The live bridge: one long-lived process per Django version, JSON lines on stdin/stdout.

Request  {"id": N, "op": "...", ...fields}                    (one per line)
Response {"id": N, "ok": true, ...} or {"id": N, "ok": false, "error": "Class", "message": "..."}

Every op and its fields are documented in compat_test/README.md. Any request may carry
"settings": {...} (applied with override_settings for that request: SECRET_KEY,
SECRET_KEY_FALLBACKS, SESSION_COOKIE_AGE, SESSION_CACHE_ALIAS, ...) and "now" (unix seconds:
timezone.now(), and for signing ops time.time(), are fixed for that request).
Errors never end the process. stdout carries only responses; everything else goes to stderr.
Started by internal/pybridge with DJANGOBRIDGE_REDIS, DJANGOBRIDGE_REDIS_REPLICA,
DJANGOBRIDGE_MEMCACHED set; uses Redis db DJANGOBRIDGE_REDIS_DB (default 2) and prefixes
memcached keys with DJANGOBRIDGE_KEY_PREFIX (default none). The database of the db and cached_db
engines is a temporary SQLite file, or the one DJANGOBRIDGE_DB_URL names (djharness.setup); the
file engine writes to DJANGOBRIDGE_SESSION_FILE_PATH (default: a temp dir of this process).
"""
import base64
import contextlib
import json
import os
import pickle
import platform
import sys
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import djharness  # noqa: E402

OUT = sys.stdout
sys.stdout = sys.stderr  # nothing but responses may reach the real stdout


class BridgeError(Exception):
    """A bad request (missing field, unknown config...)."""


def need(req, field):
    if field not in req:
        raise BridgeError(f"missing field {field!r}")
    return req[field]


def b64d(s):
    return base64.b64decode(s, validate=True)


def b64e(b):
    return base64.b64encode(b).decode("ascii")


class Bridge:
    def __init__(self):
        from djproject.caches import build_caches

        self.caches = build_caches()
        self.raw = djharness.RawReader()

    # ---- helpers -----------------------------------------------------------------------------

    def entry(self, config):
        if config not in self.caches:
            raise BridgeError(f"unknown config {config!r}; this Django has {sorted(self.caches)}")
        return self.caches[config]

    @contextlib.contextmanager
    def session_context(self, req, patch_time=False):
        """override_settings for the config/engine of a session op, plus an optional fixed now."""
        from django.test import override_settings

        overrides = {}
        engine = req.get("engine") or "cache"
        overrides["SESSION_ENGINE"] = djharness.ENGINE_MODULE.get(engine, engine)
        if req.get("config"):
            self.entry(req["config"])
            overrides["SESSION_CACHE_ALIAS"] = req["config"]
        with contextlib.ExitStack() as stack:
            stack.enter_context(override_settings(**overrides))
            if engine == "file":
                # The file engine caches SESSION_FILE_PATH on its class: forget it, so that a
                # "settings" override of SESSION_FILE_PATH applies to this request only.
                forget = djharness.forget_file_storage_path
                forget()
                stack.callback(forget)
            if req.get("now") is not None:
                stack.enter_context(djharness.fixed_clock(int(req["now"]), patch_time=patch_time))
            yield engine

    def server_key(self, req, engine, session_key):
        from django.core.cache import caches

        if engine not in djharness.SESSION_PREFIX or not req.get("config") or not session_key:
            return None
        return str(caches[req["config"]].make_key(djharness.SESSION_PREFIX[engine] + session_key))

    def describe(self, req, engine, store):
        import pytagged

        data = store._session_cache if hasattr(store, "_session_cache") else {}
        key = store.session_key
        out = {
            "session_key": key,
            "server_key": self.server_key(req, engine, key),
            "data": pytagged.to_tagged(dict(data)),
        }
        if engine == "file":
            out["file"] = store._key_to_file(key) if key else None
        return out

    @staticmethod
    def apply_expiry(store, req):
        import pytagged

        if "expiry" in req:
            store.set_expiry(pytagged.from_tagged(req["expiry"]))

    # ---- ops ---------------------------------------------------------------------------------

    def op_ping(self, req):
        import django
        from importlib import metadata

        pkgs = {}
        from django.conf import settings

        for p in ("Django", "pymemcache", "pylibmc", "redis", "django-redis", "pytz",
                  "psycopg", "psycopg2-binary", "mysqlclient"):
            try:
                pkgs[p] = metadata.version(p)
            except metadata.PackageNotFoundError:
                pass
        from djproject import caches as cachemod

        return {
            "django": django.get_version(),
            "django_id": djharness.django_id(),
            "python": platform.python_version(),
            "packages": pkgs,
            "configs": list(self.caches),
            "caches": self.caches,
            "redis_db": cachemod.REDIS_DB,
            "key_prefix": cachemod.MEMCACHED_KEY_PREFIX,
            "database": djharness.database_info(),
            "session_file_path": settings.SESSION_FILE_PATH,
            "pid": os.getpid(),
        }

    def op_sleep(self, req):
        """Sleep "seconds" (at most 30): lets the Go client test cancellation."""
        import time

        time.sleep(min(float(req.get("seconds", 0)), 30.0))
        return {}

    def op_session_create(self, req):
        import pytagged

        with self.session_context(req) as engine:
            keys = [req["session_key"]] if req.get("session_key") else []
            with djharness.fixed_session_keys(*keys):
                store = djharness.session_store(engine)
                for k, v in pytagged.from_tagged(req.get("data") or {}).items():
                    store[k] = v
                self.apply_expiry(store, req)
                store.create()
            out = self.describe(req, engine, store)
            out["expiry_age"] = store.get_expiry_age()
            return out

    def op_session_load(self, req):
        import pytagged

        key = need(req, "session_key")
        with self.session_context(req) as engine:
            store = djharness.session_store(engine, key)
            exists_error = None
            try:
                exists = bool(store.exists(key))
            except Exception as e:  # exists() lets InvalidCacheKey through; load() does not
                exists, exists_error = False, djharness.error_class(e)
            data = store.load()
            out = {
                "exists": exists,
                "exists_error": exists_error,
                "data": pytagged.to_tagged(data),
                "session_key": store.session_key,
                "server_key": self.server_key(req, engine, key),
            }
            store._session_cache = data
            out["expiry_age"] = store.get_expiry_age()
            out["expiry_date"] = store.get_expiry_date().isoformat()
            out["expire_at_browser_close"] = store.get_expire_at_browser_close()
            return out

    def op_session_modify(self, req):
        """Load (unless "load": false), apply set/delete/expiry, save through Django."""
        import pytagged

        key = need(req, "session_key")
        with self.session_context(req) as engine:
            store = djharness.session_store(engine, key)
            if req.get("load", True):
                store._get_session()
            else:
                # As if the session had been loaded earlier and its entry vanished since.
                store._session_cache = {}
            for k, v in pytagged.from_tagged(req.get("set") or {}).items():
                store[k] = v
            for k in req.get("delete") or []:
                store.pop(pytagged.from_tagged(k), None)
            self.apply_expiry(store, req)
            store.save()
            out = self.describe(req, engine, store)
            out["expiry_age"] = store.get_expiry_age()
            return out

    def op_session_delete(self, req):
        key = need(req, "session_key")
        with self.session_context(req) as engine:
            djharness.session_store(engine, key).delete(key)
            return {}

    def op_session_exists(self, req):
        key = need(req, "session_key")
        with self.session_context(req) as engine:
            return {"exists": bool(djharness.session_store(engine, key).exists(key))}

    def op_session_expiry(self, req):
        key = need(req, "session_key")
        with self.session_context(req) as engine:
            store = djharness.session_store(engine, key)
            store._get_session()
            return {
                "expiry_age": store.get_expiry_age(),
                "expiry_date": store.get_expiry_date().isoformat(),
                "expire_at_browser_close": store.get_expire_at_browser_close(),
                "session_key": store.session_key,
            }

    def op_clear_expired(self, req):
        """Django's `clearsessions` for the request's engine; counts what it removed."""
        from django.core.management import call_command

        with self.session_context(req) as engine:
            store_cls = type(djharness.session_store(engine))

            def count():
                if engine in ("db", "cached_db"):
                    return store_cls.get_model_class().objects.count()
                if engine == "file":
                    from django.conf import settings

                    prefix = settings.SESSION_COOKIE_NAME
                    return sum(1 for f in os.listdir(store_cls._get_storage_path()) if f.startswith(prefix))
                return None  # cache: the server expires entries; signed_cookies: nothing stored

            before = count()
            call_command("clearsessions", verbosity=0)
            after = count()
            return {
                "removed": None if before is None else before - after,
                "remaining": after,
            }

    def op_cache_key(self, req):
        """The server key Django's make_key gives a session key (or a plain "key")."""
        from django.core.cache import caches

        config = need(req, "config")
        self.entry(config)
        if "key" in req:
            return {"server_key": str(caches[config].make_key(req["key"]))}
        engine = req.get("engine") or "cache"
        return {"server_key": self.server_key(req, engine, need(req, "session_key"))}

    def _raw_client(self, req):
        entry = self.entry(need(req, "config"))
        kind, servers = self.raw.servers(entry)
        want = req.get("server")
        if want is None:
            return kind, servers
        chosen = [(a, c) for a, c in servers if a == want]
        if not chosen:
            raise BridgeError(f"server {want!r} is not in config {req['config']!r}")
        return kind, chosen

    def op_raw_get(self, req):
        skey = need(req, "server_key")
        kind, servers = self._raw_client(req)
        if kind == "redis" and req.get("server") is None:
            servers = servers[:1]
        for addr, c in servers:
            value, ttl, flags = c.get(skey)
            if value is not None:
                return {"found": True, "server": addr, "b64": b64e(value), "flags": flags, "ttl": ttl}
        return {"found": False, "server": None, "b64": None, "flags": None, "ttl": None}

    def op_raw_set(self, req):
        skey = need(req, "server_key")
        value = b64d(need(req, "b64"))
        kind, servers = self._raw_client(req)
        if len(servers) > 1 and kind == "memcached":
            raise BridgeError("this config has several memcached servers: give \"server\"")
        addr, c = servers[0]
        if kind == "memcached":
            c.set(skey, value, flags=int(req.get("flags") or 0), ttl=int(req.get("ttl") or 0))
        else:
            c.set(skey, value, ttl=req.get("ttl"))
        return {"server": addr}

    def op_raw_delete(self, req):
        self.raw.delete_everywhere(self.entry(need(req, "config")), need(req, "server_key"))
        return {}

    def op_pickle_loads(self, req):
        import pytagged

        return {"value": pytagged.to_tagged(pickle.loads(b64d(need(req, "b64"))), share=True)}

    def op_pickle_dumps(self, req):
        import pytagged

        protocol = int(req.get("protocol", pickle.HIGHEST_PROTOCOL))
        return {"b64": b64e(pickle.dumps(pytagged.from_tagged(need(req, "value")), protocol))}

    def op_pickle_equal(self, req):
        import pytagged

        loaded = pickle.loads(b64d(need(req, "b64")))
        want = pytagged.from_tagged(need(req, "value"))
        loaded_t = pytagged.to_tagged(loaded)
        equal = pytagged.canonical(loaded_t) == pytagged.canonical(pytagged.to_tagged(want))
        return {"equal": equal, "loaded": loaded_t}

    def op_login(self, req):
        from django.conf import settings
        from django.contrib import auth
        from django.contrib.auth import get_user_model
        from django.http import HttpResponse

        username = need(req, "username")

        def view(request):
            user = get_user_model().objects.get(username=username)
            auth.login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            return HttpResponse("ok")

        with self.session_context(req) as engine:
            cookies = {settings.SESSION_COOKIE_NAME: req["session_key"]} if req.get("session_key") else {}
            request, response = djharness.run_request(view, cookies=cookies)
            morsel = response.cookies.get(settings.SESSION_COOKIE_NAME)
            out = self.describe(req, engine, request.session)
            out["cookie"] = morsel.OutputString() if morsel is not None else None
            return out

    def op_get_user(self, req):
        from django.conf import settings
        from django.contrib import auth
        from django.http import HttpResponse

        holder = {}

        def view(request):
            user = auth.get_user(request)
            holder["user_id"] = str(user.pk) if user.is_authenticated else None
            return HttpResponse("ok")

        with self.session_context(req) as engine:
            cookies = {settings.SESSION_COOKIE_NAME: need(req, "session_key")}
            request, response = djharness.run_request(view, cookies=cookies)
            out = self.describe(req, engine, request.session)
            out["user_id"] = holder.get("user_id")
            morsel = response.cookies.get(settings.SESSION_COOKIE_NAME)
            out["cookie"] = morsel.OutputString() if morsel is not None else None
            return out

    def op_logout(self, req):
        """django.contrib.auth.logout (it flushes the session) through the middleware chain."""
        from django.conf import settings
        from django.contrib import auth
        from django.http import HttpResponse

        def view(request):
            auth.logout(request)
            return HttpResponse("ok")

        with self.session_context(req) as engine:
            cookies = {settings.SESSION_COOKIE_NAME: need(req, "session_key")}
            request, response = djharness.run_request(view, cookies=cookies)
            out = self.describe(req, engine, request.session)
            morsel = response.cookies.get(settings.SESSION_COOKIE_NAME)
            out["cookie"] = morsel.OutputString() if morsel is not None else None
            return out

    # ---- dispatch ----------------------------------------------------------------------------

    def handle(self, req):
        import signing_ops

        op = need(req, "op")
        fn = getattr(self, f"op_{op}", None)
        if fn is None:
            fn = signing_ops.OPS.get(op)
        if fn is None:
            import users_ops

            fn = users_ops.OPS.get(op)
        if fn is None:
            raise BridgeError(f"unknown op {op!r}")
        settings_over = req.get("settings") or {}
        with contextlib.ExitStack() as stack:
            if settings_over:
                from django.test import override_settings

                stack.enter_context(override_settings(**settings_over))
            return fn(req)


def main():
    tmp = djharness.setup(redis_db=int(os.environ.get("DJANGOBRIDGE_REDIS_DB", "2")))
    try:
        serve()
    finally:
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)


def serve():
    import logging

    logging.getLogger("django.security").setLevel(logging.CRITICAL)  # "Session data corrupted"
    bridge = Bridge()
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        rid = None
        try:
            req = json.loads(line)
            rid = req.get("id")
            resp = {"id": rid, "ok": True}
            resp.update(bridge.handle(req))
        except Exception as e:  # every error is an answer, never the end of the process
            resp = {"id": rid, "ok": False, "error": djharness.error_class(e), "message": str(e)}
            if os.environ.get("DJANGOBRIDGE_DEBUG"):
                traceback.print_exc()
        try:
            text = json.dumps(resp, ensure_ascii=False, allow_nan=False)
        except (TypeError, ValueError) as e:
            text = json.dumps({"id": rid, "ok": False, "error": type(e).__name__, "message": str(e)})
        OUT.write(text + "\n")
        OUT.flush()


if __name__ == "__main__":
    main()
