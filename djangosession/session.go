package djangosession

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"math/big"
	"slices"
	"time"

	"github.com/djangobridge/bridge/pickle"
	"github.com/djangobridge/bridge/py"
	"github.com/djangobridge/bridge/pyjson"
	"github.com/djangobridge/bridge/signing"
)

// Session is one session: Django's request.session. Get it from
// [Store.Load] or [Store.New].
//
// Its dict methods behave as Django's (SessionBase): reads set the accessed flag, writes set
// the modified flag too, as Django's middleware expects (it adds "Vary: Cookie" when a session
// was accessed, and saves it when it was modified). Load fetches the value at once, but the
// session behaves as Django's lazy one: the key of a missing session is dropped, and the flags
// change, on the first use of the data, not by Load. The flags are not reset by Save.
//
// Nested values are shared with the session: after changing one in place (a list, a *Dict),
// call MarkModified, as a Django view sets request.session.modified = True.
//
// A session loaded from storage builds its values on demand (see [Store.Load]): Get, String,
// Int, Bool and the typed getters build the value they read, once; Has, Len, Keys and Set
// build none. Remove, Pop, SetDefault, Update, Data and All build the whole dict first. Save
// writes the values Set, and the values read that can change in place (lists, dicts, ...),
// over the stored session; the rest is written back from the stored bytes.
//
// A Session is not safe for concurrent use: it belongs to one request (one goroutine at a time),
// as Django's request.session does. Sessions of the same [Store] may be used concurrently, and
// two Sessions of the same key are two writers of one stored value: see
// [Config].CompareAndSetSave.
type Session struct {
	store   *Store
	key     string   // "" is Django's None
	data    *py.Dict // Django's _session_cache, valid when loaded and lazy is nil
	loaded  bool     // whether _session_cache exists
	fetched stored   // what Load read, applied on first use
	// lazy, when set, holds the loaded data instead of data: its values are built on first
	// read, and changed holds the items set since (nil until the first Set). Any other change
	// (a removal, Data, All, ...) builds the whole dict into data and drops lazy.
	lazy     lazyDict
	changed  *py.Dict
	reads    []string // the keys of the lazy values built that a caller may change in place
	lazyErr  error    // a lazy value that could not be built: Save refuses to write
	miss     bool     // Load found no session: drop the key on first use
	missErr  error    // why Load found no session (see LoadError)
	base     []byte   // CompareAndSetSave: the stored value this Session read or last wrote
	accessed bool
	modified bool
	gen      uint64 // counts the changes, for the middleware's late-change check
}

// touch sets the modified flag and counts a change.
func (s *Session) touch() {
	s.modified = true
	s.gen++
}

var errNoStore = errors.New("djangosession: Session not made by a Store")

// session is Django's _get_session(): the dict, loaded on first use (and built whole, when
// the session was loaded lazily).
func (s *Session) session() *py.Dict {
	s.accessed = true
	if !s.loaded {
		s.apply()
	}
	if s.lazy != nil {
		s.materialize()
	}
	return s.data
}

// view is session for the reads and writes the lazy form serves itself: it returns the lazy
// form, or nil when the dict is in s.data.
func (s *Session) view() lazyDict {
	s.accessed = true
	if !s.loaded {
		s.apply()
	}
	return s.lazy
}

// materialize builds the whole dict of a lazy session into s.data, with the changes made.
func (s *Session) materialize() {
	d, err := s.lazy.Dict()
	if err != nil {
		// A checked pickle that does not decode whole: never written back as empty.
		s.lazyErr = fmt.Errorf("djangosession: the stored session could not be built: %w", err)
		d = py.NewDict(0)
	}
	if s.changed != nil {
		for _, it := range s.changed.Items() {
			d.SetKey(it.Key, it.Value) // str keys: cannot fail
		}
	}
	s.data, s.lazy, s.changed, s.reads = d, nil, nil, nil
}

// lazyGet is Get on a lazy session.
func (s *Session) lazyGet(l lazyDict, key string) (any, bool) {
	if s.changed != nil {
		if v, ok := s.changed.Get(key); ok {
			return v, true
		}
	}
	v, ok, err := l.Get(key)
	if err != nil {
		s.lazyErr = fmt.Errorf("djangosession: session[%q] could not be built: %w", key, err)
		return nil, false
	}
	if ok && !isImmutable(v) && !slices.Contains(s.reads, key) {
		s.reads = append(s.reads, key)
	}
	return v, ok
}

