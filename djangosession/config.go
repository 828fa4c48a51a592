package djangosession

import (
	"log/slog"
	"os"

	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/djangobridge/bridge/djangosession/dbstore"
	"github.com/djangobridge/bridge/signing"

	"github.com/djangobridge/bridge/pickle"
)

// Django versions a [Config] can name. The newest is the default.
const (
	Django32 = "3.2"
	Django42 = "4.2"
	Django52 = "5.2"
	Django60 = "6.0"
	Django61 = "6.1"
)

// DjangoVersions lists the Django versions this package reproduces, oldest first.
var DjangoVersions = []string{Django32, Django42, Django52, Django60, Django61}

// SESSION_ENGINE values: every engine Django ships. A [Store] serves each with Django's
// semantics for the configured version.
const (
	// EngineDB is django.contrib.sessions.backends.db, Django's default: the session is a row
	// of the django_session table ([Config].DB), its data signed JSON (session_data).
	EngineDB = "django.contrib.sessions.backends.db"

	// EngineCachedDB is django.contrib.sessions.backends.cached_db: the database row is the
	// session and the cache ([Config].Cache) holds a pickled copy, read first.
	EngineCachedDB = "django.contrib.sessions.backends.cached_db"

	// EngineCache is django.contrib.sessions.backends.cache: the session lives in the cache
	// only ([Config].Cache), as a pickled dict.
	EngineCache = "django.contrib.sessions.backends.cache"

	// EngineFile is django.contrib.sessions.backends.file: one file per session in
	// [Config].SessionFilePath, named SESSION_COOKIE_NAME + key, holding session_data.
	EngineFile = "django.contrib.sessions.backends.file"

	// EngineSignedCookies is django.contrib.sessions.backends.signed_cookies: the cookie is the
	// session, signed (not encrypted) with SECRET_KEY. The "key" of such a session is the
	// cookie value; [Store.Load] takes it and Save makes a new one.
	EngineSignedCookies = "django.contrib.sessions.backends.signed_cookies"
)

// Engines lists the SESSION_ENGINE values, in the order of Django's documentation.
var Engines = []string{EngineDB, EngineCachedDB, EngineCache, EngineFile, EngineSignedCookies}

// Cache key prefixes of the session engines: the cache key of a session is the prefix followed
// by the session key, with no separator (then KEY_PREFIX, VERSION and KEY_FUNCTION apply).
const (
	CacheKeyPrefix         = "django.contrib.sessions.cache"
	CachedDBCacheKeyPrefix = "django.contrib.sessions.cached_db"
)

// DefaultTimeZone is Django's TIME_ZONE default in global_settings (startproject writes "UTC").
const DefaultTimeZone = "America/Chicago"

// KeyFunc is a cache KEY_FUNCTION: it makes the backend key from the key the session engine
// asks for, the alias's KEY_PREFIX and its VERSION. Django's default is [DefaultKeyFunc].
type KeyFunc func(key, prefix string, version int) string

