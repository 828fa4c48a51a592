package main

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/djangobridge/bridge/auth"
	"github.com/djangobridge/bridge/auth/authdb"
	"github.com/djangobridge/bridge/py"
	"github.com/djangobridge/bridge/signing"

	"github.com/djangobridge/bridge/djangosession"
	"github.com/djangobridge/bridge/djangosession/dbstore"
)

// failedCheck is check's result when a sampled session does not verify: the report is already
// on stdout; main exits with status 1 without another message.
type failedCheck struct{ n int }

func (f *failedCheck) Error() string { return fmt.Sprintf("%d sessions failed the check", f.n) }

var checkCmd = storeCommand("check", "check the settings against stored sessions (for deploy time)",
	`check [--engine E] [--cache URL] [--db URL] [--file-path DIR] [--sample N] [--check-auth] [SESSION_KEY|COOKIE ...]`,
	`Check that Go reads the app's sessions with these settings: sample the stored sessions (db,
cached_db: the newest rows of the session table; file: the session files; cache: the keys with
the engine's prefix, Redis only), or take the SESSION_KEYs (signed_cookies: COOKIE values) given
as arguments or one per line on stdin ("-"), and report how many decode, whose signatures
verify, and with which key (SECRET_KEY, or which of SECRET_KEY_FALLBACKS). With --check-auth,
the "_auth_user_hash" of each logged-in session is compared with the user's password hash in
auth_user (read from --db), as django.contrib.auth.get_user does on every request: a mismatch
there logs the user out.

It exits with status 1 if any sampled session fails (a bad signature, data that does not
decode, an auth hash that matches no key), so that a deploy can stop on a wrong SECRET_KEY,
SESSION_SERIALIZER or cache setting; 0 otherwise (a fallback key is reported, not a failure).
Session keys are shown truncated; secrets never.

`+storeHelpFlags+`  --sample N             how many sessions to sample (default 100)
  --check-auth           also check _auth_user_hash against auth_user.password (needs --db)
  --user-table T         the user model's db_table (default auth_user)

Examples:
  $ DJANGO_SECRET_KEY=... djangosession check --engine db --db postgres://app@127.0.0.1:5432/app --check-auth
  engine db: 100 sessions sampled (the newest by expire_date)
    decoded and verified: 100 (SECRET_KEY 97, SECRET_KEY_FALLBACKS[0] 3)
    bad signature: 0, undecodable: 0, missing or expired: 0
    logged in: 64; auth hash: SECRET_KEY 61, SECRET_KEY_FALLBACKS[0] 3, mismatch 0, no hash 0, no user 0
  ok (3 sessions are signed with a fallback key)
  $ DJANGO_SECRET_KEY=new-key djangosession check --engine db --db sqlite:///srv/app/db.sqlite3
  engine db: 2 sessions sampled (the newest by expire_date)
    decoded and verified: 0 (SECRET_KEY 0)
    bad signature: 2, undecodable: 0, missing or expired: 0
    FAIL s8dymlre…: bad signature: signed with none of the configured keys
    FAIL dgw2e1nw…: bad signature: signed with none of the configured keys
  FAILED: 2 of 2 sessions would not be read as Django reads them
`,
	runCheck)

// checkCounts is the tally of a check.
type checkCounts struct {
	sampled, decoded, badSig, corrupt, missing int
	byKey                                      []int // decoded sessions per key index (0: SECRET_KEY)
	loggedIn, authMismatch, noHash, noUser     int
	authByKey                                  []int
	failures                                   []string
}

func (c *checkCounts) fail(key, why string) {
	if len(c.failures) < 20 {
		c.failures = append(c.failures, shortKey(key)+": "+why)
	}
}

// shortKey is the start of a session key or cookie, for the report: never the whole
// credential.
func shortKey(k string) string {
	if len(k) <= 8 {
		return strings.Repeat("*", len(k))
	}
	return k[:8] + "…"
}

func keyName(i int) string {
	if i == 0 {
		return "SECRET_KEY"
	}
	return fmt.Sprintf("SECRET_KEY_FALLBACKS[%d]", i-1)
}

