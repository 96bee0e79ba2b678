package csconnect

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// t0 is the fake clock's start, and hour the vendor's token lifetime.
var t0 = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

const hour = time.Hour

// setClock moves a fakeClock (authenticate_test.go) to t.
func setClock(c *fakeClock, t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// fakeSource counts calls and answers with fn (call number n starts at 1).
type fakeSource struct {
	calls atomic.Int64
	fn    func(ctx context.Context, n int64) (*Token, error)
}

func (s *fakeSource) Token(ctx context.Context) (*Token, error) {
	return s.fn(ctx, s.calls.Add(1))
}

// tokenAt returns a one-hour token named "tok-n" fetched at fetched.
func tokenAt(n int64, fetched time.Time) *Token {
	return &Token{Value: fmt.Sprintf("tok-%d", n), Fetched: fetched, Expiry: fetched.Add(hour)}
}

// clockSource returns a source whose n-th token is fetched at clock's now.
func clockSource(clock *fakeClock) *fakeSource {
	return &fakeSource{fn: func(_ context.Context, n int64) (*Token, error) { return tokenAt(n, clock.now()), nil }}
}

// newTestCache returns a cache on clock with no jitter unless opts says otherwise,
// closed at the end of the test.
func newTestCache(t *testing.T, src TokenSource, clock *fakeClock, opts CacheOptions) *Cache {
	t.Helper()
	if opts.AdvisoryJitter == 0 {
		opts.AdvisoryJitter = -1
	}
	c := NewCache(src, opts)
	if clock != nil {
		c.now = clock.now
	}
	c.rand = func(n int64) int64 { return n / 2 }
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func mustToken(t *testing.T, c TokenSource) *Token {
	t.Helper()
	tok, err := c.Token(context.Background())
	if err != nil {
		t.Fatalf("Token() error = %v; want nil", err)
	}
	return tok
}

// tryToken is mustToken for goroutines other than the test's: t.Fatalf must not be
// called there (it would end only that goroutine and leave the test waiting), so it
// reports with t.Errorf and returns an empty token that no check accepts.
func tryToken(t *testing.T, c TokenSource) *Token {
	t.Helper()
	tok, err := c.Token(context.Background())
	if err != nil {
		t.Errorf("Token() error = %v; want nil", err)
		return &Token{}
	}
	return tok
}

func TestCacheHitsAfterOneFetch(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	src := clockSource(clock)
	c := newTestCache(t, src, clock, CacheOptions{})
	first := mustToken(t, c)
	for range 100 {
		if got := mustToken(t, c); got != first {
			t.Fatalf("Token() = %v; want the cached %v", got, first)
		}
	}
	if n := src.calls.Load(); n != 1 {
		t.Errorf("source calls = %d; want 1", n)
	}
	if s := c.counts(); s.Fetches != 1 || s.Waits != 1 {
		t.Errorf("counts() = %+v; want 1 fetch, 1 wait", s)
	}
}

// TestCacheWindows checks what a caller gets at each point of a token's life while
// the refresh it triggers is held open.
func TestCacheWindows(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		at        time.Duration // after the first fetch
		wantOld   bool          // the caller gets the first token without waiting
		wantFetch bool          // a second fetch starts
	}{
		"fresh":             {at: 30 * time.Minute, wantOld: true},
		"before advisory":   {at: 55*time.Minute - time.Second, wantOld: true},
		"advisory":          {at: 55 * time.Minute, wantOld: true, wantFetch: true},
		"late advisory":     {at: 59*time.Minute - time.Second, wantOld: true, wantFetch: true},
		"mandatory":         {at: 59 * time.Minute, wantFetch: true},
		"expired":           {at: hour, wantFetch: true},
		"long after expiry": {at: 3 * hour, wantFetch: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				clock := newFakeClock()
				release := make(chan struct{})
				src := &fakeSource{fn: func(ctx context.Context, n int64) (*Token, error) {
					if n > 1 {
						<-release
					}
					return tokenAt(n, clock.now()), nil
				}}
				c := newTestCache(t, src, clock, CacheOptions{})
				first := mustToken(t, c)
				setClock(clock, t0.Add(tc.at))

				got := make(chan *Token, 1)
				go func() { got <- tryToken(t, c) }()
				synctest.Wait()
				select {
				case tok := <-got:
					if !tc.wantOld {
						t.Fatalf("Token() at %v = %v without waiting; want it to wait", tc.at, tok)
					}
					if tok != first {
						t.Errorf("Token() at %v = %v; want the first token", tc.at, tok)
					}
				default:
					if tc.wantOld {
						t.Fatalf("Token() at %v waits; want the current token at once", tc.at)
					}
				}
				if n, want := src.calls.Load(), map[bool]int64{false: 1, true: 2}[tc.wantFetch]; n != want {
					t.Errorf("source calls at %v = %d; want %d", tc.at, n, want)
				}
				close(release)
				if !tc.wantOld {
					if tok := <-got; tok.Value != "tok-2" {
						t.Errorf("Token() at %v = %q after the refresh; want tok-2", tc.at, tok.Value)
					}
				}
				synctest.Wait()
				if tc.wantFetch {
					if tok := mustToken(t, c); tok.Value != "tok-2" {
						t.Errorf("Token() after the refresh = %q; want tok-2", tok.Value)
					}
				}
			})
		})
	}
}

