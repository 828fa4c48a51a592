package main

import (
	"errors"
	"flag"
	"fmt"

	"github.com/djangobridge/bridge/signing"

	"github.com/djangobridge/bridge/djangosession"
)

// subcommand splits "decode|encode" off the arguments.
func subcommand(args []string, what string) (string, []string, error) {
	if len(args) == 0 {
		return "", nil, usagef("missing decode or encode")
	}
	switch args[0] {
	case "decode", "encode":
		return args[0], args[1:], nil
	case "-h", "-help", "--help":
		return "", nil, errHelp
	}
	return "", nil, usagef("%q: %s takes decode or encode", args[0], what)
}

// emptySession explains a value Django reads as an empty session, and what Django does.
func emptySession(err error, what string) error {
	django := "returns an empty session"
	if errors.Is(err, signing.ErrBadSignature) && what == "session-data" {
		django = `logs "Session data corrupted" and returns an empty session`
	}
	if what == "cookie" {
		django = "starts a new empty session"
	}
	return fmt.Errorf("%w; Django %s", rejection(err), django)
}

var sessionDataCmd = &command{
	name:    "session-data",
	summary: "the db/cached_db session_data column: decode or encode",
	usage: `session-data decode [--serializer json|pickle] [--django V] [VALUE]
session-data encode [--serializer json|pickle] [--timestamp UNIX] [--legacy] [FILE]`,
	help: `decode verifies and decodes a django_session.session_data value (VALUE, or stdin) and prints
the session as tagged JSON; encode makes one from a tagged JSON dict (FILE, or stdin), as
SessionStore.encode does (signing.dumps(session, salt="django.contrib.sessions.SessionStore",
compress=True)). The pre-3.1 format (base64 of "hash:data") is accepted on decode; Django 3.2
is the last version to read it. Where Django quietly returns an empty session (bad signature,
corrupt data), decode exits with status 1 and says why.

Flags:
  --serializer S         SESSION_SERIALIZER: json (default) or pickle (Django < 5.0)
  --allow-global M.NAME  with pickle: decode instances of this class as inert objects (repeatable)
  --django V             decode: 3.2 also accepts sha1 signatures; 4.2+ refuse the legacy format
  --algorithm A          HMAC hash (default sha256)
  --timestamp UNIX       encode: sign as of this Unix time (default now)
  --legacy               encode: write the pre-3.1 format (Django 3.2 with
                         DEFAULT_HASHING_ALGORITHM = "sha1")
  --secret-key K         SECRET_KEY (default $DJANGO_SECRET_KEY)
  --fallback-key K       SECRET_KEY_FALLBACKS entry (repeatable, decode)
  --pretty               indent the JSON

Examples:
  $ DJANGO_SECRET_KEY=s3cr3t djangosession session-data decode eyJhIjoxfQ:1r31eq:bl_4B8AzgMmlesmOLh4z_rxUYTN8WzVajFVhauErNSI
  {"a":1}
  $ echo '{"a": 1}' | DJANGO_SECRET_KEY=s3cr3t djangosession session-data encode --timestamp 1700000000
  eyJhIjoxfQ:1r31eq:bl_4B8AzgMmlesmOLh4z_rxUYTN8WzVajFVhauErNSI
`,
	run: runSessionData,
}

func runSessionData(e *env, name string, args []string) error {
	op, args, err := subcommand(args, name)
	if err != nil {
		return err
	}
	fs := flag.NewFlagSet(name+" "+op, flag.ContinueOnError)
	var sec secrets
	var ser serializerFlag
	var dj djangoFlag
	var ts optInt
	var algorithm string
	var out output
	sec.add(fs)
	ser.add(fs)
	algorithmFlag(fs, &algorithm)
	if op == "decode" {
		dj.add(fs, "")
		out.add(fs)
	} else {
		fs.Var(&ts, "timestamp", "")
	}
	legacy := false
	if op == "encode" {
		fs.BoolVar(&legacy, "legacy", false, "")
	}
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if err := dj.check(); err != nil {
		return err
	}
	key, s, err := keyAndSerializer(e, &sec, &ser)
	if err != nil {
		return err
	}
	opts := djangosession.SessionDataOptions{
		SecretKey: key, SecretKeyFallbacks: sec.fallbacks, Serializer: s, Algorithm: algorithm,
		Now: clock(ts), Django32: dj.is32(),
	}
	if op == "encode" {
		d, err := readSession(e, pos)
		if err != nil {
			return err
		}
		var data string
		if legacy {
			if algorithm != "" {
				return usagef("--legacy always uses sha1; leave out --algorithm")
			}
			data, err = djangosession.EncodeLegacySessionData(d, opts)
		} else {
			data, err = djangosession.EncodeSessionData(d, opts)
		}
		if err != nil {
			return signingError(err)
		}
		return e.println(data)
	}
	data, err := readValueArg(e, pos)
	if err != nil {
		return err
	}
	d, idx, err := djangosession.DecodeSessionDataKey(data, opts)
	if err != nil {
		var ia *signing.InvalidAlgorithmError
		if errors.As(err, &ia) {
			return signingError(err)
		}
		if !dj.is32() {
			if ld, lerr := djangosession.DecodeLegacySessionData(data, opts); lerr == nil {
				if dj.v != "" {
					return fmt.Errorf("rejected: this is the pre-3.1 session_data format, which Django %s cannot read (it returns an empty session); Django 3.2 reads it", dj.v)
				}
				e.notef("pre-3.1 legacy format: only Django 3.2 reads it (4.0+ return an empty session)")
				return out.writeTagged(e, ld)
			}
		}
		return emptySession(err, "session-data")
	}
	e.noteFallback(idx)
	return out.writeTagged(e, d)
}

