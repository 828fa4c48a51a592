"""Shared Django-side machinery of gen_fixtures.py and bridge.py.

- setup(): configure the environment, django.setup(), migrate a fresh database (seeds alice): a
  temporary SQLite file, or with DJANGOBRIDGE_DB_URL a database of this process on that server.
- fixed_clock(now, patch_time): time.time and django.utils.timezone.now at a fixed instant.
- deterministic_random(seed): Django's get_random_string (CSRF secrets, masks) from a seeded RNG.
- fixed_session_keys(keys): SessionBase._get_new_session_key hands out the given keys first.
- run_request(view): a RequestFactory request through the project's real middleware chain.
- RawReader: finds and reads a cache entry on the servers of a config with plain clients.
"""
import contextlib
import datetime
import os
import random
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

SESSION_PREFIX = {
    "cache": "django.contrib.sessions.cache",
    "cached_db": "django.contrib.sessions.cached_db",
}
ENGINE_MODULE = {
    "cache": "django.contrib.sessions.backends.cache",
    "cached_db": "django.contrib.sessions.backends.cached_db",
    "db": "django.contrib.sessions.backends.db",
    "file": "django.contrib.sessions.backends.file",
    "signed_cookies": "django.contrib.sessions.backends.signed_cookies",
}


def setup(redis_db=None, key_prefix=None):
    """Configure and start Django with a fresh, migrated database; return a temp dir to remove.

    Without DJANGOBRIDGE_DB_URL the database is a SQLite file in that temp dir. With a sqlite:///
    URL it is that file. With a postgres:// or mysql:// URL it is a database of this process on
    that server, ``<NAME>_<Django id without the dot>_<pid>`` (created here, dropped when the
    process exits), unless DJANGOBRIDGE_DB_NAME names one (used as it is, created if missing,
    kept). The file engine's SESSION_FILE_PATH defaults to <temp dir>/sessions.
    """
    if redis_db is not None:
        os.environ["DJANGOBRIDGE_REDIS_DB"] = str(redis_db)
    if key_prefix is not None:
        os.environ["DJANGOBRIDGE_KEY_PREFIX"] = key_prefix
    # In memory when possible: SQLite syncs every commit, slow on a busy disk.
    shm = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
    tmp = tempfile.mkdtemp(prefix="djangobridge-", dir=shm)
    url = os.environ.get("DJANGOBRIDGE_DB_URL", "")
    server_db = bool(url) and not url.lower().startswith("sqlite:")
    own_db = server_db and not os.environ.get("DJANGOBRIDGE_DB_NAME")
    if not url:
        os.environ["DJANGOBRIDGE_SQLITE"] = os.path.join(tmp, "db.sqlite3")
    if not os.environ.get("DJANGOBRIDGE_SESSION_FILE_PATH"):
        os.environ["DJANGOBRIDGE_SESSION_FILE_PATH"] = os.path.join(tmp, "sessions")
    os.makedirs(os.environ["DJANGOBRIDGE_SESSION_FILE_PATH"], exist_ok=True)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "djproject.settings")
    import warnings

    warnings.simplefilter("ignore")  # deprecation noise (PickleSerializer, positional Signer args)
    _quiet_pylibmc()
    import django

    if own_db:
        from urllib.parse import urlsplit

        base = urlsplit(url).path.lstrip("/") or "djangobridge"
        os.environ["DJANGOBRIDGE_DB_NAME"] = "%s_%d%d_%d" % ((base,) + django.VERSION[:2] + (os.getpid(),))
    from django.core.management import call_command

    django.setup()
    if server_db:
        create_database()
        if own_db:
            import atexit

            atexit.register(drop_database)
        with migrate_lock():
            call_command("migrate", verbosity=0, interactive=False)
    else:
        call_command("migrate", verbosity=0, interactive=False)
    return tmp


def _quote_name(name):
    from django.db import connection

    return connection.ops.quote_name(name)


def create_database():
    """Create the default database (PostgreSQL or MySQL) when it does not exist yet."""
    from django.db import connection

    name = connection.settings_dict["NAME"]
    with connection._nodb_cursor() as cur:
        if connection.vendor == "mysql":
            cur.execute(
                "CREATE DATABASE IF NOT EXISTS %s CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
                % _quote_name(name)
            )
            return
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cur.fetchone():
            return
        try:
            cur.execute("CREATE DATABASE %s ENCODING 'UTF8'" % _quote_name(name))
        except Exception:
            # Another process created it meanwhile.
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if not cur.fetchone():
                raise


