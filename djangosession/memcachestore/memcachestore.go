package memcachestore

import (
	"bytes"
	"compress/zlib"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/bradfitz/gomemcache/memcache"
	"github.com/djangobridge/bridge/djangosession"
)

// Client names the Python memcached client behind the Django backend.
type Client int

const (
	// PyMemcache is django.core.cache.backends.memcached.PyMemcacheCache (pymemcache's
	// HashClient with pickle_serde): rendezvous hashing over several servers; only flag 1
	// (pickle) is a session.
	PyMemcache Client = iota
	// PyLibMC is django.core.cache.backends.memcached.PyLibMCCache (pylibmc on libmemcached):
	// modula hashing over several servers; flag 8 means zlib-compressed, then flag 1 is a pickle.
	PyLibMC
)

// String returns the Django backend class name of c.
func (c Client) String() string {
	switch c {
	case PyMemcache:
		return "PyMemcacheCache"
	case PyLibMC:
		return "PyLibMCCache"
	}
	return fmt.Sprintf("Client(%d)", int(c))
}

// Item flags of pymemcache's serde and pylibmc (the same numbers).
const (
	flagBytes   = 0
	flagPickle  = 1
	flagInteger = 2
	flagLong    = 4
	flagZlib    = 8
	flagText    = 16
)

// DefaultMaxValueSize is the default Options.MaxValueSize: 16 MiB.
const DefaultMaxValueSize = 16 << 20

// maxRelative is memcached's limit for a relative expiration (30 days); Django sends larger
// timeouts as absolute Unix times.
const maxRelative = 2592000 * time.Second

// Options configures a Cache. Location (or NewFromClient's client) is required; the zero value
// of everything else is Django's PyMemcacheCache.
type Options struct {
	// Location is Django's CACHES[...]["LOCATION"] as a list ("host:port", "host",
	// "[v6]:port", "unix:/path", "/path"). With more than one server, the keys are spread as
	// Client's Django backend spreads them (RendezvousSelector or ModulaSelector). Ignored by
	// NewFromClient.
	Location []string

	// Client is the Django backend (default PyMemcache).
	Client Client

	// Timeout is the socket read/write timeout of each call (default memcache.DefaultTimeout,
	// 500 ms). gomemcache takes no context: the Cache checks ctx before and after each call, so
	// a call can outlive its context by up to Timeout. Ignored by NewFromClient.
	Timeout time.Duration

	// MaxIdleConns is gomemcache's idle connections per server (default 2). Ignored by
	// NewFromClient.
	MaxIdleConns int

	// Now is the clock for timeouts beyond 30 days, which memcached takes as absolute Unix
	// times (Django: int(time.time()) + timeout). Default time.Now.
	Now func() time.Time

	// MaxValueSize bounds what a zlib-compressed (flag 8) pylibmc value may inflate to (default
	// DefaultMaxValueSize); a larger one gives *TooLargeError.
	MaxValueSize int
}

// Cache is a djangosession.Cache (plus Replacer and ProtocolHinter) on memcached
// (github.com/bradfitz/gomemcache), reading and writing items as Django's PyMemcacheCache or
// PyLibMCCache does: the pickle with flag 1, Django's timeout rules and server choice. It is
// safe for concurrent use.
//
// Get returns the pickle bytes of a flag-1 item (pylibmc: after inflating a flag-8 one). Any
// other flags mean Django stored something that is not a session (bytes, str, int): Get then
// returns an error wrapping djangosession.ErrCorrupt.
type Cache struct {
	mc     *memcache.Client
	client Client
	now    func() time.Time
	limit  int
}

var (
	_ djangosession.Cache             = (*Cache)(nil)
	_ djangosession.Replacer          = (*Cache)(nil)
	_ djangosession.ProtocolHinter    = (*Cache)(nil)
	_ djangosession.CompareAndSwapper = (*Cache)(nil)
)

