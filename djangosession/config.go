package djangosession

import (
	"slices"
	"strconv"
	"strings"
	"time"

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

// SESSION_ENGINE values a [Store] serves.
const (
	// EngineCache is django.contrib.sessions.backends.cache: the session lives in the cache
	// only. A [Store] reads and writes it.
	EngineCache = "django.contrib.sessions.backends.cache"

	// EngineCachedDB is django.contrib.sessions.backends.cached_db: the database row is the
	// session and the cache holds a copy. A [Store] reads the cache copy only; see [Config].
	EngineCachedDB = "django.contrib.sessions.backends.cached_db"
)

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

// Config mirrors the settings.py entries the cache session engines read. A zero Config is
// Django's defaults for the newest supported version with SESSION_ENGINE = cache. It is passed by
// value to [NewStore], which validates it.
type Config struct {
	// DjangoVersion is the Django version of the app sharing the sessions: "3.2", "4.2", "5.2",
	// "6.0" or "6.1" (see [DjangoVersions]). Default: the newest, "6.1". It decides the form in
	// which a custom expiry date is written (3.2: a pickled datetime; 4.2+: an ISO string) and
	// whether an ISO string can be read (not by 3.2).
	DjangoVersion string

	// SessionEngine is SESSION_ENGINE (Django's default is "django.contrib.sessions.backends.db",
	// which has no cache copy; zero here means [EngineCache]). With [EngineCachedDB] the Store
	// serves the cache half only: Load reads the cache copy and reports a miss as an error
	// matching ErrNotFound (the database row, which this package cannot read, may still hold
	// the session), and every write fails with an error matching errors.ErrUnsupported, since
	// writing the cache without the row would make the two disagree.
	SessionEngine string

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
	version   int // index in DjangoVersions
	engine    string
	keyPrefix string // CacheKeyPrefix or CachedDBCacheKeyPrefix
	loc       *time.Location
}

func (c Config) resolve() (resolved, error) {
	r := resolved{Config: c}
	if c.DjangoVersion == "" {
		r.DjangoVersion = DjangoVersions[len(DjangoVersions)-1]
	}
	r.version = slices.Index(DjangoVersions, r.DjangoVersion)
	if r.version < 0 {
		return r, &ConfigError{"DjangoVersion", "unsupported Django version " + strconv.Quote(c.DjangoVersion) + "; want one of " + strings.Join(DjangoVersions, ", ")}
	}
	switch c.SessionEngine {
	case "", EngineCache:
		r.engine, r.keyPrefix = EngineCache, CacheKeyPrefix
	case EngineCachedDB:
		r.engine, r.keyPrefix = EngineCachedDB, CachedDBCacheKeyPrefix
	default:
		return r, &ConfigError{"SessionEngine", "unsupported session engine " + strconv.Quote(c.SessionEngine) + "; want " + EngineCache + " or " + EngineCachedDB}
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
