package agent

import (
	"context"
	"sync"
	"time"
)

// net/http moves a connection's read and write deadlines several times per request
// when ReadTimeout, WriteTimeout and IdleTimeout are set: the header deadline, the
// whole-request deadline, the write deadline after the head and its clearing after
// the answer, the idle deadline, the header deadline again. On the socket each far
// deadline is a runtime timer armed, moved or stopped, and arming one that is the
// earliest of its P wakes a thread to watch it (wakeNetPoller: a netpoll break or
// a spinning M). At one connection that was the agent's gap to a bare
// ReverseProxy, which sets only ReadHeaderTimeout (README "From any language").
//
// framedConn therefore keeps a far deadline to itself and a sweeper arms it on the
// socket only when it comes within deadlineLead: every deadlineTick it looks at
// each connection, so a deadline is on the socket at least one tick before it
// falls due and fires on time, exactly as if set directly (late only if the
// sweeper itself is held up past the deadline). A deadline set near or in the past
// (net/http's "abort this read now", a test's short timeout) goes to the socket at
// once, and so does clearing one that is there. The protections are unchanged;
// per request, while timeouts are minutes away, the socket sees only what a
// server without them would.
//
// The sweeper also makes WriteTimeout bound the whole exchange, as ServerLimits
// says. net/http's write deadline fails only a write: a handler blocked elsewhere
// (the proxy waiting on a service that sent its headers and then stalls its body)
// was held, with the client's connection and the service's, for as long as the
// service wished. Once a connection's write deadline has passed (it is cleared when
// an answer is complete, so it passes only on an answer not written in time),
// the sweeper fails its reads too: net/http's background read of the connection
// then ends the request's context, which ends the proxied request.
//
// And the sweeper bounds the wait for Creditsafe's answer headers
// (Config.RequestTimeout) with nothing armed per request either, where
// http.Transport's ResponseHeaderTimeout starts a timer per request. Each
// connection's context is its own (connContext) and can be ended; the agent
// writes on the connection when the answer is due (awaitAnswer) and clears it
// when the headers came (answered). A sweep that finds it past due ends the
// connection's context with errNoAnswer, which ends the request, and the agent
// answers 504 timeout and closes the connection. A request is ended at most one
// tick late (1 s on a 60 s bound).

const (
	// deadlineTick is how often the sweeper looks at the connections of a
	// listener that has any.
	deadlineTick = time.Second
)

// deadline kinds, indexes of framedConn.due and framedConn.armed.
const (
	readDeadline = iota
	writeDeadline
)

// deadlineSweeper arms the far deadlines of its connections when they come near.
// Its goroutine runs while it has connections.
type deadlineSweeper struct {
	tick time.Duration // a deadline less than 2 ticks away goes to the socket

	mu    sync.Mutex
	conns map[*framedConn]struct{}
	stop  chan struct{} // closed when the last connection goes; nil: no goroutine
}

func newDeadlineSweeper(tick time.Duration) *deadlineSweeper {
	return &deadlineSweeper{tick: tick, conns: map[*framedConn]struct{}{}}
}

// lead is how far ahead a deadline goes to the socket.
func (s *deadlineSweeper) lead() time.Duration { return 2 * s.tick }

func (s *deadlineSweeper) add(c *framedConn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.conns[c] = struct{}{}
	if s.stop == nil {
		s.stop = make(chan struct{})
		go s.run(s.stop)
	}
}

func (s *deadlineSweeper) remove(c *framedConn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.conns, c)
	if len(s.conns) == 0 && s.stop != nil {
		close(s.stop)
		s.stop = nil
	}
}

// run arms, every tick, the deadlines that came within lead, until stop closes.
func (s *deadlineSweeper) run(stop <-chan struct{}) {
	t := time.NewTicker(s.tick)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		s.mu.Lock()
		now := time.Now()
		horizon := now.Add(s.lead())
		for c := range s.conns {
			c.sweepAt(now, horizon)
		}
		s.mu.Unlock()
	}
}

// errNoAnswer is the cause of a request whose answer headers did not come within
// the request timeout: a net.Error whose Timeout is true, as ResponseHeaderTimeout's.
var errNoAnswer error = noAnswerError{}

type noAnswerError struct{}

func (noAnswerError) Error() string {
	return "no answer headers from the service within the request timeout"
}
func (noAnswerError) Timeout() bool   { return true }
func (noAnswerError) Temporary() bool { return true }

// Values of framedConn.answerBy besides a due time.
const (
	noAnswerAwaited = 0
	answerOverdue   = -1 // the sweeper ended the wait
)

