package agent

// lib.go is the one place that names pkg/csconnect's API, so a change there (issue 11
// renames) is adapted here alone.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/csconnect/csconnect/pkg/csconnect"
)

// Credentials are the account the agent authenticates as. No fmt verb, JSON or
// slog handler prints the password (as csconnect.AuthConfig).
type Credentials struct {
	Username, Password string
}

// String describes the credentials without the password.
func (c Credentials) String() string {
	return "agent.Credentials{Username: " + c.Username + ", Password: [redacted]}"
}

// Format makes every verb print String: without it, verbs that a Stringer does
// not serve (%d, %t, %o…) print the fields, the password among them.
func (c Credentials) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, c.String()) }

// MarshalJSON encodes the User Key and whether a password is set, never the
// password (slog's JSON handler logs this).
func (c Credentials) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Username    string `json:"username"`
		PasswordSet bool   `json:"password_set"`
	}{c.Username, c.Password != ""})
}

// Store is the library's shared token and guard store (filestore, redisstore or the
// in-memory default).
type Store = csconnect.Store

// CacheOptions are the token cache's windows and backoffs (zero: the library's
// defaults).
type CacheOptions = csconnect.CacheOptions

// Token is a bearer token with its expiry; its formatting never prints the value.
type Token = csconnect.Token

// library is one Authenticator → Cache → Transport stack for one set of
// credentials. The agent swaps in a new one when the password file is re-read.
type library struct {
	cache     *csconnect.Cache
	transport *csconnect.Transport // its Source is the cache, tracked
	base      *http.Transport
}

// libOptions are what the agent's Config passes to the library.
type libOptions struct {
	AuthURL         string
	Store           Store
	Logger          *slog.Logger
	MaxResponseBody int64
	Cache           CacheOptions          // windows and backoffs
	Retry           csconnect.RetryPolicy // for tests: short backoffs
	Base            *http.Transport       // nil: a clone of http.DefaultTransport
	OnToken         func(*Token)          // called with every token handed out
	Hooks           *csconnect.Hooks      // the library's metrics
	Current         func() *library       // the stack in place (Agent.lib.Load); nil or nil result: this one
}

// tracked is the Cache as the Transport sees it, telling onToken of every token
// handed out (the replay's renewed one included). It embeds the Cache, so the
// Transport reports to its logger and hooks (the Authenticator's). Tokens come from
// the stack in place (current): a request in flight when Reload swapped the stacks
// and closed this one is renewed and replayed on the new one, not refused by a
// closed cache.
type tracked struct {
	*csconnect.Cache
	onToken func(*Token)
	current func() *library
}

// cache is the Cache of the stack in place.
func (t tracked) cache() *csconnect.Cache {
	if t.current != nil {
		if l := t.current(); l != nil {
			return l.cache
		}
	}
	return t.Cache
}

func (t tracked) Token(ctx context.Context) (*Token, error) {
	tok, err := t.cache().Token(ctx)
	if err == nil && t.onToken != nil {
		t.onToken(tok)
	}
	return tok, err
}

// Invalidate drops the rejected token from this stack's cache and from the one in
// place, which may have adopted it through the Store.
func (t tracked) Invalidate(rejected *Token) {
	t.Cache.Invalidate(rejected)
	if c := t.cache(); c != t.Cache {
		c.Invalidate(rejected)
	}
}

// newLibrary builds the stack for creds. It sends nothing: a bad credential's form or
// an insecure URL is refused here (errors.Is ErrInvalidInput).
func newLibrary(creds Credentials, o libOptions) (*library, error) {
	auth, err := csconnect.NewAuthenticator(csconnect.AuthConfig{
		BaseURL:  o.AuthURL,
		Username: creds.Username,
		Password: creds.Password,
		Store:    o.Store,
		Logger:   o.Logger,
		Hooks:    o.Hooks,
	})
	if err != nil {
		return nil, err
	}
	base := o.Base
	if base == nil {
		base = http.DefaultTransport.(*http.Transport).Clone()
		base.Proxy = nil // the agent is the proxy; an environment proxy would see the token
		base.MaxIdleConnsPerHost = 256
		base.MaxResponseHeaderBytes = 64 << 10
		// No ResponseHeaderTimeout: its timer per request is what the agent's
		// connection sweeper avoids (deadline.go); Config.RequestTimeout is enforced there.
		base.DisableCompression = true // pass the client's Accept-Encoding and the body through as they are
	}
	cache := csconnect.NewCache(auth, o.Cache) // shares through store, reports to Hooks
	tr := &csconnect.Transport{Source: tracked{Cache: cache, onToken: o.OnToken, current: o.Current}, Base: base, Retry: o.Retry, MaxResponseBody: o.MaxResponseBody}
	return &library{cache: cache, transport: tr, base: base}, nil
}

