package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// testToken is the example token of openapi.yaml.
const testToken = "eyJhbGciOiJSUzI1NiIsImtpZCI6ImV4YW1wbGUta2V5LTEifQ.eyJzdWIiOiJteVVzZXJuYW1lIiwibmJmIjoxNTk4Njg4MDAwLCJhdXRoX3RpbWUiOjE1OTg2ODgwMDAsImlhdCI6MTU5ODY4ODAwMCwiZXhwIjoxNTk4NjkxNjAwfQ.c2lnbmF0dXJlLW5vdC12YWxpZC1oPeGE7Ak8YtKFbA"

const testPassword = "S3cret-Pw!x"

// tokenServer is a loopback authenticate server counting its requests.
type tokenServer struct {
	*httptest.Server
	hits atomic.Int64
}

// newTokenServer serves h at /v1/authenticate; closed at test end.
func newTokenServer(t *testing.T, h http.HandlerFunc) *tokenServer {
	t.Helper()
	s := &tokenServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		if r.Method != http.MethodPost || r.URL.Path != "/v1/authenticate" {
			t.Errorf("request %s %s; want POST /v1/authenticate", r.Method, r.URL.Path)
		}
		h(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func respond(status int, body string, headers ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		for _, h := range headers {
			k, v, _ := strings.Cut(h, ": ")
			w.Header().Set(k, v)
		}
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
}

func okToken(w http.ResponseWriter, r *http.Request) {
	var body map[string]string
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body["username"] != "myUsername" || body["password"] != testPassword {
		http.Error(w, "Access denied", http.StatusUnauthorized)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, `{"token":"`+testToken+`"}`)
}

// runTokenCmd runs `csconnect token args…` in process with the given environment
// and stdin; it returns the exit code, stdout and stderr. Unless vars sets
// CSCONNECT_CACHE_DIR, the cache directory is a new temporary one, never the user's.
func runTokenCmd(t *testing.T, vars map[string]string, stdin string, args ...string) (int, string, string) {
	t.Helper()
	if _, ok := vars[cacheDirEnv]; !ok {
		vars = maps.Clone(vars)
		if vars == nil {
			vars = map[string]string{}
		}
		vars[cacheDirEnv] = newCacheDir(t)
	}
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), append([]string{"token"}, args...), environ{
		Stdin:  strings.NewReader(stdin),
		Stdout: &stdout,
		Stderr: &stderr,
		Getenv: func(k string) string { return vars[k] },
	})
	if strings.Contains(stdout.String()+stderr.String(), testPassword) {
		t.Errorf("output contains the password:\nstdout: %s\nstderr: %s", stdout.String(), stderr.String())
	}
	return code, stdout.String(), stderr.String()
}

func TestTokenCommandExitCodes(t *testing.T) {
	creds := func(url string) map[string]string {
		return map[string]string{"CREDITSAFE_USERNAME": "myUsername", "CREDITSAFE_PASSWORD": testPassword, "CREDITSAFE_BASE_URL": url + "/v1"}
	}
	tests := map[string]struct {
		handler   http.HandlerFunc
		vars      func(url string) map[string]string
		stdin     string
		args      func(url string) []string
		want      int
		wantHits  int64
		wantInErr string
	}{
		"0 token from env": {handler: okToken, vars: creds, want: 0, wantHits: 1},
		"0 --base-url wins over env": {handler: okToken, want: 0, wantHits: 1,
			vars: func(string) map[string]string {
				return map[string]string{"CREDITSAFE_USERNAME": "myUsername", "CREDITSAFE_PASSWORD": testPassword, "CREDITSAFE_BASE_URL": "https://nowhere.invalid/v1"}
			},
			args: func(url string) []string { return []string{"--base-url", url + "/v1"} }},
		"0 --username and --password-stdin": {handler: okToken, want: 0, wantHits: 1, stdin: testPassword + "\nnext line\n",
			vars: func(string) map[string]string { return nil },
			args: func(url string) []string {
				return []string{"--base-url=" + url + "/v1", "--username", "myUsername", "--password-stdin"}
			}},
		"0 --password-stdin without newline": {handler: okToken, want: 0, wantHits: 1, stdin: testPassword,
			vars: func(url string) map[string]string {
				return map[string]string{"CREDITSAFE_USERNAME": "myUsername", "CREDITSAFE_BASE_URL": url + "/v1"}
			},
			args: func(string) []string { return []string{"--password-stdin"} }},
		"2 no credentials": {vars: func(url string) map[string]string { return map[string]string{"CREDITSAFE_BASE_URL": url + "/v1"} },
			want: 2, wantInErr: "CREDITSAFE_USERNAME"},
		"2 unknown flag":    {vars: creds, args: func(string) []string { return []string{"--verbose"} }, want: 2},
		"2 extra argument":  {vars: creds, args: func(string) []string { return []string{"now"} }, want: 2},
		"2 zero timeout":    {vars: creds, args: func(string) []string { return []string{"--timeout", "0s"} }, want: 2},
		"2 e-mail username": {vars: creds, args: func(string) []string { return []string{"--username", "jane@example.com"} }, want: 2, wantInErr: "User Key"},
		"2 trailing space in stdin password": {vars: creds, stdin: testPassword + " \n", args: func(string) []string { return []string{"--password-stdin"} },
			want: 2, wantInErr: "white space"},
		"2 plain http to a remote host": {vars: creds, args: func(string) []string { return []string{"--base-url", "http://connect.creditsafe.com/v1"} },
			want: 2, wantInErr: "https"},
		"3 invalid credentials": {handler: respond(401, "Access denied - Please check that your username and password are correct."),
			vars: creds, want: 3, wantHits: 1, wantInErr: "Access denied"},
		"3 account inactive": {handler: respond(403, "Customer or user is not active in the Creditsafe system"),
			vars: creds, want: 3, wantHits: 1},
		"4 rate limited": {handler: respond(429, `{"error":{"code":"429","text":"Too many requests"}}`, "Retry-After: 300"),
			vars: creds, want: 4, wantHits: 1, wantInErr: "retry after 5m0s"},
		"5 server error after retries": {handler: respond(503, "down", "Retry-After: 0"), vars: creds, want: 5, wantHits: 3},
		"6 contract": {handler: respond(200, "<html>captive portal</html>", "Content-Type: text/html"), vars: creds, want: 6, wantHits: 1,
			wantInErr: "do not retry"},
		"6 bad request": {handler: respond(400, `{"message":"Bad request"}`, "Content-Type: application/json"), vars: creds, want: 6, wantHits: 1,
			wantInErr: "do not retry"},
		"6 switching protocols": {handler: switchingProtocols, vars: creds, want: 6, wantHits: 1, wantInErr: "contract"},
		"5 timeout": {handler: func(w http.ResponseWriter, r *http.Request) { io.Copy(io.Discard, r.Body); <-r.Context().Done() },
			vars: creds, args: func(string) []string { return []string{"--timeout", "100ms"} }, want: 5, wantHits: 1, wantInErr: "deadline"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			h := tt.handler
			if h == nil {
				h = func(w http.ResponseWriter, r *http.Request) { t.Errorf("request sent; want none") }
			}
			srv := newTokenServer(t, h)
			var args []string
			if tt.args != nil {
				args = tt.args(srv.URL)
			}
			code, stdout, stderr := runTokenCmd(t, tt.vars(srv.URL), tt.stdin, args...)
			if code != tt.want {
				t.Errorf("csconnect token %v = exit %d; want %d (stderr: %s)", args, code, tt.want, stderr)
			}
			wantOut := ""
			if tt.want == 0 {
				wantOut = testToken + "\n"
			}
			if stdout != wantOut {
				t.Errorf("stdout = %q; want %q", stdout, wantOut)
			}
			if !strings.Contains(stderr, tt.wantInErr) {
				t.Errorf("stderr = %q; want it to mention %q", stderr, tt.wantInErr)
			}
			if n := srv.hits.Load(); n != tt.wantHits {
				t.Errorf("server hit %d times; want %d", n, tt.wantHits)
			}
		})
	}
}

