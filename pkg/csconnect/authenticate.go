package csconnect

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"sync/atomic"
	"time"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/csconnect/csconnect/gen/client"
)

// maxTokenBody caps how much of a 200 answer is read: the token response is a JWT of
// a kilobyte or two, so 1 MiB is plenty and a broken server cannot exhaust memory.
const maxTokenBody = 1 << 20

// maxTokenLen caps the token itself: Creditsafe's are about a kilobyte. A larger
// one would ride on every request's headers (past many servers' 8 KiB limits) and
// could not be shared: pkg/filestore and pkg/redisstore read a value up to 64 KiB,
// so every later process would find it unreadable and authenticate again.
const maxTokenLen = 16 << 10

// Authenticator turns a username and password into a Token, or into a precise typed
// error, without ever costing the user a lockout: it refuses bad input before sending
// (ErrInvalidInput), refuses locally what it knows will fail (*GuardError), retries
// only transient failures, and decodes every error body into an *APIError.
//
// Token is uncached: each call is one logical authenticate. Wrap it in a caching
// TokenSource. Safe for concurrent use; concurrent Token calls are serialized, so at
// most one request is in flight and a wrong password costs one 401, not one per caller.
//
// Build it with NewAuthenticator. The zero Authenticator has no credentials: its
// Token and ResetGuard return an error wrapping ErrInvalidUse and its GuardStatus is
// empty.
type Authenticator struct {
	username string
	timeout  time.Duration // of one attempt
	ownHTTP  bool          // http's transport was built here, not given in AuthConfig
	// request is POST /authenticate as the generated client builds it (method, URL,
	// Content-Type, JSON body), built once: the credentials never change, so each
	// attempt clones it instead of encoding the body and parsing URLs again.
	request  *http.Request
	body     sealedBytes // request's body: the credentials as JSON, out of fmt's reach
	http     *http.Client
	endpoint string
	guard    *guard
	redact   redactor
	log      *slog.Logger
	retry    RetryPolicy
	rand     func(int64) int64
	sleep    func(context.Context, time.Duration) error
	now      func() time.Time
	sem      chan struct{} // one authenticate in flight
	hooks    *Hooks
}

// NewAuthenticator checks cfg and returns an Authenticator. It sends nothing: a
// credential the spec or the vendor's documents say cannot work, or a base URL that
// would send credentials in clear text, is refused with an error matching
// ErrInvalidInput, one line per refused field, naming it and never its value.
func NewAuthenticator(cfg AuthConfig) (*Authenticator, error) {
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	base, err := checkBaseURL(cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	if err := preflight(cfg.Username, cfg.Password, cfg.AllowEmailUsername); err != nil {
		return nil, err
	}
	// Durations follow CacheOptions' rule: zero or negative means the default (a
	// negative timeout would fail every attempt, a negative delay remove the backoff).
	positiveOr(&cfg.Timeout, defaultTimeout)
	cfg.Retry = cfg.Retry.withDefaults(defaultAuthRetry)
	setDefault(&cfg.Budget, defaultBudget)
	if cfg.Logger == nil {
		cfg.Logger = discardLogger
	}
	if cfg.now == nil {
		cfg.now = time.Now
	}
	if cfg.rand == nil {
		cfg.rand = rand.Int64N // jitter needs spread, not secrecy
	}
	if cfg.sleep == nil {
		cfg.sleep = sleepCtx
	}
	hc := noRedirects(cfg.HTTPClient)
	c, err := client.NewClient(base.String(), client.WithHTTPClient(hc))
	if err != nil {
		return nil, fmt.Errorf("csconnect: %w", err)
	}
	body, err := authenticateBody(cfg.Username, cfg.Password)
	if err != nil {
		return nil, fmt.Errorf("csconnect: building the authenticate request: %w", errors.New(newRedactor(cfg.Password).string(err.Error())))
	}
	req, err := client.NewAuthenticateRequestWithBody(c.Server, "application/json", nil)
	if err != nil {
		return nil, fmt.Errorf("csconnect: building the authenticate request: %w", err)
	}
	req.Body, req.GetBody = nil, nil
	req.Header.Set("Accept", "application/json")
	g := newGuard(cfg.Store, cfg.Username, cfg.Password, cfg.Budget, callTimeout(cfg.Store), cfg.Logger)
	if cfg.Store != nil && (g.key == "" || g.pair == "") {
		// Every account's token and guard record would share one key, and a Cache over
		// another account's Authenticator would adopt this one's token.
		cfg.Logger.Warn("csconnect: AuthConfig.Store gives an empty fingerprint; it is not used (an empty key would mix accounts)")
		g = newGuard(nil, cfg.Username, cfg.Password, cfg.Budget, 0, cfg.Logger)
	}
	return &Authenticator{
		username: cfg.Username,
		timeout:  cfg.Timeout,
		ownHTTP:  cfg.HTTPClient == nil,
		request:  req,
		body:     seal(body),
		http:     hc,
		endpoint: endpointName(http.MethodPost, req.URL),
		guard:    g,
		redact:   newRedactor(cfg.Password),
		log:      cfg.Logger,
		retry:    cfg.Retry,
		rand:     cfg.rand,
		sleep:    cfg.sleep,
		now:      cfg.now,
		sem:      make(chan struct{}, 1),
		hooks:    cfg.Hooks,
	}, nil
}

func setDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}

