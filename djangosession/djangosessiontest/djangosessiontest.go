// Package djangosessiontest provides an in-memory [djangosession.Cache] with Django's timeout
// semantics and a fake clock, for tests of code that uses djangosession.
package djangosessiontest

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/djangobridge/bridge/djangosession"
)

// Clock is a fake clock for tests. The zero Clock reads 1970-01-01 UTC. It is safe for
// concurrent use.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock that reads t until it is set or advanced.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time; pass the method value as Config.Now or Cache.Now.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.t.IsZero() {
		return time.Unix(0, 0).UTC()
	}
	return c.t
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.t.IsZero() {
		c.t = time.Unix(0, 0).UTC()
	}
	c.t = c.t.Add(d)
}

// Cache is an in-memory djangosession.Cache with the timeout semantics Django's backends have
// for sessions: a positive timeout expires the key that long after the write, and a timeout of
// zero or less expires it at once (Set removes the key; Add and Replace report success but
// leave nothing behind). It implements [djangosession.Replacer],
// [djangosession.CompareAndSwapper] (every write gives the key a new version, as memcached's
// CAS unique) and [djangosession.ProtocolHinter].
//
// Set the exported fields before first use. A Cache is safe for concurrent use.
type Cache struct {
	// Now is the clock that expires keys; nil means time.Now.
	Now func() time.Time

	// MemcachedKeys makes every operation refuse, as Django's memcached backends do, a key
	// that [djangosession.ValidateMemcachedKey] rejects, with an error matching
	// djangosession.ErrInvalidKey.
	MemcachedKeys bool

	// Protocol is what PickleProtocol reports: the pickle protocol of the Django backend being
	// imitated. 0 leaves the choice to the codec (5).
	Protocol int

	// Hook, when set, is called before each operation with its name ("get", "set", "add",
	// "delete", "has", "replace", "cas") and key; a non-nil error fails the operation with a
	// *djangosession.CacheError wrapping it, as a server error would.
	Hook func(op, key string) error

	mu      sync.Mutex
	items   map[string]item
	calls   map[string]int
	version uint64
}

type item struct {
	value   []byte
	expires time.Time
	version uint64
}

var (
	_ djangosession.Cache             = (*Cache)(nil)
	_ djangosession.Replacer          = (*Cache)(nil)
	_ djangosession.ProtocolHinter    = (*Cache)(nil)
	_ djangosession.CompareAndSwapper = (*Cache)(nil)
)

// NewCache returns an empty cache on the real clock.
func NewCache() *Cache { return &Cache{} }

func (c *Cache) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// begin checks the context, the key and the hook, counts the call, locks the cache and drops
// the key if it has expired.
func (c *Cache) begin(ctx context.Context, op, key string) error {
	if err := ctx.Err(); err != nil {
		return djangosession.NewCacheError(op, key, err)
	}
	if c.MemcachedKeys {
		if err := djangosession.ValidateMemcachedKey(key); err != nil {
			return djangosession.NewCacheError(op, key, err)
		}
	}
	if c.Hook != nil {
		if err := c.Hook(op, key); err != nil {
			return djangosession.NewCacheError(op, key, err)
		}
	}
	c.mu.Lock()
	if c.items == nil {
		c.items = make(map[string]item)
		c.calls = make(map[string]int)
	}
	c.calls[op]++
	if it, ok := c.items[key]; ok && !it.expires.After(c.now()) {
		delete(c.items, key)
	}
	return nil
}

func (c *Cache) put(key string, value []byte, timeout time.Duration) {
	if timeout <= 0 {
		delete(c.items, key)
		return
	}
	c.version++
	c.items[key] = item{value: slices.Clone(value), expires: c.now().Add(timeout), version: c.version}
}

// casToken is the version of the item GetForCAS read.
type casToken uint64

