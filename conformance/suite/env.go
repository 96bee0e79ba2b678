package suite

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/csconnect/csconnect/conformance"
	"github.com/csconnect/csconnect/conformance/simulator"
	"github.com/csconnect/csconnect/internal/secret"
)

// Target is what a run talks to.
type Target struct {
	// AuthURL is the base URL that POST /authenticate is appended to, such as
	// "https://connect.sandbox.creditsafe.com/v1" or a simulator's "http://127.0.0.1:8080/v1".
	AuthURL string
	// ServiceURL is the base URL that GET /datecheck/company is appended to; empty
	// when no protected service is available (those scenarios skip).
	ServiceURL string
	// DirectURL, when AuthURL is a validating proxy (Prism), is the simulator's own
	// authenticate base URL: requests that deliberately break the spec go there,
	// since the proxy would refuse them before the simulator could answer.
	DirectURL string
	// Username and Password are the valid credentials.
	Username, Password string
	// Sim and Clock are the simulator and its clock; nil when live.
	Sim   *simulator.Simulator
	Clock *simulator.ManualClock
	// Base carries the requests; nil means a fresh http.Transport.
	Base http.RoundTripper
}

// Reply is a raw exchange's outcome as the caller saw it.
type Reply struct {
	Status int
	Header http.Header
	Body   string
	Err    error // transport error (no response)
}

// Env is what a running scenario works with. Its methods are safe for concurrent
// use.
type Env struct {
	ctx       context.Context
	target    Target
	stack     StackFunc
	transport *conformance.Transport
	rec       conformance.Recorder
	timeout   time.Duration
	shared    *runState // live runs only: the one token of the run

	mu       sync.Mutex
	problems []string
	skip     string
	closers  []func()
	secrets  learnt // every password and bearer token the scenario's requests carried
}

// redactor finds, in any escaping, the target's password, every secret the
// scenario's requests carried, and anything shaped like a JWT.
func (e *Env) redactor() *secret.Redactor {
	return secret.New(secret.VendorText, e.secrets.with(e.target.Password)...).WithShapes(jwtPattern)
}

// learnSecrets is the RoundTripper under the validating transport that learns the
// password and the bearer token of every request the scenario sends (its own, the
// client stack's), before the request can fail with an error that quotes them.
type learnSecrets struct {
	base  http.RoundTripper // nil: http.DefaultTransport
	learn func(...string)
}

func (l learnSecrets) RoundTrip(req *http.Request) (*http.Response, error) {
	l.learn(requestSecrets(req)...)
	base := l.base
	if base == nil {
		base = http.DefaultTransport
	}
	return base.RoundTrip(req)
}

// Context is the scenario's context; it ends when the run is cancelled.
func (e *Env) Context() context.Context { return e.ctx }

// Errorf records a failed check; the scenario goes on.
func (e *Env) Errorf(format string, args ...any) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.problems = append(e.problems, fmt.Sprintf(format, args...))
}

// Skipf marks the scenario skipped (call it before making any request).
func (e *Env) Skipf(format string, args ...any) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.skip = fmt.Sprintf(format, args...)
}

// Sim is the simulator, or nil when live.
func (e *Env) Sim() *simulator.Simulator { return e.target.Sim }

// Clock is the simulator's clock, or nil when live.
func (e *Env) Clock() *simulator.ManualClock { return e.target.Clock }

// Credentials returns the valid username and password.
func (e *Env) Credentials() (username, password string) {
	return e.target.Username, e.target.Password
}

// Transport is the validating, recording transport every request of the scenario
// must go through, so that it is counted and checked.
func (e *Env) Transport() http.RoundTripper { return e.transport }

// Exchanges returns how many exchanges the scenario made so far.
func (e *Env) Exchanges() int { return len(e.rec.Exchanges()) }

// Authenticate POSTs body as application/json to the authenticate endpoint.
func (e *Env) Authenticate(body string) Reply {
	return e.do(e.ctx, http.MethodPost, e.target.AuthURL+"/authenticate", "application/json", body, "")
}

// AuthenticateInvalid POSTs a body that deliberately breaks the spec, with the
// given Content-Type (none when empty). The exchange is expected to have request
// violations, and counts as non-conforming if the spec accepts the request.
func (e *Env) AuthenticateInvalid(contentType, body string) Reply {
	base := e.target.AuthURL
	if e.target.DirectURL != "" {
		base = e.target.DirectURL
	}
	return e.do(conformance.WithInvalidRequest(e.ctx), http.MethodPost, base+"/authenticate", contentType, body, "")
}

// DateCheck GETs /datecheck/company?query with the token as bearer (none when
// empty).
func (e *Env) DateCheck(query, token string) Reply {
	return e.do(e.ctx, http.MethodGet, e.target.ServiceURL+"/datecheck/company?"+query, "", "", token)
}

// DateCheckInvalid is DateCheck for a request that deliberately breaks the spec.
func (e *Env) DateCheckInvalid(query, token string) Reply {
	base := e.target.ServiceURL
	if e.target.DirectURL != "" {
		base = strings.TrimSuffix(e.target.DirectURL, "/v1")
	}
	return e.do(conformance.WithInvalidRequest(e.ctx), http.MethodGet, base+"/datecheck/company?"+query, "", "", token)
}

// Client returns an http.Client over the scenario's transport with the given
// timeout (0: the run's default). It never follows a redirect: a 3xx comes back
// as the response (an undocumented status, so a non-conforming exchange), and the
// password or bearer token of the request is never re-sent to where it points.
func (e *Env) Client(timeout time.Duration) *http.Client {
	if timeout == 0 {
		timeout = e.timeout
	}
	return &http.Client{Transport: e.transport, Timeout: timeout, CheckRedirect: noRedirects}
}

// noRedirects is the CheckRedirect of every client the suite builds: requests
// carry credentials (a password, a bearer token), and a redirect, even one to
// plain http or another host, must not carry them further.
func noRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

func (e *Env) do(ctx context.Context, method, url, contentType, body, token string) Reply {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return Reply{Err: err}
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := e.Client(0).Do(req)
	if err != nil {
		return Reply{Err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, conformance.DefaultMaxBody))
	return Reply{Status: resp.StatusCode, Header: resp.Header, Body: string(b), Err: err}
}