// noRedirects returns a client that returns 3xx answers instead of following them:
// following would re-send the credentials to wherever Location points. The caller's
// client is copied, not changed.
func noRedirects(hc *http.Client) *http.Client {
	var c http.Client
	if hc != nil {
		c = *hc
	} else {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.TLSHandshakeTimeout = 10 * time.Second
		tr.MaxResponseHeaderBytes = maxResponseHeaderBytes
		c.Transport = tr
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
}

// describe describes the Authenticator without its password.
func (a *Authenticator) describe() string {
	return fmt.Sprintf("csconnect.Authenticator{endpoint: %q, username: %q, password: %s}", a.endpoint, a.username, redacted)
}

// Format makes every verb print the description, never a secret.
func (a *Authenticator) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, a.describe()) }

// closeIdleConnections closes the idle connections of the transport the
// Authenticator built (when AuthConfig.HTTPClient was nil; a client given there is
// the caller's to close). Closing a Cache over it calls it.
func (a *Authenticator) closeIdleConnections() {
	if a != nil && a.ownHTTP && a.http != nil { // the transport was built here
		a.http.CloseIdleConnections()
	}
}

// cacheSource is a token source that a Cache over it takes its Store, key, logger
// and hooks from, and whose idle connections its Close closes: an *Authenticator, or
// a type that embeds one (so a wrapper does not silently lose them).
type cacheSource interface {
	cacheConfig() (store Store, key string, logger *slog.Logger, hooks *Hooks)
	closeIdleConnections()
}

// cacheConfig returns what a Cache over a takes from it: AuthConfig.Store as given
// (nil: none, or one NewAuthenticator did not use), the key the token is shared
// under there (the pair's fingerprint, so that a Cache given another password never
// adopts the token), AuthConfig.Logger and Hooks.
func (a *Authenticator) cacheConfig() (store Store, key string, logger *slog.Logger, hooks *Hooks) {
	switch {
	case a == nil:
		return nil, "", nil, nil
	case a.guard == nil || a.guard.store == nil: // the zero Authenticator, or no Store
		return nil, "", a.log, a.hooks
	}
	return a.guard.store.Store, a.guard.pair, a.log, a.hooks
}

// GuardStatus reports what the lockout guard holds now (this process's view: what
// its last call saw in the Store, and its own records), for metrics and health
// checks. It sends nothing.
func (a *Authenticator) GuardStatus() GuardStatus {
	if a.guard == nil { // the zero Authenticator
		return GuardStatus{}
	}
	return a.guard.status(a.now())
}

