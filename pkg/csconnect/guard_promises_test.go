package csconnect

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/csconnect/csconnect/internal/testlog"
)

// Tests of the guard's and the Cache's promises under attack: a Store that forgets,
// stalls or lies, storms of failures, calls that send nothing (issue 10).

// forgetGuards drops every guard record of an in-process store: what FLUSHALL, a
// Redis restart without persistence, an eviction or a TTL does to a shared record.
func forgetGuards(m *memoryStore) {
	m.mu.Lock()
	defer m.mu.Unlock()
	clear(m.guards)
}

// passwordServer answers 401 to every password but right, and counts the requests
// per password.
type passwordServer struct {
	*testServer
	mu   sync.Mutex
	sent map[string]int
}

func newPasswordServer(t *testing.T, right string) *passwordServer {
	p := &passwordServer{sent: map[string]int{}}
	p.testServer = newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		var body map[string]string
		_ = json.NewDecoder(r.Body).Decode(&body)
		p.mu.Lock()
		p.sent[body["password"]]++
		p.mu.Unlock()
		if body["password"] == right {
			tokenReply()(w, r)
			return
		}
		reply(http.StatusUnauthorized, "Access denied")(w, r)
	})
	return p
}

func (p *passwordServer) count(pw string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.sent[pw]
}

// TestGuardNeverForgetsRejectedPair: a pair rejected in a process is not sent again
// by it, whatever happens to the Store's record (lost, or overwritten by another
// process's rejection), until a reset; the shared record keeps every recent
// rejected pair of the username.
func TestGuardNeverForgetsRejectedPair(t *testing.T) {
	t.Parallel()
	const rounds = 5
	t.Run("record lost", func(t *testing.T) {
		srv := newPasswordServer(t, "right-password")
		store := newMemoryStore()
		a := newTestAuth(t, srv.URL, func(c *AuthConfig) { c.Store = store })
		for range rounds {
			_, _ = a.Token(context.Background())
			forgetGuards(store) // FLUSHALL, eviction, TTL, restart without persistence
			a.clock.advance(defaultPermanentBackoff)
		}
		if got := srv.count(testPassword); got != 1 {
			t.Errorf("rejected password sent %d times in %d rounds with the store losing its record; want 1", got, rounds)
		}
	})
	t.Run("two wrong passwords", func(t *testing.T) {
		srv := newPasswordServer(t, "right-password")
		store := newMemoryStore()
		a := newTestAuth(t, srv.URL, func(c *AuthConfig) { c.Store = store; c.Password = "wrong-one" })
		b := newTestAuth(t, srv.URL, func(c *AuthConfig) { c.Store = store; c.Password = "wrong-two" })
		for range rounds {
			_, _ = a.Token(context.Background())
			_, _ = b.Token(context.Background())
			a.clock.advance(defaultPermanentBackoff)
			b.clock.advance(defaultPermanentBackoff)
		}
		for _, pw := range []string{"wrong-one", "wrong-two"} {
			if got := srv.count(pw); got != 1 {
				t.Errorf("password %s sent %d times in %d rounds by two processes with two wrong passwords; want 1", pw, got, rounds)
			}
		}
		// A third process learns both rejections from the shared record.
		for _, pw := range []string{"wrong-one", "wrong-two"} {
			c := newTestAuth(t, srv.URL, func(c *AuthConfig) { c.Store = store; c.Password = pw })
			c.clock.advance(rounds * defaultPermanentBackoff)
			if _, err := c.Token(context.Background()); !errors.As(err, new(*GuardError)) {
				t.Errorf("third process with %s: Token() = %v; want a *GuardError from the shared record", pw, err)
			}
		}
		if got := srv.count("wrong-one") + srv.count("wrong-two"); got != 2 {
			t.Errorf("wrong passwords sent %d times in all; want 2", got)
		}
	})
	t.Run("reset is recorded", func(t *testing.T) {
		srv := newPasswordServer(t, "right-password")
		store := newMemoryStore()
		a := newTestAuth(t, srv.URL, func(c *AuthConfig) { c.Store = store })
		b := newTestAuth(t, srv.URL, func(c *AuthConfig) { c.Store = store })
		_, _ = a.Token(context.Background())
		if _, err := b.Token(context.Background()); !errors.As(err, new(*GuardError)) {
			t.Fatalf("b.Token() after a's 401 = %v; want a *GuardError", err)
		}
		if err := a.ResetGuard(context.Background()); err != nil {
			t.Fatal(err)
		}
		// The reset reaches b: it sends once more, is rejected, and stops again.
		for range 3 {
			a.clock.advance(time.Second)
			b.clock.advance(time.Second)
			_, _ = b.Token(context.Background())
		}
		if got := srv.count(testPassword); got != 2 {
			t.Errorf("password sent %d times (one 401, a reset, then three tries by another process); want 2", got)
		}
	})
}

