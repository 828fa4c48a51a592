package signing

import "github.com/djangobridge/bridge/pyjson"

// Serializer turns a value into bytes and back: the serializer argument of Django's
// signing.dumps/loads, and SESSION_SERIALIZER. Implementations must be safe for concurrent
// use.
type Serializer interface {
	Dumps(v any) ([]byte, error)
	Loads(data []byte) (any, error)
}

// JSONSerializer is django.core.signing.JSONSerializer (and
// django.contrib.sessions.serializers.JSONSerializer, the default SESSION_SERIALIZER): CPython's
// json.dumps with compact separators, encoded as latin-1, and json.loads of the latin-1
// decoded bytes, byte for byte (see package pyjson). Loads errors match [ErrCorrupt].
type JSONSerializer struct{}

var _ Serializer = JSONSerializer{}

// Dumps is pyjson.Marshal.
func (JSONSerializer) Dumps(v any) ([]byte, error) { return pyjson.Marshal(v) }

// Loads is pyjson.Unmarshal; a syntax error matches [ErrCorrupt] and [pyjson.ErrCorrupt].
func (JSONSerializer) Loads(data []byte) (any, error) {
	v, err := pyjson.Unmarshal(data)
	if err != nil {
		return nil, corrupt(err)
	}
	return v, nil
}

// corrupt makes err, an error caused by the input, match ErrCorrupt too.
func corrupt(err error) error {
	if err == nil {
		return nil
	}
	return &corruptError{err}
}

type corruptError struct{ err error }

func (e *corruptError) Error() string        { return e.err.Error() }
func (e *corruptError) Unwrap() error        { return e.err }
func (e *corruptError) Is(target error) bool { return target == ErrCorrupt }
