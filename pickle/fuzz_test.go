package pickle

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/djangobridge/bridge/internal/tagged"
	"github.com/djangobridge/bridge/py"
)

// FuzzPickleDecode checks that Decode never panics, that every error it returns matches
// ErrCorrupt, and that whatever decodes can be encoded at protocols 2 to 5 and decoded back:
// to an equal value at protocols 4 and 5, and at 2 and 3 (which drop datetime folds, as in
// CPython) to a value that encodes to the same bytes again.
//
// The seed corpus is testdata/fuzz/FuzzPickleDecode/: the Django-made fixture pickles
// (copied by testdata/update.sh) plus the crashers found so far; the CPython-made pickles of
// testdata/cpython-3.12.json are added here.
func FuzzPickleDecode(f *testing.F) {
	if raw, err := os.ReadFile(filepath.Join("testdata", "cpython-3.12.json")); err == nil {
		var cf cpythonFile
		if err := json.Unmarshal(raw, &cf); err != nil {
			f.Fatal(err)
		}
		for _, c := range cf.Cases {
			if p, err := base64.StdEncoding.DecodeString(c.Pickle); err == nil && len(p) < 4096 {
				f.Add(p)
			}
		}
	}
	codec := &Codec{MaxSize: 1 << 20, AllowGlobals: []string{cartItemGlobal, "myapp.Thing"}}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := codec.Decode(data)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Decode error %v does not match ErrCorrupt", err)
			}
			var pe *Error
			var fg *ForbiddenGlobalError
			if !errors.As(err, &pe) && !errors.As(err, &fg) {
				t.Fatalf("Decode error %T is neither a Error nor a ForbiddenGlobalError", err)
			}
			return
		}
		for proto := 2; proto <= 5; proto++ {
			c := &Codec{Protocol: proto, AllowGlobals: codec.AllowGlobals}
			b, err := c.Encode(v)
			if err != nil {
				var ut *UnsupportedTypeError
				if proto < 4 && errors.As(err, &ut) && ut.Reason == "newobj_ex objects need protocol 4" {
					continue
				}
				t.Fatalf("protocol %d: Encode of a decoded value: %v", proto, err)
			}
			back, err := c.Decode(b)
			if err != nil {
				t.Fatalf("protocol %d: Decode(Encode(v)): %v", proto, err)
			}
			if proto >= 4 {
				if !py.Equal(back, v) {
					t.Fatalf("protocol %d: round trip changed the value", proto)
				}
				continue
			}
			b2, err := c.Encode(back)
			if err != nil || !bytes.Equal(b, b2) {
				t.Fatalf("protocol %d: second round trip differs: %v", proto, err)
			}
		}
	})
}

// FuzzTaggedJSON checks that tagged.Unmarshal never panics and that whatever it accepts
// marshals and unmarshals back to an equal value, and encodes as a pickle when the pickle
// encoder accepts it.
func FuzzTaggedJSON(f *testing.F) {
	for _, s := range []string{
		`{}`, `{"a": [1, "x", null, true]}`, `{"__py__": "tuple", "items": [1, {"__py__": "int", "value": "123456789012345678901"}]}`,
		`{"__py__": "float", "repr": "1.5", "bits": "3ff8000000000000"}`,
		`{"__py__": "datetime", "iso": "2023-11-14T22:13:20.000001", "fold": 1, "tzinfo": {"class": "zoneinfo.ZoneInfo", "key": "Europe/Paris"}}`,
		`{"__py__": "set", "items": [1, true, 1.0]}`, `{"__py__": "dict", "items": [[1, 2], [[1], 3]]}`,
		`{"__py__": "object", "global": "myapp.Thing", "how": "newobj", "args": [], "state": {"x": 1}}`,
		`{"__py__": "uuid", "value": "12345678-1234-5678-1234-567812345678", "is_safe": "safe"}`,
		`{"__py__": "str", "utf8_surrogatepass_b64": "Ye2ggGI="}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := tagged.Unmarshal(data)
		if err != nil {
			return
		}
		j, err := tagged.Marshal(v)
		if err != nil {
			if errors.Is(err, errors.ErrUnsupported) || errors.Is(err, tagged.ErrLimit) {
				return
			}
			t.Fatalf("MarshalTagged of an unmarshalled value: %v", err)
		}
		back, err := tagged.Unmarshal(j)
		if err != nil {
			t.Fatalf("UnmarshalTagged(tagged.Marshal(v)): %v\n%s", err, j)
		}
		if !py.Equal(back, v) {
			t.Fatalf("tagged round trip changed the value\n%s", j)
		}
		c := &Codec{AllowGlobals: []string{"myapp.Thing"}}
		p, err := c.Encode(v)
		if err != nil {
			return // tagged JSON can describe values no pickle holds (a bad date, say)
		}
		pv, err := c.Decode(p)
		if err != nil {
			t.Fatalf("Decode(Encode(v)): %v", err)
		}
		if !py.Equal(pv, v) {
			t.Fatalf("pickle round trip changed the value\n%s", j)
		}
	})
}
