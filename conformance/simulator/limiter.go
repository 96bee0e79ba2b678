package simulator

import (
	"time"
)

// limiter holds the documented authenticate limits: identical invalid requests per
// key within a short window, and all requests within a long window with an endpoint
// lockout. It is guarded by Simulator.mu.
type limiter struct {
	identicalLimit  int
	identicalWindow time.Duration
	totalLimit      int
	lockout         time.Duration

	invalid map[string][]time.Time // key → times of recent identical invalid requests

	// The total-requests window in one-second buckets: enough precision for a
	// five-minute window and bounded memory whatever the request rate.
	buckets     []bucket
	lockedUntil time.Time
}

type bucket struct {
	sec int64
	n   int
}

func newLimiter(o Options) limiter {
	n := int((o.TotalWindow + time.Second - 1) / time.Second)
	return limiter{
		identicalLimit:  o.IdenticalLimit,
		identicalWindow: o.IdenticalWindow,
		totalLimit:      o.TotalLimit,
		lockout:         o.Lockout,
		invalid:         map[string][]time.Time{},
		buckets:         make([]bucket, n),
	}
}

// admit counts one authenticate request at now toward the total threshold and
// reports whether the endpoint is locked, whether this request started the
// lockout, and how long it has left. The request that goes over the threshold
// starts the lockout; requests during the lockout are answered 429 and still
// counted, as documented.
func (l *limiter) admit(now time.Time) (locked, started bool, retryAfter time.Duration) {
	sec := now.Unix()
	b := &l.buckets[int(sec%int64(len(l.buckets)))]
	if b.sec != sec {
		*b = bucket{sec: sec}
	}
	b.n++
	if now.Before(l.lockedUntil) {
		return true, false, l.lockedUntil.Sub(now)
	}
	total := 0
	for _, b := range l.buckets {
		if b.sec > sec-int64(len(l.buckets)) {
			total += b.n
		}
	}
	if total > l.totalLimit {
		l.lockedUntil = now.Add(l.lockout)
		return true, true, l.lockout
	}
	return false, false, 0
}

// identicalBlocked reports whether key already made identicalLimit invalid requests
// within the window before now, and when the oldest of them leaves it.
func (l *limiter) identicalBlocked(key string, now time.Time) (bool, time.Duration) {
	recent := l.prune(key, now)
	if len(recent) < l.identicalLimit {
		return false, 0
	}
	return true, recent[0].Add(l.identicalWindow).Sub(now)
}

// recordInvalid remembers an invalid request with key at now.
func (l *limiter) recordInvalid(key string, now time.Time) {
	l.invalid[key] = append(l.prune(key, now), now)
	if len(l.invalid) > 10000 { // bound memory under a flood of distinct bad requests
		for k := range l.invalid {
			l.prune(k, now)
		}
	}
}

// prune drops key's entries older than the window and returns the rest.
func (l *limiter) prune(key string, now time.Time) []time.Time {
	recent := l.invalid[key]
	i := 0
	for i < len(recent) && !recent[i].After(now.Add(-l.identicalWindow)) {
		i++
	}
	recent = recent[i:]
	if len(recent) == 0 {
		delete(l.invalid, key)
		return nil
	}
	l.invalid[key] = recent
	return recent
}