// ResetGuard forgets a rejected password and a lockout, locally and in the Store,
// so the next Token call sends a request. Call it when a human has fixed the cause.
// The budget is not reset. The returned error is the Store's (the local guard is
// reset regardless).
func (a *Authenticator) ResetGuard(ctx context.Context) error {
	switch {
	case ctx == nil:
		return errNilContext
	case a.guard == nil:
		return errZeroAuthenticator
	}
	defer a.observeGuard(ctx, a.now())
	if err := a.guard.reset(ctx, a.now()); err != nil {
		return fmt.Errorf("csconnect: resetting the shared guard: %w", err)
	}
	return nil
}

// Token authenticates once: guard check, POST /authenticate (retrying transient
// failures with backoff), decode. It returns a Token whose Expiry comes from the JWT
// (see TokenFromJWT), or:
//   - a *GuardError when the guard refused to send (nothing was sent);
//   - an *APIError for an error answer (ErrInvalidCredentials, ErrAccountInactive,
//     ErrLockedOut, ErrBadRequest, ErrServer, …), or one wrapping ErrContract for an
//     answer that breaks the contract (a redirect, an undocumented status);
//   - an error wrapping ErrContract for an interim answer (1xx, such as a 101
//     Switching Protocols), whose body is closed unread;
//   - an error wrapping ErrContract for a 200 without a usable token;
//   - the network or context error of the last attempt.
//
// It honours ctx throughout, including while waiting for another Token call.
func (a *Authenticator) Token(ctx context.Context) (*Token, error) {
	switch {
	case ctx == nil:
		return nil, errNilContext
	case a.sem == nil:
		return nil, errZeroAuthenticator
	}
	select {
	case a.sem <- struct{}{}: // free: no select over ctx
	default:
		select {
		case a.sem <- struct{}{}:
		case <-ctx.Done():
			return nil, fmt.Errorf("csconnect: authenticate: %w", context.Cause(ctx))
		}
	}
	defer func() { <-a.sem }()
	var last error // the previous attempt's
	for n := 1; ; n++ {
		if ctx.Err() != nil { // nothing is sent, so nothing is spent
			return nil, fmt.Errorf("csconnect: authenticate: %w", context.Cause(ctx))
		}
		actx, release := a.authenticateStart(ctx, n)
		if release != nil {
			defer release() // after the hooks that see actx; at most one per attempt
		}
		admitted := a.now()
		reservation, err := a.guard.admit(actx, admitted, last)
		if err != nil {
			a.observeAttempt(actx, n, admitted, err, -1)
			a.log.WarnContext(ctx, "csconnect: authenticate refused by the guard", "err", err)
			return nil, err
		}
		var tok *Token
		if reservation != nil {
			var sent bool
			if tok, sent, err = a.attemptTraced(actx, n); !sent {
				a.guard.refund(reservation, a.now()) // the budget pays only for requests sent
			}
		} else { // no budget: nothing to give back, so whether it was sent does not matter
			tok, err = a.attempt(actx, n)
		}
		if err == nil {
			a.guard.succeeded(actx, admitted)
			a.observeAttempt(actx, n, admitted, nil, -1)
			return tok, nil
		}
		retryAfter, hasRetryAfter, transient := a.judge(actx, err)
		if !transient {
			a.observeAttempt(actx, n, admitted, err, -1)
			return nil, err
		}
		d, again := a.retry.wait(ctx, n, retryAfter, hasRetryAfter, a.rand)
		if !again {
			a.observeAttempt(actx, n, admitted, err, -1)
			return nil, err
		}
		a.observeAttempt(actx, n, admitted, err, d)
		a.log.WarnContext(ctx, "csconnect: authenticate failed, retrying", "attempt", n, "wait", d, "err", err)
		last = err
		if serr := a.sleep(ctx, d); serr != nil {
			return nil, fmt.Errorf("csconnect: authenticate: %w (after: %w)", serr, err)
		}
	}
}

