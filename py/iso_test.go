package py

import (
	"testing"
	"time"
)

// Outputs of CPython 3.13's datetime.isoformat().
func TestFormatISODateTime(t *testing.T) {
	tz := func(d time.Duration) TZInfo { return TimeZone{Offset: d} }
	tests := []struct {
		d    DateTime
		want string
	}{
		{DateTime{Year: 2023, Month: 11, Day: 14, Hour: 22, Minute: 13, Second: 20, TZ: TimeZone{}}, "2023-11-14T22:13:20+00:00"},
		{DateTime{Year: 2030, Month: 1, Day: 2, Hour: 3, Minute: 4, Second: 5, Microsecond: 6, TZ: TimeZone{}}, "2030-01-02T03:04:05.000006+00:00"},
		{DateTime{Year: 1, Month: 1, Day: 1}, "0001-01-01T00:00:00"},
		{DateTime{Year: 999, Month: 12, Day: 31, Hour: 23, Minute: 59, Second: 59, Microsecond: 999999}, "0999-12-31T23:59:59.999999"},
		{DateTime{Year: 2023, Month: 1, Day: 1, TZ: tz(-5*time.Hour - 30*time.Minute)}, "2023-01-01T00:00:00-05:30"},
		{DateTime{Year: 2023, Month: 1, Day: 1, TZ: tz(5407*time.Second + 8*time.Microsecond)}, "2023-01-01T00:00:00+01:30:07.000008"},
		{DateTime{Year: 2023, Month: 11, Day: 14, Hour: 22, Minute: 13, Second: 20, TZ: PytzZone{Callable: "pytz._UTC"}}, "2023-11-14T22:13:20+00:00"},
	}
	for _, tt := range tests {
		if got := tt.d.Isoformat(); got != tt.want {
			t.Errorf("formatISODateTime(%+v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}

// What CPython 3.13's datetime.fromisoformat() returns, or that it raises.
func TestParseISODateTime(t *testing.T) {
	utc := TimeZone{}
	tests := []struct {
		in   string
		want DateTime
		ok   bool
	}{
		{"2023-11-14T22:13:20+00:00", DateTime{Year: 2023, Month: 11, Day: 14, Hour: 22, Minute: 13, Second: 20, TZ: utc}, true},
		{"2023-11-14 22:13", DateTime{Year: 2023, Month: 11, Day: 14, Hour: 22, Minute: 13}, true},
		{"2023-11-14T22", DateTime{Year: 2023, Month: 11, Day: 14, Hour: 22}, true},
		{"2023-11-14T22:13:20.1", DateTime{Year: 2023, Month: 11, Day: 14, Hour: 22, Minute: 13, Second: 20, Microsecond: 100000}, true},
		{"2023-11-14T22:13:20.1234567", DateTime{Year: 2023, Month: 11, Day: 14, Hour: 22, Minute: 13, Second: 20, Microsecond: 123456}, true},
		{"2023-11-14T22:13:20,5", DateTime{Year: 2023, Month: 11, Day: 14, Hour: 22, Minute: 13, Second: 20, Microsecond: 500000}, true},
		{"2023-11-14T22:13:20Z", DateTime{Year: 2023, Month: 11, Day: 14, Hour: 22, Minute: 13, Second: 20, TZ: utc}, true},
		{"2023-11-14T22:13:20+0530", DateTime{Year: 2023, Month: 11, Day: 14, Hour: 22, Minute: 13, Second: 20, TZ: TimeZone{Offset: 19800 * time.Second}}, true},
		{"2023-11-14T22:13:20+05", DateTime{Year: 2023, Month: 11, Day: 14, Hour: 22, Minute: 13, Second: 20, TZ: TimeZone{Offset: 18000 * time.Second}}, true},
		{"2023-11-14T22:13:20-01:30:07.000008", DateTime{Year: 2023, Month: 11, Day: 14, Hour: 22, Minute: 13, Second: 20, TZ: TimeZone{Offset: -(5407*time.Second + 8*time.Microsecond)}}, true},
		{"2023-11-14x22:13:20", DateTime{Year: 2023, Month: 11, Day: 14, Hour: 22, Minute: 13, Second: 20}, true},
		{"2023-11-14", DateTime{Year: 2023, Month: 11, Day: 14}, true},
		{"2024-02-29T00:00:00", DateTime{Year: 2024, Month: 2, Day: 29}, true},
		// Rejected by Python too.
		{"2023-11-14T24:00:00", DateTime{}, false},
		{"2023-02-29T00:00:00", DateTime{}, false},
		{"2023-11-14T22:13:20.", DateTime{}, false},
		{"2023-11-14T22:13:20+", DateTime{}, false},
		{"2023-11-14T", DateTime{}, false},
		{"0000-01-01", DateTime{}, false},
		{"2023-1-14", DateTime{}, false},
		{"", DateTime{}, false},
		{"tomorrow", DateTime{}, false},
	}
	for _, tt := range tests {
		got, err := FromISOFormat(tt.in)
		if (err == nil) != tt.ok {
			t.Errorf("FromISOFormat(%q) error = %v, want ok=%v", tt.in, err, tt.ok)
			continue
		}
		if tt.ok && got != tt.want {
			t.Errorf("FromISOFormat(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

// Session keys are 32 characters of [a-z0-9] with every character possible at every position.
