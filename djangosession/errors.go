package djangosession

import (
	"errors"

	"github.com/djangobridge/bridge/pickle"
	"github.com/djangobridge/bridge/pyjson"
	"github.com/djangobridge/bridge/signing"
)

// Sentinel errors. Callers branch on them with errors.Is; the error types in this package unwrap
// to them.
var (
	// ErrNotFound: the session (or cache key) does not exist.
	ErrNotFound = errors.New("djangosession: not found")

	// ErrCorrupt: bytes from outside (a cache value, a cookie, session_data) could not be decoded.
	// Django treats such a session as empty; so does the middleware.
	ErrCorrupt = errors.New("djangosession: corrupt data")
)

// fromCodec makes an error of a codec package caused by its input (pickle, pyjson, signing's
// payload checks) match ErrCorrupt too; other errors are returned as they are.
func fromCodec(err error) error {
	if errors.Is(err, pickle.ErrCorrupt) || errors.Is(err, pyjson.ErrCorrupt) || errors.Is(err, signing.ErrCorrupt) {
		return corrupt(err)
	}
	return err
}

// corrupt makes err, an error caused by bytes from outside (a codec's decode error), match
// ErrCorrupt too, keeping the codec's own error for errors.As.
func corrupt(err error) error {
	if err == nil || errors.Is(err, ErrCorrupt) {
		return err
	}
	return &corruptError{err}
}

type corruptError struct{ err error }

func (e *corruptError) Error() string        { return e.err.Error() }
func (e *corruptError) Unwrap() error        { return e.err }
func (e *corruptError) Is(target error) bool { return target == ErrCorrupt }
