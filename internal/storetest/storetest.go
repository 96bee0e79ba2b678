// Package storetest is the contract every csconnect.Store keeps, run by the tests of
// each implementation (MemoryStore, pkg/redisstore, pkg/filestore) against a fresh
// store, so that the stores cannot drift apart on what csconnect relies on.
package storetest

import (
	"bytes"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/csconnect/csconnect/pkg/csconnect"
)

// Run runs the contract. newStore returns a new, empty store; when reopen is not nil
// it returns another store on the same state (another process's view), which must see
// what the first wrote.
func Run(t *testing.T, newStore func(t *testing.T) csconnect.Store, reopen func(t *testing.T, s csconnect.Store) csconnect.Store) {
	if reopen == nil {
		reopen = func(_ *testing.T, s csconnect.Store) csconnect.Store { return s }
	}
	t.Run("token", func(t *testing.T) { testToken(t, newStore(t), reopen) })
	t.Run("lease", func(t *testing.T) { testLease(t, newStore(t), reopen) })
	t.Run("guard", func(t *testing.T) { testGuard(t, newStore(t), reopen) })
	t.Run("fingerprint", func(t *testing.T) { testFingerprint(t, newStore(t), reopen) })
}

const token = "eyJhbGciOiJSUzI1NiIsImtpZCI6Im.contract.hPeGE7Ak8YtKFbA"

func testToken(t *testing.T, s csconnect.Store, reopen func(*testing.T, csconnect.Store) csconnect.Store) {
	ctx := t.Context()
	if got, err := s.LoadToken(ctx, "fp"); got != nil || err != nil {
		t.Fatalf("LoadToken of nothing = %v, %v; want nil, nil", got, err)
	}
	now := time.Now().UTC().Round(0)
	want := &csconnect.Token{Value: token, Expiry: now.Add(time.Hour), Fetched: now}
	if err := s.SaveToken(ctx, "fp", want); err != nil {
		t.Fatalf("SaveToken = %v", err)
	}
	got, err := reopen(t, s).LoadToken(ctx, "fp")
	if err != nil || got == nil || got.Value != want.Value || !got.Expiry.Equal(want.Expiry) {
		t.Errorf("LoadToken after SaveToken = %v, %v; want %v", got, err, want)
	}
	if got, err := s.LoadToken(ctx, "other"); got != nil || err != nil {
		t.Errorf("LoadToken of another key = %v, %v; want nil, nil", got, err)
	}
	if err := s.SaveToken(ctx, "expired", &csconnect.Token{Value: token, Expiry: now.Add(-time.Second)}); err != nil {
		t.Errorf("SaveToken(expired) = %v", err)
	}
	if got, err := s.LoadToken(ctx, "expired"); got != nil || err != nil {
		t.Errorf("LoadToken of an expired token = %v, %v; want nil, nil", got, err)
	}
}

func testLease(t *testing.T, s csconnect.Store, reopen func(*testing.T, csconnect.Store) csconnect.Store) {
	ctx := t.Context()
	other := reopen(t, s)
	release, ok, err := s.AcquireLease(ctx, "fp", time.Minute)
	if !ok || err != nil {
		t.Fatalf("AcquireLease of a free lease = %t, %v; want true, nil", ok, err)
	}
	if _, ok, err := other.AcquireLease(ctx, "fp", time.Minute); ok || err != nil {
		t.Errorf("AcquireLease of a held lease = %t, %v; want false, nil", ok, err)
	}
	r2, ok, err := other.AcquireLease(ctx, "other", time.Minute)
	if !ok || err != nil {
		t.Errorf("AcquireLease of another key = %t, %v; want true, nil", ok, err)
	} else {
		r2()
	}
	release()
	release() // a second release is harmless
	r3, ok, err := other.AcquireLease(ctx, "fp", time.Minute)
	if !ok || err != nil {
		t.Fatalf("AcquireLease after release = %t, %v; want true, nil", ok, err)
	}
	release() // the first holder's stale release must not free the new holder's lease
	if _, ok, _ := s.AcquireLease(ctx, "fp", time.Minute); ok {
		t.Errorf("AcquireLease after a stale release = true; want false (still held)")
	}
	r3()
}

// The guard states below are built from their JSON document (GuardState is opaque to
// a Store); expectations come from GuardState.Merge and are compared as JSON (Same).

// LockedUntil is the state of a 5-minute lockout until until.
func LockedUntil(until time.Time) csconnect.GuardState {
	return GS{LockedUntil: until.UTC().Round(0), LockedAt: until.Add(-5 * time.Minute).UTC().Round(0)}.State()
}

// Rejected is the state of a rejected pair, recorded at at.
func Rejected(pair string, at time.Time) csconnect.GuardState {
	return GS{Rejected: []Ev{{Pair: pair, At: at.UTC().Round(0)}}}.State()
}

// GS is a csconnect.GuardState's JSON document (GuardState.MarshalJSON), for tests
// that build states or look inside them: a Store sees GuardState as opaque.
type GS struct {
	Rejected    []Ev      `json:"rejected,omitempty"`
	LockedUntil time.Time `json:"locked_until,omitzero"`
	LockedAt    time.Time `json:"locked_at,omitzero"`
	ResetAt     time.Time `json:"reset_at,omitzero"`
	Sent        []Ev      `json:"sent,omitempty"`
	Succeeded   []Ev      `json:"succeeded,omitempty"`
}

