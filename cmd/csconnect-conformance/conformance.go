package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/csconnect/csconnect/conformance/suite"
	"github.com/csconnect/csconnect/internal/cmdmain"
)

func init() {
	commands["conformance"] = command{Run: runConformance} // its summary is cmd/csconnect's, which lists it
}

// Exit codes of `csconnect conformance`: 0 when every scenario that ran passed and
// every exchange conformed, 1 otherwise, 2 on a usage error, a setup failure or a
// --junit file that cannot be written.
const exitFailed = 1

func runConformance(ctx context.Context, args []string, env environ) int {
	if len(args) > 0 && args[0] == "diff" {
		return runConformanceDiff(args[1:], env)
	}
	fs := flag.NewFlagSet("csconnect conformance", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print the report as one JSON document instead of lines")
	junit := fs.String("junit", "", "also write the report as JUnit XML to this file (a testcase per scenario)")
	run := fs.String("run", "", "run only scenarios whose name matches this regular expression")
	list := fs.Bool("list", false, "list the scenarios and exit")
	live := fs.Bool("live", false, "run the scenarios that are safe against the real service at $CREDITSAFE_BASE_URL with $CREDITSAFE_USERNAME and $CREDITSAFE_PASSWORD")
	allowInvalid := fs.Bool("allow-invalid", false, "with --live, also send exactly one login with a wrong password, random per run; every run sends one, and the vendor can lock an account after three")
	serviceURL := fs.String("service-url", "", "with --live, the base URL of GET /datecheck/company (default $CREDITSAFE_SERVICE_URL; none skips those scenarios)")
	fixtures := fs.String("fixtures", "", "save every response, secrets removed, as .snap files in this directory")
	prism := fs.String("prism", "", "path to the prism executable: run the suite through `prism proxy --errors` in front of the simulator")
	spec := fs.String("spec", "openapi.yaml", "with --prism, the document Prism validates the authenticate exchanges against")
	serviceSpec := fs.String("service-spec", "datecheck.yaml", "with --prism, the document a second Prism validates the protected service's exchanges against")
	timeout := fs.Duration("timeout", suite.DefaultTimeout, "timeout of each request")
	const usage = "usage: csconnect conformance [--json] [--junit FILE] [--run REGEXP] [--live [--allow-invalid] [--service-url URL]] [--fixtures DIR] [--prism PATH [--spec FILE] [--service-spec FILE]]\n" +
		"       csconnect conformance diff OLD NEW\n"
	if code, ok := cmdmain.ParseFlags(fs, args, usage, env.Stderr); !ok {
		return code
	}
	scenarios := suite.Scenarios()
	if *list {
		for _, s := range scenarios {
			fmt.Fprintf(env.Stdout, "%-32s %s\n", s.Name, s.Doc)
		}
		return 0
	}
	cfg := suite.Config{Mode: "simulator", Timeout: *timeout, Live: *live, AllowInvalid: *allowInvalid}
	if *run != "" {
		re, err := regexp.Compile(*run)
		if err != nil {
			fmt.Fprintf(env.Stderr, "csconnect conformance: --run: %v\n", err)
			return exitUsage
		}
		cfg.Match = re.MatchString
	}
	if *allowInvalid && !*live {
		fmt.Fprintln(env.Stderr, "csconnect conformance: --allow-invalid only applies to --live runs")
		return exitUsage
	}

	switch {
	case *live:
		if *prism != "" {
			fmt.Fprintln(env.Stderr, "csconnect conformance: --live and --prism cannot be combined")
			return exitUsage
		}
		t, err := liveTarget(env, *serviceURL)
		if err != nil {
			fmt.Fprintf(env.Stderr, "csconnect conformance: %v\n", err)
			return exitUsage
		}
		cfg.Mode, cfg.Target = "live", t
	default:
		if env.Getenv("CREDITSAFE_BASE_URL") != "" {
			fmt.Fprintln(env.Stderr, "csconnect conformance: CREDITSAFE_BASE_URL is set but ignored without --live; using the embedded simulator")
		}
		st, err := suite.StartSimulator("127.0.0.1:0")
		if err != nil {
			fmt.Fprintf(env.Stderr, "csconnect conformance: %v\n", err)
			return exitUsage
		}
		defer st.Close()
		cfg.Target = st.Target
		if *prism != "" {
			// One Prism per document, each with its one server: the authenticate
			// exchanges go through the first, the protected service's through the
			// second, both proxying to the simulator.
			auth, err := suite.StartPrism(ctx, suite.PrismOptions{Bin: *prism, Spec: *spec, Upstream: "http://" + st.Addr})
			if err != nil {
				fmt.Fprintf(env.Stderr, "csconnect conformance: %v\n", err)
				return exitUsage
			}
			defer auth.Close()
			svc, err := suite.StartPrism(ctx, suite.PrismOptions{Bin: *prism, Spec: *serviceSpec, Upstream: "http://" + st.Addr})
			if err != nil {
				fmt.Fprintf(env.Stderr, "csconnect conformance: %v\n", err)
				return exitUsage
			}
			defer svc.Close()
			cfg.Mode = "prism"
			cfg.Target.DirectURL = cfg.Target.AuthURL
			cfg.Target.AuthURL, cfg.Target.ServiceURL = auth.URL, svc.URL
			cfg.Target.Base = auth.Transport(svc.Transport(cfg.Target.Base))
			violations := func() []string { return append(auth.Violations(), svc.Violations()...) }
			return runAndReport(ctx, cfg, scenarios, output{*asJSON, *junit, *fixtures}, env, violations)
		}
	}
	return runAndReport(ctx, cfg, scenarios, output{*asJSON, *junit, *fixtures}, env, nil)
}

// output says where a run's report and responses go.
type output struct {
	json     bool   // one JSON document on stdout instead of lines
	junit    string // a JUnit XML file to write, or ""
	fixtures string // a directory for .snap fixtures, or ""
}

// liveTarget reads the live target from the environment. Credentials only travel
// over HTTPS (plain HTTP only to a loopback host, for local proxies). Only these
// URLs are checked: the suite's clients never follow a redirect, so a 3xx fails
// the run instead of taking the password or the token somewhere else.
func liveTarget(env environ, serviceURL string) (suite.Target, error) {
	t := suite.Target{
		AuthURL:  strings.TrimSuffix(env.Getenv("CREDITSAFE_BASE_URL"), "/"),
		Username: env.Getenv("CREDITSAFE_USERNAME"),
		Password: env.Getenv("CREDITSAFE_PASSWORD"),
	}
	if serviceURL == "" {
		serviceURL = env.Getenv("CREDITSAFE_SERVICE_URL")
	}
	t.ServiceURL = strings.TrimSuffix(serviceURL, "/")
	if t.AuthURL == "" || t.Username == "" || t.Password == "" {
		return t, errors.New("--live needs CREDITSAFE_BASE_URL, CREDITSAFE_USERNAME and CREDITSAFE_PASSWORD")
	}
	for name, u := range map[string]string{"CREDITSAFE_BASE_URL": t.AuthURL, "service URL": t.ServiceURL} {
		if u == "" {
			continue
		}
		if err := checkSecureURL(u); err != nil {
			return t, fmt.Errorf("%s: %v", name, err)
		}
	}
	t.Base = &http.Transport{Proxy: http.ProxyFromEnvironment, TLSHandshakeTimeout: 10 * time.Second}
	return t, nil
}

// checkSecureURL accepts https URLs, and http URLs to a loopback host.
func checkSecureURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return fmt.Errorf("not an absolute URL")
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		host := u.Hostname()
		if ip := net.ParseIP(host); (ip != nil && ip.IsLoopback()) || host == "localhost" {
			return nil
		}
		return fmt.Errorf("plain http is allowed only to a loopback host; credentials and tokens need https")
	}
	return fmt.Errorf("scheme %q is not https", u.Scheme)
}

