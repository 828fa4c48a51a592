package redisstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"
	"time"

	"github.com/djangobridge/bridge/djangosession"
	"github.com/klauspost/compress/zstd"
	"github.com/redis/go-redis/v9"
)

// Format says which Django cache backend wrote (and will read) the values.
type Format int

const (
	// FormatDjango is Django's own django.core.cache.backends.redis.RedisCache (Django 4.0+):
	// pickle protocol 5, SET k v EX seconds [NX], a timeout of 0 seconds deletes.
	FormatDjango Format = iota
	// FormatDjangoRedis is django_redis.cache.RedisCache with the DefaultClient and the default
	// PickleSerializer: pickle protocol 4 (or OPTIONS["PICKLE_VERSION"]), an optional compressor,
	// SET k v PX milliseconds [NX], a timeout of 0 ms or less deletes.
	FormatDjangoRedis
)

// String returns the Django backend path of f.
func (f Format) String() string {
	switch f {
	case FormatDjango:
		return "django.core.cache.backends.redis.RedisCache"
	case FormatDjangoRedis:
		return "django_redis.cache.RedisCache"
	}
	return fmt.Sprintf("Format(%d)", int(f))
}

// DefaultMaxValueSize is the default Options.MaxValueSize: 16 MiB.
const DefaultMaxValueSize = 16 << 20

// Options configures a Cache. The zero value (plus a Location or Clients) is Django's RedisCache.
type Options struct {
	// Location is Django's CACHES[...]["LOCATION"] as a list: redis://, rediss:// or unix://
	// URLs, parsed with redis.ParseURL (so only the query options go-redis knows are accepted).
	// The first is the primary (all writes), the others are read replicas (each read picks one
	// at random), as both Django's RedisCache and django-redis's DefaultClient use them. A
	// LOCATION string with separators can be split with SplitLocation. The clients made from
	// them honour each call's context deadline (go-redis's ContextTimeoutEnabled).
	Location []string

	// Clients, instead of Location, are ready clients in the same roles: Clients[0] takes the
	// writes, a random one of Clients[1:] the reads (Clients[0] when it is alone). Use this for
	// Sentinel (redis.NewFailoverClient) or other setups; see the package doc. The Cache does not
	// close them. Set ContextTimeoutEnabled in their options, or go-redis bounds a call by its
	// ReadTimeout and WriteTimeout instead of the context's deadline.
	Clients []redis.UniversalClient

	// Format is the backend that wrote the values (default FormatDjango).
	Format Format

	// Compressor is django-redis's OPTIONS["COMPRESSOR"] (default: none). FormatDjangoRedis only.
	Compressor Compressor

	// PickleVersion is django-redis's OPTIONS["PICKLE_VERSION"]: 0 means unset (protocol 4,
	// Python 3.8–3.13's pickle.DEFAULT_PROTOCOL; set 5 for a Django on Python 3.14), a negative
	// value means pickle.HIGHEST_PROTOCOL (5), 1–5 are taken as given. Protocol 0 cannot be
	// asked for. FormatDjangoRedis only; FormatDjango always writes 5.
	PickleVersion int

	// MaxValueSize bounds the size a compressed value may inflate to (default
	// DefaultMaxValueSize); a larger one gives *TooLargeError.
	MaxValueSize int
}

// Cache is a djangosession.Cache (plus Replacer and ProtocolHinter) on Redis, writing and reading
// values exactly as the configured Django backend does. It is safe for concurrent use.
//
// Get returns the pickle bytes (decompressed). A value Django would decode as an int (the
// decimal text RedisSerializer/django-redis store for Python ints) is not a session: Get returns
// an error wrapping djangosession.ErrCorrupt. Any other bytes are returned as they are, and the
// session codec reports them as corrupt if they are not a pickle. Server and context errors are
// *djangosession.CacheError, which unwraps to the cause (e.g. context.Canceled, a *net.OpError).
type Cache struct {
	clients []redis.UniversalClient
	owned   bool
	format  Format
	comp    Compressor
	proto   int
	limit   int
	zstd    *zstd.Decoder
}

