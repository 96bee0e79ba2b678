package csconnect

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"

	"github.com/csconnect/csconnect/internal/storekit"
)

// Store shares token and guard state between token caches, typically the processes of
// a fleet that use one Creditsafe account. Keys are credential fingerprints (a keyed
// hash of the username); a Store never sees the password. The default is process
// memory; pkg/redisstore shares it through Redis.
//
// Implementations must be safe for concurrent use and should honour ctx. A Store that
// fails (returns an error) never stops the caller: caches and guards fall back to
// local state; one that does not answer within its call timeout, even ignoring ctx,
// is abandoned for that call, so it cannot hold a caller or Close either. A Store may
// time itself with two more methods: CallTimeout() time.Duration, that call timeout
// (default 250 ms), and LeaseTiming() (ttl, poll time.Duration), how long a cache
// holds its refresh lease and how often a cache waiting on another's lease looks for
// the new token (default 10 s and 200 ms).
type Store interface {
	// LoadToken returns the shared token for key, or (nil, nil) when there is none.
	LoadToken(ctx context.Context, key string) (*Token, error)
	// SaveToken stores t for key until t.Expiry.
	SaveToken(ctx context.Context, key string, t *Token) error
	// AcquireLease tries to take the refresh lease for key for at most ttl. ok reports
	// whether this caller holds it; release gives it back (safely: only if still held).
	AcquireLease(ctx context.Context, key string, ttl time.Duration) (release func(), ok bool, err error)
	// LoadGuard returns the shared guard state for key (zero value when none).
	LoadGuard(ctx context.Context, key string) (GuardState, error)
	// MergeGuard replaces the guard state stored for key with stored.Merge(s),
	// atomically (two processes merging at once both see their records kept), and
	// returns the result. It is the only way guard state is written: a reset is a
	// merge too (GuardState.ResetAt). The record may expire by itself once nothing
	// in it is in force (GuardState.Until).
	MergeGuard(ctx context.Context, key string, s GuardState) (GuardState, error)
	// Fingerprint returns a keyed hash of parts (a username, or a username and
	// password), stable for every process that shares this store and useless to anyone
	// without the store's secret. Keys and the Pair of guard records are fingerprints.
	Fingerprint(parts ...string) string
}

// Bounds of the shared guard record: 8 rejected pairs per username, sends of the
// last 2 minutes (the vendor's rule on identical requests), rejections and resets
// for a day. See package internal/storekit.
const (
	maxRejectedPairs = storekit.MaxRejectedPairs
	identicalWindow  = storekit.IdenticalWindow
	rejectedMemory   = storekit.RejectedMemory
)

const (
	// maxIdentical is the most authenticate requests with the same credentials the
	// guard sends in any identicalWindow.
	maxIdentical = 5
	// maxSent bounds the sends a record keeps: maxIdentical for each of a few pairs.
	maxSent = maxIdentical * maxRejectedPairs
)

// GuardState is what the lockout guard shares about one username (its fingerprint).
// Every field merges by a rule that never loses another process's record (Merge),
// so processes recording at once, in any order, converge on the same state.
type GuardState struct {
	// Rejected are the pairs (fingerprints of username and password) answered 401 or
	// 400 after ResetAt, with when: at most 8, oldest first. A pair in
	// it is not sent again by any process sharing the record.
	Rejected []PairEvent
	// LockedUntil is when the authenticate lockout (429) or pause (403) ends, or
	// zero; LockedAt is when it was recorded (a reset clears what came before it).
	LockedUntil, LockedAt time.Time
	// ResetAt is when the guard was last reset (ResetGuard): rejections and lockouts
	// recorded before it no longer hold. A reset is this record, not an absence: a
	// record lost (expired, flushed) resets nothing.
	ResetAt time.Time
	// Sent are the authenticate requests sent (or about to be) within the last
	// 2 minutes and after the pair's last success, oldest first, for the limit
	// on identical requests.
	Sent []PairEvent
	// Succeeded holds, per pair (at most 8), when the last request
	// that got a token was sent: the sends before it no longer count toward the limit
	// (the vendor counts identical invalid requests; a token proves the request fine).
	Succeeded []PairEvent
}

