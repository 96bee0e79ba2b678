package csconnect

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"testing"
	"time"
)

// TestGuardRemembersBadRequestAndInactive: a 400 from authenticate is an invalid
// request the vendor counts toward its lockout, and a 403 (account not active, user
// locked) cannot be helped by repeating it: neither is sent again at once.
func TestGuardRemembersBadRequestAndInactive(t *testing.T) {
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
	ctx := context.Background()
	now := time.Date(2026, 11, 22, 20, 0, 0, 0, time.UTC)
	store := NewMemoryStore()
	log := slog.New(slog.DiscardHandler)
	a := newGuard(store, "user", "pw", 0, time.Second, log)
	b := newGuard(store, "user", "pw", 0, time.Second, log)

	a.rejectPair(ctx, now, ErrInvalidCredentials)
	if err := b.check(ctx, now); !errors.Is(err, ErrInvalidCredentials) {
		t.Fatalf("b.check() after a's 401 = %v; want ErrInvalidCredentials", err)
	}
	if err := a.reset(ctx); err != nil {
		t.Fatal(err)
	}
	if err := b.check(ctx, now); err != nil {
		t.Errorf("b.check() after a.reset() = %v; want nil", err)
	}

	// A rejection never shared survives a Store that does not hold it.
	failing := &failingStore{MemoryStore: NewMemoryStore()}
	c := newGuard(failing, "user", "pw", 0, time.Second, log)
	failing.fail = true
	c.rejectPair(ctx, now, ErrInvalidCredentials)
	failing.fail = false
	if err := c.check(ctx, now); !errors.Is(err, ErrInvalidCredentials) {
		t.Errorf("check() of a rejection the Store never got = %v; want ErrInvalidCredentials", err)
	}
}

// failingStore fails every guard write while fail is set.
type failingStore struct {
	*MemoryStore
	fail bool
}

func (f *failingStore) SaveGuard(ctx context.Context, key string, s GuardState) error {
	if f.fail {
		return errors.New("store down")
	}
	return f.MemoryStore.SaveGuard(ctx, key, s)
}
