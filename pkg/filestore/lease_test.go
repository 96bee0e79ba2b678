package filestore

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// In one process, of many goroutines each with its own store (its own file
// descriptions), exactly one holds the lease, until it releases it.
func TestLeaseMutualExclusion(t *testing.T) {
	d := newTestStore(t, Options{}).Dir()
	var winners atomic.Int32
	releases := make(chan func(), 16)
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			s, err := New(Options{Dir: d, Timeout: 10 * time.Second})
			if err != nil {
				t.Error(err)
				return
			}
			release, ok, err := s.AcquireLease(t.Context(), "fp", time.Minute)
			if err != nil {
				t.Error(err)
			}
			if ok {
				winners.Add(1)
				releases <- release
			}
		})
	}
	wg.Wait()
	if got := winners.Load(); got != 1 {
		t.Fatalf("lease holders = %d; want 1", got)
	}
	s := newStoreOn(t, d)
	if _, ok, _ := s.AcquireLease(t.Context(), "fp", time.Minute); ok {
		t.Fatal("AcquireLease while held = true")
	}
	if _, ok, _ := s.AcquireLease(t.Context(), "other", time.Minute); !ok {
		t.Error("AcquireLease of another key = false; want true")
	}
	release := <-releases
	release()
	release() // twice is safe
	r2, ok, err := s.AcquireLease(t.Context(), "fp", time.Minute)
	if !ok || err != nil {
		t.Fatalf("AcquireLease after release = %t, %v; want true", ok, err)
	}
	r2()
}

// A lease whose ttl has passed is taken over even while its holder lives, and the old
// holder's late release leaves the new holder's lease in place.
func TestLeaseLapsesAndLateReleaseKeepsNewOwner(t *testing.T) {
	now := time.Now()
	a, b := newTestStore(t, Options{}), (*Store)(nil)
	b = newStoreOn(t, a.Dir())
	fixedNow(a, now)
	fixedNow(b, now)
	releaseA, ok, err := a.AcquireLease(t.Context(), "fp", time.Second)
	if !ok || err != nil {
		t.Fatalf("AcquireLease = %t, %v", ok, err)
	}
	if _, ok, _ := b.AcquireLease(t.Context(), "fp", time.Second); ok {
		t.Fatal("AcquireLease before the ttl = true; want false")
	}
	fixedNow(b, now.Add(time.Second))
	releaseB, ok, err := b.AcquireLease(t.Context(), "fp", time.Minute)
	if !ok || err != nil {
		t.Fatalf("AcquireLease after the ttl = %t, %v; want true", ok, err)
	}
	releaseA() // late: must not free b's lease
	c := newStoreOn(t, a.Dir())
	fixedNow(c, now.Add(2*time.Second))
	if _, ok, _ := c.AcquireLease(t.Context(), "fp", time.Minute); ok {
		t.Fatal("AcquireLease after the old holder's late release = true; want false (b holds it)")
	}
	releaseB()
	if r, ok, _ := c.AcquireLease(t.Context(), "fp", time.Minute); !ok {
		t.Error("AcquireLease after b's release = false; want true")
	} else {
		r()
	}
}

// An unreadable lease record is no lease.
func TestLeaseOverCorruptRecord(t *testing.T) {
	s := newTestStore(t, Options{})
	if err := s.update(t.Context(), "lease", "fp", func() error { return s.dir.put("lease.fp", []byte("junk")) }); err != nil {
		t.Fatal(err)
	}
	r, ok, err := s.AcquireLease(t.Context(), "fp", time.Minute)
	if !ok || err != nil {
		t.Fatalf("AcquireLease over a corrupt record = %t, %v; want true", ok, err)
	}
	r()
}

func TestLeaseRejectsBadTTL(t *testing.T) {
	s := newTestStore(t, Options{})
	for _, ttl := range []time.Duration{0, -time.Second} {
		if _, ok, err := s.AcquireLease(t.Context(), "fp", ttl); ok || err == nil {
			t.Errorf("AcquireLease(ttl %v) = %t, %v; want false and an error", ttl, ok, err)
		}
	}
}

// newStoreOn opens another store on d, as another process would.
func newStoreOn(t *testing.T, d string) *Store {
	t.Helper()
	s, err := New(Options{Dir: d})
	if err != nil {
		t.Fatal(err)
	}
	return s
}
