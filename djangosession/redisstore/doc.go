// Package redisstore is a djangosession.Cache on Redis (github.com/redis/go-redis/v9) that reads
// and writes cache values byte-compatibly with Django's Redis cache backends, so a Go service and
// a Django app can share sessions.
//
// # Backends
//
// FormatDjango is Django's django.core.cache.backends.redis.RedisCache (Django 4.0+):
//
//	CACHES = {"default": {
//	    "BACKEND": "django.core.cache.backends.redis.RedisCache",
//	    "LOCATION": ["redis://127.0.0.1:6379/1", "redis://replica:6379/1"],
//	}}
//
// Values are pickles of protocol 5 with no header; Set is SET k v EX seconds (int(timeout));
// Add is SET k v EX seconds NX; a timeout under one second deletes the key (Add: SET NX, then
// DEL, as Django does).
//
// FormatDjangoRedis is django-redis (django_redis.cache.RedisCache) with its DefaultClient and
// PickleSerializer, with or without one of the compressors it ships (see Compressor):
//
//	CACHES = {"default": {
//	    "BACKEND": "django_redis.cache.RedisCache",
//	    "LOCATION": "redis://127.0.0.1:6379/1",
//	    "OPTIONS": {"COMPRESSOR": "django_redis.compressors.zlib.ZlibCompressor",
//	                "PICKLE_VERSION": 4},
//	}}
//
// Values are compressor.compress(pickle), compressed only above the compressor's min_length;
// Set is SET k v PX milliseconds (int(timeout*1000)) and 0 ms or less deletes; Add with such a
// timeout stores nothing and reports whether the key was absent. On read the configured
// decompressor is tried and, when the bytes are not its format, they are used as they are, as
// django-redis does. Decompression is limited by Options.MaxValueSize (and LZMA dictionaries by
// 8 MiB); a bomb gives *TooLargeError, which unwraps to djangosession.ErrCorrupt.
//
// Not supported: django-redis's JSONSerializer and MSGPackSerializer (the session Store speaks
// pickle; a JSON or msgpack value reaches the codec as bytes that are not a pickle and is
// reported corrupt), its ShardClient (a sha256 ring over the LOCATION URLs) and HerdClient (a
// pickled (Marker, value, expiry) tuple), and .xz values of more than one stream or filter
// (Python never writes them).
//
// # Non-session values
//
// Both backends store a Python int as its decimal text. Get reports such a value as an error
// wrapping djangosession.ErrCorrupt (Django would hand the int to the session engine). All other
// bytes are returned, and the session codec rejects what is not a pickle.
//
// # Servers
//
// As in both Django backends, LOCATION's first server takes every write (SET, DEL) and each
// read (GET, EXISTS) goes to a random one of the others, or to the first when it is alone;
// Options.Location takes the URLs, Options.Clients ready go-redis clients in the same roles.
// Do not pass Django's LOCATION list to redis.NewUniversalClient: with several addresses it makes
// a Cluster client.
//
// Sentinel (django-redis SentinelClient): on the Django side
//
//	"LOCATION": "redis://mymaster/0",
//	"OPTIONS": {"CLIENT_CLASS": "django_redis.client.SentinelClient",
//	            "SENTINELS": [("sentinel1", 26379), ("sentinel2", 26379)],
//	            "CONNECTION_POOL_CLASS": "redis.sentinel.SentinelConnectionPool"},
//
// which writes to the master and reads from a replica; on the Go side pass
// Clients: {redis.NewFailoverClient(&redis.FailoverOptions{MasterName: "mymaster",
// SentinelAddrs: ..., DB: 0}), redis.NewFailoverClient(&redis.FailoverOptions{..., ReplicaOnly:
// true})}. Django's own RedisCache has no Sentinel support.
//
// Cluster: neither Django's RedisCache nor django-redis (up to 7.0) has a Redis Cluster client;
// a Django app on a Cluster uses a third-party backend or a custom CLIENT_CLASS around redis-py's
// RedisCluster. Every command here is single-key, so a redis.NewClusterClient passed as the only
// entry of Clients works with any such backend that stores the same bytes with plain GET/SET.
//
// # Errors and contexts
//
// Server and network errors, and a done context, are *djangosession.CacheError{Op, Key, Err}
// unwrapping to the cause (so errors.Is(err, context.Canceled) works); a missing key is a
// CacheError wrapping djangosession.ErrNotFound. go-redis honours the context on every call.
package redisstore
