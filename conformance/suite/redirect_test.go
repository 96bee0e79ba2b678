package suite_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/csconnect/csconnect/conformance/suite"
)

// elsewhere starts a loopback server standing in for the host a redirect points
// to: nothing may ever reach it. It returns its URL and how many requests it got.
func elsewhere(t *testing.T) (string, *atomic.Int64) {
	t.Helper()
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		t.Errorf("the redirect was followed: %s %s reached the other server (Authorization set: %t)", r.Method, r.URL.Path, r.Header.Get("Authorization") != "")
	}))
	t.Cleanup(srv.Close)
	return srv.URL, &hits
}

// redirector answers 307 to the same path on to, and passes paths in pass to
// next.
func redirector(t *testing.T, to string, next http.Handler, pass ...string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, p := range pass {
			if r.URL.Path == p {
				next.ServeHTTP(w, r)
				return
			}
		}
		http.Redirect(w, r, to+r.URL.RequestURI(), http.StatusTemporaryRedirect)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestLiveRunDoesNotFollowRedirects runs the live scenarios against a server that
// answers 307 to another server: the password (POST /authenticate) and the bearer
// token (GET /datecheck/company) must not be re-sent there, and the 3xx must fail
// the run as an undocumented status.
func TestLiveRunDoesNotFollowRedirects(t *testing.T) {
	st := startSim(t)
	for name, pass := range map[string][]string{
		"authenticate": nil,                  // the login itself is redirected
		"service":      {"/v1/authenticate"}, // logins work; the protected call is redirected
	} {
		t.Run(name, func(t *testing.T) {
			other, hits := elsewhere(t)
			base := redirector(t, other, st.Sim, pass...)
			target := suite.Target{
				AuthURL:    base + "/v1",
				ServiceURL: base,
				Username:   suite.SimUsername,
				Password:   suite.SimPassword,
				Base:       &http.Transport{},
			}
			rep := suite.Run(context.Background(), suite.Config{Mode: "live", Target: target, Live: true, AllowInvalid: true}, suite.Scenarios())
			if hits.Load() != 0 {
				t.Fatalf("the other server got %d requests; want none", hits.Load())
			}
			if rep.OK() {
				t.Fatalf("Run(redirecting server) passed; want the 307 to fail it")
			}
			var saw307 bool
			for _, r := range rep.Results {
				for _, x := range r.Detail {
					if x.Status == http.StatusTemporaryRedirect {
						saw307 = true
						if x.Conforms() {
							t.Errorf("%s: the 307 of %s %s conforms; want an undocumented-status violation", r.Name, x.Method, x.Path)
						}
					}
				}
				if p := strings.Join(r.Problems, " "); strings.Contains(p, suite.SimPassword) {
					t.Errorf("%s: the password leaked into the problems: %s", r.Name, p)
				}
			}
			if !saw307 {
				t.Errorf("no exchange recorded a 307")
			}
		})
	}
}

// TestStackServiceDoesNotFollowRedirects checks the client stack's service
// client: its Transport attaches the bearer token on every round trip, so a
// followed redirect would carry the token to the other server. The caller gets
// the 307 itself instead.
func TestStackServiceDoesNotFollowRedirects(t *testing.T) {
	st := startSim(t)
	other, hits := elsewhere(t)
	base := redirector(t, other, st.Sim, "/v1/authenticate")

	stack, err := suite.CSConnectStack(suite.StackConfig{AuthURL: base + "/v1", Username: suite.SimUsername, Password: suite.SimPassword, Transport: st.Base})
	if err != nil {
		t.Fatalf("CSConnectStack() = %v", err)
	}
	defer stack.Close()
	resp, err := stack.Service.Get(base + "/datecheck/company?searchnumber=5565144408")
	if err != nil {
		t.Fatalf("Service.Get() = %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTemporaryRedirect {
		t.Errorf("Service.Get() = %d; want the 307 itself", resp.StatusCode)
	}

	if hits.Load() != 0 {
		t.Errorf("the other server got %d requests; want none", hits.Load())
	}
}
