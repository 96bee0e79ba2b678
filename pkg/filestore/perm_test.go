package filestore

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// A directory or file that group or others can use, or another user owns, is
// refused with an *InsecureError, never used or repaired.
func TestPermissionsRefused(t *testing.T) {
	for _, mode := range []os.FileMode{0o755, 0o750, 0o701, 0o770, 0o707} {
		t.Run("directory "+mode.String(), func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "store")
			if err := os.Mkdir(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(dir, mode); err != nil {
				t.Fatal(err)
			}
			_, err := New(Options{Dir: dir})
			if ie := (*InsecureError)(nil); !errors.As(err, &ie) || ie.Path != dir {
				t.Fatalf("New(dir %v) = %v; want an *InsecureError for %s", mode, err, dir)
			}
			if got := osFileMode(t, dir); got != mode {
				t.Errorf("New changed the directory's mode to %v", got)
			}
		})
	}
	files := map[string]func(*Store) error{
		"secret": func(s *Store) error { _, err := New(Options{Dir: s.Dir()}); return err },
		"token.fp": func(s *Store) error {
			_, err := s.LoadToken(t.Context(), "fp")
			return err
		},
		"guard.fp": func(s *Store) error {
			_, err := s.LoadGuard(t.Context(), "fp")
			return err
		},
	}
	for name, use := range files {
		for _, mode := range []os.FileMode{0o644, 0o640, 0o604, 0o660, 0o602} {
			t.Run(name+" "+mode.String(), func(t *testing.T) {
				s := newTestStore(t, Options{})
				writeAll(t, s)
				if err := os.Chmod(filepath.Join(s.Dir(), name), mode); err != nil {
					t.Fatal(err)
				}
				if ie := (*InsecureError)(nil); !errors.As(use(s), &ie) {
					t.Errorf("using %s with mode %v = %v; want an *InsecureError", name, mode, use(s))
				}
			})
		}
	}
	t.Run("owned by another user", func(t *testing.T) {
		if os.Geteuid() != 0 {
			t.Skip("changing a file's owner needs root")
		}
		s := newTestStore(t, Options{})
		writeAll(t, s)
		if err := os.Chown(filepath.Join(s.Dir(), "token.fp"), 65534, 65534); err != nil {
			t.Fatal(err)
		}
		if _, err := s.LoadToken(t.Context(), "fp"); !errors.As(err, new(*InsecureError)) {
			t.Errorf("LoadToken of another user's file = %v; want an *InsecureError", err)
		}
		if err := os.Chown(s.Dir(), 65534, 65534); err != nil {
			t.Fatal(err)
		}
		if _, err := New(Options{Dir: s.Dir()}); !errors.As(err, new(*InsecureError)) {
			t.Errorf("New on another user's directory = %v; want an *InsecureError", err)
		}
	})
	t.Run("symbolic link", func(t *testing.T) {
		s := newTestStore(t, Options{})
		writeAll(t, s)
		elsewhere := filepath.Join(t.TempDir(), "planted")
		if err := os.Rename(filepath.Join(s.Dir(), "token.fp"), elsewhere); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(elsewhere, filepath.Join(s.Dir(), "token.fp")); err != nil {
			t.Fatal(err)
		}
		if got, err := s.LoadToken(t.Context(), "fp"); got != nil || err == nil {
			t.Errorf("LoadToken through a symbolic link = %v, %v; want an error", got, err)
		}
	})
}

// writeAll stores a token and a guard state under "fp".
func writeAll(t *testing.T, s *Store) {
	t.Helper()
	if err := s.SaveToken(t.Context(), "fp", sampleTok()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.MergeGuard(t.Context(), "fp", sampleGuard()); err != nil {
		t.Fatal(err)
	}
}
