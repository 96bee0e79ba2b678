package csconnect

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

const storeKey = "fp-user"

// flakyStore wraps a Store; while down is set every call fails (or, with hang, blocks
// until its context ends). It counts calls.
type flakyStore struct {
	Store
	down, hang atomic.Bool
	calls      atomic.Int64
}

var errStoreDown = errors.New("store down")

func (s *flakyStore) fail(ctx context.Context) error {
	s.calls.Add(1)
	if s.hang.Load() {
		<-ctx.Done()
		return ctx.Err()
	}
	if s.down.Load() {
		return errStoreDown
	}
	return nil
}

func (s *flakyStore) LoadToken(ctx context.Context, key string) (*Token, error) {
	if err := s.fail(ctx); err != nil {
		return nil, err
	}
	return s.Store.LoadToken(ctx, key)
}

func (s *flakyStore) SaveToken(ctx context.Context, key string, t *Token) error {
	if err := s.fail(ctx); err != nil {
		return err
	}
	return s.Store.SaveToken(ctx, key, t)
}

func (s *flakyStore) AcquireLease(ctx context.Context, key string, ttl time.Duration) (func(), bool, error) {
	if err := s.fail(ctx); err != nil {
		return nil, false, err
	}
	return s.Store.AcquireLease(ctx, key, ttl)
}

// nowSource returns a source whose tokens are fetched at time.Now (the synctest
// clock inside a bubble).
func nowSource() *fakeSource {
	return &fakeSource{fn: func(_ context.Context, n int64) (*Token, error) { return tokenAt(n, time.Now()), nil }}
}

func storeOpts(s Store) CacheOptions { return CacheOptions{store: s, storeKey: storeKey} }

func TestCacheStoreAdoptsSavedToken(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		store := newMemoryStore()
		saved := &Token{Value: fakeJWT(`{"sub":"from-another-process"}`), Fetched: time.Now(), Expiry: time.Now().Add(hour)}
		_ = store.SaveToken(context.Background(), storeKey, saved)
		src := nowSource()
		c := newTestCache(t, src, nil, storeOpts(store))
		if got := mustToken(t, c); got.Value != saved.Value {
			t.Errorf("Token() = %v; want the stored token", got)
		}
		if n := src.calls.Load(); n != 0 {
			t.Errorf("source calls = %d; want 0", n)
		}
		if s := c.counts(); s.StoreAdopted != 1 {
			t.Errorf("Stats().StoreAdopted = %d; want 1", s.StoreAdopted)
		}
	})
}

func TestCacheStoreSkipsUnusableTokens(t *testing.T) {
	t.Parallel()
	tests := map[string]time.Duration{ // remaining life of the stored token
		"expired":   -time.Second,
		"mandatory": 30 * time.Second,
	}
	for name, left := range tests {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				store := newMemoryStore()
				store.now = func() time.Time { return time.Now().Add(-time.Hour) } // keep expired tokens loadable
				_ = store.SaveToken(context.Background(), storeKey, &Token{Value: "stale", Expiry: time.Now().Add(left)})
				src := nowSource()
				c := newTestCache(t, src, nil, storeOpts(store))
				if got := mustToken(t, c); got.Value != "tok-1" {
					t.Errorf("Token() with a stored token %v from expiry = %v; want a fetched one", left, got)
				}
			})
		})
	}
}

func TestCacheStoreLeaseHolderFetchesAndSaves(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		store := newMemoryStore()
		src := nowSource()
		c := newTestCache(t, src, nil, storeOpts(store))
		got := mustToken(t, c)
		saved, _ := store.LoadToken(context.Background(), storeKey)
		if saved != got {
			t.Errorf("store token after a fetch = %v; want %v", saved, got)
		}
		if _, ok, _ := store.AcquireLease(context.Background(), storeKey, time.Second); !ok {
			t.Errorf("lease still held after the fetch; want it released")
		}
	})
}