func TestCacheAdvisoryJitter(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	c := NewCache(clockSource(clock), CacheOptions{})
	c.now = clock.now
	var draws []int64
	c.rand = func(n int64) int64 { draws = append(draws, n); return n / 4 }
	e := c.fresh(tokenAt(1, t0), t0)
	if want := t0.Add(55*time.Minute - 15*time.Second); !e.refreshAt.Equal(want) {
		t.Errorf("refreshAt with a quarter-minute draw = %v; want %v", e.refreshAt, want)
	}
	if len(draws) != 1 || draws[0] != int64(defaultAdvisoryJitter) {
		t.Errorf("rand draws = %v; want one draw over %d", draws, int64(defaultAdvisoryJitter))
	}
	if want := t0.Add(59 * time.Minute); !e.mandatoryAt.Equal(want) {
		t.Errorf("mandatoryAt = %v; want %v", e.mandatoryAt, want)
	}
}

func TestCacheShortTokenClamp(t *testing.T) {
	t.Parallel()
	c := NewCache(nil, CacheOptions{AdvisoryJitter: -1})
	tok := &Token{Value: "short", Fetched: t0, Expiry: t0.Add(4 * time.Minute)}
	e := c.fresh(tok, t0)
	if want := t0.Add(2 * time.Minute); !e.refreshAt.Equal(want) {
		t.Errorf("refreshAt of a 4-minute token = %v; want %v (half its life)", e.refreshAt, want)
	}
	if want := t0.Add(3 * time.Minute); !e.mandatoryAt.Equal(want) {
		t.Errorf("mandatoryAt of a 4-minute token = %v; want %v (three quarters)", e.mandatoryAt, want)
	}
}

// TestCacheAdvisoryRefreshDetached: the background refresh a caller starts in the
// advisory window outlives that caller's context (the Transport passes a request's
// context, which ends with the request): it completes and installs the new token.
func TestCacheAdvisoryRefreshDetached(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		clock := newFakeClock()
		release := make(chan struct{})
		var fetchErr atomic.Value
		src := &fakeSource{fn: func(ctx context.Context, n int64) (*Token, error) {
			if n > 1 {
				select {
				case <-release:
				case <-ctx.Done():
					fetchErr.Store(ctx.Err())
					return nil, ctx.Err()
				}
			}
			return tokenAt(n, clock.now()), nil
		}}
		c := newTestCache(t, src, clock, CacheOptions{})
		first := mustToken(t, c)
		setClock(clock, t0.Add(56*time.Minute)) // advisory window
		ctx, cancel := context.WithCancel(context.Background())
		if tok, err := c.Token(ctx); err != nil || tok != first {
			t.Fatalf("Token() in the advisory window = %v, %v; want the first token at once", tok, err)
		}
		synctest.Wait() // the refresh is running, held by the source
		cancel()
		synctest.Wait()
		close(release)
		synctest.Wait()
		if err := fetchErr.Load(); err != nil {
			t.Errorf("background refresh saw %v; want it detached from the caller's context", err)
		}
		if tok := mustToken(t, c); tok.Value != "tok-2" {
			t.Errorf("Token() after the refresh = %v; want tok-2", tok)
		}
	})
}

