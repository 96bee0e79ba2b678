package suite_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/csconnect/csconnect/conformance/suite"
)

// passwordTap records the password of every POST /authenticate it carries.
type passwordTap struct {
	base      http.RoundTripper
	mu        sync.Mutex
	passwords []string
}

func (p *passwordTap) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method == http.MethodPost && strings.HasSuffix(req.URL.Path, "/authenticate") && req.Body != nil {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		req.Body = io.NopCloser(bytes.NewReader(b))
		var body struct{ Password string }
		_ = json.Unmarshal(b, &body)
		p.mu.Lock()
		p.passwords = append(p.passwords, body.Password)
		p.mu.Unlock()
	}
	return p.base.RoundTrip(req)
}

func (p *passwordTap) take() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := p.passwords
	p.passwords = nil
	return out
}

// TestLiveWrongPasswordIsRandomPerRun runs the live wrong-password check twice in
// a row, as a user re-running --allow-invalid would: each run sends one invalid
// login, and the two are not identical requests (the vendor locks an account
// after repeated identical invalid requests).
func TestLiveWrongPasswordIsRandomPerRun(t *testing.T) {
	st := startSim(t)
	tap := &passwordTap{base: st.Base}
	target := suite.Target{AuthURL: st.AuthURL, Username: suite.SimUsername, Password: suite.SimPassword, Base: tap}
	cfg := suite.Config{Mode: "live", Target: target, Live: true, AllowInvalid: true,
		Match: func(name string) bool { return name == "login-wrong-password-live" }}

	var sent []string
	for run := range 2 {
		rep := suite.Run(context.Background(), cfg, suite.Scenarios())
		if rep.Passed != 1 || !rep.OK() {
			t.Fatalf("run %d: %d passed, %d failed, %d skipped; want the scenario to pass: %+v", run, rep.Passed, rep.Failed, rep.Skipped, rep.Results)
		}
		pws := tap.take()
		if len(pws) != 1 {
			t.Fatalf("run %d sent %d logins; want exactly 1", run, len(pws))
		}
		pw := pws[0]
		if pw == suite.SimPassword {
			t.Fatalf("run %d sent the real password as the wrong one", run)
		}
		if n := utf8.RuneCountInString(pw); n < 1 || n > 30 {
			t.Errorf("run %d: wrong password of %d characters; the spec allows 1-30", run, n)
		}
		sent = append(sent, pw)
	}
	if sent[0] == sent[1] {
		t.Errorf("both runs sent the same wrong password; want a new one per run")
	}
}
