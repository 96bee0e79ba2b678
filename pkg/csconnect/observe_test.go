package csconnect

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// hookLog records the events a Hooks receives, one line each.
type hookLog struct {
	clock   *fakeClock // expiries and lockouts are reported relative to it
	mu      sync.Mutex
	lines   []string
	fetched chan struct{} // receives after each FetchDone, if set
}

func (l *hookLog) add(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
}

// take returns the lines recorded since the last take.
func (l *hookLog) take() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := strings.Join(l.lines, "; ")
	l.lines = nil
	return s
}

type hookKey struct{}

func (l *hookLog) hooks() *Hooks {
	return &Hooks{
		AuthenticateStart: func(ctx context.Context, n int) context.Context {
			l.add("start %d", n)
			return context.WithValue(ctx, hookKey{}, n)
		},
		AuthenticateDone: func(ctx context.Context, e Event) {
			n, ok := ctx.Value(hookKey{}).(int) // the start's context carries its attempt
			if !ok {
				l.add("done without the start's context")
			}
			l.add("done %d %d %s refused=%q retry=%v/%v", n, e.Status, e.Outcome, e.Refused, e.Wait >= 0, max(e.Wait, 0))
		},
		FetchStart: func(ctx context.Context) context.Context {
			l.add("fetch")
			return context.WithValue(ctx, hookKey{}, "fetch")
		},
		FetchDone: func(ctx context.Context, e Event) {
			if ctx.Value(hookKey{}) != "fetch" {
				l.add("fetched without the start's context")
			}
			l.add("fetched %s in %v", e.Outcome, e.Expiry.Sub(l.clock.now()))
			if l.fetched != nil {
				l.fetched <- struct{}{}
			}
		},
		Renewal: func(_ context.Context, r string) { l.add("renewal %s", r) },
		Replay:  func(_ context.Context, status int) { l.add("replay %d", status) },
		Retry: func(_ context.Context, attempt, status int, wait time.Duration) {
			l.add("retry %d %d %v", attempt, status, wait)
		},
		GuardLocked: func(_ context.Context, until time.Time) {
			if until.IsZero() {
				l.add("unlocked")
			} else {
				l.add("locked %v", until.Sub(l.clock.now()))
			}
		},
	}
}

// TestHooksAuthenticate: each attempt is reported once, under the context its
// start returned, with status, outcome, guard decision and retry wait; the guard's
// lockout follows each attempt and ResetGuard.
func TestHooksAuthenticate(t *testing.T) {
	e500 := reply(500, `{"error":{"code":"500","text":"Internal server error"}}`)
	e429 := reply(429, `{"message":"Too many requests"}`, "Retry-After: 60")
	srv := newTestServer(t, sequence(e500, tokenReply(), e429))
	log := &hookLog{}
	a := newTestAuth(t, srv.URL, func(c *AuthConfig) { c.Hooks = log.hooks() })
	log.clock = a.clock

	if _, err := a.Token(t.Context()); err != nil {
		t.Fatal(err)
	}
	want := `start 1; done 1 500 server_error refused="" retry=true/500ms; unlocked; start 2; done 2 200 ok refused="" retry=false/0s; unlocked`
	if got := log.take(); got != want {
		t.Errorf("500 then 200: hooks saw\n%s\nwant\n%s", got, want)
	}
	if _, err := a.Token(t.Context()); err == nil {
		t.Fatal("Token() after a 429 succeeded")
	}
	if _, err := a.Token(t.Context()); err == nil {
		t.Fatal("Token() during the lockout succeeded")
	}
	want = `start 1; done 1 429 locked_out refused="" retry=false/0s; locked 1m0s; start 1; done 1 0 locked_out refused="locked_out" retry=false/0s; locked 1m0s`
	if got := log.take(); got != want {
		t.Errorf("429 then refusal: hooks saw\n%s\nwant\n%s", got, want)
	}
	if err := a.ResetGuard(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := log.take(); got != "unlocked" {
		t.Errorf("ResetGuard: hooks saw %q; want unlocked", got)
	}
}

// TestHooksCacheRenewals: a cold fetch is no renewal; the advisory window and the
// mandatory window each make one renewal of their reason, reported in the fetch.
// FetchDone runs before the fetch's token is in place, so the test waits for the
// background refresh to settle (synctest.Wait) before it moves the clock on: a
// Token call in the mandatory window while the refresh was still finishing joined
// it, made no fetch of its own, and the test waited for one forever.
func TestHooksCacheRenewals(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		clock := newFakeClock()
		log := &hookLog{clock: clock, fetched: make(chan struct{}, 1)}
		c := newTestCache(t, clockSource(clock), clock, CacheOptions{hooks: log.hooks()})
		fetch := func() {
			t.Helper()
			if _, err := c.Token(t.Context()); err != nil {
				t.Fatal(err)
			}
			<-log.fetched
			synctest.Wait()
		}
		fetch()
		clock.advance(56 * time.Minute) // advisory point: 5 minutes before expiry
		fetch()                         // the background refresh
		clock.advance(59*time.Minute + 30*time.Second)
		fetch()
		want := "fetch; fetched ok in 1h0m0s; fetch; renewal advisory; fetched ok in 1h0m0s; fetch; renewal mandatory; fetched ok in 1h0m0s"
		if got := log.take(); got != want {
			t.Errorf("hooks saw\n%s\nwant\n%s", got, want)
		}
	})
}

// TestHooksTransport: a Transport reports to its Cache's hooks (set once, in
// AuthConfig): a renewal after "Token Expired" is reported as the new token's fetch, a
// renewal (expired_answer) and a replay, a retry with its attempt, status and wait; a
// request with the cached token reports nothing of its own.
func TestHooksTransport(t *testing.T) {
	s503 := canned{status: 503, body: `{"error":{"code":"503","text":"Unavailable"}}`}
	srv := newServiceServer(t, ok200, swedenExpired, ok200, s503, ok200)
	tr, _, _ := newTestTransport(t)
	log := &hookLog{clock: newFakeClock()}
	tr.Source.(*Cache).opts.hooks = log.hooks() // the Transport reports to its Cache's hooks
	for i, want := range []string{
		"fetch; fetched ok in 1h0m0s", // the cache's first token
		"fetch; fetched ok in 1h0m0s; renewal expired_answer; replay 403",
		"retry 1 503 125ms",
	} {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+"/svc", nil)
		resp, err := tr.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		discard(resp)
		if got := log.take(); got != want {
			t.Errorf("request %d: hooks saw %q; want %q", i, got, want)
		}
	}
}

// TestFetchDoneAfterTheCacheHoldsTheToken: FetchDone runs once the cache holds the
// fetch's outcome. Before, it ran just before, so a test (or a gauge) reacting to
// it could call Token, see the old token, join the fetch still in flight and wait
// for a FetchDone that had already passed (TestHooksCacheRenewals hung in CI).
func TestFetchDoneAfterTheCacheHoldsTheToken(t *testing.T) {
	clock := newFakeClock()
	var c *Cache
	held := make(chan bool, 1)
	c = newTestCache(t, clockSource(clock), clock, CacheOptions{hooks: &Hooks{
		FetchDone: func(_ context.Context, e Event) {
			cur := c.cur.Load()
			held <- cur != nil && cur.tok != nil && cur.tok.Expiry.Equal(e.Expiry)
		},
	}})
	if _, err := c.Token(t.Context()); err != nil {
		t.Fatal(err)
	}
	if !<-held {
		t.Error("FetchDone ran before the cache held the new token")
	}
}
