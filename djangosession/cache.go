package djangosession

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/djangobridge/bridge/pickle"
	"github.com/djangobridge/bridge/py"
)

// Cache is the part of a Django cache backend the session store uses: one alias of CACHES, the
// one SESSION_CACHE_ALIAS names (Django's default alias is "default"). The Go side has no alias
// lookup: give [NewStore] the Cache that talks to the same servers, with the same backend
// options, as that alias.
//
// Keys are the final backend keys (KEY_PREFIX, VERSION and KEY_FUNCTION already applied by the
// [Store]). Values are pickle bytes; an adapter applies its backend's own framing (memcached
// flags, django-redis compression) and Django's timeout rules for its backend.
//
// Errors from a server come back as *[CacheError], unwrapping to the cause, so that
// errors.Is(err, context.DeadlineExceeded) works. A key the backend refuses without asking the
// server (memcached: longer than 250 characters, or a control character or space) gives an
// error matching [ErrInvalidKey], as Django's InvalidCacheKey. Get may report a stored value
// that is not a session (memcached flags of a str or an int, a Redis int, a value that inflates
// beyond a limit) as an error matching [ErrCorrupt]. The [Store] treats these three as "no
// session", as Django's load does, and every other error as a failure.
//
// Implementations must be safe for concurrent use.
type Cache interface {
	// Get returns the value stored under key. A missing key gives an error matching ErrNotFound.
	// The slice belongs to the caller: the Store keeps it, without copying, for the Session's
	// values to be built from, and never changes it.
	Get(ctx context.Context, key string) ([]byte, error)

	// Set stores value under key, as Django's cache.set. The timeout is the session's expiry
	// age; timeout <= 0 means "expire now" (Redis: DEL; memcached: exptime -1), and the adapter
	// applies its backend's conversions (memcached: absolute time beyond 30 days;
	// django-redis: milliseconds).
	Set(ctx context.Context, key string, value []byte, timeout time.Duration) error

	// Add stores value under key only if the key does not exist, as Django's cache.add. It
	// reports whether it stored the value; false (with a nil error) means the key exists.
	Add(ctx context.Context, key string, value []byte, timeout time.Duration) (bool, error)

	// Delete removes key. A missing key is not an error.
	Delete(ctx context.Context, key string) error

	// Has reports whether key exists, as Django's cache.has_key (Redis EXISTS; memcached GET).
	Has(ctx context.Context, key string) (bool, error)
}

// Replacer is implemented by a [Cache] that can store a value only if the key already exists, in
// one round trip (Redis SET XX, memcached replace). The [Store] uses it when
// [Config].AtomicSave is set.
type Replacer interface {
	// Replace stores value under key only if the key exists, and reports whether it did. The
	// timeout follows the rules of Cache.Set (timeout <= 0: an existing key is removed, and
	// Replace reports true).
	Replace(ctx context.Context, key string, value []byte, timeout time.Duration) (bool, error)
}

// CASToken identifies the stored version of a value that [CompareAndSwapper.GetForCAS] read. It
// is opaque: only the Cache that returned it interprets it (memcached: the item with its CAS
// unique; Redis: the stored bytes).
type CASToken any

// CompareAndSwapper is implemented by a [Cache] that can store a value only if the stored one is
// still the version it read (memcached gets/cas; Redis: a script comparing the stored bytes).
// The [Store] uses it when [Config].CompareAndSetSave is set, so that a Save reports a
// concurrent writer's change instead of overwriting it.
type CompareAndSwapper interface {
	// GetForCAS is Cache.Get from the server that takes the writes, returning also the token
	// of the version read. Errors are as Get's.
	GetForCAS(ctx context.Context, key string) ([]byte, CASToken, error)

	// CompareAndSwap stores value under key, with the timeout rules of Cache.Set, only if the
	// stored value is still the version token names. It fails with an error matching
	// ErrConflict when another write came in between, and ErrNotFound when the key is gone.
	CompareAndSwap(ctx context.Context, key string, token CASToken, value []byte, timeout time.Duration) error
}

// ProtocolHinter is implemented by a [Cache] adapter that knows which pickle protocol its Django
// backend writes (Django's own backends: 5, pickle.HIGHEST_PROTOCOL; django-redis: 4, or its
// PICKLE_VERSION option). The [Store] writes that protocol when [Config].PickleProtocol is 0.
type ProtocolHinter interface {
	PickleProtocol() int
}

// Errors of the session store.
var (
	// ErrUpdate: Save found that the session was deleted from the cache since it was loaded
	// (Django's UpdateError, which its middleware turns into SessionInterrupted, HTTP 400). The
	// session is not written back.
	ErrUpdate = errors.New("djangosession: session was deleted before the request completed")

	// ErrCreate: no new session key could be stored after Django's 10000 tries (Django raises
	// RuntimeError "Unable to create a new session key. It is likely that the cache is
	// unavailable.").
	ErrCreate = errors.New("djangosession: unable to create a new session key; it is likely that the cache is unavailable")

	// ErrInvalidKey: the cache backend refuses the key before asking a server (Django's
	// InvalidCacheKey, raised by the memcached backends). Loading a session under such a key
	// gives a new empty session, as in Django.
	ErrInvalidKey = errors.New("djangosession: invalid cache key")

	// ErrConflict: with [Config].CompareAndSetSave, Save found that the stored session changed
	// since this Session read it (another request, in Go or in Django, saved it meanwhile). The
	// session is not written; load it again, reapply the change and save. Django has no such
	// check: its last write wins.
	ErrConflict = errors.New("djangosession: session was changed by another writer since it was loaded")
)

