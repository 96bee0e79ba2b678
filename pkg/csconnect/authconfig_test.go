package csconnect

import (
	"context"
	"testing"
	"time"
)

// TestAuthConfigNonPositiveDurations: a negative duration means the default, as in
// CacheOptions, rather than a timeout that fails every attempt or no backoff at all.
func TestAuthConfigNonPositiveDurations(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t, tokenReply())
	a := newTestAuth(t, srv.URL, func(c *AuthConfig) {
		c.Store = timedStore{Store: newMemoryStore(), timeout: -time.Second}
		c.Timeout, c.Retry.BaseDelay, c.Retry.MaxDelay = -time.Second, -time.Second, -time.Second
	})
	for name, tt := range map[string]struct{ got, want time.Duration }{
		"Timeout":        {a.timeout, defaultTimeout},
		"StoreTimeout":   {a.guard.store.timeout, defaultStoreTimeout},
		"RetryBaseDelay": {a.retry.BaseDelay, defaultAuthRetry.BaseDelay},
		"RetryMaxDelay":  {a.retry.MaxDelay, defaultAuthRetry.MaxDelay},
	} {
		if tt.got != tt.want {
			t.Errorf("NewAuthenticator(%s: -1s).%s = %v; want the default %v", name, name, tt.got, tt.want)
		}
	}
	if _, err := a.Token(context.Background()); err != nil {
		t.Errorf("Token() with negative durations = %v; want a token", err)
	}
}
