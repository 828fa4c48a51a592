package signing

import (
	"errors"

	"github.com/djangobridge/bridge/pyjson"
)

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

// LazyJSONSerializer is JSONSerializer for a caller that reads a few keys of a session: Loads
// returns a *[pyjson.Object] for a JSON object (validated as strictly as JSONSerializer.Loads
// would, with the same errors, but with its member values decoded on demand by
// [pyjson.Object.Get]) and JSONSerializer's value for any other JSON value. Dumps is
// JSONSerializer's, and also writes a *pyjson.Object back ([pyjson.Object.AppendEncode] with
// no change).
//
// With it, [Loads] and [LoadsDetail] check the signature of the whole value and inflate it
// (within MaxDecompressedSize) before Loads sees it, as with JSONSerializer. The Object keeps
// the payload bytes it was given: signing hands Loads a buffer of its own, which it does not
// reuse (a caller of Loads directly must not change data while it uses the Object).
type LazyJSONSerializer struct{}

var _ Serializer = LazyJSONSerializer{}

// Dumps is pyjson.Marshal, or AppendEncode for a *pyjson.Object.
func (LazyJSONSerializer) Dumps(v any) ([]byte, error) {
	if o, ok := v.(*pyjson.Object); ok {
		return o.AppendEncode(nil, nil, nil)
	}
	return pyjson.Marshal(v)
}

// Loads is pyjson.UnmarshalObject: a *pyjson.Object for an object, Unmarshal's value for
// another JSON value; a syntax error matches [ErrCorrupt] and [pyjson.ErrCorrupt].
func (LazyJSONSerializer) Loads(data []byte) (any, error) {
	o, err := pyjson.UnmarshalObject(data)
	if err != nil {
		var ne *pyjson.NotObjectError
		if errors.As(err, &ne) {
			return ne.Value, nil
		}
		// Unmarshal's own error, or (a bug the fuzz target looks for) an object the lazy
		// scan refused: JSONSerializer's answer either way, never a lost session.
		return JSONSerializer{}.Loads(data)
	}
	return o, nil
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
