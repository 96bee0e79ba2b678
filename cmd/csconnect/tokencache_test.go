package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/csconnect/csconnect/pkg/csconnect"
	"github.com/csconnect/csconnect/pkg/filestore"
)

const wrongPassword = "Wr0ng-Pw!x"

// testJWT returns a JWT-shaped token issued now for life, made unique by n.
func testJWT(n int64, life time.Duration) string {
	enc := base64.RawURLEncoding.EncodeToString
	now := time.Now().Unix()
	claims := fmt.Sprintf(`{"sub":"myUsername","iat":%d,"exp":%d,"jti":"t%d"}`, now, now+int64(life/time.Second), n)
	return enc([]byte(`{"alg":"RS256","typ":"JWT"}`)) + "." + enc([]byte(claims)) + ".c2lnbmF0dXJl"
}

// issuer is an authenticate server that accepts myUsername with testPassword, issues
// a new one-hour token for each request, and counts the requests.
type issuer struct {
	*tokenServer
	mu     sync.Mutex
	issued []string
	hold   atomic.Pointer[chan struct{}] // when set, answers wait until it is closed
}

func newIssuer(t *testing.T) *issuer {
	t.Helper()
	is := &issuer{}
	is.tokenServer = newTokenServer(t, func(w http.ResponseWriter, r *http.Request) {
		var body map[string]string
		err := json.NewDecoder(io.LimitReader(r.Body, 1<<10)).Decode(&body)
		if hold := is.hold.Load(); hold != nil {
			<-*hold
		}
		if err != nil || body["username"] != "myUsername" || body["password"] != testPassword {
			http.Error(w, "Access denied - Please check that your username and password are correct.", http.StatusUnauthorized)
			return
		}
		is.mu.Lock()
		tok := testJWT(int64(len(is.issued)), time.Hour)
		is.issued = append(is.issued, tok)
		is.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"token":"`+tok+`"}`)
	})
	return is
}

// last returns the last token issued.
func (is *issuer) last(t *testing.T) string {
	t.Helper()
	is.mu.Lock()
	defer is.mu.Unlock()
	if len(is.issued) == 0 {
		t.Fatal("no token issued")
	}
	return is.issued[len(is.issued)-1]
}

// vars returns the environment of a run against is with password and cache dir.
func (is *issuer) vars(password, dir string) map[string]string {
	return map[string]string{"CREDITSAFE_USERNAME": "myUsername", "CREDITSAFE_PASSWORD": password,
		"CREDITSAFE_BASE_URL": is.URL + "/v1", cacheDirEnv: dir}
}

// checkRun checks one run's exit code, that stdout is the token and a newline or
// nothing, that stderr holds neither password nor token, and the request count.
func checkRun(t *testing.T, is *issuer, what string, code int, stdout, stderr string, wantCode int, wantToken string, wantHits int64) {
	t.Helper()
	if code != wantCode {
		t.Errorf("%s: exit %d; want %d (stderr: %s)", what, code, wantCode, stderr)
	}
	wantOut := ""
	if wantToken != "" {
		wantOut = wantToken + "\n"
	}
	if stdout != wantOut {
		t.Errorf("%s: stdout %q; want %q", what, stdout, wantOut)
	}
	for _, secret := range []string{testPassword, wrongPassword} {
		if strings.Contains(stderr, secret) {
			t.Errorf("%s: stderr contains a password: %s", what, stderr)
		}
	}
	is.mu.Lock()
	for _, tok := range is.issued {
		if strings.Contains(stderr, tok) {
			t.Errorf("%s: stderr contains a token: %s", what, stderr)
		}
	}
	is.mu.Unlock()
	if n := is.hits.Load(); n != wantHits {
		t.Errorf("%s: %d requests so far; want %d", what, n, wantHits)
	}
}

// checkNoPasswordStored fails if a file of dir holds a password.
func checkNoPasswordStored(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			continue // a directory or a vanished temporary file
		}
		if bytes.Contains(b, []byte(testPassword)) || bytes.Contains(b, []byte(wrongPassword)) {
			t.Errorf("%s holds a password", e.Name())
		}
	}
}

// TestTokenCacheReuses: a second run prints the first run's token with no request.
func TestTokenCacheReuses(t *testing.T) {
	is := newIssuer(t)
	dir := newCacheDir(t)
	code, out, errOut := runTokenCmd(t, is.vars(testPassword, dir), "")
	first := is.last(t)
	checkRun(t, is, "first run", code, out, errOut, 0, first, 1)
	for i := range 3 {
		code, out, errOut = runTokenCmd(t, is.vars(testPassword, dir), "")
		checkRun(t, is, fmt.Sprintf("run %d", i+2), code, out, errOut, 0, first, 1)
	}
	fi, err := os.Stat(dir)
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("cache dir: %v; want 0700", err)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if fi, err := e.Info(); err == nil && fi.Mode().IsRegular() && fi.Mode().Perm() != 0o600 {
			t.Errorf("%s is %v; want 0600", e.Name(), fi.Mode().Perm())
		}
	}
	checkNoPasswordStored(t, dir)
}

// TestTokenCacheAdvisoryPoint plants tokens in the cache directory on either side of
// the advisory point (5 minutes before expiry): the one before it is printed with no
// request, the one after it is replaced by a new one.
func TestTokenCacheAdvisoryPoint(t *testing.T) {
	for _, tc := range []struct {
		name   string
		left   time.Duration // life left in the planted token
		reused bool
	}{
		{"before", advisoryWindow + 30*time.Second, true},
		{"after", advisoryWindow - 30*time.Second, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			is := newIssuer(t)
			dir := newCacheDir(t)
			store, err := openTokenStore(dir)
			if err != nil {
				t.Fatal(err)
			}
			// As the Authenticator saves it: fetched an hour before expiry, less the
			// second of the claims' granularity (see csconnect.TokenFromJWT).
			fetched := time.Now().Add(tc.left - time.Hour)
			planted := &csconnect.Token{Value: testJWT(-1, time.Hour), Fetched: fetched, Expiry: fetched.Add(time.Hour - time.Second)}
			if err := store.SaveToken(context.Background(), tokenStoreKey(store, "myUsername", testPassword), planted); err != nil {
				t.Fatal(err)
			}
			code, out, errOut := runTokenCmd(t, is.vars(testPassword, dir), "")
			if tc.reused {
				checkRun(t, is, "run", code, out, errOut, 0, planted.Value, 0)
				return
			}
			checkRun(t, is, "run", code, out, errOut, 0, is.last(t), 1)
			// and the new token is the one the next run prints
			code, out, errOut = runTokenCmd(t, is.vars(testPassword, dir), "")
			checkRun(t, is, "next run", code, out, errOut, 0, is.last(t), 1)
		})
	}
}

// TestTokenCacheRejectedPassword: a rejected password is sent once, refused by
// every later run (exit 3, no request, the way to reset said) until --reset-guard;
// other credentials are not blocked by it.
func TestTokenCacheRejectedPassword(t *testing.T) {
	is := newIssuer(t)
	dir := newCacheDir(t)
	code, out, errOut := runTokenCmd(t, is.vars(wrongPassword, dir), "")
	checkRun(t, is, "first run", code, out, errOut, exitTokenRejected, "", 1)
	if !strings.Contains(errOut, "csconnect token --reset-guard") {
		t.Errorf("first run: stderr %q; want it to say how later runs are reset", errOut)
	}
	for i := range 3 {
		code, out, errOut = runTokenCmd(t, is.vars(wrongPassword, dir), "")
		checkRun(t, is, fmt.Sprintf("run %d", i+2), code, out, errOut, exitTokenRejected, "", 1)
		if !strings.Contains(errOut, "not sent") || !strings.Contains(errOut, "csconnect token --reset-guard") {
			t.Errorf("run %d: stderr %q; want it to say nothing was sent and how to reset", i+2, errOut)
		}
	}
	// The right password is not blocked by the wrong one's rejection.
	code, out, errOut = runTokenCmd(t, is.vars(testPassword, dir), "")
	checkRun(t, is, "right password", code, out, errOut, 0, is.last(t), 2)
	code, out, errOut = runTokenCmd(t, is.vars(wrongPassword, dir), "")
	checkRun(t, is, "wrong password again", code, out, errOut, exitTokenRejected, "", 2)

	// --reset-guard needs the User Key only, prints nothing, sends nothing.
	vars := is.vars("", dir)
	delete(vars, "CREDITSAFE_PASSWORD")
	delete(vars, "CREDITSAFE_USERNAME")
	code, out, errOut = runTokenCmd(t, vars, "", "--reset-guard")
	checkRun(t, is, "--reset-guard without a User Key", code, out, errOut, exitUsage, "", 2)
	code, out, errOut = runTokenCmd(t, is.vars(wrongPassword, dir), "")
	checkRun(t, is, "after the refused --reset-guard", code, out, errOut, exitTokenRejected, "", 2)
	vars["CREDITSAFE_USERNAME"] = "myUsername"
	code, out, errOut = runTokenCmd(t, vars, "", "--reset-guard")
	checkRun(t, is, "--reset-guard", code, out, errOut, 0, "", 2)
	code, out, errOut = runTokenCmd(t, is.vars(wrongPassword, dir), "")
	checkRun(t, is, "after --reset-guard", code, out, errOut, exitTokenRejected, "", 3)
	code, out, errOut = runTokenCmd(t, is.vars(wrongPassword, dir), "")
	checkRun(t, is, "rejected again", code, out, errOut, exitTokenRejected, "", 3)
	checkNoPasswordStored(t, dir)
}

// TestTokenNoCache: --no-cache sends a request every time, a rejected password
// included, and writes nothing to the cache directory.
func TestTokenNoCache(t *testing.T) {
	is := newIssuer(t)
	dir := newCacheDir(t)
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		code, out, errOut := runTokenCmd(t, is.vars(testPassword, dir), "", "--no-cache")
		checkRun(t, is, fmt.Sprintf("--no-cache run %d", i+1), code, out, errOut, 0, is.last(t), int64(i+1))
	}
	for i := range 2 {
		code, out, errOut := runTokenCmd(t, is.vars(wrongPassword, dir), "", "--no-cache")
		checkRun(t, is, fmt.Sprintf("--no-cache wrong password %d", i+1), code, out, errOut, exitTokenRejected, "", int64(i+3))
	}
	if entries, err := os.ReadDir(dir); err != nil || len(entries) != 0 {
		t.Errorf("cache dir after --no-cache runs: %v, %v; want it empty", entries, err)
	}
	for _, args := range [][]string{{"--no-cache", "--cache-dir", dir}, {"--no-cache", "--reset-guard"}} {
		code, out, errOut := runTokenCmd(t, is.vars(testPassword, dir), "", args...)
		checkRun(t, is, strings.Join(args, " "), code, out, errOut, exitUsage, "", 4)
	}
}

// TestTokenCacheDirChoice: --cache-dir wins over CSCONNECT_CACHE_DIR, which is used
// without it.
func TestTokenCacheDirChoice(t *testing.T) {
	is := newIssuer(t)
	envDir, flagDir := newCacheDir(t), newCacheDir(t)
	code, out, errOut := runTokenCmd(t, is.vars(testPassword, envDir), "", "--cache-dir", flagDir)
	checkRun(t, is, "--cache-dir", code, out, errOut, 0, is.last(t), 1)
	if _, err := os.Stat(envDir); !os.IsNotExist(err) {
		t.Errorf("with --cache-dir, %s = %v; want it not created", cacheDirEnv, err)
	}
	code, out, errOut = runTokenCmd(t, is.vars(testPassword, flagDir), "")
	checkRun(t, is, cacheDirEnv+" = the --cache-dir of before", code, out, errOut, 0, is.last(t), 1)
	code, out, errOut = runTokenCmd(t, is.vars(testPassword, envDir), "")
	checkRun(t, is, cacheDirEnv+" = a new directory", code, out, errOut, 0, is.last(t), 2)
}

// TestTokenCacheDirRefused: a cache directory that is not private, or not a
// directory, is refused before anything is sent: exit 2 and what to do.
func TestTokenCacheDirRefused(t *testing.T) {
	is := newIssuer(t)
	open := t.TempDir() // 0755
	notDir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notDir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{open, notDir} {
		code, out, errOut := runTokenCmd(t, is.vars(testPassword, dir), "")
		checkRun(t, is, dir, code, out, errOut, exitUsage, "", 0)
		if !strings.Contains(errOut, dir) || !strings.Contains(errOut, "--no-cache") {
			t.Errorf("stderr %q; want the directory and the ways out", errOut)
		}
	}
	code, _, errOut := runTokenCmd(t, is.vars(testPassword, open), "")
	if code != exitUsage || !strings.Contains(errOut, "group or others") || !strings.Contains(errOut, "chmod go= "+open) {
		t.Errorf("0755 cache dir: exit %d, stderr %q; want %d, the reason and the chmod", code, errOut, exitUsage)
	}
	if entries, _ := os.ReadDir(open); len(entries) != 0 {
		t.Errorf("refused directory got %d entries; want none", len(entries))
	}
}

// tokenProcess returns `csconnect token` as a real process (this test binary, run as
// the command by TestMain) with env added to the environment.
func tokenProcess(t *testing.T, env ...string) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "token")
	cmd.Env = append(os.Environ(), append([]string{"CSCONNECT_RUN_MAIN=1"}, env...)...)
	return cmd
}

// TestTokenCacheProcesses runs 20 processes at once, holding the first request until
// all have started: they make one authenticate request between them and all print
// its token. Then, with a wrong password, 20 processes send one request between
// them and all exit 3.
func TestTokenCacheProcesses(t *testing.T) {
	const n = 20
	is := newIssuer(t)
	dir := newCacheDir(t)
	runAll := func(password string) (codes []int, outs []string) {
		hold := make(chan struct{})
		is.hold.Store(&hold)
		cmds := make([]*exec.Cmd, n)
		stdouts, stderrs := make([]bytes.Buffer, n), make([]bytes.Buffer, n)
		for i := range cmds {
			cmds[i] = tokenProcess(t, "CREDITSAFE_USERNAME=myUsername", "CREDITSAFE_PASSWORD="+password,
				"CREDITSAFE_BASE_URL="+is.URL+"/v1", cacheDirEnv+"="+dir)
			cmds[i].Stdout, cmds[i].Stderr = &stdouts[i], &stderrs[i]
			if err := cmds[i].Start(); err != nil {
				t.Fatal(err)
			}
		}
		close(hold)
		for i, cmd := range cmds {
			_ = cmd.Wait()
			codes = append(codes, cmd.ProcessState.ExitCode())
			outs = append(outs, stdouts[i].String())
			if e := stderrs[i].String(); strings.Contains(e, password) {
				t.Errorf("process %d: stderr holds the password", i)
			}
			if code := cmd.ProcessState.ExitCode(); code != 0 && code != exitTokenRejected {
				t.Errorf("process %d: exit %d, stderr %s", i, code, stderrs[i].String())
			}
		}
		return codes, outs
	}

	codes, outs := runAll(testPassword)
	if got := is.hits.Load(); got != 1 {
		t.Errorf("%d processes at once made %d authenticate requests; want 1", n, got)
	}
	want := is.last(t) + "\n"
	for i := range codes {
		if codes[i] != 0 || outs[i] != want {
			t.Errorf("process %d: exit %d, stdout %q; want 0 and the one token", i, codes[i], outs[i])
		}
	}

	codes, outs = runAll(wrongPassword)
	if got := is.hits.Load(); got != 2 {
		t.Errorf("%d processes at once with a wrong password made %d authenticate requests; want 1", n, got-1)
	}
	for i := range codes {
		if codes[i] != exitTokenRejected || outs[i] != "" {
			t.Errorf("process %d (wrong password): exit %d, stdout %q; want %d and nothing", i, codes[i], outs[i], exitTokenRejected)
		}
	}
	checkNoPasswordStored(t, dir)
}

// TestTokenCacheDefaultDir: without --cache-dir and CSCONNECT_CACHE_DIR a real process
// uses the user cache directory's csconnect ($XDG_CACHE_HOME/csconnect on Linux).
func TestTokenCacheDefaultDir(t *testing.T) {
	if _, err := os.UserCacheDir(); err != nil {
		t.Skip("no user cache directory:", err)
	}
	is := newIssuer(t)
	xdg := t.TempDir()
	want := filepath.Join(xdg, "csconnect")
	for i := range 2 {
		cmd := tokenProcess(t, "XDG_CACHE_HOME="+xdg, "HOME="+xdg, cacheDirEnv+"=",
			"CREDITSAFE_USERNAME=myUsername", "CREDITSAFE_PASSWORD="+testPassword, "CREDITSAFE_BASE_URL="+is.URL+"/v1")
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		_ = cmd.Run()
		checkRun(t, is, fmt.Sprintf("run %d", i+1), cmd.ProcessState.ExitCode(), stdout.String(), stderr.String(), 0, is.last(t), 1)
	}
	d, err := filestore.New(filestore.Options{Dir: want})
	if err != nil {
		t.Fatal(err)
	}
	if tok, err := d.LoadToken(context.Background(), tokenStoreKey(d, "myUsername", testPassword)); err != nil || tok == nil || tok.Value != is.last(t) {
		t.Errorf("token in %s: %v; want the one printed", want, err)
	}
}

// TestTokenCacheLockout: a 429's lockout is kept in the cache directory too: the next
// run is refused with no request (exit 4) until --reset-guard.
func TestTokenCacheLockout(t *testing.T) {
	srv := newTokenServer(t, respond(429, `{"error":{"code":"429","text":"Too many requests"}}`, "Retry-After: 300"))
	dir := newCacheDir(t)
	vars := map[string]string{"CREDITSAFE_USERNAME": "myUsername", "CREDITSAFE_PASSWORD": testPassword,
		"CREDITSAFE_BASE_URL": srv.URL + "/v1", cacheDirEnv: dir}
	for i, want := range []struct {
		args []string
		code int
		hits int64
	}{{nil, exitTokenLimited, 1}, {nil, exitTokenLimited, 1}, {[]string{"--reset-guard"}, 0, 1}, {nil, exitTokenLimited, 2}} {
		code, out, errOut := runTokenCmd(t, vars, "", want.args...)
		if code != want.code || out != "" || srv.hits.Load() != want.hits {
			t.Errorf("run %d %v: exit %d, stdout %q, %d requests so far; want %d, nothing, %d (stderr: %s)",
				i+1, want.args, code, out, srv.hits.Load(), want.code, want.hits, errOut)
		}
	}
}

// TestTokenCacheCorruptFile: a token file that does not read back is not used: the
// run warns on stderr (without the token), authenticates, and replaces it.
func TestTokenCacheCorruptFile(t *testing.T) {
	is := newIssuer(t)
	dir := newCacheDir(t)
	store, err := openTokenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	name := filepath.Join(dir, "token."+tokenStoreKey(store, "myUsername", testPassword))
	planted := testJWT(9, time.Hour)
	if err := os.WriteFile(name, []byte(`{"token":"`+planted+`","expiry":"2999-01-01T00:00:00Z"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runTokenCmd(t, is.vars(testPassword, dir), "")
	checkRun(t, is, "corrupt file", code, out, errOut, 0, is.last(t), 1)
	if !strings.HasPrefix(errOut, "csconnect token: warning: token store failed") || strings.Contains(errOut, planted) {
		t.Errorf("stderr %q; want a warning about the store, without the token", errOut)
	}
	code, out, errOut = runTokenCmd(t, is.vars(testPassword, dir), "")
	checkRun(t, is, "next run", code, out, errOut, 0, is.last(t), 1)
	if errOut != "" {
		t.Errorf("next run: stderr %q; want nothing", errOut)
	}
}

// TestTokenCacheInactive: after a 403 (exit 3) the next run is paused with no request
// (exit 4), and the 403's hint does not promise a refusal until --reset-guard.
func TestTokenCacheInactive(t *testing.T) {
	srv := newTokenServer(t, respond(403, "Customer or user is not active in the Creditsafe system"))
	vars := map[string]string{"CREDITSAFE_USERNAME": "myUsername", "CREDITSAFE_PASSWORD": testPassword,
		"CREDITSAFE_BASE_URL": srv.URL + "/v1", cacheDirEnv: newCacheDir(t)}
	code, _, errOut := runTokenCmd(t, vars, "")
	if code != exitTokenRejected || srv.hits.Load() != 1 || strings.Contains(errOut, "refused without sending") {
		t.Errorf("403: exit %d, %d requests, stderr %q; want %d, 1, no promise of a refusal", code, srv.hits.Load(), errOut, exitTokenRejected)
	}
	code, _, errOut = runTokenCmd(t, vars, "")
	if code != exitTokenLimited || srv.hits.Load() != 1 {
		t.Errorf("after a 403: exit %d, %d requests, stderr %q; want %d, 1", code, srv.hits.Load(), errOut, exitTokenLimited)
	}
}

// tokenStoreKey is the key a token is kept under (the library's choice): the
// fingerprint of the User Key and the password, so that a token is printed only to an
// invocation with the credentials it was fetched with (a wrong password never gets a
// cached token; a changed password fetches a new one).
func tokenStoreKey(store *filestore.Store, username, password string) string {
	return store.Fingerprint(username, password)
}
