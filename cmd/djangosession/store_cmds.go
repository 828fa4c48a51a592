package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/djangobridge/bridge/pickle"
	"github.com/djangobridge/bridge/py"
	"github.com/djangobridge/bridge/signing"

	"github.com/djangobridge/bridge/djangosession"
	"github.com/djangobridge/bridge/djangosession/dbstore"
)

// The commands over a session engine's storage: get, set, delete, exists, ttl, clearsessions.
// Each opens the engine's storage from the flags (storeFlags.open) and goes through the
// djangosession.Store, except where a command shows what the Store does not (the raw cache
// value, a server's TTL, a row's expire_date).

// now is --now or the clock.
func (f *storeFlags) nowTime() time.Time {
	if f.now.set {
		return time.Unix(f.now.v, 0)
	}
	return time.Now()
}

var getCmd = storeCommand("get", "print a stored session as tagged JSON",
	`get SESSION_KEY [--engine cache|db|cached_db|file] [--cache URL] [--db URL] [--file-path DIR] [--raw]
get COOKIE --engine signed_cookies`,
	`Read the session stored under SESSION_KEY (the sessionid cookie's value) and print it as tagged
JSON. Under signed_cookies the cookie is the session: give its value. Where Django would quietly
start a new empty session (no such key, an expired session, a key shorter than 8 characters, a
value that is not a session, a signature that does not verify), get exits with status 1 and
says why.

With --engine cached_db and no --db, get reads the cache copy only (a miss there is not a
missing session: Django would read the row).

`+storeHelpFlags+`  --raw                  cache engines: print the stored pickle bytes (decompressed) instead
  --pretty               indent the JSON

Examples:
  $ djangosession get 5iq0x5xf0ad2mbvaqqmi0z1s1o3ai6xr --cache redis://127.0.0.1:6379/1
  {"_auth_user_id":"1","cart":[1,2]}
  $ DJANGO_SECRET_KEY=... djangosession get 5iq0x5xf0ad2mbvaqqmi0z1s1o3ai6xr --engine db --db sqlite:///srv/app/db.sqlite3
  $ DJANGO_SECRET_KEY=... djangosession get "$COOKIE" --engine signed_cookies
`,
	func(e *env, ctx context.Context, f *storeFlags, fs *flag.FlagSet, args []string) error {
		var out output
		out.add(fs)
		raw := fs.Bool("raw", false, "")
		pos, err := parseArgs(fs, args)
		if err != nil {
			return err
		}
		eng, err := f.shortEngine()
		if err != nil {
			return err
		}
		key, b, ctx, cancel, err := f.openKey(ctx, e, pos, eng, openOpts{})
		if err != nil {
			return err
		}
		defer b.close()
		defer cancel()
		if eng == "cache" || b.copyOnly() {
			if b.copyOnly() {
				e.notef("no --db: reading cached_db's cache copy only")
			}
			return getCached(e, ctx, b, f, key, *raw, out)
		}
		if *raw {
			return usagef("--raw applies to the cache engines (the pickle in the cache)")
		}
		if eng != "signed_cookies" && !djangosession.ValidSessionKey(key) {
			return fmt.Errorf("rejected: Django ignores session keys shorter than %d characters (it starts a new empty session)", djangosession.MinSessionKeyLength)
		}
		s, err := b.st.Load(ctx, key)
		if err != nil {
			return storeError(err)
		}
		if le := s.LoadError(); le != nil {
			if eng == "signed_cookies" {
				return emptySession(le, "cookie")
			}
			return fmt.Errorf("rejected: %w (Django starts a new empty session)", le)
		}
		return out.writeTagged(e, s.Data())
	})

