package filestore

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/csconnect/csconnect/internal/testlog"
)

var (
	testKey  = bytes.Repeat([]byte("k"), 32)
	otherKey = bytes.Repeat([]byte("o"), 32)
)

// sampleToken is the token prefix from the vendor's authenticate document.
const sampleToken = "eyJhbGciOiJSUzI1NiIsImtpZCI6Im.sample.hPeGE7Ak8YtKFbA"

// newTestStore returns a store in a new directory under t.TempDir (New creates it).
func newTestStore(t *testing.T, opts Options) *Store {
	t.Helper()
	if opts.Dir == "" {
		opts.Dir = t.TempDir() + "/store"
	}
	s, err := New(opts)
	if err != nil {
		t.Fatalf("New(%v) = %v", opts, err)
	}
	return s
}

// fixedNow pins s's clock to now.
func fixedNow(s *Store, now time.Time) { s.now = func() time.Time { return now } }

// The tests that need real processes re-execute the test binary with childEnv set to
// a role; TestMain runs the role instead of the tests. A child reads its parameters
// from the environment, says what it did on stdout, one word per line, and takes its
// cues from lines on stdin.
const childEnv = "CSCONNECT_FILESTORE_CHILD"

func TestMain(m *testing.M) {
	if role := os.Getenv(childEnv); role != "" {
		if err := runChild(role); err != nil {
			fmt.Fprintf(os.Stderr, "child %s: %v\n", role, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// child is a running child process.
type child struct {
	role   string
	cmd    *exec.Cmd
	out    *bufio.Scanner
	in     io.WriteCloser
	stderr *testlog.Buffer
	done   chan struct{} // closed when the process has been waited for
	err    error         // Wait's result, once done is closed
}

// startChild runs the test binary in role with env added. The child is killed (if
// still running) and waited for in t.Cleanup.
func startChild(t *testing.T, role string, env ...string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(append(os.Environ(), childEnv+"="+role), env...)
	c := &child{role: role, cmd: cmd, stderr: &testlog.Buffer{}, done: make(chan struct{})}
	cmd.Stderr = c.stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if c.in, err = cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	c.out = bufio.NewScanner(out)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill() // by its own pid; harmless when it has exited
		c.wait()
	})
	return c
}

// line returns the child's next line of stdout ("" at its end).
func (c *child) line(t *testing.T) string {
	t.Helper()
	if c.out.Scan() {
		return c.out.Text()
	}
	return ""
}

// expect fails the test unless the child's next line is want.
func (c *child) expect(t *testing.T, want string) {
	t.Helper()
	if got := c.line(t); got != want {
		t.Fatalf("child %s said %q; want %q (stderr: %s)", c.role, got, want, c.stderr)
	}
}

// send writes a line to the child's stdin.
func (c *child) send(t *testing.T, s string) {
	t.Helper()
	if _, err := io.WriteString(c.in, s+"\n"); err != nil {
		t.Fatalf("write to child: %v", err)
	}
}

// wait waits for the child to exit (once) and returns Wait's error.
func (c *child) wait() error {
	select {
	case <-c.done:
	default:
		c.err = c.cmd.Wait()
		close(c.done)
	}
	return c.err
}

// killedBy reports whether err (from wait) says the process died of sig.
func killedBy(err error, sig syscall.Signal) bool {
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return false
	}
	ws, ok := ee.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == sig
}

// runChild runs one child role. Parameters come from the environment:
// FS_DIR (the store's directory), and per role FS_MARKER, FS_ROUNDS, FS_KIND, FS_URL.
func runChild(role string) error {
	s, err := New(Options{Dir: os.Getenv("FS_DIR"), Timeout: 5 * time.Second})
	if err != nil {
		return err
	}
	in := bufio.NewScanner(os.Stdin)
	ctx := context.Background()
	switch role {
	case "lease-loop":
		return childLeaseLoop(ctx, s, in)
	case "lease-hold":
		_, ok, err := s.AcquireLease(ctx, "fp", time.Hour)
		if err != nil || !ok {
			return fmt.Errorf("AcquireLease = %t, %v", ok, err)
		}
		fmt.Println("held")
		in.Scan() // until killed
		return nil
	case "crash-write":
		return childCrashWrite(ctx, s)
	case "cache":
		return childCache(ctx, s, in)
	}
	return fmt.Errorf("unknown role %q", role)
}

// childLeaseLoop takes the lease FS_ROUNDS times. While it holds the lease it creates
// the file FS_MARKER exclusively (O_EXCL) and removes it before release: if two
// processes ever held the lease at once, one of them finds the marker there and fails.
func childLeaseLoop(ctx context.Context, s *Store, in *bufio.Scanner) error {
	marker := os.Getenv("FS_MARKER")
	var rounds int
	if _, err := fmt.Sscan(os.Getenv("FS_ROUNDS"), &rounds); err != nil {
		return err
	}
	fmt.Println("ready")
	in.Scan() // all children start together
	attempts := 0
	for held := 0; held < rounds; attempts++ {
		release, ok, err := s.AcquireLease(ctx, "fp", time.Hour)
		if err != nil && ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
			// The lock file stayed busy past Timeout: on a loaded machine eight
			// processes looping on one lock can starve one of them. Exclusivity is what
			// this test checks, so that is a lease not got, not a failure.
			ok, err = false, nil
		}
		if err != nil {
			return err
		}
		if !ok {
			time.Sleep(time.Millisecond) // back off, then try again
			continue
		}
		f, err := os.OpenFile(marker, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err != nil {
			fmt.Println("overlap")
			return fmt.Errorf("holding the lease, found another holder's marker: %v", err)
		}
		_ = f.Close()
		time.Sleep(time.Millisecond) // hold the lease a while: overlaps would show
		if err := os.Remove(marker); err != nil {
			return err
		}
		release()
		held++
	}
	fmt.Println("done")
	return nil
}

// childCrashWrite saves a new value of FS_KIND (token or guard) and dies (SIGKILL)
// after writing half of the new file: what a crash or a kill -9 does.
func childCrashWrite(ctx context.Context, s *Store) error {
	s.dir.hookWrite = func(f *os.File, data []byte) error {
		if _, err := f.Write(data[:len(data)/2]); err != nil {
			return err
		}
		_ = f.Sync()
		fmt.Println("dying")
		_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {} // SIGKILL is not delivered to a Go handler: it ends the process here
	}
	switch kind := os.Getenv("FS_KIND"); kind {
	case "token":
		return s.SaveToken(ctx, "fp", crashToken())
	case "guard":
		_, err := s.MergeGuard(ctx, "fp", crashGuard())
		return err
	default:
		return fmt.Errorf("FS_KIND %q", kind)
	}
}

func childCache(ctx context.Context, s *Store, in *bufio.Scanner) error {
	cache, err := newChildCache(s, os.Getenv("FS_URL"))
	if err != nil {
		return err
	}
	fmt.Println("ready")
	in.Scan()
	tok, err := cache.Token(ctx)
	if err != nil {
		return err
	}
	if tok.Value == "" {
		return errors.New("empty token")
	}
	fmt.Println("ok")
	return nil
}

// osFileMode is the permission bits of path.
func osFileMode(t *testing.T, path string) os.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

// noSecretIn fails the test when s contains the token.
func noSecretIn(t *testing.T, what, s string) {
	t.Helper()
	if strings.Contains(s, sampleToken) {
		t.Errorf("%s quotes the token: %q", what, s)
	}
}

// must returns v, and panics on err (a test fails on the panic, with its stack).
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
