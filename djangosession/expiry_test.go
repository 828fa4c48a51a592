package djangosession_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/djangobridge/bridge/py"

	"github.com/djangobridge/bridge/djangosession"
)

// sameValue compares the scalars and DateTimes of these tests (a DateTime holding a PytzZone is
// not comparable with ==; a nil and an empty Args are the same pytz call).
func sameValue(a, b any) bool {
	return fmt.Sprintf("%T %v", a, a) == fmt.Sprintf("%T %v", b, b)
}

// pytzUTC is the DateTime Django 3.2 stores for timezone.now() + timedelta: tz pytz.utc.
func pytzUTC(y, mo, d, h, mi, s, us int) py.DateTime {
	return py.DateTime{Year: y, Month: mo, Day: d, Hour: h, Minute: mi, Second: s, Microsecond: us,
		TZ: py.PytzZone{Callable: "pytz._UTC"}}
}

// What each Django version stores for set_expiry, and the expiry age it gives at fixedNow.
func TestSetExpiryForms(t *testing.T) {
	type sess = *djangosession.Session
	clockUS := fixedNow.Add(123456789 * time.Nanosecond) // 2023-11-14T22:13:20.123456789Z
	paris := "Europe/Paris"
	tests := []struct {
		name      string
		cfg       djangosession.Config
		now       time.Time
		set       func(s sess)
		want      any // the stored _session_expiry; nil: absent
		wantAge   time.Duration
		wantClose bool
	}{
		{"default", djangosession.Config{}, fixedNow, func(sess) {}, nil, 1209600 * time.Second, false},
		{"cookie age setting", djangosession.Config{SessionCookieAge: time.Hour + 500*time.Millisecond}, fixedNow, func(sess) {}, nil, time.Hour, false},
		{"browser close setting", djangosession.Config{SessionExpireAtBrowserClose: true}, fixedNow, func(sess) {}, nil, 1209600 * time.Second, true},
		{"seconds", djangosession.Config{}, fixedNow, func(s sess) { s.SetExpirySeconds(3600) }, int64(3600), time.Hour, false},
		{"seconds 3.2", djangosession.Config{DjangoVersion: "3.2"}, fixedNow, func(s sess) { s.SetExpirySeconds(3600) }, int64(3600), time.Hour, false},
		{"zero: browser close", djangosession.Config{}, fixedNow, func(s sess) { s.SetExpirySeconds(0) }, int64(0), 1209600 * time.Second, true},
		{"zero overrides the setting", djangosession.Config{SessionExpireAtBrowserClose: true}, fixedNow, func(s sess) { s.SetExpirySeconds(60) }, int64(60), time.Minute, false},
		{"negative seconds", djangosession.Config{}, fixedNow, func(s sess) { s.SetExpirySeconds(-5) }, int64(-5), -5 * time.Second, false},
		{"none after seconds", djangosession.Config{}, fixedNow, func(s sess) { s.SetExpirySeconds(3600); s.ClearExpiry() }, nil, 1209600 * time.Second, false},
		{"in a day, 6.1", djangosession.Config{}, fixedNow, func(s sess) { s.SetExpiryIn(24 * time.Hour) },
			"2023-11-15T22:13:20+00:00", 86400 * time.Second, false},
		{"in a day, 4.2", djangosession.Config{DjangoVersion: "4.2"}, fixedNow, func(s sess) { s.SetExpiryIn(24 * time.Hour) },
			"2023-11-15T22:13:20+00:00", 86400 * time.Second, false},
		{"microseconds kept, nanoseconds cut", djangosession.Config{}, clockUS, func(s sess) { s.SetExpiryIn(time.Hour) },
			"2023-11-14T23:13:20.123456+00:00", time.Hour, false},
		{"at a time in another zone", djangosession.Config{}, fixedNow, func(s sess) {
			s.SetExpiryAt(time.Date(2023, 11, 22, 0, 13, 20, 0, time.FixedZone("CET", 3600)))
		}, "2023-11-21T23:13:20+00:00", 7*86400*time.Second + time.Hour, false},
		{"at a past time", djangosession.Config{}, fixedNow, func(s sess) { s.SetExpiryAt(fixedNow.Add(-90 * time.Second)) },
			"2023-11-14T22:11:50+00:00", -90 * time.Second, false},
		{"in a day, 3.2: pickled datetime, pytz.utc", djangosession.Config{DjangoVersion: "3.2"}, fixedNow,
			func(s sess) { s.SetExpiryIn(24 * time.Hour) }, pytzUTC(2023, 11, 15, 22, 13, 20, 0), 86400 * time.Second, false},
		{"3.2 microseconds", djangosession.Config{DjangoVersion: "3.2"}, clockUS,
			func(s sess) { s.SetExpiryIn(time.Hour) }, pytzUTC(2023, 11, 14, 23, 13, 20, 123456), time.Hour, false},
		{"USE_TZ False: naive wall clock in TIME_ZONE", djangosession.Config{DisableUseTZ: true, TimeZone: paris}, fixedNow,
			func(s sess) { s.SetExpiryIn(24 * time.Hour) }, "2023-11-15T23:13:20", 86400 * time.Second, false},
		{"USE_TZ False, default TIME_ZONE America/Chicago", djangosession.Config{DisableUseTZ: true}, fixedNow,
			func(s sess) { s.SetExpiryIn(time.Minute) }, "2023-11-14T16:14:20", time.Minute, false},
		{"USE_TZ False 3.2: naive datetime", djangosession.Config{DjangoVersion: "3.2", DisableUseTZ: true, TimeZone: "UTC"}, fixedNow,
			func(s sess) { s.SetExpiryIn(time.Minute) },
			py.DateTime{Year: 2023, Month: 11, Day: 14, Hour: 22, Minute: 14, Second: 20}, time.Minute, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := tt.now
			tt.cfg.Now = func() time.Time { return now }
			st, cache, _ := newTestStore(t, tt.cfg)
			s := st.New()
			tt.set(s)
			v, ok := s.Get(djangosession.ExpiryKey)
			if (tt.want == nil) == ok || (ok && !sameValue(v, tt.want)) {
				t.Fatalf("_session_expiry = %#v (present %v), want %#v", v, ok, tt.want)
			}
			age, err := s.ExpiryAge()
			if err != nil || age != tt.wantAge {
				t.Fatalf("ExpiryAge = %v, %v; want %v", age, err, tt.wantAge)
			}
			if got := s.ExpireAtBrowserClose(); got != tt.wantClose {
				t.Errorf("ExpireAtBrowserClose = %v", got)
			}
			// The save uses the age as the cache timeout, and the value survives the pickle.
			if err := s.Save(context.Background()); err != nil {
				t.Fatal(err)
			}
			ttl, exists := cache.TTL(st.CacheKey(s.Key()))
			if tt.wantAge <= 0 {
				if exists {
					t.Errorf("a session with age %v is still in the cache", tt.wantAge)
				}
				return
			}
			if ttl != tt.wantAge {
				t.Errorf("TTL = %v, want %v", ttl, tt.wantAge)
			}
			back, _ := stored(t, st, cache, s.Key()).Get(djangosession.ExpiryKey)
			if !sameValue(back, tt.want) {
				t.Errorf("stored _session_expiry = %#v, want %#v", back, tt.want)
			}
		})
	}
}