def drop_database():
    """Drop the default database (the process's own one); called at exit."""
    from django.db import connection, connections

    name = connection.settings_dict["NAME"]
    connections.close_all()
    try:
        with connection._nodb_cursor() as cur:
            if connection.vendor == "mysql":
                cur.execute("DROP DATABASE IF EXISTS %s" % _quote_name(name))
            else:
                cur.execute("DROP DATABASE IF EXISTS %s WITH (FORCE)" % _quote_name(name))
    except Exception as e:  # the process is ending: say so, do not fail
        print(f"djharness: could not drop database {name}: {e}", file=sys.stderr)


@contextlib.contextmanager
def migrate_lock():
    """Serialise migrate between processes sharing one database (DJANGOBRIDGE_DB_NAME)."""
    from django.db import connection

    with connection.cursor() as cur:
        if connection.vendor == "mysql":
            lock = "djangobridge-migrate-" + connection.settings_dict["NAME"]
            cur.execute("SELECT GET_LOCK(%s, 300)", [lock[:64]])
        else:
            cur.execute("SELECT pg_advisory_lock(72271)")  # per database in PostgreSQL
    try:
        yield
    finally:
        with connection.cursor() as cur:
            if connection.vendor == "mysql":
                cur.execute("SELECT RELEASE_LOCK(%s)", [lock[:64]])
            else:
                cur.execute("SELECT pg_advisory_unlock(72271)")


def database_info():
    """The default database, for ping: vendor, NAME, HOST, PORT, USER (never the password)."""
    from django.db import connection

    sd = connection.settings_dict
    return {
        "vendor": connection.vendor,
        "name": str(sd["NAME"]),
        "host": sd.get("HOST") or "",
        "port": str(sd.get("PORT") or ""),
        "user": sd.get("USER") or "",
    }


def _quiet_pylibmc():
    """pylibmc 1.6.3 under Python 3.13 reports a harmless ignored TypeError on every Client()."""
    default = sys.unraisablehook

    def hook(unraisable):
        if "PyMapping_HasKeyString" in str(unraisable.err_msg or ""):
            return
        default(unraisable)

    sys.unraisablehook = hook


def error_class(exc):
    """The exception's class name; module-qualified when the bare name says nothing (zlib.error)."""
    cls = type(exc)
    if cls.__name__ == "error":
        return f"{cls.__module__}.{cls.__name__}"
    return cls.__name__


def django_id():
    import django

    return "%d.%d" % django.VERSION[:2]


def utc():
    """The tzinfo timezone.now() attaches in this Django (pytz.utc before 4.0)."""
    import django

    if django.VERSION < (4, 0):
        import pytz

        return pytz.utc
    return datetime.timezone.utc


@contextlib.contextmanager
def fixed_clock(now, patch_time=True):
    """Fix timezone.now() (and time.time() unless patch_time is false) at the unix time ``now``."""
    from django.conf import settings
    from django.utils import timezone

    orig_now, orig_time = timezone.now, time.time
    tz = utc()

    def fixed_now():
        if settings.USE_TZ:
            return datetime.datetime.fromtimestamp(now, tz=datetime.timezone.utc).replace(tzinfo=tz)
        return datetime.datetime.fromtimestamp(now)

    timezone.now = fixed_now
    if patch_time:
        time.time = lambda: float(now)
    try:
        yield
    finally:
        timezone.now = orig_now
        time.time = orig_time


class _SeededSecrets:
    def __init__(self, seed):
        self._rng = random.Random(seed)

    def choice(self, seq):
        return self._rng.choice(seq)


@contextlib.contextmanager
def deterministic_random(seed):
    """Make django.utils.crypto.get_random_string deterministic (it draws with secrets.choice)."""
    from django.utils import crypto

    orig = crypto.secrets
    crypto.secrets = _SeededSecrets(seed)
    try:
        yield
    finally:
        crypto.secrets = orig


_key_queue = []


def _install_key_patch():
    from django.contrib.sessions.backends.base import SessionBase

    if getattr(SessionBase, "_djangobridge_patched", False):
        return
    orig = SessionBase._get_new_session_key

    def _get_new_session_key(self):
        if _key_queue:
            return _key_queue.pop(0)
        return orig(self)

    SessionBase._get_new_session_key = _get_new_session_key
    SessionBase._djangobridge_patched = True


@contextlib.contextmanager
def fixed_session_keys(*keys):
    """The next sessions Django creates get these keys (in order), then random ones again."""
    _install_key_patch()
    _key_queue[:] = list(keys)
    try:
        yield
    finally:
        _key_queue.clear()


def session_store(engine, session_key=None):
    from importlib import import_module

    return import_module(ENGINE_MODULE.get(engine, engine)).SessionStore(session_key)


