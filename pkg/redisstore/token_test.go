package redisstore

import (
	"strings"
	"testing"
	"time"

	"github.com/csconnect/csconnect/pkg/csconnect"
)

func TestTokenRoundTrip(t *testing.T) {
	for name, opts := range map[string]Options{"clear": {}, "encrypted": {EncryptionKey: testKey}} {
		t.Run(name, func(t *testing.T) {
			s, raw, _ := newTestStore(t, opts)
			now := time.Now().Truncate(time.Millisecond)
			want := &csconnect.Token{Value: sampleToken, Expiry: now.Add(time.Hour), Fetched: now}
			if err := s.SaveToken(ctxT(t), "fp", want); err != nil {
				t.Fatalf("SaveToken = %v", err)
			}
			got, err := s.LoadToken(ctxT(t), "fp")
			if err != nil || got == nil || got.Value != want.Value || !got.Expiry.Equal(want.Expiry) || !got.Fetched.Equal(want.Fetched) {
				t.Fatalf("LoadToken(fp) = %v (value ok %t, fetched %v), %v; want %v", got, got != nil && got.Value == want.Value, got, err, want)
			}
			// TTL = remaining life.
			ttl := raw.PTTL(ctxT(t), DefaultPrefix+"token:fp").Val()
			if ttl <= 59*time.Minute || ttl > time.Hour {
				t.Errorf("PTTL(token) = %v; want about 1h", ttl)
			}
			// Another key is empty.
			if got, err := s.LoadToken(ctxT(t), "other"); got != nil || err != nil {
				t.Errorf("LoadToken(other) = %v, %v; want nil, nil", got, err)
			}
		})
	}
}

func TestSaveTokenSkipsExpired(t *testing.T) {
	s, raw, _ := newTestStore(t, Options{})
	now := time.Now()
	fixedNow(s, now)
	for name, tok := range map[string]*csconnect.Token{
		"nil":     nil,
		"empty":   {Expiry: now.Add(time.Hour)},
		"expired": {Value: sampleToken, Expiry: now.Add(-time.Second)},
		"now":     {Value: sampleToken, Expiry: now},
		"sub-ms":  {Value: sampleToken, Expiry: now.Add(time.Microsecond)},
	} {
		t.Run(name, func(t *testing.T) {
			if err := s.SaveToken(ctxT(t), "fp", tok); err != nil {
				t.Errorf("SaveToken(%v) = %v; want nil", tok, err)
			}
			if n := raw.Exists(ctxT(t), DefaultPrefix+"token:fp").Val(); n != 0 {
				t.Errorf("SaveToken(%v) stored a key", tok)
			}
		})
	}
}

// A token that expired on the caller's clock is not returned, even if Redis still has
// it (clocks differ by a little across a fleet).
func TestLoadTokenExpiredOnLocalClock(t *testing.T) {
	s, _, _ := newTestStore(t, Options{})
	now := time.Now()
	if err := s.SaveToken(ctxT(t), "fp", &csconnect.Token{Value: sampleToken, Expiry: now.Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	fixedNow(s, now.Add(time.Minute))
	if got, err := s.LoadToken(ctxT(t), "fp"); got != nil || err != nil {
		t.Errorf("LoadToken after expiry = %v, %v; want nil, nil", got, err)
	}
}

// Two stores with one prefix share; another prefix does not see the token.
func TestTokenSharedByPrefix(t *testing.T) {
	a, raw, _ := newTestStore(t, Options{})
	b := storeOn(t, raw, Options{})
	c := storeOn(t, raw, Options{Prefix: "staging:"})
	tok := &csconnect.Token{Value: sampleToken, Expiry: time.Now().Add(time.Hour)}
	if err := a.SaveToken(ctxT(t), a.Fingerprint("user"), tok); err != nil {
		t.Fatal(err)
	}
	if got, err := b.LoadToken(ctxT(t), b.Fingerprint("user")); err != nil || got == nil || got.Value != sampleToken {
		t.Errorf("b.LoadToken = %v, %v; want the token a saved", got, err)
	}
	if got, err := c.LoadToken(ctxT(t), c.Fingerprint("user")); err != nil || got != nil {
		t.Errorf("c.LoadToken (other prefix) = %v, %v; want nil, nil", got, err)
	}
	for _, k := range raw.Keys(ctxT(t), "*").Val() {
		if strings.Contains(k, "user") {
			t.Errorf("key %q contains the username", k)
		}
	}
}