// Config mirrors the settings.py entries the session engines read, plus the storage they use:
// the cache of SESSION_CACHE_ALIAS, the database table, the file directory. Zero fields are
// Django's defaults for the newest supported version, except SessionEngine, which must be set
// (Django's default is [EngineDB]). It is passed by value to [NewStore], which validates it.
type Config struct {
	// SessionEngine is SESSION_ENGINE: one of [Engines] (Django's default is [EngineDB]). The
	// short names Django's docs use ("db", "cached_db", "cache", "file", "signed_cookies") are
	// accepted too. It is required: a Store for the wrong engine would not see Django's
	// sessions.
	SessionEngine string

	// Cache is the cache of the alias named by SESSION_CACHE_ALIAS (Django default: "default"):
	// required by EngineCache and EngineCachedDB. Use redisstore.New or memcachestore.New with
	// that alias's LOCATION and OPTIONS.
	Cache Cache

	// DB is the session model's table in DATABASES["default"] (django_session), required by
	// EngineDB and EngineCachedDB: dbstore.New over a *sql.DB with the user's driver.
	DB *dbstore.Table

	// SessionFilePath is SESSION_FILE_PATH for EngineFile (Django default: None, meaning
	// tempfile.gettempdir(), here os.TempDir()).
	SessionFilePath string

	// SessionCookieName is SESSION_COOKIE_NAME (Django default: "sessionid"). The file engine
	// names its files after it, and the [Middleware] uses it unless its own field is set.
	SessionCookieName string

	// SecretKey is SECRET_KEY: it signs session_data (db, cached_db, file) and signed-cookie
	// sessions, which these engines cannot read or write without it. Required by those
	// engines; NewStore fails when it is empty rather than treat every session as forged.
	SecretKey string

	// SecretKeyFallbacks is SECRET_KEY_FALLBACKS (Django 4.1+; default []): older keys still
	// accepted when reading session_data and signed cookies.
	SecretKeyFallbacks []string

	// SessionSerializer is SESSION_SERIALIZER for the engines that store session_data or a
	// signed cookie (Django default: JSONSerializer; nil here means signing.JSONSerializer{}).
	// Use PickleSerializer for django.contrib.sessions.serializers.PickleSerializer (3.2, 4.2).
	SessionSerializer signing.Serializer

	// MaxDecompressedSize bounds the inflated size of a compressed session_data or signed
	// cookie (0 means signing.DefaultMaxDecompressedSize).
	MaxDecompressedSize int

	// Logger, when set, is told (at Warn level) each time a session is treated as empty where
	// Django would do the same silently: a missing, expired, forged or undecodable session,
	// with the reason and never the key; and, with EngineCachedDB on Django 5.1+, a cache write
	// Django logs and ignores. Nil logs nothing.
	Logger *slog.Logger

	// DjangoVersion is the Django version of the app sharing the sessions: "3.2", "4.2", "5.2",
	// "6.0" or "6.1" (see [DjangoVersions]). Default: the newest, "6.1". It decides the form in
	// which a custom expiry date is written (3.2: a pickled datetime; 4.2+: an ISO string) and
	// whether an ISO string can be read (not by 3.2).
	DjangoVersion string

	// SessionCookieAge is SESSION_COOKIE_AGE (Django default: 1209600 seconds, two weeks): the
	// expiry age of a session without a custom expiry, and the cache timeout. Django's value is
	// an int of seconds: a fraction of a second is dropped.
	SessionCookieAge time.Duration

	// SessionExpireAtBrowserClose is SESSION_EXPIRE_AT_BROWSER_CLOSE (Django default: False). It
	// only affects [Session.ExpireAtBrowserClose]; the cache timeout stays the expiry age.
	SessionExpireAtBrowserClose bool

	// KeyPrefix is KEY_PREFIX of the cache alias named by SESSION_CACHE_ALIAS (Django default:
	// "").
	KeyPrefix string

	// Version is VERSION of that cache alias (Django default: 1). Zero means 1; Django's
	// VERSION = 0 can only be expressed with a KeyFunction that ignores this field.
	Version int

	// KeyFunction is KEY_FUNCTION of that cache alias (Django default:
	// "django.core.cache.backends.base.default_key_func", [DefaultKeyFunc], which gives
	// "prefix:version:key"). It receives the key, KeyPrefix and Version.
	KeyFunction KeyFunc

	// DisableUseTZ is the inverse of USE_TZ. Django's USE_TZ default is True from 5.0 and False
	// in 3.2 and 4.2, but every settings.py made by startproject since 1.4 sets USE_TZ = True, so
	// zero here means USE_TZ = True for every version: set DisableUseTZ for an app with
	// USE_TZ = False. With USE_TZ = True, expiry dates are aware UTC datetimes; with False,
	// they are naive wall-clock times in TimeZone.
	DisableUseTZ bool

	// TimeZone is TIME_ZONE (Django default: "America/Chicago"; startproject writes "UTC"), an
	// IANA name loaded with time.LoadLocation. It is the zone of naive datetimes: the expiry
	// dates written and read when DisableUseTZ is set. With USE_TZ = True and no TimeZone,
	// a naive datetime (which only an app could have stored itself) is taken as UTC.
	TimeZone string

	// PickleProtocol is the pickle protocol written to the cache, 2 to 5. Zero means the
	// protocol the Cache reports through [ProtocolHinter] (what its Django backend writes),
	// else the Codec's Protocol, else 5 (pickle.HIGHEST_PROTOCOL, what Django's own cache
	// backends write on Python 3.8+). Every protocol is read.
	PickleProtocol int

	// Codec holds the decoding limits and the allow-list of Python globals for cache values.
	// Nil means the zero [pickle.Codec]. The Store keeps a copy.
	Codec *pickle.Codec

	// AtomicSave makes Save update an existing session in one round trip with the Cache's
	// [Replacer] (Redis SET XX, memcached replace) instead of Django's GET, then SET. Both fail
	// with ErrUpdate when the session was deleted meanwhile; Django's two steps leave a short
	// window in which a concurrent delete is undone. The Cache must implement Replacer.
	AtomicSave bool

	// CompareAndSetSave makes Save of a loaded session fail with ErrConflict, writing nothing,
	// when the stored session changed since this Session read it (another request saved it
	// meanwhile, in Go or in Django). Save reads the stored value and writes with the Cache's
	// [CompareAndSwapper] (memcached cas; Redis: a script that compares the stored bytes), so
	// the check holds against a write landing between the two. Django has no such check: with
	// two concurrent writers the last write wins, which is what Save does without this flag.
	// Django's own saves are not checked, so a Django write after a Go one still wins. The
	// [Middleware] hands ErrConflict to its ErrorFunc (DefaultErrorFunc: 500, nothing saved).
	// The Cache must implement CompareAndSwapper; AtomicSave must not be set too.
	CompareAndSetSave bool

	// Now returns the current time; nil means time.Now. Tests set a fixed clock.
	Now func() time.Time
}

