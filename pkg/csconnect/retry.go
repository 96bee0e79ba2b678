package csconnect

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"time"
)

// Retry defaults for authenticate. Three attempts stay under the vendor's "5
// identical invalid requests in 2 minutes" even if every transient failure hid a
// counted request; backoff doubles from 1s (the 1s, 2s, 4s of the vendor's guide).
const (
	defaultMaxAttempts    = 3
	defaultRetryBaseDelay = time.Second
	defaultRetryMaxDelay  = 30 * time.Second
)

// retryPolicy decides whether and how long to wait before another authenticate
// attempt: exponential backoff with full jitter (fullJitter: a uniformly random wait
// between 0 and min(maxDelay, base·2^(attempt-1))), or the server's Retry-After when
// it sent one.
//
// Written here rather than taken from cenkalti/backoff/v5: its Retry sleeps on an
// unexported timer and measures elapsed time with time.Now, so tests would have to
// sleep for real (or run the HTTP stack inside a synctest bubble), and its
// ExponentialBackOff jitters by a randomization factor, not full jitter. The loop is
// twenty lines; the clock, the sleeper and the random source are injected.
type retryPolicy struct {
	maxAttempts int
	baseDelay   time.Duration
	maxDelay    time.Duration
	rand        func(int64) int64                          // in [0, n)
	sleep       func(context.Context, time.Duration) error // returns ctx's error if it ends first
}

// wait returns how long to wait after failed attempt n, and false when no further
// attempt should be made: attempts are spent, the server asks for a wait longer than
// maxDelay, or the wait would outlast ctx's deadline (better to fail now than to
// sleep into a certain timeout).
func (p retryPolicy) wait(ctx context.Context, n int, retryAfter time.Duration, hasRetryAfter bool) (time.Duration, bool) {
	if n >= p.maxAttempts {
		return 0, false
	}
	d := fullJitter(n, p.baseDelay, p.maxDelay, p.rand)
	if hasRetryAfter {
		if retryAfter > p.maxDelay {
			return 0, false
		}
		d = retryAfter
	}
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < d {
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
