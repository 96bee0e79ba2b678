package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/csconnect/csconnect/conformance/suite"
	"github.com/csconnect/csconnect/internal/simtest"
)

// runCmd runs the dispatcher with args and the given environment variables.
func runCmd(t *testing.T, ctx context.Context, vars map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(ctx, args, environ{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return vars[k] }})
	return code, out.String(), errb.String()
}

func TestConformanceReport(t *testing.T) {
	code, out, errOut := runCmd(t, context.Background(), nil, "conformance", "--run", "^login-valid$|^limit-")
	if code != 0 {
		t.Fatalf("conformance exit = %d; want 0\n%s%s", code, out, errOut)
	}
	for _, want := range []string{`(?m)^login-valid +1 exchange +PASS +\S+$`, `(?m)^limit-total-lockout +23 exchanges +PASS`, `ok: 3 scenarios: 3 passed, 0 failed, 0 skipped`} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("conformance output lacks %q:\n%s", want, out)
		}
	}
}

func TestConformanceJSON(t *testing.T) {
	code, out, _ := runCmd(t, context.Background(), nil, "conformance", "--json", "--run", "^service-")
	var rep struct {
		OK        bool
		Scenarios int
		Exchanges int
		Results   []struct{ Name, Verdict string }
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("conformance --json output is not JSON: %v\n%s", err, out)
	}
	if code != 0 || !rep.OK || rep.Scenarios != 5 || rep.Exchanges == 0 {
		t.Errorf("conformance --json = exit %d, %+v; want exit 0, ok, 5 scenarios with exchanges", code, rep)
	}
}

func TestConformanceJUnit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "junit.xml")
	code, out, errOut := runCmd(t, context.Background(), nil, "conformance", "--run", "^login-", "--junit", path)
	if code != 0 {
		t.Fatalf("conformance --junit = %d\n%s%s", code, out, errOut)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Cases    []struct {
			Name string `xml:"name,attr"`
		} `xml:"testsuite>testcase"`
	}
	if err := xml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("--junit file is not XML: %v\n%s", err, b)
	}
	var want []string
	for _, sc := range suite.Scenarios() {
		if strings.HasPrefix(sc.Name, "login-") {
			want = append(want, sc.Name)
		}
	}
	var got []string
	for _, c := range doc.Cases {
		got = append(got, c.Name)
	}
	if !slices.Equal(got, want) || doc.Tests != len(want) || doc.Failures != 0 {
		t.Errorf("JUnit testcases = %v (tests %d, failures %d); want %v, no failures", got, doc.Tests, doc.Failures, want)
	}
	if code, _, errOut := runCmd(t, context.Background(), nil, "conformance", "--run", "^login-valid$", "--junit", filepath.Join(t.TempDir(), "missing", "x.xml")); code != exitUsage || !strings.Contains(errOut, "--junit") {
		t.Errorf("conformance --junit <unwritable> = %d, %q; want %d", code, errOut, exitUsage)
	}
}

func TestConformanceUsage(t *testing.T) {
	tests := map[string]struct {
		vars map[string]string
		args []string
		want string
	}{
		"allow-invalid without live": {nil, []string{"--allow-invalid"}, "only applies to --live"},
		"live without env":           {nil, []string{"--live"}, "needs CREDITSAFE_BASE_URL"},
		"live over plain http":       {map[string]string{"CREDITSAFE_BASE_URL": "http://connect.creditsafe.com/v1", "CREDITSAFE_USERNAME": "u", "CREDITSAFE_PASSWORD": "secret-pw"}, []string{"--live"}, "https"},
		"bad regexp":                 {nil, []string{"--run", "("}, "--run"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			code, _, errOut := runCmd(t, context.Background(), tc.vars, append([]string{"conformance"}, tc.args...)...)
			if code != exitUsage || !strings.Contains(errOut, tc.want) {
				t.Errorf("conformance %v = %d, %q; want %d mentioning %q", tc.args, code, errOut, exitUsage, tc.want)
			}
			if strings.Contains(errOut, "secret-pw") {
				t.Errorf("the password leaked into stderr: %q", errOut)
			}
		})
	}
}