func runCheck(e *env, ctx context.Context, f *storeFlags, fs *flag.FlagSet, args []string) error {
	var sample optInt
	fs.Var(&sample, "sample", "")
	checkAuth := fs.Bool("check-auth", false, "")
	userTable := fs.String("user-table", "", "")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	n := 100
	if sample.set {
		if sample.v <= 0 || sample.v > 1_000_000 {
			return usagef("--sample must be between 1 and 1000000")
		}
		n = int(sample.v)
	}
	eng, err := f.shortEngine()
	if err != nil {
		return err
	}
	if f.db == "" {
		f.db = e.getenv("DJANGOSESSION_DB")
	}
	// --check-auth reads auth_user from --db whatever the engine: open it for the check only.
	var authURL string
	if *checkAuth {
		if f.db == "" {
			return usagef("--check-auth reads auth_user: give --db URL (DATABASES[\"default\"])")
		}
		if eng != "db" && eng != "cached_db" {
			authURL, f.db = f.db, ""
		}
	}
	keys, err := checkKeys(e, pos)
	if err != nil {
		return err
	}
	if eng == "signed_cookies" && len(keys) == 0 {
		return usagef("signed_cookies store nothing to sample: give cookie values as arguments or on stdin (\"-\")")
	}
	b, err := f.open(e, openOpts{needDB: true, needSecret: true})
	if err != nil {
		return err
	}
	defer b.close()
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()

	authDB := b.db
	dialect := b.dbURL.dialect
	if authURL != "" {
		u, err := parseDBURL(authURL)
		if err != nil {
			return err
		}
		e.mask(u.password)
		if authDB, err = openDB(ctx, u, f.timeout); err != nil {
			return err
		}
		defer authDB.Close()
		dialect = u.dialect
	}
	var passwordHash auth.PasswordHashFunc
	if *checkAuth {
		ph := "?"
		if dialect == dbstore.Postgres {
			ph = "$1"
		}
		passwordHash, err = authdb.NewPasswordHashFunc(authDB, authdb.Options{Table: *userTable, ActiveColumn: "-", Placeholder: ph})
		if err != nil {
			return usagef("--user-table: %v", err)
		}
	}

	cfgKeys := append([]string{b.cfg.SecretKey}, b.cfg.SecretKeyFallbacks...)
	c := &checkCounts{byKey: make([]int, len(cfgKeys)), authByKey: make([]int, len(cfgKeys))}
	sampled := "given"
	items, err := b.sample(ctx, f, keys, n)
	if err != nil {
		return storeError(err)
	}
	if len(keys) == 0 {
		switch eng {
		case "db", "cached_db":
			sampled = "the newest by expire_date"
		case "file":
			sampled = "session files"
		case "cache":
			sampled = "keys with the engine's prefix"
		}
	}
	for _, it := range items {
		c.sampled++
		d, err := b.decodeItem(ctx, f, it)
		var idx int
		switch {
		case errors.Is(err, errMissing):
			c.missing++
			c.fail(it.key, "no session stored under this key")
			continue
		case errors.Is(err, signing.ErrSignatureExpired):
			c.missing++
			c.fail(it.key, "expired: "+describeError(err))
			continue
		case errors.Is(err, signing.ErrBadSignature):
			c.badSig++
			c.fail(it.key, "bad signature: signed with none of the configured keys")
			continue
		case err != nil:
			c.corrupt++
			c.fail(it.key, "does not decode: "+e.masked(describeError(err)))
			continue
		}
		idx = d.keyIndex
		c.decoded++
		if idx >= 0 {
			c.byKey[idx]++
		}
		if passwordHash == nil {
			continue
		}
		uid, ok := d.data.Get(auth.SessionKey)
		if !ok {
			continue
		}
		c.loggedIn++
		id, _ := uid.(string)
		stored, _ := d.data.String(auth.HashSessionKey)
		if stored == "" {
			c.noHash++
			c.fail(it.key, "logged in without _auth_user_hash (Django's get_user logs the user out)")
			continue
		}
		pw, err := passwordHash(ctx, id)
		if errors.Is(err, djangosession.ErrNotFound) {
			c.noUser++
			continue
		}
		if err != nil {
			return fmt.Errorf("reading the user's password hash: %w", err)
		}
		ok, ki := auth.VerifySessionAuthHash(stored, pw, cfgKeys, auth.HashOptions{AcceptLegacySHA1: f.dj.is32()})
		if !ok {
			c.authMismatch++
			c.fail(it.key, "_auth_user_hash matches none of the configured keys (Django logs the user out)")
			continue
		}
		c.authByKey[ki]++
	}
	failed := c.badSig + c.corrupt + c.missing + c.authMismatch + c.noHash
	w := e.stdout
	fmt.Fprintf(w, "engine %s: %d sessions sampled (%s)\n", eng, c.sampled, sampled)
	if eng == "cache" || b.copyOnly() {
		fmt.Fprintf(w, "  decoded: %d (cache values are pickles: no signature)\n", c.decoded)
	} else {
		fmt.Fprintf(w, "  decoded and verified: %d (%s)\n", c.decoded, perKey(c.byKey))
	}
	fmt.Fprintf(w, "  bad signature: %d, undecodable: %d, missing or expired: %d\n", c.badSig, c.corrupt, c.missing)
	if passwordHash != nil {
		fmt.Fprintf(w, "  logged in: %d; auth hash: %s, mismatch %d, no hash %d, no user %d\n",
			c.loggedIn, perKey(c.authByKey), c.authMismatch, c.noHash, c.noUser)
	}
	for _, fl := range c.failures {
		fmt.Fprintf(w, "  FAIL %s\n", fl)
	}
	if failed > len(c.failures) {
		fmt.Fprintf(w, "  ... and %d more\n", failed-len(c.failures))
	}
	if c.sampled == 0 {
		fmt.Fprintln(w, "nothing to check: no session is stored (ok)")
		return nil
	}
	if failed > 0 {
		fmt.Fprintf(w, "FAILED: %d of %d sessions would not be read as Django reads them\n", failed, c.sampled)
		return &failedCheck{n: failed}
	}
	if fb := c.decoded - c.byKey[0]; fb > 0 && eng != "cache" && !b.copyOnly() {
		fmt.Fprintf(w, "ok (%d sessions are signed with a fallback key)\n", fb)
		return nil
	}
	fmt.Fprintln(w, "ok")
	return nil
}