// CacheError reports a failed cache operation: the operation ("get", "set", "add", "delete",
// "has", "replace", "cas"), the key, cut short so that a whole session key never appears in a
// message or log, and the cause, which Unwrap returns (a network error, context.Canceled,
// context.DeadlineExceeded, ErrNotFound, ErrInvalidKey, ErrConflict, ...).
type CacheError struct {
	Op  string
	Key string // truncated: see NewCacheError
	Err error
}

// NewCacheError returns a *CacheError for op on key, with Key cut short: the last 24 characters
// of the key (most of a 32-character session key) are replaced by "…".
func NewCacheError(op, key string, err error) *CacheError {
	return &CacheError{Op: op, Key: truncateKey(key), Err: err}
}

func (e *CacheError) Error() string {
	msg := "<nil>"
	if e.Err != nil {
		msg = e.Err.Error()
	}
	return "djangosession: cache " + e.Op + " " + e.Key + ": " + msg
}

// Unwrap returns the cause.
func (e *CacheError) Unwrap() error { return e.Err }

// truncateKey keeps the start of a cache key: everything but its last 24 characters, and at most
// half of a short key.
func truncateKey(key string) string {
	n := utf8.RuneCountInString(key)
	keep := n - 24
	if keep < n/2 {
		keep = n / 2
	}
	if keep >= n {
		return key
	}
	i := 0
	for range keep {
		_, size := utf8.DecodeRuneInString(key[i:])
		i += size
	}
	return key[:i] + "…"
}

// cacheEngine is django.contrib.sessions.backends.cache: the session dict, pickled, under
// KEY_FUNCTION(prefix + key, KEY_PREFIX, VERSION) in the cache of SESSION_CACHE_ALIAS, with the
// expiry age as the timeout. cached_db uses one for its cache copy, with its own prefix.
type cacheEngine struct {
	st       *Store
	cache    Cache
	replacer Replacer          // AtomicSave
	cas      CompareAndSwapper // CompareAndSetSave
	prefix   string            // CacheKeyPrefix or CachedDBCacheKeyPrefix
}

func (e *cacheEngine) key(sessionKey string) string {
	cfg := &e.st.cfg
	return cfg.KeyFunction(e.prefix+sessionKey, cfg.KeyPrefix, cfg.Version)
}

// load is cache.SessionStore.load: cache.get, with Django's misses (no key, a key the backend
// refuses, a value that is not a pickled dict). A server failure is an error, not a miss.
func (e *cacheEngine) load(ctx context.Context, s *Session, key string) (stored, error, error) {
	cacheKey := e.key(key)
	if err := ctx.Err(); err != nil {
		return stored{}, nil, NewCacheError("get", cacheKey, err)
	}
	var raw []byte
	var err error
	if e.cas != nil {
		raw, _, err = e.cas.GetForCAS(ctx, cacheKey)
	} else {
		raw, err = e.cache.Get(ctx, cacheKey)
	}
	if err != nil {
		if isMiss(err) {
			return stored{}, err, nil
		}
		return stored{}, nil, err
	}
	v, why, err := e.decode(raw)
	if v.found() && e.cas != nil {
		s.base = raw
	}
	return v, why, err
}

// decode checks a pickled cache value (pickle.Codec.DecodeLazy: the whole pickle, its values
// built on first read), or says why Django would find no session in it. A pickle naming a
// class outside the allow-list is an error, not a miss: Django would load that session, and
// treating it as empty would replace the user's session.
func (e *cacheEngine) decode(raw []byte) (stored, error, error) {
	l, derr := e.st.codec.DecodeLazyOwned(raw) // raw is ours (see Cache.Get)
	if derr == nil {
		if !l.Lazy() {
			// Decoded whole (a datetime, a set, a key that is not a str, ...): a plain dict,
			// whose keys of every type the Session serves.
			d, err := l.Dict()
			return stored{dict: d}, nil, err
		}
		return stored{lazy: l}, nil, nil
	}
	if fg := (*pickle.ForbiddenGlobalError)(nil); errors.As(derr, &fg) {
		return stored{}, nil, fmt.Errorf("djangosession: session holds %s, which Config.Codec.AllowGlobals does not list: %w", fg.Global, corrupt(derr))
	}
	// Django: an unpickling error inside cache.get is caught by load() as a miss, and a cached
	// None is a miss. Any other value is not a session dict.
	if nd := (*pickle.NotDictError)(nil); errors.As(derr, &nd) {
		return stored{}, fmt.Errorf("djangosession: cache value %s is not a dict: %w", describe(nd.Value), ErrCorrupt), nil
	}
	return stored{}, fromCodec(derr), nil
}

