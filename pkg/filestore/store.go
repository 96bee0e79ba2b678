package filestore

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/csconnect/csconnect/internal/seal"
	"github.com/csconnect/csconnect/internal/storekit"
	"github.com/csconnect/csconnect/pkg/csconnect"
)

// DefaultTimeout bounds the wait for a file lock when Options.Timeout is zero: under
// csconnect's default Store call timeout (250 ms), so a process stuck holding a lock makes the others
// fall back to local state rather than wait.
const DefaultTimeout = 200 * time.Millisecond

// setupTimeout bounds New's wait for the lock of the secret file (processes starting
// together create it once between them).
const setupTimeout = 5 * time.Second

// secretLen is the size of the fingerprint secret New creates: as strong as the
// HMAC-SHA256 it keys.
const secretLen = 32

// secretName is the file of the directory's fingerprint secret.
const secretName = "secret"

// ErrInvalidOptions is wrapped by every error New returns for unusable Options.
var ErrInvalidOptions = errors.New("filestore: invalid options")

// ErrCorrupt is wrapped by the errors of LoadToken, LoadGuard and MergeGuard when a
// stored file cannot be read: cut short or altered (its checksum fails), sealed with
// another key or under another name, sealed when this store has no key (or the
// reverse), or not a file this package wrote.
var ErrCorrupt = errors.New("filestore: stored value unreadable")

// InsecureError is returned (by New, and by reads) for a directory or file that group
// or others have any permission on, or that another user owns. The store does not
// repair it: someone changed it, and what others could write must not be trusted.
type InsecureError struct {
	Path   string
	Mode   fs.FileMode
	Reason string
}

func (e *InsecureError) Error() string {
	return fmt.Sprintf("filestore: refusing %s (mode %v): %s; want it private to its owner, this user (0700 directory, 0600 files)", e.Path, e.Mode, e.Reason)
}

// Options configure a Store. The zero value is usable: the default directory, values
// in clear.
//
// Options print without EncryptionKey and DecryptionKeys (%v, %+v, %#v).
type Options struct {
	// Dir is the store's directory, created 0700 if missing; default DefaultDir().
	// Every process that shares state uses the same Dir.
	Dir string

	// EncryptionKey, when set, seals token and guard files with AES-GCM: 16, 24 or 32
	// bytes (32 recommended), the same in every process sharing Dir, kept elsewhere
	// than Dir. Default none: files are in clear, protected by their permissions.
	EncryptionKey []byte

	// DecryptionKeys are more AES-GCM keys that open files but never seal them: the
	// way to rotate EncryptionKey (see redisstore.Options.DecryptionKeys for the three
	// steps). Requires EncryptionKey.
	DecryptionKeys [][]byte

	// Timeout bounds the wait for a file lock in each operation; default
	// DefaultTimeout. Reads and writes of the small files themselves are not
	// interruptible.
	Timeout time.Duration
}

// String describes the options without the keys.
func (o Options) String() string {
	return fmt.Sprintf("filestore.Options{Dir: %q, EncryptionKey: [redacted %d bytes], DecryptionKeys: [%d redacted], Timeout: %v}",
		o.Dir, len(o.EncryptionKey), len(o.DecryptionKeys), o.Timeout)
}

// GoString is String, so %#v does not print the keys either.
func (o Options) GoString() string { return o.String() }

// Format makes every verb print String.
func (o Options) Format(f fmt.State, _ rune) { fmt.Fprint(f, o.String()) }

// DefaultDir returns os.UserCacheDir()/csconnect, the default Options.Dir.
func DefaultDir() (string, error) {
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(cache, "csconnect"), nil
}

// Store is a csconnect.Store in a directory of files, shared by the processes of one
// host. Create it with New. Safe for concurrent use, within a process and between
// processes.
//
// A *Store prints without its keys (every fmt verb), and so does a Store value (they sit
// behind a pointer).
type Store struct {
	dir     *dir
	keys    *keyring
	timeout time.Duration
	now     func() time.Time
	pid     int
}

// keyring holds a Store's key material, behind a pointer so that a Store value
// printed by a caller's %v shows an address, not the keys.
type keyring struct {
	secret []byte     // HMAC key of the fingerprints, from Dir/secret
	sealer *seal.Keys // nil or no key: values in clear
}

var _ csconnect.Store = (*Store)(nil)

