package djangosession

import (
	"context"
	"fmt"

	"github.com/djangobridge/bridge/pickle"
)

// Store is Django's SessionStore class for the configured SESSION_ENGINE, seen from Go: it
// loads, creates, saves and deletes the sessions a Django app keeps, where it keeps them, under
// the same keys, with the same values, expiry and timeouts, so that Go and Django share live
// sessions.
//
// A Store is safe for concurrent use; the Sessions it returns are not.
type Store struct {
	cfg   resolved
	codec pickle.Codec // the cache's pickles (cache, cached_db)
	eng   engine       // nil for signed cookies
}

// sessionStrs are str values that most Django sessions hold: the keys Django's own apps write
// (auth.SessionKey and its siblings, csrf's CSRF_SESSION_KEY, messages' storage key, the
// custom expiry) and the default authentication backend. The Store's codec boxes them once
// per process instead of once per load. TestSessionStrs checks them against those packages.
var sessionStrs, _ = pickle.NewInterner("_auth_user_id", "_auth_user_backend", "_auth_user_hash",
	"django.contrib.auth.backends.ModelBackend", "_csrftoken", ExpiryKey, "_messages")

// NewStore returns a Store for the app's settings (see [Config]). It fails with a
// *[ConfigError] for an invalid Config: no SessionEngine, an engine without its storage (Cache,
// DB), an empty SecretKey where the engine signs, AtomicSave with a Cache that does not
// implement [Replacer], CompareAndSetSave with one that does not implement
// [CompareAndSwapper].
func NewStore(cfg Config) (*Store, error) {
	r, err := cfg.resolve()
	if err != nil {
		return nil, err
	}
	st := &Store{cfg: r}
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
		if h, ok := cfg.Cache.(ProtocolHinter); ok {
			st.codec.Protocol = h.PickleProtocol()
		}
	}
	var ce *cacheEngine
	if cfg.Cache != nil && (r.engine == EngineCache || r.engine == EngineCachedDB) {
		ce = &cacheEngine{st: st, cache: cfg.Cache, prefix: r.keyPrefix}
		if cfg.AtomicSave {
			rep, ok := cfg.Cache.(Replacer)
			if !ok {
				return nil, &ConfigError{Field: "AtomicSave", Msg: "the Cache does not implement Replacer"}
			}
			ce.replacer = rep
		}
		if cfg.CompareAndSetSave {
			cas, ok := cfg.Cache.(CompareAndSwapper)
			switch {
			case !ok:
				return nil, &ConfigError{Field: "CompareAndSetSave", Msg: "the Cache does not implement CompareAndSwapper"}
			case cfg.AtomicSave:
				return nil, &ConfigError{Field: "CompareAndSetSave", Msg: "set AtomicSave or CompareAndSetSave, not both"}
			}
			ce.cas = cas
		}
	}
	if r.engine != EngineCache && r.engine != EngineCachedDB && (cfg.AtomicSave || cfg.CompareAndSetSave) {
		return nil, &ConfigError{Field: "AtomicSave", Msg: "AtomicSave and CompareAndSetSave apply to the cache engine only"}
	}
	switch r.engine {
	case EngineCache:
		st.eng = ce
	case EngineDB:
		st.eng = &dbEngine{st: st, table: cfg.DB}
	case EngineCachedDB:
		st.eng = &cachedDBEngine{db: dbEngine{st: st, table: cfg.DB}, cache: ce}
	case EngineFile:
		st.eng = &fileEngine{st: st}
	}
	return st, nil
}

// Cache returns [Config].Cache: the cache of the cache and cached_db engines (nil for others).
func (st *Store) Cache() Cache { return st.cfg.Cache }

// Engine returns the store's SESSION_ENGINE, in its full dotted form.
func (st *Store) Engine() string { return st.cfg.engine }

// CacheKey returns the backend key of a session key under the cache engines:
// KEY_FUNCTION(engine prefix + sessionKey, KEY_PREFIX, VERSION), e.g.
// ":1:django.contrib.sessions.cache" + sessionKey. For cached_db it is the key of the cache
// copy. Other engines have no cache key: it returns "".
func (st *Store) CacheKey(sessionKey string) string {
	if st.cfg.keyPrefix == "" {
		return ""
	}
	return st.cfg.KeyFunction(st.cfg.keyPrefix+sessionKey, st.cfg.KeyPrefix, st.cfg.Version)
}

// New returns a new empty session with no key, as SessionStore(None). Its first Save creates
// it under a new key.
func (st *Store) New() *Session {
	return &Session{store: st}
}

