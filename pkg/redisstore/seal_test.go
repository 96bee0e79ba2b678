package redisstore

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/csconnect/csconnect/internal/redistest"
	"github.com/csconnect/csconnect/internal/storetest"
	"github.com/csconnect/csconnect/pkg/csconnect"
)

// With a key the token is ciphertext at rest, and every kind of mismatch is an
// ErrCorrupt error that quotes nothing.
func TestEncryptionAtRest(t *testing.T) {
	s, raw, _ := newTestStore(t, Options{EncryptionKey: testKey})
	tok := &csconnect.Token{Value: sampleToken, Expiry: time.Now().Add(time.Hour)}
	if err := s.SaveToken(ctxT(t), "fp", tok); err != nil {
		t.Fatal(err)
	}
	if _, err := s.MergeGuard(ctxT(t), "fp", storetest.GS{Rejected: []storetest.Ev{{Pair: "pairfp", At: time.Now()}}, LockedUntil: time.Now().Add(time.Minute), LockedAt: time.Now()}.State()); err != nil {
		t.Fatal(err)
	}
	tokName, guardName := DefaultPrefix+"token:fp", DefaultPrefix+"guard:fp"
	sealed := raw.Get(ctxT(t), tokName).Val()
	if strings.Contains(sealed, sampleToken) || strings.Contains(sealed, "eyJ") || strings.Contains(sealed, "expiry") {
		t.Fatalf("stored token value is readable: %q", sealed)
	}
	sealedGuard := raw.Get(ctxT(t), guardName).Val() // kept now: the cases below overwrite guardName
	if strings.Contains(sealedGuard, "pairfp") {
		t.Fatalf("stored guard value is readable: %q", sealedGuard)
	}
	// Two saves of one token differ (random nonce).
	if err := s.SaveToken(ctxT(t), "fp", tok); err != nil {
		t.Fatal(err)
	}
	if again := raw.Get(ctxT(t), tokName).Val(); again == sealed {
		t.Errorf("two sealings of one token are equal; want a fresh nonce each")
	}

	flipped := []byte(sealed)
	flipped[len(flipped)-1] ^= 1
	truncated := sealed[:10]
	tests := map[string]struct {
		store *Store
		key   string // where the value is planted
		value string
	}{
		"tampered":               {s, "fp", string(flipped)},
		"truncated":              {s, "fp", truncated},
		"moved to another key":   {s, "other", sealed},
		"another key":            {storeOn(t, raw, Options{EncryptionKey: otherKey}), "fp", sealed},
		"no key, sealed value":   {storeOn(t, raw, Options{}), "fp", sealed},
		"key, value in clear":    {s, "fp", "c" + `{"token":"` + sampleToken + `","expiry":"2099-01-01T00:00:00Z"}`},
		"unknown format":         {s, "fp", "x"},
		"too long":               {s, "fp", "c" + strings.Repeat(" ", maxValue)},
		"clear, not a token doc": {storeOn(t, raw, Options{}), "fp", `c{"token":"` + sampleToken + `"`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			raw.Set(ctxT(t), DefaultPrefix+"token:"+tc.key, tc.value, time.Minute)
			got, err := tc.store.LoadToken(ctxT(t), tc.key)
			if got != nil || !errors.Is(err, ErrCorrupt) {
				t.Fatalf("LoadToken(%s) = %v, %v; want nil, ErrCorrupt", tc.key, got, err)
			}
			if strings.Contains(err.Error(), sampleToken) {
				t.Errorf("LoadToken error %q quotes the token", err)
			}
			raw.Set(ctxT(t), DefaultPrefix+"guard:"+tc.key, tc.value, time.Minute)
			if g, err := tc.store.LoadGuard(ctxT(t), tc.key); !errors.Is(err, ErrCorrupt) {
				t.Errorf("LoadGuard(%s) = %+v, %v; want ErrCorrupt", tc.key, g, err)
			}
			// MergeGuard does not overwrite what it cannot read.
			if _, err := tc.store.MergeGuard(ctxT(t), tc.key, storetest.GS{LockedUntil: time.Now().Add(time.Hour), LockedAt: time.Now()}.State()); !errors.Is(err, ErrCorrupt) {
				t.Errorf("MergeGuard(%s) over an unreadable value = %v; want ErrCorrupt", tc.key, err)
			}
			if v := raw.Get(ctxT(t), DefaultPrefix+"guard:"+tc.key).Val(); v != tc.value {
				t.Errorf("MergeGuard(%s) overwrote an unreadable value", tc.key)
			}
			if tc.store.down.Load() {
				t.Errorf("an unreadable value marked Redis as unavailable")
			}
		})
	}
	// An empty value (never written by a store) reads as no value.
	raw.Set(ctxT(t), tokName, "", time.Minute)
	if got, err := s.LoadToken(ctxT(t), "fp"); got != nil || err != nil {
		t.Errorf("LoadToken with an empty value = %v, %v; want nil, nil", got, err)
	}
	// A guard value does not open as the token of the same fingerprint.
	raw.Set(ctxT(t), tokName, sealedGuard, time.Minute)
	if got, err := s.LoadToken(ctxT(t), "fp"); got != nil || !errors.Is(err, ErrCorrupt) {
		t.Errorf("LoadToken with the guard's sealed value = %v, %v; want nil, ErrCorrupt", got, err)
	}
}

