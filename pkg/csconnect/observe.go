package csconnect

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Hooks receives the token layer's events, for traces and metrics; package
// github.com/csconnect/csconnect/pkg/otelcsconnect builds a *Hooks that turns them
// into OpenTelemetry spans and instruments. Set it in AuthConfig.Hooks (New gives it
// to the cache and the transport it builds; a Cache over an Authenticator, and a
// Transport over that Cache, report to the Authenticator's hooks when composed by
// hand too).
//
// Every field is optional. A nil *Hooks costs one nil check per event, and the
// events are all off the warm path: a cached token and a request that is neither
// replayed nor retried call no hook. Events carry no password, no token and no
// username. Hooks are called synchronously by the call they describe, possibly from
// many goroutines at once: they must be quick and safe for concurrent use. A hook
// that panics is recovered and the panic logged at Error; the call it observes goes
// on as if the hook had returned (a Cache runs its fetches, and their hooks, on a
// goroutine of its own, where a panic would kill the process).
type Hooks struct {
	// AuthenticateStart is called before each authenticate attempt, before the
	// guard's check. The context it returns (say, with a span) is the attempt's:
	// the guard's Store calls and the HTTP request run under it, and it is passed
	// to AuthenticateDone.
	AuthenticateStart func(ctx context.Context, attempt int) context.Context
	// AuthenticateDone is called once after each attempt AuthenticateStart saw.
	AuthenticateDone func(ctx context.Context, e Event)
	// FetchStart is called when a Cache starts fetching a token (from its Store or
	// its source); the context it returns is the fetch's, passed to the source and
	// to FetchDone. A fetch is shared by every caller waiting on it and runs under
	// the context of the caller that started it, without its cancellation.
	FetchStart func(ctx context.Context) context.Context
	// FetchDone is called once after each fetch FetchStart saw (Event.Outcome and
	// Event.Expiry set).
	FetchDone func(ctx context.Context, e Event)
	// Renewal is called when a token in use is being replaced, with the reason:
	// "advisory" (a Cache's advisory window; callers do not wait), "mandatory" (its
	// mandatory window, or the token expired; callers wait), both under the fetch's
	// context, or "expired_answer" (a Transport was told the token expired), under
	// the request's context.
	Renewal func(ctx context.Context, reason string)
	// Replay is called when a Transport replays a request with a renewed token,
	// with the status of the answer that said the token expired.
	Replay func(ctx context.Context, status int)
	// Retry is called when a Transport is about to wait and retry a request after a
	// transient failure: attempt is the one that failed (1 for the first), status
	// its answer's (0 when there was none), wait the wait before the next attempt.
	Retry func(ctx context.Context, attempt, status int, wait time.Duration)
	// GuardLocked is called after each authenticate attempt and on ResetGuard with
	// the end of the guard's lockout or pause (zero when there is none), so a
	// gauge can say whether authenticate is locked now.
	GuardLocked func(ctx context.Context, until time.Time)
}

// Event describes how an authenticate attempt (AuthenticateDone) or a token fetch
// (FetchDone) ended. A field that does not apply is zero.
type Event struct {
	// Outcome classifies the end, in the words of metric attributes: "ok",
	// "invalid_credentials" (a 400 too, as the guard treats it),
	// "account_inactive", "locked_out", "rate_limited", "server_error", "network"
	// (no answer: connection, timeout, cancellation) or "contract". A refusal by
	// the guard has the outcome of the answer that set it.
	Outcome string
	// Expiry is the new token's expiry (fetch); zero when the fetch failed.
	Expiry time.Time
	// Duration runs from the attempt's start (the guard's check) to its answer, or
	// to the guard's refusal, on the Authenticator's clock.
	Duration time.Duration
	// Status is the HTTP status of the answer; 0 when there was none (no answer, a
	// guard refusal) or a 200 broke the contract.
	Status int
	// Refused is the guard's reason when it refused the attempt (nothing was sent):
	// "rejected" (these credentials were refused before), "locked_out", "budget" or
	// "identical_requests"; empty when the guard admitted it.
	Refused string
	// Wait is the wait before the next attempt when another follows; negative when
	// none does.
	Wait time.Duration
}