// Load returns the session stored under key (typically the session cookie's value), as
// SessionStore(key) followed by its lazy load. For [EngineSignedCookies] the key is the cookie
// value itself.
//
// As in Django, a key shorter than 8 characters, a key the storage refuses, a missing or
// expired session and a value that is not a session all give a new empty session: on first
// use of its data its key is dropped, so that a save creates a new key and a stale or forged
// cookie is never reused. [Session.LoadError] says which.
//
// Load reads the stored value and checks all of it, as strictly as a full decode (a value
// Django could not load is a miss here, not a failure at the first read), but builds the
// session's values only when they are read: a request that asks who is logged in builds the
// three auth values, whatever else the session holds. This holds for the pickles of the cache
// engine and of cached_db's cache copy, and for the JSON of the db, file and signed_cookies
// engines under Django's default JSONSerializer; other stored values (a PickleSerializer
// app's, a pickle holding datetimes or sets, cached_db's row) are decoded whole. A Save then
// appends the changed items to the stored pickle, or splices them into the stored JSON, and
// does not encode the untouched values again (cached_db encodes whole: it writes both forms).
//
// Unlike Django, which treats some storage exceptions as a miss, an error from the server
// (down, timeout, cancelled context) is returned as an error and no Session: a failed load
// cannot be saved back over the stored session as an empty one. So is a stored session Django
// would read but this Store cannot ([ErrUnreadable]), and one holding an instance of a class
// outside the codec's allow-list (an error wrapping a *pickle.ForbiddenGlobalError; list the
// class in Config.Codec.AllowGlobals).
func (st *Store) Load(ctx context.Context, key string) (*Session, error) {
	s := &Session{store: st}
	if !ValidSessionKey(key) {
		// Django's session_key setter turns it into None: a new, empty session.
		s.missErr = errBadSessionKey
		return s, nil
	}
	s.key = key
	if err := st.fetch(ctx, s); err != nil {
		return nil, err
	}
	return s, nil
}

// fetch reads the session stored under s.key into s (Load's work): s.fetched, or s.miss when
// Django's load would find no session. It returns the errors Load returns.
func (st *Store) fetch(ctx context.Context, s *Session) error {
	var v stored
	var why, err error
	if st.eng == nil {
		v, why = st.loadSignedCookie(s.key)
	} else {
		v, why, err = st.eng.load(ctx, s, s.key)
	}
	if err != nil {
		return err
	}
	if !v.found() {
		s.miss, s.missErr = true, why
		st.warn(ctx, "djangosession: no session under the request's key; Django starts an empty one too", why)
		return nil
	}
	// Data Django cannot decode either (db, file) is an empty session that keeps its key.
	s.fetched, s.missErr = v, why
	if why != nil {
		st.warn(ctx, "djangosession: stored session data cannot be decoded; Django reads it as empty too", why)
	}
	return nil
}

// errBadSessionKey is the LoadError of a key Django does not accept as a session key. It does
// not quote the key: a session key is a credential.
var errBadSessionKey = fmt.Errorf("djangosession: not a session key (Django requires at least %d characters): %w", MinSessionKeyLength, ErrInvalidKey)

// Exists reports whether a session is stored under key (Django's exists(session_key)). An
// empty key does not exist; under signed cookies nothing does (Django returns False).
func (st *Store) Exists(ctx context.Context, key string) (bool, error) {
	if key == "" || st.eng == nil {
		return false, nil
	}
	return st.eng.exists(ctx, key)
}

// Delete removes the session stored under key (Django's delete(session_key)). A missing
// session is not an error. Signed-cookie sessions are not stored: there is nothing to delete.
func (st *Store) Delete(ctx context.Context, key string) error {
	if key == "" || st.eng == nil {
		return nil
	}
	return st.eng.delete(ctx, key)
}

// ClearExpired removes the expired sessions, as `manage.py clearsessions` (the engine's
// clear_expired) does, and reports how many it removed. The cache and signed-cookie engines
// have nothing to clear (their storage expires sessions itself): it returns 0.
func (st *Store) ClearExpired(ctx context.Context) (int64, error) {
	if st.eng == nil {
		return 0, nil
	}
	return st.eng.clearExpired(ctx)
}

// maxCreateTries is Django's bound on create(): range(10000) in the cache engine (the db and
// file engines loop without a bound; here each is bounded the same).
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

// ctxError is a cancelled or expired context met before an operation on the storage: a
// *CacheError for the cache engines (as the cache's own errors are), else ctx's error.
func (st *Store) ctxError(op string, err error) error {
	if st.cfg.keyPrefix != "" {
		return NewCacheError(op, st.cfg.keyPrefix, err)
	}
	return err
}