func perKey(counts []int) string {
	parts := []string{}
	for i, n := range counts {
		if i == 0 || n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", keyName(i), n))
		}
	}
	return strings.Join(parts, ", ")
}

// checkKeys reads the session keys given as arguments, or one per line on stdin for "-".
func checkKeys(e *env, pos []string) ([]string, error) {
	if len(pos) == 1 && pos[0] == "-" {
		var keys []string
		sc := bufio.NewScanner(io.LimitReader(e.stdin, maxInput))
		sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
		for sc.Scan() {
			if k := strings.TrimSpace(sc.Text()); k != "" {
				keys = append(keys, k)
			}
		}
		return keys, sc.Err()
	}
	return pos, nil
}

// sampleItem is one stored session as check reads it: its key, and its stored form where the
// sampling read it with the key (a row's session_data).
type sampleItem struct {
	key  string
	data *string
}

// sample lists up to n stored sessions, or the given keys.
func (b *backend) sample(ctx context.Context, f *storeFlags, keys []string, n int) ([]sampleItem, error) {
	var items []sampleItem
	if len(keys) > 0 {
		for _, k := range keys {
			items = append(items, sampleItem{key: k})
		}
		return items, nil
	}
	switch {
	case b.engine == "db" || b.engine == "cached_db" && b.db != nil:
		return sampleRows(ctx, b.db, b.dbURL.dialect, f.table, n)
	case b.engine == "file":
		dir := b.cfg.SessionFilePath
		if dir == "" {
			dir = os.TempDir()
		}
		prefix := b.cfg.SessionCookieName
		if prefix == "" {
			prefix = djangosession.DefaultSessionCookieName
		}
		ents, err := os.ReadDir(dir)
		if err != nil {
			return nil, err
		}
		for _, ent := range ents {
			k, ok := strings.CutPrefix(ent.Name(), prefix)
			if ok && djangosession.ValidSessionKey(k) && strings.Trim(k, djangosession.SessionKeyChars) == "" {
				items = append(items, sampleItem{key: k})
				if len(items) == n {
					break
				}
			}
		}
		return items, nil
	}
	// cache, cached_db's copies
	if b.c.scan == nil {
		return nil, usagef("memcached cannot list its keys: give the session keys to check as arguments or on stdin")
	}
	prefix := b.cacheKey("")
	ks, err := b.c.scan(ctx, prefix, n)
	if err != nil {
		return nil, err
	}
	for _, k := range ks {
		items = append(items, sampleItem{key: strings.TrimPrefix(k, prefix)})
	}
	return items, nil
}

