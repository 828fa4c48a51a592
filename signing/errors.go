package signing

import (
	"errors"
	"strconv"

	"github.com/djangobridge/bridge/internal/zlib"
)

// Sentinel errors. Callers branch on them with errors.Is; the error types of this package
// unwrap to them.
var (
	// ErrBadSignature: a signed value failed verification (Django's BadSignature). Treat the
	// input as untrusted and reject it.
	ErrBadSignature = errors.New("signing: bad signature")

	// ErrSignatureExpired: the signature is valid but older than the allowed age. It wraps
	// ErrBadSignature, as Django's SignatureExpired subclasses BadSignature.
	ErrSignatureExpired error = &wrapped{msg: "signing: signature expired", err: ErrBadSignature}

	// ErrCorrupt: a value whose signature is valid, or a part that is read before the
	// signature is checked, could not be decoded (bad base64 or base62, a payload that does not
	// inflate or is not JSON). Django raises ValueError, binascii.Error, zlib.error or
	// json's JSONDecodeError there, not BadSignature.
	ErrCorrupt = errors.New("signing: corrupt data")
)

// wrapped is a sentinel that wraps another sentinel.
type wrapped struct {
	msg string
	err error
}

func (w *wrapped) Error() string { return w.msg }
func (w *wrapped) Unwrap() error { return w.err }

// DecompressedSizeError reports a compressed payload (a signed value whose data starts with
// ".") that inflates past the limit (LoadsOptions.MaxDecompressedSize). It matches ErrCorrupt.
type DecompressedSizeError struct {
	Limit int
}

func (e *DecompressedSizeError) Error() string {
	return "signing: payload inflates beyond " + strconv.Itoa(e.Limit) + " bytes"
}

// Is reports that a DecompressedSizeError matches ErrCorrupt.
func (e *DecompressedSizeError) Is(target error) bool { return target == ErrCorrupt }

// inflateError turns an error of the zlib package into this package's.
func inflateError(err error) error {
	var se *zlib.DecompressedSizeError
	if errors.As(err, &se) {
		return &DecompressedSizeError{Limit: se.Limit}
	}
	return corrupt(err)
}
