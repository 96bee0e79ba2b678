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

// TestClientCloseReleasesConnections: after a call through the whole stack, Close
// leaves no goroutine of the Client behind: the idle connections of both transports
// New built (authenticate and services) are closed, not left to their idle timeout.
func TestClientCloseReleasesConnections(t *testing.T) {
	auth := newAuthServer(t)
	svc := newServiceServer(t, ok200)
	ignore := goleak.IgnoreCurrent() // the servers' own goroutines
	c, err := New(Config{
		Auth:       AuthConfig{BaseURL: auth.URL + "/v1", Username: testUser, Password: testPassword},
		ServiceURL: svc.URL,
	})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.DateCheckCompanyWithResponse(context.Background(), dateCheck)
	if err != nil || resp.StatusCode() != 200 {
		t.Fatalf("DateCheckCompanyWithResponse() = %v, %v; want 200", resp, err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("Close() = %v", err)
	}
	goleak.VerifyNone(t, ignore)
}