// stallingStore ignores its context: every call blocks until the test ends.
type stallingStore struct {
	*memoryStore
	stall chan struct{}
}

func (s stallingStore) LoadToken(context.Context, string) (*Token, error) {
	<-s.stall
	return nil, errStoreDown
}

func (s stallingStore) SaveToken(context.Context, string, *Token) error {
	<-s.stall
	return errStoreDown
}

func (s stallingStore) AcquireLease(context.Context, string, time.Duration) (func(), bool, error) {
	<-s.stall
	return func() {}, false, errStoreDown
}

func (s stallingStore) LoadGuard(context.Context, string) (GuardState, error) {
	<-s.stall
	return GuardState{}, errStoreDown
}

// TestStoreIgnoringContextCannotStall: a Store that ignores its context costs a
// Token call a few StoreTimeouts, not the caller's deadline, and Close returns.
func TestStoreIgnoringContextCannotStall(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		store := stallingStore{memoryStore: newMemoryStore(), stall: make(chan struct{})}
		defer close(store.stall) // lets the abandoned calls end with the bubble
		src := nowSource()
		c := NewCache(src, CacheOptions{store: store, storeKey: storeKey})
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		start := time.Now()
		_, err := c.Token(ctx)
		// LoadToken, AcquireLease and SaveToken each give up after StoreTimeout.
		d := time.Since(start)
		t.Logf("Token() over a store that ignores its context: %v", d)
		if err != nil || d > 3*defaultStoreTimeout {
			t.Fatalf("Token() over a stalling store = %v after %v; want a token within %v", err, d, 3*defaultStoreTimeout)
		}

		// A refresh stalls in the store; Close must still return, within StoreTimeout.
		c.Invalidate(mustToken(t, c))
		go func() { _, _ = c.Token(context.Background()) }()
		synctest.Wait()
		closed := make(chan time.Duration)
		go func() {
			start := time.Now()
			_ = c.Close()
			closed <- time.Since(start)
		}()
		select {
		case d := <-closed:
			t.Logf("Close() with a fetch stalled in the store: returned after %v", d)
			if d > defaultStoreTimeout {
				t.Errorf("Close() returned after %v; want within StoreTimeout (%v)", d, defaultStoreTimeout)
			}
		case <-time.After(time.Hour):
			t.Errorf("Close() over a stalling store has not returned after an hour")
		}
	})
}

// TestGuardIdenticalRequestLimit: when authenticate answers 500 for minutes, at
// most 5 identical requests go out in any 2 minutes, whatever the number of Token
// calls and retries, and the limit holds across processes sharing a Store.
func TestGuardIdenticalRequestLimit(t *testing.T) {
	t.Parallel()
	for _, procs := range []int{1, 2} {
		t.Run(map[int]string{1: "one process", 2: "two processes sharing a store"}[procs], func(t *testing.T) {
			clock := newFakeClock()
			var mu sync.Mutex
			var sent []time.Time
			srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				sent = append(sent, clock.now())
				mu.Unlock()
				reply(http.StatusInternalServerError, "oops")(w, r)
			})
			store := newMemoryStore()
			auths := make([]*testAuth, procs)
			for i := range auths {
				auths[i] = newTestAuth(t, srv.URL, func(c *AuthConfig) {
					c.Store, c.now = store, clock.now
					c.sleep = func(ctx context.Context, d time.Duration) error { clock.advance(d); return ctx.Err() }
				})
			}
			// 12 fetches in 2 minutes (one every 10 s), then on for 10 minutes.
			for range 72 {
				for _, a := range auths {
					_, _ = a.Token(context.Background())
				}
				clock.advance(10 * time.Second)
			}
			mu.Lock()
			defer mu.Unlock()
			most := 0
			for i := range sent {
				n := 0
				for _, s := range sent[i:] {
					if s.Sub(sent[i]) < 2*time.Minute {
						n++
					}
				}
				most = max(most, n)
			}
			t.Logf("identical authenticate requests in a 500 storm: at most %d in any 2 minutes, %d in 12 minutes", most, len(sent))
			if most > maxIdenticalRequests {
				t.Errorf("identical authenticate requests in a 2-minute 500 storm: at most %d in 2 minutes (%d in all); want at most %d", most, len(sent), maxIdenticalRequests)
			}
			if len(sent) == 0 {
				t.Errorf("no request sent; want the limit to let some through")
			}
		})
	}
}

