package main

import (
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