// isImmutable reports whether v is a value a caller cannot change in place.
func isImmutable(v any) bool {
	switch v.(type) {
	case nil, bool, int64, float64, string:
		return true
	}
	return false
}

// pending returns what a Save of a lazy session writes over the stored session: the values
// read that the caller may have changed in place (lists, dicts, ...), then the items Set.
func (s *Session) pending() []py.Item {
	var items []py.Item
	for _, k := range s.reads {
		if s.changed != nil && s.changed.Has(k) {
			continue
		}
		v, _, _ := s.lazy.Get(k) // built: no error
		items = append(items, py.Item{Key: k, Value: v})
	}
	if s.changed != nil {
		items = append(items, s.changed.Items()...)
	}
	return items
}

// jsonToWrite is what a JSON engine's save (session_data, signed cookies) serializes: for a
// session loaded lazily from JSON, no dict and a serializer that writes its stored JSON with the
// pending items spliced in (pyjson.Object.AppendEncode); for any other, the whole dict and ser.
func (s *Session) jsonToWrite(ser signing.Serializer) (*py.Dict, signing.Serializer, error) {
	if o, ok := s.view().(*pyjson.Object); ok {
		var changes *py.Dict
		if items := s.pending(); len(items) > 0 {
			changes = py.NewDict(len(items))
			for _, it := range items {
				changes.Set(it.Key.(string), it.Value)
			}
		}
		b, err := o.AppendEncode(nil, changes, nil)
		return nil, encodedJSON(b), err
	}
	d := s.session()
	return d, ser, s.lazyErr
}

// apply makes the result of Load visible: the fetched dict, or an empty one, with the key
// dropped after a miss.
func (s *Session) apply() {
	s.loaded = true
	switch {
	case s.key == "":
		s.data = py.NewDict(0)
	case s.miss && s.store != nil && s.store.eng == nil:
		// Signed cookies: load() calls create(), which only sets modified; the key stays.
		s.data = py.NewDict(0)
		s.touch()
	case s.miss:
		s.key = ""
		s.data = py.NewDict(0)
	case s.fetched.lazy != nil:
		s.lazy = s.fetched.lazy
	case s.fetched.dict != nil:
		s.data = s.fetched.dict
	default:
		s.data = py.NewDict(0)
	}
	s.fetched, s.miss = stored{}, false
}

// LoadError reports why [Store.Load] found no session under the requested key, where Django
// would silently start an empty one: an error matching ErrNotFound (no such key), ErrCorrupt (the
// stored value is not a pickled session dict: the wrapped error says what it is, e.g. a
// *[pickle.Error] with its offset) or ErrInvalidKey (the key is not a session key, as an empty or
// short cookie value, or the backend refused it). It is nil when Load found the session, and for
// a Session made by [Store.New]. The Session itself behaves as Django's regardless; LoadError is for logging and
// debugging ("why was this user logged out?").
func (s *Session) LoadError() error { return s.missErr }

// DjangoVersion returns the Django version of the Store the session came from ([Config].DjangoVersion):
// what decides how the contrib apps write their values into it.
func (s *Session) DjangoVersion() string {
	if s.store == nil {
		return DjangoVersions[len(DjangoVersions)-1]
	}
	return s.store.cfg.DjangoVersion
}

// Key returns the session key, "" when there is none. After Load of a missing session it is the
// requested key until the data is first used, as in Django.
func (s *Session) Key() string { return s.key }

// Accessed reports whether the session was read or written (Django's accessed).
func (s *Session) Accessed() bool { return s.accessed }

// Modified reports whether the session was changed and needs a Save (Django's modified).
func (s *Session) Modified() bool { return s.modified }

// MarkModified sets the modified flag, as request.session.modified = True.
func (s *Session) MarkModified() { s.touch() }

// IsEmpty reports Django's is_empty(): no key and no data. A session with a key whose data was
// never used is not empty, whether or not it exists; Django's middleware deletes the cookie
// only of an empty session.
func (s *Session) IsEmpty() bool {
	if s.key != "" {
		return false
	}
	return !s.loaded || s.Len() == 0
}

// Get returns the value under key (session.get(key)). A session loaded from the cache builds
// the value on its first read only (see [Store.Load]).
func (s *Session) Get(key string) (any, bool) {
	if l := s.view(); l != nil {
		return s.lazyGet(l, key)
	}
	return s.data.Get(key)
}

// String returns the value under key if it is a str.
func (s *Session) String(key string) (string, bool) {
	v, _ := s.Get(key)
	x, ok := v.(string)
	return x, ok
}

