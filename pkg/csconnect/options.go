package csconnect

// Options and their defaults: Config (New), AuthConfig (NewAuthenticator),
// CacheOptions (NewCache) and RetryPolicy (authenticate, service calls and the
// cache's backoff). A zero or negative field means the default documented on it.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"time"
)

// Defaults for CacheOptions. Each one says why it has its value.
const (
	// defaultAdvisoryWindow: the vendor documents one-hour tokens and recommends
	// refreshing "about 55 minutes after" the fetch, i.e. 5 minutes before expiry.
	defaultAdvisoryWindow = 5 * time.Minute
	// defaultAdvisoryJitter spreads the advisory point of a fleet started together
	// over one minute, so its processes do not all authenticate at the same second.
	defaultAdvisoryJitter = time.Minute
	// defaultMandatoryWindow: one minute before expiry a token is too close to its
	// end to start a service call with, so callers wait for the new one.
	defaultMandatoryWindow = time.Minute
	// defaultFetchTimeout bounds one shared fetch (store lookups, the wait for another
	// process's lease and the authenticate call with its own retries).
	defaultFetchTimeout = 30 * time.Second
	// defaultPermanentBackoff is how long a permanent fetch failure (rejected
	// credentials, an inactive account, a refused request) is remembered before the
	// source is asked again: long enough that a process with wrong credentials sends
	// them about once per two of the vendor's five-minute lockout windows, short
	// enough that a reactivated account recovers without a restart.
	defaultPermanentBackoff = 10 * time.Minute
	// defaultStoreTimeout bounds each Store call, the cache's and the guard's: a slow
	// shared store must cost a caller less than the authenticate call it is meant to
	// save.
	defaultStoreTimeout = 250 * time.Millisecond
	// defaultLeaseTTL is how long a refresh lease is held at most; a process that does
	// not hold it waits for the holder's token at most this long, taking the lease
	// over if it lapses meanwhile (its holder died), then fetches itself.
	defaultLeaseTTL = 10 * time.Second
	// defaultStorePollInterval is how often a process waiting on another's lease looks
	// for the new token in the store.
	defaultStorePollInterval = 200 * time.Millisecond
)

// CacheOptions configures a Cache. The zero value gives every documented default.
// A duration that is zero or negative means its default, except AdvisoryJitter,
// where negative means no jitter: a negative window, timeout, backoff or interval
// makes no sense, and taking it literally would remove the backoff or panic
// (time.NewTicker) inside a shared fetch.
//
// Both windows are measured back from Token.Expiry. For tokens whose lifetime is
// shorter than twice a window (tests, or a server that issues short tokens) the
// advisory point is clamped to half the lifetime and the mandatory point to
// three quarters, so a short token is still used before it is replaced.
type CacheOptions struct {
	// AdvisoryWindow: from this long before expiry the first caller starts one
	// background refresh and every caller keeps getting the current token without
	// waiting. Default 5 minutes.
	AdvisoryWindow time.Duration
	// AdvisoryJitter moves each token's advisory point earlier by a random duration
	// in [0, AdvisoryJitter). Default 1 minute; negative
	// disables jitter.
	AdvisoryJitter time.Duration
	// MandatoryWindow: from this long before expiry callers wait for the new token
	// (each on its own context). Default 1 minute.
	MandatoryWindow time.Duration
	// FetchTimeout bounds one shared fetch. The fetch is detached from the caller
	// that started it, so one caller giving up does not cancel it for the others.
	// Default 30 s.
	FetchTimeout time.Duration
	// Backoff's BaseDelay and MaxDelay bound the wait after a failed fetch before the
	// next one: a random duration in [0, min(MaxDelay, BaseDelay·2^(n-1))) after the
	// n-th failure in a row (full jitter). Defaults 1 s and 30 s, authenticate's.
	// Its other fields do not apply: a cache keeps trying, more slowly.
	Backoff RetryPolicy
	// permanentBackoff is how long a permanent failure (see Cache) is returned to
	// callers without asking the source again. A failure that gives its own wait (a
	// lockout's Retry-After) is retried after that wait instead, but not before
	// Backoff.MaxDelay. Default 10 minutes.
	permanentBackoff time.Duration

	// store shares tokens between the processes that use one account: before
	// fetching, the cache adopts a fresher token another process saved, and only the
	// holder of the store's refresh lease authenticates. It is the source's
	// AuthConfig.Store when the source is an *Authenticator and one was set (see
	// NewCache); storeKey is the key the token is shared under there.
	store    Store
	storeKey string
	// storeTimeout bounds each Store call: the Store's CallTimeout, if any.
	storeTimeout time.Duration
	// leaseTTL and pollInterval time the refresh lease: the Store's LeaseTiming when
	// it has one, else defaultLeaseTTL and defaultStorePollInterval.
	leaseTTL, pollInterval time.Duration

	// logger receives refresh, failure and store events, tokens by expiry only;
	// hooks receives each fetch's and renewal's events. Both are the source's
	// (AuthConfig.Logger and Hooks) when it is an *Authenticator; else none.
	logger *slog.Logger
	hooks  *Hooks
}

