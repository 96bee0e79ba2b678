package filestore

import (
	"sync"
	"testing"
	"time"

	"github.com/csconnect/csconnect/internal/storetest"
	"github.com/csconnect/csconnect/pkg/csconnect"
)

func TestGuardRoundTrip(t *testing.T) {
	s := newTestStore(t, Options{})
	if got, err := s.LoadGuard(t.Context(), "fp"); !storetest.Same(got, csconnect.GuardState{}) || err != nil {
		t.Fatalf("LoadGuard of nothing = %+v, %v; want zero, nil", got, err)
	}
	want := sampleGuard().Merge(storetest.LockedUntil(time.Now().Add(time.Minute)))
	if _, err := s.MergeGuard(t.Context(), "fp", want); err != nil {
		t.Fatal(err)
	}
	if got, err := newStoreOn(t, s.Dir()).LoadGuard(t.Context(), "fp"); err != nil || !storetest.Same(got, want) {
		t.Errorf("LoadGuard = %+v, %v; want %+v", got, err, want)
	}
	// A reset is a merge too: what it cleared stays cleared.
	reset := csconnect.GuardState{ResetAt: time.Now().Add(2 * time.Minute).UTC().Round(0)}
	if _, err := s.MergeGuard(t.Context(), "fp", reset); err != nil {
		t.Fatal(err)
	}
	if got, err := s.LoadGuard(t.Context(), "fp"); !storetest.Same(got, want.Merge(reset)) || err != nil {
		t.Errorf("LoadGuard after a reset = %+v, %v; want %+v", got, err, want.Merge(reset))
	}
}

// MergeGuard stores stored.Merge(new): an earlier lockout recorded later, with a
// rejected pair, does not shorten the stored lockout.
func TestMergeGuard(t *testing.T) {
	s := newTestStore(t, Options{})
	now := time.Now()
	first := storetest.LockedUntil(now.Add(time.Hour))
	second := storetest.LockedUntil(now.Add(time.Minute)).Merge(storetest.Rejected("pair", now.Add(time.Hour)))
	for _, st := range []csconnect.GuardState{first, second} {
		if _, err := s.MergeGuard(t.Context(), "fp", st); err != nil {
			t.Fatal(err)
		}
	}
	want := first.Merge(second)
	if storetest.Same(want, second) || storetest.Same(want, first) {
		t.Fatalf("test states do not exercise the merge: %+v", want)
	}
	if got, err := s.LoadGuard(t.Context(), "fp"); err != nil || !storetest.Same(got, want) {
		t.Errorf("LoadGuard after two merges = %+v, %v; want %+v", got, err, want)
	}
}

// Processes (stores with their own file descriptions) merging at the same instant
// lose no record: every round, one records a rejected pair while the others record
// lockouts, and the stored state is the merge of them all.
func TestMergeGuardConcurrent(t *testing.T) {
	const writers, rounds = 6, 20
	dirPath := newTestStore(t, Options{}).Dir()
	stores := make([]*Store, writers)
	for i := range stores {
		s, err := New(Options{Dir: dirPath, Timeout: 10 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		stores[i] = s
	}
	base := time.Now().Add(time.Hour)
	states := make([]csconnect.GuardState, writers)
	want := csconnect.GuardState{}
	for i := range states {
		states[i] = storetest.LockedUntil(base.Add(time.Duration(i) * time.Second))
		if i == 0 {
			states[i] = storetest.Rejected("pair", base)
		}
		want = want.Merge(states[i])
	}
	for round := range rounds {
		key := "fp" + string(rune('a'+round))
		var wg sync.WaitGroup
		for i, s := range stores {
			wg.Go(func() {
				if _, err := s.MergeGuard(t.Context(), key, states[i]); err != nil {
					t.Errorf("MergeGuard = %v", err)
				}
			})
		}
		wg.Wait()
		if got, err := stores[0].LoadGuard(t.Context(), key); err != nil || !storetest.Same(got, want) {
			t.Fatalf("round %d: LoadGuard = %+v, %v; want %+v", round, got, err, want)
		}
	}
}