var (
	_ djangosession.Cache             = (*Cache)(nil)
	_ djangosession.Replacer          = (*Cache)(nil)
	_ djangosession.ProtocolHinter    = (*Cache)(nil)
	_ djangosession.CompareAndSwapper = (*Cache)(nil)
)

var locationSep = regexp.MustCompile(`[;,]`)

// SplitLocation splits a LOCATION string the way format's backend does: Django's RedisCache on
// ";" and ",", django-redis on "," only.
func SplitLocation(format Format, location string) []string {
	if format == FormatDjangoRedis {
		return strings.Split(location, ",")
	}
	return locationSep.Split(location, -1)
}

// New returns a Cache for opts. It makes no connection (go-redis connects on first use), so it
// takes no context. Exactly one of opts.Location and opts.Clients must be set.
func New(opts Options) (*Cache, error) {
	c := &Cache{format: opts.Format, comp: opts.Compressor, limit: opts.MaxValueSize}
	if c.limit <= 0 {
		c.limit = DefaultMaxValueSize
	}
	switch opts.Format {
	case FormatDjango:
		if opts.Compressor != CompressorIdentity {
			return nil, errors.New("redisstore: Django's RedisCache has no compressor; use FormatDjangoRedis")
		}
		c.proto = 5
	case FormatDjangoRedis:
		if opts.Compressor < CompressorIdentity || opts.Compressor > CompressorZstd {
			return nil, fmt.Errorf("redisstore: unknown compressor %d", int(opts.Compressor))
		}
		switch v := opts.PickleVersion; {
		case v == 0:
			c.proto = 4
		case v < 0:
			c.proto = 5
		case v <= 5:
			c.proto = v
		default:
			return nil, fmt.Errorf("redisstore: PICKLE_VERSION %d is above pickle.HIGHEST_PROTOCOL (5)", v)
		}
	default:
		return nil, fmt.Errorf("redisstore: unknown format %d", int(opts.Format))
	}
	switch {
	case len(opts.Location) > 0 && len(opts.Clients) > 0:
		return nil, errors.New("redisstore: set Location or Clients, not both")
	case len(opts.Clients) > 0:
		for i, cl := range opts.Clients {
			if cl == nil {
				return nil, fmt.Errorf("redisstore: Clients[%d] is nil", i)
			}
		}
		c.clients = append([]redis.UniversalClient(nil), opts.Clients...)
	case len(opts.Location) > 0:
		c.owned = true
		for _, loc := range opts.Location {
			o, err := redis.ParseURL(strings.TrimSpace(loc))
			if err != nil {
				c.Close()
				return nil, fmt.Errorf("redisstore: LOCATION entry %q: %w", redactURL(loc), err)
			}
			// Each call's context bounds its socket reads and writes too (go-redis ignores
			// context deadlines otherwise, and waits ReadTimeout, 3 s, on a stalled server).
			o.ContextTimeoutEnabled = true
			c.clients = append(c.clients, redis.NewClient(o))
		}
	default:
		return nil, errors.New("redisstore: no Location and no Clients")
	}
	if c.comp == CompressorZstd {
		d, err := newZstdDecoder(c.limit)
		if err != nil {
			c.Close()
			return nil, fmt.Errorf("redisstore: %w", err)
		}
		c.zstd = d
	}
	return c, nil
}

// redactURL hides a password in a LOCATION URL for error messages.
func redactURL(s string) string {
	if i := strings.Index(s, "@"); i >= 0 {
		if j := strings.Index(s, "://"); j >= 0 && j < i {
			return s[:j+3] + "…@" + s[i+1:]
		}
	}
	return s
}

// Close closes the clients New made from Location (not caller-supplied Clients).
func (c *Cache) Close() error {
	if c.zstd != nil {
		c.zstd.Close()
	}
	if !c.owned {
		return nil
	}
	var errs []error
	for _, cl := range c.clients {
		errs = append(errs, cl.Close())
	}
	return errors.Join(errs...)
}

// PickleProtocol returns the pickle protocol the configured Django backend writes: 5 for
// RedisCache, PICKLE_VERSION (default 4) for django-redis.
func (c *Cache) PickleProtocol() int { return c.proto }

