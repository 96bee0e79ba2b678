package filestore

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/csconnect/csconnect/internal/storetest"
)

// With a key the files are ciphertext, and every mismatch (tampering, a file moved to
// another key or kind, another key, no key, a planted file in clear) is ErrCorrupt.
func TestEncryptionAtRest(t *testing.T) {
	s := newTestStore(t, Options{EncryptionKey: testKey})
	writeAll(t, s)
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(s.Dir(), name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	sealedTok, sealedGuard := read("token.fp"), read("guard.fp")
	if bytes.Contains(sealedTok, []byte(sampleToken)) || bytes.Contains(sealedTok, []byte("eyJ")) || bytes.Contains(sealedTok, []byte("expiry")) {
		t.Fatalf("token file is readable: %q", sealedTok)
	}
	if bytes.Contains(sealedGuard, []byte("pairfp")) {
		t.Fatalf("guard file is readable: %q", sealedGuard)
	}
	if err := s.SaveToken(t.Context(), "fp", sampleTok()); err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(read("token.fp"), sealedTok) {
		t.Errorf("two sealings of one token are equal; want a fresh nonce each")
	}

	// withSum frames v as the store does, so only sealing can refuse it.
	withSum := func(v []byte) []byte {
		dir := &dir{path: t.TempDir()}
		if err := dir.put("x", v); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(dir.path, "x"))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	inner := sealedTok[:len(sealedTok)-32]
	tampered := append([]byte(nil), inner...)
	tampered[len(tampered)-1] ^= 1
	store := func(opts Options) *Store {
		opts.Dir = s.Dir()
		st, err := New(opts)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	tests := map[string]struct {
		store *Store
		file  string // where the content is planted
		data  []byte
	}{
		"tampered, sum recomputed": {s, "token.fp", withSum(tampered)},
		"moved to another key":     {s, "token.other", sealedTok},
		"guard as token":           {s, "token.fp", sealedGuard},
		"another key":              {store(Options{EncryptionKey: otherKey}), "token.fp", sealedTok},
		"no key, sealed file":      {store(Options{}), "token.fp", sealedTok},
		"key, file in clear":       {s, "token.fp", withSum([]byte(`c{"token":"` + sampleToken + `","expiry":"2099-01-01T00:00:00Z"}`))},
		"unknown format":           {s, "token.fp", withSum([]byte("x"))},
		"clear, not a token":       {store(Options{}), "token.fp", withSum([]byte(`c{"token":"` + sampleToken + `"`))},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if err := os.WriteFile(filepath.Join(s.Dir(), tc.file), tc.data, 0o600); err != nil {
				t.Fatal(err)
			}
			key := tc.file[len("token."):]
			got, err := tc.store.LoadToken(t.Context(), key)
			if got != nil || !errors.Is(err, ErrCorrupt) {
				t.Fatalf("LoadToken(%s) = %v, %v; want nil, ErrCorrupt", key, got, err)
			}
			noSecretIn(t, "LoadToken error", err.Error())
		})
	}
}

// MergeGuard does not overwrite a guard file it cannot read.
func TestMergeGuardKeepsUnreadableFile(t *testing.T) {
	s := newTestStore(t, Options{EncryptionKey: testKey})
	writeAll(t, s)
	path := filepath.Join(s.Dir(), "guard.fp")
	planted := []byte("not a value")
	if err := os.WriteFile(path, planted, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := s.MergeGuard(t.Context(), "fp", storetest.LockedUntil(time.Now().Add(time.Hour))); !errors.Is(err, ErrCorrupt) {
		t.Errorf("MergeGuard over an unreadable file = %v; want ErrCorrupt", err)
	}
	if got, _ := os.ReadFile(path); !bytes.Equal(got, planted) {
		t.Errorf("MergeGuard overwrote an unreadable file")
	}
}

// TestKeyRotation walks the documented rotation of EncryptionKey: at every step each
// process opens what every other process wrote, and only the retired key fails.
func TestKeyRotation(t *testing.T) {
	d := newTestStore(t, Options{}).Dir()
	oldKey, newKey := testKey, otherKey
	store := func(enc []byte, dec ...[]byte) *Store {
		s, err := New(Options{Dir: d, EncryptionKey: enc, DecryptionKeys: dec})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	before, step1, step2, after := store(oldKey), store(oldKey, newKey), store(newKey, oldKey), store(newKey)
	opens := func(writer, reader *Store) bool {
		if err := writer.SaveToken(t.Context(), "fp", sampleTok()); err != nil {
			t.Fatal(err)
		}
		got, err := reader.LoadToken(t.Context(), "fp")
		if err != nil && !errors.Is(err, ErrCorrupt) {
			t.Fatal(err)
		}
		return err == nil && got.Value == sampleToken
	}
	for _, tc := range []struct {
		name           string
		writer, reader *Store
		want           bool
	}{
		{"before → step 1", before, step1, true},
		{"step 1 → before", step1, before, true},
		{"step 1 → step 2", step1, step2, true},
		{"step 2 → step 1", step2, step1, true},
		{"step 2 → after", step2, after, true},
		{"after → step 2", after, step2, true},
		{"before → after: the retired key", before, after, false},
		{"after → before", after, before, false},
	} {
		if got := opens(tc.writer, tc.reader); got != tc.want {
			t.Errorf("%s: file opens = %t; want %t", tc.name, got, tc.want)
		}
	}
}
