package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/csconnect/csconnect/internal/secret/secrettest"
	"github.com/csconnect/csconnect/internal/simtest"
	"github.com/csconnect/csconnect/internal/testlog"
)

// startAgentCmd runs `csconnect agent` in front of a `csconnect sim` and returns
// the agent's base URL; it is stopped (like SIGTERM) at cleanup and must exit 0.
// With logs not nil, the agent's stderr lines are sent there (those nobody waits
// for dropped) and logs is closed when the agent has exited.
func startAgentCmd(t *testing.T, simBase string, vars map[string]string, logs chan<- string, flags ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	args := append([]string{"agent", "--listen", "127.0.0.1:0", "--cache-dir", filepath.Join(t.TempDir(), "cache"),
		"--base-url", simBase + "/v1", "--route", "/se/=" + simBase + "/"}, flags...)
	buf := &testlog.Buffer{} // the agent logs from several goroutines
	var stderr io.Writer = buf
	if logs != nil {
		er, ew := io.Pipe()
		stderr = ew
		go func() {
			defer close(logs)
			sc := bufio.NewScanner(er)
			for sc.Scan() {
				select {
				case logs <- sc.Text():
				default: // nobody is waiting for this line
				}
			}
		}()
	}
	go func() {
		done <- run(ctx, args, environ{Stdout: pw, Stderr: stderr, Getenv: func(k string) string { return vars[k] }})
		pw.Close()
		if c, ok := stderr.(io.Closer); ok {
			c.Close()
		}
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		cancel()
		<-done
		t.Fatalf("agent printed nothing: %v; stderr %s", err, buf.String())
	}
	go io.Copy(io.Discard, pr)
	t.Cleanup(func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("agent exit after cancel = %d; want 0", code)
		}
	})
	return "http://" + strings.TrimSpace(line)
}

