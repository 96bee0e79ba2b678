package csconnect

import (
	"math"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// FuzzRetryAfter feeds arbitrary Retry-After values, at arbitrary clocks, to the
// parser the guard, the cache and the retries rely on. Invariants: no panic; the
// delay is never negative and never above maxRetryAfter; an invalid value gives
// (0, false); delay-seconds give exactly that many seconds, capped; an HTTP date
// gives its distance from now, clamped to [0, maxRetryAfter]. Seeded with every
// Retry-After of the wire fixtures and RFC 9110's examples of both forms.
func FuzzRetryAfter(f *testing.F) {
	files, _ := filepath.Glob("testdata/errors/*.snap")
	for _, path := range files {
		resp, _ := readSnap(f, path)
		if v := resp.Header.Get("Retry-After"); v != "" {
			f.Add(v, fixtureNow.Unix())
		}
	}
	for _, v := range []string{"120", "0", "300", "3600", "3601", "-1", "+5", " 7 ", "1.5", "99999999999999999999",
		strconv.FormatInt(math.MaxInt64, 10), "Fri, 31 Dec 1999 23:59:59 GMT", "Sunday, 06-Nov-94 08:49:37 GMT",
		"Sun Nov  6 08:49:37 1994", "Sun, 22 Nov 2026 12:05:00 GMT", "Sun, 22 Nov 2026 12:05:00 UTC", ""} {
		f.Add(v, fixtureNow.Unix())
	}
	f.Fuzz(func(t *testing.T, v string, nowUnix int64) {
		now := time.Unix(nowUnix, 0)
		d, ok := parseRetryAfter(v, now)
		if d < 0 || d > maxRetryAfter {
			t.Fatalf("parseRetryAfter(%q) = %v; want within [0, %v]", v, d, maxRetryAfter)
		}
		if !ok && d != 0 {
			t.Fatalf("parseRetryAfter(%q) = %v, false; want 0 when invalid", v, d)
		}
		trimmed := strings.TrimSpace(v)
		if secs, err := strconv.ParseInt(trimmed, 10, 64); err == nil {
			want := time.Duration(min(secs, int64(maxRetryAfter/time.Second))) * time.Second
			if secs < 0 {
				want = 0
			}
			if d != want || ok != (secs >= 0) {
				t.Fatalf("parseRetryAfter(%q) = %v, %v; want %v, %v", v, d, ok, want, secs >= 0)
			}
			return
		}
		if at, err := http.ParseTime(trimmed); err == nil {
			if want := min(max(at.Sub(now), 0), maxRetryAfter); d != want || !ok {
				t.Fatalf("parseRetryAfter(%q) at %v = %v, %v; want %v, true", v, now, d, ok, want)
			}
		}
	})
}