// PairEvent is something that happened to one pair (a fingerprint of a username and
// password) at a time.
type PairEvent struct {
	Pair string
	At   time.Time
	// By identifies who recorded a send (random per Authenticator), so that two
	// processes sending at the same instant count twice; empty for rejections.
	By string
}

// Merge returns s updated with what another process recorded in o, by rules that
// never lose a record: the later reset wins; the later lockout wins (an earlier one
// saved later does not shorten it); rejected pairs are united (the most recent
// 8 kept); successes are united (the latest per pair); sends are
// united (those of the last 2 minutes before the latest and after their
// pair's last success, at most 5 per pair for 8 pairs). What a reset cleared stays cleared. It is
// the one merge rule for every Store, commutative and idempotent.
func (s GuardState) Merge(o GuardState) GuardState {
	out := GuardState{ResetAt: later(s.ResetAt, o.ResetAt)}
	out.LockedUntil, out.LockedAt = s.LockedUntil, s.LockedAt
	if o.LockedUntil.After(s.LockedUntil) || o.LockedUntil.Equal(s.LockedUntil) && o.LockedAt.After(s.LockedAt) {
		out.LockedUntil, out.LockedAt = o.LockedUntil, o.LockedAt
	}
	if !out.LockedAt.After(out.ResetAt) && !out.ResetAt.IsZero() {
		out.LockedUntil, out.LockedAt = time.Time{}, time.Time{}
	}
	out.Rejected = unite(s.Rejected, o.Rejected, true, func(e PairEvent) bool { return e.At.After(out.ResetAt) }, maxRejectedPairs)
	out.Succeeded = unite(s.Succeeded, o.Succeeded, true, func(PairEvent) bool { return true }, maxRejectedPairs)
	var last time.Time
	for _, es := range [...][]PairEvent{s.Sent, o.Sent} {
		for _, e := range es {
			last = later(last, e.At)
		}
	}
	out.Sent = unite(s.Sent, o.Sent, false, func(e PairEvent) bool {
		return last.Sub(e.At) < identicalWindow && !slices.ContainsFunc(out.Succeeded, func(ok PairEvent) bool {
			return ok.Pair == e.Pair && !e.At.After(ok.At)
		})
	}, maxSent)
	return out
}

// unite returns the events of a and b that keep says to keep, sorted by time, the
// latest n; byPair keeps one event per pair (the latest), else one per pair, time
// and recorder.
func unite(a, b []PairEvent, byPair bool, keep func(PairEvent) bool, n int) []PairEvent {
	if len(a)+len(b) == 0 {
		return nil
	}
	all := make([]PairEvent, 0, len(a)+len(b))
	for _, es := range [...][]PairEvent{a, b} {
		for _, e := range es {
			if e.Pair != "" && keep(e) {
				all = append(all, e)
			}
		}
	}
	slices.SortFunc(all, func(x, y PairEvent) int {
		return cmp.Or(x.At.Compare(y.At), strings.Compare(x.Pair, y.Pair), strings.Compare(x.By, y.By))
	})
	out := all[:0]
	for i, e := range all {
		dup := false
		for _, f := range all[i+1:] {
			if f.Pair == e.Pair && (byPair || f.At.Equal(e.At) && f.By == e.By) {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, e)
		}
	}
	if len(out) > n {
		out = out[len(out)-n:]
	}
	if len(out) == 0 {
		return nil
	}
	return slices.Clip(out)
}

// Until returns when nothing in s is in force any more: the end of the lockout, of
// the last send's window, and a day after the last rejection or reset. A
// Store may let the record expire then.
func (s GuardState) Until() time.Time {
	t := s.LockedUntil
	if !s.ResetAt.IsZero() {
		t = later(t, s.ResetAt.Add(rejectedMemory))
	}
	for _, e := range s.Rejected {
		t = later(t, e.At.Add(rejectedMemory))
	}
	for _, es := range [...][]PairEvent{s.Sent, s.Succeeded} {
		for _, e := range es {
			t = later(t, e.At.Add(identicalWindow))
		}
	}
	return t
}

// callTimeout returns s's CallTimeout when it has a positive one (see Store), else
// defaultStoreTimeout.
func callTimeout(s Store) time.Duration {
	if ct, ok := s.(interface{ CallTimeout() time.Duration }); ok {
		if d := ct.CallTimeout(); d > 0 {
			return d
		}
	}
	return defaultStoreTimeout
}
