package csconnect

import (
	"context"
	"time"
)

// Store shares token and guard state between token caches, typically the processes of
// a fleet that use one Creditsafe account. Keys are credential fingerprints (a keyed
// hash of the username); a Store never sees the password. The default is process
// memory; pkg/redisstore shares it through Redis.
//
// Implementations must be safe for concurrent use. A Store that fails (returns an
// error) must never stop the caller: caches and guards fall back to local state.
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
	// SaveGuard records guard state for key; it expires by itself once nothing in it
	// is in force.
	SaveGuard(ctx context.Context, key string, s GuardState) error
	// Fingerprint returns a keyed hash of parts (a username, or a username and
	// password), stable for every process that shares this store and useless to anyone
	// without the store's secret. Keys and RejectedPair values are fingerprints.
	Fingerprint(parts ...string) string
}

// GuardMerger is implemented by a Store that can merge guard state atomically. The
// guard records a rejected pair or a lockout with MergeGuard when its Store has it, so
// that two processes recording at the same instant cannot lose one record; otherwise
// it loads, merges and saves, which can (a window of one Store round trip).
// MemoryStore and pkg/redisstore implement it.
type GuardMerger interface {
	// MergeGuard replaces the state stored for key with stored.Merge(s), atomically.
	MergeGuard(ctx context.Context, key string, s GuardState) error
}

// GuardState is what the lockout guard remembers about one credential fingerprint.
type GuardState struct {
	// RejectedPair is a keyed hash of the (username, password) pair last answered 401,
	// or empty. The same pair is not sent again while it is set.
	RejectedPair string
	// RejectedUntil bounds how long RejectedPair is remembered by a shared store.
	RejectedUntil time.Time
	// LockedUntil is when the authenticate lockout (429) ends, or zero.
	LockedUntil time.Time
}

// Merge returns s updated with what another process recorded in o: the later lockout
// wins (an earlier one saved later does not shorten it), and o's rejected pair, when
// set, replaces s's with its RejectedUntil (only one pair is remembered: the last
// rejected). It is the one merge rule for every Store.
func (s GuardState) Merge(o GuardState) GuardState {
	if o.LockedUntil.After(s.LockedUntil) {
		s.LockedUntil = o.LockedUntil
	}
	if o.RejectedPair != "" {
		s.RejectedPair, s.RejectedUntil = o.RejectedPair, o.RejectedUntil
	}
	return s
}