// The outcomes (Event.Outcome) and renewal reasons (Hooks.Renewal).
const (
	outcomeOK                 = "ok"
	outcomeInvalidCredentials = "invalid_credentials"
	outcomeAccountInactive    = "account_inactive"
	outcomeLockedOut          = "locked_out"
	outcomeRateLimited        = "rate_limited"
	outcomeServerError        = "server_error"
	outcomeNetwork            = "network"
	outcomeContract           = "contract"

	renewalAdvisory      = "advisory"
	renewalMandatory     = "mandatory"
	renewalExpiredAnswer = "expired_answer"
)

// outcomeOf classifies err (nil is outcomeOK).
func outcomeOf(err error) string {
	var api *APIError
	switch {
	case err == nil:
		return outcomeOK
	case errors.Is(err, ErrInvalidCredentials), errors.Is(err, ErrBadRequest):
		return outcomeInvalidCredentials
	case errors.Is(err, ErrAccountInactive):
		return outcomeAccountInactive
	case errors.Is(err, ErrLockedOut):
		return outcomeLockedOut
	case errors.Is(err, ErrRateLimited):
		return outcomeRateLimited
	case errors.Is(err, ErrServer):
		return outcomeServerError
	case errors.Is(err, ErrContract), errors.Is(err, ErrInvalidInput), errors.As(err, &api):
		return outcomeContract
	}
	return outcomeNetwork
}

// authenticateStart calls the AuthenticateStart hook, if any, and returns the
// attempt's context: ctx itself when the hook panicked (see hookRecovered) or
// returned nil. When the hook returns a context that ctx's end does not end, ctx's
// cancellation is carried over to it, so that the hook cannot lift it; release
// frees what that took, once the attempt is over (nil when nothing was taken, so
// that the common case defers nothing).
func (a *Authenticator) authenticateStart(ctx context.Context, attempt int) (actx context.Context, release func()) {
	actx = ctx
	h := a.hooks
	if h == nil || h.AuthenticateStart == nil {
		return actx, release
	}
	defer hookRecovered(ctx, a.log, "AuthenticateStart")
	c := h.AuthenticateStart(ctx, attempt)
	switch {
	case c == nil:
	case c.Done() == ctx.Done(): // ctx with values (a span): its cancellation already
		actx = c
	default:
		bound, cancel := context.WithCancelCause(c)
		stop := context.AfterFunc(ctx, func() { cancel(context.Cause(ctx)) })
		actx, release = bound, func() { stop(); cancel(nil) }
	}
	return actx, release
}

// hookRecovered, deferred around each call of a hook, recovers the hook's panic and
// logs it (at Error, with the hook's name and the panic value; log may be nil): the
// call the hook observes goes on as if it had returned. Hooks only observe, so a
// broken one must not break the token it observes (a Cache calls its hooks, and its
// source's, in singleflight's goroutine, where a panic would kill the process; an
// Authenticator's panicking AuthenticateDone would lose the token just issued and
// spend the budget again). Events carry no secret, so the panic value holds none of
// csconnect's.
func hookRecovered(ctx context.Context, log *slog.Logger, hook string) {
	v := recover()
	if v == nil || log == nil {
		return
	}
	log.LogAttrs(ctx, slog.LevelError, "csconnect: hook panicked; ignored",
		slog.String("hook", hook), slog.String("panic", fmt.Sprint(v)))
}

// observeAttempt reports attempt n, started at start, that ended with err: wait is
// the wait before the next attempt, negative when none follows.
func (a *Authenticator) observeAttempt(ctx context.Context, n int, start time.Time, err error, wait time.Duration) {
	if h := a.hooks; h != nil {
		a.attemptDone(ctx, h, n, start, err, wait)
	}
}

func (a *Authenticator) attemptDone(ctx context.Context, h *Hooks, n int, start time.Time, err error, wait time.Duration) {
	now := a.now()
	if h.AuthenticateDone != nil {
		e := Event{Duration: now.Sub(start), Outcome: outcomeOf(err), Wait: wait, Status: 200}
		if err != nil {
			e.Status, e.Refused = failure(err)
		}
		a.authenticateDone(ctx, h, e)
	}
	a.observeGuard(ctx, now)
}

