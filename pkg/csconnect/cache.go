package csconnect

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"
)

// Cache is a TokenSource that keeps the current token of another TokenSource
// (typically an *Authenticator) and renews it before it expires: one fetch per token
// lifetime, however many callers. Before the advisory window a Token call is one
// atomic load; in it, one background refresh starts and callers keep the current
// token; in the mandatory window, or with no valid token, callers wait for one
// shared fetch, each on its own context. A failed fetch is retried after
// CacheOptions.Backoff; a permanent one (the credentials or the request refused for
// what they are) is returned without asking the source again for permanentBackoff,
// or the lockout's own wait. Invalidate(rejected) expires only the token rejected.
// README "When the token is renewed" tells the whole story.
//
// Safe for concurrent use; Close stops background work. Build it with NewCache; the
// zero Cache has no source and fails every call with ErrInvalidUse.
type Cache struct {
	src  TokenSource
	opts CacheOptions

	cur       atomic.Pointer[entry]
	rejected  atomic.Pointer[string] // value of the last invalidated token: never adopted again
	store     *boundedStore          // opts.store with each call bounded (storeCall); nil without a Store
	storeDown atomic.Bool            // the last Store call failed (logged once)
	storeBad  atomic.Bool            // a stored token failed the checks (logged once)
	sf        singleflight.Group
	stats     cacheCounters

	mu       sync.Mutex // guards closed and wg.Add
	closed   bool
	wg       sync.WaitGroup
	closeCtx context.Context
	closeFn  context.CancelFunc

	now  func() time.Time  // clock, per instance for tests
	rand func(int64) int64 // random source in [0, n), per instance for tests
}

// entry is one immutable cache state: a token (or none) and when to act on it.
type entry struct {
	tok         *Token
	refreshAt   time.Time // before it the fast path serves tok without further checks
	mandatoryAt time.Time // from it callers wait for a new token

	err       error     // the last fetch error, when the last fetch failed
	retryAt   time.Time // no fetch before it (backoff after err)
	failures  int       // consecutive failed fetches
	permanent bool      // err will not go away by retrying

	refreshing atomic.Bool // a background refresh was started for this entry
}

// NewCache returns a Cache over src configured by opts (the zero value gives every
// default). It fetches nothing until the first Token call. Over an *Authenticator
// (or a type that embeds one) it logs to its AuthConfig.Logger, reports to its Hooks
// and, when AuthConfig.Store is set, shares tokens through that Store under a
// fingerprint of the username and password (so a Cache given another password, a
// typo or an old one, never adopts the token); over another source it keeps the token in memory only and logs
// and reports nothing. A nil src is refused: every Token call
// of that Cache, as of the zero Cache, returns an error wrapping ErrInvalidUse (its
// other methods work).
func NewCache(src TokenSource, opts CacheOptions) *Cache {
	if a, ok := src.(cacheSource); ok {
		opts.store, opts.storeKey, opts.logger, opts.hooks = a.cacheConfig()
	}
	c := &Cache{src: src, opts: opts.withDefaults(), now: time.Now, rand: rand.Int64N}
	if c.opts.store != nil {
		c.store = newBoundedStore(c.opts.store, c.opts.storeTimeout)
	}
	c.closeCtx, c.closeFn = context.WithCancel(context.Background())
	return c
}

// observers returns the logger and hooks the cache reports to (see NewCache); a
// Transport over the cache reports to them too.
func (c *Cache) observers() (*slog.Logger, *Hooks) { return c.opts.logger, c.opts.hooks }

// Token returns the current token, fetching or waiting only as described on Cache.
// It returns ctx.Err() as soon as ctx ends while waiting.
func (c *Cache) Token(ctx context.Context) (*Token, error) {
	if e := c.cur.Load(); e != nil {
		now := c.now()
		if now.Before(e.refreshAt) {
			return e.tok, nil
		}
		return c.slow(ctx, e, now)
	}
	if c.src == nil { // NewCache(nil, …), or the zero Cache
		return nil, errNilSource
	}
	return c.slow(ctx, nil, c.now())
}

// slow handles every call that is not a plain hit.
func (c *Cache) slow(ctx context.Context, e *entry, now time.Time) (*Token, error) {
	if ctx == nil {
		return nil, errNilContext
	}
	valid := e != nil && !e.tok.Expired(now)
	backoff := e != nil && now.Before(e.retryAt)
	switch {
	case valid && (now.Before(e.mandatoryAt) || backoff && !e.permanent):
		// Advisory window, or a failed refresh to wait out on the old token.
		if !backoff && e.refreshing.CompareAndSwap(false, true) {
			c.startRefresh(ctx, e)
		}
		return e.tok, nil
	case backoff:
		return nil, e.err
	}
	c.stats.waits.Add(1)
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case r := <-c.sf.DoChan("token", func() (any, error) { return c.fetch(context.WithoutCancel(ctx), e) }):
		if r.Err == nil {
			return r.Val.(*entry).tok, nil
		}
		if valid && !isPermanent(r.Err) && !e.tok.Expired(c.now()) {
			return e.tok, nil
		}
		return nil, r.Err
	}
}

