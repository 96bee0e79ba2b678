package csconnect

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// TestMemoryStoreMergesAsMerge: the memory store merges one send or one success into
// its record in place (mergeOneInPlace) and anything else with GuardState.Merge; the
// record it holds and returns is Merge's, step by step, over random sequences of
// merges that cross every bound (the 2-minute window, 40 sends, 8 pairs), with
// resets, lockouts and rejections in between.
func TestMemoryStoreMergesAsMerge(t *testing.T) {
	t.Parallel()
	base := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	for seed := range uint64(300) {
		rng := rand.New(rand.NewPCG(seed, 7))
		// Half the seeds send densely (over 40 sends in 2 minutes), half over longer.
		span, sends := 400, 4
		if seed%2 == 0 {
			span, sends = 90, 8
		}
		event := func() pairEvent {
			pair := ""
			if rng.IntN(20) != 0 { // now and then an empty pair, which Merge drops
				pair = fmt.Sprintf("p%d", rng.IntN(11))
			}
			return pairEvent{Pair: pair, At: base.Add(time.Duration(rng.IntN(span)) * time.Second), By: []string{"", "a", "b"}[rng.IntN(3)]}
		}
		// A success at the same instant as another, written in another zone: Merge
		// keeps the merged-in one, so the record must too.
		zones := []*time.Location{time.UTC, time.FixedZone("X", 3600)}
		success := func() pairEvent {
			e := event()
			e.At = e.At.In(zones[rng.IntN(2)])
			return e
		}
		delta := func() GuardState {
			switch n := rng.IntN(10); {
			case n < sends:
				return GuardState{sent: []pairEvent{event()}}
			case n < sends+2:
				return GuardState{succeeded: []pairEvent{success()}}
			case n == sends+2:
				e := event()
				return GuardState{sent: []pairEvent{event(), e, e}, succeeded: []pairEvent{event()}}
			case n == 9:
				return GuardState{rejected: []pairEvent{event()}}
			case n == 8:
				at := event().At
				if rng.IntN(4) == 0 { // before the zero time, which Merge replaces
					at = time.Time{}.Add(-time.Duration(rng.IntN(3)) * time.Hour)
				}
				return GuardState{lockedAt: at, lockedUntil: at.Add(time.Duration(rng.IntN(600)) * time.Second)}
			case n == 7:
				return GuardState{ResetAt: event().At}
			default: // a send with times, which may change nothing
				at := event().At
				return GuardState{sent: []pairEvent{event()}, lockedAt: at, lockedUntil: at.Add(time.Minute), ResetAt: event().At}
			}
		}
		m := newMemoryStore()
		var want GuardState
		for step := range 200 {
			d := delta()
			want = want.Merge(d)
			got, err := m.MergeGuard(t.Context(), "fp", d)
			if err != nil {
				t.Fatal(err)
			}
			if g, w := asJSON(t, got), asJSON(t, want); g != w {
				t.Fatalf("seed %d step %d: MergeGuard(%s) = %s; want stored.Merge = %s", seed, step, asJSON(t, d), g, w)
			}
		}
	}
}

// TestMemoryStoreGuardCopies: what LoadGuard and MergeGuard return is the caller's:
// the store's later merges, made in place, do not change it.
func TestMemoryStoreGuardCopies(t *testing.T) {
	t.Parallel()
	ctx, m := t.Context(), newMemoryStore()
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	send := func(i int) GuardState {
		return GuardState{sent: []pairEvent{{Pair: "p", At: now.Add(time.Duration(i) * time.Second), By: "a"}}}
	}
	merged, _ := m.MergeGuard(ctx, "fp", send(0))
	loaded, _ := m.LoadGuard(ctx, "fp")
	before := slices.Clone(loaded.sent)
	for i := 1; i < 60; i++ {
		_, _ = m.MergeGuard(ctx, "fp", send(i))
	}
	_, _ = m.MergeGuard(ctx, "fp", GuardState{succeeded: []pairEvent{{Pair: "p", At: now.Add(time.Hour)}}})
	if !slices.Equal(loaded.sent, before) || !slices.Equal(merged.sent, before) {
		t.Errorf("LoadGuard, MergeGuard results after later merges = %v, %v; want %v as returned", loaded.sent, merged.sent, before)
	}
}

func asJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
