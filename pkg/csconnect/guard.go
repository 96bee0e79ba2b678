package csconnect

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

const (
	// lockoutDefault is how long authenticate stays closed after a 429 without
	// Retry-After: the vendor documents a lockout of 5 minutes.
	lockoutDefault = 5 * time.Minute
	// budgetWindow is the window of the vendor's authenticate threshold (more than
	// 10,000 requests in 5 minutes locks the endpoint).
	budgetWindow = 5 * time.Minute
	// DefaultBudget is the default number of authenticate requests per budgetWindow:
	// a token lasts an hour, so even a busy fleet needs a handful; 100 is 1% of the
	// vendor's threshold.
	DefaultBudget = 100
	// rejectedMemory bounds how long a shared Store remembers a rejected pair (the
	// local copy remembers it until ResetGuard). A day is long enough for a human to
	// notice and short enough that a stale record cannot block a fixed account forever.
	rejectedMemory = 24 * time.Hour
)

// GuardReason says why the guard refused an authenticate request.
type GuardReason string

// The reasons the guard refuses an authenticate request.
const (
	// GuardRejected: the same username and password were answered 401 (or 400: a
	// request the vendor could not read counts as an identical invalid request) before.
	GuardRejected GuardReason = "credentials rejected before"
	// GuardLockedOut: authenticate answered 429 (or 403: the account is not active or
	// the user is locked) and the pause is not over.
	GuardLockedOut GuardReason = "locked out"
	// GuardBudget: the per-5-minute budget of authenticate requests is spent.
	GuardBudget GuardReason = "budget spent"
)

// GuardError is returned when csconnect refused to send an authenticate request
// because of what it remembers, without touching the network. It unwraps to the error
// that set the guard (the 401's or 429's *APIError, or the sentinel when the state came
// from a shared Store), so errors.Is(err, ErrInvalidCredentials) and
// errors.Is(err, ErrLockedOut) hold as they did for the original answer; a spent
// budget matches ErrRateLimited.
type GuardError struct {
	Reason GuardReason
	// Wait is how long until the guard lets a request through: the rest of a lockout
	// or the time until the budget has room. Zero for GuardRejected, which holds until
	// the credentials change or the guard is reset.
	Wait time.Duration
	// Err is the error that set the guard; nil for GuardBudget.
	Err error
}

// Error says the request was not sent, why, and what to do.
func (e *GuardError) Error() string {
	switch e.Reason {
	case GuardRejected:
		return "csconnect: authenticate not sent: these credentials were rejected before (sending them again risks locking the account); fix them or reset the guard"
	case GuardLockedOut:
		if errors.Is(e.Err, ErrAccountInactive) {
			return fmt.Sprintf("csconnect: authenticate not sent: paused for another %s after a 403 (account not active or user locked); check with Creditsafe integration support", e.Wait.Round(time.Second))
		}
		return fmt.Sprintf("csconnect: authenticate not sent: locked out for another %s after a 429", e.Wait.Round(time.Second))
	default:
		return fmt.Sprintf("csconnect: authenticate not sent: the budget of authenticate requests is spent; room again in %s", e.Wait.Round(time.Millisecond))
	}
}

// Unwrap returns the error that set the guard.
func (e *GuardError) Unwrap() error { return e.Err }

// Is matches ErrInvalidCredentials, ErrLockedOut or ErrRateLimited by reason, so a
// GuardError classifies like the answer that set it even when that came from a Store
// (whose state carries no cause). When the cause is known and is something else (a
// 400 for GuardRejected, a 403 for GuardLockedOut), only the cause matches, through
// Unwrap.
func (e *GuardError) Is(target error) bool {
	switch e.Reason {
	case GuardRejected:
		return target == ErrInvalidCredentials && (e.Err == nil || errors.Is(e.Err, ErrInvalidCredentials))
	case GuardLockedOut:
		return (target == ErrLockedOut || target == ErrRateLimited) && (e.Err == nil || errors.Is(e.Err, ErrLockedOut))
	case GuardBudget:
		return target == ErrRateLimited
	}
	return false
}