// runAndReport runs the suite and prints one line per scenario as it goes, then a
// summary; with out.json, one JSON document at the end instead; with out.junit,
// also a JUnit XML file. extra, when set, returns problems found outside the
// exchanges (Prism's log).
func runAndReport(ctx context.Context, cfg suite.Config, scenarios []suite.Scenario, out output, env environ, extra func() []string) int {
	asJSON := out.json
	if out.fixtures != "" {
		cfg.Target.Base = &suite.FixtureWriter{Dir: out.fixtures, Base: cfg.Target.Base}
	}
	var junitFile *os.File
	if out.junit != "" {
		// The report is written to a new file beside it and renamed over the name at
		// the end: CI often passes a fixed name in a checkout, where a symbolic link
		// can be committed under it, and a rename replaces the link where a write
		// would go through it. Created now, so an unwritable place fails before
		// anything is sent.
		f, err := os.CreateTemp(filepath.Dir(out.junit), "."+filepath.Base(out.junit)+".*")
		if err != nil {
			fmt.Fprintf(env.Stderr, "csconnect conformance: --junit: %v\n", err)
			return exitUsage
		}
		defer os.Remove(f.Name()) // nothing to remove once renamed
		defer f.Close()
		junitFile = f
	}
	if !asJSON {
		fmt.Fprintf(env.Stdout, "csconnect conformance: %s mode, %s\n", cfg.Mode, cfg.Target.AuthURL)
		cfg.OnResult = func(r suite.Result) { printResult(env.Stdout, r) }
	}
	rep := suite.Run(ctx, cfg, scenarios)
	var external []string
	if extra != nil {
		external = extra()
	}
	ok := rep.OK() && len(external) == 0
	if junitFile != nil {
		err := suite.WriteJUnit(junitFile, rep, external)
		if cerr := junitFile.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = os.Chmod(junitFile.Name(), 0o644) // CreateTemp makes 0600; a report holds no secret
		}
		if err == nil {
			err = os.Rename(junitFile.Name(), out.junit)
		}
		if err != nil {
			fmt.Fprintf(env.Stderr, "csconnect conformance: --junit: %v\n", err)
			return exitUsage
		}
	}
	if asJSON {
		for i := range rep.Results {
			if rep.Results[i].Verdict != suite.Fail {
				rep.Results[i].Detail = nil // keep the document small: detail only where it helps
			}
		}
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(struct {
			*suite.Report
			ExternalViolations []string `json:"external_violations,omitempty"`
			OK                 bool     `json:"ok"`
		}{rep, external, ok})
	} else {
		for _, v := range external {
			fmt.Fprintf(env.Stdout, "  prism: %s\n", v)
		}
		verdict := "ok"
		if !ok {
			verdict = "FAIL"
		}
		fmt.Fprintf(env.Stdout, "%s: %d scenarios: %d passed, %d failed, %d skipped; %d exchanges, %d non-conforming; %s\n",
			verdict, rep.Scenarios, rep.Passed, rep.Failed, rep.Skipped, rep.Exchanges, nonConforming(rep)+len(external), rep.Duration.Round(time.Millisecond))
	}
	if !ok {
		return exitFailed
	}
	return 0
}

func nonConforming(rep *suite.Report) int {
	n := 0
	for _, r := range rep.Results {
		for _, x := range r.Detail {
			if !x.Conforms() {
				n++
			}
		}
	}
	return n
}

// printResult writes one scenario's line (name, exchanges, verdict, time) and,
// indented under it, its problems or the reason it was skipped.
func printResult(w io.Writer, r suite.Result) {
	unit := "exchanges"
	if r.Exchanges == 1 {
		unit = "exchange"
	}
	fmt.Fprintf(w, "%-32s %4d %-9s  %-4s  %8s\n", r.Name, r.Exchanges, unit, r.Verdict, r.Duration.Round(100*time.Microsecond))
	for _, p := range r.Problems {
		fmt.Fprintf(w, "        %s\n", p)
	}
	if r.Reason != "" {
		fmt.Fprintf(w, "        skipped: %s\n", r.Reason)
	}
}
