package filestore

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/csconnect/csconnect/internal/storetest"
	"github.com/csconnect/csconnect/pkg/csconnect"
)

// Eight processes take the lease of one key over and over: never two at once (each
// holder creates a marker file exclusively while it holds the lease), and every one
// of them gets it in turn.
func TestLeaseExclusiveBetweenProcesses(t *testing.T) {
	const procs, rounds = 8, 5
	dir := filepath.Join(t.TempDir(), "store")
	newTestStore(t, Options{Dir: dir}) // the directory and its secret exist before the children start
	marker := filepath.Join(t.TempDir(), "holder-inside")
	var children []*child
	for range procs {
		c := startChild(t, "lease-loop", "FS_DIR="+dir, "FS_MARKER="+marker, "FS_ROUNDS="+strconv.Itoa(rounds))
		c.expect(t, "ready")
		children = append(children, c)
	}
	for _, c := range children {
		c.send(t, "go")
	}
	for i, c := range children {
		if got := c.line(t); got != "done" {
			t.Errorf("child %d said %q; want done (stderr: %s)", i, got, c.stderr)
		}
		if err := c.wait(); err != nil {
			t.Errorf("child %d: %v (stderr: %s)", i, err, c.stderr)
		}
	}
}

// A process killed (SIGKILL) while it holds the lease leaves it held in the record,
// for an hour; the next process finds the holder's lock free and takes it at once.
func TestLeaseOfKilledHolderIsTakenOver(t *testing.T) {
	s := newTestStore(t, Options{})
	c := startChild(t, "lease-hold", "FS_DIR="+s.Dir())
	c.expect(t, "held")
	if _, ok, err := s.AcquireLease(t.Context(), "fp", time.Minute); ok || err != nil {
		t.Fatalf("AcquireLease while the child holds it = %t, %v; want false, nil", ok, err)
	}
	if err := c.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if err := c.wait(); !killedBy(err, syscall.SIGKILL) {
		t.Fatalf("child exit = %v; want killed", err)
	}
	rec, err := s.loadLease("fp")
	if err != nil || !rec.Expires.After(time.Now().Add(50*time.Minute)) || rec.PID != c.cmd.Process.Pid {
		t.Fatalf("lease record after the kill = %+v, %v; want the dead child's, expiring in an hour", rec, err)
	}
	release, ok, err := s.AcquireLease(t.Context(), "fp", time.Minute)
	if !ok || err != nil {
		t.Fatalf("AcquireLease after the holder was killed = %t, %v; want true, nil", ok, err)
	}
	release()
	entries, _ := os.ReadDir(s.Dir())
	for _, e := range entries {
		if name := e.Name(); len(name) > len("lease.fp.holder.") && name[:len("lease.fp.holder.")] == "lease.fp.holder." {
			t.Errorf("holder file %s left after takeover and release", name)
		}
	}
}

func crashToken() *csconnect.Token {
	return &csconnect.Token{Value: sampleToken + "-new", Expiry: time.Now().Add(2 * time.Hour)}
}

func crashGuard() csconnect.GuardState {
	return storetest.LockedUntil(time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC))
}

// A process killed in the middle of writing a file (half of it written to the
// temporary file) leaves the previous value readable, and its lock free: the next
// write succeeds at once.
func TestKilledMidWriteKeepsPreviousValue(t *testing.T) {
	for _, kind := range []string{"token", "guard"} {
		t.Run(kind, func(t *testing.T) {
			s := newTestStore(t, Options{})
			old := &csconnect.Token{Value: sampleToken, Expiry: time.Now().Add(time.Hour)}
			oldGuard := sampleGuard()
			if err := s.SaveToken(t.Context(), "fp", old); err != nil {
				t.Fatal(err)
			}
			if _, err := s.MergeGuard(t.Context(), "fp", oldGuard); err != nil {
				t.Fatal(err)
			}
			c := startChild(t, "crash-write", "FS_DIR="+s.Dir(), "FS_KIND="+kind)
			c.expect(t, "dying")
			if err := c.wait(); !killedBy(err, syscall.SIGKILL) {
				t.Fatalf("child exit = %v; want killed (stderr: %s)", err, c.stderr)
			}
			if got, err := s.LoadToken(t.Context(), "fp"); err != nil || got.Value != old.Value {
				t.Errorf("LoadToken after the crash = %v, %v; want the previous token", got, err)
			}
			if got, err := s.LoadGuard(t.Context(), "fp"); err != nil || !storetest.Same(got, oldGuard) {
				t.Errorf("LoadGuard after the crash = %+v, %v; want the previous state %+v", got, err, oldGuard)
			}
			if fi, err := os.Stat(filepath.Join(s.Dir(), kind+".fp.tmp")); err != nil || fi.Size() == 0 {
				t.Errorf("half-written %s.fp.tmp = %v, %v; want the dead writer's partial file", kind, fi, err)
			}
			// The dead writer's lock is free: a write with a short wait succeeds.
			s.timeout = 100 * time.Millisecond
			if err := s.SaveToken(t.Context(), "fp", crashToken()); err != nil {
				t.Errorf("SaveToken after the crash = %v", err)
			}
			if _, err := s.MergeGuard(t.Context(), "fp", crashGuard()); err != nil {
				t.Errorf("MergeGuard after the crash = %v", err)
			}
			if got, want := must(s.LoadGuard(t.Context(), "fp")), oldGuard.Merge(crashGuard()); !storetest.Same(got, want) {
				t.Errorf("LoadGuard after a new merge = %+v; want %+v", got, want)
			}
		})
	}
}

// newChildCache is what a process does to get tokens through the file store: a
// Client whose guard and token cache are shared through s (New sets both, with
// the Store's call timeout, from AuthConfig).
func newChildCache(s *Store, url string) (*csconnect.Cache, error) {
	c, err := csconnect.New(csconnect.Config{Auth: csconnect.AuthConfig{
		BaseURL: url, Username: "file-user", Password: "file-password",
		Store: timedStore{s},
	}})
	if err != nil {
		return nil, err
	}
	return c.Tokens, nil
}

// Two processes, each with its own csconnect.Cache on the file store, asking for a
// token at the same moment make one authenticate call between them.
func TestCachesInTwoProcessesAuthenticateOnce(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		now := time.Now()
		tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
			"sub": "file-user", "iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix(),
		}).SignedString([]byte("test-key"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"token": tok})
	}))
	t.Cleanup(srv.Close)
	s := newTestStore(t, Options{})
	a := startChild(t, "cache", "FS_DIR="+s.Dir(), "FS_URL="+srv.URL)
	b := startChild(t, "cache", "FS_DIR="+s.Dir(), "FS_URL="+srv.URL)
	a.expect(t, "ready")
	b.expect(t, "ready")
	a.send(t, "go")
	b.send(t, "go")
	for _, c := range []*child{a, b} {
		c.expect(t, "ok")
		if err := c.wait(); err != nil {
			t.Errorf("child: %v (stderr: %s)", err, c.stderr)
		}
	}
	if got := hits.Load(); got != 1 {
		t.Errorf("authenticate requests = %d; want 1 for the two processes", got)
	}
	if got, err := s.LoadToken(t.Context(), s.Fingerprint("file-user", "file-password")); err != nil || got == nil {
		t.Errorf("LoadToken of the shared token = %v, %v; want the token", got, err)
	}
}

// timedStore gives the file store's calls 5 s (csconnect.Store's CallTimeout): a
// child under the race detector may wait that long for a lock.
type timedStore struct{ *Store }

func (timedStore) CallTimeout() time.Duration { return 5 * time.Second }
