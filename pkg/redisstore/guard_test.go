package redisstore

import (
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/csconnect/csconnect/internal/redistest"
	"github.com/csconnect/csconnect/internal/storekit"
	"github.com/csconnect/csconnect/internal/storetest"
	"github.com/csconnect/csconnect/pkg/csconnect"
)

// TestGuardRoundTripAndTTL: MergeGuard into an empty key stores the state, readable
// by LoadGuard, until nothing in it is in force (GuardState.Until); state with
// nothing in force deletes the key. In clear and encrypted.
func TestGuardRoundTripAndTTL(t *testing.T) {
	now := time.Now().Truncate(time.Millisecond)
	day := storekit.RejectedMemory
	tests := map[string]struct {
		state   csconnect.GuardState
		wantTTL time.Duration // 0: not stored
	}{
		"locked": {
			state:   storetest.GS{LockedUntil: now.Add(5 * time.Minute), LockedAt: now}.State(),
			wantTTL: 5 * time.Minute,
		},
		"rejected": {
			state:   storetest.GS{Rejected: []storetest.Ev{{Pair: "pairfp", At: now.Add(-time.Hour)}}}.State(),
			wantTTL: day - time.Hour,
		},
		"two rejected, and a lockout": {
			state: storetest.GS{Rejected: []storetest.Ev{{Pair: "a", At: now.Add(-2 * time.Hour)}, {Pair: "b", At: now.Add(-time.Hour)}},
				LockedUntil: now.Add(5 * time.Minute), LockedAt: now}.State(),
			wantTTL: day - time.Hour,
		},
		"reset": {
			state:   csconnect.GuardState{ResetAt: now},
			wantTTL: day,
		},
		"sent": {
			state:   storetest.GS{Sent: []storetest.Ev{{Pair: "a", At: now, By: "x"}}}.State(),
			wantTTL: storekit.IdenticalWindow,
		},
		"sent and succeeded": {
			state: storetest.GS{Sent: []storetest.Ev{{Pair: "a", At: now.Add(-time.Minute), By: "x"}, {Pair: "a", At: now, By: "x"}},
				Succeeded: []storetest.Ev{{Pair: "a", At: now.Add(-time.Minute)}}}.State(),
			wantTTL: storekit.IdenticalWindow,
		},
		"zero": {state: csconnect.GuardState{}},
		"all in the past": {state: storetest.GS{Rejected: []storetest.Ev{{Pair: "pairfp", At: now.Add(-day - time.Second)}},
			LockedUntil: now.Add(-time.Second), LockedAt: now.Add(-time.Minute)}.State()},
	}
	for name, tc := range tests {
		for _, enc := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/encrypted=%t", name, enc), func(t *testing.T) {
				opts := Options{}
				if enc {
					opts.EncryptionKey = testKey
				}
				s, raw, _ := newTestStore(t, opts)
				fixedNow(s, now)
				merged, err := s.MergeGuard(ctxT(t), "fp", tc.state)
				if err != nil {
					t.Fatalf("MergeGuard(%+v) = %v", tc.state, err)
				}
				want := tc.state.Merge(csconnect.GuardState{})
				if !reflect.DeepEqual(merged, want) {
					t.Errorf("MergeGuard(%+v) = %+v; want %+v", tc.state, merged, want)
				}
				got, err := s.LoadGuard(ctxT(t), "fp")
				if tc.wantTTL == 0 {
					want = csconnect.GuardState{}
				}
				if err != nil || !storetest.Equal(got, want) {
					t.Fatalf("LoadGuard after MergeGuard(%+v) = %+v, %v; want %+v", tc.state, got, err, want)
				}
				name := DefaultPrefix + "guard:fp"
				ttl := raw.PTTL(ctxT(t), name).Val()
				switch exists := raw.Exists(ctxT(t), name).Val() == 1; {
				case exists != (tc.wantTTL > 0):
					t.Errorf("guard key exists = %t; want %t", exists, tc.wantTTL > 0)
				case tc.wantTTL > 0 && (ttl > tc.wantTTL || ttl < tc.wantTTL-time.Second):
					t.Errorf("PTTL(guard) = %v; want about %v", ttl, tc.wantTTL)
				}
			})
		}
	}
}