// leaseTimer is a Store that times its own refresh lease (see Store).
type leaseTimer interface {
	LeaseTiming() (ttl, poll time.Duration)
}

// withDefaults returns o with every zero field set to its default.
func (o CacheOptions) withDefaults() CacheOptions {
	positiveOr(&o.AdvisoryWindow, defaultAdvisoryWindow)
	positiveOr(&o.MandatoryWindow, defaultMandatoryWindow)
	positiveOr(&o.FetchTimeout, defaultFetchTimeout)
	positiveOr(&o.Backoff.BaseDelay, defaultAuthRetry.BaseDelay)
	positiveOr(&o.Backoff.MaxDelay, defaultAuthRetry.MaxDelay)
	positiveOr(&o.permanentBackoff, defaultPermanentBackoff)
	positiveOr(&o.storeTimeout, callTimeout(o.store))
	if lt, ok := o.store.(leaseTimer); ok && o.leaseTTL <= 0 && o.pollInterval <= 0 {
		o.leaseTTL, o.pollInterval = lt.LeaseTiming()
	}
	positiveOr(&o.leaseTTL, defaultLeaseTTL)
	positiveOr(&o.pollInterval, defaultStorePollInterval)
	switch {
	case o.AdvisoryJitter == 0:
		o.AdvisoryJitter = defaultAdvisoryJitter
	case o.AdvisoryJitter < 0:
		o.AdvisoryJitter = 0
	}
	if o.logger == nil {
		o.logger = discardLogger
	}
	return o
}

// discardLogger is the logger of whatever was given none.
var discardLogger = slog.New(slog.DiscardHandler)

// positiveOr sets *d to def when it is zero or negative.
func positiveOr(d *time.Duration, def time.Duration) {
	if *d <= 0 {
		*d = def
	}
}

// DefaultBaseURL is the live Creditsafe CONNECT server.
const DefaultBaseURL = "https://connect.creditsafe.com/v1"

// defaultTimeout bounds one authenticate attempt (connection, request and response).
const defaultTimeout = 30 * time.Second

// AuthConfig configures an Authenticator. The zero value of every field but Username
// and Password is usable: it means the default given below.
//
// AuthConfig's String, GoString, Format and LogValue never print the password.
type AuthConfig struct {
	// BaseURL is the server, default DefaultBaseURL (live); the sandbox is
	// https://connect.sandbox.creditsafe.com/v1. It must be https, or http to a
	// loopback address (for local simulators), so credentials never travel in clear.
	BaseURL string
	// Username is the User Key Creditsafe issued (not the e-mail address used on its
	// websites); Password is its password. Both are required, 1 to 30 characters, and
	// sent exactly as given.
	Username, Password string
	// AllowEmailUsername sends a username shaped like an e-mail address instead of
	// refusing it. Default false: the vendor documents that e-mail addresses do not
	// work here, and each refused attempt counts toward a lockout.
	AllowEmailUsername bool
	// HTTPClient sends the request. Default: a client over a clone of
	// http.DefaultTransport (proxy from the environment, 10s TLS handshake timeout,
	// at most 64 KiB of response headers).
	// Whichever client is used, redirects are never followed for authenticate (a 3xx
	// is a contract error), so credentials cannot be re-sent to another host. Prefer
	// per-attempt Timeout over http.Client.Timeout.
	HTTPClient *http.Client
	// Timeout bounds each attempt, reading the answer's body included, whatever
	// HTTPClient is given; default 30 s (zero or negative
	// means the default, as for every duration here). The caller's context
	// bounds the whole call, retries included.
	Timeout time.Duration
	// Store holds the guard's state, shared with other processes. It sees only
	// fingerprints, never the password. Default: none, the state stays in this
	// Authenticator (as in a NewMemoryStore() of its own, which the guard would only
	// copy its state into).
	Store Store
	// Logger receives debug lines for each attempt and warnings for retries, guard
	// refusals and Store failures; never the password or the token. Default: discard.
	Logger *slog.Logger
	// Budget is how many authenticate requests (attempts, retries included) this
	// Authenticator may send per 5 minutes, default 100; negative
	// means no budget. The vendor locks the endpoint beyond 10,000 per 5 minutes.
	Budget int
	// Retry says how a Token call retries transient failures (5xx, connection
	// errors, timeouts; a 429 is a lockout, not retried). Zero fields mean
	// RetryPolicy's authenticate defaults: 3 attempts, 1 s to 30 s.
	Retry RetryPolicy
	// Hooks receives the token layer's events (see Hooks), for traces and metrics:
	// each authenticate attempt's, and, in the client New builds, the cache's and the
	// transport's. Default none.
	Hooks *Hooks

	now   func() time.Time                           // clock; default time.Now
	rand  func(int64) int64                          // jitter source in [0, n)
	sleep func(context.Context, time.Duration) error // backoff sleeper
}

