package csconnect

import (
	"log/slog"
	"time"
)

// Defaults for CacheOptions. Each one says why it has its value.
const (
	// DefaultAdvisoryWindow: the vendor documents one-hour tokens and recommends
	// refreshing "about 55 minutes after" the fetch, i.e. 5 minutes before expiry.
	DefaultAdvisoryWindow = 5 * time.Minute
	// DefaultAdvisoryJitter spreads the advisory point of a fleet started together
	// over one minute, so its processes do not all authenticate at the same second.
	DefaultAdvisoryJitter = time.Minute
	// DefaultMandatoryWindow: one minute before expiry a token is too close to its
	// end to start a service call with, so callers wait for the new one.
	DefaultMandatoryWindow = time.Minute
	// DefaultFetchTimeout bounds one shared fetch (store lookups, the wait for another
	// process's lease and the authenticate call with its own retries).
	DefaultFetchTimeout = 30 * time.Second
	// DefaultMinBackoff and DefaultMaxBackoff bound the full-jitter backoff after a
	// failed fetch: the authenticate endpoint locks out after too many requests in five
	// minutes, so a failing refresh must slow down, not spin.
	DefaultMinBackoff = time.Second
	DefaultMaxBackoff = 30 * time.Second
	// DefaultPermanentBackoff is how long a permanent fetch failure (rejected
	// credentials, an inactive account, a refused request) is remembered before the
	// source is asked again: long enough that a process with wrong credentials sends
	// them about once per two of the vendor's five-minute lockout windows, short
	// enough that a reactivated account recovers without a restart.
	DefaultPermanentBackoff = 10 * time.Minute
	// DefaultStoreTimeout bounds each Store call, the cache's and the guard's: a slow
	// shared store must cost a caller less than the authenticate call it is meant to
	// save.
	DefaultStoreTimeout = 250 * time.Millisecond
	// DefaultLeaseTTL is how long a refresh lease is held at most; a process that does
	// not hold it waits for the holder's token at most this long, taking the lease
	// over if it lapses meanwhile (its holder died), then fetches itself.
	DefaultLeaseTTL = 10 * time.Second
	// DefaultStorePollInterval is how often a process waiting on another's lease looks
	// for the new token in the store.
	DefaultStorePollInterval = 200 * time.Millisecond
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
	// waiting. Default DefaultAdvisoryWindow (5 minutes).
	AdvisoryWindow time.Duration
	// AdvisoryJitter moves each token's advisory point earlier by a random duration
	// in [0, AdvisoryJitter). Default DefaultAdvisoryJitter (1 minute); negative
	// disables jitter.
	AdvisoryJitter time.Duration
	// MandatoryWindow: from this long before expiry callers wait for the new token
	// (each on its own context). Default DefaultMandatoryWindow (1 minute).
	MandatoryWindow time.Duration
	// FetchTimeout bounds one shared fetch. The fetch is detached from the caller
	// that started it, so one caller giving up does not cancel it for the others.
	// Default DefaultFetchTimeout (30 s).
	FetchTimeout time.Duration
	// MinBackoff and MaxBackoff bound the wait after a failed fetch before the next
	// one: a random duration in [0, min(MaxBackoff, MinBackoff·2^(n-1))) after the
	// n-th failure in a row (full jitter). Defaults 1 s and 30 s.
	MinBackoff, MaxBackoff time.Duration
	// PermanentBackoff is how long a permanent failure (see Cache) is returned to
	// callers without asking the source again. A failure that gives its own wait (a
	// lockout's Retry-After) is retried after that wait instead, but not before
	// MaxBackoff. Default DefaultPermanentBackoff (10 minutes).
	PermanentBackoff time.Duration

	// Store, when set, shares tokens between the processes that use one account:
	// before fetching, the cache adopts a fresher token another process saved, and
	// only the holder of the store's refresh lease authenticates. Default none.
	Store Store
	// StoreKey is the key the token is shared under: Store.Fingerprint(username).
	// Required when Store is set (New derives it); without it the Store is not used,
	// and NewCache logs a warning, because an empty key would mix accounts.
	StoreKey string
	// StoreTimeout bounds each Store call; a failing or slow store is ignored (the
	// cache falls back to fetching locally and logs once). Default
	// DefaultStoreTimeout (250 ms).
	StoreTimeout time.Duration
	// LeaseTTL is how long the refresh lease is held at most. Default 10 s.
	LeaseTTL time.Duration
	// StorePollInterval is how often a process that does not hold the lease looks
	// for the holder's token. Default 200 ms.
	StorePollInterval time.Duration

	// Logger receives refresh, failure and store events at Debug, Warn and Info.
	// Tokens are logged by expiry only, never by value. Default: discard.
	Logger *slog.Logger
	// CountHits makes Stats count cache hits. Off by default: a shared atomic counter
	// on the fast path costs more than the rest of it under parallel load.
	CountHits bool
	// Hooks receives each fetch's and renewal's events (see Hooks); nil: none.
	Hooks *Hooks
}

// withDefaults returns o with every zero field set to its default.
func (o CacheOptions) withDefaults() CacheOptions {
	positiveOr(&o.AdvisoryWindow, DefaultAdvisoryWindow)
	positiveOr(&o.MandatoryWindow, DefaultMandatoryWindow)
	positiveOr(&o.FetchTimeout, DefaultFetchTimeout)
	positiveOr(&o.MinBackoff, DefaultMinBackoff)
	positiveOr(&o.MaxBackoff, DefaultMaxBackoff)
	positiveOr(&o.PermanentBackoff, DefaultPermanentBackoff)
	positiveOr(&o.StoreTimeout, DefaultStoreTimeout)
	positiveOr(&o.LeaseTTL, DefaultLeaseTTL)
	positiveOr(&o.StorePollInterval, DefaultStorePollInterval)
	switch {
	case o.AdvisoryJitter == 0:
		o.AdvisoryJitter = DefaultAdvisoryJitter
	case o.AdvisoryJitter < 0:
		o.AdvisoryJitter = 0
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Store != nil && o.StoreKey == "" {
		o.Logger.Warn("csconnect: CacheOptions.Store without StoreKey; the store is not used")
		o.Store = nil
	}
	return o
}

// positiveOr sets *d to def when it is zero or negative.
func positiveOr(d *time.Duration, def time.Duration) {
	if *d <= 0 {
		*d = def
	}
}
