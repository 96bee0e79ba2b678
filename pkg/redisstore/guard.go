package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/csconnect/csconnect/pkg/csconnect"
)

var _ csconnect.GuardMerger = (*Store)(nil)

// guardDoc is a csconnect.GuardState as stored.
type guardDoc struct {
	RejectedPair  string    `json:"rejected_pair,omitempty"`
	RejectedUntil time.Time `json:"rejected_until,omitzero"`
	LockedUntil   time.Time `json:"locked_until,omitzero"`
}

// LoadGuard returns the guard state shared under key: the zero value when none is
// stored. A value it cannot read (see ErrCorrupt) is an error.
func (s *Store) LoadGuard(ctx context.Context, key string) (csconnect.GuardState, error) {
	name := s.key("guard", key)
	opCtx, cancel := s.opContext(ctx)
	defer cancel()
	v, err := get(opCtx, s.client, name)
	if err = s.observe(ctx, "load guard", err); errors.Is(err, redis.Nil) {
		return csconnect.GuardState{}, nil
	} else if err != nil {
		return csconnect.GuardState{}, err
	}
	return s.decodeGuard(name, v)
}

func (s *Store) decodeGuard(name string, v []byte) (csconnect.GuardState, error) {
	doc, err := s.open(name, v)
	if err != nil {
		return csconnect.GuardState{}, fmt.Errorf("redisstore: load guard: %w", err)
	}
	var d guardDoc
	if err := json.Unmarshal(doc, &d); err != nil {
		return csconnect.GuardState{}, fmt.Errorf("redisstore: load guard: %w: not a guard document", ErrCorrupt)
	}
	return csconnect.GuardState(d), nil
}

// SaveGuard shares st under key until the latest time in it: LockedUntil, and
// RejectedUntil when RejectedPair is set. State with nothing in force deletes the key.
// A RejectedPair with a zero RejectedUntil is kept without expiry (until a later
// SaveGuard replaces it), since a rejected password stays rejected.
func (s *Store) SaveGuard(ctx context.Context, key string, st csconnect.GuardState) error {
	name := s.key("guard", key)
	opCtx, cancel := s.opContext(ctx)
	defer cancel()
	return s.observe(ctx, "save guard", s.writeGuard(opCtx, s.client, name, st))
}

// maxMergeAttempts bounds MergeGuard's optimistic retries. Another process writing
// the same guard key between our read and write costs one retry; a fleet records a
// lockout or a rejection a handful of times at most, so 32 is never reached in
// practice, and past it the guard keeps its state locally (as for any Store error).
const maxMergeAttempts = 32

// errMergeContended is MergeGuard's error when every attempt met a concurrent write.
var errMergeContended = errors.New("guard key kept changing under concurrent writes")

// MergeGuard replaces the state shared under key with stored.Merge(st), atomically: a
// Redis optimistic transaction (WATCH, read, MULTI/EXEC) that is retried when another
// process wrote the key in between, so no process's lockout or rejected pair is lost.
// The merge is done here rather than in a server-side script because the stored value
// may be encrypted. A stored value it cannot read is an error, as for LoadGuard: it is
// not overwritten. When Redis refuses transactions (ACL, proxy), it reads then
// writes instead, as a Store without MergeGuard is used.
func (s *Store) MergeGuard(ctx context.Context, key string, st csconnect.GuardState) error {
	name := s.key("guard", key)
	opCtx, cancel := s.opContext(ctx)
	defer cancel()
	merge := func(tx *redis.Tx) error {
		cur := csconnect.GuardState{}
		v, err := get(opCtx, tx, name)
		switch {
		case errors.Is(err, redis.Nil):
		case err != nil:
			return err
		default:
			if cur, err = s.decodeGuard(name, v); err != nil {
				return err
			}
		}
		_, err = tx.TxPipelined(opCtx, func(p redis.Pipeliner) error {
			return s.writeGuard(opCtx, p, name, cur.Merge(st))
		})
		return err
	}
	for range maxMergeAttempts {
		var reply redis.Error
		switch err := s.client.Watch(opCtx, merge, name); {
		case errors.Is(err, redis.TxFailedErr):
			continue // another process wrote the key: read it again
		case errors.Is(err, ErrCorrupt):
			return err // the value is unreadable, Redis is fine: not an outage
		case errors.As(err, &reply):
			// Redis answered, but refused the transaction: an ACL without WATCH,
			// MULTI or EXEC, or a proxy without transactions. Merge without one.
			return s.mergeGuardUnguarded(ctx, key, st, err)
		default:
			return s.observe(ctx, "merge guard", err)
		}
	}
	return fmt.Errorf("redisstore: merge guard: %w", errMergeContended)
}

// mergeGuardUnguarded merges st into the stored state by reading then writing, as
// csconnect does for a Store without MergeGuard: two processes recording at the same
// instant may lose one record. Used when Redis refuses transactions; the first time,
// it says so to the Logger.
func (s *Store) mergeGuardUnguarded(ctx context.Context, key string, st csconnect.GuardState, refused error) error {
	if s.noTx.CompareAndSwap(false, true) && s.logger != nil {
		s.logger.Warn("redisstore: redis refused a transaction (WATCH/MULTI/EXEC); guard records are merged without one, so two pods recording at once may lose one", "err", refused)
	}
	cur, err := s.LoadGuard(ctx, key)
	if err != nil {
		return err
	}
	return s.SaveGuard(ctx, key, cur.Merge(st))
}

// writeGuard queues (on a pipeline) or sends the command that shares st under name:
// SET with the TTL SaveGuard documents, or DEL when nothing in st is in force.
func (s *Store) writeGuard(ctx context.Context, c redis.Cmdable, name string, st csconnect.GuardState) error {
	now := s.now()
	var until time.Time
	if st.LockedUntil.After(now) {
		until = st.LockedUntil
	}
	forever := false
	if st.RejectedPair != "" {
		switch {
		case st.RejectedUntil.IsZero():
			forever = true
		case st.RejectedUntil.After(until):
			until = st.RejectedUntil
		}
	}
	var ttl time.Duration // 0: no expiry
	if !forever {
		// Round up: the key may outlive the state by under a millisecond, never the
		// reverse.
		ttl = (until.Sub(now) + time.Millisecond - 1).Truncate(time.Millisecond)
		if until.IsZero() || ttl <= 0 {
			return c.Del(ctx, name).Err()
		}
	}
	doc, err := json.Marshal(guardDoc(st))
	if err != nil {
		return fmt.Errorf("redisstore: save guard: encode: %w", ErrCorrupt)
	}
	return c.Set(ctx, name, s.seal(name, doc), ttl).Err()
}
