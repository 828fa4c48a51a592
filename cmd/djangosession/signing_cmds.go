package main

import (
	"errors"
	"flag"
	"fmt"

	"github.com/djangobridge/bridge/auth"
	"github.com/djangobridge/bridge/signing"

	"github.com/djangobridge/bridge/djangosession"
)

// optString is a string flag that records whether it was given (--salt "" differs from no
// --salt).
type optString struct {
	set bool
	v   string
}

func (o *optString) String() string { return o.v }

func (o *optString) Set(s string) error {
	o.set, o.v = true, s
	return nil
}

// dumpsSalt maps --salt to DumpsOptions/LoadsOptions.Salt: no flag is Django's default
// ("django.core.signing"); an empty salt is, as in Django, TimestampSigner's default.
func dumpsSalt(o optString) string {
	if o.set && o.v == "" {
		return signing.DefaultTimestampSignerSalt
	}
	return o.v
}

// signingError turns a library error into a usage error when the command line caused it (an
// algorithm or separator Django refuses, an empty key), or a rejection that says why.
func signingError(err error) error {
	var ia *signing.InvalidAlgorithmError
	var is *signing.InvalidSeparatorError
	switch {
	case errors.As(err, &ia), errors.As(err, &is), errors.Is(err, signing.ErrEmptyKey):
		return usagef("%s", describeError(err))
	}
	return rejection(err)
}

// rejection explains why an input was refused and what Django does with it.
func rejection(err error) error {
	switch {
	case errors.Is(err, signing.ErrSignatureExpired):
		return fmt.Errorf("rejected: %w", err)
	case errors.Is(err, signing.ErrBadSignature):
		return fmt.Errorf("rejected: %w (wrong secret key, salt or algorithm, or the value was changed)", err)
	case errors.Is(err, djangosession.ErrCorrupt), errors.Is(err, signing.ErrCorrupt):
		return fmt.Errorf("rejected: the signature is valid but the data cannot be decoded: %w", err)
	}
	return err
}

var dumpsCmd = &command{
	name:    "dumps",
	summary: "django.core.signing.dumps: sign a tagged JSON value",
	usage:   "dumps [--salt S] [--compress] [--timestamp UNIX] [--algorithm A] [--serializer json|pickle] [FILE]",
	help: `Sign a value (tagged JSON from FILE or stdin) as django.core.signing.dumps(value, key=SECRET_KEY,
salt=S, compress=...) does, and print the signed string.

Flags:
  --salt S               salt (default Django's "django.core.signing")
  --compress             compress=True (zlib, when it saves space; the value then starts with ".")
  --timestamp UNIX       sign as of this Unix time (default now): reproduces Django's output
  --algorithm A          HMAC hash (default sha256)
  --serializer S         json (default, signing.JSONSerializer) or pickle
  --secret-key K         SECRET_KEY (default $DJANGO_SECRET_KEY)

Example:
  $ echo '{"a": 1}' | DJANGO_SECRET_KEY=s3cr3t djangosession dumps --timestamp 1700000000
  eyJhIjoxfQ:1r31eq:eHCcbPNuxHMrQ2Ycv7GowzMEU3R4R6o5EGeZMLgq1vs
`,
	run: runDumps,
}

func runDumps(e *env, name string, args []string) error {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	var sec secrets
	var salt optString
	var ts optInt
	var algorithm string
	var ser serializerFlag
	sec.add(fs)
	fs.Var(&salt, "salt", "")
	compress := fs.Bool("compress", false, "")
	fs.Var(&ts, "timestamp", "")
	algorithmFlag(fs, &algorithm)
	ser.add(fs)
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	key, s, err := keyAndSerializer(e, &sec, &ser)
	if err != nil {
		return err
	}
	v, err := readTagged(e, pos)
	if err != nil {
		return err
	}
	signed, err := signing.Dumps(v, signing.DumpsOptions{
		Key: key, Salt: dumpsSalt(salt), Algorithm: algorithm, Serializer: s,
		Compress: *compress, Now: clock(ts),
	})
	if err != nil {
		return signingError(err)
	}
	return e.println(signed)
}

