package csconnect

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// TestHookPanicContained: a Cache calls its Hooks (user code) in the shared fetch,
// which runs in singleflight's goroutine, where no caller's recover reaches. A
// panicking hook must not kill the process nor break the fetch it observes: the
// token is still fetched, installed and served. Before the fix the panic killed the
// test binary.
func TestHookPanicContained(t *testing.T) {
	t.Parallel()
	boom := func() { panic(errors.New("hook exploded")) }
	for name, h := range map[string]*Hooks{
		"FetchStart": {FetchStart: func(context.Context) context.Context { boom(); return nil }},
		"FetchDone":  {FetchDone: func(context.Context, Event) { boom() }},
		"Renewal":    {Renewal: func(context.Context, string) { boom() }},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			clock := newFakeClock()
			src := clockSource(clock)
			c := newTestCache(t, src, clock, CacheOptions{hooks: h})
			noPanic(t, "Cache.Token with a panicking "+name, func() {
				tok, err := c.Token(context.Background())
				if err != nil || tok.Value != "tok-1" {
					t.Fatalf("Token() = %v, %v; want tok-1", tok, err)
				}
				clock.advance(tok.Expiry.Sub(clock.now()) + time.Second) // expired: a renewal, waited for
				tok, err = c.Token(context.Background())
				if err != nil || tok.Value != "tok-2" {
					t.Fatalf("Token() after expiry = %v, %v; want tok-2", tok, err)
				}
			})
			if n := src.calls.Load(); n != 2 {
				t.Errorf("source called %d times; want 2", n)
			}
		})
	}
}

// TestHookPanicIgnoredEverywhere: a panicking hook of the Authenticator or the
// Transport is recovered and logged as the Cache's are, and the call it observes
// goes on. Before, an Authenticator's panicking AuthenticateDone, under a Cache,
// turned a token the server had issued into a failed fetch (the token lost, the
// budget spent, the fetch backed off and sent again), and a Transport's panicking
// Retry or Replay hook panicked its caller's request.
func TestHookPanicIgnoredEverywhere(t *testing.T) {
	t.Parallel()
	boom := func() { panic(errors.New("hook exploded")) }
	for name, h := range map[string]*Hooks{
		"AuthenticateStart": {AuthenticateStart: func(context.Context, int) context.Context { boom(); return nil }},
		"AuthenticateDone":  {AuthenticateDone: func(context.Context, Event) { boom() }},
		"GuardLocked":       {GuardLocked: func(context.Context, time.Time) { boom() }},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := newTestServer(t, tokenReply())
			a := newTestAuth(t, srv.URL, func(c *AuthConfig) { c.Hooks = h })
			c := newTestCache(t, a, a.clock, CacheOptions{})
			noPanic(t, "Cache.Token over an Authenticator with a panicking "+name, func() {
				if _, err := c.Token(context.Background()); err != nil {
					t.Errorf("Token() = %v; want the token the server issued", err)
				}
			})
			if n := srv.hits.Load(); n != 1 {
				t.Errorf("authenticate sent %d times; want 1", n)
			}
			if !strings.Contains(a.logs.String(), "hook panicked") {
				t.Errorf("logs = %s; want the hook's panic logged", a.logs)
			}
		})
	}
	t.Run("Transport", func(t *testing.T) {
		t.Parallel()
		s503 := canned{status: 503, body: `{"error":{"code":"503","text":"Unavailable"}}`}
		srv := newServiceServer(t, ok200, swedenExpired, ok200, s503, ok200)
		tr, _, _ := newTestTransport(t)
		tr.Source.(*Cache).opts.hooks = &Hooks{
			Renewal: func(context.Context, string) { boom() },
			Replay:  func(context.Context, int) { boom() },
			Retry:   func(context.Context, int, int, time.Duration) { boom() },
		}
		for i := range 3 { // plain, renewed and replayed, retried after a 503
			noPanic(t, "Transport.RoundTrip with panicking hooks", func() {
				req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+"/svc", nil)
				resp, err := tr.RoundTrip(req)
				if err != nil {
					t.Fatalf("request %d: %v", i, err)
				}
				discard(resp)
				if resp.StatusCode != 200 {
					t.Errorf("request %d: status %d; want 200", i, resp.StatusCode)
				}
			})
		}
	})
}

// TestFetchStartContextKeepsBounds: the context FetchStart returns becomes the
// fetch's, but the fetch's own bounds (FetchTimeout, Close's cancellation) still
// hold when the hook returns a context that does not carry them (here, a fresh
// Background with a value). Before, such a hook made Close wait for ever on a source
// that honours its context, and the fetch unbounded by FetchTimeout.
func TestFetchStartContextKeepsBounds(t *testing.T) {
	synctest.Test(t, testFetchStartContextKeepsBounds)
}

