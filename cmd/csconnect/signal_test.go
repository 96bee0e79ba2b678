package main

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// promptly bounds how long a process may take to exit after a signal in these
// tests: generous for a loaded machine, far below a hang.
const promptly = 10 * time.Second

// TestTokenSignalExec builds the command, runs `csconnect token` against a server
// that never answers, sends SIGINT or SIGTERM once the request arrived, and checks
// that the process exits promptly with 130 or 143.
func TestTokenSignalExec(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the command")
	}
	bin := filepath.Join(t.TempDir(), "csconnect")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for _, tc := range []struct {
		sig  syscall.Signal
		want int
	}{{syscall.SIGINT, 130}, {syscall.SIGTERM, 143}} {
		t.Run(tc.sig.String(), func(t *testing.T) {
			arrived := make(chan struct{}, 1)
			srv := newTokenServer(t, func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.Copy(io.Discard, r.Body)
				arrived <- struct{}{}
				<-r.Context().Done() // never answers
			})
			cmd := exec.Command(bin, "token", "--base-url", srv.URL+"/v1", "--timeout", "10m")
			cmd.Env = append(os.Environ(), "CREDITSAFE_USERNAME=myUsername", "CREDITSAFE_PASSWORD="+testPassword, cacheDirEnv+"="+newCacheDir(t))
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			exited := make(chan struct{})
			go func() { _ = cmd.Wait(); close(exited) }()
			select {
			case <-arrived:
			case <-exited:
				t.Fatalf("csconnect token exited before its request arrived: %s", stderr.String())
			case <-time.After(promptly):
				_ = cmd.Process.Kill()
				t.Fatal("the request did not arrive")
			}
			if err := cmd.Process.Signal(tc.sig); err != nil {
				t.Fatal(err)
			}
			select {
			case <-exited:
			case <-time.After(promptly):
				_ = cmd.Process.Kill()
				<-exited
				t.Fatalf("csconnect token still running %v after %v (stderr: %s)", promptly, tc.sig, stderr.String())
			}
			if code := cmd.ProcessState.ExitCode(); code != tc.want || stdout.Len() != 0 {
				t.Errorf("csconnect token after %v = exit %d, stdout %q; want %d and nothing (stderr: %s)", tc.sig, code, stdout.String(), tc.want, stderr.String())
			}
		})
	}
}