// Int returns the value under key if it is an int that fits in an int64 (not a bool).
func (s *Session) Int(key string) (int64, bool) {
	v, _ := s.Get(key)
	x, ok := v.(int64)
	return x, ok
}

// Bool returns the value under key if it is a bool.
func (s *Session) Bool(key string) (bool, bool) {
	v, _ := s.Get(key)
	x, ok := v.(bool)
	return x, ok
}

// Has reports whether key is in the session (key in session). It builds no value.
func (s *Session) Has(key string) bool {
	if l := s.view(); l != nil {
		return l.Has(key) || (s.changed != nil && s.changed.Has(key))
	}
	return s.data.Has(key)
}

// Len returns the number of keys (len(session)). It builds no value.
func (s *Session) Len() int {
	if l := s.view(); l != nil {
		n := l.Len()
		if s.changed != nil {
			for _, it := range s.changed.Items() {
				if !l.Has(it.Key.(string)) {
					n++
				}
			}
		}
		return n
	}
	return s.data.Len()
}

// Keys returns the keys in order (session.keys()). Django's keys are str; a pickle written by
// other code may hold keys of other types. It builds no value.
func (s *Session) Keys() []any {
	if l := s.view(); l != nil {
		ks := l.Keys()
		out := make([]any, 0, len(ks)+s.changedLen())
		for _, k := range ks {
			out = append(out, k)
		}
		if s.changed != nil {
			for _, it := range s.changed.Items() {
				if !l.Has(it.Key.(string)) {
					out = append(out, it.Key)
				}
			}
		}
		return out
	}
	return s.data.Keys()
}

func (s *Session) changedLen() int {
	if s.changed == nil {
		return 0
	}
	return s.changed.Len()
}

// All iterates over the items in order (session.items()).
func (s *Session) All() iter.Seq2[any, any] { return s.session().All() }

// Data returns the session dict itself. Changing it does not set the modified flag: call
// MarkModified.
func (s *Session) Data() *py.Dict { return s.session() }

// Set stores value under key (session[key] = value) and marks the session modified. A value
// the session's serializer cannot write (a Go type with no Python equivalent; under the JSON
// serializer of the db, cached_db, file and signed-cookie engines, anything JSON cannot hold,
// as a datetime or a set) is refused at once with an error, and the session is left as it was:
// Django would only fail when saving, with a 500 at the end of the request.
func (s *Session) Set(key string, value any) error {
	if s.store != nil {
		if err := s.store.checkEncodable(value); err != nil {
			return fmt.Errorf("djangosession: session[%q] = %T: %w", key, value, err)
		}
	}
	if s.view() != nil {
		if s.changed == nil {
			s.changed = py.NewDict(1)
		}
		s.changed.Set(key, value)
	} else {
		s.data.Set(key, value)
	}
	s.touch()
	return nil
}

// Remove deletes key and reports whether it was there (del session[key], which raises KeyError
// and leaves the session unmodified for a missing key).
func (s *Session) Remove(key string) bool {
	if !s.session().Remove(key) {
		return false
	}
	s.touch()
	return true
}

// Pop removes key and returns its value (session.pop(key, None)). The session is modified only
// if the key was there.
func (s *Session) Pop(key string) (any, bool) {
	d := s.session()
	v, ok := d.Get(key)
	if ok {
		d.Remove(key)
		s.touch()
	}
	return v, ok
}

// SetDefault returns the value under key, storing value first if the key is missing
// (session.setdefault(key, value)); only the insertion modifies the session.
func (s *Session) SetDefault(key string, value any) any {
	d := s.session()
	if v, ok := d.Get(key); ok {
		return v
	}
	d.Set(key, value)
	s.touch()
	return value
}

// Update copies every item of d into the session (session.update(d)), marking it modified.
// It fails, changing nothing, if d holds a key the session dict cannot hold.
func (s *Session) Update(d *py.Dict) error {
	dst := s.session()
	tmp := dst.Clone()
	for k, v := range d.All() {
		if err := tmp.SetKey(k, v); err != nil {
			return err
		}
	}
	*dst = *tmp
	s.touch()
	return nil
}

// Clear empties the session without loading it (session.clear()); the key is kept.
func (s *Session) Clear() {
	s.data = py.NewDict(0)
	s.loaded = true
	s.lazy, s.changed, s.reads = nil, nil, nil
	s.fetched, s.miss = stored{}, false
	s.accessed = true
	s.touch()
}

