package suite

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"time"
)

// The JUnit XML elements WriteJUnit writes: the subset of the schema that CI
// systems (Jenkins, GitLab, GitHub Actions reporters) read.
type (
	junitSuites struct {
		XMLName  xml.Name     `xml:"testsuites"`
		Name     string       `xml:"name,attr"`
		Tests    int          `xml:"tests,attr"`
		Failures int          `xml:"failures,attr"`
		Errors   int          `xml:"errors,attr"`
		Skipped  int          `xml:"skipped,attr"`
		Time     string       `xml:"time,attr"`
		Suites   []junitSuite `xml:"testsuite"`
	}
	junitSuite struct {
		Name       string          `xml:"name,attr"`
		Tests      int             `xml:"tests,attr"`
		Failures   int             `xml:"failures,attr"`
		Errors     int             `xml:"errors,attr"`
		Skipped    int             `xml:"skipped,attr"`
		Time       string          `xml:"time,attr"`
		Properties []junitProperty `xml:"properties>property,omitempty"`
		Cases      []junitCase     `xml:"testcase"`
	}
	junitProperty struct {
		Name  string `xml:"name,attr"`
		Value string `xml:"value,attr"`
	}
	junitCase struct {
		Name      string         `xml:"name,attr"`
		Classname string         `xml:"classname,attr"`
		Time      string         `xml:"time,attr"`
		Skipped   *junitSkipped  `xml:"skipped"`
		Failures  []junitFailure `xml:"failure"`
	}
	junitSkipped struct {
		Message string `xml:"message,attr"`
	}
	junitFailure struct {
		Message string `xml:"message,attr"`
		Type    string `xml:"type,attr"`
		Text    string `xml:",chardata"`
	}
)

// The failure types in a JUnit report.
const (
	junitViolation = "violation" // an exchange broke openapi.yaml
	junitCheck     = "check"     // a scenario's own check failed
	junitExternal  = "external"  // a problem found outside the exchanges (Prism's log)
)

// WriteJUnit writes rep as a JUnit XML report: one testcase per scenario, a
// skipped element for a skipped one, and for a failed one a failure per
// non-conforming exchange (type "violation", carrying that exchange's violations)
// and per failed check of the scenario's own (type "check"). external are
// problems found outside the exchanges (Prism's log); when there are any, they
// are one more testcase, "external-violations", failed. Violations are redacted
// when recorded, so the report holds neither the password nor a token.
//
// The failures are read from each Result's Detail, so write the report before
// dropping Detail from passing results.
func WriteJUnit(w io.Writer, rep *Report, external []string) error {
	class := "csconnect.conformance." + rep.Mode
	suite := junitSuite{
		Name:       "csconnect conformance (" + rep.Mode + ")",
		Time:       seconds(rep.Duration),
		Properties: []junitProperty{{Name: "mode", Value: rep.Mode}, {Name: "exchanges", Value: fmt.Sprint(rep.Exchanges)}},
	}
	for _, r := range rep.Results {
		c := junitCase{Name: r.Name, Classname: class, Time: seconds(r.Duration)}
		switch r.Verdict {
		case Skip:
			c.Skipped = &junitSkipped{Message: r.Reason}
		case Fail:
			c.Failures = resultFailures(r)
		}
		suite.add(c)
	}
	if len(external) > 0 {
		c := junitCase{Name: "external-violations", Classname: class, Time: seconds(0)}
		for _, v := range external {
			c.Failures = append(c.Failures, junitFailure{Message: v, Type: junitExternal, Text: v})
		}
		suite.add(c)
	}
	doc := junitSuites{
		Name: "csconnect conformance", Tests: suite.Tests, Failures: suite.Failures,
		Skipped: suite.Skipped, Time: suite.Time, Suites: []junitSuite{suite},
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func (s *junitSuite) add(c junitCase) {
	s.Tests++
	switch {
	case c.Skipped != nil:
		s.Skipped++
	case len(c.Failures) > 0:
		s.Failures++
	}
	s.Cases = append(s.Cases, c)
}

// resultFailures turns a failed result into failures: one per non-conforming
// exchange, then one per problem that no exchange accounts for (the scenario's
// own checks).
func resultFailures(r Result) []junitFailure {
	var out []junitFailure
	fromExchanges := map[string]int{}
	for _, x := range r.Detail {
		problems := x.Problems()
		if len(problems) == 0 {
			continue
		}
		for _, p := range problems {
			fromExchanges[p]++
		}
		what := fmt.Sprintf("%s %s", x.Method, x.Path)
		if x.Status != 0 {
			what += fmt.Sprintf(" answered %d", x.Status)
		}
		unit := "violations"
		if len(problems) == 1 {
			unit = "violation"
		}
		out = append(out, junitFailure{
			Message: fmt.Sprintf("%s: %d %s of openapi.yaml", what, len(problems), unit),
			Type:    junitViolation,
			Text:    strings.Join(problems, "\n"),
		})
	}
	for _, p := range r.Problems {
		if fromExchanges[p] > 0 {
			fromExchanges[p]--
			continue
		}
		out = append(out, junitFailure{Message: p, Type: junitCheck, Text: p})
	}
	if len(out) == 0 {
		out = append(out, junitFailure{Message: "failed", Type: junitCheck})
	}
	return out
}

// seconds renders d as JUnit's time attribute: seconds, three decimals.
func seconds(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) }
