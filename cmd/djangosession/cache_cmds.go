package main

import (
	"flag"
)

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
		f := &storeFlags{serializer: "json"}
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