// Django's test cookie (set_test_cookie and friends).
const (
	TestCookieName  = "testcookie"
	TestCookieValue = "worked"
)

// SetTestCookie stores session["testcookie"] = "worked".
func (s *Session) SetTestCookie() { s.Set(TestCookieName, TestCookieValue) }

// TestCookieWorked reports whether session["testcookie"] is "worked".
func (s *Session) TestCookieWorked() bool {
	v, _ := s.String(TestCookieName)
	return v == TestCookieValue
}

// DeleteTestCookie removes the test cookie entry.
func (s *Session) DeleteTestCookie() { s.Remove(TestCookieName) }

// ExpiryAge returns get_expiry_age(): the time left until the session expires, counted from
// now, in whole seconds (floored, and negative once the expiry date is past). It is the cache
// timeout of the next Save. It fails (matching ErrCorrupt) for a "_session_expiry" Django could
// not use either: an unparsable date, a naive date with USE_TZ or an aware one without, an ISO
// string for Django 3.2. Ages beyond about 292 years saturate.
func (s *Session) ExpiryAge() (time.Duration, error) {
	if s.store == nil {
		return 0, errNoStore
	}
	v, _ := s.Get(ExpiryKey)
	return s.store.expiryAge(v, s.store.now())
}

// ExpiryDate returns get_expiry_date(): the custom expiry date, or now plus the expiry age.
// A naive date is read in TIME_ZONE.
func (s *Session) ExpiryDate() (time.Time, error) {
	if s.store == nil {
		return time.Time{}, errNoStore
	}
	v, _ := s.Get(ExpiryKey)
	return s.store.expiryDate(v, s.store.now())
}

// ExpireAtBrowserClose returns get_expire_at_browser_close(): SESSION_EXPIRE_AT_BROWSER_CLOSE
// when there is no custom expiry, else whether it is 0.
func (s *Session) ExpireAtBrowserClose() bool {
	v, _ := s.Get(ExpiryKey)
	switch x := v.(type) {
	case nil:
		return s.store != nil && s.store.cfg.SessionExpireAtBrowserClose
	case int64, int, bool, float64, *big.Int:
		return !pyTruthy(x)
	}
	return false
}

// SetExpirySeconds is set_expiry(n) for an int: the session expires n seconds after its last
// save; 0 makes the cookie a browser-session cookie (the cache timeout is then the cookie age).
func (s *Session) SetExpirySeconds(n int) { s.Set(ExpiryKey, int64(n)) }

// SetExpiryAt is set_expiry(datetime): the session expires at t. The value is written as the
// configured Django version stores it: an ISO string (4.2+) or a pickled datetime (3.2), in UTC
// with USE_TZ, else as the naive wall clock in TIME_ZONE. t is cut to microseconds.
//
// Django 3.2 stores a datetime, which its JSON serializer cannot write: under the db, cached_db,
// file and signed-cookie engines of a 3.2 app, SetExpiryAt fails as Set does (Django fails when
// saving).
func (s *Session) SetExpiryAt(t time.Time) error {
	if s.store == nil {
		return errNoStore
	}
	return s.Set(ExpiryKey, s.store.expiryValue(t))
}

// SetExpiryIn is set_expiry(timedelta): the session expires at now + d.
func (s *Session) SetExpiryIn(d time.Duration) error {
	if s.store == nil {
		return errNoStore
	}
	return s.SetExpiryAt(s.store.cfg.Now().Truncate(time.Microsecond).Add(d.Truncate(time.Microsecond)))
}

// ClearExpiry is set_expiry(None): the session goes back to the global policy. The session is
// modified only if it had a custom expiry.
func (s *Session) ClearExpiry() { s.Remove(ExpiryKey) }