// TestMergeGuard: MergeGuard applies csconnect.GuardState.Merge to what is stored, in
// clear and encrypted; a reset is a record that clears what came before it.
func TestMergeGuard(t *testing.T) {
	now := time.Now().Truncate(time.Millisecond)
	a := storetest.Ev{Pair: "a", At: now}
	b := storetest.Ev{Pair: "b", At: now.Add(time.Second)}
	c := storetest.Ev{Pair: "c", At: now.Add(3 * time.Second)}
	for _, enc := range []bool{false, true} {
		t.Run(fmt.Sprintf("encrypted=%t", enc), func(t *testing.T) {
			opts := Options{}
			if enc {
				opts.EncryptionKey = testKey
			}
			s, raw, _ := newTestStore(t, opts)
			fixedNow(s, now)
			lock := storetest.GS{LockedUntil: now.Add(5 * time.Minute), LockedAt: now}.State()
			steps := []struct{ in, want csconnect.GuardState }{
				{lock, lock},
				{storetest.GS{Rejected: []storetest.Ev{a}}.State(),
					storetest.GS{Rejected: []storetest.Ev{a}, LockedUntil: now.Add(5 * time.Minute), LockedAt: now}.State()},
				{storetest.GS{Rejected: []storetest.Ev{b}, LockedUntil: now.Add(time.Minute), LockedAt: now}.State(),
					storetest.GS{Rejected: []storetest.Ev{a, b}, LockedUntil: now.Add(5 * time.Minute), LockedAt: now}.State()},
				{csconnect.GuardState{ResetAt: now.Add(2 * time.Second)}, csconnect.GuardState{ResetAt: now.Add(2 * time.Second)}},
				{storetest.GS{Rejected: []storetest.Ev{a, c}}.State(),
					storetest.GS{Rejected: []storetest.Ev{c}, ResetAt: now.Add(2 * time.Second)}.State()},
			}
			for i, st := range steps {
				merged, err := s.MergeGuard(ctxT(t), "fp", st.in)
				if err != nil || !storetest.Equal(merged, st.want) {
					t.Fatalf("step %d: MergeGuard(%+v) = %+v, %v; want %+v", i, st.in, merged, err, st.want)
				}
				got, err := s.LoadGuard(ctxT(t), "fp")
				if err != nil || !storetest.Equal(got, st.want) {
					t.Fatalf("step %d: LoadGuard = %+v, %v; want %+v", i, got, err, st.want)
				}
			}
			if ttl, want := raw.PTTL(ctxT(t), DefaultPrefix+"guard:fp").Val(), storekit.RejectedMemory+3*time.Second; ttl > want || ttl < want-time.Second {
				t.Errorf("PTTL(guard) = %v; want about %v, the last rejected pair's", ttl, want)
			}
		})
	}
}

// TestGuardLegacyRecord: a record written by a version that kept one rejected pair
// is read as that pair, rejected RejectedMemory before its end.
func TestGuardLegacyRecord(t *testing.T) {
	s, raw, _ := newTestStore(t, Options{})
	until := time.Now().Add(time.Hour).Truncate(time.Second).UTC()
	doc := `c{"rejected_pair":"old","rejected_until":"` + until.Format(time.RFC3339) + `"}`
	if err := raw.Set(ctxT(t), DefaultPrefix+"guard:fp", doc, time.Hour).Err(); err != nil {
		t.Fatal(err)
	}
	got, err := s.LoadGuard(ctxT(t), "fp")
	if want := []storetest.Ev{{Pair: "old", At: until.Add(-storekit.RejectedMemory)}}; err != nil || !storetest.Equal(got, storetest.GS{Rejected: want}.State()) {
		t.Errorf("LoadGuard(legacy record) = %+v, %v; want Rejected %+v", got, err, want)
	}
}

// TestMergeGuardConcurrent: processes (each with its own client) recording lockouts
// and rejections on one key at the same instant lose none: the key ends with the
// latest lockout and every rejected pair. A read then a write loses some of them.
func TestMergeGuardConcurrent(t *testing.T) {
	srv := redistest.New(t)
	now := time.Now().Truncate(time.Millisecond)
	const procs = 8
	stores := make([]*Store, procs)
	for i := range stores {
		// 32 writers retrying WATCH transactions under -race on 2 shared cores can
		// take longer than DefaultTimeout per operation; atomicity is what this test
		// checks, not speed.
		stores[i] = storeOn(t, redistest.NewClient(t, srv), Options{EncryptionKey: testKey, Timeout: 10 * time.Second})
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
					st := storetest.GS{LockedUntil: now.Add(time.Duration(1+i*4+j) * time.Second), LockedAt: now}.State()
					if j%2 == 1 {
						st = storetest.GS{Rejected: []storetest.Ev{{Pair: fmt.Sprint("pair", i), At: now}}}.State()
					}
					if _, err := s.MergeGuard(ctxT(t), key, st); err != nil {
						t.Errorf("MergeGuard = %v", err)
					}
				})
			}
		}
		close(start)
		wg.Wait()
		got, err := stores[0].LoadGuard(ctxT(t), key)
		// The latest lockout is recorded by i = procs-1, j = 2 (j = 3 rejects).
		if want := now.Add(time.Duration(1+(procs-1)*4+2) * time.Second); err != nil || !storetest.Of(got).LockedUntil.Equal(want) || len(storetest.Of(got).Rejected) != procs {
			t.Fatalf("round %d: LoadGuard = %+v, %v; want LockedUntil %v and %d rejected pairs", round, got, err, want, procs)
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
	for _, st := range []storetest.GS{
		{Rejected: []storetest.Ev{{Pair: "a", At: now}}},
		{LockedUntil: now.Add(5 * time.Minute), LockedAt: now},
	} {
		if _, err := s.MergeGuard(ctxT(t), "fp", st.State()); err != nil {
			t.Fatalf("MergeGuard(%+v) without transactions = %v", st, err)
		}
	}
	got, err := s.LoadGuard(ctxT(t), "fp")
	if g := storetest.Of(got); err != nil || len(g.Rejected) != 1 || g.Rejected[0].Pair != "a" || !g.LockedUntil.Equal(now.Add(5*time.Minute)) {
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
