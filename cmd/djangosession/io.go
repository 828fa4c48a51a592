package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/djangobridge/bridge/internal/tagged"
	"github.com/djangobridge/bridge/pickle"
	"github.com/djangobridge/bridge/py"
	"github.com/djangobridge/bridge/signing"

	"github.com/djangobridge/bridge/djangosession"
)

// maxInput bounds what is read from stdin or a file: more than any session or signed value.
const maxInput = 64 << 20

// readAll reads r up to maxInput bytes; more is an error.
func readAll(r io.Reader, what string) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxInput+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", what, err)
	}
	if len(b) > maxInput {
		return nil, fmt.Errorf("%s is larger than %d MiB", what, maxInput>>20)
	}
	return b, nil
}

// readFileArg reads the file named by the single optional positional argument, or stdin when it
// is absent or "-".
func readFileArg(e *env, pos []string) ([]byte, error) {
	if err := maxArgs(pos, 1); err != nil {
		return nil, err
	}
	if len(pos) == 0 || pos[0] == "-" {
		return readAll(e.stdin, "stdin")
	}
	f, err := os.Open(pos[0])
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readAll(f, pos[0])
}

// readValueArg returns the single optional positional argument, or stdin without its trailing
// line breaks when it is absent or "-": a string to sign, a signed value, a cookie,
// session_data.
func readValueArg(e *env, pos []string) (string, error) {
	if err := maxArgs(pos, 1); err != nil {
		return "", err
	}
	if len(pos) == 1 && pos[0] != "-" {
		return pos[0], nil
	}
	b, err := readAll(e.stdin, "stdin")
	if err != nil {
		return "", err
	}
	return string(bytes.TrimRight(b, "\r\n")), nil
}

// readTagged reads a tagged JSON value from FILE or stdin.
func readTagged(e *env, pos []string) (any, error) {
	b, err := readFileArg(e, pos)
	if err != nil {
		return nil, err
	}
	v, err := tagged.Unmarshal(b)
	if err != nil {
		return nil, fmt.Errorf("input is not tagged JSON: %w", err)
	}
	return v, nil
}

// readSession reads a tagged JSON dict: a session.
func readSession(e *env, pos []string) (*py.Dict, error) {
	v, err := readTagged(e, pos)
	if err != nil {
		return nil, err
	}
	d, ok := v.(*py.Dict)
	if !ok {
		return nil, fmt.Errorf("a session is a dict (a JSON object), not %s", typeName(v))
	}
	return d, nil
}

// typeName names the Python type of a decoded value for messages.
func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "None"
	case bool:
		return "bool"
	case int64:
		return "int"
	case float64:
		return "float"
	case string:
		return "str"
	case []any:
		return "list"
	case []byte:
		return "bytes"
	case py.Tuple:
		return "tuple"
	case *py.OrderedDict:
		return "OrderedDict"
	case *py.Dict:
		return "dict"
	}
	return fmt.Sprintf("%T", v)
}

// output holds the flags of commands that print tagged JSON.
type output struct{ pretty bool }

func (o *output) add(fs *flag.FlagSet) {
	fs.BoolVar(&o.pretty, "pretty", false, "indent the JSON output")
}

// writeTagged prints v as tagged JSON and a newline.
func (o *output) writeTagged(e *env, v any) error {
	b, err := tagged.Marshal(v)
	if err != nil {
		return fmt.Errorf("cannot write the value as tagged JSON: %w", err)
	}
	if o.pretty {
		var buf bytes.Buffer
		if err := json.Indent(&buf, b, "", "  "); err != nil {
			return err
		}
		b = buf.Bytes()
	}
	_, err = e.stdout.Write(append(b, '\n'))
	return err
}

// println prints a line on stdout.
func (e *env) println(s string) error {
	_, err := io.WriteString(e.stdout, s+"\n")
	return err
}

// notef prints a note on stderr: something the operator should know about a successful result.
func (e *env) notef(format string, a ...any) {
	fmt.Fprintf(e.stderr, "note: "+format+"\n", a...)
}

// secrets holds the SECRET_KEY and SECRET_KEY_FALLBACKS flags.
type secrets struct {
	key       string
	fallbacks stringList
}

