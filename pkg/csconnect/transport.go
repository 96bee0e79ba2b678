package csconnect

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// invalidator is implemented by token sources that can drop a token a service
// rejected, such as *Cache: any Source with an Invalidate(*Token) method. Transport
// calls it before replaying a request.
type invalidator interface {
	Invalidate(rejected *Token)
}

// Transport is an http.RoundTripper that sets "Authorization: Bearer <token>" from
// Source on each request (not on a redirect to another origin) and refuses
// (ErrInsecureURL) plain http to a host that is not loopback. When a service says
// the token expired (ErrTokenExpired, see CheckResponse) it invalidates that token
// and replays the request once with a new one, if the body can be replayed; a
// service that refuses even the new token gets no further renewals for that token.
// It retries 429, 5xx and connection failures of idempotent requests as Retry says,
// and an interim (1xx) answer is ErrContract. README "When a request is replayed" has the details.
//
// It logs (a Debug line per renewal-and-replay and per retry, a Warn line when a
// service refuses even a freshly renewed token; never the token) and reports to Hooks
// through its Source: when Source is a *Cache over an *Authenticator (or a type that
// embeds such a Cache), to that Authenticator's AuthConfig.Logger and Hooks; over any
// other Source, to nothing.
//
// It sets no timeout: bound requests with a context deadline or Base's timeouts.
// Use it by pointer; do not change its fields once in use. The zero Transport's
// RoundTrip returns an error wrapping ErrInvalidUse.
type Transport struct {
	// Source supplies the tokens; usually a *Cache. Required.
	Source TokenSource
	// Base sends the requests; nil means http.DefaultTransport.
	Base http.RoundTripper
	// Retry says which transient failures are retried and how; the zero value gives
	// the documented defaults.
	Retry RetryPolicy
	// MaxResponseBody, when positive, caps every response body Transport returns:
	// reading past that many bytes fails with ErrResponseTooLarge, so a caller that
	// reads the whole body (the generated client does, with io.ReadAll) cannot be
	// made to buffer without bound. Zero or negative: no cap (New sets
	// Config.MaxResponseBody, default 16 MiB).
	MaxResponseBody int64

	stats        transportCounters
	bearer       bearerMemo
	refusedFresh sync.Map                                         // host → the renewed *Token that service refused too
	sleep        func(ctx context.Context, d time.Duration) error // per instance, for tests
	rand         func(int64) int64
	now          func() time.Time
}

// observed is a token source that carries the logger and hooks of its Authenticator
// (AuthConfig.Logger and Hooks): a *Cache, or a type that embeds one.
type observed interface {
	observers() (*slog.Logger, *Hooks)
}

// observers returns the logger (a discarding one when the Source has none) and the
// hooks (possibly nil) of t's Source, so that they are set once, in AuthConfig.
func (t *Transport) observers() (*slog.Logger, *Hooks) {
	if o, ok := t.Source.(observed); ok {
		if logger, hooks := o.observers(); logger != nil {
			return logger, hooks
		}
	}
	return discardLogger, nil
}

// isIdempotent mirrors net/http's own judgement of which requests may be resent.
func isIdempotent(r *http.Request) bool {
	switch r.Method {
	case "", http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace, http.MethodPut, http.MethodDelete:
		return true
	}
	_, a := r.Header["Idempotency-Key"]
	_, b := r.Header["X-Idempotency-Key"]
	return a || b
}

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.roundTrip(req)
	if err == nil && t.needsCap(resp) {
		resp.Body = &cappedBody{rc: resp.Body, left: t.MaxResponseBody, sent: resp.Request}
	} else if err == nil && mayHaveTrailers(resp) {
		resp.Body = &cappedBody{rc: resp.Body, left: math.MaxInt64, sent: resp.Request}
	}
	return resp, err
}

