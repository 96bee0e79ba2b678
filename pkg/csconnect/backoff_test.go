package csconnect

import (
	"net/http"
	"testing"
	"time"
)

func TestFullJitter(t *testing.T) {
	top := func(n int64) int64 { return n - 1 }
	tests := []struct {
		n         int
		base, max time.Duration
		want      time.Duration // with the largest draw
	}{
		{1, time.Second, 30 * time.Second, time.Second - 1},
		{2, time.Second, 30 * time.Second, 2*time.Second - 1},
		{5, time.Second, 30 * time.Second, 16*time.Second - 1},
		{6, time.Second, 30 * time.Second, 30*time.Second - 1},
		{1000, time.Second, 30 * time.Second, 30*time.Second - 1},
		{3, 0, time.Second, 0},
	}
	for _, tc := range tests {
		if got := fullJitter(tc.n, tc.base, tc.max, top); got != tc.want {
			t.Errorf("fullJitter(%d, %v, %v, top) = %v; want %v", tc.n, tc.base, tc.max, got, tc.want)
		}
	}
	if got := fullJitter(3, time.Second, time.Minute, func(int64) int64 { return 0 }); got != 0 {
		t.Errorf("fullJitter(3, 1s, 1m, zero) = %v; want 0 (full jitter starts at zero)", got)
	}
}

func TestRetryAfterDelay(t *testing.T) {
	tests := map[string]struct {
		in     string
		want   time.Duration
		wantOK bool
	}{
		"seconds":     {"120", 2 * time.Minute, true},
		"zero":        {"0", 0, true},
		"spaces":      {" 5 ", 5 * time.Second, true},
		"http date":   {t0.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true},
		"rfc850 date": {t0.Add(time.Minute).Format(time.RFC850), time.Minute, true},
		"past date":   {t0.Add(-time.Minute).Format(http.TimeFormat), 0, true},
		"huge":        {"99999999999", 24 * time.Hour, true},
		"empty":       {"", 0, false},
		"negative":    {"-1", 0, false},
		"fraction":    {"1.5", 0, false},
		"garbage":     {"soon", 0, false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, ok := retryAfterDelay(tc.in, t0)
			if got != tc.want || ok != tc.wantOK {
				t.Errorf("retryAfterDelay(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.wantOK)
			}
		})
	}
}

// FuzzRetryAfterDelay: any header value parses without panicking to a wait between
// zero and a day.
func FuzzRetryAfterDelay(f *testing.F) {
	for _, s := range []string{"120", "0", "-1", "", "Sun, 22 Nov 2026 12:01:30 GMT", "Sunday, 22-Nov-26 12:01:00 GMT", "1e9", "99999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, ok := retryAfterDelay(s, t0)
		if !ok && d != 0 {
			t.Errorf("retryAfterDelay(%q) = %v, false; want 0 when not ok", s, d)
		}
		if d < 0 {
			t.Errorf("retryAfterDelay(%q) = %v; want >= 0", s, d)
		}
		if ok && d > 24*time.Hour && !isHTTPDate(s) {
			t.Errorf("retryAfterDelay(%q) = %v; want at most a day for delay-seconds", s, d)
		}
	})
}

func isHTTPDate(s string) bool { _, err := http.ParseTime(s); return err == nil }
