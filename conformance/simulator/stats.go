package simulator

import "sync/atomic"

// Stats counts what the simulator answered since it started or was last reset.
// Authenticate counts every POST /authenticate request received, whatever its
// outcome, so a fleet test can assert how many times its processes logged in.
type Stats struct {
	Authenticate int64 `json:"authenticate"`  // POST /authenticate requests received
	TokensIssued int64 `json:"tokens_issued"` // 200s from authenticate
	BadRequests  int64 `json:"bad_requests"`  // 400s from authenticate
	Unauthorized int64 `json:"unauthorized"`  // 401s from authenticate
	Inactive     int64 `json:"inactive"`      // 403s from authenticate
	RateLimited  int64 `json:"rate_limited"`  // 429s from authenticate
	Lockouts     int64 `json:"lockouts"`      // times the endpoint locked for the total-requests threshold
	ServerErrors int64 `json:"server_errors"` // injected 500s, either endpoint
	Dropped      int64 `json:"dropped"`       // injected dropped connections, either endpoint
	DateCheck    int64 `json:"datecheck"`     // GET /datecheck/company requests received
	DateCheckOK  int64 `json:"datecheck_ok"`  // 200s from datecheck
	TokenExpired int64 `json:"token_expired"` // 403 Token Expired from datecheck
	InvalidToken int64 `json:"invalid_token"` // 401s from datecheck
	Forbidden    int64 `json:"forbidden"`     // other 403s from datecheck (rejected company)
}

// counters is Stats as atomics.
type counters struct {
	authenticate, tokensIssued, badRequests, unauthorized, inactive, rateLimited,
	lockouts, serverErrors, dropped, dateCheck, dateCheckOK, tokenExpired,
	invalidToken, forbidden atomic.Int64
}

func (c *counters) snapshot() Stats {
	return Stats{
		Authenticate: c.authenticate.Load(), TokensIssued: c.tokensIssued.Load(),
		BadRequests: c.badRequests.Load(), Unauthorized: c.unauthorized.Load(),
		Inactive: c.inactive.Load(), RateLimited: c.rateLimited.Load(),
		Lockouts: c.lockouts.Load(), ServerErrors: c.serverErrors.Load(),
		Dropped: c.dropped.Load(), DateCheck: c.dateCheck.Load(),
		DateCheckOK: c.dateCheckOK.Load(), TokenExpired: c.tokenExpired.Load(),
		InvalidToken: c.invalidToken.Load(), Forbidden: c.forbidden.Load(),
	}
}

func (c *counters) reset() {
	for _, p := range []*atomic.Int64{&c.authenticate, &c.tokensIssued, &c.badRequests,
		&c.unauthorized, &c.inactive, &c.rateLimited, &c.lockouts, &c.serverErrors,
		&c.dropped, &c.dateCheck, &c.dateCheckOK, &c.tokenExpired, &c.invalidToken, &c.forbidden} {
		p.Store(0)
	}
}
