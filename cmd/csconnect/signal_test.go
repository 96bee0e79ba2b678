package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"testing/synctest"
	"time"
)

// promptly bounds how long a process may take to exit after a signal in these
// tests: generous for a loaded machine, far below a hang.
const promptly = 10 * time.Second

// TestRunUntilSignal: the first signal cancels the work's context and the process
// exits with 128 + the signal's number, as soon as the work returns, or after the
// grace period, or at a second signal, whatever the work is doing.
func TestRunUntilSignal(t *testing.T) {
	const grace = 2 * time.Second
	honours := func(code int) func(context.Context, []string, environ) int {
		return func(ctx context.Context, _ []string, _ environ) int { <-ctx.Done(); return code }
	}
	tests := map[string]struct {
		sigs     []os.Signal
		stuck    bool // the work ignores its context
		workCode int
		want     int
		wantTook time.Duration
	}{
		"SIGINT, work returns":            {sigs: []os.Signal{os.Interrupt}, workCode: 5, want: 130},
		"SIGTERM, work returns":           {sigs: []os.Signal{syscall.SIGTERM}, workCode: 5, want: 143},
		"SIGTERM, work stops cleanly":     {sigs: []os.Signal{syscall.SIGTERM}, workCode: 0, want: 0},
		"SIGINT, work stuck":              {sigs: []os.Signal{os.Interrupt}, stuck: true, want: 130, wantTook: grace},
		"SIGTERM, work stuck":             {sigs: []os.Signal{syscall.SIGTERM}, stuck: true, want: 143, wantTook: grace},
		"second SIGINT, work stuck":       {sigs: []os.Signal{os.Interrupt, os.Interrupt}, stuck: true, want: 130},
		"SIGINT then SIGTERM, work stuck": {sigs: []os.Signal{os.Interrupt, syscall.SIGTERM}, stuck: true, want: 130},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				release := make(chan struct{})
				defer close(release)
				work := honours(tt.workCode)
				if tt.stuck {
					work = func(context.Context, []string, environ) int { <-release; return 5 }
				}
				sigs := make(chan os.Signal, len(tt.sigs))
				for _, s := range tt.sigs {
					sigs <- s
				}
				start := time.Now()
				got := runUntilSignal(nil, environ{Stderr: io.Discard}, sigs, grace, work)
				if took := time.Since(start); got != tt.want || took != tt.wantTook {
					t.Errorf("runUntilSignal(%v) = %d after %v; want %d after %v", tt.sigs, got, took, tt.want, tt.wantTook)
				}
			})
		})
	}
	synctest.Test(t, func(t *testing.T) {
		got := runUntilSignal(nil, environ{}, make(chan os.Signal), grace, func(context.Context, []string, environ) int { return 4 })
		if got != 4 {
			t.Errorf("runUntilSignal without a signal = %d; want the work's 4", got)
		}
	})
}

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