// FuzzOpen feeds arbitrary stored values to the decoders of both kinds of store: they
// return a token, a guard state or an ErrCorrupt error, never panic, and never quote
// the value in an error.
func FuzzOpen(f *testing.F) {
	clear := &Store{keys: &keyring{}}
	sealed, err := New(Options{Client: nopClient(f), Secret: testSecret, EncryptionKey: testKey})
	if err != nil {
		f.Fatal(err)
	}
	doc := []byte(`{"token":"` + sampleToken + `","expiry":"2099-01-01T00:00:00Z","fetched":"2026-01-01T00:00:00Z"}`)
	guard := []byte(`{"rejected_pair":"ab12","rejected_until":"2099-01-01T00:00:00Z","locked_until":"2099-01-01T00:05:00Z"}`)
	for _, seed := range [][]byte{
		clear.seal("csconnect:token:fp", doc), clear.seal("csconnect:guard:fp", guard),
		sealed.seal("csconnect:token:fp", doc), sealed.seal("csconnect:guard:fp", guard),
		[]byte("c{}"), []byte("c"), []byte("s"), {}, []byte(`c{"token":"","expiry":"x"}`),
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, v []byte) {
		for _, s := range []*Store{clear, sealed} {
			tok, err := s.decodeToken("csconnect:token:fp", v)
			if err != nil && (tok != nil || !errors.Is(err, ErrCorrupt)) {
				t.Fatalf("decodeToken(%q) = %v, %v; want nil and ErrCorrupt on failure", v, tok, err)
			}
			if err == nil && (tok.Value == "" || tok.Expiry.IsZero()) {
				t.Fatalf("decodeToken(%q) = %v without value or expiry", v, tok)
			}
			if err != nil && len(v) > 8 && bytes.Contains([]byte(err.Error()), v[1:]) {
				t.Fatalf("decodeToken error %q quotes the value", err)
			}
			if _, err := s.decodeGuard("csconnect:guard:fp", v); err != nil && !errors.Is(err, ErrCorrupt) {
				t.Fatalf("decodeGuard(%q) = %v; want ErrCorrupt on failure", v, err)
			}
		}
	})
}

// TestKeyRotation walks the documented rotation of EncryptionKey: at every step each
// process opens what every other process wrote, and only the retired key fails.
func TestKeyRotation(t *testing.T) {
	srv := redistest.New(t)
	client := redistest.NewClient(t, srv)
	oldKey, newKey := testKey, otherKey
	store := func(enc []byte, dec ...[]byte) *Store {
		return storeOn(t, client, Options{EncryptionKey: enc, DecryptionKeys: dec})
	}
	before := store(oldKey)        // the fleet before the rotation
	step1 := store(oldKey, newKey) // still seals with old, opens new
	step2 := store(newKey, oldKey) // seals with new, opens old
	after := store(newKey)         // old key retired
	tok := &csconnect.Token{Value: sampleToken, Expiry: time.Now().Add(time.Hour)}
	opens := func(writer, reader *Store) bool {
		if err := writer.SaveToken(ctxT(t), "fp", tok); err != nil {
			t.Fatal(err)
		}
		got, err := reader.LoadToken(ctxT(t), "fp")
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
			t.Errorf("%s: value opens = %t; want %t", tc.name, got, tc.want)
		}
	}
}
