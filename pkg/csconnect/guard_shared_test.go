package csconnect

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Tests of the guard's state in a Store shared by several processes (guards).

var guardTestNow = time.Date(2026, 11, 22, 20, 0, 0, 0, time.UTC)

// newSharedGuards returns n guards for one username and password over store, as n
// processes of a fleet would have.
func newSharedGuards(store Store, n int, password string) []*guard {
	gs := make([]*guard, n)
	for i := range gs {
		gs[i] = newGuard(store, "user", password, 0, time.Second, slog.New(slog.DiscardHandler))
	}
	return gs
}

// TestGuardSaveMerges: two processes share a Store; one records a rejected pair, the
// other then records a lockout. The Store must keep both, so neither process sends the
// rejected pair again and both respect the lockout.
func TestGuardSaveMerges(t *testing.T) {
	t.Parallel()
	ctx, now, store := context.Background(), guardTestNow, newMemoryStore()
	rejecting := newSharedGuards(store, 1, "old-password")[0]
	locking := newSharedGuards(store, 1, "new-password")[0]

	rejecting.rejectPair(ctx, now, ErrInvalidCredentials)
	locking.lockOut(ctx, now, now.Add(5*time.Minute), ErrLockedOut)

	got, err := store.LoadGuard(ctx, store.Fingerprint("user"))
	if err != nil {
		t.Fatal(err)
	}
	if want := []pairEvent{{Pair: store.Fingerprint("user", "old-password"), At: now}}; !slices.Equal(got.rejected, want) {
		t.Errorf("after a lockout elsewhere, LoadGuard().Rejected = %+v; want the rejected pair %+v", got.rejected, want)
	}
	if want := now.Add(5 * time.Minute); !got.lockedUntil.Equal(want) {
		t.Errorf("LoadGuard().LockedUntil = %v; want %v", got.lockedUntil, want)
	}
	// A third process with the rejected password is refused without sending.
	third := newSharedGuards(store, 1, "old-password")[0]
	if err := third.check(ctx, now.Add(6*time.Minute), nil); err == nil {
		t.Errorf("check(rejected pair from the store) = nil; want a *GuardError")
	}
	// An earlier lockout saved later does not shorten a longer one.
	rejecting.lockOut(ctx, now, now.Add(time.Minute), ErrLockedOut)
	if got, _ := store.LoadGuard(ctx, store.Fingerprint("user")); !got.lockedUntil.Equal(now.Add(5 * time.Minute)) {
		t.Errorf("after a shorter lockout, LockedUntil = %v; want %v kept", got.lockedUntil, now.Add(5*time.Minute))
	}
}

