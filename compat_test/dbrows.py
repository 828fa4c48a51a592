#!/usr/bin/env python
"""Django's db session engine against a real database, for djangosession/dbstore's live tests.

Run with a venv's python (Django plus psycopg/psycopg2 and mysqlclient):

    python compat_test/dbrows.py ENGINE NAME USE_TZ TIME_ZONE

ENGINE is sqlite, postgres or mysql. NAME is the SQLite file, or the database name on the server
given by DJANGOBRIDGE_POSTGRES / DJANGOBRIDGE_MYSQL (URLs user:password@host:port; the database
must exist). USE_TZ is 1 or 0. TIME_ZONE is Django's setting, exported as TZ as Django's own
settings module does. On start: migrate the sessions app, then answer JSON lines on stdin:

Request  {"op": "...", ...}; any request may carry "now" (unix seconds, float): timezone.now() is
         fixed at that instant for the request.
Response {"ok": true, ...queries} or {"ok": false, "error": "Class", "message": "..."}; every
         response carries "queries", the SQL Django ran (CaptureQueriesContext).

ops:
  save {key, data: {...}, expiry: seconds, must_create}  SessionStore(key) with data, save().
       -> session_data, expire_date (isoformat, as Django holds it), expire_unix
  load {key}             SessionStore(key).load() -> found, data
  exists {key}           -> exists
  delete {key}
  clear_expired          SessionStore.clear_expired()
  rows                   every row, read with the ORM -> rows: [{key, session_data, expire_date}]
  raw                    every row, expire_date as the database's text -> rows: [[key, text]]
  wipe                   delete every row
stdout carries only responses.
"""
import datetime
import json
import os
import sys
import time
import urllib.parse

OUT = sys.stdout
sys.stdout = sys.stderr


def database(engine, name):
    if engine == "sqlite":
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": name}
    var = {"postgres": "DJANGOBRIDGE_POSTGRES", "mysql": "DJANGOBRIDGE_MYSQL"}[engine]
    url = os.environ.get(var)
    if not url:
        raise SystemExit(f"dbrows: {var} is not set")
    u = urllib.parse.urlsplit(url)
    backend = {"postgres": "postgresql", "mysql": "mysql"}[engine]
    return {
        "ENGINE": "django.db.backends." + backend,
        "NAME": name,
        "USER": urllib.parse.unquote(u.username or ""),
        "PASSWORD": urllib.parse.unquote(u.password or ""),
        "HOST": u.hostname or "",
        "PORT": str(u.port or ""),
    }


def setup(engine, name, use_tz, time_zone):
    # Django's settings module exports TIME_ZONE as TZ (django/conf/__init__.py, Settings);
    # settings.configure() does not, so do it here: naive "now" is local time in TIME_ZONE.
    os.environ["TZ"] = time_zone
    time.tzset()
    from django.conf import settings

    settings.configure(
        DATABASES={"default": database(engine, name)},
        INSTALLED_APPS=["django.contrib.sessions"],
        SESSION_ENGINE="django.contrib.sessions.backends.db",
        SESSION_SERIALIZER="django.contrib.sessions.serializers.JSONSerializer",
        SECRET_KEY="dbrows-not-secret",
        USE_TZ=use_tz,
        TIME_ZONE=time_zone,
        DEFAULT_AUTO_FIELD="django.db.models.AutoField",
    )
    import warnings

    warnings.simplefilter("ignore")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", "sessions", verbosity=0, interactive=False)


class FixedNow:
    """timezone.now() at a fixed unix instant: aware UTC with USE_TZ, naive local without."""

    def __init__(self, ts):
        self.ts = ts

    def __enter__(self):
        from django.conf import settings
        from django.utils import timezone

        self.saved = timezone.now
        ts = self.ts
        if settings.USE_TZ:
            value = datetime.datetime.fromtimestamp(ts, tz=datetime.timezone.utc)
        else:
            value = datetime.datetime.fromtimestamp(ts)
        timezone.now = lambda: value

    def __exit__(self, *exc):
        from django.utils import timezone

        timezone.now = self.saved


def unix(dt):
    if dt.tzinfo is None:
        return dt.timestamp()  # naive: local time (TZ is TIME_ZONE)
    return dt.timestamp()


def handle(req):
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.db import connection

    op = req["op"]
    if op == "save":
        # A new store's data never loads from the database, so the row gets exactly
        # req["data"] under req["key"] (SessionStore(key) would load and, on a miss, forget it).
        s = SessionStore()
        for k, v in req.get("data", {}).items():
            s[k] = v
        if "expiry" in req:
            s.set_expiry(req["expiry"])
        s._session_key = req["key"]
        s.save(must_create=bool(req.get("must_create")))
        row = Session.objects.get(session_key=req["key"])
        return {
            "session_data": row.session_data,
            "expire_date": row.expire_date.isoformat(),
            "expire_unix": unix(row.expire_date),
        }
    if op == "load":
        s = SessionStore(req["key"])
        data = s.load()
        return {"found": s.session_key is not None, "data": data}
    if op == "exists":
        return {"exists": SessionStore().exists(req["key"])}
    if op == "delete":
        SessionStore().delete(req["key"])
        return {}
    if op == "clear_expired":
        SessionStore.clear_expired()
        return {}
    if op == "rows":
        return {
            "rows": [
                {
                    "key": r.session_key,
                    "session_data": r.session_data,
                    "expire_date": r.expire_date.isoformat(),
                    "expire_unix": unix(r.expire_date),
                }
                for r in Session.objects.order_by("session_key")
            ]
        }
    if op == "raw":
        table = connection.ops.quote_name(Session._meta.db_table)
        text = {"postgresql": "CAST(expire_date AS text)", "mysql": "CAST(expire_date AS CHAR)"}
        col = text.get(connection.vendor, "expire_date")  # SQLite holds text already
        with connection.cursor() as c:
            c.execute(f"SELECT session_key, {col} FROM {table} ORDER BY session_key")
            return {"rows": [[k, str(e)] for k, e in c.fetchall()]}
    if op == "wipe":
        Session.objects.all().delete()
        return {}
    raise ValueError(f"unknown op {op!r}")


def main():
    engine, name, use_tz, time_zone = sys.argv[1:5]
    setup(engine, name, use_tz == "1", time_zone)
    import django
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    OUT.write(json.dumps({"ok": True, "django": "%d.%d" % django.VERSION[:2]}) + "\n")
    OUT.flush()
    for line in sys.stdin:
        if not line.strip():
            continue
        req = json.loads(line)
        ctx = CaptureQueriesContext(connection)
        try:
            with ctx:
                if req.get("now") is not None:
                    with FixedNow(float(req["now"])):
                        resp = handle(req)
                else:
                    resp = handle(req)
            resp["ok"] = True
        except Exception as e:  # reported, never fatal
            resp = {"ok": False, "error": type(e).__name__, "message": str(e)}
        resp["queries"] = [q["sql"] for q in ctx.captured_queries]
        OUT.write(json.dumps(resp, default=str) + "\n")
        OUT.flush()


if __name__ == "__main__":
    main()
