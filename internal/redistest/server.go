// Package redistest runs a throwaway redis-server on a free loopback port, for the
// tests of the Redis store and for the fleet demonstration. The server keeps nothing on
// disk (no RDB snapshots, no AOF) and is stopped by Close or, in tests, by t.Cleanup.
package redistest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
)

// ErrNoBinary reports that no redis-server binary is on PATH.
var ErrNoBinary = errors.New("redistest: no redis-server on PATH (install it with 'make deps' or 'apt-get install redis-server')")

// startTimeout bounds how long a start waits for "Ready to accept connections".
const startTimeout = 10 * time.Second

// Server is one redis-server process bound to 127.0.0.1. Its methods are safe for
// concurrent use.
type Server struct {
	// Addr is host:port of the server, stable across Kill and Restart.
	Addr string

	bin  string
	port int
	dir  string

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has exited
	logs *tail
}

// Start runs redis-server on a free loopback port and returns once it accepts
// connections, or an error (ErrNoBinary when the binary is absent). The caller must
// Close it.
func Start(ctx context.Context) (*Server, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, ErrNoBinary
	}
	dir, err := os.MkdirTemp("", "redistest-")
	if err != nil {
		return nil, err
	}
	// A free port can be taken by someone else between our probe and redis's bind;
	// try a few ports before giving up.
	var lastErr error
	for range 3 {
		port, err := freePort()
		if err != nil {
			return nil, errors.Join(err, os.RemoveAll(dir))
		}
		s := &Server{Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), bin: bin, port: port, dir: dir}
		if lastErr = s.start(ctx); lastErr == nil {
			return s, nil
		}
	}
	return nil, errors.Join(lastErr, os.RemoveAll(dir))
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// start launches the process and waits, bounded by startTimeout and ctx, for the
// line redis logs once it listens. Reading that line is an event, not a poll.
func (s *Server) start(ctx context.Context) error {
	cmd := exec.Command(s.bin,
		"--port", strconv.Itoa(s.port),
		"--bind", "127.0.0.1",
		"--save", "",
		"--appendonly", "no",
		"--dir", s.dir,
		"--daemonize", "no",
		"--logfile", "",
		"--loglevel", "notice",
	)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		return err
	}
	logs := &tail{max: 50}
	ready := make(chan struct{})
	done := make(chan struct{})
	go func() {
		// Drain the log for the life of the process so redis never blocks on a full
		// pipe; keep the last lines for error messages.
		sc := bufio.NewScanner(out)
		signalled := false
		for sc.Scan() {
			logs.add(sc.Text())
			if !signalled && strings.Contains(sc.Text(), "Ready to accept connections") {
				signalled = true
				close(ready)
			}
		}
		_ = cmd.Wait()
		close(done)
	}()
	timer := time.NewTimer(startTimeout)
	defer timer.Stop()
	select {
	case <-ready:
		s.mu.Lock()
		s.cmd, s.done, s.logs = cmd, done, logs
		s.mu.Unlock()
		return nil
	case <-done:
		return fmt.Errorf("redistest: redis-server on port %d exited at start:\n%s", s.port, logs)
	case <-timer.C:
	case <-ctx.Done():
	}
	_ = cmd.Process.Kill()
	<-done
	return fmt.Errorf("redistest: redis-server on port %d not ready in %v:\n%s", s.port, startTimeout, logs)
}

// Kill stops the server abruptly (SIGKILL) and waits for it to exit: clients see
// connection errors from then on. Killing a stopped server does nothing.
func (s *Server) Kill() {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGCONT) // a paused process must run to die promptly
	_ = cmd.Process.Kill()
	<-done
}

// Restart starts a killed server again on the same address, empty.
func (s *Server) Restart(ctx context.Context) error {
	s.Kill()
	return s.start(ctx)
}

// Pause freezes the server (SIGSTOP): connections stay open but nothing is answered,
// which is what a slow or overloaded Redis looks like to a client.
func (s *Server) Pause() { s.signal(syscall.SIGSTOP) }

// Resume undoes Pause (SIGCONT).
func (s *Server) Resume() { s.signal(syscall.SIGCONT) }

func (s *Server) signal(sig os.Signal) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		_ = s.cmd.Process.Signal(sig)
	}
}

// Close kills the server and removes its directory.
func (s *Server) Close() error {
	s.Kill()
	return os.RemoveAll(s.dir)
}

// Logs returns the last lines the server logged.
func (s *Server) Logs() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logs.String()
}

// Client returns a go-redis client for the server with the settings csconnect
// recommends for a shared store: context deadlines honoured on the socket, short
// dial/read/write timeouts, no retries. The caller closes it.
func (s *Server) Client() *redis.Client {
	return redis.NewClient(&redis.Options{
		Addr:                  s.Addr,
		ContextTimeoutEnabled: true,
		DialTimeout:           time.Second,
		ReadTimeout:           time.Second,
		WriteTimeout:          time.Second,
		MaxRetries:            -1,
		Protocol:              2,
		DisableIdentity:       true,
	})
}

// tail keeps the last max lines written to it.
type tail struct {
	mu    sync.Mutex
	max   int
	lines []string
}

func (t *tail) add(line string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.lines = append(t.lines, line)
	if len(t.lines) > t.max {
		t.lines = t.lines[len(t.lines)-t.max:]
	}
}

func (t *tail) String() string {
	if t == nil {
		return ""
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.Join(t.lines, "\n")
}
