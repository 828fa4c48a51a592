#!/usr/bin/env python
"""Writes compat_test/fixtures/django-<id>/ by driving this venv's real Django (FORMAT.md).

Run it through compat_test/generate.sh (PYTHONHASHSEED=0, every version). For each cache
configuration and each case of cases.py it creates a session with Django's own cache and
cached_db SessionStore (fixed session keys, fixed clock, seeded get_random_string), reads the
stored bytes back from the servers with plain clients, and records them with the session Django
held. It also writes the db/cached_db rows, signing.json (gen_signing.py) and meta.json.
Uses Redis db 1, which it flushes; memcached keys it writes are deleted after reading.
"""
import argparse
import base64
import hashlib
import json
import os
import pickle
import shutil
import sys
import time
from importlib import metadata

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import djharness  # noqa: E402

REDIS_DB = 1
PACKAGES = ["Django", "pymemcache", "pylibmc", "redis", "django-redis", "lz4", "pyzstd", "pytz", "asgiref", "sqlparse"]


def b64(b):
    return base64.b64encode(b).decode("ascii")


def fixed_key(name, engine):
    """A stable 32-char [a-z0-9] session key per case and engine."""
    return hashlib.sha256(f"djangobridge:{name}:{engine}".encode()).hexdigest()[:32]


def write_json(path, obj):
    with open(path, "w", encoding="utf-8") as f:
        f.write(json.dumps(obj, ensure_ascii=False, indent=1, allow_nan=False))
        f.write("\n")


