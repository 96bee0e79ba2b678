package csconnect

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/csconnect/csconnect/gen/datecheck"
)

// DefaultServiceURL is the Creditsafe Sweden web services host, where the vendor's
// documented protected call (GET /datecheck/company) lives.
const DefaultServiceURL = "https://se-webservice.apps.creditsafe.com"

// defaultServiceTimeout bounds the wait for a service's response headers when Config
// gives no Base transport. A context deadline bounds a whole call.
const defaultServiceTimeout = 30 * time.Second

// defaultMaxResponseBody caps a service response body in the client New builds: the
// generated client reads whole bodies into memory, and the largest documented
// reports are well under a megabyte, so 16 MiB leaves room without letting a broken
// or hostile server make us buffer without bound.
const defaultMaxResponseBody = 16 << 20

// Config configures New. Only Auth.Username and Auth.Password are required; every
// other zero field means the default documented on it.
type Config struct {
	// Auth configures the authenticate call (credentials, BaseURL, its HTTP client,
	// timeout and retries) and what the whole client shares: the Store, its
	// StoreTimeout and the Logger, set here once.
	Auth AuthConfig
	// ServiceURL is the base URL of the services the generated client calls. Default
	// DefaultServiceURL. It must be https, or http to a loopback host; New refuses
	// anything else with a *PreflightError (errors.Is ErrInvalidInput).
	ServiceURL string
	// Cache configures the token cache. Its Store and StoreKey default to Auth.Store
	// and the username's fingerprint in it, so the processes that share a Store
	// share tokens too.
	Cache CacheOptions
	// Retry configures retries of transient service failures (see RetryPolicy).
	Retry RetryPolicy
	// Base sends the service requests. Default: a clone of http.DefaultTransport
	// that waits at most 30 s for response headers and accepts at most 64 KiB of
	// them.
	Base http.RoundTripper
	// MaxResponseBody caps every service response body: reading past it fails with
	// ErrResponseTooLarge (the generated methods return that error) instead of
	// buffering without bound. Zero or negative means 16 MiB.
	MaxResponseBody int64
}

// Client calls the protected service (gen/datecheck, from datecheck.yaml) with a
// cached token on every request, renewed before it expires and once more when the
// service says it expired. Safe for concurrent use; Close it when done. Build it
// with New; on the zero Client the service methods return ErrInvalidUse.
//
// It exposes the service's generated methods and nothing of the authenticate API:
// tokens come from Tokens, or from an Authenticator when you need the call itself.
type Client struct {
	// Tokens is the token cache (Stats, Invalidate).
	Tokens *Cache
	// HTTPClient is the client the service calls go through; reuse it for services
	// the generated client does not cover.
	HTTPClient *http.Client

	svc     *datecheck.ClientWithResponses
	auth    *Authenticator
	ownBase *http.Transport // the service transport New built (Config.Base was nil)
}

// New checks cfg (sending nothing; see NewAuthenticator) and returns a Client whose
// calls go Authenticator → Cache → Transport.
//
// The HTTP client it builds has no http.Client.Timeout, on purpose: over a custom
// RoundTripper net/http enforces that timeout on a legacy cancellation path that
// costs about 5 µs and 22 allocations per request. Calls are bounded instead by the
// caller's context deadline, the transport's ResponseHeaderTimeout, and, for the
// token, CacheOptions.FetchTimeout and AuthConfig.Timeout. If you pass your own
// client or transport, do the same.
func New(cfg Config) (*Client, error) {
	if cfg.ServiceURL == "" {
		cfg.ServiceURL = DefaultServiceURL
	}
	if _, err := checkBaseURL(cfg.ServiceURL); err != nil {
		var pe *PreflightError
		if errors.As(err, &pe) {
			pe.Field = "service URL"
		}
		return nil, err
	}
	auth, err := NewAuthenticator(cfg.Auth)
	if err != nil {
		return nil, err
	}
	opts := cfg.Cache
	if opts.Store == nil && cfg.Auth.Store != nil {
		opts.Store = cfg.Auth.Store
	}
	if opts.Store != nil && opts.StoreKey == "" {
		opts.StoreKey = opts.Store.Fingerprint(cfg.Auth.Username)
	}
	opts.logger, opts.storeTimeout = cfg.Auth.Logger, cfg.Auth.StoreTimeout
	base := cfg.Base
	var ownBase *http.Transport
	if base == nil {
		ownBase = http.DefaultTransport.(*http.Transport).Clone()
		ownBase.ResponseHeaderTimeout = defaultServiceTimeout
		ownBase.MaxResponseHeaderBytes = maxResponseHeaderBytes
		base = ownBase
	}
	cache := NewCache(auth, opts)
	maxBody := cfg.MaxResponseBody
	if maxBody <= 0 {
		maxBody = defaultMaxResponseBody
	}
	hc := &http.Client{Transport: &Transport{Source: cache, Base: base, Retry: cfg.Retry, MaxResponseBody: maxBody, logger: cfg.Auth.Logger}}
	gen, err := datecheck.NewClientWithResponses(cfg.ServiceURL, datecheck.WithHTTPClient(hc))
	if err != nil {
		_ = cache.Close()
		return nil, errors.Join(errors.New("csconnect: building the generated client"), err)
	}
	return &Client{svc: gen, Tokens: cache, HTTPClient: hc, auth: auth, ownBase: ownBase}, nil
}

// DateCheckCompany is the generated method, over the token layer. On the zero
// Client it sends nothing and returns ErrInvalidUse.
func (c *Client) DateCheckCompany(ctx context.Context, params *datecheck.DateCheckCompanyParams, reqEditors ...datecheck.RequestEditorFn) (*http.Response, error) {
	if c.svc == nil {
		return nil, errZeroClient
	}
	return c.svc.DateCheckCompany(ctx, params, reqEditors...)
}

// DateCheckCompanyWithResponse is the generated method, over the token layer. On
// the zero Client it sends nothing and returns ErrInvalidUse.
func (c *Client) DateCheckCompanyWithResponse(ctx context.Context, params *datecheck.DateCheckCompanyParams, reqEditors ...datecheck.RequestEditorFn) (*datecheck.DateCheckCompanyResponse, error) {
	if c.svc == nil {
		return nil, errZeroClient
	}
	return c.svc.DateCheckCompanyWithResponse(ctx, params, reqEditors...)
}

// GuardStatus reports the Authenticator's lockout guard (see
// Authenticator.GuardStatus), for metrics beside Tokens.Stats; empty on the zero
// Client.
func (c *Client) GuardStatus() GuardStatus {
	if c.auth == nil {
		return GuardStatus{}
	}
	return c.auth.GuardStatus()
}

// Close stops the token cache's background work and closes the idle connections of
// the transports New built (not of Config.Base or AuthConfig.HTTPClient, which are
// the caller's), so no goroutine of the Client outlives it. The Client must not be
// used after.
func (c *Client) Close() error {
	var err error
	if c.Tokens != nil {
		err = c.Tokens.Close()
	}
	if c.auth != nil {
		c.auth.CloseIdleConnections()
	}
	if c.ownBase != nil {
		c.ownBase.CloseIdleConnections()
	}
	return err
}
