package messages_test

import (
	"strings"
	"testing"
	"time"

	"github.com/djangobridge/bridge/messages"
)

// benchCookie is the largest cookie Django 6.1 wrote in the fixtures (an overflow case).
func benchCookie(b *testing.B) (*messages.Middleware, string) {
	f := loadFixtures(b)["6.1"]
	mw, err := messages.New(messages.Config{SecretKey: f.SecretKey, Now: func() time.Time { return time.Unix(f.Now, 0) }})
	if err != nil {
		b.Fatal(err)
	}
	best := ""
	for _, c := range f.Cases {
		for _, sc := range c.Result.SetCookie {
			v, _, _ := strings.Cut(strings.TrimPrefix(sc, messages.CookieName+"="), ";")
			if len(v) > len(best) {
				best = v
			}
		}
	}
	return mw, best
}

func BenchmarkDecodeCookie(b *testing.B) {
	mw, v := benchCookie(b)
	b.ReportAllocs()
	b.SetBytes(int64(len(v)))
	for b.Loop() {
		if _, _, err := mw.DecodeCookie(v); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeCookie(b *testing.B) {
	mw, v := benchCookie(b)
	msgs, nf, err := mw.DecodeCookie(v)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(v)))
	for b.Loop() {
		if _, err := mw.EncodeCookie(msgs, nf); err != nil {
			b.Fatal(err)
		}
	}
}
