package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strconv"
	"time"

	"github.com/djangobridge/bridge/pickle"
	"github.com/djangobridge/bridge/py"

	"github.com/djangobridge/bridge/djangosession"
)

// cacheFlags are the flags of the commands that talk to a cache.
type cacheFlags struct {
	url       string
	keyPrefix string
	version   int
	engine    string
	dj        djangoFlag
	timeout   time.Duration
	allow     stringList
	cookieAge time.Duration // set only: SESSION_COOKIE_AGE
}

const cacheHelpFlags = `Flags:
  --cache URL            the cache (required):
                           redis://HOST:PORT/DB               Django's RedisCache (4.0+)
                           django-redis://HOST:PORT/DB?compressor=zlib&pickle_protocol=4
                                                              django-redis (compressor: zlib, gzip,
                                                              lzma, lz4, zstd; pickle_protocol
                                                              default 4, PICKLE_VERSION)
                           memcached://HOST:PORT[,HOST:PORT]?client=pymemcache|pylibmc
                                                              PyMemcacheCache (default) or
                                                              PyLibMCCache, servers as in LOCATION
                         Redis: more hosts (redis://H1:P,H2:P/DB) are read replicas, as in
                         LOCATION; user:password@ and rediss:// work as in redis-py.
  --key-prefix P         KEY_PREFIX of the cache alias (default "")
  --version N            VERSION of the cache alias (default 1)
  --engine E             SESSION_ENGINE: cache (default) or cached_db (read only: its sessions
                         live in the database; the cache holds a copy)
  --django V             the Django version (default the newest; 3.2 writes expiry dates
                         differently)
  --allow-global M.NAME  decode instances of this class as inert objects (repeatable)
  --timeout D            bound on the whole command's network calls (default 5s)
`

func (f *cacheFlags) add(fs *flag.FlagSet) {
	fs.StringVar(&f.url, "cache", "", "")
	fs.StringVar(&f.keyPrefix, "key-prefix", "", "")
	fs.IntVar(&f.version, "version", 1, "")
	fs.StringVar(&f.engine, "engine", "cache", "")
	f.dj.add(fs, "")
	fs.DurationVar(&f.timeout, "timeout", 5*time.Second, "")
	fs.Var(&f.allow, "allow-global", "")
}

func (f *cacheFlags) config() (djangosession.Config, error) {
	if err := f.dj.check(); err != nil {
		return djangosession.Config{}, err
	}
	cfg := djangosession.Config{
		DjangoVersion:    f.dj.v,
		KeyPrefix:        f.keyPrefix,
		Version:          f.version,
		Codec:            &pickle.Codec{AllowGlobals: f.allow},
		SessionCookieAge: f.cookieAge,
	}
	switch f.engine {
	case "cache":
		cfg.SessionEngine = djangosession.EngineCache
	case "cached_db":
		cfg.SessionEngine = djangosession.EngineCachedDB
	default:
		return cfg, usagef("--engine %q: use cache or cached_db", f.engine)
	}
	if f.version < 1 {
		return cfg, usagef("--version %d: Django's cache versions start at 1", f.version)
	}
	return cfg, nil
}

// open checks the flags and the session key and connects the Store. The caller closes conn.
func (f *cacheFlags) open(pos []string, n int) (key string, st *djangosession.Store, c *conn, err error) {
	if len(pos) == 0 {
		return "", nil, nil, usagef("missing SESSION_KEY (the sessionid cookie's value)")
	}
	if err := maxArgs(pos, n); err != nil {
		return "", nil, nil, err
	}
	if f.url == "" {
		return "", nil, nil, usagef("--cache URL is required (e.g. redis://127.0.0.1:6379/1)")
	}
	if f.timeout <= 0 {
		return "", nil, nil, usagef("--timeout must be positive")
	}
	cfg, err := f.config()
	if err != nil {
		return "", nil, nil, err
	}
	c, err = openCache(f.url, f.timeout)
	if err != nil {
		return "", nil, nil, err
	}
	sc := cfg
	sc.Cache = c.cache
	if sc.SessionEngine == "" {
		sc.SessionEngine = djangosession.EngineCache
	}
	st, err = djangosession.NewStore(sc)
	if err != nil {
		c.close()
		return "", nil, nil, usagef("%v", describeError(err))
	}
	return pos[0], st, c, nil
}

