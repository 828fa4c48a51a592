package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/djangobridge/bridge/pickle"
	"github.com/djangobridge/bridge/signing"

	"github.com/djangobridge/bridge/djangosession"
	"github.com/djangobridge/bridge/djangosession/dbstore"
)

// storeFlags are the settings of the commands that reach a session engine's storage: the
// engine, its servers, and the settings.py entries the engine reads.
type storeFlags struct {
	engine     string
	url        string // --cache
	db         string // --db
	table      string
	filePath   string
	cookieName string
	keyPrefix  string
	version    int
	dj         djangoFlag
	timeout    time.Duration
	allow      stringList
	serializer string
	noUseTZ    bool // --use-tz=false
	timeZone   string
	now        optInt
	sec        secrets
	cookieAge  time.Duration // set from --cookie-age where a command has it
}

// engineNames are the --engine values, Django's short names.
var engineNames = []string{"cache", "db", "cached_db", "file", "signed_cookies"}

const storeHelpFlags = `Flags:
  --engine E             SESSION_ENGINE: cache (default), db, cached_db, file or signed_cookies
                         (the short name, or django.contrib.sessions.backends.E)
  --cache URL            the cache of SESSION_CACHE_ALIAS (cache and cached_db):
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
  --db URL               DATABASES["default"] (db and cached_db): sqlite:///ABSOLUTE/PATH,
                         postgres://USER:PASS@HOST:PORT/NAME or mysql://USER:PASS@HOST:PORT/NAME
                         (the password is never printed; prefer $DJANGOSESSION_DB, which --db
                         overrides: arguments are visible to other users)
  --table T              the session model's db_table (default django_session)
  --use-tz=false         USE_TZ = False: expire_date holds naive times in --time-zone
  --time-zone Z          TIME_ZONE (default America/Chicago, Django's; startproject writes UTC)
  --file-path DIR        SESSION_FILE_PATH (file; default the temp directory, as Django's None)
  --cookie-name N        SESSION_COOKIE_NAME (file names; default sessionid)
  --key-prefix P         KEY_PREFIX of the cache alias (default "")
  --version N            VERSION of the cache alias (default 1)
  --serializer S         SESSION_SERIALIZER: json (default) or pickle (Django < 5.0)
  --secret-key K         SECRET_KEY (default $DJANGO_SECRET_KEY; db, cached_db, file and
                         signed_cookies sign their sessions with it)
  --fallback-key K       a key of SECRET_KEY_FALLBACKS (repeatable)
  --django V             the Django version (default the newest; 3.2 writes expiry dates
                         differently)
  --allow-global M.NAME  decode instances of this class as inert objects (repeatable)
  --now UNIX             the current time for expiry checks (default now)
  --timeout D            bound on the whole command's network and database calls (default 5s)
`

func (f *storeFlags) add(fs *flag.FlagSet) {
	fs.StringVar(&f.engine, "engine", "cache", "")
	fs.StringVar(&f.url, "cache", "", "")
	fs.StringVar(&f.db, "db", "", "")
	fs.StringVar(&f.table, "table", "", "")
	fs.StringVar(&f.filePath, "file-path", "", "")
	fs.StringVar(&f.cookieName, "cookie-name", "", "")
	fs.StringVar(&f.keyPrefix, "key-prefix", "", "")
	fs.IntVar(&f.version, "version", 1, "")
	f.dj.add(fs, "")
	fs.DurationVar(&f.timeout, "timeout", 5*time.Second, "")
	fs.Var(&f.allow, "allow-global", "")
	fs.StringVar(&f.serializer, "serializer", "json", "")
	fs.Func("use-tz", "", func(s string) error {
		switch s {
		case "true", "1", "True":
			f.noUseTZ = false
		case "false", "0", "False":
			f.noUseTZ = true
		default:
			return fmt.Errorf("want true or false, not %q", s)
		}
		return nil
	})
	fs.StringVar(&f.timeZone, "time-zone", "", "")
	fs.Var(&f.now, "now", "")
	f.sec.add(fs)
}

// shortEngine returns --engine as Django's short name.
func (f *storeFlags) shortEngine() (string, error) {
	e := strings.TrimPrefix(f.engine, "django.contrib.sessions.backends.")
	for _, n := range engineNames {
		if e == n {
			return e, nil
		}
	}
	return "", usagef("--engine %q: use %s", f.engine, strings.Join(engineNames, ", "))
}

