package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/bradfitz/gomemcache/memcache"
	"github.com/redis/go-redis/v9"

	"github.com/djangobridge/bridge/djangosession"
	"github.com/djangobridge/bridge/djangosession/memcachestore"
	"github.com/djangobridge/bridge/djangosession/redisstore"
)

// cacheURL is a parsed --cache URL: scheme://[userinfo@]host[,host...][/path][?query].
type cacheURL struct {
	scheme   string
	userinfo string // raw, with the trailing "@"; "" when none
	hosts    []string
	path     string
	query    url.Values
}

// parseCacheURL splits a --cache URL. It never echoes the URL (it may hold a password).
func parseCacheURL(s string) (cacheURL, error) {
	var u cacheURL
	i := strings.Index(s, "://")
	if i <= 0 {
		return u, errors.New("not a URL: expected redis://, django-redis:// or memcached://")
	}
	u.scheme, s = s[:i], s[i+3:]
	hostEnd := strings.IndexAny(s, "/?")
	if hostEnd < 0 {
		hostEnd = len(s)
	}
	hostpart, rest := s[:hostEnd], s[hostEnd:]
	if at := strings.LastIndex(hostpart, "@"); at >= 0 {
		u.userinfo, hostpart = hostpart[:at+1], hostpart[at+1:]
	}
	for _, h := range strings.Split(hostpart, ",") {
		if h == "" {
			return u, errors.New("empty host")
		}
		u.hosts = append(u.hosts, h)
	}
	path, rawQuery, _ := strings.Cut(rest, "?")
	u.path = path
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return u, fmt.Errorf("bad query: %w", err)
	}
	u.query = q
	return u, nil
}

// take removes a query parameter and returns its value.
func (u *cacheURL) take(name string) string {
	v := u.query.Get(name)
	u.query.Del(name)
	return v
}

// conn is an open cache: the Cache for the Store, and a way to ask the server for a key's TTL.
type conn struct {
	cache djangosession.Cache
	// ttl returns the seconds left (-1: no expiry) and whether the key exists.
	ttl func(ctx context.Context, key string) (int64, bool, error)
	// scan lists up to n keys that start with prefix (Redis SCAN; nil for memcached, which
	// cannot list its keys).
	scan  func(ctx context.Context, prefix string, n int) ([]string, error)
	close func()
}

var compressors = map[string]redisstore.Compressor{
	"":         redisstore.CompressorIdentity,
	"identity": redisstore.CompressorIdentity,
	"zlib":     redisstore.CompressorZlib,
	"gzip":     redisstore.CompressorGzip,
	"lzma":     redisstore.CompressorLZMA,
	"lz4":      redisstore.CompressorLZ4,
	"zstd":     redisstore.CompressorZstd,
}

// openCache makes the Cache a --cache URL names. It makes no connection.
func openCache(raw string, timeout time.Duration) (*conn, error) {
	u, err := parseCacheURL(raw)
	if err != nil {
		return nil, usagef("--cache: %v", err)
	}
	switch u.scheme {
	case "redis", "rediss":
		return openRedis(u, redisstore.Options{Format: redisstore.FormatDjango}, timeout)
	case "django-redis", "django-rediss":
		opts := redisstore.Options{Format: redisstore.FormatDjangoRedis}
		name := u.take("compressor")
		c, ok := compressors[name]
		if !ok {
			return nil, usagef("--cache: compressor=%q: use zlib, gzip, lzma, lz4 or zstd", name)
		}
		opts.Compressor = c
		if p := u.take("pickle_protocol"); p != "" {
			n, err := strconv.Atoi(p)
			if err != nil || (n != -1 && (n < 2 || n > 5)) {
				return nil, usagef("--cache: pickle_protocol=%q: use 2 to 5, or -1 for the highest", p)
			}
			opts.PickleVersion = n
		}
		u.scheme = strings.TrimPrefix(u.scheme, "django-")
		return openRedis(u, opts, timeout)
	case "memcached":
		return openMemcached(u, timeout)
	}
	return nil, usagef("--cache: unknown scheme %q: use redis://, django-redis:// or memcached://", u.scheme)
}

// quietLogger drops go-redis's log lines: the command reports errors itself, on stderr.
type quietLogger struct{}

func (quietLogger) Printf(context.Context, string, ...any) {}

