package csconnect

import (
	"errors"
	"net/http"
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
)

// APIError is a non-success answer from a Creditsafe endpoint, decoded from whichever
// documented body shape it came in. It never holds the password or the token.
type APIError struct {
	StatusCode      int           // HTTP status
	Endpoint        string        // method and URL without query secrets, e.g. "POST https://…/v1/authenticate"
	Code            string        // vendor code or identifier, e.g. "429", "TOO_MANY_ATTEMPTS"
	Message         string        // human-readable message
	Detail          string        // longer explanation, if any
	Hint            string        // developer hint, if any
	RequestID       string        // request or correlation ID, if any
	RetryAfter      time.Duration // from Retry-After; 0 when absent
	WWWAuthenticate string        // the WWW-Authenticate header, if any
	Body            []byte        // a capped copy of the raw body
	Header          http.Header   // response headers (never request headers)

	kind error // the sentinel this error is classified as
}

// HTTPStatusCode returns the status, so callers can classify errors by behaviour
// (errors.As to interface{ HTTPStatusCode() int }).
func (e *APIError) HTTPStatusCode() int { return e.StatusCode }

// Is reports whether target is the sentinel this error is classified as.
func (e *APIError) Is(target error) bool { return e.kind != nil && target == e.kind }

// maxErrorBody caps how much of an error body is read and kept: error bodies are
// short, and a hostile or broken server must not make us buffer without bound.
const maxErrorBody = 64 << 10

// CheckResponse classifies the response of a protected service call (not of
// authenticate). It returns nil for 1xx-3xx. Otherwise it reads at most maxErrorBody
// bytes of the body, puts back a resp.Body that yields the same bytes (followed by any
// unread rest), and returns an *APIError whose Is matches ErrTokenExpired only when the
// response says the token expired or is invalid (a 401, or a 403 that says "Token
// Expired"), ErrForbidden for any other 403, ErrRateLimited for 429, ErrBadRequest
// for 400 and ErrServer for 5xx.
func CheckResponse(resp *http.Response) error {
	if resp.StatusCode < 400 {
		return nil
	}
	return decodeServiceError(resp)
}
