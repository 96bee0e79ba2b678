package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"

	"github.com/csconnect/csconnect/conformance/simulator"
)

// startSimCmd runs `csconnect sim` on a free port with credentials from the
// environment and returns its base URL and a stats reader. The command is stopped
// (and its exit code checked) at cleanup.
func startSimCmd(t *testing.T, flags ...string) (base string, stats func() simulator.Stats) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	vars := map[string]string{"CREDITSAFE_USERNAME": "liveUser", "CREDITSAFE_PASSWORD": "livePassword1"}
	go func() {
		done <- run(ctx, append([]string{"sim", "--addr", "127.0.0.1:0"}, flags...), environ{Stdout: pw, Stderr: io.Discard, Getenv: func(k string) string { return vars[k] }})
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		cancel()
		t.Fatalf("sim printed nothing: %v", err)
	}
	go io.Copy(io.Discard, pr)
	base = "http://" + strings.TrimSpace(line)
	t.Cleanup(func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("sim exit after cancel = %d; want 0", code)
		}
	})
	return base, func() simulator.Stats {
		resp, err := http.Get(base + "/_sim/stats")
		if err != nil {
			t.Fatalf("GET /_sim/stats: %v", err)
		}
		defer resp.Body.Close()
		var s simulator.Stats
		if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
			t.Fatalf("decode stats: %v", err)
		}
		return s
	}
}

func TestSimServesAndStops(t *testing.T) {
	base, stats := startSimCmd(t)
	resp, err := http.Post(base+"/v1/authenticate", "application/json", strings.NewReader(`{"username":"liveUser","password":"livePassword1"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("POST /v1/authenticate = %d; want 200", resp.StatusCode)
	}
	if got := stats(); got.Authenticate != 1 || got.TokensIssued != 1 {
		t.Errorf("stats = %+v; want 1 authenticate, 1 token", got)
	}
}

// TestSimPrintsBoundAddress runs the command as a process, as a script would:
// with --addr 127.0.0.1:0 its stdout is one line, the host:port it bound, which
// answers, and SIGINT stops it with exit 0 and nothing more on stdout.
func TestSimPrintsBoundAddress(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("stops the command with SIGINT")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "sim", "--addr", "127.0.0.1:0")
	cmd.Env = append(os.Environ(), "CSCONNECT_RUN_MAIN=1", "CREDITSAFE_USERNAME=scriptUser", "CREDITSAFE_PASSWORD=scriptPassword1")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	out := bufio.NewReader(stdout)
	line, err := out.ReadString('\n')
	if err != nil {
		t.Fatalf("first stdout line: %v (stderr: %s)", err, stderr.String())
	}
	addr := strings.TrimSuffix(line, "\n")
	host, port, err := net.SplitHostPort(addr)
	if err != nil || host != "127.0.0.1" || port == "0" || port == "" {
		t.Fatalf("first stdout line = %q; want 127.0.0.1:<port>", line)
	}
	resp, err := http.Get("http://" + addr + "/_sim/openapi.yaml")
	if err != nil {
		t.Fatalf("GET /_sim/openapi.yaml at the printed address: %v", err)
	}
	spec, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.Equal(spec, simulator.ControlSpec()) {
		t.Errorf("GET /_sim/openapi.yaml = %d, %d bytes; want 200 and the control document", resp.StatusCode, len(spec))
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	rest, _ := io.ReadAll(out)
	if err := cmd.Wait(); err != nil {
		t.Errorf("sim after SIGINT: %v; want exit 0 (stderr: %s)", err, stderr.String())
	}
	if len(rest) != 0 {
		t.Errorf("stdout after the address = %q; want nothing (the rest goes to stderr)", rest)
	}
	if !strings.Contains(stderr.String(), "listening on http://"+addr) {
		t.Errorf("stderr = %q; want the listening line", stderr.String())
	}
}

// TestSimFormatFlags starts the command with each format flag and checks the
// simulator answers in that shape.
func TestSimFormatFlags(t *testing.T) {
	base, _ := startSimCmd(t, "--unauthorized", "json", "--token-expired", "error")
	resp, err := http.Post(base+"/v1/authenticate", "application/json", strings.NewReader(`{"username":"liveUser","password":"wrong"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != 401 || ct != "application/json" {
		t.Errorf("401 with --unauthorized json = %d %q; want 401 application/json", resp.StatusCode, ct)
	}
}

func TestSimUsage(t *testing.T) {
	tests := map[string][]string{
		"no credentials": {"sim", "--addr", "127.0.0.1:0"},
		"bad format":     {"sim", "--username", "u", "--password", "p", "--unauthorized", "xml"},
		"error for 401":  {"sim", "--username", "u", "--password", "p", "--unauthorized", "error"},
		"bad expired":    {"sim", "--username", "u", "--password", "p", "--token-expired", "json"},
		"bad ttl":        {"sim", "--username", "u", "--password", "p", "--token-ttl", "-1s"},
	}
	for name, args := range tests {
		t.Run(name, func(t *testing.T) {
			if code, _, _ := runCmd(t, context.Background(), nil, args...); code != exitUsage {
				t.Errorf("%v = %d; want %d", args, code, exitUsage)
			}
		})
	}
}