// TestCacheStoreWaitsForHolder: while another process holds the lease, the cache
// polls the store and adopts the holder's token instead of authenticating.
func TestCacheStoreWaitsForHolder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := newMemoryStore()
		release, ok, _ := store.AcquireLease(context.Background(), storeKey, time.Minute)
		if !ok {
			t.Fatal("AcquireLease() on an empty store: not held")
		}
		defer release()
		src := nowSource()
		c := newTestCache(t, src, nil, storeOpts(store))
		got := make(chan *Token, 1)
		go func() { got <- tryToken(t, c) }()
		time.Sleep(time.Second) // fake time inside the bubble: the holder takes a second
		holders := &Token{Value: fakeJWT(`{"sub":"holders"}`), Fetched: time.Now(), Expiry: time.Now().Add(hour)}
		_ = store.SaveToken(context.Background(), storeKey, holders)
		if tok := <-got; tok.Value != holders.Value {
			t.Errorf("Token() while another process holds the lease = %v; want the holder's token", tok)
		}
		if n := src.calls.Load(); n != 0 {
			t.Errorf("source calls = %d; want 0", n)
		}
	})
}

// TestCacheStoreHolderGone: when the holder never saves, the cache fetches itself
// once the lease TTL has passed.
func TestCacheStoreHolderGone(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		store := newMemoryStore()
		_, _, _ = store.AcquireLease(context.Background(), storeKey, time.Hour)
		src := nowSource()
		c := newTestCache(t, src, nil, CacheOptions{store: store, storeKey: storeKey, leaseTTL: 3 * time.Second})
		start := time.Now()
		if got := mustToken(t, c); got.Value != "tok-1" {
			t.Errorf("Token() = %v; want tok-1", got)
		}
		if d := time.Since(start); d != 3*time.Second {
			t.Errorf("Token() fetched after %v; want the lease TTL, 3s", d)
		}
	})
}

// TestCacheStoreFailureFallsBack: a failing store costs nothing but a log line per
// outage; the cache fetches locally and rejoins when the store recovers.
func TestCacheStoreFailureFallsBack(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		store := &flakyStore{Store: newMemoryStore()}
		store.down.Store(true)
		logger, logs := newTestLogger()
		src := nowSource()
		opts := storeOpts(store)
		opts.logger = logger
		c := newTestCache(t, src, nil, opts)
		for i := range 3 {
			tok := mustToken(t, c)
			if want := int64(i + 1); src.calls.Load() != want {
				t.Fatalf("source calls = %d; want %d", src.calls.Load(), want)
			}
			c.Invalidate(tok)
		}
		if n := countLines(logs, "token store failed"); n != 1 {
			t.Errorf("store failure logged %d times; want once\n%s", n, logs)
		}
		store.down.Store(false)
		tok := mustToken(t, c)
		if saved, _ := store.Store.LoadToken(context.Background(), storeKey); saved != tok {
			t.Errorf("store token after recovery = %v; want %v", saved, tok)
		}
		if n := countLines(logs, "token store recovered"); n != 1 {
			t.Errorf("store recovery logged %d times; want once\n%s", n, logs)
		}
		if s := c.counts(); s.StoreErrors != 9 {
			t.Errorf("Stats().StoreErrors = %d; want 9 (load, lease and save per fetch)", s.StoreErrors)
		}
	})
}

func TestCacheStoreTimeout(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		store := &flakyStore{Store: newMemoryStore()}
		store.hang.Store(true)
		src := nowSource()
		c := newTestCache(t, src, nil, CacheOptions{store: store, storeKey: storeKey, storeTimeout: 100 * time.Millisecond})
		start := time.Now()
		mustToken(t, c)
		// load, lease and save each wait their 100 ms.
		if d, calls := time.Since(start), store.calls.Load(); d != time.Duration(calls)*100*time.Millisecond || calls != 3 {
			t.Errorf("Token() with a hanging store took %v for %d store calls; want 100ms each, 3 calls", d, calls)
		}
	})
}

// TestCacheStoreNeverReadoptsRejected: a token a service rejected is not taken back
// from the store, where another process may still have it.
func TestCacheStoreNeverReadoptsRejected(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		store := newMemoryStore()
		shared := &Token{Value: fakeJWT(`{"sub":"shared"}`), Fetched: time.Now(), Expiry: time.Now().Add(hour)}
		_ = store.SaveToken(context.Background(), storeKey, shared)
		src := nowSource()
		c := newTestCache(t, src, nil, storeOpts(store))
		c.Invalidate(mustToken(t, c))
		if got := mustToken(t, c); got.Value != "tok-1" {
			t.Errorf("Token() after Invalidate(stored token) = %v; want a fetched one", got)
		}
	})
}