// TestConformanceLiveAgainstLoopback runs live mode against a simulator standing in
// for the sandbox: only the safe scenarios run, and the one invalid login only with
// --allow-invalid.
func TestConformanceLiveAgainstLoopback(t *testing.T) {
	base, stats := simtest.Start(t)
	vars := map[string]string{"CREDITSAFE_BASE_URL": base + "/v1", "CREDITSAFE_USERNAME": "liveUser", "CREDITSAFE_PASSWORD": "livePassword1"}
	dir := t.TempDir()
	code, out, errOut := runCmd(t, context.Background(), vars, "conformance", "--live", "--service-url", base, "--fixtures", dir)
	if code != 0 {
		t.Fatalf("conformance --live = %d\n%s%s", code, out, errOut)
	}
	if got := stats(); got.Authenticate != 1 || got.DateCheck != 1 {
		t.Errorf("live run sent %d logins and %d service calls; want exactly 1 and 1", got.Authenticate, got.DateCheck)
	}
	code, out, _ = runCmd(t, context.Background(), vars, "conformance", "--live", "--allow-invalid")
	if code != 0 {
		t.Fatalf("conformance --live --allow-invalid = %d\n%s", code, out)
	}
	if got := stats(); got.Unauthorized != 1 || got.Authenticate != 3 {
		t.Errorf("live run with --allow-invalid: %d invalid of %d logins in both runs; want 1 of 3", got.Unauthorized, got.Authenticate)
	}
	assertFixturesClean(t, dir, "livePassword1")
}

// TestConformanceLiveRefusesRedirects points --live at a loopback server that
// answers 307 to another one: the check on CREDITSAFE_BASE_URL covers only the
// first URL, so the run must not follow the redirect with the password or the
// token, and the 307 fails the run.
func TestConformanceLiveRefusesRedirects(t *testing.T) {
	var hits atomic.Int64
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		t.Errorf("the redirect was followed: %s %s reached the other server", r.Method, r.URL.Path)
	}))
	defer other.Close()
	redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+r.URL.RequestURI(), http.StatusTemporaryRedirect)
	}))
	defer redirect.Close()
	vars := map[string]string{"CREDITSAFE_BASE_URL": redirect.URL + "/v1", "CREDITSAFE_USERNAME": "liveUser", "CREDITSAFE_PASSWORD": "livePassword1"}
	junit := filepath.Join(t.TempDir(), "report.xml")
	code, out, errOut := runCmd(t, context.Background(), vars, "conformance", "--live", "--allow-invalid", "--service-url", redirect.URL, "--junit", junit)
	if report, err := os.ReadFile(junit); err != nil || !strings.Contains(string(report), "<failure") ||
		!strings.Contains(string(report), "307: status is not supported") || strings.Contains(string(report), "livePassword1") {
		t.Errorf("JUnit report of the failed run (%v) lacks the 307 failure or holds the password:\n%s", err, report)
	}
	if code != exitFailed {
		t.Errorf("conformance --live against a redirect = %d; want %d\n%s%s", code, exitFailed, out, errOut)
	}
	if !strings.Contains(out, "307: status is not supported") {
		t.Errorf("output does not report the 307 as undocumented:\n%s", out)
	}
	if hits.Load() != 0 {
		t.Errorf("the other server got %d requests; want none", hits.Load())
	}
	if strings.Contains(out+errOut, "livePassword1") {
		t.Errorf("the password leaked into the output")
	}
}

