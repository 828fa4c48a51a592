// Package pyjson is CPython's json module as Django uses it, byte for byte: [Marshal] is
// json.dumps(v, separators=(",", ":")).encode("latin-1") and [Unmarshal] is
// json.loads(data.decode("latin-1")), what django.core.signing.JSONSerializer (the default
// SESSION_SERIALIZER) does, with CPython's C accelerator as the reference.
//
// Marshal writes ASCII only (other characters as lowercase \uXXXX escapes, surrogate pairs
// above the BMP), "/" unescaped, NaN and ±Infinity as NaN/Infinity/-Infinity, floats as
// Python's repr, ints exactly, dicts in insertion order. Values are those of the Python value
// model of package py: nil, bool, int, int64, *big.Int, float64, string, []any, py.Tuple
// (written as an array, as Python does), *py.Dict, *py.OrderedDict, and, as a Go convenience,
// map[string]any (keys sorted). Dict keys that are int, float, bool or None are turned into
// strings as Python does; other keys and other values give a *[TypeError], like Python's
// TypeError.
//
// Unmarshal reads what json.loads accepts after Django decodes the bytes as latin-1 (so raw
// UTF-8 in a payload turns into mojibake, exactly as in Django): objects become *py.Dict
// (insertion order; a repeated key keeps its first place and its last value), arrays []any,
// integers int64 or *big.Int, other numbers float64 (NaN and ±Infinity literals accepted),
// strings string. A lone surrogate escape (\ud800) becomes its WTF-8 bytes (Python's
// "surrogatepass" UTF-8), and Marshal writes such bytes back as the escape. Errors are
// *[SyntaxError], which matches [ErrCorrupt].
//
// [UnmarshalObject] is Unmarshal for a session, of which a request reads a few keys: it
// validates the whole object as Unmarshal does (same errors) and returns an [Object] whose
// member values are decoded when [Object.Get] first asks for them; [Object.AppendEncode]
// writes the object back after changes, copying the text of untouched members.
package pyjson

import "errors"

// ErrCorrupt matches every error caused by the input of [Unmarshal].
var ErrCorrupt = errors.New("pyjson: corrupt data")