// TestGuardStateMerge: the one merge rule every Store applies.
func TestGuardStateMerge(t *testing.T) {
	t.Parallel()
	t0 := guardTestNow
	ev := func(pair string, d time.Duration) pairEvent { return pairEvent{Pair: pair, At: t0.Add(d)} }
	many := func(n int, d time.Duration) (es []pairEvent) {
		for i := range n {
			es = append(es, ev(fmt.Sprint("p", i), time.Duration(i)*d))
		}
		return es
	}
	tests := map[string]struct{ stored, in, want GuardState }{
		"into nothing":          {GuardState{}, GuardState{lockedUntil: t0, lockedAt: t0}, GuardState{lockedUntil: t0, lockedAt: t0}},
		"later lockout wins":    {GuardState{lockedUntil: t0}, GuardState{lockedUntil: t0.Add(time.Minute)}, GuardState{lockedUntil: t0.Add(time.Minute)}},
		"earlier lockout loses": {GuardState{lockedUntil: t0.Add(time.Minute)}, GuardState{lockedUntil: t0}, GuardState{lockedUntil: t0.Add(time.Minute)}},
		"pair kept by a lockout": {GuardState{rejected: []pairEvent{ev("a", 0)}}, GuardState{lockedUntil: t0},
			GuardState{rejected: []pairEvent{ev("a", 0)}, lockedUntil: t0}},
		"pairs united": {GuardState{rejected: []pairEvent{ev("a", 0)}}, GuardState{rejected: []pairEvent{ev("b", time.Hour)}},
			GuardState{rejected: []pairEvent{ev("a", 0), ev("b", time.Hour)}}},
		"same pair, latest kept": {GuardState{rejected: []pairEvent{ev("a", time.Hour)}}, GuardState{rejected: []pairEvent{ev("a", 0)}},
			GuardState{rejected: []pairEvent{ev("a", time.Hour)}}},
		"last 8 pairs kept": {GuardState{rejected: many(6, time.Second)}, GuardState{rejected: []pairEvent{ev("x", time.Hour), ev("y", 2*time.Hour), ev("z", 3*time.Hour)}},
			GuardState{rejected: append(many(6, time.Second)[1:], ev("x", time.Hour), ev("y", 2*time.Hour), ev("z", 3*time.Hour))}},
		"reset clears what came before": {GuardState{rejected: []pairEvent{ev("a", 0), ev("b", 2*time.Minute)}, lockedUntil: t0.Add(time.Hour), lockedAt: t0},
			GuardState{ResetAt: t0.Add(time.Minute)},
			GuardState{rejected: []pairEvent{ev("b", 2*time.Minute)}, ResetAt: t0.Add(time.Minute)}},
		"earlier reset changes nothing": {GuardState{rejected: []pairEvent{ev("a", time.Hour)}, ResetAt: t0.Add(time.Minute)}, GuardState{ResetAt: t0},
			GuardState{rejected: []pairEvent{ev("a", time.Hour)}, ResetAt: t0.Add(time.Minute)}},
		"a record made before a reset stays cleared": {GuardState{ResetAt: t0.Add(time.Minute)}, GuardState{rejected: []pairEvent{ev("a", 0)}},
			GuardState{ResetAt: t0.Add(time.Minute)}},
		"sends of the window kept": {GuardState{sent: []pairEvent{ev("a", 0), ev("a", time.Minute)}}, GuardState{sent: []pairEvent{ev("a", 2*time.Minute), ev("a", time.Minute)}},
			GuardState{sent: []pairEvent{ev("a", time.Minute), ev("a", 2*time.Minute)}}},
		"a success clears the sends before it": {GuardState{sent: []pairEvent{ev("a", 0), ev("b", 0), ev("a", time.Minute)}},
			GuardState{succeeded: []pairEvent{ev("a", 0)}},
			GuardState{sent: []pairEvent{ev("b", 0), ev("a", time.Minute)}, succeeded: []pairEvent{ev("a", 0)}}},
		"zero changes nothing": {GuardState{rejected: []pairEvent{ev("a", 0)}, lockedUntil: t0}, GuardState{},
			GuardState{rejected: []pairEvent{ev("a", 0)}, lockedUntil: t0}},
	}
	for name, tc := range tests {
		got := tc.stored.Merge(tc.in)
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: %+v.Merge(%+v) = %+v; want %+v", name, tc.stored, tc.in, got, tc.want)
		}
		if other := tc.in.Merge(tc.stored); !reflect.DeepEqual(other, got) {
			t.Errorf("%s: Merge is not commutative: %+v, then %+v", name, got, other)
		}
		if again := got.Merge(tc.in); !reflect.DeepEqual(again, got) {
			t.Errorf("%s: Merge is not idempotent: %+v, then %+v", name, got, again)
		}
	}
}

// TestGuardConcurrentSaves: processes recording lockouts and rejections at the same
// instant through a GuardMerger lose none of them: the Store ends with the latest
// lockout and a rejected pair.
func TestGuardConcurrentSaves(t *testing.T) {
	t.Parallel()
	ctx, now, store := context.Background(), guardTestNow, newMemoryStore()
	const n = 64
	locking := newSharedGuards(store, n, "new-password")
	rejecting := newSharedGuards(store, n, "old-password")
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { <-start; locking[i].lockOut(ctx, now, now.Add(time.Duration(i+1)*time.Second), ErrLockedOut) })
		wg.Go(func() { <-start; rejecting[i].rejectPair(ctx, now, ErrInvalidCredentials) })
	}
	close(start)
	wg.Wait()
	got, _ := store.LoadGuard(ctx, store.Fingerprint("user"))
	if want := now.Add(n * time.Second); !got.lockedUntil.Equal(want) {
		t.Errorf("LockedUntil = %v; want the latest lockout %v", got.lockedUntil, want)
	}
	if want := []pairEvent{{Pair: store.Fingerprint("user", "old-password"), At: now}}; !slices.Equal(got.rejected, want) {
		t.Errorf("Rejected = %+v; want %+v", got.rejected, want)
	}
}

