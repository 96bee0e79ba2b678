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
	v, err := s.get(opCtx, name)
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
	name := s.key("guard", key)
	opCtx, cancel := s.opContext(ctx)
	defer cancel()
	var ttl time.Duration // 0: no expiry
	if !forever {
		// Round up: the key may outlive the state by under a millisecond, never the
		// reverse.
		ttl = (until.Sub(now) + time.Millisecond - 1).Truncate(time.Millisecond)
		if until.IsZero() || ttl <= 0 {
			return s.observe(ctx, "save guard", s.client.Del(opCtx, name).Err())
		}
	}
	doc, err := json.Marshal(guardDoc(st))
	if err != nil {
		return fmt.Errorf("redisstore: save guard: encode: %w", ErrCorrupt)
	}
	return s.observe(ctx, "save guard", s.client.Set(opCtx, name, s.seal(name, doc), ttl).Err())
}