// opened is a session key with its connected Store, for one command, and a context that
// carries --timeout.
type opened struct {
	key    string
	st     *djangosession.Store
	c      *conn
	ctx    context.Context
	cancel context.CancelFunc
}

// start parses args (the flags of fs, then SESSION_KEY and at most n-1 more arguments) and
// opens the cache, as get, delete, exists and ttl begin. The caller closes the result.
func (f *cacheFlags) start(ctx context.Context, fs *flag.FlagSet, args []string, n int) (*opened, error) {
	pos, err := parseArgs(fs, args)
	if err != nil {
		return nil, err
	}
	key, st, c, err := f.open(pos, n)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	return &opened{key: key, st: st, c: c, ctx: ctx, cancel: cancel}, nil
}

// close releases the timeout and the connection.
func (o *opened) close() {
	o.cancel()
	o.c.close()
}

// cacheError explains a failed cache call.
func cacheError(err error) error {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("no answer within --timeout: %w", err)
	case errors.Is(err, djangosession.ErrInvalidKey):
		return fmt.Errorf("rejected: the cache backend refuses this key, as Django's InvalidCacheKey (Django starts a new empty session): %w", err)
	}
	return err
}

func cacheCommand(name, summary, usage, help string, run func(e *env, ctx context.Context, f *cacheFlags, fs *flag.FlagSet, args []string) error) *command {
	return &command{
		name: name, summary: summary, usage: usage, help: help,
		run: func(e *env, name string, args []string) error {
			fs := flag.NewFlagSet(name, flag.ContinueOnError)
			f := &cacheFlags{}
			f.add(fs)
			return run(e, e.ctx, f, fs, args)
		},
	}
}

var getCmd = cacheCommand("get", "print a stored session as tagged JSON",
	"get SESSION_KEY --cache URL [--key-prefix P] [--version N] [--engine cache|cached_db] [--raw]",
	`Read the session stored under SESSION_KEY (the sessionid cookie's value) and print it as tagged
JSON. Where Django would quietly start a new empty session (no such key, a key shorter than 8
characters, a value that is not a pickled dict), get exits with status 1 and says why.

`+cacheHelpFlags+`  --raw                  print the stored pickle bytes (decompressed) instead
  --pretty               indent the JSON

Example:
  $ djangosession get 5iq0x5xf0ad2mbvaqqmi0z1s1o3ai6xr --cache redis://127.0.0.1:6379/1
  {"_auth_user_id":"1","cart":[1,2]}
`,
	func(e *env, ctx context.Context, f *cacheFlags, fs *flag.FlagSet, args []string) error {
		var out output
		out.add(fs)
		raw := fs.Bool("raw", false, "")
		o, err := f.start(ctx, fs, args, 1)
		if err != nil {
			return err
		}
		defer o.close()
		if !djangosession.ValidSessionKey(o.key) {
			return fmt.Errorf("rejected: Django ignores session keys shorter than %d characters (it starts a new empty session)", djangosession.MinSessionKeyLength)
		}
		b, err := o.c.cache.Get(o.ctx, o.st.CacheKey(o.key))
		switch {
		case errors.Is(err, djangosession.ErrInvalidKey):
			return cacheError(err)
		case errors.Is(err, djangosession.ErrNotFound):
			return errors.New("rejected: no session is stored under this key (expired, deleted, or never made; Django starts a new empty session)")
		case errors.Is(err, djangosession.ErrCorrupt):
			return fmt.Errorf("rejected: the stored value is not a session (Django starts a new empty session): %w", err)
		case err != nil:
			return cacheError(err)
		}
		if *raw {
			_, err := e.stdout.Write(b)
			return err
		}
		codec := pickle.Codec{AllowGlobals: f.allow}
		v, err := codec.Decode(b)
		if fg := (*pickle.ForbiddenGlobalError)(nil); errors.As(err, &fg) {
			return fmt.Errorf("rejected: %w (Django would load it; pass --allow-global %s to see it)", err, fg.Global)
		}
		if err != nil {
			return fmt.Errorf("rejected: the stored value is not a valid pickle (Django starts a new empty session): %w", err)
		}
		switch v.(type) {
		case *py.Dict, *py.OrderedDict:
			return out.writeTagged(e, v)
		case nil:
			return errors.New("rejected: the stored value is None (Django starts a new empty session)")
		}
		return fmt.Errorf("rejected: the stored value is a %s, not a session dict (Django's session machinery fails on it)", typeName(v))
	})