// startRefresh starts a background refresh, or joins the fetch in flight. Callers
// do not wait for it. Its context keeps ctx's values but not its cancellation. Each
// entry starts at most one: the fetch always replaces the entry (with the new token
// or with the failure), which re-arms the next one.
func (c *Cache) startRefresh(ctx context.Context, e *entry) {
	c.stats.refreshes.Add(1)
	detached := context.WithoutCancel(ctx)
	c.sf.DoChan("token", func() (any, error) { return c.fetch(detached, e) }) // result read by waiters, if any
}

// fetch obtains a token (from the Store or the source), installs it and returns its
// entry, or records the failure. It runs once at a time (single-flight). seen is the
// entry the caller decided on: when another fetch has installed a good token since
// (the caller lost the race with its end), that token is returned without a fetch.
func (c *Cache) fetch(parent context.Context, seen *entry) (*entry, error) {
	if cur := c.cur.Load(); cur != seen && cur != nil && cur.err == nil {
		if now := c.now(); !cur.tok.Expired(now) && now.Before(cur.mandatoryAt) {
			return cur, nil
		}
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil, errCacheClosed
	}
	c.wg.Add(1)
	c.mu.Unlock()
	defer c.wg.Done()

	// The bounds go on the context FetchStart returns, so that a hook returning one
	// not derived from parent cannot lift them.
	ctx, cancel := context.WithTimeout(c.observeFetch(parent, seen), c.opts.FetchTimeout)
	defer cancel()
	defer context.AfterFunc(c.closeCtx, cancel)()

	tok, err := c.obtainSafe(ctx)
	if err != nil && c.closeCtx.Err() != nil {
		err = errCacheClosed // cancelled by Close, not by a failure worth reporting
	}
	now := c.now()
	if err == nil && tok.Expired(now) {
		err = errors.Join(ErrContract, errors.New("csconnect: token source returned an expired token"))
	}
	if err != nil {
		c.stats.fetchErrors.Add(1)
		if errors.As(err, new(*GuardError)) {
			c.stats.guardRefusals.Add(1)
		}
		e := c.failed(err, now)
		c.observeFetched(ctx, tok, err) // once the cache holds the outcome, so a hook that saw it sees the cache agree
		c.opts.logger.LogAttrs(ctx, slog.LevelWarn, "csconnect: token fetch failed",
			slog.Any("err", err), slog.Int("failures", e.failures), slog.Bool("permanent", e.permanent),
			slog.Duration("retry_in", e.retryAt.Sub(now)), tokenAttr(e.tok, now))
		return nil, err
	}
	e := c.fresh(tok, now)
	c.cur.Store(e)
	c.observeFetched(ctx, tok, nil)
	c.opts.logger.LogAttrs(ctx, slog.LevelDebug, "csconnect: token renewed", tokenAttr(tok, now),
		slog.Time("refresh_at", e.refreshAt))
	return e, nil
}

// obtainSafe is obtain with a panic of the source or of the Store turned into an
// error for the callers (see recovered), and a nil token into ErrContract: fetch
// runs in singleflight's goroutine, where a panic would kill the process. The
// failure is then backed off like any other.
func (c *Cache) obtainSafe(ctx context.Context) (tok *Token, err error) {
	defer recovered(&err, "token fetch")
	return checkToken(c.obtain(ctx))
}

// fresh builds the entry for a newly obtained token.
func (c *Cache) fresh(tok *Token, now time.Time) *entry {
	fetched := tok.Fetched
	if fetched.IsZero() || fetched.After(now) {
		fetched = now
	}
	life := tok.Expiry.Sub(fetched)
	adv := tok.Expiry.Add(-c.opts.AdvisoryWindow)
	if j := c.opts.AdvisoryJitter; j > 0 {
		adv = adv.Add(-time.Duration(c.rand(int64(j))))
	}
	adv = later(adv, fetched.Add(life/2))
	mand := later(tok.Expiry.Add(-c.opts.MandatoryWindow), fetched.Add(life*3/4), adv)
	return &entry{tok: tok, refreshAt: adv, mandatoryAt: mand}
}

// failed records a failed fetch on top of the current entry (which an Invalidate may
// have removed meanwhile) and returns the result.
func (c *Cache) failed(err error, now time.Time) *entry {
	for {
		old := c.cur.Load()
		e := c.failedEntry(old, err, now)
		if c.cur.CompareAndSwap(old, e) {
			return e
		}
	}
}