// judge records what an attempt's error means for the guard (a 401 rejects the pair, a
// 429 locks out) and reports whether it is transient, with the server's Retry-After.
func (a *Authenticator) judge(ctx context.Context, err error) (retryAfter time.Duration, hasRetryAfter, transient bool) {
	var apiErr *APIError
	if !errors.As(err, &apiErr) {
		if errors.Is(err, ErrContract) || ctx.Err() != nil {
			return 0, false, false
		}
		return 0, false, transientTransportError(err)
	}
	now := a.now()
	switch {
	case errors.Is(apiErr, ErrInvalidCredentials), errors.Is(apiErr, ErrBadRequest):
		// A 400 is an invalid request the vendor counts like a 401 toward its limit on
		// identical invalid requests: the same pair is not sent again either.
		a.guard.rejectPair(ctx, now, apiErr)
	case errors.Is(apiErr, ErrAccountInactive):
		// The account is not active, or the user is locked out for a while: repeating
		// the request cannot help and may prolong a lock. Pause like a lockout.
		a.guard.lockOut(ctx, now, now.Add(lockoutDefault), apiErr)
	case errors.Is(apiErr, ErrLockedOut):
		wait, ok := parseRetryAfter(apiErr.Header.Get("Retry-After"), now)
		if !ok {
			wait = lockoutDefault
		}
		a.guard.lockOut(ctx, now, now.Add(wait), apiErr)
	case errors.Is(apiErr, ErrServer):
		retryAfter, hasRetryAfter = parseRetryAfter(apiErr.Header.Get("Retry-After"), now)
		return retryAfter, hasRetryAfter, true
	}
	return 0, false, false
}

// attemptTraced is attempt, reporting whether the request was sent: false when the
// HTTP transport never wrote it (no connection, or ctx ended first), so the guard's
// budget can be given back. A transport that reports nothing through httptrace
// counts as having sent, unless ctx ended.
func (a *Authenticator) attemptTraced(ctx context.Context, n int) (tok *Token, sent bool, err error) {
	t := new(sendTrace)
	t.trace.GetConn = func(string) { t.dialing.Store(true) }
	t.trace.WroteHeaders = func() { t.wrote.Store(true) }
	ctx = httptrace.WithClientTrace(ctx, &t.trace)
	tok, err = a.attempt(ctx, n)
	var apiErr *APIError
	sent = err == nil || errors.As(err, &apiErr) || t.wrote.Load() || !t.dialing.Load() && ctx.Err() == nil
	return tok, sent, err
}

// sendTrace is what attemptTraced learns from the transport: whether it asked for a
// connection (dialing) and wrote the request's headers (wrote). The flags and the
// trace that sets them are one allocation.
type sendTrace struct {
	dialing, wrote atomic.Bool
	trace          httptrace.ClientTrace
}

// attempt sends one POST /authenticate, bounded by the per-attempt timeout, and
// decodes its answer.
func (a *Authenticator) attempt(ctx context.Context, n int) (*Token, error) {
	ctx, cancel := context.WithTimeout(ctx, a.timeout)
	defer cancel()
	start := a.now()
	req := a.request.Clone(ctx)
	body := a.body()
	req.Body = io.NopCloser(bytes.NewReader(body))
	req.ContentLength = int64(len(body))
	resp, err := a.http.Do(req)
	if err != nil {
		// A malformed answer quoting the body: the password in it.
		err = a.redact.err(err)
		if a.log.Enabled(ctx, slog.LevelDebug) { // spares the hot path the arguments' allocations
			a.log.DebugContext(ctx, "csconnect: authenticate attempt", "attempt", n, "err", err)
		}
		var urlErr *url.Error // says the method and URL again: keep only the cause
		if errors.As(err, &urlErr) {
			err = urlErr.Err
		}
		return nil, fmt.Errorf("csconnect: %s: %w", a.endpoint, err)
	}
	fetched := a.now()
	if a.log.Enabled(ctx, slog.LevelDebug) {
		a.log.DebugContext(ctx, "csconnect: authenticate attempt", "attempt", n, "status", resp.StatusCode, "duration", fetched.Sub(start))
	}
	if interim(resp.StatusCode) {
		return nil, refuseInterim(a.endpoint, resp)
	}
	// Every read of the body ends with the attempt, whatever HTTPClient sent it.
	base := a.http.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	if watchBody(ctx, base, resp) {
		resp.Body = newCtxBody(ctx, resp.Body)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		return a.decodeToken(resp, start, fetched)
	}
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	e := decodeError(authenticateEndpoint, resp.StatusCode, reasonPhrase(resp), resp.Header, raw, fetched)
	e.Endpoint = a.endpoint
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		e.Detail = "redirect not followed: credentials are only sent to the configured base URL"
	}
	a.redact.apiError(e)
	return nil, e
}