func (s *secrets) add(fs *flag.FlagSet) {
	fs.StringVar(&s.key, "secret-key", "", "SECRET_KEY (default $DJANGO_SECRET_KEY; prefer the environment: arguments are visible to other users)")
	fs.Var(&s.fallbacks, "fallback-key", "a key of SECRET_KEY_FALLBACKS, tried in order when verifying (repeatable)")
}

// secret returns --secret-key or $DJANGO_SECRET_KEY.
func (s *secrets) secret(e *env) (string, error) {
	if s.key != "" {
		return s.key, nil
	}
	if k := e.getenv("DJANGO_SECRET_KEY"); k != "" {
		return k, nil
	}
	return "", usagef("no secret key: set DJANGO_SECRET_KEY or pass --secret-key")
}

// keyAndSerializer returns the secret key (--secret-key or $DJANGO_SECRET_KEY) and the
// serializer --serializer names, in that order of checking.
func keyAndSerializer(e *env, sec *secrets, ser *serializerFlag) (string, signing.Serializer, error) {
	key, err := sec.secret(e)
	if err != nil {
		return "", nil, err
	}
	s, err := ser.serializer()
	if err != nil {
		return "", nil, err
	}
	return key, s, nil
}

// noteFallback tells which key verified a value when it was a fallback.
func (e *env) noteFallback(keyIndex int) {
	if keyIndex > 0 {
		e.notef("verified with --fallback-key #%d, not the current secret key (Django 4.1+ accepts it; re-sign with the current key)", keyIndex)
	}
}

// djangoFlag is --django VERSION.
type djangoFlag struct{ v string }

func (d *djangoFlag) add(fs *flag.FlagSet, what string) {
	fs.StringVar(&d.v, "django", "", "the Django version: "+strings.Join(djangosession.DjangoVersions, ", ")+" (default "+
		djangosession.DjangoVersions[len(djangosession.DjangoVersions)-1]+")"+what)
}

func (d *djangoFlag) check() error {
	if d.v != "" && !slices.Contains(djangosession.DjangoVersions, d.v) {
		return usagef("--django %q: supported versions are %s", d.v, strings.Join(djangosession.DjangoVersions, ", "))
	}
	return nil
}

func (d *djangoFlag) is32() bool { return d.v == djangosession.Django32 }

// clock returns a fixed clock for a given --now/--timestamp, or nil (the real clock).
func clock(o optInt) func() time.Time {
	if !o.set {
		return nil
	}
	t := time.Unix(o.v, 0)
	return func() time.Time { return t }
}

// seconds converts a --max-age style flag; it must be positive.
func seconds(name string, o optInt) (time.Duration, error) {
	if !o.set {
		return 0, nil
	}
	if o.v <= 0 || o.v > 1<<33 {
		return 0, usagef("--%s must be a positive number of seconds", name)
	}
	return time.Duration(o.v) * time.Second, nil
}

// serializerFlag is --serializer json|pickle, with --allow-global for pickle.
type serializerFlag struct {
	name  string
	allow stringList
}

func (s *serializerFlag) add(fs *flag.FlagSet) {
	fs.StringVar(&s.name, "serializer", "json", "SESSION_SERIALIZER: json (JSONSerializer) or pickle (PickleSerializer, Django < 5.0)")
	fs.Var(&s.allow, "allow-global", "with --serializer pickle: a class (module.QualName) whose instances may be decoded, as inert objects (repeatable)")
}

func (s *serializerFlag) serializer() (signing.Serializer, error) {
	switch s.name {
	case "json":
		if len(s.allow) > 0 {
			return nil, usagef("--allow-global needs --serializer pickle")
		}
		return signing.JSONSerializer{}, nil
	case "pickle":
		return djangosession.PickleSerializer{Codec: &pickle.Codec{AllowGlobals: s.allow}}, nil
	}
	return nil, usagef("--serializer %q: use json or pickle", s.name)
}

// algorithmFlag is --algorithm.
func algorithmFlag(fs *flag.FlagSet, p *string) {
	fs.StringVar(p, "algorithm", "", "the HMAC hash: sha256 (default), sha1, sha512, ... (Django's algorithm argument)")
}