// TestGuardIdenticalLimitSparesSuccesses: requests that get a token do not count
// toward the limit (the vendor counts identical invalid requests), so a process
// whose tokens are short-lived (the fleet demonstration's last 15 s) is not held up.
func TestGuardIdenticalLimitSparesSuccesses(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t, tokenReply())
	store := newMemoryStore()
	a := newTestAuth(t, srv.URL, func(c *AuthConfig) { c.Store = store })
	for i := range 3 * maxIdentical {
		if _, err := a.Token(context.Background()); err != nil {
			t.Fatalf("Token() #%d in the same instant, all answered 200 = %v; want a token", i+1, err)
		}
	}
	// The record in the Store holds no send a success cleared.
	if st, _ := store.LoadGuard(context.Background(), store.Fingerprint(testUser)); len(st.sent) != 0 || len(st.succeeded) != 1 {
		t.Errorf("guard record after successes = %+v; want no sends and one success", st)
	}
}

// maxIdenticalRequests is the vendor's limit: 5 identical requests in 2 minutes.
const maxIdenticalRequests = 5

// fakeJWT returns an unsigned JWT whose claims are claims (a JSON object).
func fakeJWT(claims string) string {
	enc := base64.RawURLEncoding
	return enc.EncodeToString([]byte(`{"alg":"none"}`)) + "." + enc.EncodeToString([]byte(claims)) + "."
}

