package suite_test

import (
	"bytes"
	"context"
	"encoding/xml"
	"strings"
	"testing"
	"time"

	"github.com/csconnect/csconnect/conformance"
	"github.com/csconnect/csconnect/conformance/suite"
)

// parsedJUnit is what a CI system reads back from the report.
type parsedJUnit struct {
	XMLName  xml.Name `xml:"testsuites"`
	Tests    int      `xml:"tests,attr"`
	Failures int      `xml:"failures,attr"`
	Skipped  int      `xml:"skipped,attr"`
	Suites   []struct {
		Name     string `xml:"name,attr"`
		Tests    int    `xml:"tests,attr"`
		Failures int    `xml:"failures,attr"`
		Skipped  int    `xml:"skipped,attr"`
		Cases    []struct {
			Name      string `xml:"name,attr"`
			Classname string `xml:"classname,attr"`
			Time      string `xml:"time,attr"`
			Skipped   *struct {
				Message string `xml:"message,attr"`
			} `xml:"skipped"`
			Failures []struct {
				Message string `xml:"message,attr"`
				Type    string `xml:"type,attr"`
				Text    string `xml:",chardata"`
			} `xml:"failure"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func parseJUnit(t *testing.T, b []byte) parsedJUnit {
	t.Helper()
	var p parsedJUnit
	if err := xml.Unmarshal(b, &p); err != nil {
		t.Fatalf("xml.Unmarshal(report) = %v\n%s", err, b)
	}
	if len(p.Suites) != 1 {
		t.Fatalf("report has %d testsuites; want 1\n%s", len(p.Suites), b)
	}
	return p
}

func TestWriteJUnit(t *testing.T) {
	bad := conformance.Exchange{Method: "POST", Path: "/v1/authenticate", Status: 401, Violations: []conformance.Violation{
		{Phase: conformance.PhaseResponse, Method: "POST", Path: "/v1/authenticate", Status: 401, Message: `response header Content-Type has unexpected value`},
		{Phase: conformance.PhaseResponse, Method: "POST", Path: "/v1/authenticate", Status: 401, Message: `at /message: <missing> & "quoted"`},
	}}
	good := conformance.Exchange{Method: "POST", Path: "/v1/authenticate", Status: 200}
	check := "authenticate(wrong password) = 403; want 401"
	rep := &suite.Report{Mode: "simulator", Scenarios: 3, Passed: 1, Failed: 1, Skipped: 1, Duration: 1500 * time.Millisecond, Results: []suite.Result{
		{Name: "login-valid", Verdict: suite.Pass, Exchanges: 1, Duration: 2 * time.Millisecond, Detail: []conformance.Exchange{good}},
		{Name: "login-wrong-password-live", Verdict: suite.Skip, Reason: "covered by login-wrong-password-text and -json"},
		{Name: "login-case-sensitive", Verdict: suite.Fail, Exchanges: 2, Detail: []conformance.Exchange{good, bad},
			Problems: append([]string{check}, bad.Problems()...)},
	}}
	var b bytes.Buffer
	if err := suite.WriteJUnit(&b, rep, []string{"prism: request body does not match"}); err != nil {
		t.Fatalf("WriteJUnit() = %v", err)
	}
	if !strings.HasPrefix(b.String(), `<?xml version="1.0" encoding="UTF-8"?>`) {
		t.Errorf("report does not start with the XML declaration:\n%s", b.String())
	}
	p := parseJUnit(t, b.Bytes())
	s := p.Suites[0]
	if p.Tests != 4 || p.Failures != 2 || p.Skipped != 1 || s.Tests != 4 || s.Failures != 2 || s.Skipped != 1 {
		t.Errorf("counts = tests %d/%d, failures %d/%d, skipped %d/%d; want 4, 2, 1", p.Tests, s.Tests, p.Failures, s.Failures, p.Skipped, s.Skipped)
	}
	byName := map[string]int{}
	for i, c := range s.Cases {
		byName[c.Name] = i
		if c.Classname != "csconnect.conformance.simulator" || c.Time == "" {
			t.Errorf("testcase %s: classname %q, time %q", c.Name, c.Classname, c.Time)
		}
	}
	if c := s.Cases[byName["login-valid"]]; c.Skipped != nil || len(c.Failures) != 0 || c.Time != "0.002" {
		t.Errorf("login-valid = %+v; want a plain pass of 0.002 s", c)
	}
	if c := s.Cases[byName["login-wrong-password-live"]]; c.Skipped == nil || !strings.Contains(c.Skipped.Message, "covered by") {
		t.Errorf("login-wrong-password-live = %+v; want skipped with its reason", c)
	}
	fails := s.Cases[byName["login-case-sensitive"]].Failures
	if len(fails) != 2 {
		t.Fatalf("login-case-sensitive has %d failures; want 2 (one violation, one check): %+v", len(fails), fails)
	}
	if f := fails[0]; f.Type != "violation" || !strings.Contains(f.Message, "POST /v1/authenticate answered 401: 2 violations") ||
		!strings.Contains(f.Text, "Content-Type has unexpected value") || !strings.Contains(f.Text, `<missing> & "quoted"`) {
		t.Errorf("violation failure = %+v", f)
	}
	if f := fails[1]; f.Type != "check" || f.Message != check {
		t.Errorf("check failure = %+v; want %q", f, check)
	}
	if c := s.Cases[byName["external-violations"]]; len(c.Failures) != 1 || c.Failures[0].Type != "external" {
		t.Errorf("external-violations = %+v; want one external failure", c)
	}
}

// TestWriteJUnitFromDriftingRun writes the report of a real run against a server
// that breaks the contract: the failure carries the violation, and the report
// holds neither the password nor a token.
func TestWriteJUnitFromDriftingRun(t *testing.T) {
	st := startSim(t)
	target := st.Target
	target.Base = breakContentType{st.Base}
	match := func(name string) bool { return name == "login-case-sensitive" || name == "login-valid" }
	rep := suite.Run(context.Background(), suite.Config{Mode: "simulator", Target: target, Match: match}, suite.Scenarios())
	var b bytes.Buffer
	if err := suite.WriteJUnit(&b, rep, nil); err != nil {
		t.Fatalf("WriteJUnit() = %v", err)
	}
	out := b.String()
	for _, secret := range []string{suite.SimPassword, "eyJhbGciOi"} {
		if strings.Contains(out, secret) {
			t.Errorf("JUnit report holds a secret %q:\n%s", secret, out)
		}
	}
	p := parseJUnit(t, b.Bytes())
	if p.Tests != 2 || p.Failures != 1 {
		t.Fatalf("report: %d tests, %d failures; want 2, 1\n%s", p.Tests, p.Failures, out)
	}
	for _, c := range p.Suites[0].Cases {
		if c.Name != "login-case-sensitive" {
			continue
		}
		if len(c.Failures) != 1 || c.Failures[0].Type != "violation" || !strings.Contains(c.Failures[0].Text, "Content-Type") {
			t.Errorf("login-case-sensitive failures = %+v; want one Content-Type violation", c.Failures)
		}
	}
}
