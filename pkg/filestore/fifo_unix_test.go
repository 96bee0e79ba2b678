//go:build unix

package filestore

import (
	"errors"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestSpecialFilesDoNotBlock: every call stays bounded when a name in the directory
// is a named pipe (open(2) of a pipe waits for a writer, forever): the value, its
// lock, and a lease holder's file are each refused or treated as busy, within the
// guard, never waited on.
func TestSpecialFilesDoNotBlock(t *testing.T) {
	tests := map[string]struct {
		file    string
		call    func(s *Store) error
		corrupt bool // the call must report ErrCorrupt (a value that is not a file)
	}{
		"token value": {"token.fp", func(s *Store) error { _, err := s.LoadToken(t.Context(), "fp"); return err }, true},
		"guard value": {"guard.fp", func(s *Store) error { _, err := s.LoadGuard(t.Context(), "fp"); return err }, true},
		"token lock":  {"token.fp.lock", func(s *Store) error { return s.SaveToken(t.Context(), "fp", sampleTok()) }, false},
		"guard lock": {"guard.fp.lock", func(s *Store) error {
			_, err := s.MergeGuard(t.Context(), "fp", sampleGuard())
			return err
		}, false},
		"lease holder": {"lease.fp.holder.0", func(s *Store) error {
			release, ok, err := s.AcquireLease(t.Context(), "fp", time.Minute)
			if ok {
				release()
			}
			return err
		}, false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			s := newTestStore(t, Options{Timeout: 50 * time.Millisecond})
			if err := syscall.Mkfifo(filepath.Join(s.Dir(), tc.file), 0o600); err != nil {
				t.Skipf("mkfifo: %v", err)
			}
			done := make(chan error, 1)
			go func() { done <- tc.call(s) }()
			select {
			case err := <-done:
				if tc.corrupt && !errors.Is(err, ErrCorrupt) {
					t.Errorf("%s over a named pipe = %v; want ErrCorrupt", name, err)
				}
			case <-time.After(10 * time.Second): // a failure guard, not a wait for an event
				t.Fatalf("%s over a named pipe %s did not return (blocked in open)", name, tc.file)
			}
		})
	}
}