// mayHaveTrailers reports whether resp's body may end in trailers (it is chunked,
// of no declared length), whose malformed lines net/http's read error quotes: the
// body is then wrapped so that such an error does not repeat the token
// (cappedBody.scrub). A body of declared length, the common case, costs nothing.
func mayHaveTrailers(resp *http.Response) bool {
	return resp.ContentLength < 0 && resp.Body != nil && resp.Body != http.NoBody && resp.Request != nil
}

// needsCap reports whether resp's body must be wrapped to enforce MaxResponseBody.
// Not when net/http's Transport (which never yields more than a declared
// Content-Length) answered with a length within the cap: the common case costs no
// wrapper then.
func (t *Transport) needsCap(resp *http.Response) bool {
	if t.MaxResponseBody <= 0 || resp.Body == nil || resp.Body == http.NoBody {
		return false
	}
	_, stdBase := t.Base.(*http.Transport)
	declared := resp.ContentLength >= 0 && resp.ContentLength <= t.MaxResponseBody
	return !(declared && (t.Base == nil || stdBase))
}

// transportStats counts the Transport's exceptional events, for metrics (requests
// themselves are not counted: a shared counter on every request would cost more
// than it tells).
type transportStats struct {
	// Renewals counts requests replayed with a renewed token after a service said
	// the token expired.
	Renewals uint64
	// Retries counts retries of transient failures (429, 5xx, no answer).
	Retries uint64
	// RefusedFresh counts answers refusing even a freshly renewed token (then not
	// renewed again for that host and token).
	RefusedFresh uint64
}

type transportCounters struct{ renewals, retries, refusedFresh atomic.Uint64 }

// counts returns the Transport's counters (for tests).
func (t *Transport) counts() transportStats {
	return transportStats{Renewals: t.stats.renewals.Load(), Retries: t.stats.retries.Load(), RefusedFresh: t.stats.refusedFresh.Load()}
}

// mayRetry reports whether req may have another attempt after attempt: the policy
// allows one more, the request is one it retries, and its body can be sent again.
func mayRetry(p RetryPolicy, attempt int, req *http.Request) bool {
	return attempt < p.MaxAttempts && replayable(req) && isIdempotent(req)
}

// waitRetry counts and logs (at Debug) a retry of the attempt that failed with
// status or err, waits d, and returns the token for the next attempt (the source's
// current one: it may have been renewed meanwhile), or the error that ended the
// wait (the caller's context) or the token.
func (t *Transport) waitRetry(ctx context.Context, req *http.Request, attempt int, d time.Duration, status int, failure error) (*Token, error) {
	t.stats.retries.Add(1)
	logger, hooks := t.observers()
	hooks.retried(ctx, logger, attempt, d, status)
	if logger.Enabled(ctx, slog.LevelDebug) {
		args := []any{"endpoint", endpointName(req.Method, req.URL), "attempt", attempt, "wait", d}
		if failure != nil {
			args = append(args, "err", failure)
		} else {
			args = append(args, "status", status)
		}
		logger.DebugContext(ctx, "csconnect: service call failed, retrying", args...)
	}
	if err := t.sleepFn()(ctx, d); err != nil {
		return nil, err
	}
	return tokenFrom(ctx, t.Source)
}

