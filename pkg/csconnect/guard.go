package csconnect

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"slices"
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
	// defaultBudget is the default number of authenticate requests per budgetWindow:
	// a token lasts an hour, so even a busy fleet needs a handful; 100 is 1% of the
	// vendor's threshold.
	defaultBudget = 100
	// maxClockSkew is how far ahead of the local clock a time read from the Store may
	// be and still be believed: a fleet keeps its clocks in sync (NTP), so a record
	// from further ahead was planted, and obeying it could hold the guard for ever.
	maxClockSkew = time.Minute
)

// guardReason says why the guard refused an authenticate request.
type guardReason string

// The reasons the guard refuses an authenticate request.
const (
	// guardRejected: the same username and password were answered 401 (or 400: a
	// request the vendor could not read counts as an identical invalid request) before.
	guardRejected guardReason = "credentials rejected before"
	// guardLockedOut: authenticate answered 429 (or 403: the account is not active or
	// the user is locked) and the pause is not over.
	guardLockedOut guardReason = "locked out"
	// guardBudget: the per-5-minute budget of authenticate requests is spent.
	guardBudget guardReason = "budget spent"
	// guardRepeated: maxIdentical requests with these credentials were sent in the
	// last identicalWindow (by this process or another sharing the Store).
	guardRepeated guardReason = "identical requests limit"
)

// name is the reason as Hooks report it (Event.Refused).
func (r guardReason) name() string {
	switch r {
	case guardRejected:
		return "rejected"
	case guardLockedOut:
		return "locked_out"
	case guardBudget:
		return "budget"
	case guardRepeated:
		return "identical_requests"
	}
	return "other"
}

// GuardError is returned when csconnect refused to send an authenticate request
// because of what it remembers, without touching the network: credentials rejected
// before, a lockout not over, too many identical requests, or a spent budget. It
// unwraps to the error that set the guard, so errors.Is(err, ErrInvalidCredentials),
// ErrLockedOut or ErrRateLimited hold as they did for the original answer.
type GuardError struct {
	reason guardReason
	// Wait is how long until the guard lets a request through; zero for rejected
	// credentials, which hold until they change or the guard is reset.
	Wait time.Duration
	// Err is the error that set the guard, or the previous attempt's when the guard
	// stopped a retry; nil when there is none.
	Err error
}

// Error says the request was not sent, why, and what to do.
func (e *GuardError) Error() string {
	switch e.reason {
	case guardRejected:
		return "csconnect: authenticate not sent: these credentials were rejected before (sending them again risks locking the account); fix them or reset the guard"
	case guardLockedOut:
		if errors.Is(e.Err, ErrAccountInactive) {
			return fmt.Sprintf("csconnect: authenticate not sent: paused for another %s after a 403 (account not active or user locked); check with Creditsafe integration support", e.Wait.Round(time.Second))
		}
		return fmt.Sprintf("csconnect: authenticate not sent: locked out for another %s after a 429", e.Wait.Round(time.Second))
	case guardRepeated:
		return fmt.Sprintf("csconnect: authenticate not sent: %d identical requests were sent in the last %s (the vendor locks out beyond); room again in %s", maxIdentical, identicalWindow, e.Wait.Round(time.Millisecond))
	default:
		return fmt.Sprintf("csconnect: authenticate not sent: the budget of authenticate requests is spent; room again in %s", e.Wait.Round(time.Millisecond))
	}
}

// Unwrap returns the error that set the guard.
func (e *GuardError) Unwrap() error { return e.Err }

// Is classifies a GuardError like the answer that set it, even when that came from a
// Store (whose state carries no cause): rejected credentials match
// ErrInvalidCredentials, a lockout ErrLockedOut and ErrRateLimited, a spent budget or
// too many identical requests ErrRateLimited. When the cause is known and is
// something else (a 400, a 403), only the cause matches, through Unwrap.
func (e *GuardError) Is(target error) bool {
	switch e.reason {
	case guardRejected:
		return target == ErrInvalidCredentials && (e.Err == nil || errors.Is(e.Err, ErrInvalidCredentials))
	case guardLockedOut:
		return (target == ErrLockedOut || target == ErrRateLimited) && (e.Err == nil || errors.Is(e.Err, ErrLockedOut))
	case guardBudget, guardRepeated:
		return target == ErrRateLimited
	}
	return false
}