// getCached prints the pickled session of the cache engine, or cached_db's cache copy, as
// stored: get says why Django would not use a value, which a Store.Load would only call a miss.
func getCached(e *env, ctx context.Context, b *backend, f *storeFlags, key string, raw bool, out output) error {
	if !djangosession.ValidSessionKey(key) {
		return fmt.Errorf("rejected: Django ignores session keys shorter than %d characters (it starts a new empty session)", djangosession.MinSessionKeyLength)
	}
	v, err := b.c.cache.Get(ctx, b.cacheKey(key))
	switch {
	case errors.Is(err, djangosession.ErrInvalidKey):
		return storeError(err)
	case errors.Is(err, djangosession.ErrNotFound):
		return errors.New("rejected: no session is stored under this key (expired, deleted, or never made; Django starts a new empty session)")
	case errors.Is(err, djangosession.ErrCorrupt):
		return fmt.Errorf("rejected: the stored value is not a session (Django starts a new empty session): %w", err)
	case err != nil:
		return storeError(err)
	}
	if raw {
		_, err := e.stdout.Write(v)
		return err
	}
	d, err := decodeCached(v, f.allow)
	if err != nil {
		return err
	}
	return out.writeTagged(e, d)
}

// decodeCached unpickles a cache value and checks that it is a session dict.
func decodeCached(v []byte, allow []string) (any, error) {
	codec := pickle.Codec{AllowGlobals: allow}
	d, err := codec.Decode(v)
	if fg := (*pickle.ForbiddenGlobalError)(nil); errors.As(err, &fg) {
		return nil, fmt.Errorf("rejected: %w (Django would load it; pass --allow-global %s to see it)", err, fg.Global)
	}
	if err != nil {
		return nil, fmt.Errorf("rejected: the stored value is not a valid pickle (Django starts a new empty session): %w", err)
	}
	switch d.(type) {
	case *py.Dict, *py.OrderedDict:
		return d, nil
	case nil:
		return nil, errors.New("rejected: the stored value is None (Django starts a new empty session)")
	}
	return nil, fmt.Errorf("rejected: the stored value is a %s, not a session dict (Django's session machinery fails on it)", typeName(d))
}

var setCmd = storeCommand("set", "store a session (tagged JSON dict): replace one, or create a new one",
	`set SESSION_KEY --cache URL [--expiry SECONDS] [FILE]       (cache: store under the key)
set SESSION_KEY --engine db|cached_db|file [FILE]            (replace a stored session)
set --create [--engine E] [FILE]                             (a new session; prints its key)
set --engine signed_cookies [FILE]                           (prints a new cookie value)`,
	`Store the session read from FILE (or stdin), a tagged JSON dict, as Django's engine saves it.

cache: under SESSION_KEY, pickled (protocol 5, or django-redis's pickle_protocol), compressed as
django-redis is configured, with Django's timeout; an existing session under the key is
replaced. The cache timeout is --expiry, or else the session's expiry age as Django computes
it: "_session_expiry" in the data (set_expiry), or SESSION_COOKIE_AGE (--cookie-age).

db, cached_db, file: the session stored under SESSION_KEY gets the new data (Django's save() of a
loaded session: the row's session_data and expire_date, cached_db's cache copy, the file); no
session under the key exits with status 1, as Django's save() raises UpdateError. Django
draws the keys of new sessions itself: --create makes one under a new random key, as
SessionStore().create() does, and prints the key.

signed_cookies: prints the cookie value of the session (signing.dumps, as the engine's save()).

Django then loads the session for a request whose sessionid cookie is the key (or the cookie).

`+storeHelpFlags+`  --create               store a new session under a new key and print the key
  --expiry SECONDS       cache: the cache timeout (default: the session's expiry age)
  --cookie-age SECONDS   SESSION_COOKIE_AGE (default 1209600, two weeks)

Examples:
  $ echo '{"_auth_user_id": "1", "cart": [1, 2]}' | djangosession set 5iq0x5xf0ad2mbvaqqmi0z1s1o3ai6xr --cache redis://127.0.0.1:6379/1 --expiry 3600
  $ echo '{"cart": [1, 2]}' | DJANGO_SECRET_KEY=... djangosession set --create --engine db --db postgres://app@127.0.0.1:5432/app
  3k1uw2yqvzj0i1x9n8f6h2n0l8yq0c1r
`,
	func(e *env, ctx context.Context, f *storeFlags, fs *flag.FlagSet, args []string) error {
		var expiry, cookieAge optInt
		fs.Var(&expiry, "expiry", "")
		fs.Var(&cookieAge, "cookie-age", "")
		create := fs.Bool("create", false, "")
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
		eng, err := f.shortEngine()
		if err != nil {
			return err
		}
		if expiry.set && eng != "cache" {
			return usagef("--expiry is the cache engine's timeout; for %s put \"_session_expiry\" (set_expiry) in the data, or give --cookie-age", eng)
		}
		if eng == "signed_cookies" {
			*create = true
		}
		var key string
		files := pos
		if !*create {
			if key, err = oneKey(pos, 2, "SESSION_KEY (or --create for a new session)"); err != nil {
				return err
			}
			files = pos[1:]
			if !djangosession.ValidSessionKey(key) {
				return usagef("Django ignores session keys shorter than %d characters", djangosession.MinSessionKeyLength)
			}
		} else if err := maxArgs(pos, 1); err != nil {
			return err
		}
		d, err := readSession(e, files)
		if err != nil {
			return err
		}
		b, err := f.open(e, openOpts{needDB: true})
		if err != nil {
			return err
		}
		defer b.close()
		ctx, cancel := context.WithTimeout(ctx, f.timeout)
		defer cancel()
		if *create {
			s := b.st.New()
			if err := s.Update(d); err != nil {
				return err
			}
			if err := s.Save(ctx); err != nil {
				return storeError(err)
			}
			return e.println(s.Key())
		}
		if eng == "cache" {
			return setCache(ctx, b, key, d, timeout, expiry.set, f.allow)
		}
		s, err := b.st.Load(ctx, key)
		if err != nil {
			return storeError(err)
		}
		s.Len() // Django's save() loads the session first
		if s.Key() == "" {
			why := s.LoadError()
			return fmt.Errorf("rejected: no session is stored under this key (%v); Django's save() raises UpdateError. Use --create for a new session", describeError(why))
		}
		s.Clear()
		if err := s.Update(d); err != nil {
			return err
		}
		if err := s.Save(ctx); err != nil {
			if errors.Is(err, djangosession.ErrUpdate) {
				return fmt.Errorf("rejected: the session was deleted meanwhile (Django's UpdateError): %w", err)
			}
			return storeError(err)
		}
		return nil
	})

