package main

import (
	"errors"
	"flag"
	"fmt"

	"github.com/djangobridge/bridge/pickle"
)

var decodeCmd = &command{
	name:    "decode",
	summary: "pickle bytes (a cache value) to tagged JSON",
	usage:   "decode [--allow-global MODULE.NAME ...] [--pretty] [FILE]",
	help: `Decode a Python pickle (FILE, or stdin) into tagged JSON, without Python: nothing in it is
imported or run. Classes outside the built-in types (datetime, Decimal, UUID, ...) are refused
unless named with --allow-global; their instances come out as inert "object" values.

Flags:
  --allow-global MODULE.NAME  accept this class (repeatable)
  --pretty                    indent the JSON

Examples:
  $ djangosession get 5iq0x5xf0ad2mbvaqqmi0z1s1o3ai6xr --cache redis://127.0.0.1:6379/1 --raw > s.pickle
  $ djangosession decode s.pickle
  {"cart":[1,2],"when":{"__py__":"date","iso":"2024-02-29"}}
  $ djangosession decode --allow-global shop.models.Cart < s.pickle
`,
	run: runDecode,
}

func runDecode(e *env, name string, args []string) error {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	var allow stringList
	var out output
	fs.Var(&allow, "allow-global", "")
	out.add(fs)
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	b, err := readFileArg(e, pos)
	if err != nil {
		return err
	}
	codec := pickle.Codec{AllowGlobals: allow}
	v, err := codec.Decode(b)
	if err != nil {
		if fg := (*pickle.ForbiddenGlobalError)(nil); errors.As(err, &fg) {
			return fmt.Errorf("rejected: %w (to decode it anyway, as an inert object, pass --allow-global %s)", err, fg.Global)
		}
		return fmt.Errorf("rejected: not a valid pickle: %w", err)
	}
	return out.writeTagged(e, v)
}

var encodeCmd = &command{
	name:    "encode",
	summary: "tagged JSON to pickle bytes",
	usage:   "encode [--protocol N] [--allow-global MODULE.NAME ...] [FILE]",
	help: `Encode a tagged JSON value (FILE, or stdin) as a Python pickle, written raw to stdout, the
way CPython's pickle.dumps writes it. Only the built-in types' classes are written, plus those
named with --allow-global (for "object" values).

Flags:
  --protocol N                pickle protocol 2 to 5 (default 5, what Django's own cache
                              backends write; django-redis writes 4)
  --allow-global MODULE.NAME  allow "object" values of this class (repeatable)

Examples:
  $ echo '{"cart": [1, 2]}' | djangosession encode | xxd | head -1
  00000000: 8005 9513 0000 0000 0000 007d 948c 0463  ...........}...c
  $ djangosession encode --protocol 4 session.json > session.pickle
`,
	run: runEncode,
}

func runEncode(e *env, name string, args []string) error {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	var allow stringList
	protocol := fs.Int("protocol", 5, "")
	fs.Var(&allow, "allow-global", "")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if *protocol < 2 || *protocol > 5 {
		return usagef("--protocol %d: use 2, 3, 4 or 5", *protocol)
	}
	v, err := readTagged(e, pos)
	if err != nil {
		return err
	}
	codec := pickle.Codec{Protocol: *protocol, AllowGlobals: allow}
	b, err := codec.Encode(v)
	if err != nil {
		return fmt.Errorf("cannot pickle the value: %w", err)
	}
	_, err = e.stdout.Write(b)
	return err
}
