"""The cache configurations of FORMAT.md ("config" ids) as Django CACHES entries.

settings.py, gen_fixtures.py and bridge.py all take the list from here, so a config id means
the same CACHES entry everywhere. Only the configurations the installed packages support are
returned (no Django RedisCache before 4.0, no django-redis gzip compressor before 6.0).
"""
import importlib.util
import os

import django

REDIS = os.environ.get("DJANGOBRIDGE_REDIS", "127.0.0.1:16379")
REDIS_REPLICA = os.environ.get("DJANGOBRIDGE_REDIS_REPLICA", "127.0.0.1:16380")
MEMCACHED = [
    s.strip()
    for s in os.environ.get("DJANGOBRIDGE_MEMCACHED", "127.0.0.1:21211,127.0.0.1:21212").split(",")
    if s.strip()
]
# Fixture generation uses db 1 (and flushes it); the bridge and live tests use 2 and later.
REDIS_DB = int(os.environ.get("DJANGOBRIDGE_REDIS_DB", "2"))
# A run's own KEY_PREFIX for the memcached aliases, so runs sharing the servers don't collide.
MEMCACHED_KEY_PREFIX = os.environ.get("DJANGOBRIDGE_KEY_PREFIX", "")

DJANGO_REDIS_COMPRESSORS = {
    "zlib": "django_redis.compressors.zlib.ZlibCompressor",
    "gzip": "django_redis.compressors.gzip.GzipCompressor",
    "lzma": "django_redis.compressors.lzma.LzmaCompressor",
    "lz4": "django_redis.compressors.lz4.Lz4Compressor",
    "zstd": "django_redis.compressors.zstd.ZStdCompressor",
}


def _has_module(name):
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


def redis_url(addr, db=None):
    return f"redis://{addr}/{REDIS_DB if db is None else db}"


def build_caches():
    """Return {config_id: CACHES entry}, in FORMAT.md order, for this Django and its packages."""
    has_django_redis_cache = django.VERSION >= (4, 0)
    caches = {}

    def memcached(backend, servers):
        entry = {"BACKEND": f"django.core.cache.backends.memcached.{backend}"}
        entry["LOCATION"] = servers[0] if len(servers) == 1 else list(servers)
        if MEMCACHED_KEY_PREFIX:
            entry["KEY_PREFIX"] = MEMCACHED_KEY_PREFIX
        return entry

    caches["pymemcache"] = memcached("PyMemcacheCache", MEMCACHED[:1])
    caches["pymemcache-2"] = memcached("PyMemcacheCache", MEMCACHED[:2])
    if _has_module("pylibmc"):
        caches["pylibmc"] = memcached("PyLibMCCache", MEMCACHED[:1])
        caches["pylibmc-2"] = memcached("PyLibMCCache", MEMCACHED[:2])
    if has_django_redis_cache:
        caches["redis"] = {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_url(REDIS),
        }
        caches["redis-replica"] = {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": [redis_url(REDIS), redis_url(REDIS_REPLICA)],
        }
    if _has_module("django_redis"):
        base = {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": redis_url(REDIS)}
        caches["django-redis"] = dict(base, OPTIONS={})
        for name, path in DJANGO_REDIS_COMPRESSORS.items():
            module = path.rsplit(".", 1)[0]
            if _has_module(module):
                caches[f"django-redis-{name}"] = dict(base, OPTIONS={"COMPRESSOR": path})
        caches["django-redis-pickle2"] = dict(base, OPTIONS={"PICKLE_VERSION": 2})
        caches["django-redis-pickle5"] = dict(base, OPTIONS={"PICKLE_VERSION": 5})
    base_id = "redis" if has_django_redis_cache else "pymemcache"
    caches["prefixed"] = dict(caches[base_id], KEY_PREFIX="shop", VERSION=3)
    caches["keyfunc"] = dict(caches[base_id], KEY_FUNCTION="djproject.keys.custom_key")
    return caches


def compression_of(config_id):
    """The django-redis compressor name a config uses, or None."""
    prefix = "django-redis-"
    if config_id.startswith(prefix) and config_id[len(prefix):] in DJANGO_REDIS_COMPRESSORS:
        return config_id[len(prefix):]
    return None