// guard is the lockout guard of one Authenticator: it refuses a request locally after a
// 401 for the same pair, during a 429 lockout, and beyond the budget. Its state lives
// in the Store (shared with other processes) and in a local copy, so a failing or slow
// Store never stops it from working. Safe for concurrent use.
type guard struct {
	store        Store
	key          string // store.Fingerprint(username)
	pair         string // store.Fingerprint(username, password)
	storeTimeout time.Duration
	log          *slog.Logger
	limiter      *rate.Limiter // nil: no budget

	mu       sync.Mutex
	rejected error // set after a 401 for pair: the error to unwrap to
	// rejectedShared: the rejection is in the Store (saved there, or learned from it),
	// so when a reachable Store no longer holds it, another process reset the guard.
	rejectedShared bool
	lockedUntil    time.Time
	lockErr        error
}

func newGuard(store Store, username, password string, budget int, storeTimeout time.Duration, log *slog.Logger) *guard {
	g := &guard{
		store:        store,
		key:          store.Fingerprint(username),
		pair:         store.Fingerprint(username, password),
		storeTimeout: storeTimeout,
		log:          log,
	}
	if budget > 0 {
		// x/time/rate: a bucket of budget requests refilled over budgetWindow. Worst case
		// 2×budget in one window (a full bucket, then its refill), far under 10,000.
		g.limiter = rate.NewLimiter(rate.Every(budgetWindow/time.Duration(budget)), budget)
	}
	return g
}

// check returns a *GuardError when a request must not be sent now. It merges the
// Store's state into the local copy first; a Store error is logged and ignored.
func (g *guard) check(ctx context.Context, now time.Time) error {
	shared, err := storeCall(ctx, g.store, g.storeTimeout, func(ctx context.Context) (GuardState, error) {
		return g.store.LoadGuard(ctx, g.key)
	})
	if err != nil {
		g.log.WarnContext(ctx, "csconnect: guard store unavailable, using local state", "op", "LoadGuard", "err", err)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if err == nil {
		inStore := shared.RejectedPair == g.pair && now.Before(shared.RejectedUntil)
		switch {
		case inStore && g.rejected == nil:
			g.rejected, g.rejectedShared = ErrInvalidCredentials, true
		case !inStore && g.rejectedShared:
			g.rejected, g.rejectedShared = nil, false // reset by another process (ResetGuard)
		}
		if shared.LockedUntil.After(g.lockedUntil) {
			g.lockedUntil, g.lockErr = shared.LockedUntil, ErrLockedOut
		}
	}
	if g.rejected != nil {
		return &GuardError{Reason: GuardRejected, Err: g.rejected}
	}
	if now.Before(g.lockedUntil) {
		return &GuardError{Reason: GuardLockedOut, Wait: g.lockedUntil.Sub(now), Err: g.lockErr}
	}
	return nil
}

// spend takes one request from the budget, or returns a *GuardError saying when there
// will be room.
func (g *guard) spend(now time.Time) error {
	if g.limiter == nil {
		return nil
	}
	r := g.limiter.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return &GuardError{Reason: GuardBudget, Wait: d}
	}
	return nil
}

// GuardStatus is what an Authenticator's lockout guard holds now, for metrics and
// health checks: whether it refuses the credentials, until when authenticate is
// paused, and how many requests the budget has left.
type GuardStatus struct {
	// Rejected: the credentials were refused (401 or 400) and are not sent again
	// until they change or ResetGuard.
	Rejected bool
	// LockedUntil is the end of a lockout (429) or pause (403), or zero.
	LockedUntil time.Time
	// BudgetLeft is how many authenticate requests the budget allows now; -1 when
	// there is no budget.
	BudgetLeft int
}