func (c *Cache) writer() redis.UniversalClient { return c.clients[0] }

func (c *Cache) reader() redis.UniversalClient {
	if len(c.clients) == 1 {
		return c.clients[0]
	}
	return c.clients[1+rand.IntN(len(c.clients)-1)]
}

func cacheErr(op, key string, err error) error {
	return djangosession.NewCacheError(op, key, err)
}

// cacheErrCtx is cacheErr for an error of a call made with ctx: when ctx ended meanwhile, the
// error also matches ctx.Err() (a read cut short by the deadline is a net timeout for go-redis),
// so that callers can test errors.Is(err, context.DeadlineExceeded) or context.Canceled.
func cacheErrCtx(ctx context.Context, op, key string, err error) error {
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		err = fmt.Errorf("%w (%w)", cerr, err)
	}
	return djangosession.NewCacheError(op, key, err)
}

// Get returns the pickle bytes stored under key: GET on a replica (the primary when alone), then
// the compressor's decompression when the value is in its format.
func (c *Cache) Get(ctx context.Context, key string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, cacheErrCtx(ctx, "get", key, err)
	}
	b, err := c.reader().Get(ctx, key).Bytes()
	if err == redis.Nil {
		return nil, cacheErr("get", key, djangosession.ErrNotFound)
	}
	if err != nil {
		return nil, cacheErrCtx(ctx, "get", key, err)
	}
	return c.decode(b)
}

