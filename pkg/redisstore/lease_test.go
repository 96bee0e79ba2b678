package redisstore

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestLeaseMutualExclusion(t *testing.T) {
	s, raw, _ := newTestStore(t, Options{})
	others := []*Store{s, storeOn(t, raw, Options{}), storeOn(t, raw, Options{})}
	const n = 30
	var holders atomic.Int32
	var wg sync.WaitGroup
	releases := make(chan func(), n)
	for i := range n {
		wg.Go(func() {
			rel, ok, err := others[i%len(others)].AcquireLease(ctxT(t), "fp", time.Minute)
			if err != nil {
				t.Errorf("AcquireLease = %v", err)
			}
			if ok {
				holders.Add(1)
				releases <- rel
			}
		})
	}
	wg.Wait()
	if got := holders.Load(); got != 1 {
		t.Fatalf("AcquireLease by %d callers: %d holders; want 1", n, got)
	}
	ttl := raw.PTTL(ctxT(t), DefaultPrefix+"lease:fp").Val()
	if ttl <= 0 || ttl > time.Minute {
		t.Errorf("PTTL(lease) = %v; want in (0, 1m]", ttl)
	}
	rel := <-releases
	rel()
	rel() // idempotent
	if _, ok, err := s.AcquireLease(ctxT(t), "fp", time.Minute); !ok || err != nil {
		t.Errorf("AcquireLease after release = %t, %v; want true, nil", ok, err)
	}
}

// A holder whose lease lapsed (and was taken by another) must not delete the new
// holder's lease when it finally releases.
func TestLeaseReleaseAfterExpiryKeepsNewOwner(t *testing.T) {
	s, raw, _ := newTestStore(t, Options{})
	name := DefaultPrefix + "lease:fp"
	relA, ok, err := s.AcquireLease(ctxT(t), "fp", time.Minute)
	if !ok || err != nil {
		t.Fatalf("AcquireLease(A) = %t, %v", ok, err)
	}
	raw.Del(ctxT(t), name) // what expiry does, without waiting for it
	relB, ok, err := s.AcquireLease(ctxT(t), "fp", time.Minute)
	if !ok || err != nil {
		t.Fatalf("AcquireLease(B) after A lapsed = %t, %v", ok, err)
	}
	ownerB := raw.Get(ctxT(t), name).Val()
	relA()
	if got := raw.Get(ctxT(t), name).Val(); got != ownerB {
		t.Fatalf("after A's late release the lease is %q; want B's %q", got, ownerB)
	}
	if _, ok, _ := s.AcquireLease(ctxT(t), "fp", time.Minute); ok {
		t.Errorf("AcquireLease(C) while B holds = true; want false")
	}
	relB()
	if n := raw.Exists(ctxT(t), name).Val(); n != 0 {
		t.Errorf("after B's release the lease still exists")
	}
}

// A lease lapses by itself: a holder that dies delays the others by at most ttl.
func TestLeaseLapses(t *testing.T) {
	s, _, _ := newTestStore(t, Options{})
	if _, ok, err := s.AcquireLease(ctxT(t), "fp", 20*time.Millisecond); !ok || err != nil {
		t.Fatalf("AcquireLease = %t, %v", ok, err)
	}
	// Redis expires the key on its own clock; ask until it does, bounded.
	deadline := time.Now().Add(2 * time.Second)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for range tick.C {
		_, ok, err := s.AcquireLease(ctxT(t), "fp", time.Minute)
		if err != nil {
			t.Fatalf("AcquireLease = %v", err)
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("lease with a 20ms ttl still held after 2s")
		}
	}
}

func TestLeaseRejectsBadTTL(t *testing.T) {
	s, _, _ := newTestStore(t, Options{})
	for _, ttl := range []time.Duration{0, -time.Second} {
		rel, ok, err := s.AcquireLease(ctxT(t), "fp", ttl)
		if ok || err == nil || rel == nil {
			t.Errorf("AcquireLease(ttl %v) = %t, %v; want false, an error and a no-op release", ttl, ok, err)
		}
	}
}