class Generator:
    def __init__(self, out):
        from django.conf import settings

        import cases

        self.out = out
        self.settings = settings
        self.cases = cases.all_cases()
        self.now = cases.NOW
        self.raw = djharness.RawReader()
        self.db_rows = {"db": [], "cached_db": []}

    def configs(self):
        from djproject.caches import build_caches

        return build_caches()

    def run_case(self, case, engine, config_id, entry):
        """Create the case's session through Django; return (store, session dict)."""
        from django.test import override_settings

        key = fixed_key(case.name, engine)
        is_memcached = "memcached" in entry["BACKEND"]
        overrides = {"SESSION_ENGINE": djharness.ENGINE_MODULE[engine]}
        # time.time() stays real for memcached: Django turns a timeout over 30 days into
        # time.time() + timeout, which the server would take as already past under the fixed clock.
        if config_id is not None:
            overrides["SESSION_CACHE_ALIAS"] = config_id
        with override_settings(**overrides), djharness.fixed_clock(
            self.now, patch_time=not is_memcached
        ), djharness.deterministic_random(f"{case.name}:{engine}"), djharness.fixed_session_keys(key):
            if case.view is not None:
                request, _ = djharness.run_request(case.view)
                store = request.session
            else:
                store = djharness.session_store(engine)
                case.fill(store)
                store.create()
            if store.session_key != key:
                raise RuntimeError(f"{case.name}: Django used key {store.session_key!r}, not {key!r}")
            expiry_age = store.get_expiry_age()
            data = dict(store._session)
        return store, data, expiry_age

    def cache_case(self, case, engine, config_id, entry):
        import pytagged
        from django.core.cache import caches
        from django.contrib.sessions.models import Session

        key = fixed_key(case.name, engine)
        cache = caches[config_id]
        server_key = str(cache.make_key(djharness.SESSION_PREFIX[engine] + key))
        self.raw.delete_everywhere(entry, server_key)
        Session.objects.filter(session_key=key).delete()
        for attempt in range(5):
            try:
                _, data, expiry_age = self.run_case(case, engine, config_id, entry)
                break
            except Exception as e:  # real Django refused (cached_db's JSON serializer, say)
                self.raw.delete_everywhere(entry, server_key)
                Session.objects.filter(session_key=key).delete()
                # With redis-replica, Django's save() checks the session on the replica right
                # after creating it on the primary: replication lag gives a spurious UpdateError.
                if type(e).__name__ == "UpdateError" and config_id == "redis-replica" and attempt < 4:
                    time.sleep(0.2)
                    continue
                rej = {"name": case.name, "engine": engine, "error": djharness.error_class(e), "message": str(e)[:200]}
                return None, rej
        found = self.raw.find(entry, server_key, prefer_replica=config_id == "redis-replica")
        if found is None:
            raise RuntimeError(f"{config_id}/{case.name}/{engine}: {server_key!r} not on any server")
        addr, raw, ttl, flags = found
        compression, pickled = djharness.decompress(config_id, raw)
        loaded = pickle.loads(pickled)
        differs = []
        if not pytagged.strict_equal(loaded, data):
            # Real pickling can be lossy (protocol 2 drops datetime.fold): "expected" is what the
            # bytes unpickle to, and the keys whose value changed are listed.
            if type(loaded) is not dict or list(loaded) != list(data):
                raise RuntimeError(f"{config_id}/{case.name}/{engine}: stored pickle differs from the session")
            differs = [pytagged.to_tagged(k) for k in data if not pytagged.strict_equal(loaded[k], data[k])]
        if ttl is not None and abs(ttl - expiry_age) <= 2:
            # The servers count TTLs on a whole-second clock (memcached's ticks, an absolute
            # exptime for > 30 days): a reading within 2 s of Django's timeout is recorded as it.
            ttl = expiry_age
        # The cached_db rows are taken from a Redis config, where the fixed clock covers
        # time.time() too (memcached configs leave it real: see run_case).
        if (
            engine == "cached_db"
            and "memcached" not in entry["BACKEND"]
            and not any(r["name"] == case.name for r in self.db_rows["cached_db"])
        ):
            self.db_rows["cached_db"].append(self.db_row(case.name, key, data))
        self.raw.delete_everywhere(entry, server_key)
        Session.objects.filter(session_key=key).delete()
        return {
            "name": case.name,
            "engine": engine,
            "session_key": key,
            "server_key": server_key,
            "server": addr,
            "raw_b64": b64(raw),
            "flags": flags,
            "ttl": ttl,
            "expiry_age": expiry_age,
            "compression": compression,
            "pickle_b64": b64(pickled),
            "expected": pytagged.to_tagged(loaded),
            **({"differs_from_session": differs} if differs else {}),
        }, None

    def db_row(self, name, key, data):
        import pytagged
        from django.contrib.sessions.models import Session

        row = Session.objects.get(session_key=key)
        return {
            "name": name,
            "session_key": key,
            "session_data": row.session_data,
            "expire_date": row.expire_date.isoformat(),
            "expected": pytagged.to_tagged(data),
        }

    def db_cases(self):
        from django.contrib.sessions.models import Session

        for case in self.cases:
            if case.big:
                continue
            key = fixed_key(case.name, "db")
            Session.objects.filter(session_key=key).delete()
            try:
                _, data, _ = self.run_case(case, "db", None, {"BACKEND": "db"})
            except Exception:
                continue  # the JSON serializer refuses non-JSON values, as in a real app
            self.db_rows["db"].append(self.db_row(case.name, key, data))
            Session.objects.filter(session_key=key).delete()

    def generate(self):
        import cases
        from djproject.caches import compression_of

        os.makedirs(self.out, exist_ok=True)
        for name in os.listdir(self.out):
            if name.endswith(".json"):
                os.remove(os.path.join(self.out, name))
        # Fixture generation owns Redis db 1 (the replica follows the primary's FLUSHDB).
        from djproject.caches import REDIS

        self.raw.client("redis", REDIS, REDIS_DB).flushdb()
        configs = self.configs()
        counts = {}
        for config_id, entry in configs.items():
            cases_out, rejected = [], []
            for case in self.cases:
                if not case.in_config(config_id):
                    continue
                for engine in ("cache", "cached_db"):
                    if engine == "cached_db" and (case.big or (case.cache_only and config_id not in cases.BIG_CONFIGS)):
                        continue
                    c, rej = self.cache_case(case, engine, config_id, entry)
                    if c is not None:
                        cases_out.append(c)
                    else:
                        rejected.append(rej)
            doc = {
                "config": dict(entry, id=config_id, compression=compression_of(config_id)),
                "cases": cases_out,
                "rejected": rejected,
            }
            write_json(os.path.join(self.out, f"cache-{config_id}.json"), doc)
            counts[config_id] = len(cases_out)
        self.db_cases()
        for engine in ("db", "cached_db"):
            write_json(os.path.join(self.out, f"db-{engine}.json"), {"engine": engine, "rows": self.db_rows[engine]})
        import gen_signing

        signing_cases = gen_signing.generate(self.now)
        write_json(os.path.join(self.out, "signing.json"), {"cases": signing_cases})
        write_json(os.path.join(self.out, "meta.json"), self.meta(list(configs)))
        self.raw.close()
        return counts, len(signing_cases)

    def meta(self, config_ids):
        import platform

        import django

        pkgs = {}
        for p in PACKAGES:
            try:
                pkgs[p] = metadata.version(p)
            except metadata.PackageNotFoundError:
                pass
        s = self.settings
        return {
            "django": django.get_version(),
            "python": platform.python_version(),
            "packages": pkgs,
            "configs": config_ids,
            "now": self.now,
            "settings": {
                "SECRET_KEY": s.SECRET_KEY,
                "SESSION_COOKIE_AGE": s.SESSION_COOKIE_AGE,
                "USE_TZ": s.USE_TZ,
                "CSRF_USE_SESSIONS": s.CSRF_USE_SESSIONS,
                "SESSION_SERIALIZER": s.SESSION_SERIALIZER,
            },
            "user": {"pk": 1, "username": "alice", "password": "wonderland", "password_hash": self.user_hash()},
        }

    def user_hash(self):
        from django.contrib.auth import get_user_model

        return get_user_model().objects.get(pk=1).password


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", help="output directory (default compat_test/fixtures/django-<id>)")
    args = ap.parse_args()
    if os.environ.get("PYTHONHASHSEED") != "0":
        sys.exit("gen_fixtures.py: run with PYTHONHASHSEED=0 (compat_test/generate.sh does)")
    tmp = djharness.setup(redis_db=REDIS_DB, key_prefix="")
    import logging

    logging.getLogger("django.security").setLevel(logging.CRITICAL)  # "Session data corrupted"
    try:
        out = args.out or os.path.join(HERE, "fixtures", f"django-{djharness.django_id()}")
        counts, nsign = Generator(out).generate()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    total = sum(counts.values())
    print(f"django-{djharness.django_id()}: {len(counts)} configs, {total} cache cases, {nsign} signing cases")


if __name__ == "__main__":
    main()
