package filestore

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestNewRejectsBadOptions(t *testing.T) {
	tests := map[string]Options{
		"bad key length":         {EncryptionKey: testKey[:20]},
		"decryption key, no key": {DecryptionKeys: [][]byte{otherKey}},
		"bad decryption key":     {EncryptionKey: testKey, DecryptionKeys: [][]byte{otherKey, otherKey[:7]}},
		"negative timeout":       {Timeout: -1},
	}
	for name, opts := range tests {
		t.Run(name, func(t *testing.T) {
			opts.Dir = filepath.Join(t.TempDir(), "store")
			if s, err := New(opts); !errors.Is(err, ErrInvalidOptions) {
				t.Fatalf("New(%v) = %v, %v; want ErrInvalidOptions", opts, s, err)
			}
		})
	}
	t.Run("key equals the directory's secret", func(t *testing.T) {
		s := newTestStore(t, Options{})
		if _, err := New(Options{Dir: s.Dir(), EncryptionKey: s.keys.secret}); !errors.Is(err, ErrInvalidOptions) || strings.Contains(err.Error(), string(s.keys.secret)) {
			t.Errorf("New with EncryptionKey = the secret: %v; want ErrInvalidOptions without the key", err)
		}
	})
	t.Run("not a directory", func(t *testing.T) {
		f := filepath.Join(t.TempDir(), "file")
		if err := os.WriteFile(f, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := New(Options{Dir: f}); err == nil {
			t.Errorf("New(Dir: a file) = nil error")
		}
	})
}

// New creates the directory 0700 and the secret 0600, with the defaults.
func TestNewCreatesPrivateDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "csconnect")
	s, err := New(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if got := osFileMode(t, dir); got != 0o700 {
		t.Errorf("directory mode = %v; want 0700", got)
	}
	if got := osFileMode(t, filepath.Join(dir, "secret")); got != 0o600 {
		t.Errorf("secret mode = %v; want 0600", got)
	}
	if s.timeout != DefaultTimeout || s.keys.sealer.Encrypted() {
		t.Errorf("New defaults = timeout %v encrypted %t; want %v false", s.timeout, s.keys.sealer.Encrypted(), DefaultTimeout)
	}
	if len(s.keys.secret) != secretLen {
		t.Errorf("secret has %d bytes; want %d", len(s.keys.secret), secretLen)
	}
	if err := s.SaveToken(t.Context(), "fp", sampleTok()); err != nil {
		t.Fatal(err)
	}
	if got := osFileMode(t, filepath.Join(dir, "token.fp")); got != 0o600 {
		t.Errorf("token file mode = %v; want 0600", got)
	}
}

func TestDefaultDir(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	t.Setenv("HOME", t.TempDir())
	cache, err := os.UserCacheDir()
	if err != nil {
		t.Skip(err)
	}
	want := filepath.Join(cache, "csconnect")
	if got, err := DefaultDir(); got != want || err != nil {
		t.Errorf("DefaultDir() = %q, %v; want %q", got, err, want)
	}
	s, err := New(Options{})
	if err != nil || s.Dir() != want {
		t.Fatalf("New(Options{}) = %v, %v; want a store in %s", s, err, want)
	}
}

// The keys never show in any formatting of Options or Store.
func TestFormatRedactsKeys(t *testing.T) {
	opts := Options{Dir: filepath.Join(t.TempDir(), "s"), EncryptionKey: testKey, DecryptionKeys: [][]byte{otherKey}}
	s := newTestStore(t, opts)
	for _, v := range []any{opts, &opts, s, *s} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%q"} {
			out := fmt.Sprintf(verb, v)
			if strings.Contains(out, string(testKey)) || strings.Contains(out, string(otherKey)) ||
				strings.Contains(out, fmt.Sprintf("%x", testKey)) || bytes.Contains([]byte(out), s.keys.secret) ||
				strings.Contains(out, fmt.Sprintf("%x", s.keys.secret)) {
				t.Errorf("Sprintf(%s, %T) = %q shows a key", verb, v, out)
			}
		}
	}
}

// Fingerprints are the same for every store on one directory (across New calls, as
// in another process) and differ on another directory.
func TestFingerprint(t *testing.T) {
	a := newTestStore(t, Options{})
	again, err := New(Options{Dir: a.Dir()})
	if err != nil {
		t.Fatal(err)
	}
	other := newTestStore(t, Options{})
	fp := a.Fingerprint("user")
	if got := again.Fingerprint("user"); got != fp {
		t.Errorf("Fingerprint on the same directory = %s; want %s", got, fp)
	}
	if got := other.Fingerprint("user"); got == fp {
		t.Errorf("Fingerprint on another directory = the same %s; want another secret", got)
	}
	if a.Fingerprint("user", "pw") == fp || a.Fingerprint("use", "rpw") == a.Fingerprint("user", "pw") {
		t.Errorf("Fingerprint does not separate its parts")
	}
}

// A key that is not a plain word is stored under a hash: it cannot name another path.
func TestFileNameOfOddKeys(t *testing.T) {
	s := newTestStore(t, Options{})
	for _, key := range []string{"../escape", "a/b", "", ".lock", "fp.lock", strings.Repeat("x", 200)} {
		name := fileName("token", key)
		if strings.ContainsAny(name, "/\\") || name == "token."+key {
			t.Errorf("fileName(token, %q) = %q; want a hashed name", key, name)
		}
		if err := s.SaveToken(t.Context(), key, sampleTok()); err != nil {
			t.Fatalf("SaveToken(%q) = %v", key, err)
		}
		if got, err := s.LoadToken(t.Context(), key); err != nil || got == nil {
			t.Errorf("LoadToken(%q) = %v, %v", key, got, err)
		}
	}
	if _, err := os.Stat(filepath.Join(s.Dir(), "..", "escape")); err == nil {
		t.Errorf("a key wrote outside the directory")
	}
}

// Stores opened together on a new directory (processes starting at once) create one
// secret between them: their fingerprints agree.
func TestNewTogetherAgreeOnSecret(t *testing.T) {
	d := filepath.Join(t.TempDir(), "store")
	fps := make([]string, 8)
	var wg sync.WaitGroup
	for i := range fps {
		wg.Go(func() {
			s, err := New(Options{Dir: d})
			if err != nil {
				t.Error(err)
				return
			}
			fps[i] = s.Fingerprint("user")
		})
	}
	wg.Wait()
	for i, fp := range fps {
		if fp != fps[0] {
			t.Errorf("store %d fingerprint = %s; want %s (one secret)", i, fp, fps[0])
		}
	}
}