// decodeToken reads a 200 answer (at most maxTokenBody) into a Token. A body that is
// not JSON, lacks the token, or whose token is over maxTokenLen or not JWT-shaped is
// an ErrContract error.
func (a *Authenticator) decodeToken(resp *http.Response, sent, fetched time.Time) (*Token, error) {
	// encoding/json/v2 reads the body straight from the connection four to five times
	// faster than io.ReadAll and encoding/json (~0.7 µs vs ~4 µs for
	// BenchmarkAuthenticate's 1.1 KB body, measured alone), with encoding/json's
	// tolerance (jsonV1Lenience).
	var body struct {
		Token string `json:"token,case:ignore"` // absent and null leave it empty
	}
	limited := &io.LimitedReader{R: resp.Body, N: maxTokenBody + 1}
	err := jsonv2.UnmarshalRead(limited, &body, jsonV1Lenience)
	bad := func(what string) error { return fmt.Errorf("%w: %s: 200 answer %s", ErrContract, a.endpoint, what) }
	switch {
	case limited.N <= 0:
		return nil, bad("is larger than 1 MiB")
	case err != nil && !isJSONError(err):
		// A malformed trailer line may quote the request body, the password in it.
		return nil, fmt.Errorf("csconnect: %s: reading the token response: %w", a.endpoint, a.redact.err(cmp.Or(errors.Unwrap(err), err)))
	case err != nil:
		return nil, bad("is not a JSON object")
	}
	if body.Token == "" {
		return nil, bad("has no token")
	}
	if len(body.Token) > maxTokenLen {
		return nil, bad("has a token larger than 16 KiB")
	}
	if !isJWTShape(body.Token) {
		return nil, bad("has a token that is not JWT-shaped")
	}
	tok, err := TokenFromJWT(body.Token, sent) // the expiry counts from the send time: never late
	if err != nil {
		return nil, fmt.Errorf("%w (%s)", err, a.endpoint)
	}
	tok.Fetched = fetched
	return tok, nil
}

// isJSONError reports whether an encoding/json/v2 error is about the JSON itself (its
// syntax, or a value of the wrong type), not about reading it.
func isJSONError(err error) bool {
	var syntax *jsontext.SyntacticError
	var semantic *jsonv2.SemanticError
	return errors.As(err, &syntax) || errors.As(err, &semantic)
}

// authenticateBody is the JSON of client.AuthenticateRequest{username, password},
// written with jsontext rather than encoding/json: it is the same document, and
// reflecting over the struct on a process's first New cost more than New itself.
// TestAuthenticateBodyIsTheGeneratedJSON holds the two to the same meaning.
func authenticateBody(username, password string) ([]byte, error) {
	b := append(make([]byte, 0, 32+len(username)+len(password)), `{"username":`...)
	b, err := jsontext.AppendQuote(b, username)
	if err != nil {
		return nil, err
	}
	b = append(b, `,"password":`...)
	if b, err = jsontext.AppendQuote(b, password); err != nil {
		return nil, err
	}
	return append(b, '}'), nil
}
