package filestore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/csconnect/csconnect/pkg/csconnect"
)

// The guard state is stored as its own JSON encoding: this package knows nothing of
// its fields, merges with GuardState.Merge, and leaves expiry to the guard, which
// reads the times in the state (a state whose times have passed holds nothing in
// force; the next save replaces it).

// LoadGuard returns the guard state stored for key: the zero value when none is
// stored. A file it cannot read (see ErrCorrupt, InsecureError) is an error.
func (s *Store) LoadGuard(ctx context.Context, key string) (csconnect.GuardState, error) {
	if err := ctx.Err(); err != nil {
		return csconnect.GuardState{}, fmt.Errorf("filestore: load guard: %w", err)
	}
	st, err := s.loadGuard(key)
	if err != nil {
		return csconnect.GuardState{}, fmt.Errorf("filestore: load guard: %w", err)
	}
	return st, nil
}

func (s *Store) loadGuard(key string) (csconnect.GuardState, error) {
	var st csconnect.GuardState
	doc, err := s.load("guard", key)
	if errors.Is(err, errNotExist) {
		return st, nil
	}
	if err != nil {
		return st, err
	}
	if err := json.Unmarshal(doc, &st); err != nil {
		return csconnect.GuardState{}, fmt.Errorf("%w: not a guard document", ErrCorrupt)
	}
	return st, nil
}

func (s *Store) saveGuard(key string, st csconnect.GuardState) error {
	doc, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("encode: %w", ErrCorrupt)
	}
	return s.save("guard", key, doc)
}

// MergeGuard replaces the guard state stored for key with stored.Merge(st), under the
// file's exclusive lock (lock, load, merge, save, unlock), so that processes recording
// at the same instant never erase each other's records. A stored file it cannot read
// is an error, as for LoadGuard, and is not overwritten. It returns the merged state.
func (s *Store) MergeGuard(ctx context.Context, key string, st csconnect.GuardState) (csconnect.GuardState, error) {
	var merged csconnect.GuardState
	err := s.update(ctx, "guard", key, func() error {
		cur, err := s.loadGuard(key)
		if err != nil {
			return err
		}
		merged = cur.Merge(st)
		return s.saveGuard(key, merged)
	})
	if err != nil {
		return csconnect.GuardState{}, fmt.Errorf("filestore: merge guard: %w", err)
	}
	return merged, nil
}
