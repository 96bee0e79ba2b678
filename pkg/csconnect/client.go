package csconnect

import (
	"cmp"
	"context"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/csconnect/csconnect/gen/client"
	"github.com/csconnect/csconnect/gen/datecheck"
)

// DefaultServiceURL is the Creditsafe Sweden web services host, where the vendor's
// documented protected call (GET /datecheck/company) lives.
const DefaultServiceURL = "https://se-webservice.apps.creditsafe.com"

// DefaultServiceTimeout bounds the wait for a service's response headers when Config
// gives no Base transport. A context deadline bounds a whole call.
const DefaultServiceTimeout = 30 * time.Second

// DefaultMaxResponseBody caps a service response body in the client New builds: the
// generated client reads whole bodies into memory, and the largest documented
// reports are well under a megabyte, so 16 MiB leaves room without letting a broken
// or hostile server make us buffer without bound.
const DefaultMaxResponseBody = 16 << 20

// Config configures New. Only Auth.Username and Auth.Password are required; every
// other zero field means the default documented on it.
type Config struct {
	// Auth configures the authenticate call: credentials, BaseURL, its HTTP client
	// and timeout, the lockout guard's Store and the Logger.
	Auth AuthConfig
	// ServiceURL is the base URL of the services the generated client calls. Default
	// DefaultServiceURL. It must be https, or http to a loopback host; New refuses
	// anything else with a *PreflightError (errors.Is ErrInvalidInput).
	ServiceURL string
	// Cache configures the token cache. Its Store, StoreKey and Logger default to
	// Auth.Store, Auth.Store.Fingerprint(Auth.Username) and Auth.Logger, so the
	// processes that share a Store share tokens too.
	Cache CacheOptions
	// Retry configures retries of transient service failures (see RetryPolicy).
	Retry RetryPolicy
	// Base sends the service requests. Default: a clone of http.DefaultTransport
	// whose ResponseHeaderTimeout is ServiceTimeout and that accepts at most 64 KiB
	// of response headers.
	Base http.RoundTripper
	// ServiceTimeout bounds the wait for response headers on the default Base.
	// Default DefaultServiceTimeout (30 s); ignored when Base is set.
	ServiceTimeout time.Duration
	// MaxResponseBody caps every service response body: reading past it fails with
	// ErrResponseTooLarge (the generated methods return that error) instead of
	// buffering without bound. Zero or negative means DefaultMaxResponseBody (16 MiB).
	MaxResponseBody int64
	// Hooks receives the token layer's events (see Hooks), for traces and metrics;
	// it is the default of Auth.Hooks and Cache.Hooks and the Transport's. Default
	// none.
	Hooks *Hooks
}

// ErrRawAuthenticate is returned by Client's Authenticate methods, which must not be
// used: see Client.
var ErrRawAuthenticate = errors.New("csconnect: Client.Authenticate* is disabled: it would post the credentials to the service URL past preflight and the lockout guard; use Client.Tokens or an Authenticator")