// ConfigError reports an invalid [Config] field.
type ConfigError struct {
	Field string // the Config field, e.g. "DjangoVersion"
	Msg   string
}

func (e *ConfigError) Error() string {
	return "djangosession: Config." + e.Field + ": " + e.Msg
}

// Validate reports the first invalid field of c as a *[ConfigError], or nil.
func (c Config) Validate() error {
	_, err := c.resolve()
	return err
}

// resolved is a validated Config with its defaults filled in.
type resolved struct {
	Config
	version    int // index in DjangoVersions
	engine     string
	keyPrefix  string // CacheKeyPrefix or CachedDBCacheKeyPrefix
	loc        *time.Location
	serializer signing.Serializer
}

func (c Config) resolveSettings() (resolved, error) {
	r := resolved{Config: c}
	if c.DjangoVersion == "" {
		r.DjangoVersion = DjangoVersions[len(DjangoVersions)-1]
	}
	r.version = slices.Index(DjangoVersions, r.DjangoVersion)
	if r.version < 0 {
		return r, &ConfigError{"DjangoVersion", "unsupported Django version " + strconv.Quote(c.DjangoVersion) + "; want one of " + strings.Join(DjangoVersions, ", ")}
	}
	switch e := c.SessionEngine; {
	case e == "":
		return r, &ConfigError{"SessionEngine", "not set: give SESSION_ENGINE from settings.py (Django's default is " + EngineDB + ")"}
	case slices.Contains(Engines, e):
		r.engine = e
	case slices.Contains(Engines, "django.contrib.sessions.backends."+e):
		r.engine = "django.contrib.sessions.backends." + e
	default:
		return r, &ConfigError{"SessionEngine", "unsupported session engine " + strconv.Quote(e) + "; want one of " + strings.Join(Engines, ", ")}
	}
	r.SessionEngine = r.engine
	switch r.engine {
	case EngineCache:
		r.keyPrefix = CacheKeyPrefix
	case EngineCachedDB:
		r.keyPrefix = CachedDBCacheKeyPrefix
	}
	if r.SessionCookieName == "" {
		r.SessionCookieName = DefaultSessionCookieName
	}
	if r.engine == EngineFile && r.SessionFilePath == "" {
		r.SessionFilePath = os.TempDir()
	}
	r.serializer = c.SessionSerializer
	if r.serializer == nil {
		r.serializer = signing.JSONSerializer{}
	}
	switch {
	case c.SessionCookieAge == 0:
		r.SessionCookieAge = DefaultSessionCookieAge
	case c.SessionCookieAge < 0:
		return r, &ConfigError{"SessionCookieAge", "negative"}
	default:
		r.SessionCookieAge = c.SessionCookieAge.Truncate(time.Second)
	}
	if c.Version == 0 {
		r.Version = 1
	}
	if c.KeyFunction == nil {
		r.KeyFunction = DefaultKeyFunc
	}
	if c.PickleProtocol != 0 && (c.PickleProtocol < 2 || c.PickleProtocol > 5) {
		return r, &ConfigError{"PickleProtocol", "want 2 to 5"}
	}
	if c.Now == nil {
		r.Now = time.Now
	}
	if c.DisableUseTZ && c.TimeZone == "" {
		r.TimeZone = DefaultTimeZone
	}
	if r.TimeZone != "" {
		loc, err := time.LoadLocation(r.TimeZone)
		if err != nil {
			return r, &ConfigError{"TimeZone", err.Error() + " (a program without a system time zone database can import time/tzdata)"}
		}
		r.loc = loc
	} else {
		r.loc = time.UTC
	}
	return r, nil
}