// New returns a Cache on the servers of opts.Location, picked as opts.Client's Django backend
// picks them. It resolves host names but makes no connection, so it takes no context.
func New(opts Options) (*Cache, error) {
	var sel memcache.ServerSelector
	var err error
	switch opts.Client {
	case PyMemcache:
		sel, err = NewRendezvousSelector(opts.Location...)
	case PyLibMC:
		sel, err = NewModulaSelector(opts.Location...)
	default:
		return nil, fmt.Errorf("memcachestore: unknown client %d", int(opts.Client))
	}
	if err != nil {
		return nil, err
	}
	mc := memcache.NewFromSelector(sel)
	mc.Timeout = opts.Timeout
	mc.MaxIdleConns = opts.MaxIdleConns
	return NewFromClient(mc, opts)
}

// NewFromClient returns a Cache using mc as it is (its selector, Timeout and MaxIdleConns).
// For several servers, build mc with memcache.NewFromSelector and a RendezvousSelector or
// ModulaSelector, or Django will look for the keys elsewhere.
func NewFromClient(mc *memcache.Client, opts Options) (*Cache, error) {
	if mc == nil {
		return nil, errors.New("memcachestore: nil client")
	}
	if opts.Client != PyMemcache && opts.Client != PyLibMC {
		return nil, fmt.Errorf("memcachestore: unknown client %d", int(opts.Client))
	}
	c := &Cache{mc: mc, client: opts.Client, now: opts.Now, limit: opts.MaxValueSize}
	if c.now == nil {
		c.now = time.Now
	}
	if c.limit <= 0 {
		c.limit = DefaultMaxValueSize
	}
	return c, nil
}

// Close closes the idle connections.
func (c *Cache) Close() error { return c.mc.Close() }

// PickleProtocol returns 5: pymemcache and pylibmc pickle with pickle.HIGHEST_PROTOCOL.
func (c *Cache) PickleProtocol() int { return 5 }

// validKey reports whether Django and the clients accept key: Django's memcached key check (at
// most 250 characters, none below 33 or equal to 127) and memcached's 250-byte limit, which
// pymemcache applies to the UTF-8 form.
func validKey(key string) bool {
	if len(key) > 250 || key == "" {
		return false
	}
	for _, r := range key {
		if r < 33 || r == 127 {
			return false
		}
	}
	return true
}

// errInvalidGet is what Get and Has wrap for a key Django refuses: a miss (Django's session
// load treats InvalidCacheKey as no session) that still says why.
var errInvalidGet = fmt.Errorf("%w (%w)", djangosession.ErrInvalidKey, djangosession.ErrNotFound)

func cacheErr(op, key string, err error) error {
	return djangosession.NewCacheError(op, key, err)
}

// call runs f (one gomemcache call) between two context checks.
func call(ctx context.Context, op, key string, f func() error) error {
	if err := ctx.Err(); err != nil {
		return cacheErr(op, key, err)
	}
	err := f()
	if cerr := ctx.Err(); cerr != nil {
		return cacheErr(op, key, cerr)
	}
	return err
}

// Get returns the pickle bytes stored under key. A key Django refuses is a miss: the error
// matches both djangosession.ErrNotFound and djangosession.ErrInvalidKey.
func (c *Cache) Get(ctx context.Context, key string) ([]byte, error) {
	if !validKey(key) {
		return nil, cacheErr("get", key, errInvalidGet)
	}
	var it *memcache.Item
	err := call(ctx, "get", key, func() (err error) { it, err = c.mc.Get(key); return err })
	var ce *djangosession.CacheError
	switch {
	case errors.As(err, &ce):
		return nil, err
	case errors.Is(err, memcache.ErrCacheMiss):
		return nil, cacheErr("get", key, djangosession.ErrNotFound)
	case err != nil:
		return nil, cacheErr("get", key, err)
	}
	return c.decode(it.Flags, it.Value)
}

// decode applies the client's flag rules to an item.
func (c *Cache) decode(flags uint32, v []byte) ([]byte, error) {
	if c.client == PyLibMC {
		if flags&flagZlib != 0 {
			var err error
			if v, err = inflate(v, c.limit); err != nil {
				return nil, err
			}
		}
		// pylibmc dispatches on flags & (PICKLE|INTEGER|LONG|TEXT); only PICKLE alone is a pickle.
		switch f := flags & (flagPickle | flagInteger | flagLong | flagText); f {
		case flagPickle:
			return v, nil
		default:
			return nil, notSession(flags)
		}
	}
	// pymemcache's python_memcache_deserializer: 0 bytes, then TEXT, INTEGER, LONG, PICKLE bits.
	switch {
	case flags == flagBytes, flags&flagText != 0, flags&flagInteger != 0, flags&flagLong != 0:
		return nil, notSession(flags)
	case flags&flagPickle != 0:
		return v, nil
	}
	return nil, notSession(flags)
}