// get_expiry_age for the values Django apps store, read at fixedNow.
func TestExpiryAgeReads(t *testing.T) {
	at := func(s string) djangosession.Config { return djangosession.Config{DjangoVersion: s} }
	utc := py.TimeZone{}
	ist := py.TimeZone{Offset: 5*time.Hour + 30*time.Minute}
	tests := []struct {
		name    string
		cfg     djangosession.Config
		value   any
		want    time.Duration
		wantErr error
	}{
		{"None", at("6.1"), nil, 1209600 * time.Second, nil},
		{"False", at("6.1"), false, 1209600 * time.Second, nil},
		{"True is 1", at("6.1"), true, time.Second, nil},
		{"empty string", at("6.1"), "", 1209600 * time.Second, nil},
		{"float", at("6.1"), 1.5, 1500 * time.Millisecond, nil},
		{"ISO with offset", at("4.2"), "2023-11-15T03:43:20+05:30", 0, nil},
		{"ISO Z", at("6.1"), "2023-11-14T23:13:20Z", time.Hour, nil},
		{"ISO space separator, millis", at("6.1"), "2023-11-14 23:13:20.500+00:00", time.Hour, nil},
		{"half a second ahead floors to 0", at("6.1"), "2023-11-14T22:13:20.500000+00:00", 0, nil},
		{"half a second behind floors to -1", at("6.1"), "2023-11-14T22:13:19.500000+00:00", -time.Second, nil},
		{"date only is naive", at("6.1"), "2023-11-15", 0, djangosession.ErrCorrupt},
		{"naive ISO with USE_TZ", at("6.1"), "2023-11-15T00:00:00", 0, djangosession.ErrCorrupt},
		{"naive ISO without USE_TZ", djangosession.Config{DisableUseTZ: true, TimeZone: "UTC"}, "2023-11-15T00:00:00", 6400 * time.Second, nil},
		{"aware ISO without USE_TZ", djangosession.Config{DisableUseTZ: true, TimeZone: "UTC"}, "2023-11-15T00:00:00+00:00", 0, djangosession.ErrCorrupt},
		{"not a date", at("6.1"), "tomorrow", 0, djangosession.ErrCorrupt},
		{"bad month", at("6.1"), "2023-13-01T00:00:00+00:00", 0, djangosession.ErrCorrupt},
		{"Feb 30", at("6.1"), "2023-02-30T00:00:00+00:00", 0, djangosession.ErrCorrupt},
		{"offset 24h", at("6.1"), "2023-11-15T00:00:00+24:00", 0, djangosession.ErrCorrupt},
		{"trailing junk", at("6.1"), "2023-11-15T00:00:00+00:00x", 0, djangosession.ErrCorrupt},
		{"ISO string in 3.2", at("3.2"), "2023-11-15T22:13:20+00:00", 0, djangosession.ErrCorrupt},
		{"3.2 pytz datetime in 3.2", at("3.2"), pytzUTC(2023, 11, 15, 22, 13, 20, 0), 86400 * time.Second, nil},
		{"3.2 pytz datetime read by 6.1", at("6.1"), pytzUTC(2023, 11, 15, 22, 13, 20, 0), 86400 * time.Second, nil},
		{"timezone.utc datetime", at("5.2"), py.DateTime{Year: 2023, Month: 11, Day: 14, Hour: 22, Minute: 14, Second: 20, TZ: utc}, time.Minute, nil},
		{"+05:30 datetime", at("5.2"), py.DateTime{Year: 2023, Month: 11, Day: 15, Hour: 3, Minute: 44, Second: 20, TZ: ist}, time.Minute, nil},
		{"naive datetime with USE_TZ", at("5.2"), py.DateTime{Year: 2023, Month: 11, Day: 15}, 0, djangosession.ErrCorrupt},
		{"list", at("6.1"), []any{int64(1)}, 0, djangosession.ErrCorrupt},
		{"far future saturates", at("6.1"), "9999-12-31T23:59:59+00:00", time.Duration(1<<63 - 1).Truncate(time.Second), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, _, _ := newTestStore(t, tt.cfg)
			s := st.New()
			if tt.value != nil {
				s.Set(djangosession.ExpiryKey, tt.value)
			}
			age, err := s.ExpiryAge()
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("ExpiryAge = %v, %v; want error %v", age, err, tt.wantErr)
				}
				// Save fails the same way, writing nothing, as Django's save raises.
				if err := s.Save(context.Background()); !errors.Is(err, tt.wantErr) {
					t.Errorf("Save = %v", err)
				}
				return
			}
			if err != nil || age != tt.want {
				t.Fatalf("ExpiryAge = %v, %v; want %v", age, err, tt.want)
			}
		})
	}
}