// TestConformanceDiff records fixtures with the command, then compares
// directories: 0 for no drift, 1 with the changes listed, 2 on a usage error.
func TestConformanceDiff(t *testing.T) {
	record := func() string {
		dir := t.TempDir()
		if code, out, errOut := runCmd(t, context.Background(), nil, "conformance", "--run", "^login-valid$|^login-case-sensitive$", "--fixtures", dir); code != 0 {
			t.Fatalf("conformance --fixtures = %d\n%s%s", code, out, errOut)
		}
		return dir
	}
	first, second := record(), record()
	if code, out, errOut := runCmd(t, context.Background(), nil, "conformance", "diff", first, second); code != 0 || !strings.Contains(out, "no drift") {
		t.Errorf("conformance diff (same server) = %d\n%s%s; want 0, no drift", code, out, errOut)
	}
	// Drift: the 401 turns into JSON, and one exchange disappears.
	files, _ := filepath.Glob(filepath.Join(second, "*-401.snap"))
	if len(files) != 1 {
		t.Fatalf("fixtures of 401 = %v; want one", files)
	}
	if err := os.WriteFile(files[0], []byte("HTTP/1.1 401 Unauthorized\nContent-Type: application/json\n\n{\"message\":\"Access denied\"}"), 0o644); err != nil {
		t.Fatal(err)
	}
	all, _ := filepath.Glob(filepath.Join(second, "*.snap"))
	if err := os.Remove(all[0]); err != nil {
		t.Fatal(err)
	}
	code, out, _ := runCmd(t, context.Background(), nil, "conformance", "diff", first, second)
	for _, want := range []string{`(?m)^removed +001-`, `(?m)^changed +\d+-post-v1-authenticate: content type "text/plain; charset=utf-8" -> "application/json"; body text -> json \{"message":string\}$`, `(?m)^drift: 1 changed, 0 added, 1 removed$`} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("conformance diff output lacks %s:\n%s", want, out)
		}
	}
	if code != exitDrift {
		t.Errorf("conformance diff (drift) = %d; want %d", code, exitDrift)
	}
	code, out, _ = runCmd(t, context.Background(), nil, "conformance", "diff", "--json", first, second)
	var changes []suite.FixtureChange
	if err := json.Unmarshal([]byte(out), &changes); err != nil || code != exitDrift || len(changes) != 2 {
		t.Errorf("conformance diff --json = %d, %v, %v; want 1 and two changes\n%s", code, changes, err, out)
	}
	for name, args := range map[string][]string{
		"one directory":     {"conformance", "diff", first},
		"three directories": {"conformance", "diff", first, second, second},
		"missing directory": {"conformance", "diff", first, filepath.Join(t.TempDir(), "nope")},
		"empty directory":   {"conformance", "diff", first, t.TempDir()},
	} {
		if code, _, errOut := runCmd(t, context.Background(), nil, args...); code != exitUsage || errOut == "" {
			t.Errorf("%s: %v = %d, %q; want %d with a message", name, args, code, errOut, exitUsage)
		}
	}
}

// TestConformanceJUnitReplacesPlantedLink: CI runs the suite in a checkout, often
// with a fixed --junit name (conformance.xml), where a pull request can commit a
// symbolic link under that name. The report replaces the link; the file it names
// (an authorized_keys, a shell profile) is never written.
func TestConformanceJUnitReplacesPlantedLink(t *testing.T) {
	victim := filepath.Join(t.TempDir(), "authorized_keys")
	const original = "ssh-ed25519 AAAA the user's own key\n"
	if err := os.WriteFile(victim, []byte(original), 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "conformance.xml")
	if err := os.Symlink(victim, path); err != nil {
		t.Skipf("no symbolic links here: %v", err)
	}
	code, out, errOut := runCmd(t, context.Background(), nil, "conformance", "--run", "^login-valid$", "--junit", path)
	if code != 0 {
		t.Fatalf("conformance --junit = %d\n%s%s", code, out, errOut)
	}
	if got, _ := os.ReadFile(victim); string(got) != original {
		t.Errorf("the file a planted link named now holds %q; want it untouched", got)
	}
	if fi, err := os.Lstat(path); err != nil || !fi.Mode().IsRegular() {
		t.Errorf("--junit %s: %v, %v; want a regular file replacing the link", path, fi, err)
	} else if b, _ := os.ReadFile(path); !strings.Contains(string(b), "<testsuites") {
		t.Errorf("--junit %s = %q; want the report", path, b)
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".*")); len(left) != 0 {
		t.Errorf("temporary files left beside the report: %v", left)
	}
}
