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
