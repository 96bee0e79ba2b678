package filestore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/gofrs/flock"
)

// dir is the small key/value layer under the Store: named values in one directory,
// each replaced atomically, and an exclusive lock per name for read-modify-write.
// Readers take no lock: a value is always a whole file (written to a temporary file,
// synced, renamed over the old one). Every value ends with its SHA-256, so a file that
// is not exactly what a writer wrote (cut short by a crash or a full disk, altered)
// reads as ErrCorrupt, never as a value.
type dir struct {
	path string
	// hookWrite, when set (tests only), writes the temporary file instead of a plain
	// Write: the crash tests use it to die in the middle of a write.
	hookWrite func(f *os.File, data []byte) error
}

// maxFile bounds what a read takes: a token document is a few kilobytes, and a file
// that someone made huge must not make every process buffer it.
const maxFile = 64 << 10

// lockRetry is how often a busy lock is tried again while a caller waits for it (all
// waits are bounded by the caller's context).
const lockRetry = 2 * time.Millisecond

// errNotExist reports that no value is stored under a name.
var errNotExist = errors.New("no value")

func (d *dir) file(name string) string { return filepath.Join(d.path, name) }

// locked runs f while holding the exclusive lock of name (the file name.lock, locked
// with flock(2), which the kernel releases when its holder dies, so the lock of a
// killed process is free at once). It waits for a busy lock until ctx ends.
func (d *dir) locked(ctx context.Context, name string, f func() error) error {
	l := flock.New(d.file(name+".lock"), flock.SetFlag(os.O_CREATE|os.O_RDONLY|safeOpen), flock.SetPermissions(0o600))
	ok, err := l.TryLockContext(ctx, lockRetry)
	if err != nil || !ok {
		if err == nil || ctx.Err() != nil {
			return fmt.Errorf("lock %s busy: %w", name, context.Cause(ctx))
		}
		return fmt.Errorf("lock %s: %w", name, err)
	}
	defer func() { _ = l.Unlock() }()
	return f()
}

// get returns the value stored under name, errNotExist, an *InsecureError when the
// file's owner or mode are not this user's alone, or an ErrCorrupt error.
func (d *dir) get(name string) ([]byte, error) {
	f, err := os.OpenFile(d.file(name), os.O_RDONLY|safeOpen, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, errNotExist
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%w: %s is not a regular file", ErrCorrupt, name)
	}
	if err := checkPrivate(d.file(name), fi); err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(f, maxFile+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxFile {
		return nil, fmt.Errorf("%w: %s is longer than %d bytes", ErrCorrupt, name, maxFile)
	}
	if len(data) < sha256.Size {
		return nil, fmt.Errorf("%w: %s is too short (torn or truncated)", ErrCorrupt, name)
	}
	v, sum := data[:len(data)-sha256.Size], data[len(data)-sha256.Size:]
	if want := sha256.Sum256(v); !bytes.Equal(sum, want[:]) {
		return nil, fmt.Errorf("%w: %s fails its checksum (torn or altered)", ErrCorrupt, name)
	}
	return v, nil
}

// put replaces the value under name: write name.tmp (0600), fsync it, rename it over
// name, fsync the directory. The caller holds name's lock, so name.tmp has one writer;
// a writer that died left at most a stale name.tmp, which is truncated here. A crash
// at any point leaves name as it was or as written, never in part.
func (d *dir) put(name string, v []byte) (err error) {
	sum := sha256.Sum256(v)
	data := append(bytes.Clone(v), sum[:]...)
	tmp := d.file(name + ".tmp")
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|safeOpen, 0o600)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(tmp)
		}
	}()
	if err = f.Chmod(0o600); err != nil { // a stale name.tmp may have other bits
		return err
	}
	if d.hookWrite != nil {
		err = d.hookWrite(f, data)
	} else {
		_, err = f.Write(data)
	}
	if err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp, d.file(name)); err != nil {
		return err
	}
	return d.syncDir()
}

// del removes the value under name; a missing value is not an error.
func (d *dir) del(name string) error {
	if err := os.Remove(d.file(name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return d.syncDir()
}

// syncDir makes a rename or removal in the directory durable.
func (d *dir) syncDir() error {
	f, err := os.Open(d.path)
	if err != nil {
		return err
	}
	defer f.Close()
	return syncDirectory(f)
}