// resolve is resolveSettings plus the checks of what the engine needs to reach its storage.
func (c Config) resolve() (resolved, error) {
	r, err := c.resolveSettings()
	if err != nil {
		return r, err
	}
	return r, r.checkStorage()
}

func (r *resolved) checkStorage() error {
	needCache := r.engine == EngineCache || r.engine == EngineCachedDB
	needDB := r.engine == EngineDB || r.engine == EngineCachedDB
	switch {
	case needCache && r.Cache == nil:
		return &ConfigError{"Cache", r.engine + " needs the cache of SESSION_CACHE_ALIAS (redisstore.New, memcachestore.New)"}
	case needDB && r.DB == nil:
		return &ConfigError{"DB", r.engine + " needs the django_session table (dbstore.New over the app's database)"}
	case r.engine != EngineCache && r.SecretKey == "":
		return &ConfigError{"SecretKey", r.engine + " signs its sessions with SECRET_KEY: set it (an empty key would make every session look forged)"}
	}
	if r.engine == EngineFile {
		if fi, err := os.Stat(r.SessionFilePath); err != nil || !fi.IsDir() {
			return &ConfigError{"SessionFilePath", strconv.Quote(r.SessionFilePath) + " is not a directory (Django raises ImproperlyConfigured)"}
		}
	}
	return nil
}

// CacheKey returns the cache key under which the engine keeps the session key: the cache
// engine's session, or cached_db's cache copy (see [Store.CacheKey]). It needs no storage.
func (c Config) CacheKey(sessionKey string) (string, error) {
	r, err := c.resolveSettings()
	if err != nil {
		return "", err
	}
	if r.keyPrefix == "" {
		return "", &ConfigError{"SessionEngine", r.engine + " keeps no session in a cache"}
	}
	return r.KeyFunction(r.keyPrefix+sessionKey, r.KeyPrefix, r.Version), nil
}