var setCmd = cacheCommand("set", "store a session (tagged JSON dict) under a key",
	"set SESSION_KEY --cache URL [--expiry SECONDS] [--key-prefix P] [--version N] [FILE]",
	`Store the session read from FILE (or stdin), a tagged JSON dict, under SESSION_KEY, as Django's
cache engine saves it: pickled (protocol 5, or django-redis's pickle_protocol), compressed as
django-redis is configured, with Django's timeout. Django then loads it for a request whose
sessionid cookie is SESSION_KEY. An existing session under the key is replaced.

The cache timeout is --expiry, or else the session's expiry age as Django computes it:
"_session_expiry" in the data (set_expiry), or SESSION_COOKIE_AGE (--cookie-age).

`+cacheHelpFlags+`  --expiry SECONDS       the cache timeout (default: the session's expiry age)
  --cookie-age SECONDS   SESSION_COOKIE_AGE (default 1209600, two weeks)

Example:
  $ echo '{"_auth_user_id": "1", "cart": [1, 2]}' | djangosession set 5iq0x5xf0ad2mbvaqqmi0z1s1o3ai6xr --cache redis://127.0.0.1:6379/1 --expiry 3600
`,
	func(e *env, ctx context.Context, f *cacheFlags, fs *flag.FlagSet, args []string) error {
		var expiry, cookieAge optInt
		fs.Var(&expiry, "expiry", "")
		fs.Var(&cookieAge, "cookie-age", "")
		pos, err := parseArgs(fs, args)
		if err != nil {
			return err
		}
		timeout, err := seconds("expiry", expiry)
		if err != nil {
			return err
		}
		if f.cookieAge, err = seconds("cookie-age", cookieAge); err != nil {
			return err
		}
		if f.engine == "cached_db" {
			return usagef("--engine cached_db: its sessions live in the database; writing only the cache copy would make the two disagree")
		}
		key, st, c, err := f.open(pos, 2)
		if err != nil {
			return err
		}
		defer c.close()
		if !djangosession.ValidSessionKey(key) {
			return usagef("Django ignores session keys shorter than %d characters", djangosession.MinSessionKeyLength)
		}
		d, err := readSession(e, pos[1:])
		if err != nil {
			return err
		}
		if !expiry.set {
			// The expiry age of the data as Django computes it: _session_expiry, or
			// SESSION_COOKIE_AGE.
			s := st.New()
			if err := s.Update(d); err != nil {
				return err
			}
			if timeout, err = s.ExpiryAge(); err != nil {
				return fmt.Errorf("rejected: the session's _session_expiry cannot be used: %w", err)
			}
		}
		protocol := 5
		if h, ok := c.cache.(djangosession.ProtocolHinter); ok {
			protocol = h.PickleProtocol()
		}
		codec := pickle.Codec{Protocol: protocol, AllowGlobals: f.allow}
		b, err := codec.Encode(d)
		if err != nil {
			return fmt.Errorf("cannot pickle the session: %w", err)
		}
		ctx, cancel := context.WithTimeout(ctx, f.timeout)
		defer cancel()
		if err := c.cache.Set(ctx, st.CacheKey(key), b, timeout); err != nil {
			return cacheError(err)
		}
		return nil
	})

var deleteCmd = cacheCommand("delete", "delete a stored session",
	"delete SESSION_KEY --cache URL [--key-prefix P] [--version N]",
	`Delete the session stored under SESSION_KEY, as Django's SessionStore.delete does (logout
flushes it). A missing session is not an error.

`+cacheHelpFlags+`
Example:
  $ djangosession delete 5iq0x5xf0ad2mbvaqqmi0z1s1o3ai6xr --cache memcached://127.0.0.1:11211
`,
	func(e *env, ctx context.Context, f *cacheFlags, fs *flag.FlagSet, args []string) error {
		o, err := f.start(ctx, fs, args, 1)
		if err != nil {
			return err
		}
		defer o.close()
		if err := o.st.Delete(o.ctx, o.key); err != nil {
			if errors.Is(err, errors.ErrUnsupported) {
				return usagef("%s", describeError(err))
			}
			return cacheError(err)
		}
		return nil
	})