// CloseIdleConnections closes the idle connections of Base (of http.DefaultTransport
// when Base is nil), so that http.Client.CloseIdleConnections reaches them through
// the Transport.
func (t *Transport) CloseIdleConnections() {
	var base http.RoundTripper = http.DefaultTransport
	if t.Base != nil {
		base = t.Base
	}
	if c, ok := base.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// roundTrip sends req with a token: one attempt per loop, then the renewal step
// (renew) or the retry step (retry) decides whether there is another. req's body
// is closed here only while no attempt has been handed to base, which closes it
// from then on.
func (t *Transport) roundTrip(req *http.Request) (*http.Response, error) {
	if req == nil || req.URL == nil {
		return nil, invalidUse("Transport given a nil request or URL")
	}
	sent := false
	defer func() {
		if !sent {
			closeRequestBody(req)
		}
	}()
	switch {
	case t.Source == nil:
		return nil, invalidUse("Transport.Source is nil")
	case !secureURL(req):
		return nil, ErrInsecureURL
	}
	base := t.Base
	if base == nil {
		base = http.DefaultTransport
	}
	if !sameOrigin(req) {
		// A redirect to another host or scheme: never carry the token there.
		sent = true
		return base.RoundTrip(req)
	}
	ctx := req.Context()
	tok, err := tokenFrom(ctx, t.Source)
	if err != nil {
		return nil, err
	}
	policy := t.Retry.withDefaults(defaultServiceRetry)
	renewed := false
	for attempt := 1; ; {
		out, err := t.prepare(req, tok, sent)
		if err != nil {
			return nil, err
		}
		sent = true
		resp, err := base.RoundTrip(out)
		if err != nil {
			err = newRedactor(tok.Value).err(err) // a malformed answer quoting the token
			// No answer: a connection failure or timeout is retried like a 5xx, within
			// the same bounds; not a certificate error, nor once the caller gave up.
			if ctx.Err() != nil || !transientTransportError(err) {
				return nil, err
			}
			next, again, werr := t.retry(ctx, req, policy, attempt, nil, err)
			if !again {
				return nil, err
			}
			if werr != nil {
				return nil, werr
			}
			tok, attempt = next, attempt+1
			continue
		}
		if interim(resp.StatusCode) {
			return nil, refuseInterim(endpointName(req.Method, req.URL), resp)
		}
		if watchBody(ctx, base, resp) {
			resp.Body = newCtxBody(ctx, resp.Body)
		}
		cerr := checkBounded(ctx, resp)
		switch {
		case errors.Is(cerr, ErrTokenExpired):
			next, err := t.renew(ctx, req, resp, tok, renewed)
			if err != nil {
				return nil, err
			}
			if next == nil {
				return resp, nil
			}
			tok, renewed = next, true
		case errors.Is(cerr, ErrServer) || errors.Is(cerr, ErrRateLimited):
			next, again, err := t.retry(ctx, req, policy, attempt, resp, nil)
			if !again {
				return resp, nil
			}
			if err != nil {
				return nil, err
			}
			tok, attempt = next, attempt+1
		default:
			return resp, nil
		}
	}
}

// renew is the renewal step, after the service answered resp saying tok expired:
// it returns the token to replay the request with, or nil when resp is the answer
// (the request cannot be replayed, the source has no other token, or the service
// refuses even a token fetched for this request; see Transport), or the renewal's
// error (resp is then drained and closed).
func (t *Transport) renew(ctx context.Context, req *http.Request, resp *http.Response, tok *Token, renewed bool) (*Token, error) {
	if renewed {
		// Even the token fetched for this request is refused: keep it and say so to
		// the later requests that carry it.
		t.refusedFresh.Store(req.URL.Host, tok)
		t.stats.refusedFresh.Add(1)
		logger, _ := t.observers()
		logger.WarnContext(ctx, "csconnect: service refuses even a freshly renewed token; not renewing again for this host",
			"endpoint", endpointName(req.Method, req.URL), "status", resp.StatusCode)
		return nil, nil
	}
	if r, ok := t.refusedFresh.Load(req.URL.Host); ok && r.(*Token).Value == tok.Value {
		return nil, nil
	}
	if inv, ok := t.Source.(invalidator); ok {
		inv.Invalidate(tok)
	}
	if !replayable(req) {
		return nil, nil
	}
	next, err := tokenFrom(ctx, t.Source)
	if err != nil {
		// The renewal failed (say, the password was changed): that is the news.
		drain(ctx, resp)
		return nil, err
	}
	if next.Value == tok.Value {
		// The source has no other token: replaying would be refused again.
		return nil, nil
	}
	drain(ctx, resp)
	t.stats.renewals.Add(1)
	logger, hooks := t.observers()
	hooks.replayed(ctx, logger, resp.StatusCode)
	if logger.Enabled(ctx, slog.LevelDebug) {
		logger.DebugContext(ctx, "csconnect: service says the token expired; renewed, replaying",
			"endpoint", endpointName(req.Method, req.URL), "status", resp.StatusCode)
	}
	return next, nil
}

// retry is the retry step, after attempt failed with the answer resp (429, 5xx) or,
// with no answer, with failure: when policy allows another attempt it drains resp,
// waits (RetryPolicy.wait: Retry-After, else full jitter) and returns the token for
// the next attempt. again is false when the attempt's outcome is to be returned;
// err is the wait's or the token's error.
func (t *Transport) retry(ctx context.Context, req *http.Request, p RetryPolicy, attempt int, resp *http.Response, failure error) (tok *Token, again bool, err error) {
	if !mayRetry(p, attempt, req) {
		return nil, false, nil
	}
	var retryAfter time.Duration
	var hasRetryAfter bool
	status := 0
	if resp != nil {
		retryAfter, hasRetryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), t.clock()())
		status = resp.StatusCode
	}
	d, ok := p.wait(ctx, attempt, retryAfter, hasRetryAfter, t.random())
	if !ok {
		return nil, false, nil
	}
	if resp != nil {
		drain(ctx, resp)
	}
	tok, err = t.waitRetry(ctx, req, attempt, d, status, failure)
	return tok, true, err
}

