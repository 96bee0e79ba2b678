package filestore

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/csconnect/csconnect/internal/storetest"
	"github.com/csconnect/csconnect/pkg/csconnect"
)

func sampleTok() *csconnect.Token {
	now := time.Now().UTC().Round(0)
	return &csconnect.Token{Value: sampleToken, Expiry: now.Add(time.Hour), Fetched: now}
}

func sampleGuard() csconnect.GuardState {
	return storetest.Rejected("pairfp", time.Now().Add(time.Hour))
}

func TestTokenRoundTrip(t *testing.T) {
	for name, opts := range map[string]Options{"clear": {}, "sealed": {EncryptionKey: testKey}} {
		t.Run(name, func(t *testing.T) {
			s := newTestStore(t, opts)
			if got, err := s.LoadToken(t.Context(), "fp"); got != nil || err != nil {
				t.Fatalf("LoadToken of nothing = %v, %v; want nil, nil", got, err)
			}
			want := sampleTok()
			if err := s.SaveToken(t.Context(), "fp", want); err != nil {
				t.Fatal(err)
			}
			// Another store on the directory (another process) reads it.
			other, err := New(Options{Dir: s.Dir(), EncryptionKey: opts.EncryptionKey})
			if err != nil {
				t.Fatal(err)
			}
			got, err := other.LoadToken(t.Context(), "fp")
			if err != nil || got.Value != want.Value || !got.Expiry.Equal(want.Expiry) || !got.Fetched.Equal(want.Fetched) {
				t.Errorf("LoadToken = %v, %v; want %v", got, err, want)
			}
			if got, err := s.LoadToken(t.Context(), "other"); got != nil || err != nil {
				t.Errorf("LoadToken(other) = %v, %v; want nil, nil", got, err)
			}
		})
	}
}

func TestSaveTokenSkipsExpired(t *testing.T) {
	s := newTestStore(t, Options{})
	for name, tok := range map[string]*csconnect.Token{
		"nil":     nil,
		"empty":   {Expiry: time.Now().Add(time.Hour)},
		"expired": {Value: sampleToken, Expiry: time.Now().Add(-time.Second)},
	} {
		if err := s.SaveToken(t.Context(), "fp", tok); err != nil {
			t.Errorf("SaveToken(%s) = %v; want nil", name, err)
		}
	}
	if _, err := os.Stat(filepath.Join(s.Dir(), "token.fp")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a token file exists after saving only unusable tokens: %v", err)
	}
}

func TestLoadTokenExpiredOnLocalClock(t *testing.T) {
	s := newTestStore(t, Options{})
	tok := sampleTok()
	if err := s.SaveToken(t.Context(), "fp", tok); err != nil {
		t.Fatal(err)
	}
	fixedNow(s, tok.Expiry)
	if got, err := s.LoadToken(t.Context(), "fp"); got != nil || err != nil {
		t.Errorf("LoadToken at expiry = %v, %v; want nil, nil", got, err)
	}
}

// A file cut short or altered reads as ErrCorrupt, never as a token, with or without
// sealing (every file carries its checksum).
func TestTornFileIsCorrupt(t *testing.T) {
	for name, opts := range map[string]Options{"clear": {}, "sealed": {EncryptionKey: testKey}} {
		s := newTestStore(t, opts)
		if err := s.SaveToken(t.Context(), "fp", sampleTok()); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(s.Dir(), "token.fp")
		whole, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		flipped := append([]byte(nil), whole...)
		at := bytes.Index(whole, []byte("sample")) // in clear: a letter of the token
		if at < 0 {
			at = len(whole) / 2 // sealed
		}
		flipped[at] ^= 0x20 // in clear, the letter's case: still a valid token document
		cases := map[string][]byte{
			"empty":      {},
			"one byte":   whole[:1],
			"half":       whole[:len(whole)/2],
			"no sum":     whole[:len(whole)-32],
			"last byte":  whole[:len(whole)-1],
			"bit flip":   flipped,
			"extra byte": append(append([]byte(nil), whole...), '\n'),
		}
		for cname, data := range cases {
			t.Run(name+"/"+cname, func(t *testing.T) {
				if err := os.WriteFile(path, data, 0o600); err != nil {
					t.Fatal(err)
				}
				got, err := s.LoadToken(t.Context(), "fp")
				if got != nil || !errors.Is(err, ErrCorrupt) {
					t.Fatalf("LoadToken of a torn file = %v, %v; want nil, ErrCorrupt", got, err)
				}
				noSecretIn(t, "LoadToken error", err.Error())
			})
		}
	}
}

// A file longer than maxFile is refused without reading it all.
func TestOversizedFileIsCorrupt(t *testing.T) {
	s := newTestStore(t, Options{})
	if err := os.WriteFile(filepath.Join(s.Dir(), "token.fp"), make([]byte, maxFile+100), 0o600); err != nil {
		t.Fatal(err)
	}
	if got, err := s.LoadToken(t.Context(), "fp"); got != nil || !errors.Is(err, ErrCorrupt) {
		t.Errorf("LoadToken of a huge file = %v, %v; want ErrCorrupt", got, err)
	}
}

// A caller whose context has ended gets its error, and a write whose lock stays busy
// gives up after Options.Timeout.
func TestBoundedByContextAndTimeout(t *testing.T) {
	s := newTestStore(t, Options{Timeout: 20 * time.Millisecond})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := s.LoadToken(ctx, "fp"); !errors.Is(err, context.Canceled) {
		t.Errorf("LoadToken(canceled) = %v; want context.Canceled", err)
	}
	if err := s.SaveToken(ctx, "fp", sampleTok()); !errors.Is(err, context.Canceled) {
		t.Errorf("SaveToken(canceled) = %v; want context.Canceled", err)
	}
	// Hold the token's lock from another store (another file description, as another
	// process would).
	other, err := New(Options{Dir: s.Dir()})
	if err != nil {
		t.Fatal(err)
	}
	inside, leave := make(chan struct{}), make(chan struct{})
	go func() {
		_ = other.update(t.Context(), "token", "fp", func() error { close(inside); <-leave; return nil })
	}()
	<-inside
	start := time.Now()
	err = s.SaveToken(t.Context(), "fp", sampleTok())
	close(leave)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("SaveToken with the lock held elsewhere = %v; want context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("SaveToken waited %v for a busy lock; want about Timeout", d)
	}
}
