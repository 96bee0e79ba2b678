package redisstore

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
)

func TestNewRejectsBadOptions(t *testing.T) {
	good := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", ContextTimeoutEnabled: true})
	t.Cleanup(func() { _ = good.Close() })
	noCtx := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	t.Cleanup(func() { _ = noCtx.Close() })
	tests := map[string]Options{
		"no client":                {Secret: testSecret},
		"client ignores deadlines": {Client: noCtx, Secret: testSecret},
		"no secret":                {Client: good},
		"short secret":             {Client: good, Secret: testSecret[:31]},
		"bad key length":           {Client: good, Secret: testSecret, EncryptionKey: testKey[:20]},
		"key equals secret":        {Client: good, Secret: testSecret, EncryptionKey: testSecret},
		"decryption key, no key":   {Client: good, Secret: testSecret, DecryptionKeys: [][]byte{otherKey}},
		"bad decryption key":       {Client: good, Secret: testSecret, EncryptionKey: testKey, DecryptionKeys: [][]byte{otherKey, otherKey[:7]}},
		"decryption key is secret": {Client: good, Secret: testSecret, EncryptionKey: testKey, DecryptionKeys: [][]byte{testSecret}},
		"negative timeout":         {Client: good, Secret: testSecret, Timeout: -1},
	}
	for name, opts := range tests {
		t.Run(name, func(t *testing.T) {
			s, err := New(opts)
			if !errors.Is(err, ErrInvalidOptions) {
				t.Fatalf("New(%v) = %v, %v; want ErrInvalidOptions", opts, s, err)
			}
			if strings.Contains(err.Error(), string(testSecret)) {
				t.Errorf("New(%v) error %q contains the secret", opts, err)
			}
		})
	}
}

func TestNewDefaults(t *testing.T) {
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", ContextTimeoutEnabled: true})
	t.Cleanup(func() { _ = c.Close() })
	s, err := New(Options{Client: c, Secret: testSecret})
	if err != nil {
		t.Fatalf("New = %v", err)
	}
	if s.prefix != DefaultPrefix || s.timeout != DefaultTimeout || s.keys.sealer.Encrypted() {
		t.Errorf("New defaults = prefix %q timeout %v encrypted %t; want %q %v false", s.prefix, s.timeout, s.keys.sealer.Encrypted(), DefaultPrefix, DefaultTimeout)
	}
}

// The secrets must not show in any formatting of Options or Store.
func TestFormatRedactsSecrets(t *testing.T) {
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", ContextTimeoutEnabled: true})
	t.Cleanup(func() { _ = c.Close() })
	opts := Options{Client: c, Secret: testSecret, EncryptionKey: testKey, DecryptionKeys: [][]byte{otherKey}}
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	// A store held in an unexported field of some other value, as a cache holds it.
	type holder struct{ store any }
	for _, v := range []any{opts, &opts, s, holder{s}, &holder{s}} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
			out := fmt.Sprintf(verb, v)
			for _, secret := range [][]byte{testSecret, testKey, otherKey} {
				if strings.Contains(out, string(secret)) || strings.Contains(out, fmt.Sprintf("%x", secret)) || strings.Contains(out, fmt.Sprint(secret)) {
					t.Errorf("Sprintf(%q, %T) = %q; contains a secret", verb, v, out)
				}
			}
		}
	}
}

func TestFingerprint(t *testing.T) {
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", ContextTimeoutEnabled: true})
	t.Cleanup(func() { _ = c.Close() })
	a, _ := New(Options{Client: c, Secret: testSecret})
	b, _ := New(Options{Client: c, Secret: testSecret, Prefix: "other:"})
	other, _ := New(Options{Client: c, Secret: otherKey})
	if got, want := a.Fingerprint("user"), b.Fingerprint("user"); got != want {
		t.Errorf("Fingerprint(user) differs between stores sharing a secret: %s, %s", got, want)
	}
	if a.Fingerprint("user") == other.Fingerprint("user") {
		t.Errorf("Fingerprint(user) is the same under two secrets")
	}
	if a.Fingerprint("user", "pw") == a.Fingerprint("user") || strings.Contains(a.Fingerprint("user"), "user") {
		t.Errorf("Fingerprint does not separate its inputs")
	}
}