// serializerValue is --serializer as a signing.Serializer.
func (f *storeFlags) serializerValue() (signing.Serializer, error) {
	switch f.serializer {
	case "json":
		return signing.JSONSerializer{}, nil
	case "pickle":
		return djangosession.PickleSerializer{Codec: &pickle.Codec{AllowGlobals: f.allow}}, nil
	}
	return nil, usagef("--serializer %q: use json or pickle", f.serializer)
}

// config is the Store's Config of the flags, without storage and secret.
func (f *storeFlags) config() (djangosession.Config, error) {
	if err := f.dj.check(); err != nil {
		return djangosession.Config{}, err
	}
	eng, err := f.shortEngine()
	if err != nil {
		return djangosession.Config{}, err
	}
	ser, err := f.serializerValue()
	if err != nil {
		return djangosession.Config{}, err
	}
	cfg := djangosession.Config{
		SessionEngine:     eng,
		DjangoVersion:     f.dj.v,
		KeyPrefix:         f.keyPrefix,
		Version:           f.version,
		Codec:             &pickle.Codec{AllowGlobals: f.allow},
		SessionCookieAge:  f.cookieAge,
		SessionSerializer: ser,
		SessionFilePath:   f.filePath,
		SessionCookieName: f.cookieName,
		DisableUseTZ:      f.noUseTZ,
		TimeZone:          f.timeZone,
		Now:               clock(f.now),
	}
	if f.version < 1 {
		return cfg, usagef("--version %d: Django's cache versions start at 1", f.version)
	}
	if f.timeZone != "" {
		if _, err := time.LoadLocation(f.timeZone); err != nil {
			return cfg, usagef("--time-zone %q: %v", f.timeZone, err)
		}
	}
	return cfg, nil
}

// backend is an engine's storage, opened: the Store, and what commands reach around it (the
// cache connection for TTLs, the table for expire_date and sampling).
type backend struct {
	engine string // short name
	cfg    djangosession.Config
	st     *djangosession.Store // nil for cached_db without --db (the cache copy only)
	c      *conn                // cache, cached_db
	db     *sql.DB              // db, cached_db with --db
	dbURL  dbURL
	table  *dbstore.Table
}

func (b *backend) close() {
	if b.c != nil {
		b.c.close()
	}
	if b.db != nil {
		b.db.Close()
	}
}

// copyOnly reports a cached_db backend without --db: only its cache copies can be read.
func (b *backend) copyOnly() bool { return b.engine == "cached_db" && b.st == nil }

// openOpts say what a command needs of the storage.
type openOpts struct {
	needDB     bool // cached_db needs --db (writes); db always does
	needSecret bool // the secret is needed even by the cache engine (check --check-auth)
}

