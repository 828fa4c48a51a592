package djangosession

import (
	"context"
	"errors"

	"github.com/djangobridge/bridge/py"
)

// cachedDBEngine is django.contrib.sessions.backends.cached_db: the db engine's row is the
// session; the cache holds a pickled copy under "django.contrib.sessions.cached_db" + key, read
// first and written after the row.
type cachedDBEngine struct {
	db    dbEngine
	cache *cacheEngine
}

// load is cached_db.SessionStore.load: the cache copy; when the cache has none (or fails, or
// refuses the key: Django catches every exception there), the row, and then the cache is
// refilled with the row's data until its expire_date (a failure of that write is an error, as
// in Django).
func (e *cachedDBEngine) load(ctx context.Context, s *Session, key string) (stored, error, error) {
	cacheKey := e.cache.key(key)
	if raw, err := e.cache.cache.Get(ctx, cacheKey); err == nil {
		// A copy that does not unpickle to a dict is None to Django (its cache.get raised,
		// or returned a value load() then used): read the row.
		if v, _, derr := e.cache.decode(raw); v.found() && derr == nil {
			return v, nil, nil
		}
	}
	if err := ctx.Err(); err != nil {
		return stored{}, nil, err
	}
	d, expire, why, err := e.db.loadRow(ctx, key)
	if err != nil || d == nil || why != nil {
		return stored{dict: d}, why, err
	}
	value, err := e.cache.st.codec.Encode(d)
	if err != nil {
		return stored{}, nil, err
	}
	if err := e.cache.cache.Set(ctx, cacheKey, value, e.db.st.ageUntil(expire)); err != nil {
		return stored{}, nil, err
	}
	return stored{dict: d}, nil, nil
}

// exists is cached_db's: the cache copy (cache.has_key; its errors are not caught), or the row.
func (e *cachedDBEngine) exists(ctx context.Context, key string) (bool, error) {
	ok, err := e.cache.exists(ctx, key)
	if err != nil || ok {
		return ok, err
	}
	return e.db.exists(ctx, key)
}

// save writes the row (the db engine's save), then the cache copy. Django 3.2 and 4.2 let a
// failure of the cache write through; 5.0+ log it ("Error saving to cache") and carry on, the
// row being saved.
func (e *cachedDBEngine) save(ctx context.Context, s *Session, key string, d *py.Dict, mustCreate bool) (bool, error) {
	created, err := e.db.save(ctx, s, key, d, mustCreate)
	if err != nil || (mustCreate && !created) {
		return created, err
	}
	st := e.db.st
	value, age, err := e.cache.encode(s, d)
	if err == nil {
		err = e.cache.cache.Set(ctx, e.cache.key(key), value, age)
	}
	if err != nil {
		if st.cfg.version >= 2 { // 5.2+ (5.0 on)
			st.warn(ctx, "djangosession: error saving to cache (the row is saved; Django 5.0+ logs this and carries on)", err)
			return created, nil
		}
		return created, err
	}
	return created, nil
}

// delete removes the row, then the cache copy.
func (e *cachedDBEngine) delete(ctx context.Context, key string) error {
	if err := e.db.delete(ctx, key); err != nil {
		return err
	}
	err := e.cache.delete(ctx, key)
	if errors.Is(err, ErrInvalidKey) {
		return nil // nothing can be stored under a key the cache refuses
	}
	return err
}

func (e *cachedDBEngine) clearExpired(ctx context.Context) (int64, error) {
	return e.db.clearExpired(ctx)
}
