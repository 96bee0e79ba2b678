package agent

import (
	"net"
	"testing"
	"time"
)

// deadlineConn records the write deadlines set on it.
type deadlineConn struct {
	net.Conn
	sets   []time.Time
	writes int
}

func (c *deadlineConn) SetWriteDeadline(t time.Time) error { c.sets = append(c.sets, t); return nil }
func (c *deadlineConn) Write(p []byte) (int, error)        { c.writes++; return len(p), nil }

// TestFramedConnWriteDeadlineCoarse: the per-request set and clear of
// WriteTimeout reach the connection once per second at most, a clear reaches it
// before the next write, and a past deadline at once.
func TestFramedConnWriteDeadlineCoarse(t *testing.T) {
	under := &deadlineConn{}
	c := &framedConn{Conn: under}
	now := time.Now()
	t1 := now.Add(120 * time.Second)
	_ = c.SetWriteDeadline(t1)
	if len(under.sets) != 1 || under.sets[0].Before(t1) || under.sets[0].Sub(t1) > deadlineGrain {
		t.Fatalf("first set: %v, want one deadline in [%v, +1s]", under.sets, t1)
	}
	_ = c.SetWriteDeadline(time.Time{}) // net/http's clear after the answer
	_ = c.SetWriteDeadline(under.sets[0].Add(-deadlineGrain / 2))
	if len(under.sets) != 1 {
		t.Fatalf("a set within the grain of the armed deadline reached the conn: %v", under.sets)
	}
	_ = c.SetWriteDeadline(time.Time{})
	if _, err := c.Write([]byte("x")); err != nil || len(under.sets) != 2 || !under.sets[1].IsZero() {
		t.Fatalf("write after a clear: sets %v, err %v; want the clear set first", under.sets, err)
	}
	past := now.Add(-time.Second)
	_ = c.SetWriteDeadline(past)
	if len(under.sets) != 3 || !under.sets[2].Equal(past) {
		t.Fatalf("past deadline: sets %v, want it set as is", under.sets)
	}
}

// TestFramedConnWriteDeadlineEnforced: a write blocked on a client that reads
// nothing fails by the (coarsened) WriteTimeout.
func TestFramedConnWriteDeadlineEnforced(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	sc, err := framedListener{ln}.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	_ = sc.SetWriteDeadline(time.Now().Add(10 * time.Millisecond))
	buf := make([]byte, 1<<20)
	done := make(chan error, 1)
	go func() {
		for {
			if _, err := sc.Write(buf); err != nil {
				done <- err
				return
			}
		}
	}()
	select {
	case err := <-done:
		if ne, ok := err.(net.Error); !ok || !ne.Timeout() {
			t.Fatalf("write error %v, want a timeout", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the write deadline did not fire")
	}
}