// describe describes the configuration without the password (nor one smuggled into
// BaseURL's user information).
func (c AuthConfig) describe() string {
	pw := "unset"
	if c.Password != "" {
		pw = redacted
	}
	return fmt.Sprintf("csconnect.AuthConfig{BaseURL: %q, Username: %q, Password: %s}", redactURL(c.BaseURL), c.Username, pw)
}

// Format makes every verb print the description, never a secret.
func (c AuthConfig) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, c.describe()) }

// MarshalJSON encodes BaseURL, Username and whether a password is set: never the
// password (slog's JSON handler logs this).
func (c AuthConfig) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		BaseURL     string `json:"base_url"`
		Username    string `json:"username"`
		PasswordSet bool   `json:"password_set"`
	}{redactURL(c.BaseURL), c.Username, c.Password != ""})
}

// redactURL drops the user information of a URL; an unparsable one is not printed.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "[unparsable]"
	}
	u.User = nil
	return u.String()
}

// defaultServiceURL is the Creditsafe Sweden web services host, where the vendor's
// documented protected call (GET /datecheck/company) lives.
const defaultServiceURL = "https://se-webservice.apps.creditsafe.com"

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
	// timeout and retries) and what the whole client shares: the Store and
	// the Logger, set here once.
	Auth AuthConfig
	// ServiceURL is the base URL of the services the generated client calls. Default
	// https://se-webservice.apps.creditsafe.com, the Creditsafe Sweden web services
	// host. It must be https, or http to a loopback host; New refuses anything else
	// with an error matching ErrInvalidInput.
	ServiceURL string
	// Cache configures the token cache. It shares tokens through Auth.Store when one
	// is set, so the processes that share a Store share tokens too.
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

// RetryPolicy says how transient failures are retried: 429 and 5xx answers,
// connection failures and timeouts, but not certificate errors. It serves the
// authenticate call (AuthConfig.Retry) and service calls (Config.Retry,
// Transport.Retry) alike. A zero or negative field means its default, which differs
// by use and is given below. A Retry-After longer than 30 s is not waited for: the
// answer is returned. A token renewal (one replay after ErrTokenExpired) is
// not a retry.
type RetryPolicy struct {
	// MaxAttempts is the number of attempts including the first; 1 disables retries.
	// Default 3 for both (three authenticate attempts stay under the vendor's "5
	// identical invalid requests in 2 minutes" even if every transient failure hid a
	// counted request).
	MaxAttempts int
	// BaseDelay and MaxDelay bound the full-jitter backoff: before attempt n+1 wait a
	// random duration in [0, min(MaxDelay, BaseDelay·2^(n-1))). Defaults 1 s and 30 s
	// for authenticate (the 1 s, 2 s, 4 s of the vendor's guide), 250 ms and 5 s for
	// services.
	BaseDelay, MaxDelay time.Duration
}

// withDefaults returns p with every zero or negative field taken from def.
func (p RetryPolicy) withDefaults(def RetryPolicy) RetryPolicy {
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = def.MaxAttempts
	}
	positiveOr(&p.BaseDelay, def.BaseDelay)
	positiveOr(&p.MaxDelay, def.MaxDelay)
	return p
}

// The named defaults of RetryPolicy, by use.
var (
	defaultAuthRetry    = RetryPolicy{MaxAttempts: 3, BaseDelay: time.Second, MaxDelay: 30 * time.Second}
	defaultServiceRetry = RetryPolicy{MaxAttempts: 3, BaseDelay: 250 * time.Millisecond, MaxDelay: 5 * time.Second}
)