// TestCacheOverAuthenticatorSharesByPair: a Cache over an *Authenticator shares its
// token through AuthConfig.Store, under the pair's fingerprint: a second process with
// the same credentials adopts it without a request; one with another password (a
// typo, or someone without it) never gets it and authenticates itself. Without a
// Store nothing is shared.
func TestCacheOverAuthenticatorSharesByPair(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	sent := map[string]int{}
	count := func(pw string) int { mu.Lock(); defer mu.Unlock(); return sent[pw] }
	srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		var body map[string]string
		_ = json.NewDecoder(r.Body).Decode(&body)
		mu.Lock()
		sent[body["password"]]++
		mu.Unlock()
		if body["password"] != testPassword {
			reply(http.StatusUnauthorized, "Access denied")(w, r)
			return
		}
		now := time.Now() // the stores keep tokens by the real clock
		tok := signedJWT(t, jwt.MapClaims{"sub": testUser, "iat": now.Unix(), "exp": now.Add(hour).Unix()})
		reply(http.StatusOK, `{"token":"`+tok+`"}`, "Content-Type: application/json")(w, r)
	})
	store := newMemoryStore()
	cacheFor := func(password string, s Store) *Cache {
		a, err := NewAuthenticator(AuthConfig{BaseURL: srv.URL + "/v1", Username: testUser, Password: password, Store: s})
		if err != nil {
			t.Fatal(err)
		}
		c := NewCache(a, CacheOptions{})
		t.Cleanup(func() { _ = c.Close() })
		return c
	}
	if _, err := cacheFor(testPassword, store).Token(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := cacheFor(testPassword, store).Token(context.Background()); err != nil || count(testPassword) != 1 {
		t.Errorf("second process: %v, requests = %d; want the first's token and 1 request", err, count(testPassword))
	}
	if tok, err := cacheFor("wrong-password", store).Token(context.Background()); err == nil || tok != nil || count("wrong-password") != 1 {
		t.Errorf("other password: Token = %v, %v, its requests = %d; want its own 401 and no shared token", tok, err, count("wrong-password"))
	}
	if _, err := cacheFor(testPassword, nil).Token(context.Background()); err != nil || count(testPassword) != 2 {
		t.Errorf("without a Store: %v, requests = %d; want a request of its own (2)", err, count(testPassword))
	}
}

// blankFingerprints is a Store whose Fingerprint is empty whatever it is given (a
// stub, a bug): every account's token key would be the same.
type blankFingerprints struct{ Store }

func (blankFingerprints) Fingerprint(...string) string { return "" }

// TestCacheStoreBlankKeyUnused: a Store whose Fingerprint returns "" would keep every
// account's token (and guard record) under one key, so a Cache over another
// account's Authenticator adopted it. NewAuthenticator does not use such a Store and
// says so, as NewCache did for a CacheOptions.Store without StoreKey before the key
// was derived.
func TestCacheStoreBlankKeyUnused(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		var body map[string]string
		_ = json.NewDecoder(r.Body).Decode(&body)
		now := time.Now()
		tok := signedJWT(t, jwt.MapClaims{"sub": body["username"], "iat": now.Unix(), "exp": now.Add(hour).Unix()})
		reply(http.StatusOK, `{"token":"`+tok+`"}`, "Content-Type: application/json")(w, r)
	})
	store := blankFingerprints{newMemoryStore()}
	logger, logs := newTestLogger()
	tokenOf := func(user string) *Token {
		a, err := NewAuthenticator(AuthConfig{BaseURL: srv.URL + "/v1", Username: user, Password: testPassword, Store: store, Logger: logger})
		if err != nil {
			t.Fatal(err)
		}
		c := NewCache(a, CacheOptions{})
		t.Cleanup(func() { _ = c.Close() })
		tok, err := c.Token(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	if a, b := tokenOf("accountA"), tokenOf("accountB"); a.Value == b.Value {
		t.Error("accountB's cache got accountA's token through a Store with blank fingerprints")
	}
	if countLines(logs, "empty fingerprint") != 2 {
		t.Errorf("log = %s; want one warning per Authenticator about the empty fingerprint", logs)
	}
}