var cookieCmd = &command{
	name:    "cookie",
	summary: "the signed_cookies backend's cookie value: decode or encode",
	usage: `cookie decode [--serializer json|pickle] [--max-age SECONDS] [--now UNIX] [--django V] [VALUE]
cookie encode [--serializer json|pickle] [--timestamp UNIX] [FILE]`,
	help: `decode verifies and decodes the sessionid cookie of the signed_cookies session backend (VALUE,
or stdin) and prints the session as tagged JSON; encode makes one from a tagged JSON dict (FILE,
or stdin): signing.dumps(session, compress=True, salt="django.contrib.sessions.backends.signed_cookies").
Where Django quietly starts an empty session (bad signature, older than SESSION_COOKIE_AGE,
corrupt data), decode exits with status 1 and says why.

Flags:
  --serializer S         SESSION_SERIALIZER: json (default) or pickle (Django < 5.0)
  --allow-global M.NAME  with pickle: decode instances of this class as inert objects (repeatable)
  --max-age SECONDS      decode: SESSION_COOKIE_AGE (default 1209600, two weeks)
  --now UNIX             decode: the current time for the age check (default now)
  --django V             decode: 3.2 also accepts sha1 signatures
  --algorithm A          HMAC hash (default sha256)
  --timestamp UNIX       encode: sign as of this Unix time (default now)
  --secret-key K         SECRET_KEY (default $DJANGO_SECRET_KEY)
  --fallback-key K       SECRET_KEY_FALLBACKS entry (repeatable, decode)
  --pretty               indent the JSON

Examples:
  $ DJANGO_SECRET_KEY=s3cr3t djangosession cookie decode --now 1700000000 eyJhIjoxfQ:1r31eq:905b6WpZHJ2u6tY9DA5PXMA2CYOBt-xPMDFAjqD2BUo
  {"a":1}
  $ echo '{"a": 1}' | DJANGO_SECRET_KEY=s3cr3t djangosession cookie encode --timestamp 1700000000
  eyJhIjoxfQ:1r31eq:905b6WpZHJ2u6tY9DA5PXMA2CYOBt-xPMDFAjqD2BUo
`,
	run: runCookie,
}

func runCookie(e *env, name string, args []string) error {
	op, args, err := subcommand(args, name)
	if err != nil {
		return err
	}
	fs := flag.NewFlagSet(name+" "+op, flag.ContinueOnError)
	var sec secrets
	var ser serializerFlag
	var dj djangoFlag
	var ts, maxAge, now optInt
	var algorithm string
	var out output
	sec.add(fs)
	ser.add(fs)
	algorithmFlag(fs, &algorithm)
	if op == "decode" {
		dj.add(fs, "")
		fs.Var(&maxAge, "max-age", "")
		fs.Var(&now, "now", "")
		out.add(fs)
	} else {
		fs.Var(&ts, "timestamp", "")
	}
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
	opts := djangosession.SignedCookieOptions{
		SecretKey: key, SecretKeyFallbacks: sec.fallbacks, Serializer: s, SessionCookieAge: age,
		Algorithm: algorithm, Django32: dj.is32(),
	}
	if op == "encode" {
		opts.Now = clock(ts)
		d, err := readSession(e, pos)
		if err != nil {
			return err
		}
		cookie, err := djangosession.EncodeSignedCookieSession(d, opts)
		if err != nil {
			return signingError(err)
		}
		return e.println(cookie)
	}
	opts.Now = clock(now)
	cookie, err := readValueArg(e, pos)
	if err != nil {
		return err
	}
	d, idx, err := djangosession.DecodeSignedCookieSessionKey(cookie, opts)
	if err != nil {
		var ia *signing.InvalidAlgorithmError
		if errors.As(err, &ia) {
			return signingError(err)
		}
		return emptySession(err, "cookie")
	}
	e.noteFallback(idx)
	return out.writeTagged(e, d)
}
