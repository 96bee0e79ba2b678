package agent

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// net/http parses a request head with both Content-Length and Transfer-Encoding as
// RFC 9112 §6.3 tells it (chunked wins) and deletes the Content-Length before the
// handler runs, so the handler cannot see the conflict that request smuggling
// relies on. framedConn follows the framing of the bytes a connection reads (head,
// then the body by Content-Length or chunks, then the next head) and records, for
// each request head, whether it held both; the handler takes the record of its
// request and refuses it. It copies nothing: it keeps the request line and a few
// flags per head, bounded by maxFramedLine and maxFramedQueue.

const (
	// maxFramedLine bounds a head line or chunk line the tracker keeps; net/http
	// refuses heads over MaxHeaderBytes (431) and chunk lines over 4 KiB itself.
	maxFramedLine = 64 << 10
	// maxFramedQueue bounds the heads read ahead of their handler (pipelining).
	maxFramedQueue = 128
)

type framingState int

const (
	stRequestLine framingState = iota
	stHeader
	stBody      // Content-Length bytes left in remain
	stChunkLine // a chunk-size line
	stChunkData // remain bytes of chunk data
	stChunkEnd  // the CRLF after chunk data
	stTrailer   // trailer lines up to the empty one
	stLost      // the bytes no longer parse: nothing more is recorded
)

// headRecord is what the tracker learnt of one request head.
type headRecord struct {
	line     string // the request line, for matching the record to its request
	conflict bool   // both Content-Length and Transfer-Encoding
}

type framedConn struct {
	net.Conn
	mu      sync.Mutex
	state   framingState
	line    []byte // the current line, without its LF
	remain  int64
	head    headRecord
	cl, te  bool  // the current head names Content-Length / Transfer-Encoding
	clValue int64 // the first Content-Length value, -1 when not a number
	http10  bool
	queue   []headRecord

	// The connection's deadlines (deadline.go); without a sweeper they go
	// straight to the socket.
	sweep *deadlineSweeper
	dmu   sync.Mutex
	due   [2]time.Time // a far deadline the socket does not have yet, by kind
	armed [2]bool      // the socket has a deadline, by kind
	// writeBy is the write deadline in force (kept or on the socket), zero when
	// none: once past, the sweeper ends the exchange (sweepAt).
	writeBy time.Time
	// cancel ends the connection's context (withCancel), for the sweeper when
	// answerBy (sinceAccept nanoseconds, or noAnswerAwaited, or answerOverdue)
	// is past.
	cancel   context.CancelCauseFunc
	answerBy atomic.Int64
	accepted time.Time // with its monotonic reading: answerBy's origin
}

// framedListener wraps ln's connections in framedConn, their far deadlines kept
// off the socket until near when sweep is set.
type framedListener struct {
	net.Listener
	sweep *deadlineSweeper
}

// newFramedListener returns ln with the framing check and a deadline sweeper that
// looks every tick.
func newFramedListener(ln net.Listener, tick time.Duration) framedListener {
	return framedListener{Listener: ln, sweep: newDeadlineSweeper(tick)}
}

func (l framedListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	fc := &framedConn{Conn: c, sweep: l.sweep}
	if l.sweep != nil {
		fc.accepted = time.Now()
		l.sweep.add(fc)
	}
	return fc, nil
}

// CloseWrite keeps net/http's half-close of TCP connections.
func (c *framedConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

func (c *framedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.mu.Lock()
		c.feed(p[:n])
		c.mu.Unlock()
	}
	return n, err
}

// feed advances the framing over b.
func (c *framedConn) feed(b []byte) {
	for len(b) > 0 {
		switch c.state {
		case stLost:
			return
		case stBody, stChunkData:
			k := int64(len(b))
			if k > c.remain {
				k = c.remain
			}
			c.remain -= k
			b = b[k:]
			if c.remain == 0 {
				if c.state == stBody {
					c.state = stRequestLine
				} else {
					c.state = stChunkEnd
				}
			}
		default:
			i := bytes.IndexByte(b, '\n')
			if i < 0 {
				c.appendLine(b)
				return
			}
			c.appendLine(b[:i])
			b = b[i+1:]
			if c.state == stLost {
				return
			}
			c.endLine(bytes.TrimSuffix(c.line, []byte("\r")))
			if cap(c.line) > 4<<10 {
				c.line = nil // a long line's buffer is not kept for the connection's life
			} else {
				c.line = c.line[:0]
			}
		}
	}
}

func (c *framedConn) appendLine(b []byte) {
	if len(c.line)+len(b) > maxFramedLine {
		c.lose()
		return
	}
	c.line = append(c.line, b...)
}

// lose stops the tracking: the handler treats the requests that follow as
// unverified.
func (c *framedConn) lose() {
	c.state = stLost
	c.line = nil
}