def forget_file_storage_path():
    """The file engine keeps SESSION_FILE_PATH on its class once read; make it read it again."""
    from importlib import import_module

    cls = import_module(ENGINE_MODULE["file"]).SessionStore
    if "_storage_path" in cls.__dict__:
        del cls._storage_path


def run_request(view, path="/", cookies=None, method="get"):
    """Run ``view(request)`` inside the project's real middleware chain; return (request, response).

    The chain is settings.MIDDLEWARE (session, CSRF, auth, messages), built from the current
    settings, so an override_settings around the call applies.
    """
    from django.conf import settings
    from django.test import RequestFactory
    from django.utils.module_loading import import_string

    handler = view
    holder = {}

    def capture(request):
        holder["request"] = request
        return handler(request)

    chain = capture
    for path_ in reversed(settings.MIDDLEWARE):
        chain = import_string(path_)(chain)
    factory = RequestFactory()
    request = getattr(factory, method)(path)
    for k, v in (cookies or {}).items():
        request.COOKIES[k] = v
    response = chain(request)
    return holder.get("request", request), response


def config_servers(entry):
    """('redis'|'memcached', [addr, ...]) for a CACHES entry, in LOCATION order."""
    backend = entry["BACKEND"]
    loc = entry["LOCATION"]
    locs = [loc] if isinstance(loc, str) else list(loc)
    if "memcached" in backend:
        out = []
        for x in locs:
            out.extend(s.strip() for s in x.replace(";", ",").split(",") if s.strip())
        return "memcached", out
    addrs = []
    for url in locs:
        for u in url.split(","):
            rest = u.split("://", 1)[1]
            addrs.append(rest.split("/", 1)[0])
    return "redis", addrs


def redis_db_of(entry):
    loc = entry["LOCATION"]
    url = loc if isinstance(loc, str) else loc[0]
    tail = url.split("://", 1)[1].split("/", 1)
    return int(tail[1]) if len(tail) > 1 and tail[1] else 0


class RawReader:
    """Plain clients for every server of every configured cache, opened lazily."""

    def __init__(self):
        self._clients = {}

    def client(self, kind, addr, db=0):
        from rawclient import MemcachedRaw, RedisRaw

        k = (kind, addr, db)
        if k not in self._clients:
            self._clients[k] = MemcachedRaw(addr) if kind == "memcached" else RedisRaw(addr, db)
        return self._clients[k]

    def servers(self, entry):
        kind, addrs = config_servers(entry)
        db = redis_db_of(entry) if kind == "redis" else 0
        return kind, [(a, self.client(kind, a, db)) for a in addrs]

    def find(self, entry, server_key, prefer_replica=False, wait=5.0):
        """Return (addr, value, ttl, flags) for server_key, or None when no server has it.

        Memcached: every server is asked (exactly one should have it). Redis: the primary, or
        the first replica (polled up to ``wait`` seconds for replication) when prefer_replica.
        """
        kind, servers = self.servers(entry)
        if kind == "memcached":
            found = []
            for addr, c in servers:
                value, ttl, flags = c.get(server_key)
                if value is not None:
                    found.append((addr, value, ttl, flags))
            if len(found) > 1:
                raise RuntimeError(f"{server_key!r} found on several servers: {[f[0] for f in found]}")
            return found[0] if found else None
        addr, c = servers[1] if prefer_replica and len(servers) > 1 else servers[0]
        deadline = time.monotonic() + wait
        while True:
            value, ttl, flags = c.get(server_key)
            if value is not None or not prefer_replica or time.monotonic() > deadline:
                break
            time.sleep(0.005)
        if value is None:
            return None
        return addr, value, ttl, None

    def delete_everywhere(self, entry, server_key):
        kind, servers = self.servers(entry)
        if kind == "redis":
            servers = servers[:1]  # replicas are read-only; the primary's DEL replicates
        for _, c in servers:
            c.delete(server_key)

    def close(self):
        for c in self._clients.values():
            try:
                c.close()
            except Exception:
                pass
        self._clients.clear()


def decompress(config_id, raw):
    """(compression name or None, pickle bytes): what a django-redis compressor left in raw."""
    from djproject.caches import compression_of

    name = compression_of(config_id)
    if name is None:
        return None, raw
    import gzip
    import lzma
    import zlib

    try:
        if name == "zlib":
            return name, zlib.decompress(raw)
        if name == "gzip":
            return name, gzip.decompress(raw)
        if name == "lzma":
            return name, lzma.decompress(raw)
        if name == "lz4":
            import lz4.frame

            return name, lz4.frame.decompress(raw)
        if name == "zstd":
            import pyzstd

            return name, pyzstd.decompress(raw)
    except Exception:
        # django-redis stores values under the compressor's min_length uncompressed.
        return None, raw
    return None, raw
