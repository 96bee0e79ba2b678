package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// writeScript writes an executable shell script into a fresh directory.
func writeScript(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestAgentRunsTheHelper: `csconnect agent ARGS` runs `csconnect-agent agent ARGS`
// with csconnect's stdout and stderr, and exits with its code.
func TestAgentRunsTheHelper(t *testing.T) {
	t.Parallel()
	helper := writeScript(t, agentHelper.bin, "echo \"args: $*\"\necho oops >&2\nexit 3\n")
	code, out, errOut := runCmd(t, context.Background(), map[string]string{"CSCONNECT_AGENT": helper}, "agent", "--listen", "127.0.0.1:0", "-v")
	if code != 3 || out != "args: agent --listen 127.0.0.1:0 -v\n" || errOut != "oops\n" {
		t.Errorf("csconnect agent = %d, stdout %q, stderr %q; want 3, the helper's args and output", code, out, errOut)
	}
}

// TestAgentWithoutHelper: without the helper the command says how to get it and
// exits 2.
func TestAgentWithoutHelper(t *testing.T) {
	t.Parallel()
	vars := map[string]string{"CSCONNECT_AGENT": filepath.Join(t.TempDir(), "missing")}
	code, _, errOut := runCmd(t, context.Background(), vars, "agent")
	if code != exitUsage || !strings.Contains(errOut, "go install") || !strings.Contains(errOut, "CSCONNECT_AGENT") {
		t.Errorf("csconnect agent without the helper = %d, stderr %q; want %d and how to install it", code, errOut, exitUsage)
	}
}

// TestAgentBecomesTheHelper: run as a process, `csconnect agent` replaces itself
// with the helper (execve): the helper's pid is the one csconnect was started with,
// so signals sent to it reach the agent with nothing in between, and its stdin,
// stdout and exit code are the process's.
func TestAgentBecomesTheHelper(t *testing.T) {
	t.Parallel()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	helper := writeScript(t, agentHelper.bin, "read line\necho \"pid $$ args $* stdin $line\"\nexit 4\n")
	cmd := exec.Command(exe, "agent", "--listen", "127.0.0.1:0")
	cmd.Env = append(os.Environ(), "CSCONNECT_RUN_MAIN=1", "CSCONNECT_AGENT="+helper)
	cmd.Stdin = strings.NewReader("hello\n")
	out, err := cmd.Output()
	if cmd.ProcessState == nil || cmd.ProcessState.ExitCode() != 4 {
		t.Fatalf("csconnect agent: %v; want the helper's exit code 4", err)
	}
	want := "pid " + strconv.Itoa(cmd.ProcessState.Pid()) + " args agent --listen 127.0.0.1:0 stdin hello\n"
	if string(out) != want {
		t.Errorf("stdout %q; want %q (the helper in csconnect's own process)", out, want)
	}
}

// TestHelperChildStoppedByCancel: where csconnect cannot become the helper, a
// cancelled context (not by a signal the child was already sent) stops the child
// with SIGTERM, and its exit code is returned.
func TestHelperChildStoppedByCancel(t *testing.T) {
	t.Parallel()
	helper := writeScript(t, agentHelper.bin, "trap 'echo term; exit 0' TERM\necho up\nwhile :; do sleep 0.05; done\n")
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan int, 1)
	var errOut strings.Builder
	go func() {
		done <- runChild(ctx, helper, []string{"agent"}, environ{Stdin: strings.NewReader(""), Stdout: pw, Stderr: &errOut})
		pw.Close()
	}()
	buf := make([]byte, 3)
	if _, err := pr.Read(buf); err != nil || string(buf) != "up\n" {
		t.Fatalf("child did not start: %q %v", buf, err)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("runChild after cancel = %d; want the child's 0 after its TERM trap", code)
	}
	b := make([]byte, 64)
	n, _ := pr.Read(b)
	if !strings.Contains(string(b[:n]), "term") {
		t.Errorf("child output after cancel %q; want its TERM trap's", b[:n])
	}
}

// TestCLILinksNoHelperDependencies: the csconnect binary links none of the
// packages whose init would cost every `csconnect token` milliseconds at start
// (issue 11, item 7); the helper binaries that need them link them: the agent
// (cmd/csconnect-agent) the OpenTelemetry Prometheus exporter and
// prometheus/client_golang, the conformance suite (cmd/csconnect-conformance)
// kin-openapi, a JSON Schema compiler and YAML.
func TestCLILinksNoHelperDependencies(t *testing.T) {
	t.Parallel()
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	out, err := exec.Command(gobin, "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for _, heavy := range []string{
		"go.opentelemetry.io/otel/exporters/prometheus", "github.com/prometheus/client_golang", // the agent's
		"github.com/getkin/kin-openapi", "github.com/santhosh-tekuri/jsonschema", "gopkg.in/yaml", "github.com/oasdiff/yaml", // the suite's
	} {
		if strings.Contains(string(out), heavy) {
			t.Errorf("cmd/csconnect links %s", heavy)
		}
	}
}