// decode undoes the backend's framing: int text is refused, then (django-redis) the configured
// decompressor is tried and, when the bytes are not its format, they are used as they are.
func (c *Cache) decode(b []byte) ([]byte, error) {
	if isPythonInt(b) {
		return nil, fmt.Errorf("redisstore: the value is an int, not a session: %w", djangosession.ErrCorrupt)
	}
	if c.format != FormatDjangoRedis || c.comp == CompressorIdentity {
		return c.checkPlain(b)
	}
	out, err := c.comp.decompress(b, c.limit, c.zstd)
	if errors.Is(err, errNotCompressed) {
		return c.checkPlain(b)
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// checkPlain refuses a value that is not a pickle but the output of a compressor this Cache is
// not configured with: Django, configured otherwise, reads it, so it is not "no session" (which
// would let a Go save replace it) but a configuration mismatch, ErrUnreadable. Django's pickles
// (protocol 2 and up) start with 0x80, which no compressor's magic does.
func (c *Cache) checkPlain(b []byte) ([]byte, error) {
	if len(b) == 0 || b[0] == 0x80 {
		return b, nil
	}
	if comp, ok := compressedAs(b); ok && !(c.format == FormatDjangoRedis && comp == c.comp) {
		// (Output of the configured compressor that it could not inflate is garbage: Django
		// fails on it too, so it is no session, as before.)
		name := comp.String()
		have := "Format: FormatDjango (no compression)"
		if c.format == FormatDjangoRedis {
			have = "Compressor: " + c.comp.String()
		}
		return nil, fmt.Errorf("redisstore: the stored value is %s output, but this Cache has %s; set Options.Compressor to the COMPRESSOR of the Django cache: %w", name, have, djangosession.ErrUnreadable)
	}
	return b, nil
}

// compressedAs reports the compressor whose output b starts like.
func compressedAs(b []byte) (Compressor, bool) {
	switch {
	case len(b) >= 2 && b[0] == 0x78 && (uint16(b[0])<<8|uint16(b[1]))%31 == 0:
		return CompressorZlib, true
	case bytes.HasPrefix(b, []byte{0x1f, 0x8b}):
		return CompressorGzip, true
	case bytes.HasPrefix(b, []byte{0xfd, '7', 'z', 'X', 'Z', 0x00}):
		return CompressorLZMA, true
	case bytes.HasPrefix(b, []byte{0x04, 0x22, 0x4d, 0x18}):
		return CompressorLZ4, true
	case bytes.HasPrefix(b, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		return CompressorZstd, true
	}
	return 0, false
}

// encode returns the stored form of a pickle.
func (c *Cache) encode(value []byte) ([]byte, error) {
	if c.format != FormatDjangoRedis {
		return value, nil
	}
	return c.comp.compress(value)
}

// expiry returns the SET expiry arguments for timeout and whether the timeout means "delete
// now": Django's int(timeout) seconds with EX, django-redis's int(timeout*1000) with PX.
func (c *Cache) expiry(timeout time.Duration) (unit string, n int64, expired bool) {
	if c.format == FormatDjangoRedis {
		ms := timeout.Milliseconds()
		return "PX", ms, ms <= 0
	}
	s := int64(timeout / time.Second)
	return "EX", s, s <= 0
}

// Set stores value under key for timeout, as cache.set does: SET k v EX|PX t on the primary, or
// DEL when the timeout is zero (Django: under a second; django-redis: under a millisecond).
func (c *Cache) Set(ctx context.Context, key string, value []byte, timeout time.Duration) error {
	if err := ctx.Err(); err != nil {
		return cacheErrCtx(ctx, "set", key, err)
	}
	v, err := c.encode(value)
	if err != nil {
		return cacheErrCtx(ctx, "set", key, err)
	}
	unit, n, expired := c.expiry(timeout)
	w := c.writer()
	if expired {
		err = w.Del(ctx, key).Err()
	} else {
		err = w.Do(ctx, "SET", key, v, unit, n).Err()
	}
	if err != nil {
		return cacheErrCtx(ctx, "set", key, err)
	}
	return nil
}

// Add stores value under key only if key is absent, as cache.add does, and reports whether it
// stored: SET k v EX|PX t NX. With a zero timeout, Django's RedisCache does SET NX then DEL (so
// it reports true when the key was absent); django-redis stores nothing and reports whether the
// key was absent (EXISTS on the primary).
func (c *Cache) Add(ctx context.Context, key string, value []byte, timeout time.Duration) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, cacheErrCtx(ctx, "add", key, err)
	}
	v, err := c.encode(value)
	if err != nil {
		return false, cacheErrCtx(ctx, "add", key, err)
	}
	unit, n, expired := c.expiry(timeout)
	w := c.writer()
	switch {
	case expired && c.format == FormatDjangoRedis:
		k, err := w.Exists(ctx, key).Result()
		if err != nil {
			return false, cacheErrCtx(ctx, "add", key, err)
		}
		return k == 0, nil
	case expired:
		err := w.Do(ctx, "SET", key, v, "NX").Err()
		if err == redis.Nil {
			return false, nil
		}
		if err != nil {
			return false, cacheErrCtx(ctx, "add", key, err)
		}
		if err := w.Del(ctx, key).Err(); err != nil {
			return false, cacheErrCtx(ctx, "add", key, err)
		}
		return true, nil
	}
	err = w.Do(ctx, "SET", key, v, unit, n, "NX").Err()
	if err == redis.Nil {
		return false, nil
	}
	if err != nil {
		return false, cacheErrCtx(ctx, "add", key, err)
	}
	return true, nil
}

// Replace stores value under key only if key exists and reports whether it did: SET k v EX|PX t
// XX on the primary. With a zero timeout the key is deleted (django-redis's set(xx=True) does
// the same) and the result says whether it existed.
func (c *Cache) Replace(ctx context.Context, key string, value []byte, timeout time.Duration) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, cacheErrCtx(ctx, "replace", key, err)
	}
	v, err := c.encode(value)
	if err != nil {
		return false, cacheErrCtx(ctx, "replace", key, err)
	}
	unit, n, expired := c.expiry(timeout)
	w := c.writer()
	if expired {
		k, err := w.Del(ctx, key).Result()
		if err != nil {
			return false, cacheErrCtx(ctx, "replace", key, err)
		}
		return k > 0, nil
	}
	err = w.Do(ctx, "SET", key, v, unit, n, "XX").Err()
	if err == redis.Nil {
		return false, nil
	}
	if err != nil {
		return false, cacheErrCtx(ctx, "replace", key, err)
	}
	return true, nil
}

// Delete removes key (DEL on the primary). A missing key is not an error.
func (c *Cache) Delete(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return cacheErrCtx(ctx, "delete", key, err)
	}
	if err := c.writer().Del(ctx, key).Err(); err != nil {
		return cacheErrCtx(ctx, "delete", key, err)
	}
	return nil
}