var loadsCmd = &command{
	name:    "loads",
	summary: "django.core.signing.loads: verify a signed value, print it as tagged JSON",
	usage:   "loads [--salt S] [--max-age SECONDS] [--now UNIX] [--algorithm A] [--django V] [VALUE]",
	help: `Verify and decode a value made by django.core.signing.dumps (VALUE, or stdin) as
signing.loads(value, key=SECRET_KEY, salt=S, max_age=...) does; print it as tagged JSON.
A bad signature or an expired value exits with status 1 and says which.

Flags:
  --salt S               salt (default Django's "django.core.signing")
  --max-age SECONDS      reject values signed longer ago (default: no limit)
  --now UNIX             the current time for --max-age (default now)
  --algorithm A          HMAC hash (default sha256)
  --django V             3.2 also accepts sha1 signatures, as Django 3.2 does
  --serializer S         json (default) or pickle (with --allow-global)
  --secret-key K         SECRET_KEY (default $DJANGO_SECRET_KEY)
  --fallback-key K       SECRET_KEY_FALLBACKS entry (repeatable)
  --pretty               indent the JSON

Examples:
  $ DJANGO_SECRET_KEY=s3cr3t djangosession loads eyJhIjoxfQ:1r31eq:eHCcbPNuxHMrQ2Ycv7GowzMEU3R4R6o5EGeZMLgq1vs
  {"a":1}
  $ DJANGO_SECRET_KEY=s3cr3t djangosession loads --max-age 5 --now 1700000006 eyJhIjoxfQ:1r31eq:eHCcbPNuxHMrQ2Ycv7GowzMEU3R4R6o5EGeZMLgq1vs
  djangosession loads: rejected: signature expired: signature age 6s > 5s
`,
	run: runLoads,
}

func runLoads(e *env, name string, args []string) error {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	var sec secrets
	var salt optString
	var maxAge, now optInt
	var algorithm string
	var ser serializerFlag
	var dj djangoFlag
	var out output
	sec.add(fs)
	fs.Var(&salt, "salt", "")
	fs.Var(&maxAge, "max-age", "")
	fs.Var(&now, "now", "")
	algorithmFlag(fs, &algorithm)
	ser.add(fs)
	dj.add(fs, "")
	out.add(fs)
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if err := dj.check(); err != nil {
		return err
	}
	age, err := seconds("max-age", maxAge)
	if err != nil {
		return err
	}
	key, s, err := keyAndSerializer(e, &sec, &ser)
	if err != nil {
		return err
	}
	signed, err := readValueArg(e, pos)
	if err != nil {
		return err
	}
	opts := signing.LoadsOptions{
		Key: key, FallbackKeys: sec.fallbacks, Salt: dumpsSalt(salt), Algorithm: algorithm,
		Serializer: s, MaxAge: age, Now: clock(now),
	}
	if dj.is32() {
		opts.LegacyAlgorithm = "sha1"
	}
	l, err := signing.LoadsDetail(signed, opts)
	if err != nil {
		return signingError(err)
	}
	e.noteFallback(l.KeyIndex)
	return out.writeTagged(e, l.Value)
}

// signerFlags are the flags sign and unsign share.
type signerFlags struct {
	sec         secrets
	key         optString
	salt        string
	sep         string
	algorithm   string
	timestamp   optInt
	timestamped bool
	maxAge, now optInt
	dj          djangoFlag
}

func (f *signerFlags) add(fs *flag.FlagSet) {
	f.sec.add(fs)
	fs.Var(&f.key, "key", "")
	fs.StringVar(&f.salt, "salt", "", "")
	fs.StringVar(&f.sep, "sep", signing.DefaultSep, "")
	algorithmFlag(fs, &f.algorithm)
	fs.Var(&f.timestamp, "timestamp", "")
	fs.BoolVar(&f.timestamped, "timestamped", false, "")
	fs.Var(&f.maxAge, "max-age", "")
	fs.Var(&f.now, "now", "")
	f.dj.add(fs, "")
}

func (f *signerFlags) signer(e *env) (signing.Signer, error) {
	if err := f.dj.check(); err != nil {
		return signing.Signer{}, err
	}
	key := f.key.v
	if !f.key.set {
		k, err := f.sec.secret(e)
		if err != nil {
			return signing.Signer{}, err
		}
		key = k
	} else if key == "" {
		return signing.Signer{}, usagef("--key is empty")
	}
	s := signing.Signer{Key: key, FallbackKeys: f.sec.fallbacks, Salt: f.salt, Sep: f.sep, Algorithm: f.algorithm}
	if f.dj.is32() {
		s.LegacyAlgorithm = "sha1"
	}
	return s, nil
}

