package csconnect

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Sentinel errors classify failures by what the caller should do. Match them with
// errors.Is; the concrete error is usually an *APIError (the server answered) or a
// *GuardError (csconnect refused locally, without sending anything).
var (
	// ErrInvalidCredentials: the username or password was rejected (401 from
	// authenticate). Never retried automatically: identical invalid requests lead to a
	// lockout.
	ErrInvalidCredentials = errors.New("csconnect: invalid credentials")
	// ErrAccountInactive: the customer or user account is not active or is locked (403
	// from authenticate).
	ErrAccountInactive = errors.New("csconnect: account not active")
	// ErrTokenExpired: a service rejected the bearer token as expired or invalid; the
	// token should be refreshed and the call repeated once.
	ErrTokenExpired = errors.New("csconnect: token expired")
	// ErrForbidden: a service refused the call for a reason other than an expired
	// token (a rejected company, a missing permission). Not to be repeated.
	ErrForbidden = errors.New("csconnect: forbidden")
	// ErrRateLimited: too many requests (429).
	ErrRateLimited = errors.New("csconnect: rate limited")
	// ErrLockedOut: the authenticate endpoint is locked out for a while (a 429 from
	// authenticate, or the guard remembering one).
	ErrLockedOut = errors.New("csconnect: locked out")
	// ErrBadRequest: the server could not accept the request (400).
	ErrBadRequest = errors.New("csconnect: bad request")
	// ErrServer: the server failed (5xx).
	ErrServer = errors.New("csconnect: server error")
	// ErrContract: a response broke the contract in openapi.yaml (a 200 without a
	// token, a body that is not JSON, an undocumented status).
	ErrContract = errors.New("csconnect: response breaks the contract")
	// ErrUnauthorized: a service answered 401 for a reason other than an expired or
	// invalid token (for example missing or unknown API credentials). Refreshing the
	// token will not help.
	ErrUnauthorized = errors.New("csconnect: unauthorized")
	// ErrOutOfCredits: the account cannot pay for the call (402, or a body saying the
	// account ran out of credits). Not a rate limit: waiting does not help.
	ErrOutOfCredits = errors.New("csconnect: out of credits")
	// ErrInvalidInput: csconnect refused the input before sending anything (a
	// credential the spec or the vendor's documents say cannot work, a base URL that
	// would send credentials in clear text). The message names each refused field
	// and what to do, never its value.
	ErrInvalidInput = errors.New("csconnect: input refused before sending")
)

// APIError is a non-success answer from a Creditsafe endpoint, decoded from whichever
// documented body shape it came in. It never holds the password or the token.
type APIError struct {
	StatusCode int           // HTTP status
	Endpoint   string        // method and URL without query secrets, e.g. "POST https://…/v1/authenticate"
	Code       string        // vendor code or identifier, e.g. "429", "TOO_MANY_ATTEMPTS"
	Message    string        // human-readable message
	Detail     string        // longer explanation, if any
	Hint       string        // developer hint, if any
	RequestID  string        // request or correlation ID, if any
	RetryAfter time.Duration // from Retry-After; 0 when absent
	Body       []byte        // a capped copy of the raw body
	Header     http.Header   // response headers (never request headers)

	kind error // the sentinel this error is classified as
}

// Is reports whether target is the sentinel this error is classified as. An
// authenticate lockout (ErrLockedOut) is also a rate limit (ErrRateLimited).
func (e *APIError) Is(target error) bool {
	if e.kind == nil || target == nil {
		return false
	}
	return target == e.kind || (e.kind == ErrLockedOut && target == ErrRateLimited)
}

// Error is one line: the endpoint, the status, the vendor code, message and detail,
// the request ID and Retry-After when present. Vendor text is flattened to one line
// and capped; it never holds the password or the token (they are redacted when the
// error is built).
func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString("csconnect: ")
	if e.Endpoint != "" {
		b.WriteString(e.Endpoint)
		b.WriteString(": ")
	}
	b.WriteString(strconv.Itoa(e.StatusCode))
	if t := http.StatusText(e.StatusCode); t != "" {
		b.WriteString(" ")
		b.WriteString(strings.ToLower(t))
	}
	if e.Code != "" && e.Code != strconv.Itoa(e.StatusCode) {
		fmt.Fprintf(&b, " (code %s)", oneLine(e.Code, maxCodeRunes))
	}
	msg, detail := oneLine(e.Message, maxMessageRunes), oneLine(e.Detail, maxMessageRunes)
	if msg != "" {
		b.WriteString(": ")
		b.WriteString(msg)
	}
	if detail != "" && detail != msg {
		b.WriteString(": ")
		b.WriteString(detail)
	}
	if e.RequestID != "" {
		fmt.Fprintf(&b, " (request id %s)", oneLine(e.RequestID, maxCodeRunes))
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, " (retry after %s)", e.RetryAfter)
	}
	return b.String()
}

// maxErrorBody caps how much of an error body is read and kept: error bodies are
// short, and a hostile or broken server must not make us buffer without bound.
const maxErrorBody = 64 << 10

// CheckResponse classifies the response of a protected service call (not of
// authenticate). It returns nil for 2xx-3xx; for 1xx (an interim answer, such as a
// 101 whose body is the raw connection) an error wrapping ErrContract, without
// reading the body; for a nil resp one wrapping ErrInvalidUse. Otherwise it reads at
// most 64 KiB of the body, puts back a resp.Body that yields the same
// bytes (followed by any unread rest), and returns an *APIError decoded from whichever documented body shape
// the response has. Its Is matches ErrTokenExpired only when the response says the
// token expired or is invalid (a 401 "Invalid token." or "Authorization Token has
// either expired…", an INVALID_TOKEN code, a WWW-Authenticate error="invalid_token",
// or a 403 that says "Token Expired" as text or in the JSON envelope); ErrUnauthorized
// for any other 401, ErrForbidden for any other 403, ErrOutOfCredits for 402 or an
// out-of-credits body, ErrRateLimited for 429, ErrBadRequest for 400 and ErrServer
// for 5xx (and 424 API_EXCEPTION). The bearer token of resp.Request is redacted from
// the error. Safe for concurrent use on distinct responses.
func CheckResponse(resp *http.Response) error {
	if resp == nil {
		return invalidUse("CheckResponse of a nil response")
	}
	if interim(resp.StatusCode) {
		var ep string
		if resp.Request != nil {
			ep = endpointName(resp.Request.Method, resp.Request.URL)
		}
		return interimError(ep, resp.StatusCode)
	}
	if resp.StatusCode < 400 {
		return nil
	}
	return decodeServiceError(resp)
}

// ErrInvalidUse: csconnect was called in a way that cannot work: a nil context, a
// nil TokenSource, the zero value of a type that must come from its constructor, a
// nil response. A programming error, not a failure to retry; the message says which.
var ErrInvalidUse = errors.New("csconnect: invalid use")

// ErrInsecureURL is returned, before anything is sent, for a request that would carry
// the token over plain HTTP to a host that is not loopback.
var ErrInsecureURL = errors.New("csconnect: refusing to send a token over plain http to a non-loopback host")

// ErrResponseTooLarge is returned by the Read of a response body that goes on past
// Transport.MaxResponseBody (Config.MaxResponseBody for the client New builds).
var ErrResponseTooLarge = errors.New("csconnect: response body larger than the limit")

// errCacheClosed is returned by a Cache that must fetch after Close: a use that
// cannot work.
var errCacheClosed = fmt.Errorf("%w: token cache closed", ErrInvalidUse)
