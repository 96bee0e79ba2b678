package redisstore

import (
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/csconnect/csconnect/internal/redistest"
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

// TestMergeGuard: MergeGuard applies csconnect.GuardState.Merge to what is stored,
// with SaveGuard's expiry, in clear and encrypted.
func TestMergeGuard(t *testing.T) {
	now := time.Now().Truncate(time.Millisecond)
	for _, enc := range []bool{false, true} {
		t.Run(fmt.Sprintf("encrypted=%t", enc), func(t *testing.T) {
			opts := Options{}
			if enc {
				opts.EncryptionKey = testKey
			}
			s, raw, _ := newTestStore(t, opts)
			fixedNow(s, now)
			steps := []struct{ in, want csconnect.GuardState }{
				{csconnect.GuardState{LockedUntil: now.Add(5 * time.Minute)}, csconnect.GuardState{LockedUntil: now.Add(5 * time.Minute)}},
				{csconnect.GuardState{RejectedPair: "a", RejectedUntil: now.Add(time.Hour)},
					csconnect.GuardState{RejectedPair: "a", RejectedUntil: now.Add(time.Hour), LockedUntil: now.Add(5 * time.Minute)}},
				{csconnect.GuardState{LockedUntil: now.Add(time.Minute)},
					csconnect.GuardState{RejectedPair: "a", RejectedUntil: now.Add(time.Hour), LockedUntil: now.Add(5 * time.Minute)}},
			}
			for i, st := range steps {
				if err := s.MergeGuard(ctxT(t), "fp", st.in); err != nil {
					t.Fatalf("step %d: MergeGuard(%+v) = %v", i, st.in, err)
				}
				got, err := s.LoadGuard(ctxT(t), "fp")
				if err != nil || got.RejectedPair != st.want.RejectedPair || !got.RejectedUntil.Equal(st.want.RejectedUntil) || !got.LockedUntil.Equal(st.want.LockedUntil) {
					t.Fatalf("step %d: LoadGuard = %+v, %v; want %+v", i, got, err, st.want)
				}
			}
			if ttl := raw.PTTL(ctxT(t), DefaultPrefix+"guard:fp").Val(); ttl > time.Hour || ttl < time.Hour-time.Second {
				t.Errorf("PTTL(guard) = %v; want about an hour, the rejected pair's", ttl)
			}
		})
	}
}

// TestMergeGuardConcurrent: processes (each with its own client) recording lockouts
// and rejections on one key at the same instant lose none: the key ends with the
// latest lockout and a rejected pair. SaveGuard after LoadGuard, as a Store without
// MergeGuard is used, loses some of them here.
func TestMergeGuardConcurrent(t *testing.T) {
	srv := redistest.New(t)
	now := time.Now().Truncate(time.Millisecond)
	const procs = 8
	stores := make([]*Store, procs)
	for i := range stores {
		stores[i] = storeOn(t, redistest.NewClient(t, srv), Options{EncryptionKey: testKey})
		fixedNow(stores[i], now)
	}
	for round := range 5 {
		key := fmt.Sprintf("fp%d", round)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i, s := range stores {
			for j := range 4 {
				wg.Go(func() {
					<-start
					st := csconnect.GuardState{LockedUntil: now.Add(time.Duration(1+i*4+j) * time.Second)}
					if j%2 == 1 {
						st = csconnect.GuardState{RejectedPair: "pair", RejectedUntil: now.Add(time.Hour)}
					}
					if err := s.MergeGuard(ctxT(t), key, st); err != nil {
						t.Errorf("MergeGuard = %v", err)
					}
				})
			}
		}
		close(start)
		wg.Wait()
		got, err := stores[0].LoadGuard(ctxT(t), key)
		// The latest lockout is recorded by i = procs-1, j = 2 (j = 3 rejects).
		if want := now.Add(time.Duration(1+(procs-1)*4+2) * time.Second); err != nil || !got.LockedUntil.Equal(want) || got.RejectedPair != "pair" {
			t.Fatalf("round %d: LoadGuard = %+v, %v; want LockedUntil %v and the rejected pair", round, got, err, want)
		}
	}
}

// TestMergeGuardWithoutTransactions: a Redis user whose ACL refuses WATCH (as a proxy
// without transactions would) still records guard state, merged by reading then
// writing; the store is not marked down, and the Logger is told once.
func TestMergeGuardWithoutTransactions(t *testing.T) {
	srv := redistest.New(t)
	admin := redistest.NewClient(t, srv)
	if err := admin.Do(ctxT(t), "ACL", "SETUSER", "notx", "on", ">notx-pw", "~*", "+@all", "-watch", "-multi", "-exec").Err(); err != nil {
		t.Fatal(err)
	}
	client := redis.NewClient(&redis.Options{Addr: srv.Addr, Username: "notx", Password: "notx-pw", ContextTimeoutEnabled: true})
	t.Cleanup(func() { _ = client.Close() })
	logs := &logRecorder{}
	s := storeOn(t, client, Options{Logger: slog.New(logs)})
	now := time.Now().Truncate(time.Millisecond)
	fixedNow(s, now)
	for _, st := range []csconnect.GuardState{
		{RejectedPair: "a", RejectedUntil: now.Add(time.Hour)},
		{LockedUntil: now.Add(5 * time.Minute)},
	} {
		if err := s.MergeGuard(ctxT(t), "fp", st); err != nil {
			t.Fatalf("MergeGuard(%+v) without transactions = %v", st, err)
		}
	}
	got, err := s.LoadGuard(ctxT(t), "fp")
	if err != nil || got.RejectedPair != "a" || !got.LockedUntil.Equal(now.Add(5*time.Minute)) {
		t.Errorf("LoadGuard = %+v, %v; want both records", got, err)
	}
	if s.down.Load() {
		t.Errorf("a refused transaction marked Redis as unavailable")
	}
	n := 0
	for _, m := range logs.messages() {
		if strings.Contains(m, "refused a transaction") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("logged the refused transaction %d times; want once", n)
	}
}