// setCache is set under the cache engine: the pickle under the key, with the timeout
// Django's cache engine gives (or --expiry).
func setCache(ctx context.Context, b *backend, key string, d *py.Dict, timeout time.Duration, fixed bool, allow []string) error {
	if !fixed {
		// The expiry age of the data as Django computes it: _session_expiry, or
		// SESSION_COOKIE_AGE.
		s := b.st.New()
		if err := s.Update(d); err != nil {
			return err
		}
		var err error
		if timeout, err = s.ExpiryAge(); err != nil {
			return fmt.Errorf("rejected: the session's _session_expiry cannot be used: %w", err)
		}
	}
	protocol := 5
	if h, ok := b.c.cache.(djangosession.ProtocolHinter); ok {
		protocol = h.PickleProtocol()
	}
	codec := pickle.Codec{Protocol: protocol, AllowGlobals: allow}
	v, err := codec.Encode(d)
	if err != nil {
		return fmt.Errorf("cannot pickle the session: %w", err)
	}
	if err := b.c.cache.Set(ctx, b.cacheKey(key), v, timeout); err != nil {
		return storeError(err)
	}
	return nil
}

var deleteCmd = storeCommand("delete", "delete a stored session",
	"delete SESSION_KEY [--engine cache|db|cached_db|file] [--cache URL] [--db URL] [--file-path DIR]",
	`Delete the session stored under SESSION_KEY, as Django's SessionStore.delete does (logout
flushes it): the cache entry, the row (and cached_db's copy), the file. A missing session is
not an error. signed_cookies store nothing to delete.

`+storeHelpFlags+`
Example:
  $ djangosession delete 5iq0x5xf0ad2mbvaqqmi0z1s1o3ai6xr --cache memcached://127.0.0.1:11211
`,
	func(e *env, ctx context.Context, f *storeFlags, fs *flag.FlagSet, args []string) error {
		pos, err := parseArgs(fs, args)
		if err != nil {
			return err
		}
		eng, err := f.shortEngine()
		if err != nil {
			return err
		}
		if eng == "signed_cookies" {
			return usagef("signed_cookies store nothing: the session is the cookie, and ends when the browser drops it")
		}
		key, b, ctx, cancel, err := f.openKey(ctx, e, pos, eng, openOpts{needDB: true})
		if err != nil {
			return err
		}
		defer b.close()
		defer cancel()
		if err := b.st.Delete(ctx, key); err != nil {
			return storeError(err)
		}
		return nil
	})

