package csconnect

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// ErrInsecureURL is returned, before anything is sent, for a request that would carry
// the token over plain HTTP to a host that is not loopback.
var ErrInsecureURL = errors.New("csconnect: refusing to send a token over plain http to a non-loopback host")

// ErrResponseTooLarge is returned by the Read of a response body that goes on past
// Transport.MaxResponseBody (Config.MaxResponseBody for the client New builds).
var ErrResponseTooLarge = errors.New("csconnect: response body larger than the limit")

// Invalidator is implemented by token sources that can drop a token a service
// rejected, such as *Cache. Transport calls it before replaying a request.
type Invalidator interface {
	Invalidate(rejected *Token)
}

// Transport is an http.RoundTripper that authenticates each request with a bearer
// token from Source, renews the token when a service says it expired, and retries
// transient failures. Its zero Base means http.DefaultTransport. Use it by pointer;
// it is safe for concurrent use once in use (do not change fields then). The zero
// Transport has no Source: its RoundTrip returns an error wrapping ErrInvalidUse.
// A Source returning (nil, nil) fails the request with ErrContract, and one that
// panics with an error carrying the panic value.
//
// For each request Transport:
//   - refuses (ErrInsecureURL) a plain-http URL to a host that is not loopback;
//   - clones the request and sets "Authorization: Bearer <token>" (the header value
//     is built once per token, not per request), except on a redirect to another
//     host or scheme, which is sent without the token;
//   - when CheckResponse says the token expired or is invalid (ErrTokenExpired: the
//     Sweden services' 403 "Token Expired", the Connect services' 401), invalidates
//     that token (if Source is an Invalidator), gets a new one and replays the request
//     once, only if its body can be replayed (no body, or GetBody) and the new token
//     differs; if the renewal fails its error is returned. Any other 403 is
//     returned as it is: replaying a refused call could bill the customer twice;
//   - when the replay with the renewed token is refused as expired too, returns that
//     answer and keeps the renewed token: a service that refuses a token fetched for
//     this very request refuses every token (a sandbox token sent to a live
//     service, a service the account may not use), which is a configuration
//     problem that more authenticate calls cannot fix. Transport remembers that
//     token for that host, so later requests to it that the token is refused for
//     are returned as they are, without invalidating or renewing: such a service
//     costs one renewal per token, not one authenticate per call, and other hosts
//     are not affected;
//   - returns an error wrapping ErrContract for an interim answer (1xx, such as a
//     101 Switching Protocols, whose body would be the raw connection), closing it
//     unread;
//   - reads at most 64 KiB of an error answer to classify it, for at most 5 s and
//     no longer than the request's context; over a Base other than an
//     *http.Transport, the body it returns also ends when the request's context does;
//   - retries 429 and 5xx answers, connection failures and timeouts of idempotent
//     requests as Retry says, honouring Retry-After; it stops when the request's
//     context ends, and returns the answer rather than wait past its deadline.
//
// Transport sets no timeout of its own: give requests a context deadline, or set
// the Base transport's timeouts. Do not set http.Client.Timeout over it (see New).
// With MaxResponseBody set, the body of every response it returns ends in
// ErrResponseTooLarge after that many bytes instead of going on.
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
	// Config.MaxResponseBody, default DefaultMaxResponseBody).
	MaxResponseBody int64
	// Logger receives a Debug line for each renewal-and-replay and each retry, and a
	// Warn line when a service refuses even a freshly renewed token; never the token.
	// Nil: no logging. New sets AuthConfig.Logger.
	Logger *slog.Logger
	// Hooks receives each replay's and retry's events (see Hooks); nil: none.
	Hooks *Hooks

	stats        transportCounters
	bearer       bearerMemo
	refusedFresh sync.Map                                         // host → the renewed *Token that service refused too
	sleep        func(ctx context.Context, d time.Duration) error // per instance, for tests
	rand         func(int64) int64
	now          func() time.Time
}