// Save writes the session (Django's save()). A session without a key is created under a new
// one (see Create). Otherwise Save updates the stored session, with the expiry Django computes
// (the cache timeout, the row's expire_date): like Django it fails with ErrUpdate, writing
// nothing, when the session was deleted meanwhile (the cache engine checks with a GET first, or
// with [Config].AtomicSave in one REPLACE). With [Config].CompareAndSetSave, a session changed
// meanwhile is not written either: Save returns ErrConflict. Under [EngineSignedCookies] Save
// signs the data into a new key, the cookie value.
func (s *Session) Save(ctx context.Context) error {
	st := s.store
	if st == nil {
		return errNoStore
	}
	if st.eng == nil {
		return s.saveSignedCookie()
	}
	if s.key == "" {
		return s.Create(ctx)
	}
	if !s.loaded && s.miss {
		// Load found no session and its data was never used. Django's save() looks again: no
		// session is UpdateError (the key and the unused state stay as they were); a session
		// another writer stored since is loaded now, by _get_session(), and written back.
		prev := s.missErr
		s.miss, s.missErr = false, nil
		if err := st.fetch(ctx, s); err != nil {
			s.miss, s.missErr = true, prev
			return err
		}
		if s.miss {
			return ErrUpdate
		}
	}
	var d *py.Dict
	switch st.eng.(type) {
	case *cacheEngine, *dbEngine, *fileEngine:
		// These save a lazy session themselves (d nil: see cacheEngine.encode and
		// Store.encodeData); cached_db writes the row and the cache copy from the whole dict.
		if s.view() == nil {
			d = s.data
		}
	default:
		d = s.session()
	}
	if s.lazyErr != nil {
		return s.lazyErr
	}
	_, err := st.eng.save(ctx, s, s.key, d, false)
	return err
}

// appendPickle is the pickle of a lazy session for the cache engine: the stored pickle with
// the items set since Load appended, and the values read since, which the caller may have
// changed in place, unless they are immutable (see pickle.LazyDict.AppendItems). It reports
// false when the session must be encoded whole.
func (s *Session) appendPickle() ([]byte, bool, error) {
	l, ok := s.lazy.(*pickle.LazyDict)
	if !ok {
		return nil, false, nil
	}
	return l.AppendItems(s.pending())
}

// Create saves the session under a new key (Django's create()): it draws random keys until one
// is free and stores the current data only if the key is still free, retrying on a collision,
// at most 10000 times; then it fails with ErrCreate. A session whose data was never used is
// created empty, as in Django. On success the session is modified; on failure its key is
// unchanged.
func (s *Session) Create(ctx context.Context) error {
	st := s.store
	if st == nil {
		return errNoStore
	}
	if !s.loaded {
		// Django: save(must_create=True) uses _get_session(no_load=True).
		s.data, s.loaded = py.NewDict(0), true
		s.fetched, s.miss = stored{}, false
	}
	if s.lazy != nil {
		s.materialize()
	}
	if s.lazyErr != nil {
		return s.lazyErr
	}
	if st.eng == nil {
		s.touch() // signed cookies: the cookie is written by the next Save
		return nil
	}
	for range maxCreateTries {
		if err := ctx.Err(); err != nil {
			return st.ctxError("add", err)
		}
		key, free, err := st.newKey(ctx)
		if err != nil {
			return err
		}
		if !free {
			continue
		}
		ok, err := st.eng.save(ctx, s, key, s.data, true)
		if ok {
			// Stored, even if a later step failed (cached_db's cache copy on Django < 5.0):
			// the session has the new key, as Django's create() leaves it.
			s.key = key
			s.touch()
		}
		if err != nil || ok {
			return err
		}
	}
	return ErrCreate
}

// Delete removes the session from its storage (Django's delete()), keeping its key and data; a
// later Save fails with ErrUpdate. A session without a key has nothing to delete. Under
// [EngineSignedCookies] it empties the session and its key, as Django's does.
func (s *Session) Delete(ctx context.Context) error {
	if s.store == nil {
		return errNoStore
	}
	if s.store.eng == nil {
		s.key, s.data, s.loaded, s.fetched, s.miss = "", py.NewDict(0), true, stored{}, false
		s.lazy, s.changed, s.reads = nil, nil, nil
		s.touch()
		return nil
	}
	if s.key == "" {
		return nil
	}
	return s.store.Delete(ctx, s.key)
}

// Flush empties the session, deletes it from its storage and drops its key (Django's flush(),
// called by logout). The next Save creates a new session.
func (s *Session) Flush(ctx context.Context) error {
	if s.store == nil {
		return errNoStore
	}
	s.Clear()
	if err := s.Delete(ctx); err != nil {
		return err
	}
	s.key = ""
	return nil
}

// CycleKey moves the session's data to a new key and deletes the old one (Django's
// cycle_key(), called by login against session fixation). If the new session cannot be
// created, the key is unchanged. Under [EngineSignedCookies] it is Save, as in Django.
func (s *Session) CycleKey(ctx context.Context) error {
	if s.store == nil {
		return errNoStore
	}
	if s.store.eng == nil {
		return s.Save(ctx)
	}
	data := s.session()
	old := s.key
	if err := s.Create(ctx); err != nil {
		return err
	}
	s.data = data
	if old != "" {
		return s.store.Delete(ctx, old)
	}
	return nil
}