var existsCmd = storeCommand("exists", "print true or false: is a session stored under a key",
	"exists SESSION_KEY [--engine cache|db|cached_db|file] [--cache URL] [--db URL] [--file-path DIR]",
	`Print true when a session is stored under SESSION_KEY (Django's SessionStore.exists: the cache
key, the row (expired or not), the file), false otherwise. Both exit with status 0. With
--engine cached_db and no --db, only the cache copy is asked. signed_cookies store nothing
(Django's exists() is always False).

`+storeHelpFlags+`
Example:
  $ djangosession exists 5iq0x5xf0ad2mbvaqqmi0z1s1o3ai6xr --cache redis://127.0.0.1:6379/1
  true
`,
	func(e *env, ctx context.Context, f *storeFlags, fs *flag.FlagSet, args []string) error {
		pos, err := parseArgs(fs, args)
		if err != nil {
			return err
		}
		eng, err := f.shortEngine()
		if err != nil {
			return err
		}
		if eng == "signed_cookies" {
			return usagef("signed_cookies store nothing (Django's exists() is always False); use get to verify a cookie")
		}
		key, b, ctx, cancel, err := f.openKey(ctx, e, pos, eng, openOpts{})
		if err != nil {
			return err
		}
		defer b.close()
		defer cancel()
		var ok bool
		if b.copyOnly() {
			ok, err = b.c.cache.Has(ctx, b.cacheKey(key))
		} else {
			ok, err = b.st.Exists(ctx, key)
		}
		if err != nil {
			return storeError(err)
		}
		return e.println(strconv.FormatBool(ok))
	})

var ttlCmd = storeCommand("ttl", "print the seconds a stored session has left",
	"ttl SESSION_KEY|COOKIE [--engine E] [--cache URL] [--db URL] [--file-path DIR]",
	`Print the seconds the session under SESSION_KEY has left before its storage drops it:
cache: the server's TTL (Redis TTL; memcached "mg KEY t", memcached 1.6+), -1 when it never
expires; db and cached_db: the row's expire_date (cached_db without --db: the cache copy's
TTL); file: the custom expiry, or the file's modification time plus SESSION_COOKIE_AGE;
signed_cookies: the cookie's signing time plus SESSION_COOKIE_AGE. A missing or expired
session exits with status 1.

`+storeHelpFlags+`  --cookie-age SECONDS   SESSION_COOKIE_AGE (default 1209600, two weeks)

Example:
  $ djangosession ttl 5iq0x5xf0ad2mbvaqqmi0z1s1o3ai6xr --cache 'memcached://127.0.0.1:11211,127.0.0.1:11212?client=pylibmc'
  1209600
`,
	func(e *env, ctx context.Context, f *storeFlags, fs *flag.FlagSet, args []string) error {
		var cookieAge optInt
		fs.Var(&cookieAge, "cookie-age", "")
		pos, err := parseArgs(fs, args)
		if err != nil {
			return err
		}
		if f.cookieAge, err = seconds("cookie-age", cookieAge); err != nil {
			return err
		}
		eng, err := f.shortEngine()
		if err != nil {
			return err
		}
		key, b, ctx, cancel, err := f.openKey(ctx, e, pos, eng, openOpts{})
		if err != nil {
			return err
		}
		defer b.close()
		defer cancel()
		n, err := b.ttl(ctx, f, key)
		if err != nil {
			return err
		}
		return e.println(strconv.FormatInt(n, 10))
	})

var errNoSession = errors.New("rejected: no session is stored under this key")