// RetryPolicy configures Transport's retries of transient failures (429 and 5xx
// answers; connection failures and timeouts, but not certificate errors).
// A token renewal (one replay after ErrTokenExpired) is not a retry and is not
// counted here.
type RetryPolicy struct {
	// MaxAttempts is the number of attempts including the first. Default 3; 1
	// disables retries.
	MaxAttempts int
	// BaseDelay and MaxDelay bound the full-jitter backoff: before attempt n+1 wait a
	// random duration in [0, min(MaxDelay, BaseDelay·2^(n-1))). Defaults 250 ms and 5 s.
	BaseDelay, MaxDelay time.Duration
	// MaxRetryAfter is the longest Retry-After honoured; an answer asking for a longer
	// wait is returned to the caller instead of retried. Default 30 s.
	MaxRetryAfter time.Duration
	// Retryable reports whether a request may be sent again. Default: the idempotent
	// methods (GET, HEAD, OPTIONS, TRACE, PUT, DELETE) and requests that carry an
	// Idempotency-Key or X-Idempotency-Key header, as net/http judges them.
	Retryable func(*http.Request) bool
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = 3
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = 250 * time.Millisecond
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = 5 * time.Second
	}
	if p.MaxRetryAfter <= 0 {
		p.MaxRetryAfter = 30 * time.Second
	}
	if p.Retryable == nil {
		p.Retryable = isIdempotent
	}
	return p
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
		resp.Body = &cappedBody{rc: resp.Body, left: t.MaxResponseBody}
	}
	return resp, err
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

