package filestore

import (
	"sync"
	"testing"
	"time"

	"github.com/csconnect/csconnect/pkg/csconnect"
)

func TestGuardRoundTrip(t *testing.T) {
	s := newTestStore(t, Options{})
	if got, err := s.LoadGuard(t.Context(), "fp"); got != (csconnect.GuardState{}) || err != nil {
		t.Fatalf("LoadGuard of nothing = %+v, %v; want zero, nil", got, err)
	}
	want := sampleGuard()
	want.LockedUntil = time.Now().Add(time.Minute).UTC().Round(0)
	if err := s.SaveGuard(t.Context(), "fp", want); err != nil {
		t.Fatal(err)
	}
	got, err := s.LoadGuard(t.Context(), "fp")
	if err != nil || got.RejectedPair != want.RejectedPair || !got.RejectedUntil.Equal(want.RejectedUntil) || !got.LockedUntil.Equal(want.LockedUntil) {
		t.Errorf("LoadGuard = %+v, %v; want %+v", got, err, want)
	}
	// SaveGuard replaces (ResetGuard saves the zero state).
	if err := s.SaveGuard(t.Context(), "fp", csconnect.GuardState{}); err != nil {
		t.Fatal(err)
	}
	if got, err := s.LoadGuard(t.Context(), "fp"); got != (csconnect.GuardState{}) || err != nil {
		t.Errorf("LoadGuard after saving the zero state = %+v, %v; want zero", got, err)
	}
}

func TestMergeGuard(t *testing.T) {
	s := newTestStore(t, Options{})
	now := time.Now().UTC().Round(0)
	if err := s.MergeGuard(t.Context(), "fp", csconnect.GuardState{LockedUntil: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	// An earlier lockout and a rejected pair, recorded later: the lockout stays.
	if err := s.MergeGuard(t.Context(), "fp", csconnect.GuardState{LockedUntil: now.Add(time.Minute), RejectedPair: "pair", RejectedUntil: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	got, err := s.LoadGuard(t.Context(), "fp")
	if err != nil || !got.LockedUntil.Equal(now.Add(time.Hour)) || got.RejectedPair != "pair" {
		t.Errorf("LoadGuard after two merges = %+v, %v; want the later lockout and the pair", got, err)
	}
}

// Processes (stores with their own file descriptions) merging at the same instant
// lose no record: every round, one records a rejected pair while the others record
// lockouts, and the stored state has the pair and the latest lockout.
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
	base := time.Now().UTC().Round(0).Add(time.Hour)
	for round := range rounds {
		key := "fp" + string(rune('a'+round))
		var wg sync.WaitGroup
		for i, s := range stores {
			wg.Go(func() {
				st := csconnect.GuardState{LockedUntil: base.Add(time.Duration(i) * time.Second)}
				if i == 0 {
					st = csconnect.GuardState{RejectedPair: "pair", RejectedUntil: base}
				}
				if err := s.MergeGuard(t.Context(), key, st); err != nil {
					t.Errorf("MergeGuard = %v", err)
				}
			})
		}
		wg.Wait()
		got, err := stores[0].LoadGuard(t.Context(), key)
		if want := base.Add((writers - 1) * time.Second); err != nil || got.RejectedPair != "pair" || !got.LockedUntil.Equal(want) {
			t.Fatalf("round %d: LoadGuard = %+v, %v; want LockedUntil %v and the rejected pair", round, got, err, want)
		}
	}
}