// prepare clones req with the token set; a replay takes a fresh body from GetBody.
func (t *Transport) prepare(req *http.Request, tok *Token, replay bool) (*http.Request, error) {
	out := req.Clone(req.Context())
	if replay && req.Body != nil && req.Body != http.NoBody {
		body, err := req.GetBody()
		if err != nil {
			return nil, err
		}
		out.Body = body
	}
	if out.Header == nil { // a request built by hand: http.Client would have made one
		out.Header = make(http.Header, 1)
	}
	out.Header["Authorization"] = []string{t.bearer.value(tok)}
	return out, nil
}

// random is the Transport's random source: rand.Int64N unless a test set one.
func (t *Transport) random() func(int64) int64 {
	if t.rand != nil {
		return t.rand
	}
	return rand.Int64N
}

// clock is the Transport's time source: time.Now unless a test set one.
func (t *Transport) clock() func() time.Time {
	if t.now != nil {
		return t.now
	}
	return time.Now
}

func (t *Transport) sleepFn() func(context.Context, time.Duration) error {
	if t.sleep != nil {
		return t.sleep
	}
	return sleepCtx
}

// bearerMemo remembers the Authorization value of the last token it was asked
// about, so that the "Bearer "+token string is built once per token, not once per
// request. Safe for concurrent use; its zero value is ready.
type bearerMemo struct{ p atomic.Pointer[bearerValue] }

type bearerValue struct {
	tok   *Token
	value string
}

func (m *bearerMemo) value(tok *Token) string {
	if b := m.p.Load(); b != nil && b.tok == tok {
		return b.value
	}
	b := &bearerValue{tok: tok, value: "Bearer " + tok.Value}
	m.p.Store(b)
	return b.value
}

// replayable reports whether req's body can be sent again.
func replayable(req *http.Request) bool {
	return req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
}

// discard is drain without a caller's context.
func discard(resp *http.Response) { drain(context.Background(), resp) }

// checkBounded is CheckResponse with its read of an error body (at most
// maxErrorBody bytes) bounded by ctx and drainTimeout. If the time runs out the body
// is closed, and the caller's reads of it fail.
func checkBounded(ctx context.Context, resp *http.Response) error {
	if resp.StatusCode < 400 || resp.Body == nil {
		return CheckResponse(resp) // reads nothing
	}
	ctx, cancel := context.WithTimeout(ctx, drainTimeout)
	defer cancel()
	body := newCtxBody(ctx, resp.Body)
	resp.Body = body
	err := CheckResponse(resp)
	body.release()
	return err
}