// open checks the flags for the engine and connects its storage. The caller closes it.
func (f *storeFlags) open(e *env, o openOpts) (*backend, error) {
	if f.timeout <= 0 {
		return nil, usagef("--timeout must be positive")
	}
	cfg, err := f.config()
	if err != nil {
		return nil, err
	}
	b := &backend{engine: cfg.SessionEngine}
	if f.db == "" {
		f.db = e.getenv("DJANGOSESSION_DB")
	}
	usesCache := b.engine == "cache" || b.engine == "cached_db"
	usesDB := b.engine == "db" || b.engine == "cached_db"
	switch {
	case usesCache && f.url == "":
		return nil, usagef("--engine %s needs --cache URL (e.g. redis://127.0.0.1:6379/1)", b.engine)
	case !usesCache && f.url != "":
		return nil, usagef("--cache applies to the cache and cached_db engines, not %s", b.engine)
	case b.engine == "db" && f.db == "":
		return nil, usagef("--engine db needs --db URL (%s)", dbURLHelp)
	case b.engine == "cached_db" && f.db == "" && o.needDB:
		return nil, usagef("--engine cached_db needs --db URL for this: its sessions live in the database; the cache holds a copy")
	case !usesDB && f.db != "" && e.getenv("DJANGOSESSION_DB") != f.db:
		return nil, usagef("--db applies to the db and cached_db engines, not %s", b.engine)
	case b.engine != "file" && (f.filePath != "" || f.cookieName != ""):
		return nil, usagef("--file-path and --cookie-name apply to the file engine")
	case !usesDB && (f.table != "" || f.noUseTZ):
		return nil, usagef("--table and --use-tz apply to the db and cached_db engines")
	}
	if !usesDB {
		f.db = ""
	}
	signs := b.engine != "cache" && !(b.engine == "cached_db" && f.db == "")
	if signs || o.needSecret {
		if cfg.SecretKey, err = f.sec.secret(e); err != nil {
			return nil, err
		}
		cfg.SecretKeyFallbacks = f.sec.fallbacks
	}
	if f.db != "" {
		if b.dbURL, err = parseDBURL(f.db); err != nil {
			return nil, err
		}
		e.mask(b.dbURL.password)
	}
	if f.url != "" {
		if u, err := parseCacheURL(f.url); err == nil {
			if _, pw, ok := strings.Cut(strings.TrimSuffix(u.userinfo, "@"), ":"); ok {
				e.mask(pw)
			}
		}
	}
	if usesCache {
		if b.c, err = openCache(f.url, f.timeout); err != nil {
			return nil, err
		}
		cfg.Cache = b.c.cache
	}
	if f.db != "" {
		if b.db, err = openDB(e.ctx, b.dbURL, f.timeout); err != nil {
			b.close()
			return nil, err
		}
		b.table, err = dbstore.New(b.db, dbstore.Options{Dialect: b.dbURL.dialect, Table: f.table,
			DisableUseTZ: f.noUseTZ, TimeZone: f.timeZone})
		if err != nil {
			b.close()
			return nil, usagef("%v", err)
		}
		cfg.DB = b.table
	}
	b.cfg = cfg
	if b.engine == "cached_db" && b.table == nil {
		return b, nil // the cache copy only
	}
	if b.st, err = djangosession.NewStore(cfg); err != nil {
		b.close()
		return nil, usagef("%s", describeError(err))
	}
	return b, nil
}

// cacheKey is the cache key of a session key (cache, and cached_db's copy).
func (b *backend) cacheKey(key string) string {
	k, _ := b.cfg.CacheKey(key) // the engine has a cache: never an error
	return k
}

// storeError explains a failed storage call.
func storeError(err error) error {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("no answer within --timeout: %w", err)
	case errors.Is(err, djangosession.ErrInvalidKey):
		return fmt.Errorf("rejected: the storage refuses this key, as Django's InvalidCacheKey or InvalidSessionKey (Django starts a new empty session): %w", err)
	case errors.Is(err, djangosession.ErrUnreadable):
		return fmt.Errorf("rejected: %w", err)
	}
	return err
}

// storeCommand makes a command over storeFlags. run gets the context bounded by --timeout.
func storeCommand(name, summary, usage, help string, run func(e *env, ctx context.Context, f *storeFlags, fs *flag.FlagSet, args []string) error) *command {
	return &command{
		name: name, summary: summary, usage: usage, help: help,
		run: func(e *env, name string, args []string) error {
			fs := flag.NewFlagSet(name, flag.ContinueOnError)
			f := &storeFlags{}
			f.add(fs)
			return run(e, e.ctx, f, fs, args)
		},
	}
}

// openKey is how the commands on one stored session start: the one key argument, the store
// opened, and ctx bounded by --timeout. The caller closes b and calls cancel.
func (f *storeFlags) openKey(ctx context.Context, e *env, pos []string, eng string, o openOpts) (string, *backend, context.Context, context.CancelFunc, error) {
	key, err := oneKey(pos, 1, keyWhat(eng))
	if err != nil {
		return "", nil, nil, nil, err
	}
	b, err := f.open(e, o)
	if err != nil {
		return "", nil, nil, nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	return key, b, ctx, cancel, nil
}

// oneKey checks that pos holds SESSION_KEY and at most n-1 more arguments.
func oneKey(pos []string, n int, what string) (string, error) {
	if len(pos) == 0 {
		return "", usagef("missing %s", what)
	}
	if err := maxArgs(pos, n); err != nil {
		return "", err
	}
	return pos[0], nil
}

// keyWhat names the positional argument of an engine in messages.
func keyWhat(engine string) string {
	if engine == "signed_cookies" {
		return "COOKIE (the sessionid cookie's value: under signed_cookies the cookie is the session)"
	}
	return "SESSION_KEY (the sessionid cookie's value)"
}