// TestCacheCallerGivesUp: one caller's context ending returns to that caller at once
// and does not cancel the fetch the others wait for.
func TestCacheCallerGivesUp(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		var fetchErr atomic.Value
		src := &fakeSource{fn: func(ctx context.Context, n int64) (*Token, error) {
			select {
			case <-release:
			case <-ctx.Done():
				fetchErr.Store(ctx.Err())
				return nil, ctx.Err()
			}
			return tokenAt(n, time.Now()), nil
		}}
		c := newTestCache(t, src, nil, CacheOptions{})
		ctx, cancel := context.WithCancel(context.Background())
		quitter := make(chan error, 1)
		go func() { _, err := c.Token(ctx); quitter <- err }()
		synctest.Wait() // the quitter's call starts the fetch
		stayer := make(chan *Token, 1)
		go func() { stayer <- tryToken(t, c) }()
		synctest.Wait()
		cancel()
		if err := <-quitter; !errors.Is(err, context.Canceled) {
			t.Errorf("Token(cancelled ctx) error = %v; want context.Canceled", err)
		}
		close(release)
		if tok := <-stayer; tok.Value != "tok-1" {
			t.Errorf("Token() of the caller that stayed = %v; want tok-1", tok)
		}
		if err := fetchErr.Load(); err != nil {
			t.Errorf("shared fetch saw %v; want it detached from the caller that left", err)
		}
		if n := src.calls.Load(); n != 1 {
			t.Errorf("source calls = %d; want 1", n)
		}
	})
}

// TestCacheFetchTimeout: the detached fetch still ends at FetchTimeout.
func TestCacheFetchTimeout(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		src := &fakeSource{fn: func(ctx context.Context, n int64) (*Token, error) {
			<-ctx.Done()
			return nil, ctx.Err()
		}}
		c := newTestCache(t, src, nil, CacheOptions{FetchTimeout: 5 * time.Second})
		start := time.Now()
		_, err := c.Token(context.Background())
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Token() error = %v; want context.DeadlineExceeded", err)
		}
		if d := time.Since(start); d != 5*time.Second {
			t.Errorf("Token() returned after %v; want 5s", d)
		}
	})
}

var errFlaky = errors.New("flaky")

func TestCacheFailedRefreshKeepsToken(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	fail := atomic.Bool{}
	src := &fakeSource{fn: func(_ context.Context, n int64) (*Token, error) {
		if fail.Load() {
			return nil, errFlaky
		}
		return tokenAt(n, clock.now()), nil
	}}
	c := newTestCache(t, src, clock, CacheOptions{Backoff: RetryPolicy{BaseDelay: 30 * time.Second, MaxDelay: 2 * time.Minute}})
	c.rand = func(n int64) int64 { return n - 1 } // the longest backoff, to check its bound
	first := mustToken(t, c)
	fail.Store(true)
	at := func(d time.Duration) { setClock(clock, t0.Add(d)) }

	at(59*time.Minute + 10*time.Second) // mandatory window: waits, fails, keeps the old token
	if got := mustToken(t, c); got != first {
		t.Fatalf("Token() after a failed refresh = %v; want the still-valid %v", got, first)
	}
	if n := src.calls.Load(); n != 2 {
		t.Fatalf("source calls = %d; want 2", n)
	}
	at(59*time.Minute + 39*time.Second) // inside the 30 s backoff
	if got := mustToken(t, c); got != first {
		t.Errorf("Token() during backoff = %v; want %v", got, first)
	}
	if n := src.calls.Load(); n != 2 {
		t.Errorf("source calls during backoff = %d; want 2", n)
	}
	at(59*time.Minute + 40*time.Second) // backoff over: second failure, 60 s backoff
	mustToken(t, c)
	if n := src.calls.Load(); n != 3 {
		t.Errorf("source calls after backoff = %d; want 3", n)
	}
	at(hour) // expired during the backoff: the last error, without a fetch
	if _, err := c.Token(context.Background()); !errors.Is(err, errFlaky) {
		t.Errorf("Token() after expiry during backoff error = %v; want %v", err, errFlaky)
	}
	if n := src.calls.Load(); n != 3 {
		t.Errorf("source calls after expiry during backoff = %d; want 3", n)
	}
	fail.Store(false)
	at(hour + 40*time.Second)
	if got := mustToken(t, c); got.Value != "tok-4" {
		t.Errorf("Token() once the source recovers = %v; want tok-4", got)
	}
	if s := c.counts(); s.FetchErrors != 2 || s.Fetches != 4 {
		t.Errorf("Stats() = %+v; want 2 fetch errors in 4 fetches", s)
	}
}

