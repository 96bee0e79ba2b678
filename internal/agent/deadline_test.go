package agent

import (
	"errors"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// deadlineCall is one deadline a recordingConn's socket was given.
type deadlineCall struct {
	write bool
	t     time.Time
}

// recordingConn records the deadlines set on it.
type recordingConn struct {
	net.Conn
	calls []deadlineCall
}

func (c *recordingConn) SetReadDeadline(t time.Time) error {
	c.calls = append(c.calls, deadlineCall{false, t})
	return nil
}

func (c *recordingConn) SetWriteDeadline(t time.Time) error {
	c.calls = append(c.calls, deadlineCall{true, t})
	return nil
}

// TestFarDeadlinesStayOffTheSocket: the deadlines net/http sets in one keep-alive
// request with the agent's ServerLimits (all minutes or seconds away) reach the
// socket only as a server without timeouts would have them: the abort of the
// background read (a deadline in the past) and its clearing. Each far one would
// arm, move or stop a runtime timer on the socket.
func TestFarDeadlinesStayOffTheSocket(t *testing.T) {
	rec := &recordingConn{}
	c := &framedConn{Conn: rec, sweep: newDeadlineSweeper(time.Second)} // not added: no sweeps
	now := time.Now()
	longAgo := time.Unix(1, 0)                         // net/http's aLongTimeAgo
	_ = c.SetReadDeadline(now.Add(10 * time.Second))   // ReadHeaderTimeout
	_ = c.SetReadDeadline(now.Add(60 * time.Second))   // ReadTimeout
	_ = c.SetWriteDeadline(now.Add(120 * time.Second)) // WriteTimeout, after the head
	_ = c.SetReadDeadline(time.Time{})                 // background read starts
	_ = c.SetReadDeadline(longAgo)                     // background read aborted
	_ = c.SetReadDeadline(time.Time{})
	_ = c.SetWriteDeadline(time.Time{})               // answer written
	_ = c.SetReadDeadline(now.Add(120 * time.Second)) // IdleTimeout
	_ = c.SetReadDeadline(now.Add(10 * time.Second))  // the next head
	want := []deadlineCall{{false, longAgo}, {false, time.Time{}}}
	if len(rec.calls) != len(want) {
		t.Fatalf("socket deadlines %v; want only %v", rec.calls, want)
	}
	for i := range want {
		if rec.calls[i].write != want[i].write || !rec.calls[i].t.Equal(want[i].t) {
			t.Errorf("socket deadline %d = %v; want %v", i, rec.calls[i], want[i])
		}
	}
	if d := c.due[readDeadline]; !d.Equal(now.Add(10 * time.Second)) {
		t.Errorf("kept read deadline %v; want the last one set, %v", d, now.Add(10*time.Second))
	}
	if !c.due[writeDeadline].IsZero() {
		t.Errorf("kept write deadline %v; want none after clearing", c.due[writeDeadline])
	}
}

// TestKeptDeadlinesFireOnTime: a far read or write deadline kept off the socket
// still ends a stalled Read or Write exactly when it falls due (the sweeper arms
// it on the socket ahead of time); a deadline moved later after it was armed does
// not fire at the earlier time; clearing it lets the call wait. When the last
// connection closes the sweeper's goroutine ends (synctest.Test waits for it).
func TestKeptDeadlinesFireOnTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newDeadlineSweeper(time.Second)
		srvSide, cliSide := net.Pipe()
		c := &framedConn{Conn: srvSide, sweep: s}
		s.add(c)
		defer cliSide.Close()
		defer c.Close()
		buf := make([]byte, 1)

		start := time.Now()
		_ = c.SetReadDeadline(start.Add(10 * time.Second))
		if _, err := c.Read(buf); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("read with a 10 s deadline: %v; want a deadline error", err)
		}
		if got := time.Since(start); got != 10*time.Second {
			t.Errorf("read ended after %v; want exactly 10s", got)
		}

		start = time.Now()
		_ = c.SetWriteDeadline(start.Add(5 * time.Second))
		if _, err := c.Write([]byte("x")); !errors.Is(err, os.ErrDeadlineExceeded) { // nobody reads the pipe
			t.Fatalf("write with a 5 s deadline: %v; want a deadline error", err)
		}
		if got := time.Since(start); got != 5*time.Second {
			t.Errorf("write ended after %v; want exactly 5s", got)
		}
		_ = c.SetWriteDeadline(time.Time{})

		// Armed on the socket (within the lead), then moved later: only the later
		// one counts.
		start = time.Now()
		_ = c.SetReadDeadline(start.Add(5 * time.Second))
		time.Sleep(4500 * time.Millisecond) // fake time: a sweep has armed it
		c.dmu.Lock()
		armed := c.armed[readDeadline]
		c.dmu.Unlock()
		if !armed {
			t.Fatal("a deadline 0.5 s away is not on the socket")
		}
		moved := time.Now()
		_ = c.SetReadDeadline(moved.Add(10 * time.Second))
		if _, err := c.Read(buf); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("read: %v; want a deadline error", err)
		}
		if got := time.Since(moved); got != 10*time.Second {
			t.Errorf("read ended %v after the deadline was moved 10 s ahead; want exactly 10s", got)
		}

		// Cleared: the read waits for data.
		_ = c.SetReadDeadline(time.Now().Add(3 * time.Second))
		time.Sleep(2500 * time.Millisecond)
		_ = c.SetReadDeadline(time.Time{})
		go func() {
			time.Sleep(time.Minute)
			_, _ = cliSide.Write([]byte("y"))
		}()
		start = time.Now()
		if n, err := c.Read(buf); err != nil || n != 1 {
			t.Fatalf("read after clearing the deadline: %d, %v; want the byte sent a minute later", n, err)
		}
		if got := time.Since(start); got != time.Minute {
			t.Errorf("read returned after %v; want 1m0s, when the byte came", got)
		}
	})
}

// TestSilentUpstreamTimedOut: a service that never sends its answer headers is
// cut at RequestTimeout by the answer bound (the connection sweeper), with 504 timeout, and its request
// canceled; the service transport arms no ResponseHeaderTimeout timer per request.
func TestSilentUpstreamTimedOut(t *testing.T) {
	canceled := make(chan struct{}, 1)
	e := newEnv(t, envOptions{
		cfg: func(c *Config) { c.RequestTimeout = 300 * time.Millisecond },
		upstream: func(w http.ResponseWriter, r *http.Request) {
			<-r.Context().Done() // never answers
			select {
			case canceled <- struct{}{}:
			default:
			}
		},
	})
	start := time.Now()
	st, _, body := e.get(t, "/up/silent")
	if st != http.StatusGatewayTimeout || !strings.Contains(body, `"code":"timeout"`) {
		t.Errorf("silent upstream: %d %s; want 504 with code timeout", st, body)
	}
	if d := time.Since(start); d < 300*time.Millisecond {
		t.Errorf("answered after %v; want no sooner than RequestTimeout (300ms)", d)
	}
	select {
	case <-canceled:
	case <-time.After(10 * time.Second):
		t.Error("the upstream request was not canceled")
	}
	if d := e.agent.lib.Load().base.ResponseHeaderTimeout; d != 0 {
		t.Errorf("service transport ResponseHeaderTimeout = %v; want 0 (a timer per request)", d)
	}
}