var existsCmd = cacheCommand("exists", "print true or false: is a session stored under a key",
	"exists SESSION_KEY --cache URL [--key-prefix P] [--version N] [--engine cache|cached_db]",
	`Print true when something is stored under SESSION_KEY's cache key (Django's
SessionStore.exists: cache.has_key), false otherwise. Both exit with status 0.

`+cacheHelpFlags+`
Example:
  $ djangosession exists 5iq0x5xf0ad2mbvaqqmi0z1s1o3ai6xr --cache redis://127.0.0.1:6379/1
  true
`,
	func(e *env, ctx context.Context, f *cacheFlags, fs *flag.FlagSet, args []string) error {
		o, err := f.start(ctx, fs, args, 1)
		if err != nil {
			return err
		}
		defer o.close()
		ok, err := o.st.Exists(o.ctx, o.key)
		if err != nil {
			return cacheError(err)
		}
		return e.println(strconv.FormatBool(ok))
	})

var ttlCmd = cacheCommand("ttl", "print the seconds a stored session has left",
	"ttl SESSION_KEY --cache URL [--key-prefix P] [--version N] [--engine cache|cached_db]",
	`Print the seconds the server will keep the session stored under SESSION_KEY (Redis TTL;
memcached "mg KEY t", memcached 1.6+), -1 when it never expires. A missing session exits with
status 1.

`+cacheHelpFlags+`
Example:
  $ djangosession ttl 5iq0x5xf0ad2mbvaqqmi0z1s1o3ai6xr --cache 'memcached://127.0.0.1:11211,127.0.0.1:11212?client=pylibmc'
  1209600
`,
	func(e *env, ctx context.Context, f *cacheFlags, fs *flag.FlagSet, args []string) error {
		o, err := f.start(ctx, fs, args, 1)
		if err != nil {
			return err
		}
		defer o.close()
		n, ok, err := o.c.ttl(o.ctx, o.st.CacheKey(o.key))
		if err != nil {
			return cacheError(err)
		}
		if !ok {
			return errors.New("rejected: no session is stored under this key")
		}
		return e.println(strconv.FormatInt(n, 10))
	})

// offline is a Cache for commands that only compute keys; it never holds anything.
type offline struct{}

func (offline) Get(context.Context, string) ([]byte, error) { return nil, errors.ErrUnsupported }
func (offline) Set(context.Context, string, []byte, time.Duration) error {
	return errors.ErrUnsupported
}
func (offline) Add(context.Context, string, []byte, time.Duration) (bool, error) {
	return false, errors.ErrUnsupported
}
func (offline) Delete(context.Context, string) error      { return errors.ErrUnsupported }
func (offline) Has(context.Context, string) (bool, error) { return false, errors.ErrUnsupported }

var cacheKeyCmd = &command{
	name:    "cache-key",
	summary: "print the cache key Django stores a session under",
	usage:   "cache-key SESSION_KEY [--key-prefix P] [--version N] [--engine cache|cached_db]",
	help: `Print the backend key of a session (KEY_FUNCTION(engine prefix + SESSION_KEY, KEY_PREFIX,
VERSION) with Django's default key function), to look at it with redis-cli or a memcached client.

Flags:
  --key-prefix P         KEY_PREFIX of the cache alias (default "")
  --version N            VERSION of the cache alias (default 1)
  --engine E             cache (default) or cached_db

Example:
  $ djangosession cache-key 5iq0x5xf0ad2mbvaqqmi0z1s1o3ai6xr --key-prefix shop --version 3
  shop:3:django.contrib.sessions.cache5iq0x5xf0ad2mbvaqqmi0z1s1o3ai6xr
`,
	run: func(e *env, name string, args []string) error {
		fs := flag.NewFlagSet(name, flag.ContinueOnError)
		f := &cacheFlags{}
		fs.StringVar(&f.keyPrefix, "key-prefix", "", "")
		fs.IntVar(&f.version, "version", 1, "")
		fs.StringVar(&f.engine, "engine", "cache", "")
		pos, err := parseArgs(fs, args)
		if err != nil {
			return err
		}
		if len(pos) == 0 {
			return usagef("missing SESSION_KEY")
		}
		if err := maxArgs(pos, 1); err != nil {
			return err
		}
		cfg, err := f.config()
		if err != nil {
			return err
		}
		key, err := cfg.CacheKey(pos[0])
		if err != nil {
			return usagef("%v", describeError(err))
		}
		return e.println(key)
	},
}