// TestGuardRemembersBadRequestAndInactive: a 400 from authenticate is an invalid
// request the vendor counts toward its lockout, and a 403 (account not active, user
// locked) cannot be helped by repeating it: neither is sent again at once.
func TestGuardRemembersBadRequestAndInactive(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		status   int
		body     string
		is, isnt error
		pause    time.Duration // 0: until the credentials change or a reset
	}{
		"400": {http.StatusBadRequest, ``, ErrBadRequest, ErrInvalidCredentials, 0},
		"403": {http.StatusForbidden, `{"message":"Customer or user is not active"}`, ErrAccountInactive, ErrLockedOut, lockoutDefault},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			srv := newTestServer(t, sequence(reply(tt.status, tt.body, "Content-Type: application/json"), tokenReply()))
			a := newTestAuth(t, srv.URL)
			if _, err := a.Token(context.Background()); !errors.Is(err, tt.is) {
				t.Fatalf("Token() = %v; want %v", err, tt.is)
			}
			_, err := a.Token(context.Background())
			var ge *GuardError
			if !errors.As(err, &ge) || !errors.Is(err, tt.is) || errors.Is(err, tt.isnt) {
				t.Fatalf("second Token() = %v; want a *GuardError matching %v and not %v", err, tt.is, tt.isnt)
			}
			if got := srv.hits.Load(); got != 1 {
				t.Errorf("requests after the guard set = %d; want 1", got)
			}
			if tt.pause == 0 {
				return
			}
			a.clock.advance(tt.pause)
			if _, err := a.Token(context.Background()); err != nil {
				t.Errorf("Token() after the %v pause = %v; want a token", tt.pause, err)
			}
		})
	}
}

// TestGuardResetReachesOtherProcesses: when one process resets the guard, another that
// learned the rejection from the shared Store forgets it too; a rejection it could not
// share (the Store was down) stays.
func TestGuardResetReachesOtherProcesses(t *testing.T) {
	t.Parallel()
	ctx, now := context.Background(), guardTestNow
	gs := newSharedGuards(newMemoryStore(), 2, "pw")
	a, b := gs[0], gs[1]

	a.rejectPair(ctx, now, ErrInvalidCredentials)
	if err := b.check(ctx, now, nil); !errors.Is(err, ErrInvalidCredentials) {
		t.Fatalf("b.check() after a's 401 = %v; want ErrInvalidCredentials", err)
	}
	if err := a.reset(ctx, now); err != nil {
		t.Fatal(err)
	}
	if err := b.check(ctx, now, nil); err != nil {
		t.Errorf("b.check() after a.reset() = %v; want nil", err)
	}

	// A rejection never shared survives a Store that does not hold it.
	failing := &failingStore{memoryStore: newMemoryStore()}
	c := newSharedGuards(failing, 1, "pw")[0]
	failing.fail = true
	c.rejectPair(ctx, now, ErrInvalidCredentials)
	failing.fail = false
	if err := c.check(ctx, now, nil); !errors.Is(err, ErrInvalidCredentials) {
		t.Errorf("check() of a rejection the Store never got = %v; want ErrInvalidCredentials", err)
	}
}

// failingStore fails every guard write while fail is set.
type failingStore struct {
	*memoryStore
	fail bool
}

func (f *failingStore) MergeGuard(ctx context.Context, key string, s GuardState) (GuardState, error) {
	if f.fail {
		return GuardState{}, errors.New("store down")
	}
	return f.memoryStore.MergeGuard(ctx, key, s)
}

// TestGuardStatus: GuardStatus reports the guard's state for metrics: nothing held
// at first, the budget spent by each request, a lockout until its end, a rejection
// until ResetGuard.
func TestGuardStatus(t *testing.T) {
	t.Parallel()
	var status atomic.Int64
	status.Store(429)
	srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		reply(int(status.Load()), "no", "Retry-After: 60")(w, r)
	})
	a := newTestAuth(t, srv.URL)
	if got := a.GuardStatus(); got.Rejected || !got.LockedUntil.IsZero() || a.guard.budgetLeft(a.now()) != defaultBudget {
		t.Errorf("GuardStatus() before any request = %+v; want nothing held, budget %d", got, defaultBudget)
	}
	_, _ = a.Token(context.Background())
	now := a.clock.now()
	if got := a.GuardStatus(); got.Rejected || !got.LockedUntil.Equal(now.Add(time.Minute)) || a.guard.budgetLeft(a.now()) != defaultBudget-1 {
		t.Errorf("GuardStatus() after a 429 = %+v; want locked until %v, budget %d", got, now.Add(time.Minute), defaultBudget-1)
	}
	a.clock.advance(time.Minute)
	status.Store(401)
	_, _ = a.Token(context.Background())
	if got := a.GuardStatus(); !got.Rejected || !got.LockedUntil.IsZero() {
		t.Errorf("GuardStatus() after a 401 = %+v; want rejected, no lockout", got)
	}
	if err := a.ResetGuard(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := a.GuardStatus(); got.Rejected {
		t.Errorf("GuardStatus() after ResetGuard = %+v; want not rejected", got)
	}
}

