package djangosession

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/djangobridge/bridge/py"
)

// This file holds the typed getters beyond String, Int and Bool, and the conversion of Go
// values (structs, maps, slices) to and from session values. They go through the Session's
// dict methods, so they set the accessed and modified flags as those do.

// ErrNoKey is returned by [Session.Decode] for a key that is not in the session (Python's
// KeyError for session[key]).
var ErrNoKey = errors.New("djangosession: key not in the session")

// one returns a dict of the item under key alone (empty when there is none), for the typed
// getters of py.Dict: a session loaded lazily builds only that value.
func (s *Session) one(key string) *py.Dict {
	d := py.NewDict(1)
	if v, ok := s.Get(key); ok {
		d.Set(key, v)
	}
	return d
}

// Float returns the value under key as a float64: a float, or an int (not a bool), as
// [py.Dict.Float] reads it.
func (s *Session) Float(key string) (float64, bool) { return s.one(key).Float(key) }

// Time returns the value under key as an instant, in UTC: an aware datetime (a pickled
// session), or the ISO 8601 str Django writes for one (a JSON session, and Django 4.2+'s
// set_expiry). A naive datetime reports false; see [py.Dict.Time].
func (s *Session) Time(key string) (time.Time, bool) { return s.one(key).Time(key) }

// Bytes returns the value under key if it is bytes or a bytearray. The slice is the session's
// own: don't change it.
func (s *Session) Bytes(key string) ([]byte, bool) { return s.one(key).Bytes(key) }

// Strings returns the value under key if it is a list or tuple of strs, as a new slice.
func (s *Session) Strings(key string) ([]string, bool) { return s.one(key).Strings(key) }

// Dict returns the value under key if it is a dict. It is the session's own: after changing
// it, call MarkModified.
func (s *Session) Dict(key string) (*py.Dict, bool) { return s.one(key).Dict(key) }

// Decode stores the value under key into the Go value dst points to, with [py.ToGo]: a dict
// into a struct (by `py` field tags) or a map, a list into a slice, and so on (the table is in
// package py's documentation). A key that is not in the session gives an error matching
// ErrNoKey, leaving dst alone. A value that does not fit gives a *[py.ConvertError] whose Path
// starts with key: `cart.items[2].qty: cannot store Python str in Go int`.
func (s *Session) Decode(key string, dst any) error {
	v, ok := s.Get(key)
	if !ok {
		return fmt.Errorf("%w: %s", ErrNoKey, strconv.Quote(key))
	}
	return underKey(py.ToGo(v, dst), key)
}

// Encode stores v under key (session[key] = value) after converting it with [py.FromGo]: a
// struct becomes a dict keyed by its `py` field tags, a slice a list, a time.Time an aware
// datetime, and so on (the table is in package py's documentation). A value Python cannot
// hold fails here, with a *[py.ConvertError] whose Path starts with key, rather than at Save;
// the session is then unchanged.
//
// The cache engine pickles the session, so anything Encode accepts can be saved. A session
// for a JSON-serialized engine ([EncodeSessionData], signed cookies) can hold only JSON values:
// no time.Time (unless tagged `py:",isoformat"`), time.Duration, []byte or sets.
func (s *Session) Encode(key string, v any) error {
	pv, err := py.FromGo(v)
	if err != nil {
		return underKey(err, key)
	}
	s.Set(key, pv)
	return nil
}

// underKey puts the session key in front of the path of a *py.ConvertError.
func underKey(err error, key string) error {
	var ce *py.ConvertError
	if !errors.As(err, &ce) {
		return err
	}
	prefix := key
	if !isPathName(key) {
		prefix = "[" + strconv.Quote(key) + "]"
	}
	if ce.Path != "" && ce.Path[0] != '[' {
		prefix += "."
	}
	ce.Path = prefix + ce.Path
	return err
}

// isPathName reports whether key can be written bare in a path, as py writes dict keys that
// are ASCII identifiers.
func isPathName(key string) bool {
	if key == "" {
		return false
	}
	for i := 0; i < len(key); i++ {
		c := key[i]
		if c != '_' && !('a' <= c && c <= 'z') && !('A' <= c && c <= 'Z') && (i == 0 || !('0' <= c && c <= '9')) {
			return false
		}
	}
	return true
}
