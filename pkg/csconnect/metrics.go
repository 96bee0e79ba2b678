package csconnect

import "sync/atomic"

// cacheStats is a snapshot of a Cache's counters since it was created. Read it with
// (*Cache).Stats and export it to any metrics system; every field only grows.
type cacheStats struct {
	// Fetches counts calls to the source, i.e. authenticate calls when the source is
	// an Authenticator.
	Fetches uint64
	// FetchErrors counts fetches that failed.
	FetchErrors uint64
	// GuardRefusals counts fetches the Authenticator's lockout guard refused without
	// sending anything (a rejected password, a lockout, a spent budget): the guard's
	// state as seen from the cache.
	GuardRefusals uint64
	// Refreshes counts background refreshes started in the advisory window.
	Refreshes uint64
	// Waits counts callers that waited for a fetch (cold cache, mandatory window,
	// after Invalidate).
	Waits uint64
	// Invalidations counts Invalidate calls that expired the current token.
	Invalidations uint64
	// StoreAdopted counts tokens taken from the Store instead of fetched.
	StoreAdopted uint64
	// StoreErrors counts failed Store calls.
	StoreErrors uint64
}

// cacheCounters are the live counters behind cacheStats.
type cacheCounters struct {
	fetches, fetchErrors, guardRefusals, refreshes, waits, invalidations, storeAdopted, storeErrors atomic.Uint64
}

func (c *cacheCounters) snapshot() cacheStats {
	return cacheStats{
		Fetches:       c.fetches.Load(),
		FetchErrors:   c.fetchErrors.Load(),
		GuardRefusals: c.guardRefusals.Load(),
		Refreshes:     c.refreshes.Load(),
		Waits:         c.waits.Load(),
		Invalidations: c.invalidations.Load(),
		StoreAdopted:  c.storeAdopted.Load(),
		StoreErrors:   c.storeErrors.Load(),
	}
}