const signerHelpFlags = `Flags:
  --key K                Signer(key=K) (default SECRET_KEY: $DJANGO_SECRET_KEY or --secret-key)
  --secret-key K         SECRET_KEY, when --key is not given (default $DJANGO_SECRET_KEY)
  --salt S               salt (default "django.core.signing.Signer", or
                         "django.core.signing.TimestampSigner" with a timestamp)
  --sep C                separator (default ":")
  --algorithm A          HMAC hash (default sha256)
  --timestamp UNIX       (sign) TimestampSigner, signing as of this Unix time
  --timestamped          TimestampSigner (sign: at the current time)
  --max-age SECONDS      (unsign) TimestampSigner; reject values signed longer ago
  --now UNIX             (unsign) the current time for --max-age
  --django V             (unsign) 3.2 also accepts sha1 signatures, as Django 3.2 does
  --fallback-key K       (unsign) a fallback key (repeatable)

Signed cookies: response.set_signed_cookie(NAME, value, salt=S) signs with a TimestampSigner
whose key is "django.http.cookies" + SECRET_KEY (fallbacks: "django.http.cookies" + each old
key) and whose salt is NAME + S in Django 3.2, 4.2, 5.2 before 5.2.15 and 6.0 before 6.0.6,
and "django.http.cookies.v2:" + len(S) + ":" + S + NAME in 5.2.15+, 6.0.6+ and 6.1.
`

var signCmd = &command{
	name:    "sign",
	summary: "Signer / TimestampSigner.sign of a string",
	usage:   "sign [--salt S] [--key K] [--sep C] [--algorithm A] [--timestamp UNIX | --timestamped] VALUE",
	help: signerHelpFlags + `
Examples:
  $ DJANGO_SECRET_KEY=s3cr3t djangosession sign hello
  hello:l2f8K5rQ595PYpS1_yLbRESMa6ctFhkjTr0lDieVxnk
  $ DJANGO_SECRET_KEY=s3cr3t djangosession sign --timestamp 1700000000 hello
  hello:1r31eq:WO_nL_Ev0H52km-MtKbQdxrgi0_a72kaQQs8AZBkirc
  # response.set_signed_cookie("theme", "dark", salt="ui") on Django 6.1, at 1700000000
  $ djangosession sign --key "django.http.cookies$DJANGO_SECRET_KEY" --salt 'django.http.cookies.v2:2:uitheme' --timestamp 1700000000 dark
  dark:1r31eq:Q8kseVXCFcsf4239DAs79oSBpZP7UpCDWEva_QeDukA
`,
	run: runSign,
}

func runSign(e *env, name string, args []string) error {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	var f signerFlags
	f.add(fs)
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if f.maxAge.set || f.now.set {
		return usagef("--max-age and --now are for unsign; sign takes --timestamp UNIX or --timestamped")
	}
	if f.timestamp.set && f.timestamped {
		return usagef("give --timestamp UNIX or --timestamped, not both")
	}
	s, err := f.signer(e)
	if err != nil {
		return err
	}
	value, err := readValueArg(e, pos)
	if err != nil {
		return err
	}
	var signed string
	if f.timestamp.set || f.timestamped {
		signed, err = signing.TimestampSigner{Signer: s, Now: clock(f.timestamp)}.Sign(value)
	} else {
		signed, err = s.Sign(value)
	}
	if err != nil {
		return signingError(err)
	}
	return e.println(signed)
}

var unsignCmd = &command{
	name:    "unsign",
	summary: "Signer / TimestampSigner.unsign: verify, print the value",
	usage:   "unsign [--salt S] [--key K] [--sep C] [--algorithm A] [--timestamped] [--max-age SECONDS] [--now UNIX] VALUE",
	help: signerHelpFlags + `
A bad signature or an expired value exits with status 1 and says which.

Examples:
  $ DJANGO_SECRET_KEY=s3cr3t djangosession unsign hello:l2f8K5rQ595PYpS1_yLbRESMa6ctFhkjTr0lDieVxnk
  hello
  $ DJANGO_SECRET_KEY=s3cr3t djangosession unsign --max-age 10 --now 1700000011 hello:1r31eq:WO_nL_Ev0H52km-MtKbQdxrgi0_a72kaQQs8AZBkirc
  djangosession unsign: rejected: signature expired: signature age 11s > 10s
`,
	run: runUnsign,
}

