// Package djangosession reads and writes the sessions of a running Django app from Go: a
// [Store] loads, creates, saves and deletes sessions where Django keeps them, under the same
// keys and with the same values and timeouts, and a [Middleware] does what Django's
// SessionMiddleware does, so that Go and Django share live sessions and logins.
//
// The formats live in the packages below this one: the session dict is a *py.Dict of the
// values of package py; the cache engine stores it as a pickle (package pickle); session_data
// and signed cookies are django.core.signing values (package signing) of JSON (package pyjson).
// This package's [cache.go], [codec.go] and [signing.go] are their session-side faces. The
// contrib apps on top are packages auth, csrf and messages.
//
// # Django names in Go
//
// The Go API keeps Django's verbs. Every call that talks to a server takes a context.Context.
//
//	Django                                         Go
//	SessionStore(key) + first access               Store.Load
//	SessionStore()                                 Store.New
//	session.save() / create() / delete()           Session.Save / Create / Delete
//	session.flush() / cycle_key()                  Session.Flush / CycleKey
//	session[k], .get, del session[k], .pop         Session.Get (String, Int, Bool), Set, Remove, Pop
//	session[k] of a dict, list, datetime, ...      Session.Decode / Encode (Go structs via py.ToGo /
//	                                               py.FromGo), Float, Time, Bytes, Strings, Dict
//	session.setdefault / update / clear            Session.SetDefault / Update / Clear
//	set_expiry(int / datetime / timedelta / None)  SetExpirySeconds / SetExpiryAt / SetExpiryIn / ClearExpiry
//	get_expiry_age() / get_expiry_date()           Session.ExpiryAge / ExpiryDate
//	UpdateError / CreateError                      ErrUpdate / ErrCreate
//	SessionMiddleware                              Middleware (FromContext in handlers)
//	SessionStore.encode / decode (db, cached_db)   EncodeSessionData / DecodeSessionData
//	signed_cookies SessionStore                    EncodeSignedCookieSession / DecodeSignedCookieSession
//	PickleSerializer (SESSION_SERIALIZER)          PickleSerializer
//	caches[...] (Redis, memcached)                 a [Cache]: redisstore.New, memcachestore.New
//
// # Concurrency
//
// A [Store] and a [Middleware] are safe for concurrent use once configured. A [Session] and
// the values it holds (*py.Dict and the other containers) are not: use a Session from one
// goroutine at a time, as Django uses a request's session. Two Sessions loaded from the same
// key (two concurrent requests) are two writers: as in Django, the last Save wins, unless
// [Config].CompareAndSetSave makes the later one fail with [ErrConflict].
//
// # Errors
//
// A cache that fails is a *[CacheError], never an empty session. Bytes from outside that
// cannot be decoded (a cache value, session_data, a cookie) match [ErrCorrupt], and keep the
// codec's own error for errors.As (*pickle.Error, *pyjson.SyntaxError, ...); a bad signature
// matches signing.ErrBadSignature. Where Django silently starts an empty session,
// [Session.LoadError] says why.
package djangosession
