package csconnect

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"time"
)

// wait is the one wait function of every retry: after failed attempt n, the
// server's Retry-After when it sent one, else full jitter (fullJitter, drawing from
// rnd). It returns false when no further attempt should be made: attempts are
// spent, the server asks for more than retryAfterLimit, or the wait would outlast
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
		if retryAfter > retryAfterLimit {
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

// retryAfterLimit is the longest Retry-After a retry waits for; an answer asking for
// a longer wait is returned to the caller instead.
const retryAfterLimit = 30 * time.Second
