package signing_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/djangobridge/bridge/internal/fixtures"
	"github.com/djangobridge/bridge/py"
	"github.com/djangobridge/bridge/pyjson"
	"github.com/djangobridge/bridge/signing"
)

// rawSerializer dumps the bytes it is given, to sign payloads no serializer would write.
type rawSerializer struct{}

func (rawSerializer) Dumps(v any) ([]byte, error)    { return v.([]byte), nil }
func (rawSerializer) Loads(data []byte) (any, error) { return data, nil }

func TestLazyJSONSerializer(t *testing.T) {
	now := func() time.Time { return time.Unix(1700000000, 0) }
	session := py.DictOf("_auth_user_id", "42", "_auth_user_backend", "django.contrib.auth.backends.ModelBackend",
		"_auth_user_hash", strings.Repeat("ab", 32), "cart", []any{py.DictOf("sku", strings.Repeat("SKU-1 ", 200))})
	signed, err := signing.Dumps(session, signing.DumpsOptions{Key: "k", Compress: true, Now: now})
	if err != nil || !strings.HasPrefix(signed, ".") {
		t.Fatalf("Dumps = %q, %v; want a compressed value", signed, err)
	}
	lazy := signing.LoadsOptions{Key: "k", Serializer: signing.LazyJSONSerializer{}, Now: now}
	l, err := signing.LoadsDetail(signed, lazy)
	if err != nil {
		t.Fatal(err)
	}
	o, ok := l.Value.(*pyjson.Object)
	if !ok {
		t.Fatalf("Value is %T, want *pyjson.Object", l.Value)
	}
	if v, ok, err := o.Get("_auth_user_id"); v != "42" || !ok || err != nil {
		t.Errorf("Get = %v, %v, %v", v, ok, err)
	}
	if d, err := o.Dict(); err != nil || !sameValue(d, session) {
		t.Errorf("Dict = %#v, %v", d, err)
	}
	// Dumps writes an Object back as it was.
	again, err := signing.Dumps(o, signing.DumpsOptions{Key: "k", Compress: true, Now: now, Serializer: signing.LazyJSONSerializer{}})
	if err != nil || again != signed {
		t.Errorf("Dumps(Object) = %q, %v; want %q", again, err, signed)
	}

	// The signature and the inflate bound cover the whole value before Loads sees it.
	if _, err := signing.Loads(signed[:len(signed)-1]+"x", lazy); !errors.Is(err, signing.ErrBadSignature) {
		t.Errorf("tampered: %v, want ErrBadSignature", err)
	}
	small := lazy
	small.MaxDecompressedSize = 100
	if _, err := signing.Loads(signed, small); !errors.Is(err, signing.ErrCorrupt) {
		t.Errorf("past MaxDecompressedSize: %v, want ErrCorrupt", err)
	}

	// Signed but malformed JSON, anywhere in the value: JSONSerializer's error.
	for _, payload := range []string{`{"_auth_user_id":"1","cart":[1,]}`, `{"_auth_user_id":"1"}x`, `{"a":"\q"}`} {
		bad, err := signing.Dumps([]byte(payload), signing.DumpsOptions{Key: "k", Serializer: rawSerializer{}, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		_, lerr := signing.Loads(bad, lazy)
		_, jerr := signing.Loads(bad, signing.LoadsOptions{Key: "k", Now: now})
		var se *pyjson.SyntaxError
		if !errors.Is(lerr, signing.ErrCorrupt) || !errors.As(lerr, &se) || jerr == nil || lerr.Error() != jerr.Error() {
			t.Errorf("%s: lazy error %v, JSONSerializer's %v", payload, lerr, jerr)
		}
	}

	// Another JSON value is JSONSerializer's value.
	list, err := signing.Dumps([]any{int64(1), "x"}, signing.DumpsOptions{Key: "k", Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if v, err := signing.Loads(list, lazy); err != nil || !sameValue(v, []any{int64(1), "x"}) {
		t.Errorf("Loads(list) = %#v, %v", v, err)
	}
}

// TestLazyJSONSerializerFixtures loads Django's session_data and signed cookies of
// signing.json with LazyJSONSerializer: each is an Object equal to the session Django wrote.
func TestLazyJSONSerializerFixtures(t *testing.T) {
	n := 0
	for id, cases := range fixtures.RawSigning(t) {
		for _, c := range cases {
			var salt, signed string
			switch c.Str(t, "kind") {
			case "session_encode":
				if c.Str(t, "serializer") != "json" {
					continue
				}
				salt, signed = "django.contrib.sessions.SessionStore", c.Str(t, "session_data")
			case "signed_cookie":
				salt, signed = "django.contrib.sessions.backends.signed_cookies", c.Str(t, "cookie")
			default:
				continue
			}
			opts := signing.LoadsOptions{Key: c.Str(t, "secret_key"), Salt: salt, Serializer: signing.LazyJSONSerializer{}}
			if id == "3.2" {
				opts.LegacyAlgorithm = "sha1"
			}
			v, err := signing.Loads(signed, opts)
			if err != nil {
				t.Fatalf("django-%s %s: %v", id, signed, err)
			}
			o, ok := v.(*pyjson.Object)
			if !ok {
				t.Fatalf("django-%s: %T", id, v)
			}
			if d, err := o.Dict(); err != nil || !sameValue(d, c.Value(t, "value")) {
				t.Fatalf("django-%s: Dict = %#v, %v; Django wrote %#v", id, d, err, c.Value(t, "value"))
			}
			n++
		}
	}
	if n < 20 {
		t.Fatalf("only %d session values in the fixtures", n)
	}
	t.Logf("%d Django-signed sessions", n)
}