// ttl is the seconds the session has left, by engine.
func (b *backend) ttl(ctx context.Context, f *storeFlags, key string) (int64, error) {
	now := f.nowTime()
	switch {
	case b.engine == "cache" || b.copyOnly():
		n, ok, err := b.c.ttl(ctx, b.cacheKey(key))
		if err != nil {
			return 0, storeError(err)
		}
		if !ok {
			return 0, errNoSession
		}
		return n, nil
	case b.engine == "db" || b.engine == "cached_db":
		_, expire, err := b.table.Load(ctx, key, now)
		if errors.Is(err, dbstore.ErrNotFound) {
			return 0, fmt.Errorf("%w (no row, or its expire_date has passed)", errNoSession)
		}
		if err != nil {
			return 0, storeError(err)
		}
		return floorSeconds(expire.Sub(now)), nil
	}
	s, err := b.st.Load(ctx, key)
	if err != nil {
		return 0, storeError(err)
	}
	if le := s.LoadError(); le != nil {
		if b.engine == "signed_cookies" {
			return 0, emptySession(le, "cookie")
		}
		return 0, fmt.Errorf("rejected: %w", le)
	}
	if b.engine == "signed_cookies" {
		// A verified cookie is "payload:timestamp:signature", the timestamp in base 62.
		parts := strings.Split(key, ":")
		ts, err := signing.B62Decode(parts[len(parts)-2])
		if err != nil {
			return 0, err
		}
		return floorSeconds(time.Unix(ts, 0).Add(b.cookieAge()).Sub(now)), nil
	}
	// file: the custom expiry, else the modification time plus SESSION_COOKIE_AGE.
	if v, ok := s.Get(djangosession.ExpiryKey); ok && v != nil {
		age, err := s.ExpiryAge()
		if err != nil {
			return 0, err
		}
		return int64(age / time.Second), nil
	}
	dir := b.cfg.SessionFilePath
	if dir == "" {
		dir = os.TempDir()
	}
	name := b.cfg.SessionCookieName
	if name == "" {
		name = djangosession.DefaultSessionCookieName
	}
	fi, err := os.Stat(filepath.Join(dir, name+key))
	if err != nil {
		return 0, err
	}
	return floorSeconds(fi.ModTime().Add(b.cookieAge()).Sub(now)), nil
}

func (b *backend) cookieAge() time.Duration {
	if b.cfg.SessionCookieAge > 0 {
		return b.cfg.SessionCookieAge
	}
	return djangosession.DefaultSessionCookieAge
}

// floorSeconds is d in whole seconds, rounded down as Django's expiry ages are.
func floorSeconds(d time.Duration) int64 {
	n := int64(d / time.Second)
	if d < 0 && d%time.Second != 0 {
		n--
	}
	return n
}

var clearSessionsCmd = storeCommand("clearsessions", "remove the expired sessions (manage.py clearsessions)",
	"clearsessions --engine db|cached_db|file [--db URL] [--file-path DIR]",
	`Remove the expired sessions as "manage.py clearsessions" (the engine's clear_expired) does, and
print how many were removed: the rows whose expire_date has passed (db, cached_db: the cache
copies expire by themselves), or the expired files (file). The cache and signed_cookies
engines store nothing to clear.

`+storeHelpFlags+`
Example:
  $ DJANGO_SECRET_KEY=... djangosession clearsessions --engine file --file-path /var/lib/app/sessions
  3
`,
	func(e *env, ctx context.Context, f *storeFlags, fs *flag.FlagSet, args []string) error {
		pos, err := parseArgs(fs, args)
		if err != nil {
			return err
		}
		if err := maxArgs(pos, 0); err != nil {
			return err
		}
		eng, err := f.shortEngine()
		if err != nil {
			return err
		}
		if eng == "cache" || eng == "signed_cookies" {
			return usagef("--engine %s: nothing to clear (the cache expires sessions itself; signed cookies are not stored)", eng)
		}
		b, err := f.open(e, openOpts{needDB: true})
		if err != nil {
			return err
		}
		defer b.close()
		ctx, cancel := context.WithTimeout(ctx, f.timeout)
		defer cancel()
		n, err := b.st.ClearExpired(ctx)
		if err != nil {
			return storeError(err)
		}
		return e.println(strconv.FormatInt(n, 10))
	})