// awaitAnswer notes that the request being forwarded on c needs its answer
// headers by due.
func (c *framedConn) awaitAnswer(due time.Time) { c.answerBy.Store(c.sinceAccept(due)) }

// sinceAccept is t in answerBy's unit: nanoseconds since the connection was
// accepted on the monotonic clock, as time.Time compares (a step of the wall
// clock moves neither a due time nor now), plus one so that it is above
// noAnswerAwaited.
func (c *framedConn) sinceAccept(t time.Time) int64 { return int64(t.Sub(c.accepted)) + 1 }

// answered ends the wait awaitAnswer began. It reports false when the sweeper
// ended it first: the connection's context is ended (or about to be) with
// errNoAnswer. After it returns the sweeper no longer ends the context.
func (c *framedConn) answered() bool { return c.answerBy.Swap(noAnswerAwaited) != answerOverdue }

// withCancel gives c a context of its own that the sweeper can end, derived
// from ctx (http.Server.ConnContext).
func (c *framedConn) withCancel(ctx context.Context) context.Context {
	ctx, cancel := context.WithCancelCause(ctx)
	c.dmu.Lock()
	c.cancel = cancel
	c.dmu.Unlock()
	return ctx
}

// SetDeadline sets both deadlines (net.Conn).
func (c *framedConn) SetDeadline(t time.Time) error {
	if err := c.setDeadline(readDeadline, t); err != nil {
		return err
	}
	return c.setDeadline(writeDeadline, t)
}

// SetReadDeadline sets the read deadline (net.Conn).
func (c *framedConn) SetReadDeadline(t time.Time) error { return c.setDeadline(readDeadline, t) }

// SetWriteDeadline sets the write deadline (net.Conn).
func (c *framedConn) SetWriteDeadline(t time.Time) error { return c.setDeadline(writeDeadline, t) }

// setDeadline records t, a deadline of kind k: one at least the sweeper's lead
// away is kept for the sweeper (and one the socket has is cleared, so that it
// cannot fire first); a nearer one goes to the socket now.
func (c *framedConn) setDeadline(k int, t time.Time) error {
	if c.sweep == nil {
		return c.socketDeadline(k, t)
	}
	c.dmu.Lock()
	defer c.dmu.Unlock()
	if k == writeDeadline {
		c.writeBy = t
	}
	c.due[k] = time.Time{}
	if !t.IsZero() && time.Until(t) >= c.sweep.lead() {
		c.due[k] = t
		t = time.Time{}
	}
	if t.IsZero() && !c.armed[k] {
		return nil // nothing on the socket to clear
	}
	c.armed[k] = !t.IsZero()
	return c.socketDeadline(k, t)
}

// pastDeadline is a read deadline that fails reads at once (net/http's aLongTimeAgo).
var pastDeadline = time.Unix(1, 0)

// sweepAt puts on the socket the kept deadlines before horizon, ends the
// connection's context when the answer headers it awaits are overdue, and fails the
// connection's reads when its write deadline is not after now: the answer was not
// written in time and no longer can be, and net/http's background read, failing,
// ends the request's context (see the top of this file).
func (c *framedConn) sweepAt(now, horizon time.Time) {
	c.dmu.Lock()
	defer c.dmu.Unlock()
	if due := c.answerBy.Load(); due > noAnswerAwaited && c.sinceAccept(now) >= due && c.cancel != nil &&
		c.answerBy.CompareAndSwap(due, answerOverdue) {
		c.cancel(errNoAnswer)
	}
	for k := range c.due {
		if d := c.due[k]; !d.IsZero() && d.Before(horizon) {
			c.due[k] = time.Time{}
			c.armed[k] = true
			_ = c.socketDeadline(k, d) // a closed connection: nothing left to bound
		}
	}
	if !c.writeBy.IsZero() && !now.Before(c.writeBy) {
		c.writeBy = time.Time{}
		c.due[readDeadline] = time.Time{}
		c.armed[readDeadline] = true
		_ = c.Conn.SetReadDeadline(pastDeadline)
	}
}

func (c *framedConn) socketDeadline(k int, t time.Time) error {
	if k == readDeadline {
		return c.Conn.SetReadDeadline(t)
	}
	return c.Conn.SetWriteDeadline(t)
}

// Close closes the connection, takes it off the sweeper and ends its context.
func (c *framedConn) Close() error {
	if c.sweep != nil {
		c.sweep.remove(c)
	}
	c.dmu.Lock()
	if c.cancel != nil {
		c.cancel(nil)
	}
	c.dmu.Unlock()
	return c.Conn.Close()
}
