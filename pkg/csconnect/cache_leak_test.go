package csconnect

import (
	"context"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// TestCacheNoGoroutineLeak: a background refresh in flight is the cache's only
// goroutine, and Close ends it (outside synctest, which checks this by itself).
func TestCacheNoGoroutineLeak(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	clock := newFakeClock()
	started := make(chan struct{})
	src := &fakeSource{fn: func(ctx context.Context, n int64) (*Token, error) {
		if n == 1 {
			return tokenAt(n, clock.now()), nil
		}
		close(started)
		<-ctx.Done() // a hung authenticate call
		return nil, ctx.Err()
	}}
	c := NewCache(src, CacheOptions{FetchTimeout: time.Hour})
	c.now = clock.now
	mustToken(t, c)
	setClock(clock, t0.Add(57*time.Minute))
	mustToken(t, c)
	<-started
	if err := c.Close(); err != nil {
		t.Fatalf("Close() = %v", err)
	}
}