// TransportStats counts the Transport's exceptional events, for metrics (requests
// themselves are not counted: a shared counter on every request would cost more
// than it tells).
type TransportStats struct {
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

// Stats returns the Transport's counters.
func (t *Transport) Stats() TransportStats {
	return TransportStats{Renewals: t.stats.renewals.Load(), Retries: t.stats.retries.Load(), RefusedFresh: t.stats.refusedFresh.Load()}
}

// mayRetry reports whether req may have another attempt after attempt: the policy
// allows one more, the request is one it retries, and its body can be sent again.
func mayRetry(p RetryPolicy, attempt int, req *http.Request) bool {
	return attempt < p.MaxAttempts && replayable(req) && p.Retryable(req)
}

// waitRetry counts and logs (at Debug) a retry of the attempt that failed with
// status or err, waits d, and returns the token for the next attempt (the source's
// current one: it may have been renewed meanwhile). On an error (the caller's
// context ended, or no token) it closes req's body.
func (t *Transport) waitRetry(ctx context.Context, req *http.Request, attempt int, d time.Duration, status int, failure error) (*Token, error) {
	t.stats.retries.Add(1)
	t.Hooks.retried(ctx, attempt, d, status)
	if t.Logger != nil && t.Logger.Enabled(ctx, slog.LevelDebug) {
		args := []any{"endpoint", endpointName(req.Method, req.URL), "attempt", attempt, "wait", d}
		if failure != nil {
			args = append(args, "err", failure)
		} else {
			args = append(args, "status", status)
		}
		t.Logger.DebugContext(ctx, "csconnect: service call failed, retrying", args...)
	}
	if err := t.sleepFn()(ctx, d); err != nil {
		closeRequestBody(req)
		return nil, err
	}
	tok, err := tokenFrom(ctx, t.Source)
	if err != nil {
		closeRequestBody(req)
		return nil, err
	}
	return tok, nil
}

// CloseIdleConnections closes the idle connections of Base (of http.DefaultTransport
// when Base is nil), so that http.Client.CloseIdleConnections reaches them through
// the Transport, as with x/oauth2's Transport.
func (t *Transport) CloseIdleConnections() {
	var base http.RoundTripper = http.DefaultTransport
	if t.Base != nil {
		base = t.Base
	}
	if c, ok := base.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

func (t *Transport) roundTrip(req *http.Request) (*http.Response, error) {
	if req == nil || req.URL == nil {
		return nil, invalidUse("Transport given a nil request or URL")
	}
	if t.Source == nil {
		closeRequestBody(req)
		return nil, invalidUse("Transport.Source is nil")
	}
	if !secureURL(req) {
		closeRequestBody(req)
		return nil, ErrInsecureURL
	}
	base := t.Base
	if base == nil {
		base = http.DefaultTransport
	}
	if !sameOrigin(req) {
		// A redirect to another host or scheme: never carry the token there.
		return base.RoundTrip(req)
	}
	ctx := req.Context()
	policy := t.Retry.withDefaults()
	tok, err := tokenFrom(ctx, t.Source)
	if err != nil {
		closeRequestBody(req)
		return nil, err
	}
	renewed := false
	for attempt := 1; ; {
		out, err := t.prepare(req, tok, attempt > 1 || renewed)
		if err != nil {
			closeRequestBody(req)
			return nil, err
		}
		resp, err := base.RoundTrip(out)
		if err != nil {
			// No answer: a connection failure or timeout is retried like a 5xx, within
			// the same bounds; not a certificate error, nor once the caller gave up.
			if ctx.Err() != nil || !transientTransportError(err) || !mayRetry(policy, attempt, req) {
				return nil, err
			}
			d := t.backoff(policy, attempt)
			if !t.fits(ctx, d) {
				return nil, err
			}
			if tok, err = t.waitRetry(ctx, req, attempt, d, 0, err); err != nil {
				return nil, err
			}
			attempt++
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
		case cerr == nil:
			return resp, nil
		case errors.Is(cerr, ErrTokenExpired):
			if renewed {
				// Even the token fetched for this request is refused: keep it (see
				// the type's doc) and say so to the later requests that carry it.
				t.refusedFresh.Store(req.URL.Host, tok)
				t.stats.refusedFresh.Add(1)
				if t.Logger != nil {
					t.Logger.WarnContext(ctx, "csconnect: service refuses even a freshly renewed token; not renewing again for this host",
						"endpoint", endpointName(req.Method, req.URL), "status", resp.StatusCode)
				}
				return resp, nil
			}
			if r, ok := t.refusedFresh.Load(req.URL.Host); ok && r.(*Token).Value == tok.Value {
				return resp, nil
			}
			if inv, ok := t.Source.(Invalidator); ok {
				inv.Invalidate(tok)
			}
			if !replayable(req) {
				return resp, nil
			}
			next, err := tokenFrom(ctx, t.Source)
			if err != nil {
				// The renewal failed (say, the password was changed): that is the news.
				drain(ctx, resp)
				closeRequestBody(req)
				return nil, err
			}
			if next.Value == tok.Value {
				// The source has no other token: replaying would be refused again.
				return resp, nil
			}
			drain(ctx, resp)
			t.stats.renewals.Add(1)
			t.Hooks.replayed(ctx, resp.StatusCode)
			if t.Logger != nil && t.Logger.Enabled(ctx, slog.LevelDebug) {
				t.Logger.DebugContext(ctx, "csconnect: service says the token expired; renewed, replaying",
					"endpoint", endpointName(req.Method, req.URL), "status", resp.StatusCode)
			}
			tok, renewed = next, true
			continue
		case (errors.Is(cerr, ErrServer) || errors.Is(cerr, ErrRateLimited)) && mayRetry(policy, attempt, req):
			d, ok := t.delay(ctx, policy, attempt, resp)
			if !ok {
				return resp, nil
			}
			drain(ctx, resp)
			if tok, err = t.waitRetry(ctx, req, attempt, d, resp.StatusCode, nil); err != nil {
				return nil, err
			}
			attempt++
			continue
		}
		return resp, nil
	}
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
	out.Header["Authorization"] = []string{t.bearer.value(tok)}
	return out, nil
}

// delay returns the wait before the next attempt: the server's Retry-After when it
// gives one, else full jitter. ok is false when the wait is longer than
// MaxRetryAfter or would outlast the request's context: the answer is then returned
// rather than waited on in vain.
func (t *Transport) delay(ctx context.Context, p RetryPolicy, attempt int, resp *http.Response) (time.Duration, bool) {
	if d, ok := parseRetryAfter(resp.Header.Get("Retry-After"), t.clock()()); ok {
		return d, d <= p.MaxRetryAfter && t.fits(ctx, d)
	}
	d := t.backoff(p, attempt)
	return d, t.fits(ctx, d)
}

// backoff is the full-jitter wait before attempt+1.
func (t *Transport) backoff(p RetryPolicy, attempt int) time.Duration {
	rnd := t.rand
	if rnd == nil {
		rnd = rand.Int64N
	}
	return fullJitter(attempt, p.BaseDelay, p.MaxDelay, rnd)
}

// fits reports whether waiting d leaves ctx time for another attempt (on the real
// clock, which context deadlines run on).
func (t *Transport) fits(ctx context.Context, d time.Duration) bool {
	dl, ok := ctx.Deadline()
	return !ok || time.Until(dl) > d
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

// secureURL reports whether a token may travel to req's URL: https, or plain http
// to a loopback host.
func secureURL(req *http.Request) bool {
	switch strings.ToLower(req.URL.Scheme) {
	case "https":
		return true
	case "http":
		return isLoopback(req.URL.Hostname())
	}
	return false
}

// sameOrigin reports whether req is an original request, or a redirect that stays
// on the scheme and host of the request that started the chain.
func sameOrigin(req *http.Request) bool {
	first := req
	for first.Response != nil && first.Response.Request != nil {
		first = first.Response.Request
	}
	return first == req || (strings.EqualFold(first.URL.Scheme, req.URL.Scheme) && strings.EqualFold(first.URL.Host, req.URL.Host))
}

// discard is drain without a caller's context.
func discard(resp *http.Response) { drain(context.Background(), resp) }

// drain reads a bounded amount of a response we will not return (so its connection
// can be reused), for at most drainTimeout and no longer than ctx, and closes it.
func drain(ctx context.Context, resp *http.Response) {
	ctx, cancel := context.WithTimeout(ctx, drainTimeout)
	defer cancel()
	body := newCtxBody(ctx, resp.Body)
	_, _ = io.Copy(io.Discard, io.LimitReader(body, maxErrorBody))
	_ = body.Close()
}

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

// watchBody reports whether resp's body needs a ctxBody so that reading it ends
// with ctx: not when base is net/http's Transport, which does that itself (except
// for a 101's body, which Transport refuses), nor when there is no body or ctx can
// never end. The common cases cost nothing then.
func watchBody(ctx context.Context, base http.RoundTripper, resp *http.Response) bool {
	if _, std := base.(*http.Transport); std || ctx.Done() == nil {
		return false
	}
	return resp.Body != nil && resp.Body != http.NoBody
}

// closeRequestBody closes req.Body, as a RoundTripper must even when it fails.
func closeRequestBody(req *http.Request) {
	if req.Body != nil {
		_ = req.Body.Close()
	}
}

// cappedBody is a response body that yields at most left more bytes and then
// ErrResponseTooLarge if the body goes on (io.EOF if it ends exactly there).
type cappedBody struct {
	rc   io.ReadCloser
	left int64
	err  error // sticky ErrResponseTooLarge
}

func (b *cappedBody) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if b.left <= 0 {
		// The limit is reached: the body is fine only if it ends here.
		var probe [1]byte
		n, err := b.rc.Read(probe[:])
		if n > 0 {
			b.err = ErrResponseTooLarge
			return 0, b.err
		}
		return 0, err
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *cappedBody) Close() error { return b.rc.Close() }
