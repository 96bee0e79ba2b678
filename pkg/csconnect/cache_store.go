package csconnect

import (
	"context"
	"log/slog"
	"time"
)

// obtain returns a new token: from the source when there is no Store; with a Store,
// a fresher token another process saved, else the token the lease holder saves while
// we wait (bounded by LeaseTTL; we take the lease over if it lapses first), else one
// fetched here. Losing a race only costs an extra authenticate call: the vendor
// allows several valid tokens at once. Every Store failure falls back to fetching
// locally.
func (c *Cache) obtain(ctx context.Context) (*Token, error) {
	if c.store == nil {
		return c.fromSource(ctx)
	}
	if t := c.loadFresh(ctx); t != nil {
		return t, nil
	}
	release, held, err := c.acquireLease(ctx)
	if err == nil && held {
		defer release()
		// Another process may have fetched, saved and released between our look and
		// our lease: adopt its token rather than authenticate again.
		if t := c.loadFresh(ctx); t != nil {
			return t, nil
		}
	}
	if err == nil && !held {
		t, takenOver, took := c.awaitHolder(ctx)
		if t != nil {
			return t, nil
		}
		if took {
			defer takenOver()
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	t, err := c.fromSource(ctx)
	if err == nil {
		_, serr := storeCall(ctx, c.store, func(ctx context.Context) (struct{}, error) {
			return struct{}{}, c.store.SaveToken(ctx, c.opts.storeKey, t)
		})
		c.storeResult(ctx, "save token", serr)
	}
	return t, err
}

// acquireLease tries to take the Store's refresh lease. The release it returns is
// bounded like every Store call, and runs even after ctx ended (it is deferred).
func (c *Cache) acquireLease(ctx context.Context) (release func(), held bool, err error) {
	type lease struct {
		release func()
		held    bool
	}
	l, err := storeCall(ctx, c.store, func(ctx context.Context) (lease, error) {
		release, held, err := c.store.AcquireLease(ctx, c.opts.storeKey, c.opts.leaseTTL)
		return lease{release, held}, err
	})
	c.storeResult(ctx, "acquire lease", err)
	if err != nil || !l.held {
		return func() {}, false, err
	}
	return func() {
		_, _ = storeCall(context.WithoutCancel(ctx), c.store, func(context.Context) (struct{}, error) {
			l.release()
			return struct{}{}, nil
		})
	}, true, nil
}

// fromSource calls the source once.
func (c *Cache) fromSource(ctx context.Context) (*Token, error) {
	c.stats.fetches.Add(1)
	return tokenFrom(ctx, c.src)
}

// awaitHolder polls the Store every StorePollInterval until a fresher token appears
// (returned), the lease is free again (took: the caller now holds it and must call
// release), LeaseTTL passes, or ctx ends. Taking a lapsed lease over means a holder
// that died delays the refresh by no more than its lease's life, and only one of
// the waiting processes authenticates then. A live holder that never delivers (hung,
// or a hostile co-tenant of the Store) is waited for at most half of what is left
// of ctx's deadline, so that the caller keeps the other half to fetch itself.
func (c *Cache) awaitHolder(ctx context.Context) (t *Token, release func(), took bool) {
	wait := c.opts.leaseTTL
	if dl, ok := ctx.Deadline(); ok {
		wait = min(wait, time.Until(dl)/2)
	}
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	tick := time.NewTicker(c.opts.pollInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil, nil, false
		case <-deadline.C:
			return nil, nil, false
		case <-tick.C:
			if t := c.loadFresh(ctx); t != nil {
				return t, nil, false
			}
			release, held, err := c.acquireLease(ctx)
			if err == nil && held {
				if t := c.loadFresh(ctx); t != nil { // saved just before it released
					release()
					return t, nil, false
				}
				return nil, release, true
			}
		}
	}
}

// loadFresh returns the Store's token when it is worth adopting: one that passes the
// checks of a fresh token (checkStoredToken), not the token a service rejected,
// outside its mandatory window, and later-expiring than ours.
func (c *Cache) loadFresh(ctx context.Context) *Token {
	t, err := storeCall(ctx, c.store, func(ctx context.Context) (*Token, error) {
		return c.store.LoadToken(ctx, c.opts.storeKey)
	})
	c.storeResult(ctx, "load token", err)
	if err != nil || t == nil {
		return nil
	}
	now := c.now()
	if err := checkStoredToken(t, now); err != nil {
		// Someone who can write the Store planted it, or it is broken: a token that
		// would fail every call (a CR LF in it) or outlive its hour must not be used.
		if c.storeBad.CompareAndSwap(false, true) {
			c.opts.logger.LogAttrs(ctx, slog.LevelWarn, "csconnect: ignoring a token from the store that fails the checks of a fresh one; fetching instead",
				slog.Any("err", err))
		}
		return nil
	}
	if r := c.rejected.Load(); r != nil && *r == t.Value {
		return nil
	}
	if t.Expired(now) || !now.Before(t.Expiry.Add(-c.opts.MandatoryWindow)) {
		return nil
	}
	if cur := c.cur.Load(); cur != nil && cur.tok != nil && !t.Expiry.After(cur.tok.Expiry) {
		return nil
	}
	c.stats.storeAdopted.Add(1)
	return t
}

// storeResult counts a Store failure and logs the first of a series, and the
// recovery, so a dead store makes two log lines, not one per call.
func (c *Cache) storeResult(ctx context.Context, op string, err error) {
	if err != nil {
		c.stats.storeErrors.Add(1)
		if c.storeDown.CompareAndSwap(false, true) {
			c.opts.logger.LogAttrs(ctx, slog.LevelWarn, "csconnect: token store failed; using local state until it recovers",
				slog.String("op", op), slog.Any("err", err))
		}
		return
	}
	if c.storeDown.CompareAndSwap(true, false) {
		c.opts.logger.LogAttrs(ctx, slog.LevelInfo, "csconnect: token store recovered", slog.String("op", op))
	}
}
