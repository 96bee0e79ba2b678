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
	synctest.Test(t, func(t *testing.T) {
		other := &Token{Value: "saved-in-the-gap", Fetched: time.Now(), Expiry: time.Now().Add(hour)}
		store := &racingStore{Store: NewMemoryStore(), other: other}
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