// status returns the guard's local state at now (what the last check or record
// left; the Store is not asked).
func (g *guard) status(now time.Time) GuardStatus {
	g.mu.Lock()
	s := GuardStatus{Rejected: g.rejected != nil, BudgetLeft: -1}
	if now.Before(g.lockedUntil) {
		s.LockedUntil = g.lockedUntil
	}
	g.mu.Unlock()
	if g.limiter != nil {
		s.BudgetLeft = int(g.limiter.TokensAt(now))
	}
	return s
}

// rejectPair records a 401 (or other invalid-credentials answer) for the pair.
func (g *guard) rejectPair(ctx context.Context, now time.Time, cause error) {
	g.mu.Lock()
	g.rejected = cause
	g.mu.Unlock()
	g.save(ctx, now)
}

// lockOut records a 429 lockout until until.
func (g *guard) lockOut(ctx context.Context, now, until time.Time, cause error) {
	g.mu.Lock()
	if until.After(g.lockedUntil) {
		g.lockedUntil, g.lockErr = until, cause
	}
	g.mu.Unlock()
	g.save(ctx, now)
}

// reset forgets the rejected pair and the lockout, locally and in the Store.
func (g *guard) reset(ctx context.Context) error {
	g.mu.Lock()
	g.rejected, g.rejectedShared, g.lockedUntil, g.lockErr = nil, false, time.Time{}, nil
	g.mu.Unlock()
	_, err := storeCall(ctx, g.store, g.storeTimeout, func(ctx context.Context) (struct{}, error) {
		return struct{}{}, g.store.SaveGuard(ctx, g.key, GuardState{})
	})
	return err
}

// save merges the local state into the Store's, detached from the caller's
// cancellation (the state must be shared even if the caller gave up) but bounded by
// storeTimeout. It merges rather than overwrites (GuardState.Merge), so that one
// process recording a lockout does not erase another's record of a rejected pair;
// atomically when the Store is a GuardMerger.
func (g *guard) save(ctx context.Context, now time.Time) {
	ctx = context.WithoutCancel(ctx)
	g.mu.Lock()
	local := GuardState{LockedUntil: g.lockedUntil}
	if g.rejected != nil {
		local.RejectedPair, local.RejectedUntil = g.pair, now.Add(rejectedMemory)
	}
	g.mu.Unlock()
	_, err := storeCall(ctx, g.store, g.storeTimeout, func(ctx context.Context) (struct{}, error) {
		if m, ok := g.store.(GuardMerger); ok {
			return struct{}{}, m.MergeGuard(ctx, g.key, local)
		}
		s, err := g.store.LoadGuard(ctx, g.key)
		if err != nil {
			return struct{}{}, err
		}
		return struct{}{}, g.store.SaveGuard(ctx, g.key, s.Merge(local))
	})
	if err == nil {
		g.mu.Lock()
		g.rejectedShared = g.rejected != nil && local.RejectedPair != "" // what was saved, if still so
		g.mu.Unlock()
	}
	if err != nil {
		g.log.WarnContext(ctx, "csconnect: guard store unavailable, state kept locally", "op", "SaveGuard", "err", err)
	}
}

// storeCall runs f with a context bounded by timeout and returns when f does or the
// context ends, whichever is first: a Store that ignores its context cannot hold the
// caller (its goroutine ends when f returns; the channel is buffered). The process's
// own MemoryStore is called directly: it never blocks.
func storeCall[T any](ctx context.Context, store Store, timeout time.Duration, f func(context.Context) (T, error)) (T, error) {
	if _, inProcess := store.(*MemoryStore); inProcess {
		return f(ctx) // never blocks: no goroutine, timer or channel on the hot path
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	type result struct {
		v   T
		err error
	}
	ch := make(chan result, 1)
	go func() {
		v, err := f(ctx)
		ch <- result{v, err}
	}()
	select {
	case r := <-ch:
		return r.v, r.err
	case <-ctx.Done():
		var zero T
		return zero, errors.Join(errors.New("store call abandoned"), ctx.Err())
	}
}
