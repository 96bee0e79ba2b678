package csconnect

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net/http"
	"time"
)

// RetryPolicy says how transient failures are retried: 429 and 5xx answers,
// connection failures and timeouts, but not certificate errors. It serves the
// authenticate call (AuthConfig.Retry) and service calls (Config.Retry,
// Transport.Retry) alike. A zero or negative field means its default, which differs
// by use and is given below. A token renewal (one replay after ErrTokenExpired) is
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
	// MaxRetryAfter is the longest Retry-After honoured; an answer asking for a longer
	// wait is returned to the caller instead of retried. Default 30 s.
	MaxRetryAfter time.Duration
	// Retryable reports whether a service request may be sent again (authenticate
	// ignores it). Default: the idempotent methods (GET, HEAD, OPTIONS, TRACE, PUT,
	// DELETE) and requests that carry an Idempotency-Key or X-Idempotency-Key header,
	// as net/http judges them.
	Retryable func(*http.Request) bool
}

// The named defaults of RetryPolicy, by use.
var (
	defaultAuthRetry    = RetryPolicy{MaxAttempts: 3, BaseDelay: time.Second, MaxDelay: 30 * time.Second, MaxRetryAfter: 30 * time.Second}
	defaultServiceRetry = RetryPolicy{MaxAttempts: 3, BaseDelay: 250 * time.Millisecond, MaxDelay: 5 * time.Second, MaxRetryAfter: 30 * time.Second, Retryable: isIdempotent}
)

// withDefaults returns p with every zero or negative field taken from def.
func (p RetryPolicy) withDefaults(def RetryPolicy) RetryPolicy {
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = def.MaxAttempts
	}
	positiveOr(&p.BaseDelay, def.BaseDelay)
	positiveOr(&p.MaxDelay, def.MaxDelay)
	positiveOr(&p.MaxRetryAfter, def.MaxRetryAfter)
	if p.Retryable == nil {
		p.Retryable = def.Retryable
	}
	return p
}

// wait is the one wait function of every retry: after failed attempt n, the
// server's Retry-After when it sent one, else full jitter (fullJitter, drawing from
// rnd). It returns false when no further attempt should be made: attempts are
// spent, the server asks for more than MaxRetryAfter, or the wait would outlast
// ctx's deadline (better to return the failure now than to sleep into a certain
// timeout).
//
// Written here rather than taken from cenkalti/backoff/v5: its Retry sleeps on an
// unexported timer and measures elapsed time with time.Now, so tests would have to
// sleep for real, and it jitters by a randomization factor, not full jitter; the
// clock, the sleeper and the random source here are per instance.
func (p RetryPolicy) wait(ctx context.Context, n int, retryAfter time.Duration, hasRetryAfter bool, rnd func(int64) int64) (time.Duration, bool) {
	if n >= p.MaxAttempts {
		return 0, false
	}
	d := fullJitter(n, p.BaseDelay, p.MaxDelay, rnd)
	if hasRetryAfter {
		if retryAfter > p.MaxRetryAfter {
			return 0, false
		}
		d = retryAfter
	}
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) <= d {
		return 0, false
	}
	return d, true
}

// sleepCtx waits for d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// transientTransportError reports whether a failure to get a response is worth
// another attempt: connection errors and timeouts are; certificate and TLS
// configuration errors are not (they will fail the same way).
func transientTransportError(err error) bool {
	var (
		unknownAuthority x509.UnknownAuthorityError
		hostname         x509.HostnameError
		invalid          x509.CertificateInvalidError
		verify           *tls.CertificateVerificationError
		recordHeader     tls.RecordHeaderError
	)
	return !errors.As(err, &unknownAuthority) && !errors.As(err, &hostname) &&
		!errors.As(err, &invalid) && !errors.As(err, &verify) && !errors.As(err, &recordHeader)
}
