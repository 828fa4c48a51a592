package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzCLIInput feeds arbitrary input to the commands that parse what a user gives them: tagged
// JSON on stdin (encode, dumps, session-data encode, cookie encode), pickle bytes (decode), and
// a signed value (loads, session-data decode, cookie decode), and arbitrary cache URLs to
// parseCacheURL. No panic; the exit status is 0 (accepted) or 1 (rejected), never a usage error
// caused by the input itself.
func FuzzCLIInput(f *testing.F) {
	for _, s := range []string{
		`{"a": 1}`, `{"cart": [1, 2], "when": {"__py__": "date", "iso": "2024-02-29"}}`,
		`{"__py__": "tuple", "items": [1, {"__py__": "bytes", "b64": "AAE="}]}`, `[`, `{"__py__": "nope"}`,
		"eyJhIjoxfQ:1r31eq:eHCcbPNuxHMrQ2Ycv7GowzMEU3R4R6o5EGeZMLgq1vs",
		"redis://127.0.0.1:1/2", "memcached://h:1,h:2?client=pylibmc", "django-redis://h:1/0?compressor=zstd",
	} {
		f.Add(uint8(0), s)
	}
	for _, dir := range []string{"pickle", "signed"} {
		paths, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "hostile", dir, "*"))
		for _, p := range paths {
			if b, err := os.ReadFile(p); err == nil && len(b) < 4096 {
				f.Add(uint8(1), string(b))
			}
		}
	}
	type cmd struct {
		args  []string
		stdin bool // the input goes to stdin, else it is the last argument
	}
	cmds := []cmd{
		{[]string{"encode"}, true},
		{[]string{"decode"}, true},
		{[]string{"dumps", "--timestamp", "1700000000"}, true},
		{[]string{"session-data", "encode", "--timestamp", "1700000000"}, true},
		{[]string{"cookie", "encode", "--timestamp", "1700000000"}, true},
		{[]string{"loads", "--now", "1700000000", "--"}, false},
		{[]string{"session-data", "decode", "--"}, false},
		{[]string{"cookie", "decode", "--now", "1700000000", "--"}, false},
	}
	f.Fuzz(func(t *testing.T, which uint8, input string) {
		parseCacheURL(input)
		c := cmds[int(which)%len(cmds)]
		args := append([]string(nil), c.args...)
		stdin := ""
		if c.stdin {
			stdin = input
		} else {
			if strings.ContainsRune(input, 0) {
				return // not something a shell can pass as an argument
			}
			args = append(args, input)
		}
		var out, errb bytes.Buffer
		e := &env{ctx: context.Background(), stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb,
			getenv: func(k string) string {
				if k == "DJANGO_SECRET_KEY" {
					return "s3cr3t"
				}
				return ""
			}}
		if code := e.main(args); code != 0 && code != 1 {
			t.Fatalf("%v: exit %d: %s", args, code, errb.String())
		}
	})
}