// token returns a valid token, fetching one if needed, through the Transport's
// Source, so that it is noted as every request's is.
func (l *library) token(ctx context.Context) (*Token, error) { return l.transport.Source.Token(ctx) }

// close stops background refreshes and idle connections.
func (l *library) close() {
	_ = l.cache.Close()
	l.base.CloseIdleConnections()
}

// Problem codes, named after the library's sentinel errors (csconnect.ErrX → "x" in
// snake case) and the agent's own refusals. openapi.yaml lists them.
const (
	codeInvalidCredentials = "invalid_credentials" // ErrInvalidCredentials (401, or the guard remembering one)
	codeAccountInactive    = "account_inactive"    // ErrAccountInactive
	codeLockedOut          = "locked_out"          // ErrLockedOut (429 from authenticate, or the guard)
	codeRateLimited        = "rate_limited"        // ErrRateLimited (the guard's budget)
	codeBadRequest         = "bad_request"         // ErrBadRequest from authenticate
	codeServer             = "server_error"        // ErrServer from authenticate
	codeContract           = "contract"            // ErrContract
	codeInvalidInput       = "invalid_input"       // ErrInvalidInput: the agent's own configuration refused
	codeInsecureURL        = "insecure_url"        // ErrInsecureURL
	codeResponseTooLarge   = "response_too_large"  // ErrResponseTooLarge
	codeUnreachable        = "unreachable"         // Creditsafe could not be reached
	codeTimeout            = "timeout"             // Creditsafe did not answer in time
	codeCanceled           = "canceled"            // the client went away
	codeUnavailable        = "unavailable"         // the agent has no token source (closing)

	codeNotFound         = "not_found"            // no configured prefix
	codeBadPath          = "bad_path"             // a path that escapes its prefix
	codeClientAuth       = "client_authorization" // the client sent its own Authorization
	codeMisdirected      = "misdirected_host"     // a Host that is not the agent's
	codeHopByHop         = "hop_by_hop"           // Upgrade, Connection naming headers, Proxy-*
	codeFraming          = "framing"              // conflicting Content-Length and Transfer-Encoding
	codeRequestTooLarge  = "request_too_large"    // body over the limit
	codeRequestTimeout   = "request_timeout"      // body not received in time
	codeClientToken      = "client_token"         // missing or wrong client token
	codeTokenNotExposed  = "token_not_exposed"    // /_agent/token without --expose-token
	codeMethodNotAllowed = "method_not_allowed"   // an own endpoint called with another method
)

// classify maps an error from the library (or the network below it) to a problem:
// status, code and, when known, how long to wait.
func classify(err error) (status int, code string, retryAfter time.Duration) {
	var ge *csconnect.GuardError
	var ae *csconnect.APIError
	if errors.As(err, &ge) && ge.Wait > 0 {
		retryAfter = ge.Wait
	} else if errors.As(err, &ae) && ae.RetryAfter > 0 {
		retryAfter = ae.RetryAfter
	}
	var ne net.Error
	switch {
	case errors.Is(err, csconnect.ErrInvalidCredentials):
		return http.StatusBadGateway, codeInvalidCredentials, 0
	case errors.Is(err, csconnect.ErrAccountInactive):
		return http.StatusBadGateway, codeAccountInactive, retryAfter
	case errors.Is(err, csconnect.ErrLockedOut):
		return http.StatusServiceUnavailable, codeLockedOut, retryAfter
	case errors.Is(err, csconnect.ErrRateLimited):
		return http.StatusServiceUnavailable, codeRateLimited, retryAfter
	case errors.Is(err, csconnect.ErrInvalidInput):
		return http.StatusInternalServerError, codeInvalidInput, 0
	case errors.Is(err, csconnect.ErrInsecureURL):
		return http.StatusInternalServerError, codeInsecureURL, 0
	case errors.Is(err, csconnect.ErrBadRequest):
		return http.StatusBadGateway, codeBadRequest, 0
	case errors.Is(err, csconnect.ErrContract):
		return http.StatusBadGateway, codeContract, 0
	case errors.Is(err, csconnect.ErrServer):
		return http.StatusBadGateway, codeServer, retryAfter
	case errors.Is(err, csconnect.ErrResponseTooLarge):
		return http.StatusBadGateway, codeResponseTooLarge, 0
	case errors.Is(err, csconnect.ErrInvalidUse):
		return http.StatusServiceUnavailable, codeUnavailable, 0
	case errors.Is(err, context.Canceled):
		return 499, codeCanceled, 0
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return http.StatusGatewayTimeout, codeTimeout, 0
	}
	return http.StatusBadGateway, codeUnreachable, 0
}