// Has reports whether key exists: EXISTS on a replica (the primary when alone), as has_key does
// in both backends.
func (c *Cache) Has(ctx context.Context, key string) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, cacheErrCtx(ctx, "has", key, err)
	}
	n, err := c.reader().Exists(ctx, key).Result()
	if err != nil {
		return false, cacheErrCtx(ctx, "has", key, err)
	}
	return n > 0, nil
}

// isPythonInt reports whether int(b) succeeds in Python for bytes b: optional ASCII whitespace,
// an optional sign, decimal digits with single underscores between them, optional whitespace.
func isPythonInt(b []byte) bool {
	isSpace := func(c byte) bool { return c == ' ' || (c >= '\t' && c <= '\r') }
	i, j := 0, len(b)
	for i < j && isSpace(b[i]) {
		i++
	}
	for j > i && isSpace(b[j-1]) {
		j--
	}
	if i < j && (b[i] == '+' || b[i] == '-') {
		i++
	}
	if i == j {
		return false
	}
	prevDigit := false
	for k := i; k < j; k++ {
		switch c := b[k]; {
		case c >= '0' && c <= '9':
			prevDigit = true
		case c == '_' && prevDigit && k+1 < j:
			prevDigit = false
		default:
			return false
		}
	}
	return prevDigit
}

// GetForCAS is Get from the primary (where CompareAndSwap runs); the token is the stored bytes
// (compressed, for django-redis with a compressor).
func (c *Cache) GetForCAS(ctx context.Context, key string) ([]byte, djangosession.CASToken, error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, cacheErr("get", key, err)
	}
	b, err := c.writer().Get(ctx, key).Bytes()
	if err == redis.Nil {
		return nil, nil, cacheErr("get", key, djangosession.ErrNotFound)
	}
	if err != nil {
		return nil, nil, cacheErrCtx(ctx, "get", key, err)
	}
	v, err := c.decode(b)
	if err != nil {
		return nil, nil, err
	}
	return v, casToken(b), nil
}

// casToken is the stored bytes a GetForCAS read.
type casToken []byte

// casScript stores ARGV[2] under KEYS[1] only if the stored value is still ARGV[1]: with SET's
// expiry arguments ARGV[3] ARGV[4], or DEL when ARGV[3] is "DEL". It returns 1 when it wrote, 0
// when the value differs, -1 when the key is missing. Redis runs a script atomically.
var casScript = redis.NewScript(`
local cur = redis.call('GET', KEYS[1])
if not cur then return -1 end
if cur ~= ARGV[1] then return 0 end
if ARGV[3] == 'DEL' then
  redis.call('DEL', KEYS[1])
else
  redis.call('SET', KEYS[1], ARGV[2], ARGV[3], ARGV[4])
end
return 1
`)

// CompareAndSwap stores value under key, as Set does, only if the stored bytes are still those
// GetForCAS returned with token, in one atomic script on the primary.
func (c *Cache) CompareAndSwap(ctx context.Context, key string, token djangosession.CASToken, value []byte, timeout time.Duration) error {
	if err := ctx.Err(); err != nil {
		return cacheErr("cas", key, err)
	}
	old, ok := token.(casToken)
	if !ok {
		return cacheErr("cas", key, fmt.Errorf("redisstore: token %T was not made by this package's GetForCAS", token))
	}
	v, err := c.encode(value)
	if err != nil {
		return cacheErr("cas", key, err)
	}
	unit, n, expired := c.expiry(timeout)
	args := []any{[]byte(old), v, unit, n}
	if expired {
		args = []any{[]byte(old), "", "DEL", 0}
	}
	r, err := casScript.Run(ctx, c.writer(), []string{key}, args...).Int64()
	if err != nil {
		return cacheErrCtx(ctx, "cas", key, err)
	}
	switch r {
	case 1:
		return nil
	case -1:
		return cacheErr("cas", key, djangosession.ErrNotFound)
	}
	return cacheErr("cas", key, djangosession.ErrConflict)
}