// GetForCAS returns the value under key and its version, or an error matching
// djangosession.ErrNotFound. The operation is counted as "get".
func (c *Cache) GetForCAS(ctx context.Context, key string) ([]byte, djangosession.CASToken, error) {
	if err := c.begin(ctx, "get", key); err != nil {
		return nil, nil, err
	}
	defer c.mu.Unlock()
	it, ok := c.items[key]
	if !ok {
		return nil, nil, djangosession.NewCacheError("get", key, djangosession.ErrNotFound)
	}
	return slices.Clone(it.value), casToken(it.version), nil
}

// CompareAndSwap stores value under key for timeout only if the key still has the version
// GetForCAS returned as token: else it fails with an error matching djangosession.ErrConflict
// (another write came in between) or djangosession.ErrNotFound (the key is gone).
func (c *Cache) CompareAndSwap(ctx context.Context, key string, token djangosession.CASToken, value []byte, timeout time.Duration) error {
	if err := c.begin(ctx, "cas", key); err != nil {
		return err
	}
	defer c.mu.Unlock()
	it, ok := c.items[key]
	switch {
	case !ok:
		return djangosession.NewCacheError("cas", key, djangosession.ErrNotFound)
	case token != casToken(it.version):
		return djangosession.NewCacheError("cas", key, djangosession.ErrConflict)
	}
	c.put(key, value, timeout)
	return nil
}

// Get returns the value under key, or an error matching djangosession.ErrNotFound.
func (c *Cache) Get(ctx context.Context, key string) ([]byte, error) {
	if err := c.begin(ctx, "get", key); err != nil {
		return nil, err
	}
	defer c.mu.Unlock()
	it, ok := c.items[key]
	if !ok {
		return nil, djangosession.NewCacheError("get", key, djangosession.ErrNotFound)
	}
	return slices.Clone(it.value), nil
}

// Set stores value under key for timeout (<= 0: removes the key).
func (c *Cache) Set(ctx context.Context, key string, value []byte, timeout time.Duration) error {
	if err := c.begin(ctx, "set", key); err != nil {
		return err
	}
	defer c.mu.Unlock()
	c.put(key, value, timeout)
	return nil
}

// Add stores value under key unless the key exists, and reports whether it did.
func (c *Cache) Add(ctx context.Context, key string, value []byte, timeout time.Duration) (bool, error) {
	if err := c.begin(ctx, "add", key); err != nil {
		return false, err
	}
	defer c.mu.Unlock()
	if _, ok := c.items[key]; ok {
		return false, nil
	}
	c.put(key, value, timeout)
	return true, nil
}

// Replace stores value under key only if the key exists, and reports whether it did.
func (c *Cache) Replace(ctx context.Context, key string, value []byte, timeout time.Duration) (bool, error) {
	if err := c.begin(ctx, "replace", key); err != nil {
		return false, err
	}
	defer c.mu.Unlock()
	if _, ok := c.items[key]; !ok {
		return false, nil
	}
	c.put(key, value, timeout)
	return true, nil
}

// Delete removes key.
func (c *Cache) Delete(ctx context.Context, key string) error {
	if err := c.begin(ctx, "delete", key); err != nil {
		return err
	}
	defer c.mu.Unlock()
	delete(c.items, key)
	return nil
}

// Has reports whether key exists.
func (c *Cache) Has(ctx context.Context, key string) (bool, error) {
	if err := c.begin(ctx, "has", key); err != nil {
		return false, err
	}
	defer c.mu.Unlock()
	_, ok := c.items[key]
	return ok, nil
}

// PickleProtocol returns c.Protocol.
func (c *Cache) PickleProtocol() int { return c.Protocol }

// TTL returns the time left before key expires, and whether it exists.
func (c *Cache) TTL(key string) (time.Duration, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	it, ok := c.items[key]
	if !ok {
		return 0, false
	}
	left := it.expires.Sub(c.now())
	if left <= 0 {
		return 0, false
	}
	return left, true
}

// Keys returns the keys that have not expired, sorted.
func (c *Cache) Keys() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	keys := make([]string, 0, len(c.items))
	for k, it := range c.items {
		if it.expires.After(now) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

// Calls returns how many calls of op ("get", "set", ...) reached the cache: calls failed by
// their context, the key check or Hook are not counted.
func (c *Cache) Calls(op string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls[op]
}