func runUnsign(e *env, name string, args []string) error {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	var f signerFlags
	f.add(fs)
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if f.timestamp.set {
		return usagef("--timestamp is for sign; unsign takes --timestamped (or --max-age) and --now")
	}
	maxAge, err := seconds("max-age", f.maxAge)
	if err != nil {
		return err
	}
	s, err := f.signer(e)
	if err != nil {
		return err
	}
	signed, err := readValueArg(e, pos)
	if err != nil {
		return err
	}
	if f.timestamped || f.maxAge.set {
		u, err := signing.TimestampSigner{Signer: s, Now: clock(f.now)}.UnsignDetail(signed, maxAge)
		if err != nil {
			return signingError(err)
		}
		e.noteFallback(u.KeyIndex)
		return e.println(u.Value)
	}
	value, idx, err := s.UnsignKey(signed)
	if err != nil {
		return signingError(err)
	}
	e.noteFallback(idx)
	return e.println(value)
}

var authHashCmd = &command{
	name:    "auth-hash",
	summary: "the _auth_user_hash Django stores for a password hash",
	usage:   "auth-hash --password-hash H [--algorithm sha256|sha1] [--check STORED]",
	help: `Print the session auth hash Django computes for a user (AbstractBaseUser.get_session_auth_hash:
salted_hmac(key_salt, password, secret=SECRET_KEY).hexdigest()), which login() stores under
"_auth_user_hash" and get_user() compares on every request.

Flags:
  --password-hash H      the user's password field as stored (e.g. "pbkdf2_sha256$...")
  --algorithm A          sha256 (default) or sha1 (Django 3.2's legacy hash)
  --check STORED         instead of printing, check a stored _auth_user_hash against the
                         secret key and each --fallback-key, as get_user does (exit 1: no match)
  --secret-key K         SECRET_KEY (default $DJANGO_SECRET_KEY)
  --fallback-key K       SECRET_KEY_FALLBACKS entry (repeatable, for --check)
  --django V             (--check) 3.2 also accepts the sha1 hash, as Django 3.2 does

Examples:
  $ DJANGO_SECRET_KEY=s3cr3t djangosession auth-hash --password-hash 'pbkdf2_sha256$1$salt$hash'
  3cd7fdbe5421d78cb7308311488b47d738a52602b25c658eaced3c817fa5cb32
  $ DJANGO_SECRET_KEY=s3cr3t djangosession auth-hash --password-hash 'pbkdf2_sha256$1$salt$hash' --check 3cd7fdbe5421d78cb7308311488b47d738a52602b25c658eaced3c817fa5cb32
  match
`,
	run: runAuthHash,
}

func runAuthHash(e *env, name string, args []string) error {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	var sec secrets
	var pw, check optString
	var dj djangoFlag
	algorithm := fs.String("algorithm", "sha256", "")
	sec.add(fs)
	fs.Var(&pw, "password-hash", "")
	fs.Var(&check, "check", "")
	dj.add(fs, "")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if err := maxArgs(pos, 0); err != nil {
		return err
	}
	if err := dj.check(); err != nil {
		return err
	}
	if !pw.set {
		return usagef("--password-hash is required (the user's password field, e.g. \"pbkdf2_sha256$...\")")
	}
	key, err := sec.secret(e)
	if err != nil {
		return err
	}
	if check.set {
		if *algorithm != "sha256" {
			return usagef("--check tries every hash Django accepts; leave out --algorithm")
		}
		keys := append([]string{key}, sec.fallbacks...)
		ok, idx := auth.VerifySessionAuthHash(check.v, pw.v, keys, auth.HashOptions{AcceptLegacySHA1: dj.is32()})
		if !ok {
			return errors.New("rejected: no match: the stored hash was made with another password or secret key; Django's get_user flushes the session (the user is logged out)")
		}
		e.noteFallback(idx)
		return e.println("match")
	}
	switch *algorithm {
	case "sha256":
		return e.println(auth.SessionAuthHash(pw.v, key))
	case "sha1":
		return e.println(auth.LegacySessionAuthHash(pw.v, key))
	}
	return usagef("--algorithm %q: Django's session auth hash is sha256 (or sha1 in 3.2's legacy form)", *algorithm)
}
