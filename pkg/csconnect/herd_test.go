package csconnect

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// herd is how many goroutines TestHerd sends at the cache at once.
const herd = 10_000

// stampede starts herd goroutines that are released together to ask c for a token
// once each, and returns a function that waits for them all and reports how many got
// an error or a token ok rejects.
func stampede(c TokenSource, ok func(*Token) bool) (wait func() int64) {
	start := make(chan struct{})
	var wrong atomic.Int64
	var wg sync.WaitGroup
	for range herd {
		wg.Go(func() {
			<-start
			if tok, err := c.Token(context.Background()); err != nil || !ok(tok) {
				wrong.Add(1)
			}
		})
	}
	close(start)
	return func() int64 { wg.Wait(); return wrong.Load() }
}

// TestHerd is the thundering-herd check of the issue: a cold cache asked by 10,000
// goroutines at once makes one authenticate call, and 10,000 callers in the advisory
// window all get the current token while the one refresh is held open.
func TestHerd(t *testing.T) {
	t.Parallel()
	t.Run("cold", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			release := make(chan struct{})
			src := &fakeSource{fn: func(_ context.Context, n int64) (*Token, error) {
				<-release
				return tokenAt(n, time.Now()), nil
			}}
			c := newTestCache(t, src, nil, CacheOptions{})
			wait := stampede(c, func(tok *Token) bool { return tok.Value == "tok-1" })
			synctest.Wait() // every caller is waiting on the one fetch
			if n := src.calls.Load(); n != 1 {
				t.Errorf("source calls with %d callers waiting = %d; want 1", herd, n)
			}
			close(release)
			wrong := wait()
			if n := src.calls.Load(); n != 1 {
				t.Errorf("authenticate calls for %d cold callers = %d; want 1", herd, n)
			}
			if n := wrong; n != 0 {
				t.Errorf("%d of %d callers did not get tok-1", n, herd)
			}
		})
	})
	t.Run("advisory", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			clock := newFakeClock()
			release := make(chan struct{})
			src := &fakeSource{fn: func(_ context.Context, n int64) (*Token, error) {
				if n > 1 {
					<-release // the refresh is held open until every caller has returned
				}
				return tokenAt(n, clock.now()), nil
			}}
			c := newTestCache(t, src, clock, CacheOptions{})
			old := mustToken(t, c)
			setClock(clock, t0.Add(56*time.Minute))
			var wrong atomic.Int64
			var wg sync.WaitGroup
			for range herd {
				wg.Go(func() {
					if tok, err := c.Token(context.Background()); err != nil || tok != old {
						wrong.Add(1)
					}
				})
			}
			wg.Wait() // returns only because no caller waits for the held refresh
			if n := wrong.Load(); n != 0 {
				t.Errorf("%d of %d callers in the advisory window did not get the current token", n, herd)
			}
			if n := src.calls.Load(); n != 2 {
				t.Errorf("source calls = %d; want 2 (one fetch, one refresh)", n)
			}
			close(release)
			synctest.Wait()
			if tok := mustToken(t, c); tok.Value != "tok-2" {
				t.Errorf("Token() after the refresh = %v; want tok-2", tok)
			}
			if s := c.counts(); s.Refreshes != 1 {
				t.Errorf("Stats().Refreshes = %d; want 1", s.Refreshes)
			}
		})
	})
}

// TestHerdAuthenticator is TestHerd's cold case through the real stack: 10,000
// goroutines on a cold Cache over an Authenticator send one authenticate request to
// the loopback server.
func TestHerdAuthenticator(t *testing.T) {
	t.Parallel()
	auth := newAuthServer(t)
	a, err := NewAuthenticator(AuthConfig{BaseURL: auth.URL + "/v1", Username: testUser, Password: testPassword})
	if err != nil {
		t.Fatalf("NewAuthenticator() = %v", err)
	}
	c := newTestCache(t, a, nil, CacheOptions{})
	failed := stampede(c, func(*Token) bool { return true })()
	if n := auth.issued.Load(); n != 1 {
		t.Errorf("authenticate requests for %d cold callers = %d; want 1", herd, n)
	}
	if n := failed; n != 0 {
		t.Errorf("%d of %d callers got an error", n, herd)
	}
}