// errPermanent stands for what the Authenticator returns for a rejected password.
var errPermanent = fmt.Errorf("authenticate: %w", ErrInvalidCredentials)

func TestCachePermanentErrorReturnedAtOnce(t *testing.T) {
	t.Parallel()
	for name, at := range map[string]time.Duration{"cold": 0, "mandatory": 59*time.Minute + time.Second} {
		t.Run(name, func(t *testing.T) {
			clock := newFakeClock()
			src := &fakeSource{fn: func(_ context.Context, n int64) (*Token, error) {
				if n == 1 && at > 0 {
					return tokenAt(n, clock.now()), nil
				}
				return nil, errPermanent
			}}
			c := newTestCache(t, src, clock, CacheOptions{})
			if at > 0 {
				mustToken(t, c)
			}
			setClock(clock, t0.Add(at))
			calls := src.calls.Load()
			for i := range 3 {
				if _, err := c.Token(context.Background()); !errors.Is(err, ErrInvalidCredentials) {
					t.Errorf("Token() call %d error = %v; want ErrInvalidCredentials", i, err)
				}
			}
			if n := src.calls.Load() - calls; n != 1 {
				t.Errorf("source calls for 3 Token calls = %d; want 1 (not retried)", n)
			}
			setClock(clock, t0.Add(at+defaultPermanentBackoff))
			_, _ = c.Token(context.Background())
			if n := src.calls.Load() - calls; n != 2 {
				t.Errorf("source calls after permanentBackoff = %d; want 2", n)
			}
		})
	}
}

// TestCachePermanentErrorsNotResent: a source that refuses the request for what it
// is gets asked once per permanentBackoff (or, for a lockout, once per the wait the
// failure gives), however many callers ask, sequentially or in parallel, over
// simulated minutes.
func TestCachePermanentErrorsNotResent(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		err   error
		quiet time.Duration // how long after the failure the source must not be called
	}{
		"invalid credentials": {err: &APIError{StatusCode: 401, kind: ErrInvalidCredentials}, quiet: defaultPermanentBackoff},
		"account inactive":    {err: &APIError{StatusCode: 403, kind: ErrAccountInactive}, quiet: defaultPermanentBackoff},
		"bad request":         {err: &APIError{StatusCode: 400, kind: ErrBadRequest}, quiet: defaultPermanentBackoff},
		"contract":            {err: fmt.Errorf("authenticate: 200 without a token: %w", ErrContract), quiet: defaultPermanentBackoff},
		"invalid input":       {err: fmt.Errorf("preflight: %w", ErrInvalidInput), quiet: defaultPermanentBackoff},
		"locked out":          {err: &APIError{StatusCode: 429, kind: ErrLockedOut}, quiet: defaultPermanentBackoff},
		"guard rejected":      {err: &GuardError{reason: guardRejected}, quiet: defaultPermanentBackoff},
		"guard lockout":       {err: &GuardError{reason: guardLockedOut, Wait: 4 * time.Minute}, quiet: 4 * time.Minute},
		"lockout retry-after": {err: &APIError{StatusCode: 429, kind: ErrLockedOut, RetryAfter: 5 * time.Minute}, quiet: 5 * time.Minute},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			clock := newFakeClock()
			src := &fakeSource{fn: func(context.Context, int64) (*Token, error) { return nil, tc.err }}
			c := newTestCache(t, src, clock, CacheOptions{})
			check := func() {
				if _, err := c.Token(context.Background()); !errors.Is(err, tc.err) {
					t.Errorf("Token() error = %v; want %v", err, tc.err)
				}
			}
			for at := time.Duration(0); at < tc.quiet; at += 10 * time.Second {
				setClock(clock, t0.Add(at))
				check()
				var wg sync.WaitGroup
				for range 20 {
					wg.Go(check)
				}
				wg.Wait()
			}
			if n := src.calls.Load(); n != 1 {
				t.Fatalf("source calls over %v of sequential and parallel Token calls = %d; want 1", tc.quiet, n)
			}
			setClock(clock, t0.Add(tc.quiet))
			check()
			if n := src.calls.Load(); n != 2 {
				t.Errorf("source calls once %v has passed = %d; want 2 (backed off, not given up)", tc.quiet, n)
			}
		})
	}
}