// datecheck calls the simulator's service through the agent at base and returns
// the answer's status.
func datecheck(t *testing.T, base string) int {
	t.Helper()
	resp, err := http.Get(base + "/se/datecheck/company?searchnumber=5565144408")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestAgentCommandForwardsWithPasswordFile(t *testing.T) {
	simBase, stats := simtest.Start(t)
	pwFile := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pwFile, []byte("livePassword1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	base := startAgentCmd(t, simBase, map[string]string{"CREDITSAFE_USERNAME": "liveUser"}, nil, "--password-file", pwFile)
	for range 3 {
		if st := datecheck(t, base); st != http.StatusOK {
			t.Fatalf("through the agent: %d", st)
		}
	}
	if s := stats(); s.Authenticate != 1 || s.DateCheckOK != 3 {
		t.Errorf("simulator: authenticate=%d datecheck_ok=%d; want 1 and 3", s.Authenticate, s.DateCheckOK)
	}
}

// TestAgentCommandSIGHUPRereadsPasswordFile: a wrong password in the file gives
// problem answers; the file fixed and SIGHUP sent, the next call goes through.
func TestAgentCommandSIGHUPRereadsPasswordFile(t *testing.T) {
	simBase, stats := simtest.Start(t)
	pwFile := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pwFile, []byte("wrongPassword1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	logs := make(chan string, 1024)
	base := startAgentCmd(t, simBase, map[string]string{"CREDITSAFE_USERNAME": "liveUser"}, logs, "--password-file", pwFile)
	if st := datecheck(t, base); st != http.StatusBadGateway {
		t.Fatalf("wrong password: %d; want 502", st)
	}
	if err := os.WriteFile(pwFile, []byte("livePassword1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	for line := range logs {
		if strings.Contains(line, "credentials reloaded") {
			break
		}
	}
	if st := datecheck(t, base); st != http.StatusOK {
		t.Fatalf("after SIGHUP: %d; want 200", st)
	}
	if s := stats(); s.Authenticate != 2 || s.Unauthorized != 1 {
		t.Errorf("simulator: authenticate=%d unauthorized=%d; want 2 and 1", s.Authenticate, s.Unauthorized)
	}
}

func TestAgentCommandUsageErrors(t *testing.T) {
	creds := map[string]string{"CREDITSAFE_USERNAME": "u", "CREDITSAFE_PASSWORD": "p"}
	for name, c := range map[string]struct {
		args []string
		vars map[string]string
		want string
	}{
		"no credentials":             {nil, map[string]string{}, "CREDITSAFE_USERNAME"},
		"remote without allow":       {[]string{"--listen", "0.0.0.0:8787"}, creds, "--allow-remote"},
		"allow remote without token": {[]string{"--listen", "0.0.0.0:8787", "--allow-remote"}, creds, "--client-token-file"},
		"plain http route not local": {[]string{"--route", "/x/=http://example.com/"}, creds, "https"},
		"redis without secret":       {[]string{"--redis", "redis://127.0.0.1:1/0"}, creds, "--redis-secret-file"},
		"stray argument":             {[]string{"extra"}, creds, "unexpected argument"},
	} {
		t.Run(name, func(t *testing.T) {
			var stderr bytes.Buffer
			code := run(t.Context(), append([]string{"agent", "--cache-dir", filepath.Join(t.TempDir(), "cache")}, c.args...),
				environ{Stdout: io.Discard, Stderr: &stderr, Getenv: func(k string) string { return c.vars[k] }})
			if code != exitUsage || !strings.Contains(stderr.String(), c.want) {
				t.Errorf("exit %d, stderr %q; want %d mentioning %q", code, stderr.String(), exitUsage, c.want)
			}
		})
	}
}

// TestAgentCommandSecretFileModeAndUnreadableReload: a password file that group or
// others can read is warned about (its path and mode, never its content); a SIGHUP
// when the file cannot be read keeps the credentials in use, says so, and the
// agent keeps answering.
func TestAgentCommandSecretFileModeAndUnreadableReload(t *testing.T) {
	simBase, stats := simtest.Start(t)
	pwFile := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pwFile, []byte("livePassword1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(pwFile, 0o644); err != nil { // whatever the umask
		t.Fatal(err)
	}
	logs := make(chan string, 1024)
	base := startAgentCmd(t, simBase, map[string]string{"CREDITSAFE_USERNAME": "liveUser"}, logs, "--password-file", pwFile)
	if st := datecheck(t, base); st != http.StatusOK {
		t.Fatalf("first call: %d", st)
	}
	if err := os.Remove(pwFile); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	var seen []string
	warned := false
	for line := range logs {
		seen = append(seen, line)
		if strings.Contains(line, "livePassword1") {
			t.Errorf("a log line carries the password: %q", line)
		}
		if strings.Contains(line, "--password-file") && strings.Contains(line, "group or others") {
			warned = true
		}
		if strings.Contains(line, "not reloaded") {
			break
		}
	}
	if !warned {
		t.Errorf("no warning about the password file's mode 0644 in %q", seen)
	}
	if st := datecheck(t, base); st != http.StatusOK {
		t.Fatalf("after a SIGHUP with no file: %d; want 200 on the old credentials", st)
	}
	if s := stats(); s.Authenticate != 1 {
		t.Errorf("simulator: authenticate=%d; want 1", s.Authenticate)
	}
}

// TestAgentCommandRouteErrorHoldsNoPassword: a --route whose URL carries a
// password is a usage error that does not print the password.
func TestAgentCommandRouteErrorHoldsNoPassword(t *testing.T) {
	const pw = "Route-Pass-42"
	var stderr bytes.Buffer
	vars := map[string]string{"CREDITSAFE_USERNAME": "u", "CREDITSAFE_PASSWORD": "p"}
	code := run(context.Background(), []string{"agent", "--route", "/x/=https://user:" + pw + "@example.com/"},
		environ{Stdout: io.Discard, Stderr: &stderr, Getenv: func(k string) string { return vars[k] }})
	if code != exitUsage {
		t.Errorf("exit %d; want %d", code, exitUsage)
	}
	secrettest.AssertNone(t, "stderr", stderr.String(), pw)
}