func notSession(flags uint32) error {
	kind := "bytes"
	switch {
	case flags&flagText != 0:
		kind = "a str"
	case flags&(flagInteger|flagLong) != 0:
		kind = "an int"
	}
	return fmt.Errorf("memcachestore: item flags %d hold %s, not a pickled session: %w", flags, kind, djangosession.ErrCorrupt)
}

// TooLargeError reports a zlib-compressed (flag 8) value that inflates beyond the configured
// limit. It unwraps to djangosession.ErrCorrupt.
type TooLargeError struct {
	Limit int // Options.MaxValueSize
}

// Error implements error.
func (e *TooLargeError) Error() string {
	return fmt.Sprintf("memcachestore: compressed value exceeds the %d-byte limit", e.Limit)
}

// Unwrap returns djangosession.ErrCorrupt.
func (e *TooLargeError) Unwrap() error { return djangosession.ErrCorrupt }

// inflate undoes pylibmc's zlib compression (a zlib-wrapped deflate stream), producing at most
// limit bytes.
func inflate(v []byte, limit int) ([]byte, error) {
	zr, err := zlib.NewReader(bytes.NewReader(v))
	if err != nil {
		return nil, fmt.Errorf("memcachestore: flag 8 value is not zlib data: %v: %w", err, djangosession.ErrCorrupt)
	}
	var buf bytes.Buffer
	n, err := io.Copy(&buf, io.LimitReader(zr, int64(limit)+1))
	if err != nil {
		return nil, fmt.Errorf("memcachestore: flag 8 value: %v: %w", err, djangosession.ErrCorrupt)
	}
	if n > int64(limit) {
		return nil, &TooLargeError{Limit: limit}
	}
	return buf.Bytes(), nil
}

// exptime converts a timeout as Django's BaseMemcachedCache.get_backend_timeout does: 0 seconds
// (int(timeout) == 0) becomes -1 (expire now), negative stays as it is, beyond 30 days becomes
// the absolute Unix time Now() + timeout.
func (c *Cache) exptime(timeout time.Duration) int32 {
	s := int64(timeout / time.Second)
	switch {
	case s == 0:
		return -1
	case timeout > maxRelative:
		s += c.now().Unix()
	}
	return int32(max(math.MinInt32, min(s, math.MaxInt32)))
}

func (c *Cache) item(key string, value []byte, timeout time.Duration) *memcache.Item {
	return &memcache.Item{Key: key, Value: value, Flags: flagPickle, Expiration: c.exptime(timeout)}
}

// Set stores value under key with flag 1 and Django's expiration, as cache.set does; when the
// server refuses (e.g. the 1 MB item limit), the key is deleted, as Django does, and the error
// returned.
func (c *Cache) Set(ctx context.Context, key string, value []byte, timeout time.Duration) error {
	if !validKey(key) {
		return cacheErr("set", key, djangosession.ErrInvalidKey)
	}
	err := call(ctx, "set", key, func() error { return c.mc.Set(c.item(key, value, timeout)) })
	var ce *djangosession.CacheError
	if errors.As(err, &ce) {
		return err
	}
	if err != nil {
		if !isNetError(err) {
			_ = c.mc.Delete(key)
		}
		return cacheErr("set", key, err)
	}
	return nil
}

func isNetError(err error) bool {
	var ne interface{ Timeout() bool }
	return errors.As(err, &ne)
}

// Add stores value under key only if the key is absent (memcached add), as cache.add does.
func (c *Cache) Add(ctx context.Context, key string, value []byte, timeout time.Duration) (bool, error) {
	return c.cond(ctx, "add", key, value, timeout, c.mc.Add)
}

// Replace stores value under key only if the key exists (memcached replace).
func (c *Cache) Replace(ctx context.Context, key string, value []byte, timeout time.Duration) (bool, error) {
	return c.cond(ctx, "replace", key, value, timeout, c.mc.Replace)
}

