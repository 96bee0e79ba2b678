package main

import (
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestTokenCacheLeaseHeldByALiveProcess: another process holds the refresh lease
// and never saves a token (hung, or hostile: it shares the cache directory). The
// run waited for it as long as its whole --timeout, the lease's life, and failed
// (exit 5) though the service answers; a holder that does not deliver must cost
// part of the run, not all of it, and the run then authenticates itself.
func TestTokenCacheLeaseHeldByALiveProcess(t *testing.T) {
	is := newIssuer(t)
	dir := newCacheDir(t)
	other, err := openTokenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	release, held, err := other.AcquireLease(t.Context(), tokenStoreKey(other, "myUsername", testPassword), 24*time.Hour)
	if err != nil || !held {
		t.Fatalf("planting the lease: held %v, %v", held, err)
	}
	defer release()
	code, out, errOut := runTokenCmd(t, is.vars(testPassword, dir), "", "--timeout", "3s")
	if code != 0 {
		t.Fatalf("exit %d (stderr %s); want 0 and a token", code, errOut)
	}
	checkRun(t, is, "lease held", code, out, errOut, 0, is.last(t), 1)
}

// TestTokenCacheEnormousToken: the authenticate server answers with a JWT-shaped
// token of 100 KiB (under the 1 MiB cap on the answer). It was printed and saved
// in the cache directory, whose files are read up to 64 KiB (the Redis store's
// values too): every later run found the file unreadable, warned, and
// authenticated again, and every request would carry a 100 KiB header. A token no
// Store can hold is not one Creditsafe issues (theirs are about a kilobyte): it is
// refused as a broken answer (exit 6), and nothing is saved.
func TestTokenCacheEnormousToken(t *testing.T) {
	now := time.Now().Unix()
	enc := base64.RawURLEncoding.EncodeToString
	claims := fmt.Sprintf(`{"sub":"myUsername","iat":%d,"exp":%d,"pad":"%s"}`, now, now+3600, strings.Repeat("p", 100<<10))
	huge := enc([]byte(`{"alg":"RS256","typ":"JWT"}`)) + "." + enc([]byte(claims)) + ".c2lnbmF0dXJl"
	srv := newTokenServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"token":"`+huge+`"}`)
	})
	dir := newCacheDir(t)
	vars := map[string]string{"CREDITSAFE_USERNAME": "myUsername", "CREDITSAFE_PASSWORD": testPassword,
		"CREDITSAFE_BASE_URL": srv.URL + "/v1", cacheDirEnv: dir}
	for i := range 2 {
		code, out, errOut := runTokenCmd(t, vars, "")
		if code != exitTokenInvalid || out != "" || strings.Contains(errOut, huge[:64]) {
			t.Errorf("run %d: exit %d, %d bytes on stdout, stderr %.300q; want %d, nothing", i+1, code, len(out), errOut, exitTokenInvalid)
		}
	}
}

// TestTokenPasswordStdinBoundedByTimeout: --password-stdin with a standard input
// that never sends a line (a pipe its writer keeps open: a cron job's inherited
// stdin). --timeout is "how long the whole command may take", but the read came
// before it and waited for good.
func TestTokenPasswordStdinBoundedByTimeout(t *testing.T) {
	srv := newTokenServer(t, okToken)
	pr, pw := io.Pipe()
	defer pw.Close()
	done := make(chan int, 1)
	go func() {
		var stdout, stderr strings.Builder
		done <- run(t.Context(), []string{"token", "--username", "myUsername", "--password-stdin", "--timeout", "300ms", "--no-cache"}, environ{
			Stdin:  pr,
			Stdout: &stdout,
			Stderr: &stderr,
			Getenv: func(k string) string { return map[string]string{"CREDITSAFE_BASE_URL": srv.URL + "/v1"}[k] },
		})
	}()
	select {
	case code := <-done:
		if code == 0 {
			t.Errorf("exit 0 without a password")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("csconnect token --password-stdin --timeout 300ms still waits for standard input after 10 s")
	}
	if n := srv.hits.Load(); n != 0 {
		t.Errorf("%d requests sent without a password", n)
	}
}