func (a *Authenticator) authenticateDone(ctx context.Context, h *Hooks, e Event) {
	defer hookRecovered(ctx, a.log, "AuthenticateDone")
	h.AuthenticateDone(ctx, e)
}

// failure returns the status of a failed attempt's answer (0 if none) and the
// guard's reason if it refused the attempt. Apart from attemptDone, so that a
// success does not allocate the targets of errors.As.
func failure(err error) (int, string) {
	var ge *GuardError
	if errors.As(err, &ge) {
		return 0, ge.reason.name()
	}
	var api *APIError
	if errors.As(err, &api) {
		return api.StatusCode, ""
	}
	return 0, ""
}

// observeGuard reports the guard's lockout to h.GuardLocked, if any.
func (a *Authenticator) observeGuard(ctx context.Context, now time.Time) {
	if h := a.hooks; h != nil && h.GuardLocked != nil {
		defer hookRecovered(ctx, a.log, "GuardLocked")
		h.GuardLocked(ctx, a.guard.status(now).LockedUntil)
	}
}

// observeFetch reports the start of a fetch replacing seen (a renewal when seen
// holds a token) and returns the fetch's context.
func (c *Cache) observeFetch(ctx context.Context, seen *entry) context.Context {
	h := c.opts.hooks
	if h == nil {
		return ctx
	}
	if h.FetchStart != nil {
		ctx = c.fetchStart(ctx, h)
	}
	if h.Renewal != nil && seen != nil && seen.tok != nil {
		reason := renewalMandatory
		if now := c.now(); now.Before(seen.mandatoryAt) && !seen.tok.Expired(now) {
			reason = renewalAdvisory
		}
		h.renewal(ctx, c.opts.logger, reason)
	}
	return ctx
}

// fetchStart calls h.FetchStart and returns the fetch's context: ctx itself when
// the hook panicked or returned nil.
func (c *Cache) fetchStart(ctx context.Context, h *Hooks) (fctx context.Context) {
	fctx = ctx
	defer hookRecovered(ctx, c.opts.logger, "FetchStart")
	if hctx := h.FetchStart(ctx); hctx != nil {
		fctx = hctx
	}
	return fctx
}

// observeFetched reports the end of a fetch.
func (c *Cache) observeFetched(ctx context.Context, tok *Token, err error) {
	if h := c.opts.hooks; h != nil && h.FetchDone != nil {
		e := Event{Outcome: outcomeOf(err)}
		if err == nil {
			e.Expiry = tok.Expiry
		}
		defer hookRecovered(ctx, c.opts.logger, "FetchDone")
		h.FetchDone(ctx, e)
	}
}

// replayed reports a Transport's renewal and replay after an expired answer; a
// hook's panic is logged to log (see hookRecovered).
func (h *Hooks) replayed(ctx context.Context, log *slog.Logger, status int) {
	if h == nil {
		return
	}
	if h.Renewal != nil {
		h.renewal(ctx, log, renewalExpiredAnswer)
	}
	if h.Replay != nil {
		defer hookRecovered(ctx, log, "Replay")
		h.Replay(ctx, status)
	}
}

// renewal calls h.Renewal, which must be set, with reason; a hook's panic is logged
// to log (see hookRecovered). A Cache's renewals and a Transport's are reported
// through it.
func (h *Hooks) renewal(ctx context.Context, log *slog.Logger, reason string) {
	defer hookRecovered(ctx, log, "Renewal")
	h.Renewal(ctx, reason)
}

// retried reports a Transport's retry; a hook's panic is logged to log (see
// hookRecovered).
func (h *Hooks) retried(ctx context.Context, log *slog.Logger, attempt int, wait time.Duration, status int) {
	if h != nil && h.Retry != nil {
		defer hookRecovered(ctx, log, "Retry")
		h.Retry(ctx, attempt, status, wait)
	}
}