var plainIdent = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_$]*$`)

// sampleRows reads the newest rows of the session table: a read-only query of the check
// alone (dbstore.Table has no listing).
func sampleRows(ctx context.Context, db *sql.DB, d dbstore.Dialect, table string, n int) ([]sampleItem, error) {
	if table == "" {
		table = dbstore.DefaultTable
	}
	q := `"`
	if d == dbstore.MySQL {
		q = "`"
	}
	var parts []string
	for _, p := range strings.Split(table, ".") {
		if !plainIdent.MatchString(p) {
			return nil, usagef("check samples tables named by plain identifiers (schema.table): %q", table)
		}
		parts = append(parts, q+p+q)
	}
	query := fmt.Sprintf("SELECT %[1]ssession_key%[1]s, %[1]ssession_data%[1]s FROM %[2]s ORDER BY %[1]sexpire_date%[1]s DESC LIMIT %[3]d",
		q, strings.Join(parts, "."), n)
	rows, err := db.QueryContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("sampling the session table: %w", err)
	}
	defer rows.Close()
	var items []sampleItem
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return nil, fmt.Errorf("sampling the session table: %w", err)
		}
		items = append(items, sampleItem{key: k, data: &v})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sampling the session table: %w", err)
	}
	return items, nil
}

var errMissing = errors.New("no session")

// decoded is one session as check read it, with the key that verified it (-1: no signature).
type decoded struct {
	data     *py.Dict
	keyIndex int
}

// decodeItem reads and verifies one sampled session.
func (b *backend) decodeItem(ctx context.Context, f *storeFlags, it sampleItem) (decoded, error) {
	opts := djangosession.SessionDataOptions{SecretKey: b.cfg.SecretKey, SecretKeyFallbacks: b.cfg.SecretKeyFallbacks,
		Serializer: b.cfg.SessionSerializer, Django32: f.dj.is32()}
	switch {
	case b.engine == "signed_cookies":
		so := djangosession.SignedCookieOptions{SecretKey: b.cfg.SecretKey, SecretKeyFallbacks: b.cfg.SecretKeyFallbacks,
			Serializer: b.cfg.SessionSerializer, SessionCookieAge: b.cfg.SessionCookieAge, Now: b.cfg.Now, Django32: f.dj.is32()}
		d, idx, err := djangosession.DecodeSignedCookieSessionKey(it.key, so)
		return decoded{d, idx}, err
	case b.engine == "db" || b.engine == "cached_db" && b.db != nil:
		data := it.data
		if data == nil {
			var s string
			var err error
			s, _, err = b.table.Load(ctx, it.key, f.nowTime())
			if errors.Is(err, dbstore.ErrNotFound) {
				return decoded{}, errMissing
			}
			if err != nil {
				return decoded{}, err
			}
			data = &s
		}
		d, idx, err := djangosession.DecodeSessionDataKey(*data, opts)
		return decoded{d, idx}, err
	case b.engine == "file":
		dir := b.cfg.SessionFilePath
		if dir == "" {
			dir = os.TempDir()
		}
		name := b.cfg.SessionCookieName
		if name == "" {
			name = djangosession.DefaultSessionCookieName
		}
		if strings.Trim(it.key, djangosession.SessionKeyChars) != "" {
			return decoded{}, errors.New("not a session key")
		}
		raw, err := os.ReadFile(filepath.Join(dir, name+it.key))
		if errors.Is(err, os.ErrNotExist) {
			return decoded{}, errMissing
		}
		if err != nil {
			return decoded{}, err
		}
		d, idx, err := djangosession.DecodeSessionDataKey(string(raw), opts)
		return decoded{d, idx}, err
	}
	v, err := b.c.cache.Get(ctx, b.cacheKey(it.key))
	if errors.Is(err, djangosession.ErrNotFound) {
		return decoded{}, errMissing
	}
	if err != nil {
		return decoded{}, err
	}
	d, err := decodeCached(v, f.allow)
	if err != nil {
		return decoded{}, err
	}
	switch x := d.(type) {
	case *py.Dict:
		return decoded{x, -1}, nil
	case *py.OrderedDict:
		return decoded{py.NewDict(0), -1}, nil
	}
	return decoded{}, errors.New("not a dict")
}