func TestExpiryDate(t *testing.T) {
	tests := []struct {
		name  string
		cfg   djangosession.Config
		value any
		want  time.Time
	}{
		{"default", djangosession.Config{}, nil, fixedNow.Add(1209600 * time.Second)},
		{"seconds", djangosession.Config{}, int64(60), fixedNow.Add(time.Minute)},
		{"zero: cookie age", djangosession.Config{}, int64(0), fixedNow.Add(1209600 * time.Second)},
		{"ISO", djangosession.Config{}, "2030-01-02T03:04:05.000006+00:00", time.Date(2030, 1, 2, 3, 4, 5, 6000, time.UTC)},
		{"ISO offset", djangosession.Config{}, "2030-01-02T03:04:05-02:00", time.Date(2030, 1, 2, 5, 4, 5, 0, time.UTC)},
		{"naive in TIME_ZONE", djangosession.Config{DisableUseTZ: true, TimeZone: "Europe/Paris"}, "2030-01-02T03:04:05",
			time.Date(2030, 1, 2, 2, 4, 5, 0, time.UTC)},
		{"3.2 datetime", djangosession.Config{DjangoVersion: "3.2"}, pytzUTC(2030, 1, 2, 3, 4, 5, 0), time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, _, _ := newTestStore(t, tt.cfg)
			s := st.New()
			if tt.value != nil {
				s.Set(djangosession.ExpiryKey, tt.value)
			}
			got, err := s.ExpiryDate()
			if err != nil || !got.Equal(tt.want) {
				t.Fatalf("ExpiryDate = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

// A rolling int expiry restarts on every save; an absolute one shrinks.
func TestExpiryRollingAndAbsolute(t *testing.T) {
	ctx := context.Background()
	st, cache, clock := newTestStore(t, djangosession.Config{})
	rolling := st.New()
	rolling.SetExpirySeconds(600)
	absolute := st.New()
	absolute.SetExpiryIn(600 * time.Second)
	for _, s := range []*djangosession.Session{rolling, absolute} {
		if err := s.Save(ctx); err != nil {
			t.Fatal(err)
		}
	}
	clock.Advance(200 * time.Second)
	for _, s := range []*djangosession.Session{rolling, absolute} {
		s.Set("x", int64(1))
		if err := s.Save(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if ttl, _ := cache.TTL(st.CacheKey(rolling.Key())); ttl != 600*time.Second {
		t.Errorf("rolling TTL = %v", ttl)
	}
	if ttl, _ := cache.TTL(st.CacheKey(absolute.Key())); ttl != 400*time.Second {
		t.Errorf("absolute TTL = %v", ttl)
	}
	clock.Advance(401 * time.Second)
	if _, err := st.Load(ctx, absolute.Key()); err != nil {
		t.Fatal(err)
	}
	if ok, _ := st.Exists(ctx, absolute.Key()); ok {
		t.Error("absolute expiry passed but the session exists")
	}
	if ok, _ := st.Exists(ctx, rolling.Key()); !ok {
		t.Error("rolling session expired early")
	}
}
