package suite

import (
	"net/http"
	"time"

	"github.com/csconnect/csconnect/pkg/csconnect"
)

// Short backoffs keep fault-recovery scenarios fast; every other setting is the
// client's documented default.
const (
	stackRetryBase = 10 * time.Millisecond
	stackRetryMax  = 50 * time.Millisecond
)

func init() { DefaultStack = CSConnectStack }

// CSConnectStack builds csconnect's own client stack: an Authenticator (preflight,
// guard, retries) behind a Cache, and a Transport for service calls, all over
// cfg.Transport. Backoffs are shortened so that fault scenarios take milliseconds.
// Neither client follows redirects, so credentials and tokens stay with the target.
func CSConnectStack(cfg StackConfig) (*Stack, error) {
	httpClient := &http.Client{Transport: cfg.Transport, CheckRedirect: noRedirects}
	fast := csconnect.RetryPolicy{BaseDelay: stackRetryBase, MaxDelay: stackRetryMax}
	auth, err := csconnect.NewAuthenticator(csconnect.AuthConfig{
		BaseURL:    cfg.AuthURL,
		Username:   cfg.Username,
		Password:   cfg.Password,
		HTTPClient: httpClient,
		Retry:      fast,
	})
	if err != nil {
		return nil, err
	}
	cache := csconnect.NewCache(auth, csconnect.CacheOptions{
		AdvisoryJitter: -1, // deterministic refresh points
		Backoff:        fast,
	})
	tr := &csconnect.Transport{
		Source: cache,
		Base:   cfg.Transport,
		Retry:  fast,
	}
	return &Stack{
		Source:  cache,
		Service: &http.Client{Transport: tr, CheckRedirect: noRedirects},
		Close:   func() { _ = cache.Close() },
	}, nil
}
