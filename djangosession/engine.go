package djangosession

import (
	"context"
	"errors"
	"time"

	"github.com/djangobridge/bridge/pickle"
	"github.com/djangobridge/bridge/py"
	"github.com/djangobridge/bridge/pyjson"
)

// engine is the storage of one SESSION_ENGINE: the methods of Django's SessionStore classes
// that do I/O (load, exists, save, delete, clear_expired). The [Session] holds the state (key,
// data, accessed and modified flags) and decides, as SessionBase does, when to call them; the
// engine only reads and writes. Each engine lives in its own file: cache.go, db.go,
// cacheddb.go, file.go; signed cookies, which have no storage, are Session logic
// (signedcookies.go).
type engine interface {
	// load reads the session stored under key. When Django's load() finds no session (none
	// stored, expired, a value that is not a session) it returns no stored session and the
	// reason, which becomes [Session.LoadError]. err is a failure of the storage, or a session
	// Django could read and Go cannot (ErrUnreadable): never a miss.
	load(ctx context.Context, s *Session, key string) (v stored, why error, err error)

	// exists is exists(session_key): whether a session is stored under key.
	exists(ctx context.Context, key string) (bool, error)

	// save stores d under key. With mustCreate (Django's save(must_create=True)) it stores
	// only if no session has the key, and reports false, with no error, when one has
	// (CreateError). Without, it updates the stored session, and fails with ErrUpdate when
	// there is none (UpdateError).
	save(ctx context.Context, s *Session, key string, d *py.Dict, mustCreate bool) (created bool, err error)

	// delete is delete(session_key): a missing session is not an error.
	delete(ctx context.Context, key string) error

	// clearExpired is the clear_expired class method (manage.py clearsessions): it removes the
	// expired sessions and reports how many, where the engine can tell.
	clearExpired(ctx context.Context) (int64, error)
}

// stored is a session an engine read: its dict, or a lazy form of it, checked whole but with
// its values built on first use. Neither set: no session.
type stored struct {
	dict *py.Dict
	lazy lazyDict
}

func (v stored) found() bool { return v.dict != nil || v.lazy != nil }

// get returns the value under key, built if need be ("" for none).
func (v stored) get(key string) any {
	if v.lazy != nil {
		x, _, _ := v.lazy.Get(key)
		return x
	}
	x, _ := v.dict.Get(key)
	return x
}

// lazyDict is a stored session dict whose values are built on first read:
// *pickle.LazyDict for the cache engines' pickles, *pyjson.Object for session_data (db, file).
type lazyDict interface {
	Len() int
	Keys() []string
	Has(key string) bool
	Get(key string) (any, bool, error)
	Dict() (*py.Dict, error)
}

var (
	_ lazyDict = (*pickle.LazyDict)(nil)
	_ lazyDict = (*pyjson.Object)(nil)
)

// ErrUnreadable: a stored session that Django would read and this Store cannot: its signature
// verifies under none of the configured keys (SecretKey, SecretKeyFallbacks), or it is
// compressed or serialized otherwise than configured. Django's own sessions are trusted
// storage (a database row, a file, the app's cache): what fails here is almost always Go's
// configuration, so the session is neither treated as empty nor overwritten; the error goes
// to the caller (the [Middleware] answers 500). Check the settings against settings.py, or run
// `djangosession check`.
var ErrUnreadable = errors.New("djangosession: stored session cannot be read with this configuration (check SECRET_KEY, SECRET_KEY_FALLBACKS, SESSION_SERIALIZER and the cache's compressor)")

// ageUntil is get_expiry_age(expiry=t) for a stored expiry date t (an expire_date column, a
// file's expiry): the whole seconds from now until t, floored.
func (st *Store) ageUntil(t time.Time) time.Duration {
	now := st.now()
	var exp pyTime
	if st.cfg.DisableUseTZ {
		w := t.In(st.cfg.loc)
		y, mo, d := w.Date()
		h, mi, sec := w.Clock()
		exp = pyTime{wall: time.Date(y, mo, d, h, mi, sec, w.Nanosecond(), time.UTC)}
	} else {
		u := t.UTC()
		exp = pyTime{wall: u, at: u, aware: true}
	}
	n, _ := sub(exp, now) // both naive or both aware
	return seconds(n)
}

// warn tells Config.Logger why a session is treated as empty (never its key).
func (st *Store) warn(ctx context.Context, msg string, err error) {
	if st.cfg.Logger != nil {
		st.cfg.Logger.WarnContext(ctx, msg, "engine", st.cfg.engine, "reason", err.Error())
	}
}