// guard is the lockout guard of one Authenticator: it refuses a request locally after a
// 401 for the same pair, during a 429 lockout, beyond the budget and beyond
// maxIdentical identical requests in identicalWindow. Its state lives in the Store
// (shared with other processes) and in a local copy, so a failing or slow Store never
// stops it from working, and a Store that loses its record resets nothing: only a
// reset recorded in the Store (GuardState.ResetAt) or this process's ResetGuard
// clears a rejection. Without a Store the local copy is the whole state. Safe for
// concurrent use.
type guard struct {
	// store is AuthConfig.Store, each call bounded; nil without one (a Store of the
	// guard's own would only ever hold what the local copy holds: reading and
	// merging one cost ~3% of a loopback authenticate call, BenchmarkAuthenticate,
	// and changed nothing).
	store   *boundedStore
	mem     *memoryStore // store, when it is a memoryStore (NewMemoryStore): read and merged in place, see load and share
	key     string       // store.Fingerprint(username); empty without a store
	pair    string       // store.Fingerprint(username, password); empty without a store
	id      string       // random: tells this guard's sends from another's at the same instant
	log     *slog.Logger
	limiter *rate.Limiter // nil: no budget

	mu          sync.Mutex // taken under a memoryStore's lock (load's and share's f), never held across a Store call
	rejected    error      // set after a 401 for pair (or learned from the Store): the error to unwrap to
	rejectedAt  time.Time  // when pair was rejected
	resetSeen   time.Time  // the latest reset acted on
	lockedUntil time.Time
	lockedAt    time.Time
	lockErr     error
	sent        []pairEvent // sends of pair in the last identicalWindow, ascending
}

// newGuard returns the guard of username and password over store (nil: none),
// each Store call bounded by storeTimeout.
func newGuard(store Store, username, password string, budget int, storeTimeout time.Duration, log *slog.Logger) *guard {
	g := &guard{id: rand.Text(), log: log}
	if store != nil {
		g.store = newBoundedStore(store, storeTimeout)
		g.mem, _ = store.(*memoryStore)
		g.key, g.pair = store.Fingerprint(username), store.Fingerprint(username, password)
	}
	if budget > 0 {
		// x/time/rate: a bucket of budget requests refilled over budgetWindow. Worst case
		// 2×budget in one window (a full bucket, then its refill), far under 10,000.
		g.limiter = rate.NewLimiter(rate.Every(budgetWindow/time.Duration(budget)), budget)
	}
	return g
}

// check returns a *GuardError when a request must not be sent now. It merges the
// Store's state into the local copy first; a Store error is logged and ignored. When
// the Store no longer holds this process's rejection (lost, flushed, expired), the
// rejection is shared again.
func (g *guard) check(ctx context.Context, now time.Time, last error) error {
	var refusal error
	var heal pairEvent // the rejection to share again, if its Pair is set
	decided := false
	g.load(ctx, func(shared GuardState) {
		g.mu.Lock()
		defer g.mu.Unlock()
		g.learn(shared, now)
		if g.rejected != nil && !slices.ContainsFunc(shared.rejected, func(e pairEvent) bool { return e.Pair == g.pair }) {
			heal = pairEvent{Pair: g.pair, At: g.rejectedAt}
		}
		refusal, decided = g.refusal(now, last), true
	})
	if !decided { // the Store failed, or there is none: the local copy decides alone
		g.mu.Lock()
		refusal = g.refusal(now, last)
		g.mu.Unlock()
	}
	if heal.Pair != "" {
		_ = g.share(ctx, GuardState{rejected: []pairEvent{heal}}, nil)
	}
	return refusal
}

// admit runs the guard before one request: check, budget, and the count of identical
// requests. It returns the budget's reservation, to refund if the request is not
// sent, or the *GuardError that refuses it. last is the previous attempt's error
// when this is a retry.
func (g *guard) admit(ctx context.Context, now time.Time, last error) (*rate.Reservation, error) {
	if err := g.check(ctx, now, last); err != nil {
		return nil, err
	}
	r, err := g.spend(now, last)
	if err != nil {
		return nil, err
	}
	if err := g.recordSend(ctx, now, last); err != nil {
		g.refund(r, now)
		return nil, err
	}
	return r, nil
}

// believable reports whether a time read from the Store is not from the future.
func believable(t, now time.Time) bool { return !t.After(now.Add(maxClockSkew)) }

// learn merges what the Store holds into the local copy, checked as a Retry-After
// is: a time from the future is not believed, a lockout lasts at most maxRetryAfter
// from when it was recorded. A reset clears what was recorded before it, once.
// Called with g.mu held.
func (g *guard) learn(shared GuardState, now time.Time) {
	if r := shared.ResetAt; r.After(g.resetSeen) && believable(r, now) {
		g.resetSeen = r
		if g.rejected != nil && !g.rejectedAt.After(r) {
			g.rejected = nil // reset by another process (ResetGuard)
		}
		if !g.lockedAt.After(r) {
			g.lockedUntil, g.lockedAt, g.lockErr = time.Time{}, time.Time{}, nil
		}
	}
	for _, e := range shared.rejected {
		if e.Pair == g.pair && g.rejected == nil && e.At.After(g.resetSeen) && believable(e.At, now) {
			g.rejected, g.rejectedAt = ErrInvalidCredentials, e.At
		}
	}
	if at := shared.lockedAt; at.After(g.resetSeen) && believable(at, now) {
		until := earlier(shared.lockedUntil, at.Add(maxRetryAfter))
		if until.After(g.lockedUntil) {
			g.lockedUntil, g.lockedAt, g.lockErr = until, at, ErrLockedOut
		}
	}
	for _, e := range shared.sent {
		if e.Pair == g.pair && believable(e.At, now) {
			g.noteSent(e, now)
		}
	}
	for _, e := range shared.succeeded {
		if e.Pair == g.pair && believable(e.At, now) {
			g.clearSent(e.At)
		}
	}
}

