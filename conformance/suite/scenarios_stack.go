package suite

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/csconnect/csconnect/conformance/simulator"
	"github.com/csconnect/csconnect/pkg/csconnect"
)

// stackScenarios drive the client stack (Config.Stack) against the simulator: the
// point is the client's behaviour, with every exchange still validated.
func stackScenarios() []Scenario {
	return []Scenario{
		{
			Name:  "client-login",
			Doc:   "the client stack gets a token and reads its expiry from the JWT (one hour); a second call is served from the cache",
			Needs: NeedsStack,
			Run: func(e *Env) {
				s := e.validStack()
				if s == nil {
					return
				}
				tok, err := s.Source.Token(e.Context())
				if err != nil {
					e.Errorf("Token() = %v", err)
					return
				}
				if life := tok.Expiry.Sub(tok.Fetched); e.Sim() != nil && (life < 59*time.Minute || life > time.Hour) {
					e.Errorf("token lifetime = %v; want the JWT's one hour", life)
				}
				n := e.Exchanges()
				if _, err := s.Source.Token(e.Context()); err != nil || e.Exchanges() != n {
					e.Errorf("second Token() = %v with %d more exchanges; want the cached token, no exchange", err, e.Exchanges()-n)
				}
			},
		},
		{
			Name:  "client-preflight-length",
			Doc:   "the client counts code points as the spec does: 30 four-byte characters are sent (and get 401), 31 are refused before sending",
			Needs: NeedsStack | NeedsSim,
			Run: func(e *Env) {
				_, p := e.Credentials()
				if _, err := e.NewStack(strings.Repeat("é", 31), p); !errors.Is(err, csconnect.ErrInvalidInput) {
					e.Errorf("NewStack(31-character username) = %v; want ErrInvalidInput", err)
				}
				if n := e.Exchanges(); n != 0 {
					e.Errorf("a refused credential made %d exchanges; want 0", n)
				}
				s, err := e.NewStack(strings.Repeat("😀", 30), p)
				if err != nil {
					e.Errorf("NewStack(30-character username) = %v; want a stack", err)
					return
				}
				if _, err := s.Source.Token(e.Context()); !errors.Is(err, csconnect.ErrInvalidCredentials) {
					e.Errorf("Token(30-character unknown username) = %v; want ErrInvalidCredentials", err)
				}
			},
		},
		{
			Name:  "client-invalid-credentials",
			Doc:   "a 401 is ErrInvalidCredentials and is never repeated: the next call is refused locally without a request",
			Needs: NeedsStack | SendsInvalid,
			Run: func(e *Env) {
				u, _ := e.Credentials()
				s, err := e.NewStack(u, "csconnect-wrong-password")
				if err != nil {
					e.Errorf("NewStack() = %v", err)
					return
				}
				if _, err := s.Source.Token(e.Context()); !errors.Is(err, csconnect.ErrInvalidCredentials) {
					e.Errorf("Token(wrong password) = %v; want ErrInvalidCredentials", err)
				}
				n := e.Exchanges()
				if _, err := s.Source.Token(e.Context()); err == nil {
					e.Errorf("second Token(wrong password) succeeded")
				}
				if e.Exchanges() != n {
					e.Errorf("second Token(wrong password) sent %d requests; want 0 (the guard refuses locally)", e.Exchanges()-n)
				}
			},
		},
		{
			Name:  "client-lockout",
			Doc:   "when the endpoint is locked (429), the client reports ErrLockedOut and sends nothing more until the lockout ends; a client started after it gets a token",
			Needs: NeedsStack | NeedsSim,
			Run: func(e *Env) {
				e.Sim().SetTotalLimit(3)
				for range 3 { // other clients use up the threshold
					e.Authenticate(creds(e.Credentials()))
				}
				s := e.validStack()
				if s == nil {
					return
				}
				if _, err := s.Source.Token(e.Context()); !errors.Is(err, csconnect.ErrLockedOut) {
					e.Errorf("Token(locked endpoint) = %v; want ErrLockedOut", err)
				}
				n := e.Exchanges()
				if _, err := s.Source.Token(e.Context()); err == nil || e.Exchanges() != n {
					e.Errorf("Token() during the lockout = %v with %d requests; want a local refusal", err, e.Exchanges()-n)
				}
				e.Clock().Advance(simulator.DefaultLockout)
				fresh, err := e.NewStack("", "")
				if err == nil {
					_, err = fresh.Source.Token(e.Context())
				}
				if err != nil {
					e.Errorf("Token() from a new client after the lockout = %v", err)
				}
			},
		},
		{
			Name:  "client-reactive-refresh",
			Doc:   "on 403 Token Expired the client refreshes the token and repeats the call once, transparently",
			Needs: NeedsStack | NeedsSim | NeedsService,
			Run: func(e *Env) {
				s := e.validStack()
				if s == nil {
					return
				}
				e.expectService(s, searchNumber, 200, "datecheck(fresh token)")
				e.Clock().Advance(time.Hour) // the server now sees the token as expired
				e.expectService(s, searchNumber, 200, "datecheck(token expired on the server)")
				st := e.Sim().Stats()
				if st.TokenExpired != 1 || st.TokensIssued != 2 || st.DateCheck != 3 {
					e.Errorf("simulator saw %d Token Expired, %d tokens, %d datechecks; want 1, 2, 3", st.TokenExpired, st.TokensIssued, st.DateCheck)
				}
			},
		},
		{
			Name:  "client-no-refresh-on-other-403",
			Doc:   "a 403 that is not Token Expired (a rejected company) is returned as is: no refresh, no repeat (it could be billed twice)",
			Needs: NeedsStack | NeedsSim | NeedsService,
			Run: func(e *Env) {
				s := e.validStack()
				if s == nil {
					return
				}
				e.expectService(s, simulator.RejectedCompany, 403, "datecheck(rejected company)")
				if st := e.Sim().Stats(); st.TokensIssued != 1 || st.DateCheck != 1 {
					e.Errorf("simulator saw %d tokens, %d datechecks; want 1, 1", st.TokensIssued, st.DateCheck)
				}
			},
		},
		{
			Name:  "client-proactive-refresh",
			Doc:   "before a token expires the client fetches the next one in the background (tokens shortened to 2 s; the client's windows clamp to the lifetime)",
			Needs: NeedsStack | NeedsSim,
			Run: func(e *Env) {
				e.Sim().SetTokenTTL(2 * time.Second)
				s := e.validStack()
				if s == nil {
					return
				}
				first, err := s.Source.Token(e.Context())
				if err != nil {
					e.Errorf("Token() = %v", err)
					return
				}
				// Poll for the background refresh; the client's clock is real time.
				tick := time.NewTicker(20 * time.Millisecond)
				defer tick.Stop()
				for {
					tok, err := s.Source.Token(e.Context())
					if err != nil {
						e.Errorf("Token() while refreshing = %v", err)
						return
					}
					if tok.Value != first.Value {
						if !time.Now().Before(first.Expiry) {
							e.Errorf("the new token came after the old one expired")
						}
						return
					}
					if time.Now().After(first.Expiry.Add(time.Second)) {
						e.Errorf("no new token by %v after the first expired", time.Second)
						return
					}
					select {
					case <-tick.C:
					case <-e.Context().Done():
						return
					}
				}
			},
		},
		{
			Name:  "client-fault-recovery",
			Doc:   "the client retries a 500 burst and a dropped connection with backoff and gets a token",
			Needs: NeedsStack | NeedsSim | BypassProxy,
			Run: func(e *Env) {
				for _, f := range []struct {
					what   string
					inject func()
				}{
					{"two 500s", func() { e.Sim().FailNext(simulator.Authenticate, 2) }},
					{"a dropped connection", func() { e.Sim().DropNext(simulator.Authenticate, 1) }},
				} {
					s := e.validStack()
					if s == nil {
						return
					}
					f.inject()
					if _, err := s.Source.Token(e.Context()); err != nil {
						e.Errorf("Token() after %s = %v; want a token", f.what, err)
					}
				}
				if st := e.Sim().Stats(); st.ServerErrors != 2 || st.Dropped != 1 || st.TokensIssued != 2 {
					e.Errorf("simulator saw %d 500s, %d drops, %d tokens; want 2, 1, 2", st.ServerErrors, st.Dropped, st.TokensIssued)
				}
			},
		},
	}
}

// validStack builds a stack with the valid credentials, or reports why not and
// returns nil.
func (e *Env) validStack() *Stack {
	s, err := e.NewStack("", "")
	if err != nil {
		e.Errorf("NewStack(valid credentials) = %v", err)
		return nil
	}
	return s
}

// expectService calls GET /datecheck/company through the stack's service client.
func (e *Env) expectService(s *Stack, number string, want int, what string) {
	req, err := http.NewRequestWithContext(e.Context(), http.MethodGet, e.target.ServiceURL+"/datecheck/company?searchnumber="+number, nil)
	if err != nil {
		e.Errorf("%s: %v", what, err)
		return
	}
	resp, err := s.Service.Do(req)
	if err != nil {
		e.Errorf("%s: %v", what, err)
		return
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != want {
		e.Errorf("%s = %d; want %d", what, resp.StatusCode, want)
	}
}
