package djangosession

import "errors"

// Sentinel errors. Callers branch on them with errors.Is; the error types in this package unwrap
// to them.
var (
	// ErrBadSignature: a signed value (signing, session_data, signed cookie) failed verification.
	// Treat the input as untrusted and reject it.
	ErrBadSignature = errors.New("djangosession: bad signature")

	// ErrSignatureExpired: the signature is valid but older than the allowed age. It wraps
	// ErrBadSignature, as Django's SignatureExpired subclasses BadSignature.
	ErrSignatureExpired = &wrapped{msg: "djangosession: signature expired", err: ErrBadSignature}

	// ErrNotFound: the session (or cache key) does not exist.
	ErrNotFound = errors.New("djangosession: not found")

	// ErrCorrupt: bytes from outside (a cache value, a cookie, session_data) could not be decoded.
	// Django treats such a session as empty; so does the middleware.
	ErrCorrupt = errors.New("djangosession: corrupt data")
)

// wrapped is a sentinel that wraps another sentinel.
type wrapped struct {
	msg string
	err error
}

func (w *wrapped) Error() string { return w.msg }
func (w *wrapped) Unwrap() error { return w.err }
