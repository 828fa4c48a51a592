package djangosession

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/djangobridge/bridge/djangosession/dbstore"
	"github.com/djangobridge/bridge/py"
	"github.com/djangobridge/bridge/pyjson"
	"github.com/djangobridge/bridge/signing"
)

// dbEngine is django.contrib.sessions.backends.db: a row of the session table (dbstore.Table)
// whose session_data is the signed, compressed, serialized dict and whose expire_date is
// get_expiry_date() at the last save.
type dbEngine struct {
	st    *Store
	table *dbstore.Table
}

// dataOptions are the SessionDataOptions of the store's settings.
func (st *Store) dataOptions() SessionDataOptions {
	return SessionDataOptions{SecretKey: st.cfg.SecretKey, SecretKeyFallbacks: st.cfg.SecretKeyFallbacks,
		Serializer: st.cfg.serializer, Now: st.cfg.Now, Django32: st.cfg.version == 0,
		MaxDecompressedSize: st.cfg.MaxDecompressedSize}
}

// decodeData is SessionBase.decode(session_data) for data read from trusted storage (a row, a
// file). Django returns an empty dict, keeping the key, for anything it cannot decode. Here a
// signature that verifies under none of the configured keys is ErrUnreadable: Django, with its
// own SECRET_KEY, reads that row, and an empty session saved over it would log the user out of
// Django too. Other failures (data Django cannot decode either) give Django's empty dict, with
// the reason for LoadError.
//
// Under the JSON serializer (Django's default) the data is read lazily: the signature and the
// inflate cover the whole value, and so does the JSON check (pyjson.UnmarshalObject), but the
// values are built on first read.
func (st *Store) decodeData(data string) (stored, error, error) {
	opts := st.dataOptions()
	if _, ok := opts.Serializer.(signing.JSONSerializer); ok {
		opts.Serializer = signing.LazyJSONSerializer{}
	}
	v, _, err := decodeSessionDataValue(data, opts)
	if err == nil {
		if o, ok := v.(*pyjson.Object); ok {
			return stored{lazy: o}, nil, nil
		}
		var d *py.Dict
		if d, err = asDict(v); err == nil {
			return stored{dict: d}, nil, nil
		}
	}
	if errors.Is(err, signing.ErrBadSignature) {
		return stored{}, nil, fmt.Errorf("%w: %w", ErrUnreadable, err)
	}
	return stored{dict: py.NewDict(0)}, err, nil
}

// encodeData is SessionBase.encode of the session to save: d, or, when d is nil, the lazy
// session s, whose JSON is its stored JSON with the changes spliced in (pyjson.Object's
// AppendEncode: the untouched values are copied, not encoded again). It also returns the
// custom expiry ("_session_expiry"), for the expiry date.
func (st *Store) encodeData(s *Session, d *py.Dict) (string, any, error) {
	opts := st.dataOptions()
	var expiry any
	if d == nil {
		expiry, _ = s.lazyGet(s.lazy, ExpiryKey)
		var err error
		if d, opts.Serializer, err = s.jsonToWrite(opts.Serializer); err != nil {
			return "", nil, err
		}
	} else {
		expiry, _ = d.Get(ExpiryKey)
	}
	data, err := EncodeSessionData(d, opts)
	return data, expiry, err
}

// errBadRowKey is the LoadError of a cookie value no session row can have: one with a NUL byte
// or invalid UTF-8 (PostgreSQL refuses such text with an error, which Django lets through as a
// 500; a forged cookie is not a server failure, so here it is Django's other answer, no session).
var errBadRowKey = fmt.Errorf("djangosession: the key has a NUL byte or invalid UTF-8, which no session_key holds: %w", ErrInvalidKey)

func validRowKey(key string) bool {
	return utf8.ValidString(key) && !strings.ContainsRune(key, 0)
}

// load is db.SessionStore.load: the row with the key whose expire_date is after now.
func (e *dbEngine) load(ctx context.Context, s *Session, key string) (stored, error, error) {
	if !validRowKey(key) {
		return stored{}, errBadRowKey, nil
	}
	data, err := e.table.LoadData(ctx, key, e.st.cfg.Now())
	if errors.Is(err, dbstore.ErrNotFound) {
		return stored{}, errNoRow, nil
	}
	if err != nil {
		return stored{}, nil, err
	}
	return e.st.decodeData(data)
}

// errNoRow is the LoadError of a key with no unexpired row.
var errNoRow = fmt.Errorf("djangosession: no unexpired row for the key: %w", ErrNotFound)

// loadRow is load that also returns the row's expire_date (cached_db's cache timeout).
func (e *dbEngine) loadRow(ctx context.Context, key string) (*py.Dict, time.Time, error, error) {
	if !validRowKey(key) {
		return nil, time.Time{}, errBadRowKey, nil
	}
	data, expire, err := e.table.Load(ctx, key, e.st.cfg.Now())
	if errors.Is(err, dbstore.ErrNotFound) {
		return nil, time.Time{}, errNoRow, nil
	}
	if err != nil {
		return nil, time.Time{}, nil, err
	}
	v, why, err := e.st.decodeData(data)
	if err != nil || v.lazy == nil {
		return v.dict, expire, why, err
	}
	// cached_db refills its cache copy with the whole dict.
	d, err := v.lazy.Dict()
	return d, expire, why, err
}

func (e *dbEngine) exists(ctx context.Context, key string) (bool, error) {
	if !validRowKey(key) {
		return false, nil
	}
	return e.table.Exists(ctx, key)
}

// save is db.SessionStore.save: an INSERT (force_insert) when creating, else an UPDATE
// (force_update) that must find the row.
func (e *dbEngine) save(ctx context.Context, s *Session, key string, d *py.Dict, mustCreate bool) (bool, error) {
	data, v, err := e.st.encodeData(s, d)
	if err != nil {
		return false, err
	}
	expire, err := e.st.expiryDate(v, e.st.now())
	if err != nil {
		return false, err
	}
	if mustCreate {
		err := e.table.Insert(ctx, key, data, expire)
		if errors.Is(err, dbstore.ErrDuplicate) {
			return false, nil
		}
		return err == nil, err
	}
	err = e.table.Update(ctx, key, data, expire)
	if errors.Is(err, dbstore.ErrNoRow) {
		return false, ErrUpdate
	}
	return false, err
}

func (e *dbEngine) delete(ctx context.Context, key string) error {
	if !validRowKey(key) {
		return nil
	}
	return e.table.Delete(ctx, key)
}

func (e *dbEngine) clearExpired(ctx context.Context) (int64, error) {
	return e.table.ClearExpired(ctx, e.st.cfg.Now())
}