// TestGuardStateJSON: a GuardState goes through JSON (how every Store keeps it)
// unchanged, within Merge's bounds; the earlier redisstore record of one rejected pair
// reads as that pair; anything but an object or null is refused.
func TestGuardStateJSON(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	st := GuardState{
		ResetAt:     now.Add(-time.Hour),
		rejected:    []pairEvent{{Pair: "a", At: now.Add(-time.Minute)}, {Pair: "b", At: now}},
		lockedUntil: now.Add(5 * time.Minute), lockedAt: now,
		sent:      []pairEvent{{Pair: "a", At: now.Add(-time.Second), By: "p1"}, {Pair: "a", At: now, By: "p2"}},
		succeeded: []pairEvent{{Pair: "c", At: now.Add(-30 * time.Second)}},
	}
	b, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	var got GuardState
	if err := json.Unmarshal(b, &got); err != nil || !reflect.DeepEqual(got, st.Merge(GuardState{})) {
		t.Errorf("round trip of %s = %+v, %v; want %+v", b, got, err, st)
	}
	legacy := `{"rejected_pair":"old","rejected_until":"2026-11-30T12:00:00Z","locked_until":"2026-11-30T12:05:00Z"}`
	want := GuardState{rejected: []pairEvent{{Pair: "old", At: now.Add(-rejectedMemory)}}, lockedUntil: now.Add(5 * time.Minute), lockedAt: now}
	if err := json.Unmarshal([]byte(legacy), &got); err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("legacy record = %+v, %v; want %+v", got, err, want)
	}
	for _, bad := range []string{`[]`, `"x"`, `{"rejected":5}`, `{`} {
		if err := json.Unmarshal([]byte(bad), &got); err == nil {
			t.Errorf("Unmarshal(%s) = nil; want an error", bad)
		}
	}
}

// TestGuardStateHugeDocument: a Store may hand UnmarshalJSON a document of any size (a
// planted record, a Store without a size cap). Up to 64 KiB it is read within Merge's
// bounds; beyond, it is refused (an error, as for any unreadable record: the guard
// keeps its local state) without being parsed. Merge's union once compared every
// event with every later one, so 40,000 events took seconds of CPU on every guard call.
func TestGuardStateHugeDocument(t *testing.T) {
	t.Parallel()
	base := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	doc := func(n int) []byte {
		var b strings.Builder
		b.WriteString(`{"rejected":[`)
		for i := range n {
			fmt.Fprintf(&b, `{"pair":"r%d","at":%q},`, i, base.Add(time.Duration(i)*time.Microsecond).Format(time.RFC3339Nano))
		}
		b.WriteString(`{"pair":"r0","at":"2026-11-30T12:00:00Z"}],"sent":[`)
		for i := range n {
			fmt.Fprintf(&b, `{"pair":"p%d","at":%q,"by":"x"},`, i, base.Add(time.Duration(i)*time.Microsecond).Format(time.RFC3339Nano))
		}
		b.WriteString(`{"pair":"p0","at":"2026-11-30T12:00:00Z","by":"x"}]}`)
		return []byte(b.String())
	}
	var st GuardState
	if d := doc(200); len(d) > maxGuardDoc {
		t.Fatalf("a %d-byte document is over the limit; the test wants one under it", len(d))
	} else if err := json.Unmarshal(d, &st); err != nil || len(st.rejected) != maxRejectedPairs || len(st.sent) != maxSent {
		t.Errorf("decoded %d rejected, %d sent, %v; want Merge's bounds %d, %d", len(st.rejected), len(st.sent), err, maxRejectedPairs, maxSent)
	}
	if err := json.Unmarshal(doc(20_000), &st); err == nil || !strings.Contains(err.Error(), "larger than 64 KiB") {
		t.Errorf("Unmarshal of a 2 MB document = %v; want it refused as too large", err)
	}
}