func (e *cacheEngine) exists(ctx context.Context, key string) (bool, error) {
	cacheKey := e.key(key)
	if err := ctx.Err(); err != nil {
		return false, NewCacheError("has", cacheKey, err)
	}
	return e.cache.Has(ctx, cacheKey)
}

func (e *cacheEngine) delete(ctx context.Context, key string) error {
	cacheKey := e.key(key)
	if err := ctx.Err(); err != nil {
		return NewCacheError("delete", cacheKey, err)
	}
	return e.cache.Delete(ctx, cacheKey)
}

// clearExpired: the cache expires sessions itself (Django's clear_expired is a no-op).
func (e *cacheEngine) clearExpired(context.Context) (int64, error) { return 0, nil }

// encode returns the pickled session and its expiry age, the cache timeout.
//
// A lazy session (d nil: see Session.Save) is written by appending what changed to the stored
// pickle, or, when that would not pay (see pickle.LazyDict.AppendItems), encoded whole.
func (e *cacheEngine) encode(s *Session, d *py.Dict) ([]byte, time.Duration, error) {
	var v any
	if d == nil {
		v, _ = s.lazyGet(s.lazy, ExpiryKey)
	} else {
		v, _ = d.Get(ExpiryKey)
	}
	age, err := e.st.expiryAge(v, e.st.now())
	if err != nil {
		return nil, 0, err
	}
	if d == nil {
		b, ok, err := s.appendPickle()
		if err != nil || ok {
			return b, age, err
		}
		if d = s.session(); s.lazyErr != nil {
			return nil, 0, s.lazyErr
		}
	}
	b, err := e.st.codec.Encode(d)
	if err != nil {
		return nil, 0, err
	}
	return b, age, nil
}

// save is cache.SessionStore.save: add when creating; otherwise, as Django, a GET that must
// find the session, then a SET (or with AtomicSave one REPLACE, with CompareAndSetSave a
// compare-and-swap against the value this Session read).
func (e *cacheEngine) save(ctx context.Context, s *Session, key string, d *py.Dict, mustCreate bool) (bool, error) {
	cacheKey := e.key(key)
	if err := ctx.Err(); err != nil {
		return false, NewCacheError("set", cacheKey, err)
	}
	if mustCreate {
		value, age, err := e.encode(s, d)
		if err != nil {
			return false, err
		}
		ok, err := e.cache.Add(ctx, cacheKey, value, age)
		if ok && e.cas != nil {
			s.base = value
		}
		return ok, err
	}
	switch {
	case e.cas != nil:
		return false, e.saveCAS(ctx, s, cacheKey, d)
	case e.replacer != nil:
		value, age, err := e.encode(s, d)
		if err != nil {
			return false, err
		}
		ok, err := e.replacer.Replace(ctx, cacheKey, value, age)
		if err != nil {
			return false, err
		}
		if !ok {
			return false, ErrUpdate
		}
		return false, nil
	}
	// Django: cache.get(key) is None raises UpdateError. A value that is there but is not a
	// session (ErrCorrupt) is not None: Django overwrites it.
	if _, err := e.cache.Get(ctx, cacheKey); err != nil && !errors.Is(err, ErrCorrupt) {
		if errors.Is(err, ErrNotFound) {
			return false, ErrUpdate
		}
		return false, err
	}
	value, age, err := e.encode(s, d)
	if err != nil {
		return false, err
	}
	return false, e.cache.Set(ctx, cacheKey, value, age)
}

// saveCAS is save with CompareAndSetSave: read the stored value with its token, check that it
// is the one this Session read (or last wrote), and store the new value only if the token still
// holds.
func (e *cacheEngine) saveCAS(ctx context.Context, s *Session, cacheKey string, d *py.Dict) error {
	// A session whose data was never used after a Load that missed still has its key, and
	// Django's save() raises UpdateError for it: the GET below finds nothing.
	cur, token, err := e.cas.GetForCAS(ctx, cacheKey)
	switch {
	case errors.Is(err, ErrNotFound):
		return ErrUpdate
	case errors.Is(err, ErrCorrupt):
		// Something that is not a session replaced it: another writer.
		return fmt.Errorf("%w: %w", ErrConflict, err)
	case err != nil:
		return err
	}
	if s.base == nil || !bytes.Equal(cur, s.base) {
		// A stored value this Session never read nor wrote is another writer's.
		return ErrConflict
	}
	value, age, err := e.encode(s, d)
	if err != nil {
		return err
	}
	if err := e.cas.CompareAndSwap(ctx, cacheKey, token, value, age); err != nil {
		if errors.Is(err, ErrNotFound) {
			return ErrUpdate
		}
		return err
	}
	s.base = value
	return nil
}

// isMiss reports a Get error that Django's load counts as "no session": a missing key, a key the
// backend refuses (InvalidCacheKey), or a stored value that is not a pickled session (the
// adapter found an int, a str, or a value too large to inflate). Anything else (a server down,
// a timeout, a cancelled context) is not a miss.
func isMiss(err error) bool {
	return errors.Is(err, ErrNotFound) || errors.Is(err, ErrInvalidKey) || errors.Is(err, ErrCorrupt)
}