// clearSent forgets the sends up to at, when a request sent at at got a token.
// Called with g.mu held.
func (g *guard) clearSent(at time.Time) {
	g.sent = slices.DeleteFunc(g.sent, func(s pairEvent) bool { return !s.At.After(at) })
}

// succeeded records that the request sent at sentAt got a token: the sends before
// it no longer count toward the identical-request limit, here and in the Store.
func (g *guard) succeeded(ctx context.Context, sentAt time.Time) {
	g.mu.Lock()
	g.clearSent(sentAt)
	g.mu.Unlock()
	_ = g.share(ctx, GuardState{succeeded: []pairEvent{{Pair: g.pair, At: sentAt}}}, nil)
}

// noteSent adds a send of pair to the local copy (once), dropping those out of the
// window. Called with g.mu held.
func (g *guard) noteSent(e pairEvent, now time.Time) {
	g.sent = slices.DeleteFunc(g.sent, func(s pairEvent) bool { return now.Sub(s.At) >= identicalWindow })
	if now.Sub(e.At) >= identicalWindow {
		return
	}
	i, found := slices.BinarySearchFunc(g.sent, e, compareEvents) // every event is pair's
	if !found {
		g.sent = slices.Insert(g.sent, i, e)
	}
}

// refusal returns the *GuardError the local copy calls for at now, or nil. last is
// the previous attempt's error, for a refusal that stops retries. Called with g.mu
// held.
func (g *guard) refusal(now time.Time, last error) error {
	if g.rejected != nil {
		return &GuardError{reason: guardRejected, Err: g.rejected}
	}
	if now.Before(g.lockedUntil) {
		return &GuardError{reason: guardLockedOut, Wait: g.lockedUntil.Sub(now), Err: g.lockErr}
	}
	var window []time.Time // sends in (now-identicalWindow, now]
	for _, s := range g.sent {
		if now.Sub(s.At) < identicalWindow && !s.At.After(now) {
			window = append(window, s.At)
		}
	}
	if len(window) >= maxIdentical {
		oldest := window[len(window)-maxIdentical]
		return &GuardError{reason: guardRepeated, Wait: oldest.Add(identicalWindow).Sub(now), Err: last}
	}
	return nil
}

// spend takes one request from the budget, or returns a *GuardError saying when there
// will be room. The reservation returned is given back with refund when the request
// turns out not to have been sent.
func (g *guard) spend(now time.Time, last error) (*rate.Reservation, error) {
	if g.limiter == nil {
		return nil, nil
	}
	r := g.limiter.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return nil, &GuardError{reason: guardBudget, Wait: d, Err: last}
	}
	return r, nil
}

// refund gives back a budget reservation whose request was not sent.
func (g *guard) refund(r *rate.Reservation, now time.Time) {
	if r != nil {
		r.CancelAt(now)
	}
}

// recordSend counts a request about to be sent with the pair, here and in the Store,
// and returns a *GuardError when it would be one more than maxIdentical in
// identicalWindow since the pair's last success: the check before it saw room, but processes sharing the Store may
// have sent meanwhile. The record is merged into the Store first (atomically), so
// of processes recording at once, at most maxIdentical go ahead; one refused still
// counts (the limit errs on the side of sending less).
func (g *guard) recordSend(ctx context.Context, now time.Time, last error) error {
	send := pairEvent{Pair: g.pair, At: now, By: g.id}
	g.mu.Lock()
	g.noteSent(send, now)
	g.mu.Unlock()
	var refusal error
	decided := false
	_ = g.share(ctx, GuardState{sent: []pairEvent{send}}, func(merged GuardState) {
		g.mu.Lock()
		defer g.mu.Unlock()
		g.learn(merged, now) // another process may have recorded something meanwhile
		refusal, decided = g.afterSend(now, last), true
	})
	if !decided { // the Store failed, or there is none: the local copy decides alone
		g.mu.Lock()
		refusal = g.afterSend(now, last)
		g.mu.Unlock()
	}
	return refusal
}

