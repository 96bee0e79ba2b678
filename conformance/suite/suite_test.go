package suite_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/csconnect/csconnect/conformance"
	"github.com/csconnect/csconnect/conformance/simulator"
	"github.com/csconnect/csconnect/conformance/suite"
)

func startSim(t *testing.T) *suite.SimTarget {
	t.Helper()
	st, err := suite.StartSimulator("127.0.0.1:0")
	if err != nil {
		t.Fatalf("StartSimulator() = %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// TestSuiteAgainstSimulator runs every scenario against the embedded simulator:
// each must pass (or skip for a documented reason) and every exchange conform.
func TestSuiteAgainstSimulator(t *testing.T) {
	st := startSim(t)
	rep := suite.Run(context.Background(), suite.Config{Mode: "simulator", Target: st.Target}, suite.Scenarios())
	for _, r := range rep.Results {
		t.Run(r.Name, func(t *testing.T) {
			switch r.Verdict {
			case suite.Fail:
				t.Errorf("%s: %s", r.Name, strings.Join(r.Problems, "\n  "))
			case suite.Skip:
				t.Skipf("%s: %s", r.Name, r.Reason)
			}
			if r.Verdict == suite.Pass && r.Exchanges == 0 {
				t.Errorf("%s passed with no exchanges", r.Name)
			}
		})
	}
	if !rep.OK() {
		t.Errorf("Report.OK() = false: %d passed, %d failed", rep.Passed, rep.Failed)
	}
}

// TestSuitePassesWithEveryFormat runs the suite against simulators started with
// each response format the simulator offers (each scenario that does not choose
// formats itself meets them), pairing the 401 and Token Expired formats.
func TestSuitePassesWithEveryFormat(t *testing.T) {
	pairs := []struct{ unauthorized, tokenExpired string }{
		{"json", "envelope"},
		{"alternate", "error"},
		{"text", "alternate"},
	}
	for _, p := range pairs {
		t.Run(p.unauthorized+","+p.tokenExpired, func(t *testing.T) {
			u, err := simulator.ParseUnauthorizedFormat(p.unauthorized)
			if err != nil {
				t.Fatal(err)
			}
			x, err := simulator.ParseTokenExpiredFormat(p.tokenExpired)
			if err != nil {
				t.Fatal(err)
			}
			st, err := suite.StartSimulator("127.0.0.1:0", func(o *simulator.Options) { o.Unauthorized, o.TokenExpired = u, x })
			if err != nil {
				t.Fatalf("StartSimulator() = %v", err)
			}
			t.Cleanup(func() { st.Close() })
			rep := suite.Run(context.Background(), suite.Config{Mode: "simulator", Target: st.Target}, suite.Scenarios())
			for _, r := range rep.Results {
				if r.Verdict == suite.Fail {
					t.Errorf("%s: %s", r.Name, strings.Join(r.Problems, "\n  "))
				}
			}
			if !rep.OK() {
				t.Errorf("Report.OK() = false: %d passed, %d failed", rep.Passed, rep.Failed)
			}
		})
	}
}

// breakContentType rewrites the Content-Type of every 401 to one the spec does not
// allow, standing in for a vendor (or simulator) that drifted from the contract.
type breakContentType struct{ base http.RoundTripper }

func (b breakContentType) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := b.base.RoundTrip(req)
	if err == nil && resp.StatusCode == http.StatusUnauthorized {
		resp.Header.Set("Content-Type", "application/xml")
	}
	return resp, err
}

// TestSuiteCatchesDrift checks that a server answering outside the contract fails
// the run, even though every scenario's own checks on status pass.
func TestSuiteCatchesDrift(t *testing.T) {
	st := startSim(t)
	target := st.Target
	target.Base = breakContentType{st.Base}
	match := func(name string) bool { return name == "login-case-sensitive" }
	rep := suite.Run(context.Background(), suite.Config{Target: target, Match: match}, suite.Scenarios())
	if rep.OK() || rep.Failed != 1 {
		t.Fatalf("Run(drifting server) = %d passed, %d failed; want 1 failed", rep.Passed, rep.Failed)
	}
	if p := strings.Join(rep.Results[0].Problems, " "); !strings.Contains(p, "Content-Type") {
		t.Errorf("problems = %q; want a Content-Type violation", p)
	}
}

func conformanceTestTransport(t *testing.T) http.RoundTripper {
	return conformance.NewTestTransport(t, nil)
}