var (
	nameContentLength    = []byte("Content-Length")
	nameTransferEncoding = []byte("Transfer-Encoding")
)

// endLine handles one complete line (without its line end) in the head, chunk or
// trailer states.
func (c *framedConn) endLine(line []byte) {
	switch c.state {
	case stRequestLine:
		if len(line) == 0 {
			c.lose() // net/http refuses an empty request line
			return
		}
		c.head = headRecord{line: string(line)}
		c.cl, c.te, c.clValue = false, false, -1
		c.http10 = bytes.HasSuffix(line, []byte(" HTTP/1.0"))
		c.state = stHeader
	case stHeader:
		if len(line) != 0 {
			if line[0] == ' ' || line[0] == '\t' {
				return // obs-fold: continues the previous header's value
			}
			name, value, _ := bytes.Cut(line, []byte(":"))
			switch {
			case bytes.EqualFold(name, nameContentLength):
				if !c.cl {
					c.clValue = parseUint(bytes.Trim(value, " \t"), 10)
				}
				c.cl = true
			case bytes.EqualFold(name, nameTransferEncoding):
				c.te = true
			}
			return
		}
		c.endHead()
	case stChunkLine:
		size, _, _ := bytes.Cut(line, []byte(";"))
		n := parseUint(bytes.Trim(size, " \t"), 16)
		if n < 0 {
			c.lose()
			return
		}
		if n == 0 {
			c.state = stTrailer
			return
		}
		c.remain, c.state = n, stChunkData
	case stChunkEnd:
		if len(line) != 0 {
			c.lose()
			return
		}
		c.state = stChunkLine
	case stTrailer:
		if len(line) == 0 {
			c.state = stRequestLine
		}
	}
}

// parseUint parses b in base 10 or 16, or returns -1.
func parseUint(b []byte, base int) int64 {
	if len(b) == 0 || len(b) > 15 {
		return -1
	}
	var n int64
	for _, x := range b {
		var d int64
		switch {
		case '0' <= x && x <= '9':
			d = int64(x - '0')
		case base == 16 && 'a' <= x|0x20 && x|0x20 <= 'f':
			d = int64(x|0x20-'a') + 10
		default:
			return -1
		}
		n = n*int64(base) + d
	}
	return n
}

// endHead records the head just ended and enters its body's framing as net/http
// reads it: chunked for an HTTP/1.1 Transfer-Encoding, else Content-Length.
func (c *framedConn) endHead() {
	c.head.conflict = c.cl && c.te
	// OPTIONS * is answered by net/http without calling the handler: no record.
	if !strings.HasPrefix(c.head.line, "OPTIONS * ") {
		if len(c.queue) >= maxFramedQueue {
			c.lose()
			return
		}
		c.queue = append(c.queue, c.head)
	}
	switch {
	case c.te && !c.http10:
		c.state = stChunkLine
	case c.cl:
		n := c.clValue
		if n < 0 {
			c.lose() // net/http refuses it and closes the connection
			return
		}
		c.remain, c.state = n, stBody
		if n == 0 {
			c.state = stRequestLine
		}
	default:
		c.state = stRequestLine
	}
}

// framing is what the tracker knows of r's head.
type framing int

const (
	framingUntracked framing = iota // no tracker (a server the agent did not set up)
	framingOK
	framingConflict   // Content-Length and Transfer-Encoding together
	framingUnverified // the tracker lost the thread
)

type framedConnKey struct{}

// connContext puts a framedConn in the context of its requests, and gives the
// connection a context the sweeper can end (http.Server.ConnContext).
func connContext(ctx context.Context, c net.Conn) context.Context {
	if fc, ok := c.(*framedConn); ok {
		if fc.sweep != nil {
			ctx = fc.withCancel(ctx)
		}
		return context.WithValue(ctx, framedConnKey{}, fc)
	}
	return ctx
}

// framingOf takes the record of r's head from its connection's tracker.
func framingOf(r *http.Request) framing {
	c, _ := r.Context().Value(framedConnKey{}).(*framedConn)
	if c == nil {
		return framingUntracked
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.queue) == 0 {
		return framingUnverified
	}
	h := c.queue[0]
	c.queue[0] = headRecord{}
	c.queue = c.queue[1:]
	if !isRequestLine(h.line, r) {
		return framingUnverified
	}
	if h.conflict {
		return framingConflict
	}
	return framingOK
}

// isRequestLine reports whether line is r's request line, as net/http cut it.
func isRequestLine(line string, r *http.Request) bool {
	rest, ok := strings.CutPrefix(line, r.Method)
	if !ok {
		return false
	}
	rest, ok = strings.CutPrefix(rest, " ")
	if !ok {
		return false
	}
	rest, ok = strings.CutPrefix(rest, r.RequestURI)
	return ok && rest == " "+r.Proto
}