// New checks opts, creates the directory (0700) and its fingerprint secret when they
// are missing, and returns a Store. It refuses (*InsecureError) a directory or secret
// file that group or others have access to, or that another user owns.
func New(opts Options) (*Store, error) {
	if opts.Timeout < 0 {
		return nil, fmt.Errorf("%w: Timeout %v is negative", ErrInvalidOptions, opts.Timeout)
	}
	path := opts.Dir
	if path == "" {
		var err error
		if path, err = DefaultDir(); err != nil {
			return nil, fmt.Errorf("%w: no Dir and no user cache directory: %v", ErrInvalidOptions, err)
		}
	}
	if err := os.MkdirAll(path, 0o700); err != nil {
		return nil, fmt.Errorf("filestore: create %s: %w", path, err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("filestore: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("%w: %s is not a directory", ErrInvalidOptions, path)
	}
	if err := checkPrivate(path, fi); err != nil {
		return nil, err
	}
	s := &Store{dir: &dir{path: path}, keys: &keyring{}, timeout: opts.Timeout, now: time.Now, pid: os.Getpid()}
	if s.timeout == 0 {
		s.timeout = DefaultTimeout
	}
	if s.keys.secret, err = s.loadSecret(); err != nil {
		return nil, err
	}
	if s.keys.sealer, err = seal.New(opts.EncryptionKey, opts.DecryptionKeys, s.keys.secret); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidOptions, err)
	}
	return s, nil
}

// loadSecret reads Dir/secret, creating it (32 random bytes, 0600) under its lock when
// missing, so that processes starting together agree on one secret.
func (s *Store) loadSecret() ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	var secret []byte
	err := s.dir.locked(ctx, secretName, func() error {
		v, err := s.dir.get(secretName)
		switch {
		case err == nil && len(v) == secretLen:
			secret = v
			return nil
		case err == nil:
			return fmt.Errorf("%w: %s has %d bytes; want %d", ErrCorrupt, secretName, len(v), secretLen)
		case !errors.Is(err, errNotExist):
			return err
		}
		secret = make([]byte, secretLen)
		_, _ = rand.Read(secret) // crypto/rand.Read never fails (Go 1.24+)
		return s.dir.put(secretName, secret)
	})
	if err != nil {
		return nil, fmt.Errorf("filestore: fingerprint secret: %w", err)
	}
	return secret, nil
}

// Dir returns the store's directory.
func (s *Store) Dir() string { return s.dir.path }

// String describes the store without its keys.
func (s *Store) String() string {
	return fmt.Sprintf("filestore.Store{dir: %q, encrypted: %t, timeout: %v}", s.dir.path, s.keys.sealer.Encrypted(), s.timeout)
}

// GoString is String.
func (s *Store) GoString() string { return s.String() }

// Format makes every verb print String.
func (s *Store) Format(f fmt.State, _ rune) { fmt.Fprint(f, s.String()) }

// Fingerprint returns storekit.KeyedHash(secret, parts...), where secret is the
// directory's own (Dir/secret, created once by the first New): the same in every
// process of the host that uses Dir, and useless to anyone without that file.
func (s *Store) Fingerprint(parts ...string) string {
	return storekit.KeyedHash(s.keys.secret, parts...)
}

// fileName returns the file name of kind's value for key: key itself when it is a
// plain word (fingerprints are hex), else "~" and its SHA-256, so that no key can name
// a path outside the directory or another kind's file.
func fileName(kind, key string) string {
	plain := key != "" && len(key) <= 128
	for i := 0; plain && i < len(key); i++ {
		c := key[i]
		plain = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_'
	}
	if plain {
		return kind + "." + key
	}
	sum := sha256.Sum256([]byte(key))
	return kind + ".~" + hex.EncodeToString(sum[:])
}

// sealName is the additional data a value of kind for key is sealed with: a sealed
// file copied to another key or kind does not open.
func sealName(kind, key string) string { return kind + ":" + key }

// load reads and opens the value of kind for key: errNotExist when there is none.
func (s *Store) load(kind, key string) ([]byte, error) {
	v, err := s.dir.get(fileName(kind, key))
	if err != nil {
		return nil, err
	}
	doc, err := s.keys.sealer.Open(sealName(kind, key), v)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrCorrupt, fileName(kind, key), err)
	}
	return doc, nil
}

// save seals and writes doc as the value of kind for key. The caller holds its lock.
func (s *Store) save(kind, key string, doc []byte) error {
	return s.dir.put(fileName(kind, key), s.keys.sealer.Seal(sealName(kind, key), doc))
}

// update runs f under the lock of kind's value for key, waiting for the lock at most
// Options.Timeout (and never past ctx).
func (s *Store) update(ctx context.Context, kind, key string, f func() error) error {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	return s.dir.locked(ctx, fileName(kind, key), f)
}