func TestCacheAdvisoryPermanentFailureKeepsServing(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		clock := newFakeClock()
		src := &fakeSource{fn: func(_ context.Context, n int64) (*Token, error) {
			if n > 1 {
				return nil, errPermanent
			}
			return tokenAt(n, clock.now()), nil
		}}
		c := newTestCache(t, src, clock, CacheOptions{Backoff: RetryPolicy{MaxDelay: 5 * time.Minute}})
		first := mustToken(t, c)
		setClock(clock, t0.Add(56*time.Minute))
		if got := mustToken(t, c); got != first {
			t.Fatalf("Token() in the advisory window = %v; want %v", got, first)
		}
		synctest.Wait() // the background refresh fails
		if got := mustToken(t, c); got != first {
			t.Errorf("Token() after a failed background refresh = %v; want %v", got, first)
		}
		setClock(clock, t0.Add(59*time.Minute))
		if _, err := c.Token(context.Background()); !errors.Is(err, ErrInvalidCredentials) {
			t.Errorf("Token() in the mandatory window after a permanent failure error = %v; want ErrInvalidCredentials", err)
		}
		if n := src.calls.Load(); n != 2 {
			t.Errorf("source calls = %d; want 2", n)
		}
	})
}

func TestCacheInvalidate(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	src := clockSource(clock)
	c := newTestCache(t, src, clock, CacheOptions{})
	first := mustToken(t, c)

	c.Invalidate(&Token{Value: "some-other-token"})
	c.Invalidate(nil)
	if got := mustToken(t, c); got != first {
		t.Fatalf("Token() after invalidating another token = %v; want %v", got, first)
	}
	c.Invalidate(&Token{Value: first.Value}) // by value: a copy counts
	second := mustToken(t, c)
	if second.Value != "tok-2" {
		t.Fatalf("Token() after Invalidate(current) = %v; want tok-2", second)
	}
	c.Invalidate(first) // stale: already replaced
	if got := mustToken(t, c); got != second {
		t.Errorf("Token() after invalidating a replaced token = %v; want %v", got, second)
	}
	if n := src.calls.Load(); n != 2 {
		t.Errorf("source calls = %d; want 2", n)
	}
}

// TestCacheConcurrentInvalidate: N callers that each saw the same token rejected
// cause one refresh.
func TestCacheConcurrentInvalidate(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	src := clockSource(clock)
	c := newTestCache(t, src, clock, CacheOptions{})
	rejected := mustToken(t, c)
	const n = 200
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range n {
		wg.Go(func() {
			<-start
			c.Invalidate(rejected)
			if tok, err := c.Token(context.Background()); err != nil || tok.Value != "tok-2" {
				t.Errorf("Token() after Invalidate = %v, %v; want tok-2", tok, err)
			}
		})
	}
	close(start)
	wg.Wait()
	if got := src.calls.Load(); got != 2 {
		t.Errorf("source calls after %d concurrent invalidations = %d; want 2", n, got)
	}
	if s := c.counts(); s.Invalidations != 1 {
		t.Errorf("Stats().Invalidations = %d; want 1", s.Invalidations)
	}
}