func openRedis(u cacheURL, opts redisstore.Options, timeout time.Duration) (*conn, error) {
	redis.SetLogger(quietLogger{})
	var clients []*redis.Client
	closeAll := func() {
		for _, c := range clients {
			c.Close()
		}
	}
	for _, h := range u.hosts {
		s := u.scheme + "://" + u.userinfo + h + u.path
		if q := u.query.Encode(); q != "" {
			s += "?" + q
		}
		o, err := redis.ParseURL(s)
		if err != nil {
			closeAll()
			return nil, usagef("--cache: %v", err)
		}
		o.DialTimeout = timeout
		o.ContextTimeoutEnabled = true
		// One command, one try: a refused connection is reported at once, not after retries.
		o.MaxRetries = -1
		o.DialerRetries = 1
		c := redis.NewClient(o)
		clients = append(clients, c)
		opts.Clients = append(opts.Clients, c)
	}
	cache, err := redisstore.New(opts)
	if err != nil {
		closeAll()
		return nil, usagef("--cache: %v", err)
	}
	primary := clients[0]
	return &conn{
		cache: cache,
		close: closeAll,
		ttl: func(ctx context.Context, key string) (int64, bool, error) {
			n, err := primary.Do(ctx, "TTL", key).Int64()
			if err != nil {
				return 0, false, djangosession.NewCacheError("ttl", key, err)
			}
			if n == -2 {
				return 0, false, nil
			}
			return n, true, nil
		},
		scan: func(ctx context.Context, prefix string, n int) ([]string, error) {
			var keys []string
			var cursor uint64
			match := globEscape(prefix) + "*"
			for {
				batch, next, err := primary.Scan(ctx, cursor, match, 1000).Result()
				if err != nil {
					return keys, djangosession.NewCacheError("scan", prefix, err)
				}
				for _, k := range batch {
					if len(keys) < n {
						keys = append(keys, k)
					}
				}
				if next == 0 || len(keys) >= n {
					return keys, nil
				}
				cursor = next
			}
		},
	}, nil
}

// globEscape quotes the characters Redis's MATCH patterns treat specially.
func globEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`*?[]\^`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

func openMemcached(u cacheURL, timeout time.Duration) (*conn, error) {
	if u.userinfo != "" || (u.path != "" && u.path != "/") {
		return nil, usagef("--cache: memcached://HOST:PORT[,HOST:PORT]?client=pymemcache|pylibmc takes no user or path")
	}
	client := u.take("client")
	if len(u.query) > 0 {
		return nil, usagef("--cache: memcached URLs take only ?client=pymemcache|pylibmc")
	}
	var sel interface {
		memcache.ServerSelector
		PickServer(string) (net.Addr, error)
	}
	var opts memcachestore.Options
	var err error
	switch client {
	case "", "pymemcache":
		opts.Client = memcachestore.PyMemcache
		sel, err = memcachestore.NewRendezvousSelector(u.hosts...)
	case "pylibmc":
		opts.Client = memcachestore.PyLibMC
		sel, err = memcachestore.NewModulaSelector(u.hosts...)
	default:
		return nil, usagef("--cache: client=%q: use pymemcache (PyMemcacheCache) or pylibmc (PyLibMCCache)", client)
	}
	if err != nil {
		return nil, usagef("--cache: %v", err)
	}
	mc := memcache.NewFromSelector(sel)
	mc.Timeout = timeout
	cache, err := memcachestore.NewFromClient(mc, opts)
	if err != nil {
		return nil, usagef("--cache: %v", err)
	}
	return &conn{
		cache: cache,
		close: func() { cache.Close() },
		ttl: func(ctx context.Context, key string) (int64, bool, error) {
			if err := djangosession.ValidateMemcachedKey(key); err != nil {
				return 0, false, err
			}
			addr, err := sel.PickServer(key)
			if err != nil {
				return 0, false, djangosession.NewCacheError("ttl", key, err)
			}
			n, ok, err := memcachedTTL(ctx, addr, key, timeout)
			if err != nil {
				return 0, false, djangosession.NewCacheError("ttl", key, err)
			}
			return n, ok, nil
		},
	}, nil
}

// memcachedTTL asks one server for the TTL of key with the meta command "mg <key> t"
// (memcached 1.6+), which gomemcache does not offer.
func memcachedTTL(ctx context.Context, addr net.Addr, key string, timeout time.Duration) (int64, bool, error) {
	d := net.Dialer{Timeout: timeout}
	c, err := d.DialContext(ctx, addr.Network(), addr.String())
	if err != nil {
		return 0, false, err
	}
	defer c.Close()
	deadline := time.Now().Add(timeout)
	if dl, ok := ctx.Deadline(); ok && dl.Before(deadline) {
		deadline = dl
	}
	if err := c.SetDeadline(deadline); err != nil {
		return 0, false, err
	}
	stop := context.AfterFunc(ctx, func() { c.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if _, err := fmt.Fprintf(c, "mg %s t\r\n", key); err != nil {
		return 0, false, err
	}
	line, err := bufio.NewReaderSize(c, 256).ReadString('\n')
	if err != nil {
		if ctx.Err() != nil {
			return 0, false, ctx.Err()
		}
		return 0, false, err
	}
	line = strings.TrimRight(line, "\r\n")
	switch {
	case line == "EN":
		return 0, false, nil
	case strings.HasPrefix(line, "HD"):
		for _, f := range strings.Fields(line)[1:] {
			if v, ok := strings.CutPrefix(f, "t"); ok {
				n, err := strconv.ParseInt(v, 10, 64)
				if err != nil {
					break
				}
				return n, true, nil
			}
		}
	}
	return 0, false, fmt.Errorf("unexpected memcached reply to mg (memcached 1.6+ needed): %.60q", line)
}