func (c *Cache) cond(ctx context.Context, op, key string, value []byte, timeout time.Duration, f func(*memcache.Item) error) (bool, error) {
	if !validKey(key) {
		return false, cacheErr(op, key, djangosession.ErrInvalidKey)
	}
	err := call(ctx, op, key, func() error { return f(c.item(key, value, timeout)) })
	var ce *djangosession.CacheError
	switch {
	case errors.As(err, &ce):
		return false, err
	case errors.Is(err, memcache.ErrNotStored):
		return false, nil
	case err != nil:
		return false, cacheErr(op, key, err)
	}
	return true, nil
}

// Delete removes key. A missing key is not an error; a key Django refuses is (ErrInvalidKey),
// as Django's delete raises InvalidCacheKey.
func (c *Cache) Delete(ctx context.Context, key string) error {
	if !validKey(key) {
		return cacheErr("delete", key, djangosession.ErrInvalidKey)
	}
	err := call(ctx, "delete", key, func() error { return c.mc.Delete(key) })
	var ce *djangosession.CacheError
	switch {
	case errors.As(err, &ce):
		return err
	case errors.Is(err, memcache.ErrCacheMiss):
		return nil
	case err != nil:
		return cacheErr("delete", key, err)
	}
	return nil
}

// Has reports whether key exists, with a GET as Django's memcached has_key does (any flags
// count). A key Django refuses gives false and an error matching ErrInvalidKey and ErrNotFound.
func (c *Cache) Has(ctx context.Context, key string) (bool, error) {
	if !validKey(key) {
		return false, cacheErr("has", key, errInvalidGet)
	}
	err := call(ctx, "has", key, func() error { _, err := c.mc.Get(key); return err })
	var ce *djangosession.CacheError
	switch {
	case errors.As(err, &ce):
		return false, err
	case errors.Is(err, memcache.ErrCacheMiss):
		return false, nil
	case err != nil:
		return false, cacheErr("has", key, err)
	}
	return true, nil
}

// GetForCAS is Get; the token is the item with its CAS unique (gomemcache reads with gets).
func (c *Cache) GetForCAS(ctx context.Context, key string) ([]byte, djangosession.CASToken, error) {
	if !validKey(key) {
		return nil, nil, cacheErr("get", key, errInvalidGet)
	}
	var it *memcache.Item
	err := call(ctx, "get", key, func() (err error) { it, err = c.mc.Get(key); return err })
	var ce *djangosession.CacheError
	switch {
	case errors.As(err, &ce):
		return nil, nil, err
	case errors.Is(err, memcache.ErrCacheMiss):
		return nil, nil, cacheErr("get", key, djangosession.ErrNotFound)
	case err != nil:
		return nil, nil, cacheErr("get", key, err)
	}
	v, err := c.decode(it.Flags, it.Value)
	if err != nil {
		return nil, nil, err
	}
	return v, casToken{it}, nil
}

// casToken holds the item GetForCAS read; its CAS unique is unexported in gomemcache.
type casToken struct{ it *memcache.Item }

// CompareAndSwap stores value under key, as Set does (flag 1, Django's expiration), with
// memcached's cas command: only if nobody wrote the key since GetForCAS returned token.
func (c *Cache) CompareAndSwap(ctx context.Context, key string, token djangosession.CASToken, value []byte, timeout time.Duration) error {
	if !validKey(key) {
		return cacheErr("cas", key, djangosession.ErrInvalidKey)
	}
	tok, ok := token.(casToken)
	if !ok || tok.it == nil || tok.it.Key != key {
		return cacheErr("cas", key, fmt.Errorf("memcachestore: token %T was not made by GetForCAS for this key", token))
	}
	it := *tok.it // keeps the CAS unique
	it.Value, it.Flags, it.Expiration = value, flagPickle, c.exptime(timeout)
	err := call(ctx, "cas", key, func() error { return c.mc.CompareAndSwap(&it) })
	var ce *djangosession.CacheError
	switch {
	case errors.As(err, &ce):
		return err
	case errors.Is(err, memcache.ErrCASConflict):
		return cacheErr("cas", key, djangosession.ErrConflict)
	case errors.Is(err, memcache.ErrCacheMiss):
		return cacheErr("cas", key, djangosession.ErrNotFound)
	case err != nil:
		return cacheErr("cas", key, err)
	}
	return nil
}
