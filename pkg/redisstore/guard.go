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

// The guard state is stored as its own JSON document (csconnect.GuardState's
// MarshalJSON, the format every Store keeps, which still reads this package's earlier
// one-pair records), sealed when a key is set, and merged with GuardState.Merge.

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
	var st csconnect.GuardState
	if err := json.Unmarshal(doc, &st); err != nil {
		return csconnect.GuardState{}, fmt.Errorf("redisstore: load guard: %w: not a guard document", ErrCorrupt)
	}
	return st, nil
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
// process wrote the key in between, so no process's lockout, rejected pair, reset or
// send is lost; it returns the merged state. The key expires when nothing in it is in
// force (GuardState.Until), and is deleted when that has passed. The merge is done
// here rather than in a server-side script because the stored value may be
// encrypted. A stored value it cannot read is an error, as for LoadGuard: it is not
// overwritten. When Redis refuses transactions (ACL, proxy), it reads then writes.
func (s *Store) MergeGuard(ctx context.Context, key string, st csconnect.GuardState) (csconnect.GuardState, error) {
	name := s.key("guard", key)
	opCtx, cancel := s.opContext(ctx)
	defer cancel()
	var merged csconnect.GuardState
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
		merged = cur.Merge(st)
		_, err = tx.TxPipelined(opCtx, func(p redis.Pipeliner) error {
			return s.writeGuard(opCtx, p, name, merged)
		})
		return err
	}
	for range maxMergeAttempts {
		var reply redis.Error
		switch err := s.client.Watch(opCtx, merge, name); {
		case err == nil:
			return merged, s.observe(ctx, "merge guard", nil)
		case errors.Is(err, redis.TxFailedErr):
			continue // another process wrote the key: read it again
		case errors.Is(err, ErrCorrupt):
			return csconnect.GuardState{}, err // the value is unreadable, Redis is fine: not an outage
		case errors.As(err, &reply):
			// Redis answered, but refused the transaction: an ACL without WATCH,
			// MULTI or EXEC, or a proxy without transactions. Merge without one.
			return s.mergeGuardUnguarded(ctx, key, st, err)
		default:
			return csconnect.GuardState{}, s.observe(ctx, "merge guard", err)
		}
	}
	return csconnect.GuardState{}, fmt.Errorf("redisstore: merge guard: %w", errMergeContended)
}

// mergeGuardUnguarded merges st into the stored state by reading then writing: two
// processes recording at the same instant may lose one record. Used when Redis
// refuses transactions; the first time, it says so to the Logger.
func (s *Store) mergeGuardUnguarded(ctx context.Context, key string, st csconnect.GuardState, refused error) (csconnect.GuardState, error) {
	if s.noTx.CompareAndSwap(false, true) && s.logger != nil {
		s.logger.Warn("redisstore: redis refused a transaction (WATCH/MULTI/EXEC); guard records are merged without one, so two pods recording at once may lose one", "err", refused)
	}
	cur, err := s.LoadGuard(ctx, key)
	if err != nil {
		return csconnect.GuardState{}, err
	}
	merged := cur.Merge(st)
	name := s.key("guard", key)
	opCtx, cancel := s.opContext(ctx)
	defer cancel()
	return merged, s.observe(ctx, "merge guard", s.writeGuard(opCtx, s.client, name, merged))
}

// writeGuard queues (on a pipeline) or sends the command that shares st under name:
// SET with a TTL that ends when nothing in st is in force (st.Until, rounded up to
// the millisecond), or DEL when that has passed.
func (s *Store) writeGuard(ctx context.Context, c redis.Cmdable, name string, st csconnect.GuardState) error {
	// Round up: the key may outlive the state by under a millisecond, never the reverse.
	ttl := (st.Until().Sub(s.now()) + time.Millisecond - 1).Truncate(time.Millisecond)
	if ttl <= 0 {
		return c.Del(ctx, name).Err()
	}
	doc, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("redisstore: save guard: encode: %w", ErrCorrupt)
	}
	return c.Set(ctx, name, s.seal(name, doc), ttl).Err()
}