func testFetchStartContextKeepsBounds(t *testing.T) {
	type key struct{}
	var sawValue atomic.Bool
	src := tokenSourceFunc(func(ctx context.Context) (*Token, error) {
		sawValue.Store(ctx.Value(key{}) != nil)
		<-ctx.Done()
		return nil, ctx.Err()
	})
	h := &Hooks{FetchStart: func(context.Context) context.Context {
		return context.WithValue(context.Background(), key{}, 1) // drops the fetch's bounds
	}}
	c := NewCache(src, CacheOptions{hooks: h})
	got := make(chan error, 1)
	go func() {
		_, err := c.Token(context.Background())
		got <- err
	}()
	synctest.Wait() // the fetch waits in the source
	closed := make(chan struct{})
	go func() {
		_ = c.Close()
		close(closed)
	}()
	synctest.Wait()
	select {
	case <-closed:
	default:
		t.Fatal("Close() did not return: the fetch under FetchStart's context was not cancelled")
	}
	if err := <-got; err == nil {
		t.Error("Token() = nil error; want the fetch's cancellation")
	}
	if !sawValue.Load() {
		t.Error("the source did not get FetchStart's context (its values)")
	}
}

// TestAuthenticateStartContextKeepsCancellation: the context AuthenticateStart
// returns becomes the attempt's, but the caller's cancellation still ends the
// attempt when the hook returns a context not derived from the caller's. Before,
// the request in flight ran on to the attempt's timeout (30 s), and a Cache's Close
// waited for it.
func TestAuthenticateStartContextKeepsCancellation(t *testing.T) {
	synctest.Test(t, testAuthenticateStartContextKeepsCancellation)
}

func testAuthenticateStartContextKeepsCancellation(t *testing.T) {
	type key struct{}
	var sawValue atomic.Bool
	hc := &http.Client{Transport: roundTripFunc(func(req *http.Request) (*http.Response, error) {
		sawValue.Store(req.Context().Value(key{}) != nil)
		<-req.Context().Done()
		return nil, req.Context().Err()
	})}
	a := newTestAuth(t, "https://connect.example.com", func(c *AuthConfig) {
		c.HTTPClient = hc
		c.Hooks = &Hooks{AuthenticateStart: func(context.Context, int) context.Context {
			return context.WithValue(context.Background(), key{}, 1) // drops the caller's cancellation
		}}
	})
	ctx, cancel := context.WithCancel(context.Background())
	start := time.Now()
	got := make(chan error, 1)
	go func() {
		_, err := a.Token(ctx)
		got <- err
	}()
	synctest.Wait() // the attempt waits in the transport
	cancel()
	if err := <-got; err == nil {
		t.Error("Token() = nil error; want the cancellation")
	}
	if d := time.Since(start); d > 0 {
		t.Errorf("Token() returned %v after the cancellation; want at once (not the attempt's timeout)", d)
	}
	if !sawValue.Load() {
		t.Error("the request did not carry AuthenticateStart's context (its values)")
	}
}

// attemptStore is a Store that records, for each MergeGuard, whether it ran under
// the attempt's context (the value AuthenticateStart put in it).
type attemptStore struct {
	Store
	key    any
	mu     sync.Mutex
	merges []bool
}

func (s *attemptStore) MergeGuard(ctx context.Context, key string, g GuardState) (GuardState, error) {
	s.mu.Lock()
	s.merges = append(s.merges, ctx.Value(s.key) != nil)
	s.mu.Unlock()
	return s.Store.MergeGuard(ctx, key, g)
}

// TestGuardWritesRunUnderTheAttempt: Hooks says the guard's Store calls run under
// the context AuthenticateStart returns (say, with the attempt's span). The
// admission did, but the writes after the answer (a success clearing the count, a
// 401 rejecting the pair, a 429 locking out) ran under the caller's context.
func TestGuardWritesRunUnderTheAttempt(t *testing.T) {
	t.Parallel()
	type key struct{}
	for name, h := range map[string]http.HandlerFunc{
		"200": tokenReply(),
		"401": reply(401, "Access denied"),
		"429": reply(429, "Too many requests", "Retry-After: 300"),
	} {
		t.Run(name, func(t *testing.T) {
			store := &attemptStore{Store: NewMemoryStore(), key: key{}}
			srv := newTestServer(t, h)
			a := newTestAuth(t, srv.URL, func(c *AuthConfig) {
				c.Store = store
				c.Hooks = &Hooks{AuthenticateStart: func(ctx context.Context, _ int) context.Context {
					return context.WithValue(ctx, key{}, 1)
				}}
			})
			_, _ = a.Token(t.Context())
			store.mu.Lock()
			defer store.mu.Unlock()
			if len(store.merges) == 0 {
				t.Fatal("no guard write")
			}
			for i, under := range store.merges {
				if !under {
					t.Errorf("guard write %d of %d ran under the caller's context, not the attempt's", i+1, len(store.merges))
				}
			}
		})
	}
}