// Client is the generated client of the protected service (gen/datecheck, from
// datecheck.yaml) wired to the token layer: every call carries a cached token,
// renewed before it expires and once more when a service says it expired. Its
// methods are the generated ClientWithResponses's. Safe for concurrent use; Close it
// when done.
//
// Build it with New. The zero Client has no generated client: its service methods
// return an error wrapping ErrInvalidUse, its Authenticate methods
// ErrRawAuthenticate, GuardStatus is empty and Close does nothing.
//
// Do not authenticate through it. The authenticate API has its own document and
// client (gen/client); Client keeps the Authenticate, AuthenticateWithBody,
// AuthenticateWithResponse and AuthenticateWithBodyWithResponse methods it had when
// both lived in one client, and they send nothing and return ErrRawAuthenticate.
// Tokens come from Client.Tokens (the Cache), or from an Authenticator
// (NewAuthenticator) when you need the call itself.
type Client struct {
	*datecheck.ClientWithResponses
	// Tokens is the token cache (Stats, Invalidate).
	Tokens *Cache
	// HTTPClient is the client the service calls go through; reuse it for services
	// the generated client does not cover.
	HTTPClient *http.Client

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
	cfg.Auth.Hooks = cmp.Or(cfg.Auth.Hooks, cfg.Hooks)
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
	if opts.Logger == nil {
		opts.Logger = cfg.Auth.Logger
	}
	opts.Hooks = cmp.Or(opts.Hooks, cfg.Hooks)
	base := cfg.Base
	var ownBase *http.Transport
	if base == nil {
		ownBase = http.DefaultTransport.(*http.Transport).Clone()
		ownBase.ResponseHeaderTimeout = cfg.ServiceTimeout
		if ownBase.ResponseHeaderTimeout <= 0 {
			ownBase.ResponseHeaderTimeout = DefaultServiceTimeout
		}
		ownBase.MaxResponseHeaderBytes = maxResponseHeaderBytes
		base = ownBase
	}
	cache := NewCache(auth, opts)
	maxBody := cfg.MaxResponseBody
	if maxBody <= 0 {
		maxBody = DefaultMaxResponseBody
	}
	hc := &http.Client{Transport: &Transport{Source: cache, Base: base, Retry: cfg.Retry, MaxResponseBody: maxBody, Logger: cfg.Auth.Logger, Hooks: cfg.Hooks}}
	gen, err := datecheck.NewClientWithResponses(cfg.ServiceURL, datecheck.WithHTTPClient(hc))
	if err != nil {
		_ = cache.Close()
		return nil, errors.Join(errors.New("csconnect: building the generated client"), err)
	}
	return &Client{ClientWithResponses: gen, Tokens: cache, HTTPClient: hc, auth: auth, ownBase: ownBase}, nil
}

// Authenticate sends nothing and returns ErrRawAuthenticate: see Client.
func (c *Client) Authenticate(context.Context, client.AuthenticateJSONRequestBody, ...client.RequestEditorFn) (*http.Response, error) {
	return nil, ErrRawAuthenticate
}

// AuthenticateWithBody sends nothing and returns ErrRawAuthenticate: see Client.
func (c *Client) AuthenticateWithBody(context.Context, string, io.Reader, ...client.RequestEditorFn) (*http.Response, error) {
	return nil, ErrRawAuthenticate
}

// AuthenticateWithResponse sends nothing and returns ErrRawAuthenticate: see Client.
func (c *Client) AuthenticateWithResponse(context.Context, client.AuthenticateJSONRequestBody, ...client.RequestEditorFn) (*client.AuthenticateResponse, error) {
	return nil, ErrRawAuthenticate
}

// AuthenticateWithBodyWithResponse sends nothing and returns ErrRawAuthenticate: see
// Client.
func (c *Client) AuthenticateWithBodyWithResponse(context.Context, string, io.Reader, ...client.RequestEditorFn) (*client.AuthenticateResponse, error) {
	return nil, ErrRawAuthenticate
}

// DateCheckCompany is the generated method, over the token layer. On the zero
// Client it sends nothing and returns ErrInvalidUse.
func (c *Client) DateCheckCompany(ctx context.Context, params *datecheck.DateCheckCompanyParams, reqEditors ...datecheck.RequestEditorFn) (*http.Response, error) {
	if c.ClientWithResponses == nil {
		return nil, errZeroClient
	}
	return c.ClientWithResponses.DateCheckCompany(ctx, params, reqEditors...)
}

// DateCheckCompanyWithResponse is the generated method, over the token layer. On
// the zero Client it sends nothing and returns ErrInvalidUse.
func (c *Client) DateCheckCompanyWithResponse(ctx context.Context, params *datecheck.DateCheckCompanyParams, reqEditors ...datecheck.RequestEditorFn) (*datecheck.DateCheckCompanyResponse, error) {
	if c.ClientWithResponses == nil {
		return nil, errZeroClient
	}
	return c.ClientWithResponses.DateCheckCompanyWithResponse(ctx, params, reqEditors...)
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