func TestCacheRejectsExpiredFromSource(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	src := &fakeSource{fn: func(context.Context, int64) (*Token, error) {
		return &Token{Value: "old", Expiry: t0.Add(-time.Second)}, nil
	}}
	c := newTestCache(t, src, clock, CacheOptions{})
	if _, err := c.Token(context.Background()); !errors.Is(err, ErrContract) {
		t.Errorf("Token() with an expired token from the source error = %v; want ErrContract", err)
	}
}

// TestCacheClose: Close cancels a background refresh and waits for it; afterwards a
// fetch is refused and a still-valid token is served.
func TestCacheClose(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		clock := newFakeClock()
		var cancelled atomic.Bool
		src := &fakeSource{fn: func(ctx context.Context, n int64) (*Token, error) {
			if n == 1 {
				return tokenAt(n, clock.now()), nil
			}
			<-ctx.Done()
			cancelled.Store(true)
			return nil, ctx.Err()
		}}
		c := newTestCache(t, src, clock, CacheOptions{})
		first := mustToken(t, c)
		setClock(clock, t0.Add(56*time.Minute))
		mustToken(t, c) // starts the background refresh, which blocks
		synctest.Wait()
		if err := c.Close(); err != nil {
			t.Fatalf("Close() = %v; want nil", err)
		}
		if !cancelled.Load() {
			t.Errorf("background refresh still running after Close")
		}
		if got := mustToken(t, c); got != first {
			t.Errorf("Token() after Close = %v; want the still-valid %v", got, first)
		}
		setClock(clock, t0.Add(hour))
		calls := src.calls.Load()
		if _, err := c.Token(context.Background()); !errors.Is(err, errCacheClosed) {
			t.Errorf("Token() needing a fetch after Close error = %v; want errCacheClosed", err)
		}
		if n := src.calls.Load() - calls; n != 0 {
			t.Errorf("source called %d times after Close; want 0", n)
		}
	})
}

// TestCacheHonoursServerWait: a failure that carries Retry-After is not retried
// before it, even when the backoff would allow it.
func TestCacheHonoursServerWait(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	src := &fakeSource{fn: func(_ context.Context, n int64) (*Token, error) {
		return nil, &APIError{StatusCode: 503, RetryAfter: 2 * time.Minute, kind: ErrServer}
	}}
	c := newTestCache(t, src, clock, CacheOptions{})
	for _, at := range []time.Duration{0, time.Minute, 2*time.Minute - time.Second} {
		setClock(clock, t0.Add(at))
		if _, err := c.Token(context.Background()); !errors.Is(err, ErrServer) {
			t.Errorf("Token() at %v error = %v; want ErrServer", at, err)
		}
	}
	if n := src.calls.Load(); n != 1 {
		t.Errorf("source calls within Retry-After = %d; want 1", n)
	}
	setClock(clock, t0.Add(2*time.Minute))
	_, _ = c.Token(context.Background())
	if n := src.calls.Load(); n != 2 {
		t.Errorf("source calls after Retry-After = %d; want 2", n)
	}
}

// TestCacheGuardWait: a guard refusal's Wait holds the cache's next fetch back, and
// is counted.
func TestCacheGuardWait(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	src := &fakeSource{fn: func(context.Context, int64) (*Token, error) {
		return nil, &GuardError{reason: guardLockedOut, Wait: 4 * time.Minute, Err: ErrLockedOut}
	}}
	c := newTestCache(t, src, clock, CacheOptions{})
	for _, at := range []time.Duration{0, 3 * time.Minute, 4*time.Minute - time.Second} {
		setClock(clock, t0.Add(at))
		if _, err := c.Token(context.Background()); !errors.Is(err, ErrLockedOut) {
			t.Errorf("Token() at %v error = %v; want ErrLockedOut", at, err)
		}
	}
	if n := src.calls.Load(); n != 1 {
		t.Errorf("source calls during the guard's wait = %d; want 1", n)
	}
	if s := c.counts(); s.GuardRefusals != 1 {
		t.Errorf("Stats().GuardRefusals = %d; want 1", s.GuardRefusals)
	}
}
