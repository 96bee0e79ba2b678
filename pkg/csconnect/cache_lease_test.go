package csconnect

import (
	"context"
	"testing"
	"testing/synctest"
	"time"
)

// racingStore is a Store in which another process saves a fresh token and releases
// its lease just before this process's AcquireLease: the gap between the cache's look
// at the store and its lease.
type racingStore struct {
	Store
	other *Token
}

func (s *racingStore) AcquireLease(ctx context.Context, key string, ttl time.Duration) (func(), bool, error) {
	if s.other != nil {
		_ = s.Store.SaveToken(ctx, key, s.other)
		s.other = nil
	}
	return s.Store.AcquireLease(ctx, key, ttl)
}

// TestCacheStoreRechecksAfterLease: a cache that wins the lease after another
// process saved a token adopts that token instead of authenticating (seen in the
// fleet demonstration as a second authenticate call in one refresh).
func TestCacheStoreRechecksAfterLease(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		other := &Token{Value: fakeJWT(`{"sub":"saved-in-the-gap"}`), Fetched: time.Now(), Expiry: time.Now().Add(hour)}
		store := &racingStore{Store: newMemoryStore(), other: other}
		src := nowSource()
		c := newTestCache(t, src, nil, storeOpts(store))
		if got := mustToken(t, c); got.Value != other.Value {
			t.Errorf("Token() = %v; want the token saved before the lease", got)
		}
		if n := src.calls.Load(); n != 0 {
			t.Errorf("source calls = %d; want 0", n)
		}
	})
}

// TestCacheStoreTakesOverLapsedLease: a holder that died leaves its lease to lapse;
// a waiting cache takes it over then (not a whole LeaseTTL after it began waiting),
// fetches once and shares the token.
func TestCacheStoreTakesOverLapsedLease(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		store := newMemoryStore()
		if _, ok, _ := store.AcquireLease(context.Background(), storeKey, time.Second); !ok { // the dead holder's
			t.Fatal("AcquireLease() on an empty store: not held")
		}
		src := nowSource()
		opts := storeOpts(store)
		opts.leaseTTL, opts.pollInterval = 10*time.Second, 100*time.Millisecond
		c := newTestCache(t, src, nil, opts)
		start := time.Now()
		got := mustToken(t, c)
		if d := time.Since(start); d < time.Second || d > time.Second+opts.pollInterval {
			t.Errorf("Token() fetched after %v; want just after the dead holder's lease lapsed (1s)", d)
		}
		if n := src.calls.Load(); n != 1 {
			t.Errorf("source calls = %d; want 1", n)
		}
		if saved, _ := store.LoadToken(context.Background(), storeKey); saved != got {
			t.Errorf("store token = %v; want the fetched %v", saved, got)
		}
		if _, ok, _ := store.AcquireLease(context.Background(), storeKey, time.Second); !ok {
			t.Errorf("lease still held after the fetch; want it released")
		}
	})
}
