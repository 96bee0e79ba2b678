package csconnect

import (
	"log/slog"
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
	// PermanentBackoff is how long a permanent failure (see Cache) is returned to
	// callers without asking the source again. A failure that gives its own wait (a
	// lockout's Retry-After) is retried after that wait instead, but not before
	// Backoff.MaxDelay. Default 10 minutes.
	PermanentBackoff time.Duration

	// Store, when set, shares tokens between the processes that use one account:
	// before fetching, the cache adopts a fresher token another process saved, and
	// only the holder of the store's refresh lease authenticates. Default none.
	Store Store
	// StoreKey is the key the token is shared under: Store.Fingerprint(username).
	// Required when Store is set (New derives it); without it the Store is not used,
	// and NewCache logs a warning, because an empty key would mix accounts.
	StoreKey string
	// storeTimeout bounds each Store call (AuthConfig.StoreTimeout, set by New).
	storeTimeout time.Duration
	// leaseTTL and pollInterval time the refresh lease: the Store's LeaseTiming when
	// it has one, else defaultLeaseTTL and defaultStorePollInterval.
	leaseTTL, pollInterval time.Duration

	// logger receives refresh, failure and store events (AuthConfig.Logger, set by
	// New); tokens by expiry only. Default: discard.
	logger *slog.Logger
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
	positiveOr(&o.PermanentBackoff, defaultPermanentBackoff)
	positiveOr(&o.storeTimeout, defaultStoreTimeout)
	if lt, ok := o.Store.(leaseTimer); ok && o.leaseTTL <= 0 && o.pollInterval <= 0 {
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
		o.logger = slog.New(slog.DiscardHandler)
	}
	if o.Store != nil && o.StoreKey == "" {
		o.logger.Warn("csconnect: CacheOptions.Store without StoreKey; the store is not used")
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
