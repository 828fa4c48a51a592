// Package memcachestore is a djangosession.Cache on memcached (github.com/bradfitz/gomemcache)
// that reads and writes items byte-compatibly with Django's memcached backends, so a Go service
// and a Django app can share sessions.
//
// # Backends
//
// PyMemcache is django.core.cache.backends.memcached.PyMemcacheCache (Django 3.2+), PyLibMC is
// PyLibMCCache. Both store a session dict as its pickle (protocol 5) with item flag 1; Set
// writes exactly that. On read, flag 1 is the pickle; flags 0 (bytes), 2 and 4 (int) and 16
// (str) are values Django stored that are not sessions, reported as errors wrapping
// djangosession.ErrCorrupt. pylibmc's flag 8 (zlib, only written when OPTIONS enable
// min_compress_len) is inflated, within Options.MaxValueSize (*TooLargeError beyond), before the
// other flags are looked at. pymemcache's default serde never compresses, and a flag 8|1 item
// reads as a miss in Django; here it reaches the codec as bytes that are not a pickle.
//
// # Timeouts
//
// As Django's get_backend_timeout: int(timeout) == 0 is sent as -1 (expire now), a timeout of
// more than 30 days as the absolute Unix time Options.Now() + timeout (memcached's rule for large
// expirations), anything else as whole seconds. The Cache interface has no "never expires"
// (Django's None, sent as 0).
//
// # Servers
//
// With several servers Django's clients spread the keys differently, and gomemcache's own
// ServerList matches neither: New uses RendezvousSelector for PyMemcache (pymemcache HashClient:
// murmur3 rendezvous hashing over "host:port" node names) and ModulaSelector for PyLibMC
// (libmemcached defaults: one_at_a_time % n). Both are memcache.ServerSelectors usable with
// memcache.NewFromSelector and NewFromClient. Neither ejects a dead server, which pymemcache does
// after two failures (its keys then move to the other servers until it is re-added).
//
// # Keys
//
// A key Django's memcached backends refuse (InvalidCacheKey: over 250 characters, a character
// below 33 or equal to 127) or memcached refuses (over 250 bytes) is never sent: Get and Has
// report a miss (the error matches djangosession.ErrNotFound and djangosession.ErrInvalidKey;
// Django's session load treats InvalidCacheKey as no session), Set, Add, Replace and Delete an
// error matching ErrInvalidKey.
//
// # Errors and contexts
//
// gomemcache takes no context. Each call checks ctx before and after the round trip, and the
// round trip itself is bounded by Options.Timeout (memcache.Client.Timeout, 500 ms by default),
// so a call can outlive a cancelled context by up to that long. Server and network errors, and a
// done context, are *djangosession.CacheError{Op, Key, Err} unwrapping to the cause (e.g.
// context.Canceled, a *net.OpError).
package memcachestore
