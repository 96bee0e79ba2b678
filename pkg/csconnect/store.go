package csconnect

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"time"

	"github.com/csconnect/csconnect/internal/storekit"
)

// Store shares token and guard state between token caches, typically the processes of
// a fleet that use one Creditsafe account (AuthConfig.Store). Keys are credential
// fingerprints (Fingerprint: the guard's of the username, the token's of the
// username and password); a Store never sees the password. Without one an
// Authenticator keeps its guard in its own memory and its Cache shares nothing;
// NewMemoryStore shares state within a process, pkg/redisstore and pkg/filestore
// between processes.
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
	// without the store's secret. Keys and the Pair of guard records are fingerprints;
	// an Authenticator given a Store whose fingerprints are empty does not use it.
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

// GuardState is what the lockout guard shares about one username (its fingerprint):
// the pairs (fingerprints of username and password) answered 401 or 400, a lockout
// (429) or pause (403) with when it was recorded, the last reset, and recent sends and
// successes. It is opaque to a Store, which persists it as JSON (MarshalJSON, one
// document format for every Store) and combines records only with Merge, a rule that
// never loses another process's record, so processes recording at once, in any order,
// converge on the same state.
type GuardState struct {
	// ResetAt is when the guard was last reset (ResetGuard): rejections and lockouts
	// recorded before it no longer hold. A reset is this record, not an absence: a
	// record lost (expired, flushed) resets nothing. A tool resets a username's guard
	// in a Store by merging GuardState{ResetAt: time.Now()}.
	ResetAt time.Time

	// rejected are the pairs answered 401 or 400 after ResetAt, with when: at most
	// maxRejectedPairs, oldest first. A pair in it is not sent again by any process
	// sharing the record.
	rejected []pairEvent
	// lockedUntil is when the authenticate lockout (429) or pause (403) ends, or zero;
	// lockedAt is when it was recorded (a reset clears what came before it).
	lockedUntil, lockedAt time.Time
	// sent are the authenticate requests sent (or about to be) within the last
	// identicalWindow and after the pair's last success, oldest first, for the limit
	// on identical requests.
	sent []pairEvent
	// succeeded holds, per pair (at most maxRejectedPairs), when the last request that
	// got a token was sent: the sends before it no longer count toward the limit (the
	// vendor counts identical invalid requests; a token proves the request fine).
	succeeded []pairEvent
}

// pairEvent is something that happened to one pair (a fingerprint of a username and
// password) at a time.
type pairEvent struct {
	Pair string    `json:"pair"`
	At   time.Time `json:"at"`
	// By identifies who recorded a send (random per Authenticator), so that two
	// processes sending at the same instant count twice; empty for rejections.
	By string `json:"by,omitempty"`
}

// Merge returns s updated with what another process recorded in o, by rules that
// never lose a record: the later reset wins; the later lockout wins (an earlier one
// saved later does not shorten it); rejected pairs are united (the most recent
// 8 kept); successes are united (the latest per pair); sends are united (those of
// the last 2 minutes before the latest and after their pair's last success, the
// latest 40 of all pairs: 5 for each of 8). What a reset cleared stays cleared. It
// is the one merge rule for every Store, commutative and idempotent.
func (s GuardState) Merge(o GuardState) GuardState {
	out := GuardState{ResetAt: later(s.ResetAt, o.ResetAt)}
	out.lockedUntil, out.lockedAt = s.lockedUntil, s.lockedAt
	if o.lockedUntil.After(s.lockedUntil) || o.lockedUntil.Equal(s.lockedUntil) && o.lockedAt.After(s.lockedAt) {
		out.lockedUntil, out.lockedAt = o.lockedUntil, o.lockedAt
	}
	if !out.lockedAt.After(out.ResetAt) && !out.ResetAt.IsZero() {
		out.lockedUntil, out.lockedAt = time.Time{}, time.Time{}
	}
	out.rejected = unite(s.rejected, o.rejected, true, func(e pairEvent) bool { return e.At.After(out.ResetAt) }, maxRejectedPairs)
	out.succeeded = unite(s.succeeded, o.succeeded, true, func(pairEvent) bool { return true }, maxRejectedPairs)
	var last time.Time
	for _, es := range [...][]pairEvent{s.sent, o.sent} {
		for _, e := range es {
			last = later(last, e.At)
		}
	}
	out.sent = unite(s.sent, o.sent, false, func(e pairEvent) bool { return keepSend(e, last, out.succeeded) }, maxSent)
	return out
}

// keepSend is Merge's rule for a send e: kept when within identicalWindow of last,
// the latest send of both states, and after its pair's last success.
func keepSend(e pairEvent, last time.Time, succeeded []pairEvent) bool {
	return last.Sub(e.At) < identicalWindow && !slices.ContainsFunc(succeeded, func(ok pairEvent) bool {
		return ok.Pair == e.Pair && !e.At.After(ok.At)
	})
}

