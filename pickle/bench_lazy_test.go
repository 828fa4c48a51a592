package pickle

import "testing"

// authKeys are the session keys django.contrib.auth reads on every request (get_user).
var authKeys = [3]string{"_auth_user_id", "_auth_user_backend", "_auth_user_hash"}

// benchmarkAuthRead is what a request that only checks the login pays (issue #17): DecodeLazy
// of the whole stored pickle (validated, nothing built) and the three auth keys read from it.
// bench/django_bench.py times the same work in CPython as pickle.loads plus three lookups.
func benchmarkAuthRead(b *testing.B, name string) {
	p := benchPickle(b, name)
	codec := &Codec{Intern: sessionInterner}
	read := func() error {
		l, err := codec.DecodeLazy(p)
		if err != nil {
			return err
		}
		for _, k := range authKeys {
			v, ok, err := l.Get(k)
			if err != nil {
				return err
			}
			if !ok {
				b.Fatalf("%s: no %s", name, k)
			}
			benchSink = v
		}
		return nil
	}
	if err := read(); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(p)))
	b.ReportAllocs()
	for b.Loop() {
		if err := read(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPickleAuthRead: DecodeLazy + 3 Gets, against CPython's pickle.loads + 3 lookups
// (bench/run.sh). Its allocations should not depend on the session's size.
func BenchmarkPickleAuthRead(b *testing.B) {
	b.Run("typical", func(b *testing.B) { benchmarkAuthRead(b, "typical") })
	b.Run("typical_10k", func(b *testing.B) { benchmarkAuthRead(b, "typical_10k") })
}
