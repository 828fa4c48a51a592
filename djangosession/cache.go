package djangosession

import (
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

// Store is django.contrib.sessions.backends.cache.SessionStore (and the cache half of
// cached_db) seen from Go: it loads, creates, saves and deletes the sessions a Django app keeps
// in a cache, under the same keys, with the same values and timeouts, so that Go and Django
// share live sessions.
//
// A Store is safe for concurrent use; the Sessions it returns are not.
type Store struct {
	cache    Cache
	replacer Replacer
	cas      CompareAndSwapper
	codec    pickle.Codec
	cfg      resolved
}

// sessionStrs are str values that most Django sessions hold: the keys Django's own apps write
// (auth.SessionKey and its siblings, csrf's CSRF_SESSION_KEY, messages' storage key, the
// custom expiry) and the default authentication backend. The Store's codec boxes them once
// per process instead of once per load. TestSessionStrs checks them against those packages.
var sessionStrs, _ = pickle.NewInterner("_auth_user_id", "_auth_user_backend", "_auth_user_hash",
	"django.contrib.auth.backends.ModelBackend", "_csrftoken", ExpiryKey, "_messages")

// NewStore returns a Store over c, the cache of the app's SESSION_CACHE_ALIAS, configured as the
// app's settings.py (see [Config]). It fails with a *[ConfigError] for an invalid Config, when
// AtomicSave is set but c does not implement [Replacer], and when CompareAndSetSave is set but c
// does not implement [CompareAndSwapper].
func NewStore(c Cache, cfg Config) (*Store, error) {
	if c == nil {
		return nil, &ConfigError{Field: "Cache", Msg: "NewStore needs a Cache"}
	}
	r, err := cfg.resolve()
	if err != nil {
		return nil, err
	}
	st := &Store{cache: c, cfg: r}
	if cfg.Codec != nil {
		st.codec = *cfg.Codec
	}
	if st.codec.Intern == nil {
		st.codec.Intern = sessionStrs
	}
	switch {
	case cfg.PickleProtocol != 0:
		st.codec.Protocol = cfg.PickleProtocol
	case st.codec.Protocol != 0:
	default:
		if h, ok := c.(ProtocolHinter); ok {
			st.codec.Protocol = h.PickleProtocol()
		}
	}
	if cfg.AtomicSave {
		rep, ok := c.(Replacer)
		if !ok {
			return nil, &ConfigError{Field: "AtomicSave", Msg: "the Cache does not implement Replacer"}
		}
		st.replacer = rep
	}
	if cfg.CompareAndSetSave {
		cas, ok := c.(CompareAndSwapper)
		switch {
		case !ok:
			return nil, &ConfigError{Field: "CompareAndSetSave", Msg: "the Cache does not implement CompareAndSwapper"}
		case cfg.AtomicSave:
			return nil, &ConfigError{Field: "CompareAndSetSave", Msg: "set AtomicSave or CompareAndSetSave, not both"}
		}
		st.cas = cas
	}
	return st, nil
}

// CacheKey returns the backend key of a session key: KEY_FUNCTION(engine prefix + sessionKey,
// KEY_PREFIX, VERSION), e.g. ":1:django.contrib.sessions.cache" + sessionKey.
func (st *Store) CacheKey(sessionKey string) string {
	return st.cfg.KeyFunction(st.cfg.keyPrefix+sessionKey, st.cfg.KeyPrefix, st.cfg.Version)
}

// New returns a new empty session with no key, as SessionStore(None). Its first Save creates
// it under a new key.
func (st *Store) New() *Session {
	return &Session{store: st}
}

// Load returns the session stored under key (typically the session cookie's value), as
// SessionStore(key) followed by its lazy load.
//
// As in Django, a key shorter than 8 characters, a key the backend refuses, a missing session and
// a value that is not a pickled dict all give a new empty session: on first use of its data its
// key is dropped, so that a save creates a new key and a stale or forged cookie is never reused.
//
// Unlike Django, which treats every cache exception as a miss, an error from the server (down,
// timeout, cancelled context) is returned as an error and no Session: a failed load cannot be
// saved back over the stored session as an empty one.
//
// A session holding an instance of a class outside the codec's allow-list is not a miss
// either: Load fails with an error wrapping a *[ForbiddenGlobalError] (list the class in
// Config.Codec.AllowGlobals to load it).
//
// With [EngineCachedDB], a session that is not in the cache gives an error matching
// ErrNotFound, since its database row may hold it.
func (st *Store) Load(ctx context.Context, key string) (*Session, error) {
	s := &Session{store: st}
	if !ValidSessionKey(key) {
		// Django's session_key setter turns it into None: a new, empty session.
		s.missErr = errBadSessionKey
		return s, nil
	}
	s.key = key
	if err := st.fetch(ctx, s, st.CacheKey(key)); err != nil {
		return nil, err
	}
	return s, nil
}

// fetch reads the session stored under cacheKey into s (Load's work): s.fetched, or s.miss when
// Django's load would find no session. It returns the errors Load returns.
func (st *Store) fetch(ctx context.Context, s *Session, cacheKey string) error {
	if err := ctx.Err(); err != nil {
		return NewCacheError("get", cacheKey, err)
	}
	var raw []byte
	var err error
	if st.cas != nil {
		raw, _, err = st.cas.GetForCAS(ctx, cacheKey)
	} else {
		raw, err = st.cache.Get(ctx, cacheKey)
	}
	if err != nil && !isMiss(err) {
		return err
	}
	if err == nil {
		v, derr := st.codec.Decode(raw)
		if fg := (*pickle.ForbiddenGlobalError)(nil); errors.As(derr, &fg) {
			// Django would load this session; treating it as a miss would replace the user's
			// session with an empty one. It is a gap in the allow-list: report it.
			return fmt.Errorf("djangosession: session holds %s, which Config.Codec.AllowGlobals does not list: %w", fg.Global, corrupt(derr))
		}
		switch d := v.(type) {
		case *py.Dict:
			s.fetched = d
		case *py.OrderedDict:
			s.fetched = &d.Dict
		}
		if s.fetched != nil && st.cas != nil {
			s.base = raw
		}
		if s.fetched == nil {
			// Django: an unpickling error inside cache.get is caught by load() as a miss, and a
			// cached None is a miss. Any other value is not a session dict.
			err = fromCodec(derr)
			if err == nil {
				err = fmt.Errorf("djangosession: cache value %s is not a dict: %w", describe(v), ErrCorrupt)
			}
		}
	}
	if err != nil {
		if st.cfg.engine == EngineCachedDB {
			return fmt.Errorf("djangosession: session not in the cache; under cached_db its database row may hold it: %w (%w)", ErrNotFound, err)
		}
		s.miss, s.missErr = true, err
	}
	return nil
}

// errBadSessionKey is the LoadError of a key Django does not accept as a session key. It does
// not quote the key: a session key is a credential.
var errBadSessionKey = fmt.Errorf("djangosession: not a session key (Django requires at least %d characters): %w", MinSessionKeyLength, ErrInvalidKey)

// isMiss reports a Get error that Django's load counts as "no session": a missing key, a key the
// backend refuses (InvalidCacheKey), or a stored value that is not a pickled session (the
// adapter found an int, a str, or a value too large to inflate). Anything else (a server down,
// a timeout, a cancelled context) is not a miss.
func isMiss(err error) bool {
	return errors.Is(err, ErrNotFound) || errors.Is(err, ErrInvalidKey) || errors.Is(err, ErrCorrupt)
}

// Exists reports whether a session is stored under key (Django's exists: cache.has_key). An
// empty key does not exist.
func (st *Store) Exists(ctx context.Context, key string) (bool, error) {
	if key == "" {
		return false, nil
	}
	cacheKey := st.CacheKey(key)
	if err := ctx.Err(); err != nil {
		return false, NewCacheError("has", cacheKey, err)
	}
	return st.cache.Has(ctx, cacheKey)
}

// Delete removes the session stored under key (Django's delete(session_key)). A missing
// session is not an error.
func (st *Store) Delete(ctx context.Context, key string) error {
	if err := st.writable(); err != nil {
		return err
	}
	cacheKey := st.CacheKey(key)
	if err := ctx.Err(); err != nil {
		return NewCacheError("delete", cacheKey, err)
	}
	return st.cache.Delete(ctx, cacheKey)
}

// errCachedDBWrite is returned by writes under EngineCachedDB.
var errCachedDBWrite = fmt.Errorf("djangosession: %s sessions live in the database; writing only the cache copy would make the two disagree: %w", EngineCachedDB, errors.ErrUnsupported)

func (st *Store) writable() error {
	if st.cfg.engine == EngineCachedDB {
		return errCachedDBWrite
	}
	return nil
}

// maxCreateTries is Django's bound on create(): range(10000).
const maxCreateTries = 10000

// newKey is _get_new_session_key: a random key that does not exist yet. Django loops without a
// bound; here each key drawn counts against the caller's tries.
func (st *Store) newKey(ctx context.Context) (string, bool, error) {
	key, err := newSessionKey()
	if err != nil {
		return "", false, err
	}
	exists, err := st.Exists(ctx, key)
	if err != nil {
		return "", false, err
	}
	return key, !exists, nil
}
