package redisstore

import (
	"testing"
	"time"

	"github.com/csconnect/csconnect/pkg/csconnect"
)

func TestGuardRoundTripAndTTL(t *testing.T) {
	now := time.Now().Truncate(time.Millisecond)
	tests := map[string]struct {
		state   csconnect.GuardState
		stored  bool
		wantTTL time.Duration // -1: no expiry
	}{
		"locked": {
			state:  csconnect.GuardState{LockedUntil: now.Add(5 * time.Minute)},
			stored: true, wantTTL: 5 * time.Minute,
		},
		"rejected": {
			state:  csconnect.GuardState{RejectedPair: "pairfp", RejectedUntil: now.Add(2 * time.Minute)},
			stored: true, wantTTL: 2 * time.Minute,
		},
		"both, rejected longer": {
			state:  csconnect.GuardState{RejectedPair: "pairfp", RejectedUntil: now.Add(time.Hour), LockedUntil: now.Add(5 * time.Minute)},
			stored: true, wantTTL: time.Hour,
		},
		"both, locked longer": {
			state:  csconnect.GuardState{RejectedPair: "pairfp", RejectedUntil: now.Add(time.Minute), LockedUntil: now.Add(5 * time.Minute)},
			stored: true, wantTTL: 5 * time.Minute,
		},
		"rejected without bound": {
			state:  csconnect.GuardState{RejectedPair: "pairfp"},
			stored: true, wantTTL: -1,
		},
		"zero":            {state: csconnect.GuardState{}},
		"all in the past": {state: csconnect.GuardState{RejectedPair: "pairfp", RejectedUntil: now.Add(-time.Second), LockedUntil: now.Add(-time.Second)}},
		"until without pair": {
			state: csconnect.GuardState{RejectedUntil: now.Add(time.Hour)},
		},
	}
	for name, tc := range tests {
		for _, enc := range []bool{false, true} {
			t.Run(name, func(t *testing.T) {
				opts := Options{}
				if enc {
					opts.EncryptionKey = testKey
				}
				s, raw, _ := newTestStore(t, opts)
				fixedNow(s, now)
				// An earlier state is replaced, or deleted when nothing is in force.
				if err := s.SaveGuard(ctxT(t), "fp", csconnect.GuardState{LockedUntil: now.Add(time.Hour)}); err != nil {
					t.Fatal(err)
				}
				if err := s.SaveGuard(ctxT(t), "fp", tc.state); err != nil {
					t.Fatalf("SaveGuard(%+v) = %v", tc.state, err)
				}
				got, err := s.LoadGuard(ctxT(t), "fp")
				want := tc.state
				if !tc.stored {
					want = csconnect.GuardState{}
				}
				if err != nil || got.RejectedPair != want.RejectedPair || !got.RejectedUntil.Equal(want.RejectedUntil) || !got.LockedUntil.Equal(want.LockedUntil) {
					t.Fatalf("LoadGuard after SaveGuard(%+v) = %+v, %v; want %+v", tc.state, got, err, want)
				}
				name := DefaultPrefix + "guard:fp"
				ttl := raw.PTTL(ctxT(t), name).Val()
				switch exists := raw.Exists(ctxT(t), name).Val() == 1; {
				case exists != tc.stored:
					t.Errorf("guard key exists = %t; want %t", exists, tc.stored)
				case tc.stored && tc.wantTTL < 0 && ttl != -1: // PTTL -1: no expiry

					t.Errorf("PTTL(guard) = %v; want no expiry", ttl)
				case tc.stored && tc.wantTTL > 0 && (ttl > tc.wantTTL || ttl < tc.wantTTL-time.Second):
					t.Errorf("PTTL(guard) = %v; want about %v", ttl, tc.wantTTL)
				}
			})
		}
	}
}