// unite returns the events of a and b that keep says to keep, sorted by time, the
// latest n; byPair keeps one event per pair (the latest), else one per pair, time
// and recorder. It walks back from the latest and stops at n, so its cost is the
// sort's: a and b may come from a document of any size (UnmarshalJSON).
func unite(a, b []pairEvent, byPair bool, keep func(pairEvent) bool, n int) []pairEvent {
	if len(a)+len(b) == 0 {
		return nil
	}
	all := make([]pairEvent, 0, len(a)+len(b))
	for _, es := range [...][]pairEvent{a, b} {
		for _, e := range es {
			if e.Pair != "" && keep(e) {
				all = append(all, e)
			}
		}
	}
	slices.SortFunc(all, compareEvents)
	var out []pairEvent
	for i := len(all) - 1; i >= 0 && len(out) < n; i-- {
		e := all[i]
		var dup bool
		if byPair { // a later event of the pair was kept: every later one was walked
			dup = slices.ContainsFunc(out, func(f pairEvent) bool { return f.Pair == e.Pair })
		} else if i+1 < len(all) { // equal events are next to each other in this order
			f := all[i+1]
			dup = f.Pair == e.Pair && f.At.Equal(e.At) && f.By == e.By
		}
		if !dup {
			out = append(out, e)
		}
	}
	slices.Reverse(out)
	return out
}

// Until returns when nothing in s is in force any more: the end of the lockout, of
// the last send's window, and a day after the last rejection or reset. A
// Store may let the record expire then.
func (s GuardState) Until() time.Time {
	t := s.lockedUntil
	if !s.ResetAt.IsZero() {
		t = later(t, s.ResetAt.Add(rejectedMemory))
	}
	for _, e := range s.rejected {
		t = later(t, e.At.Add(rejectedMemory))
	}
	for _, es := range [...][]pairEvent{s.sent, s.succeeded} {
		for _, e := range es {
			t = later(t, e.At.Add(identicalWindow))
		}
	}
	return t
}

// guardDoc is the JSON document of a GuardState, the one format every Store keeps.
type guardDoc struct {
	Rejected    []pairEvent `json:"rejected,omitempty"`
	LockedUntil time.Time   `json:"locked_until,omitzero"`
	LockedAt    time.Time   `json:"locked_at,omitzero"`
	ResetAt     time.Time   `json:"reset_at,omitzero"`
	Sent        []pairEvent `json:"sent,omitempty"`
	Succeeded   []pairEvent `json:"succeeded,omitempty"`

	// The one rejected pair that pkg/redisstore stored before the list, read so that
	// a fleet being upgraded keeps it.
	LegacyPair  string    `json:"rejected_pair,omitempty"`
	LegacyUntil time.Time `json:"rejected_until,omitzero"`
}

// MarshalJSON encodes s as a Store keeps it. It holds fingerprints and times only.
func (s GuardState) MarshalJSON() ([]byte, error) {
	return json.Marshal(guardDoc{Rejected: s.rejected, LockedUntil: s.lockedUntil, LockedAt: s.lockedAt,
		ResetAt: s.ResetAt, Sent: s.sent, Succeeded: s.succeeded})
}

// maxGuardDoc bounds a guard document UnmarshalJSON reads. At Merge's bounds (8
// rejected pairs, 40 sends, 8 successes) a document is under 10 KiB; a larger one was
// not written by MarshalJSON, and reading it would cost every guard call.
const maxGuardDoc = 64 << 10

// UnmarshalJSON decodes what MarshalJSON encoded (and the earlier redisstore format),
// within the bounds Merge keeps. Anything but a JSON object or null, or a document
// larger than 64 KiB, is an error.
func (s *GuardState) UnmarshalJSON(b []byte) error {
	if len(b) > maxGuardDoc {
		return errors.New("csconnect: guard state document larger than 64 KiB")
	}
	var d guardDoc
	if err := json.Unmarshal(b, &d); err != nil {
		return errors.New("csconnect: not a guard state document")
	}
	st := GuardState{rejected: d.Rejected, lockedUntil: d.LockedUntil, lockedAt: d.LockedAt, ResetAt: d.ResetAt,
		sent: d.Sent, succeeded: d.Succeeded}
	if st.lockedAt.IsZero() && !st.lockedUntil.IsZero() { // a legacy lockout: assume the documented length
		st.lockedAt = st.lockedUntil.Add(-5 * time.Minute)
	}
	if d.LegacyPair != "" && !d.LegacyUntil.IsZero() {
		st = st.Merge(GuardState{rejected: []pairEvent{{Pair: d.LegacyPair, At: d.LegacyUntil.Add(-rejectedMemory)}}})
	}
	*s = st.Merge(GuardState{}) // the bounds and order Merge keeps
	return nil
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