func TestTokenCommandHelp(t *testing.T) {
	code, stdout, stderr := runTokenCmd(t, nil, "", "-h")
	if code != 0 || stdout != "" || !strings.Contains(stderr, "Exit codes") || !strings.Contains(stderr, "--reset-guard") ||
		!strings.Contains(stderr, "--no-cache") || !strings.Contains(stderr, "--cache-dir") || !strings.Contains(stderr, cacheDirEnv) {
		t.Errorf("csconnect token -h = %d, stdout %q, stderr %q; want 0, nothing on stdout, usage on stderr", code, stdout, stderr)
	}
}

// TestTokenBinary runs the real main (os.Args, os.Exit, real stdout) once, by
// re-executing this test binary as the command.
func TestTokenBinary(t *testing.T) {
	if os.Getenv("CSCONNECT_TEST_MAIN") == "1" {
		os.Args = append([]string{"csconnect"}, strings.Fields(os.Getenv("CSCONNECT_TEST_ARGS"))...)
		main()
		return
	}
	srv := newTokenServer(t, okToken)
	cmd := exec.Command(os.Args[0], "-test.run=^TestTokenBinary$")
	cmd.Env = append(os.Environ(), "CSCONNECT_TEST_MAIN=1", "CSCONNECT_TEST_ARGS=token --base-url "+srv.URL+"/v1",
		"CREDITSAFE_USERNAME=myUsername", "CREDITSAFE_PASSWORD="+testPassword, cacheDirEnv+"="+newCacheDir(t))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatal(err)
	}
	if cmd.ProcessState.ExitCode() != 0 || stdout.String() != testToken+"\n" {
		t.Errorf("csconnect token (exec) = exit %d, stdout %q, stderr %q; want 0 and the token", cmd.ProcessState.ExitCode(), stdout.String(), stderr.String())
	}

	srv401 := newTokenServer(t, respond(401, "Access denied"))
	cmd = exec.Command(os.Args[0], "-test.run=^TestTokenBinary$")
	cmd.Env = append(os.Environ(), "CSCONNECT_TEST_MAIN=1", "CSCONNECT_TEST_ARGS=token --base-url "+srv401.URL+"/v1",
		"CREDITSAFE_USERNAME=myUsername", "CREDITSAFE_PASSWORD="+testPassword, cacheDirEnv+"="+newCacheDir(t))
	stdout.Reset()
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	_ = cmd.Run()
	if cmd.ProcessState.ExitCode() != exitTokenRejected || stdout.Len() != 0 {
		t.Errorf("csconnect token (exec, 401) = exit %d, stdout %q; want %d and nothing", cmd.ProcessState.ExitCode(), stdout.String(), exitTokenRejected)
	}
}

// switchingProtocols answers a bare 101 on the hijacked connection and leaves it
// open and silent until the client goes: a read of the body would wait forever.
func switchingProtocols(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	conn, buf, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return
	}
	defer conn.Close()
	_, _ = buf.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
	_ = buf.Flush()
	_, _ = io.Copy(io.Discard, conn) // until the client closes
}

// newCacheDir returns a cache directory path for one test: not yet created, in a
// temporary directory (t.TempDir is 0755, which the store refuses).
func newCacheDir(t *testing.T) string {
	t.Helper()
	return filepath.Join(t.TempDir(), "csconnect")
}
