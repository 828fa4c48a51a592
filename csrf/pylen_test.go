package csrf

import "testing"

// len(b.decode("utf-8", "replace")) in CPython 3.11 for each input.
func TestPyLen(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want int
	}{
		{"\x61\x62\x63", 3},
		{"\xc3\xa9", 1},
		{"\xe2\x82", 1},
		{"\xe2\x82\x28", 2},
		{"\xe0\x80\x80", 3},
		{"\xed\xa0\x80", 3},
		{"\xf0\x90\x80", 1},
		{"\xf4\x90\x80\x80", 4},
		{"\xff\xfe", 2},
		{"\xef\xbf\xbd", 1},
		{"\xf1\x80\x80\x80\x78", 2},
		{"\xc0\xaf", 2},
		{"\xe1\x80", 1},
	} {
		if got := pyLen(tt.in); got != tt.want {
			t.Errorf("pyLen(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}