// Ev is an event of a GS: a pair (fingerprint), when, and who recorded it.
type Ev struct {
	Pair string    `json:"pair"`
	At   time.Time `json:"at"`
	By   string    `json:"by,omitempty"`
}

// State returns the GuardState g describes, as GuardState.UnmarshalJSON reads it
// (within Merge's bounds). It panics on a document GuardState refuses: a test's own
// mistake.
func (g GS) State() csconnect.GuardState {
	b, err := json.Marshal(g)
	if err != nil {
		panic(err)
	}
	var st csconnect.GuardState
	if err := json.Unmarshal(b, &st); err != nil {
		panic(err)
	}
	return st
}

// Of returns the document of st.
func Of(st csconnect.GuardState) GS {
	b, err := json.Marshal(st)
	if err != nil {
		panic(err)
	}
	var g GS
	if err := json.Unmarshal(b, &g); err != nil {
		panic(err)
	}
	return g
}

// Equal reports whether a and b hold the same records, comparing times as instants
// (JSON drops the monotonic clock reading and the location).
func Equal(a, b csconnect.GuardState) bool {
	ga, gb := Of(a), Of(b)
	evs := func(x, y []Ev) bool {
		return slices.EqualFunc(x, y, func(e, f Ev) bool { return e.Pair == f.Pair && e.By == f.By && e.At.Equal(f.At) })
	}
	return evs(ga.Rejected, gb.Rejected) && evs(ga.Sent, gb.Sent) && evs(ga.Succeeded, gb.Succeeded) &&
		ga.LockedUntil.Equal(gb.LockedUntil) && ga.LockedAt.Equal(gb.LockedAt) && ga.ResetAt.Equal(gb.ResetAt)
}

// Same reports whether a and b encode alike (as a Store keeps them).
func Same(a, b csconnect.GuardState) bool {
	ja, errA := json.Marshal(a)
	jb, errB := json.Marshal(b)
	return errA == nil && errB == nil && bytes.Equal(ja, jb)
}

func testGuard(t *testing.T, s csconnect.Store, reopen func(*testing.T, csconnect.Store) csconnect.Store) {
	ctx := t.Context()
	zero := csconnect.GuardState{}
	if got, err := s.LoadGuard(ctx, "fp"); err != nil || !Same(got, zero) {
		t.Fatalf("LoadGuard of nothing = %+v, %v; want the zero state", got, err)
	}
	now := time.Now()
	first := LockedUntil(now.Add(time.Hour))
	if got, err := s.MergeGuard(ctx, "fp", first); err != nil || !Same(got, zero.Merge(first)) {
		t.Fatalf("MergeGuard into nothing = %+v, %v; want %+v", got, err, zero.Merge(first))
	}
	if got, err := reopen(t, s).LoadGuard(ctx, "fp"); err != nil || !Same(got, zero.Merge(first)) {
		t.Errorf("LoadGuard after MergeGuard = %+v, %v; want %+v", got, err, first)
	}
	second := LockedUntil(now.Add(time.Minute)).Merge(Rejected("pair", now))
	want := zero.Merge(first).Merge(second)
	if got, err := s.MergeGuard(ctx, "fp", second); err != nil || !Same(got, want) {
		t.Fatalf("MergeGuard = %+v, %v; want stored.Merge(new) = %+v", got, err, want)
	}
	if got := mustGuard(t, reopen(t, s), "fp"); !Same(got, want) {
		t.Errorf("LoadGuard after MergeGuard = %+v; want stored.Merge(new) = %+v", got, want)
	}
	// A reset is recorded by a merge too, and what it cleared stays cleared.
	reset := csconnect.GuardState{ResetAt: now.Add(time.Second).UTC().Round(0)}
	if _, err := s.MergeGuard(ctx, "fp", reset); err != nil {
		t.Fatalf("MergeGuard(reset) = %v", err)
	}
	if got, want := mustGuard(t, reopen(t, s), "fp"), want.Merge(reset); !Same(got, want) {
		t.Errorf("LoadGuard after a reset = %+v; want %+v", got, want)
	}
}

func mustGuard(t *testing.T, s csconnect.Store, key string) csconnect.GuardState {
	t.Helper()
	g, err := s.LoadGuard(t.Context(), key)
	if err != nil {
		t.Fatalf("LoadGuard = %v", err)
	}
	return g
}

func testFingerprint(t *testing.T, s csconnect.Store, reopen func(*testing.T, csconnect.Store) csconnect.Store) {
	fp := s.Fingerprint("user")
	if got := reopen(t, s).Fingerprint("user"); got != fp {
		t.Errorf("Fingerprint on the same state = %s; want %s", got, fp)
	}
	if s.Fingerprint("user", "pw") == fp || s.Fingerprint("use", "rpw") == s.Fingerprint("user", "pw") {
		t.Errorf("Fingerprint does not separate its parts")
	}
}