// TestStoredStateCheckedLikeTheWire: a token planted in the Store gets the checks of
// a fresh one (shape, header-safe, at most an hour of life), and a planted lockout is
// capped as a Retry-After is.
func TestStoredStateCheckedLikeTheWire(t *testing.T) {
	t.Parallel()
	planted := map[string]*Token{
		"CRLF":             {Value: "a.b.c\r\nX-Evil: 1", Fetched: time.Now(), Expiry: time.Now().AddDate(10, 0, 0)},
		"not a JWT":        {Value: "opaque", Fetched: time.Now(), Expiry: time.Now().Add(time.Hour)},
		"ten-year expiry":  {Value: fakeJWT(`{"sub":"x"}`), Fetched: time.Now(), Expiry: time.Now().AddDate(10, 0, 0)},
		"fetched tomorrow": {Value: fakeJWT(`{"sub":"y"}`), Fetched: time.Now().AddDate(0, 0, 1), Expiry: time.Now().AddDate(0, 0, 1).Add(time.Hour)},
	}
	for name, tok := range planted {
		t.Run("token "+name, func(t *testing.T) {
			store := newMemoryStore()
			_ = store.SaveToken(context.Background(), storeKey, tok)
			src := &fakeSource{fn: func(_ context.Context, n int64) (*Token, error) {
				now := time.Now()
				return &Token{Value: fakeJWT(`{"n":1}`), Fetched: now, Expiry: now.Add(time.Hour)}, nil
			}}
			logs := &testlog.Buffer{}
			opts := storeOpts(store)
			opts.logger = slog.New(slog.NewTextHandler(logs, nil))
			c := newTestCache(t, src, nil, opts)
			for range 2 {
				got := mustToken(t, c)
				if got.Value == tok.Value || strings.ContainsAny(got.Value, "\r\n") || !isJWTShape(got.Value) || got.Expiry.After(time.Now().Add(tokenLifetime)) {
					t.Errorf("Token() with a planted token (%s) = %v; want it ignored", name, got)
				}
				c.Invalidate(got)
				_ = store.SaveToken(context.Background(), storeKey, tok) // planted again
			}
			if n := strings.Count(logs.String(), "ignoring a token from the store"); n != 1 {
				t.Errorf("log lines about the planted token = %d; want 1:\n%s", n, logs)
			}
			if strings.Contains(logs.String(), tok.Value) {
				t.Errorf("logs contain the planted token:\n%s", logs)
			}
		})
	}
	t.Run("token legitimately shared", func(t *testing.T) {
		store := newMemoryStore()
		now := time.Now()
		shared := &Token{Value: fakeJWT(`{"n":2}`), Fetched: now.Add(-time.Minute), Expiry: now.Add(-time.Minute).Add(tokenLifetime)}
		_ = store.SaveToken(context.Background(), storeKey, shared)
		src := &fakeSource{fn: func(context.Context, int64) (*Token, error) { return nil, errors.New("not called") }}
		if got := mustToken(t, newTestCache(t, src, nil, storeOpts(store))); got != shared {
			t.Errorf("Token() with a token another process shared = %v; want it adopted", got)
		}
	})
	t.Run("lockout until 9999", func(t *testing.T) {
		store := newMemoryStore()
		srv := newTestServer(t, tokenReply())
		a := newTestAuth(t, srv.URL, func(c *AuthConfig) { c.Store = store })
		store.MergeGuard(context.Background(), store.Fingerprint(testUser), GuardState{lockedUntil: time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), lockedAt: a.clock.now()})
		_, err := a.Token(context.Background())
		var ge *GuardError
		if !errors.As(err, &ge) || ge.Wait > maxRetryAfter {
			t.Errorf("Token() under a planted lockout = %v; want a *GuardError waiting at most %v", err, maxRetryAfter)
		}
		a.clock.advance(maxRetryAfter)
		if _, err := a.Token(context.Background()); err != nil {
			t.Errorf("Token() %v after a planted lockout = %v; want a token", maxRetryAfter, err)
		}
		// Recorded in the future: not believed at all.
		store.MergeGuard(context.Background(), store.Fingerprint(testUser), GuardState{lockedUntil: time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), lockedAt: time.Date(9998, 1, 1, 0, 0, 0, 0, time.UTC)})
		if _, err := a.Token(context.Background()); err != nil {
			t.Errorf("Token() under a lockout recorded in 9998 = %v; want a token", err)
		}
	})
}

// TestBudgetSpentOnlyBySentRequests: calls that send nothing (a cancelled context,
// a connection refused) leave the budget as it was.
func TestBudgetSpentOnlyBySentRequests(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t, tokenReply())
	a := newTestAuth(t, srv.URL)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for range 400 {
		_, _ = a.Token(ctx)
	}
	if got := a.guard.budgetLeft(a.now()); got != defaultBudget {
		t.Errorf("budget after 400 calls with a cancelled context = %d of %d; want %d", got, defaultBudget, defaultBudget)
	}
	if _, err := a.Token(context.Background()); err != nil {
		t.Errorf("Token() after the cancelled calls = %v; want a token", err)
	}

	refused := newTestServer(t, tokenReply())
	refused.Close() // connection refused: nothing sent
	b := newTestAuth(t, refused.URL)
	for range 40 {
		_, _ = b.Token(context.Background())
	}
	if got := b.guard.budgetLeft(b.now()); got != defaultBudget {
		t.Errorf("budget after 40 calls refused at connection = %d of %d; want %d", got, defaultBudget, defaultBudget)
	}
}

// budgetLeft returns how many authenticate requests the budget allows at now; -1
// when there is no budget. (GuardStatus no longer reports it; the tests do.)
func (g *guard) budgetLeft(now time.Time) int {
	if g.limiter == nil {
		return -1
	}
	return int(g.limiter.TokensAt(now))
}
