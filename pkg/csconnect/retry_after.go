package csconnect

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// parseRetryAfter reads a Retry-After value (RFC 9110 §10.2.3): delay-seconds or an
// HTTP date, relative to now. It returns 0 when the header is absent, malformed, or
// in the past; ok reports whether the header held a valid value (so "0", retry now,
// differs from an absent header). Hand-written because it is five lines over net/http.ParseTime, the
// same rules go-retryablehttp applies, and it needs the injected clock.
func parseRetryAfter(v string, now time.Time) (d time.Duration, ok bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		// Cap before multiplying so a hostile value cannot overflow time.Duration.
		return time.Duration(min(secs, int64(maxRetryAfter/time.Second))) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return min(max(t.Sub(now), 0), maxRetryAfter), true
	}
	return 0, false
}

// maxRetryAfter bounds a Retry-After we remember: the vendor documents a 5-minute
// lockout, so a value of days is a broken header, not a plan.
const maxRetryAfter = time.Hour
