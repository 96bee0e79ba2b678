package csconnect

import (
	"context"
	"log/slog"
	"testing"
	"time"
)

// TestGuardSaveMerges: two processes share a Store; one records a rejected pair, the
// other then records a lockout. The Store must keep both, so neither process sends the
// rejected pair again and both respect the lockout.
func TestGuardSaveMerges(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 22, 20, 0, 0, 0, time.UTC)
	store := NewMemoryStore()
	log := slog.New(slog.DiscardHandler)
	rejecting := newGuard(store, "user", "old-password", 0, time.Second, log)
	locking := newGuard(store, "user", "new-password", 0, time.Second, log)

	rejecting.rejectPair(ctx, now, ErrInvalidCredentials)
	locking.lockOut(ctx, now, now.Add(5*time.Minute), ErrLockedOut)

	got, err := store.LoadGuard(ctx, store.Fingerprint("user"))
	if err != nil {
		t.Fatal(err)
	}
	if want := store.Fingerprint("user", "old-password"); got.RejectedPair != want {
		t.Errorf("after a lockout elsewhere, LoadGuard().RejectedPair = %q; want the rejected pair %q", got.RejectedPair, want)
	}
	if want := now.Add(5 * time.Minute); !got.LockedUntil.Equal(want) {
		t.Errorf("LoadGuard().LockedUntil = %v; want %v", got.LockedUntil, want)
	}
	// A third process with the rejected password is refused without sending.
	third := newGuard(store, "user", "old-password", 0, time.Second, log)
	if err := third.check(ctx, now.Add(6*time.Minute)); err == nil {
		t.Errorf("check(rejected pair from the store) = nil; want a *GuardError")
	}
	// An earlier lockout saved later does not shorten a longer one.
	rejecting.lockOut(ctx, now, now.Add(time.Minute), ErrLockedOut)
	if got, _ := store.LoadGuard(ctx, store.Fingerprint("user")); !got.LockedUntil.Equal(now.Add(5 * time.Minute)) {
		t.Errorf("after a shorter lockout, LockedUntil = %v; want %v kept", got.LockedUntil, now.Add(5*time.Minute))
	}
}