func (c *Cache) failedEntry(old *entry, err error, now time.Time) *entry {
	e := &entry{err: err, permanent: isPermanent(err), failures: 1}
	if old != nil {
		e.tok, e.mandatoryAt, e.failures = old.tok, old.mandatoryAt, old.failures+1
	}
	wait := max(fullJitter(e.failures, c.opts.Backoff.BaseDelay, c.opts.Backoff.MaxDelay, c.rand), serverWait(err))
	if e.permanent {
		// A failure that says when it ends (a lockout) is retried then; one that
		// does not (rejected credentials, a refused request) only after the long
		// permanentBackoff, so the same credentials are not re-sent every Backoff.MaxDelay.
		wait = c.opts.permanentBackoff
		if sw := serverWait(err); sw > 0 {
			wait = max(sw, c.opts.Backoff.MaxDelay)
		}
	}
	e.retryAt = now.Add(wait)
	if !e.tok.Expired(now) {
		// Serve the old token from the fast path during the backoff, but never past
		// its expiry, and after a permanent failure not into the mandatory window.
		e.refreshAt = earlier(e.retryAt, e.tok.Expiry)
		if e.permanent {
			e.refreshAt = earlier(e.refreshAt, e.mandatoryAt)
		}
	}
	return e
}

// Invalidate expires the cached token if it is still rejected (compared by value),
// so that the next Token call fetches a new one. A token another caller already
// replaced is left alone: N concurrent rejections of one token cause one refresh.
// The rejected value is never adopted from the Store again.
func (c *Cache) Invalidate(rejected *Token) {
	if rejected == nil || rejected.Value == "" {
		return
	}
	for {
		e := c.cur.Load()
		if e == nil || e.tok == nil || e.tok.Value != rejected.Value {
			return
		}
		v := rejected.Value
		c.rejected.Store(&v)
		if c.cur.CompareAndSwap(e, nil) {
			c.stats.invalidations.Add(1)
			c.opts.logger.LogAttrs(context.Background(), slog.LevelInfo, "csconnect: token rejected by a service; refreshing",
				tokenAttr(e.tok, c.now()))
			return
		}
	}
}

// renewAt returns when the cache next wants to renew tok (the start of its advisory
// window, or of a backoff's end), if tok is still its current token.
func (c *Cache) renewAt(tok *Token) (time.Time, bool) {
	if e := c.cur.Load(); e != nil && e.tok == tok {
		return e.refreshAt, true
	}
	return time.Time{}, false
}

// counts returns a snapshot of the cache's counters (for tests; metrics go through
// the observer).
func (c *Cache) counts() cacheStats { return c.stats.snapshot() }

// Close stops any background refresh and waits for it to end. The fetch's context
// is cancelled: a Store call in flight is abandoned at once (even by a Store that
// ignores its context), so Close waits only for the source to honour the
// cancellation (an Authenticator does, after at most its Store's call timeout to share
// what it learned) and at most that timeout more to release the refresh lease. Later
// calls that need a fetch get an error matching ErrInvalidUse; a still-valid token is still served.
// Over an *Authenticator (or a type that embeds one) it also closes the idle
// connections of the transport that Authenticator built (not of an
// AuthConfig.HTTPClient, the caller's). Close is idempotent and always returns nil.
func (c *Cache) Close() error {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	if c.closeFn != nil { // nil in the zero Cache
		c.closeFn()
	}
	c.wg.Wait()
	if a, ok := c.src.(cacheSource); ok {
		a.closeIdleConnections()
	}
	return nil
}

// isPermanent reports whether err will not go away by fetching again soon because
// the request was refused for what it is: the credentials were rejected, the account
// is not active, the authenticate endpoint is locked out, the request was malformed
// (400), the answer broke the contract, or the input was refused before sending. The
// guard's refusals classify as the answers that set them. Sending the same request
// again would only risk a lockout.
func isPermanent(err error) bool {
	for _, kind := range permanentKinds {
		if errors.Is(err, kind) {
			return true
		}
	}
	return false
}

// permanentKinds are the sentinels isPermanent accepts.
var permanentKinds = [...]error{
	ErrInvalidCredentials, ErrAccountInactive, ErrLockedOut, ErrBadRequest, ErrContract, ErrInvalidInput,
}

// serverWait is how long the failure itself says to wait (a guard refusal's Wait,
// an APIError's Retry-After), or 0.
func serverWait(err error) time.Duration {
	var ge *GuardError
	if errors.As(err, &ge) {
		return ge.Wait
	}
	var api *APIError
	if errors.As(err, &api) {
		return api.RetryAfter
	}
	return 0
}

func later(t time.Time, ts ...time.Time) time.Time {
	for _, u := range ts {
		if u.After(t) {
			t = u
		}
	}
	return t
}

func earlier(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}
