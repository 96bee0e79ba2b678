package suite

import (
	"net/http"

	"github.com/csconnect/csconnect/pkg/csconnect"
)

// Stack is the client side under test: the seam between the suite and the client
// it checks.
type Stack struct {
	// Source authenticates (through the stack's preflight, guard, retries and cache).
	Source csconnect.TokenSource
	// Service makes protected calls: it attaches the bearer token and refreshes and
	// repeats a call once when the service says the token expired.
	Service *http.Client
	// Close releases the stack's resources; may be nil.
	Close func()
}

// StackConfig is what a StackFunc builds a stack from.
type StackConfig struct {
	AuthURL            string            // base URL of POST /authenticate
	Username, Password string            // credentials to use
	Transport          http.RoundTripper // carries every request (validating and recording)
}

// StackFunc builds a fresh client stack.
type StackFunc func(StackConfig) (*Stack, error)

// NewStack builds a stack with the run's StackFunc for the given credentials
// (both empty: the run's valid ones) over the scenario's transport. The stack is
// closed when the scenario ends. The error is the StackFunc's: csconnect's stack
// refuses bad credentials here, before sending anything.
func (e *Env) NewStack(username, password string) (*Stack, error) {
	if username == "" && password == "" {
		username, password = e.Credentials()
	}
	s, err := e.stack(StackConfig{AuthURL: e.target.AuthURL, Username: username, Password: password, Transport: e.transport})
	if err != nil {
		return nil, err
	}
	if s.Close != nil {
		e.mu.Lock()
		e.closers = append(e.closers, s.Close)
		e.mu.Unlock()
	}
	return s, nil
}

// DefaultStack builds the client stack scenarios drive when Config.Stack is nil:
// csconnect's authenticator, token cache and transport once they exist. Nil means
// none is available, and scenarios that need one are skipped.
var DefaultStack StackFunc
