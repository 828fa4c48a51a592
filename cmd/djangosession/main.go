// Command djangosession looks inside, and makes, the values a Django app shares with other
// programs: pickled cache sessions, django.core.signing values, db/cached_db session_data,
// signed_cookies cookies, the session auth hash, and the sessions stored in Redis or
// memcached. It is a thin layer over package djangosession; run it with --help for the
// subcommands and examples.
//
// Values go in and out as tagged JSON (compat_test/FORMAT.md); pickle bytes go in and out raw.
// Exit status: 0 on success, 1 when the input is rejected (bad signature, expired, corrupt
// data, no such session) or the operation fails (server unreachable), 2 for a usage error.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
)

func main() {
	// Ctrl-C cancels the network calls in flight (each is also bounded by --timeout).
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := runContext(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is the whole program: it parses args, runs one subcommand and returns the exit status.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return runContext(context.Background(), args, stdin, stdout, stderr)
}

func runContext(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{ctx: ctx, stdin: stdin, stdout: stdout, stderr: stderr, getenv: os.Getenv}
	return e.main(args)
}

// env is what a subcommand sees of the process: its context, streams and environment.
type env struct {
	ctx            context.Context
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	masks          []string // passwords that must never be printed (a --db or --cache URL's)
}

// mask registers a password that main replaces in any error it prints: drivers may quote
// their connection settings.
func (e *env) mask(secret string) {
	if secret != "" {
		e.masks = append(e.masks, secret)
	}
}

// masked replaces every registered password in msg.
func (e *env) masked(msg string) string {
	for _, m := range e.masks {
		msg = strings.ReplaceAll(msg, m, "xxxxx")
	}
	return msg
}

// command is one subcommand.
type command struct {
	name    string
	summary string
	usage   string // the synopsis lines after "djangosession"
	help    string // description and examples
	run     func(e *env, name string, args []string) error
}

// commands lists the subcommands in the order --help shows them.
var commands = []*command{
	decodeCmd, encodeCmd,
	dumpsCmd, loadsCmd, signCmd, unsignCmd,
	sessionDataCmd, cookieCmd, authHashCmd,
	getCmd, setCmd, deleteCmd, existsCmd, ttlCmd, clearSessionsCmd, checkCmd, cacheKeyCmd,
}

func lookup(name string) *command {
	for _, c := range commands {
		if c.name == name {
			return c
		}
	}
	return nil
}

// Exit statuses.
const (
	exitOK       = 0
	exitRejected = 1
	exitUsage    = 2
)

// usageError is a mistake in the command line: exit status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return &usageError{msg: fmt.Sprintf(format, a...)} }

// errHelp reports that -h was given: the usage went to stdout, exit status 0.
var errHelp = errors.New("help requested")

func (e *env) main(args []string) int {
	if len(args) == 0 {
		fmt.Fprint(e.stderr, mainUsage())
		return exitUsage
	}
	name := args[0]
	switch name {
	case "-h", "-help", "--help", "help":
		if name == "help" && len(args) > 1 {
			if c := lookup(args[1]); c != nil {
				fmt.Fprint(e.stdout, c.fullUsage())
				return exitOK
			}
			fmt.Fprintf(e.stderr, "djangosession: unknown command %q\n\n%s", args[1], mainUsage())
			return exitUsage
		}
		fmt.Fprint(e.stdout, mainUsage())
		return exitOK
	}
	c := lookup(name)
	if c == nil {
		fmt.Fprintf(e.stderr, "djangosession: unknown command %q (see djangosession --help)\n", name)
		return exitUsage
	}
	err := c.run(e, name, args[1:])
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errHelp):
		fmt.Fprint(e.stdout, c.fullUsage())
		return exitOK
	}
	var ue *usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(e.stderr, "djangosession %s: %s\nusage: %s(run \"djangosession %s -h\" for help)\n",
			name, e.masked(ue.msg), c.synopsis(), c.name)
		return exitUsage
	}
	var fe *failedCheck
	if errors.As(err, &fe) {
		return exitRejected // check has printed its report
	}
	fmt.Fprintf(e.stderr, "djangosession %s: %s\n", name, e.masked(describeError(err)))
	return exitRejected
}

