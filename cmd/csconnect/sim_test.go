package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/csconnect/csconnect/conformance/simulator"
)

// startSimCmd runs `csconnect sim` on a free port with credentials from the
// environment and returns its base URL and a stats reader. The command is stopped
// (and its exit code checked) at cleanup.
func startSimCmd(t *testing.T) (base string, stats func() simulator.Stats) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	vars := map[string]string{"CREDITSAFE_USERNAME": "liveUser", "CREDITSAFE_PASSWORD": "livePassword1"}
	go func() {
		done <- run(ctx, []string{"sim", "--addr", "127.0.0.1:0"}, environ{stdout: pw, stderr: io.Discard, getenv: func(k string) string { return vars[k] }})
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		cancel()
		t.Fatalf("sim printed nothing: %v", err)
	}
	go io.Copy(io.Discard, pr)
	base = strings.TrimSpace(strings.TrimPrefix(line, "csconnect sim: listening on "))
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

func TestSimUsage(t *testing.T) {
	tests := map[string][]string{
		"no credentials": {"sim", "--addr", "127.0.0.1:0"},
		"bad format":     {"sim", "--username", "u", "--password", "p", "--unauthorized", "xml"},
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

// assertFixturesClean checks fixtures were written and hold neither the password
// nor a real token.
func assertFixturesClean(t *testing.T, dir, password string) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*.snap"))
	if len(files) == 0 {
		t.Fatalf("no fixtures in %s", dir)
	}
	for _, f := range files {
		b, _ := os.ReadFile(f)
		if strings.Contains(string(b), password) || strings.Contains(string(b), "eyJhbGciOiJSUzI1NiIs") {
			t.Errorf("fixture %s holds a secret:\n%s", filepath.Base(f), b)
		}
	}
}