// afterSend is recordSend's decision, once the send is recorded: a *GuardError when
// it is one more than maxIdentical, or the pair was rejected or locked out meanwhile.
// Called with g.mu held.
func (g *guard) afterSend(now time.Time, last error) error {
	n := 0
	for _, s := range g.sent {
		if now.Sub(s.At) < identicalWindow && !s.At.After(now) {
			n++
		}
	}
	if n > maxIdentical || g.rejected != nil || now.Before(g.lockedUntil) {
		return g.refusal(now, last)
	}
	return nil
}

// GuardStatus is what an Authenticator's lockout guard holds now, for metrics and
// health checks: whether it refuses the credentials, and until when authenticate is
// paused.
type GuardStatus struct {
	// Rejected: the credentials were refused (401 or 400) and are not sent again
	// until they change or ResetGuard.
	Rejected bool
	// LockedUntil is the end of a lockout (429) or pause (403), or zero.
	LockedUntil time.Time
}

// status returns the guard's local state at now (what the last check or record
// left; the Store is not asked).
func (g *guard) status(now time.Time) GuardStatus {
	g.mu.Lock()
	defer g.mu.Unlock()
	s := GuardStatus{Rejected: g.rejected != nil}
	if now.Before(g.lockedUntil) {
		s.LockedUntil = g.lockedUntil
	}
	return s
}

// rejectPair records a 401 (or other invalid-credentials answer) for the pair.
func (g *guard) rejectPair(ctx context.Context, now time.Time, cause error) {
	g.mu.Lock()
	g.rejected, g.rejectedAt = cause, now
	g.mu.Unlock()
	_ = g.share(ctx, GuardState{rejected: []pairEvent{{Pair: g.pair, At: now}}}, nil)
}

// lockOut records a 429 lockout until until.
func (g *guard) lockOut(ctx context.Context, now, until time.Time, cause error) {
	g.mu.Lock()
	if until.After(g.lockedUntil) {
		g.lockedUntil, g.lockedAt, g.lockErr = until, now, cause
	}
	g.mu.Unlock()
	_ = g.share(ctx, GuardState{lockedUntil: until, lockedAt: now}, nil)
}

// reset forgets the rejected pair and the lockout, locally and, by recording the
// reset, in the Store: every process sharing it forgets what it recorded before now.
func (g *guard) reset(ctx context.Context, now time.Time) error {
	g.mu.Lock()
	g.rejected, g.lockedUntil, g.lockedAt, g.lockErr = nil, time.Time{}, time.Time{}, nil
	g.resetSeen = later(g.resetSeen, now)
	g.mu.Unlock()
	return g.share(ctx, GuardState{ResetAt: now}, nil)
}

// load calls f with the Store's record, bounded by the store timeout. A failure is
// logged, and f is not called. A memoryStore is read under its lock, without a
// copy: f must not keep the record. Without a Store it reads nothing and does not
// call f: the local copy decides alone.
func (g *guard) load(ctx context.Context, f func(GuardState)) {
	if g.store == nil {
		return
	}
	if g.mem != nil {
		g.mem.loadGuardFunc(g.key, f)
		return
	}
	shared, err := storeCall(ctx, g.store, func(ctx context.Context) (GuardState, error) {
		return g.store.LoadGuard(ctx, g.key)
	})
	if err != nil {
		g.log.WarnContext(ctx, "csconnect: guard store unavailable, using local state", "op", "LoadGuard", "err", err)
		return
	}
	f(shared)
}

// share merges st into the Store's record (the one way guard state is written),
// detached from the caller's cancellation (the state must be shared even if the
// caller gave up) but bounded by the store timeout, and calls f, unless nil, with
// the merged record. A failure is logged and returned, and f is not called; the
// local copy holds regardless. A memoryStore merges in place, under its lock, and
// calls f there: f must not keep the record. Without a Store it writes nothing and
// does not call f.
func (g *guard) share(ctx context.Context, st GuardState, f func(GuardState)) error {
	if g.store == nil {
		return nil
	}
	if g.mem != nil {
		g.mem.mergeGuardFunc(g.key, st, f)
		return nil
	}
	return g.shareRemote(ctx, st, f)
}

// shareRemote is share through storeCall: apart, so that share's st stays on the
// stack on the memoryStore's path.
func (g *guard) shareRemote(ctx context.Context, st GuardState, f func(GuardState)) error {
	ctx = context.WithoutCancel(ctx)
	merged, err := storeCall(ctx, g.store, func(ctx context.Context) (GuardState, error) {
		return g.store.MergeGuard(ctx, g.key, st)
	})
	if err != nil {
		g.log.WarnContext(ctx, "csconnect: guard store unavailable, state kept locally", "op", "MergeGuard", "err", err)
		return err
	}
	if f != nil {
		f(merged)
	}
	return nil
}