func (c *command) synopsis() string {
	var b strings.Builder
	for _, l := range strings.Split(strings.TrimSpace(c.usage), "\n") {
		b.WriteString("djangosession " + strings.TrimSpace(l) + "\n")
	}
	return b.String()
}

func (c *command) fullUsage() string {
	return "usage: " + strings.ReplaceAll(c.synopsis(), "\ndjangosession", "\n       djangosession") +
		"\n" + strings.TrimLeft(c.help, "\n")
}

func mainUsage() string {
	var b strings.Builder
	b.WriteString(`djangosession: look inside and make the sessions and signed values a Django app shares.

usage: djangosession COMMAND [flags] [args]
       djangosession help COMMAND     (or COMMAND -h): flags and examples of COMMAND

Commands:
`)
	width := 0
	for _, c := range commands {
		width = max(width, len(c.name))
	}
	for _, c := range commands {
		fmt.Fprintf(&b, "  %-*s  %s\n", width, c.name, c.summary)
	}
	b.WriteString(`
Values are tagged JSON (compat_test/FORMAT.md): plain JSON for str, int, bool, None, list and
str-keyed dict, {"__py__": ...} objects for the other Python types. Pickle bytes are raw on
stdin/stdout. Secrets come from the environment: DJANGO_SECRET_KEY (SECRET_KEY; --secret-key
overrides it), and --fallback-key (repeatable) for SECRET_KEY_FALLBACKS; DJANGOSESSION_DB
(--db overrides it) for the database URL. Secrets and database passwords are never printed. Flags may follow the arguments; put "--" before an argument that starts with "-".

Exit status: 0 success; 1 input rejected (bad signature, expired, corrupt data, no such
session) or the operation failed (e.g. server unreachable); 2 usage error.

Examples:
  djangosession decode session.pickle
  echo '{"cart": [1, 2]}' | DJANGO_SECRET_KEY=s3cr3t djangosession dumps --compress
  djangosession get 1abc... --cache redis://127.0.0.1:6379/1
  DJANGO_SECRET_KEY=s3cr3t djangosession check --engine db --db postgres://app@127.0.0.1:5432/app
`)
	return b.String()
}

// describeError renders an error for stderr without the library's package prefixes, which
// say nothing to a user of the command ("pickle: " and "zlib: " stay: they name the format).
func describeError(err error) string {
	msg := err.Error()
	msg = strings.ReplaceAll(msg, "djangosession: ", "")
	msg = strings.ReplaceAll(msg, "signing: ", "")
	msg = strings.ReplaceAll(msg, "pyjson: ", "json: ")
	return msg
}

// parseArgs parses flags that may come before, between and after the positional arguments, and
// returns the positional ones. "--" ends the flags. -h gives errHelp; other mistakes a
// usageError.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, errHelp
			}
			return nil, &usageError{msg: err.Error()}
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// maxArgs checks the number of positional arguments.
func maxArgs(pos []string, n int) error {
	if len(pos) > n {
		return usagef("too many arguments: %q", pos[n:])
	}
	return nil
}

// stringList is a repeatable string flag.
type stringList []string

func (s *stringList) String() string { return strings.Join(*s, ",") }

func (s *stringList) Set(v string) error {
	*s = append(*s, v)
	return nil
}

// optInt is an int64 flag that records whether it was given.
type optInt struct {
	set bool
	v   int64
}

func (o *optInt) String() string {
	if !o.set {
		return ""
	}
	return fmt.Sprint(o.v)
}

func (o *optInt) Set(s string) error {
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return fmt.Errorf("not an integer: %q", s)
	}
	o.set, o.v = true, v
	return nil
}
