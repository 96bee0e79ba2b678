package agent

import (
	"bufio"
	"context"
	"github.com/csconnect/csconnect/pkg/csconnect"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// TestStalledUpstreamBodyEndedAtWriteTimeout: a service that sends its headers and
// part of its body, then stalls, held the agent's handler, the client's connection
// and the service's for as long as it wished: WriteTimeout fails only writes, and
// the handler waits on the service, not on a write. Now the exchange ends once the
// write deadline has passed: the service's request is canceled and the client's
// connection closed.
func TestStalledUpstreamBodyEndedAtWriteTimeout(t *testing.T) {
	released := make(chan struct{})
	e := newEnv(t, envOptions{
		limits: ServerLimits{WriteTimeout: 300 * time.Millisecond},
		upstream: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "100")
			_, _ = io.WriteString(w, "part")
			_ = http.NewResponseController(w).Flush()
			<-r.Context().Done() // and never the other 96 bytes
			close(released)
		},
	})
	c, err := net.Dial("tcp", hostOf(e.srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, _ = io.WriteString(c, "GET /up/stall HTTP/1.1\r\nHost: localhost\r\n\r\n")
	select {
	case <-released:
	case <-time.After(10 * time.Second):
		t.Fatal("the service's request is still open 10 s after a 300 ms WriteTimeout")
	}
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.ReadAll(c); err != nil {
		t.Fatalf("the client's connection is still open after the exchange ended: %v", err)
	}
}

// TestEndlessInterimAnswersTimedOut: a service that answers 103 Early Hints forever
// and never its final headers gets 504 timeout at RequestTimeout from the header
// watch, and its connection is let go.
func TestEndlessInterimAnswersTimedOut(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	gone := make(chan struct{})
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer close(gone)
		defer c.Close()
		br := bufio.NewReader(c)
		if _, err := http.ReadRequest(br); err != nil {
			return
		}
		for {
			if _, err := io.WriteString(c, "HTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\n"); err != nil {
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	e := newEnv(t, envOptions{
		cfg: func(c *Config) {
			c.RequestTimeout = 300 * time.Millisecond
			c.Routes = append(c.Routes, mustRoute(t, "/raw/=http://"+ln.Addr().String()+"/"))
		},
	})
	st, _, body := e.get(t, "/raw/x")
	if st != http.StatusGatewayTimeout || !strings.Contains(body, `"code":"timeout"`) {
		t.Errorf("endless 103s: %d %s; want 504 with code timeout", st, body)
	}
	select {
	case <-gone:
	case <-time.After(10 * time.Second):
		t.Fatal("the service's connection is still open 10 s after the 504")
	}
}

// TestLongStreamedAnswerNotCutByRequestTimeout: RequestTimeout bounds the wait for
// the answer headers only; a body streamed for five times as long arrives whole.
func TestLongStreamedAnswerNotCutByRequestTimeout(t *testing.T) {
	e := newEnv(t, envOptions{
		cfg: func(c *Config) { c.RequestTimeout = 100 * time.Millisecond },
		upstream: func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(200)
			for range 20 {
				_, _ = io.WriteString(w, "chunk\n")
				_ = http.NewResponseController(w).Flush()
				time.Sleep(25 * time.Millisecond) // the service's pace, not a wait for an event
			}
		},
	})
	st, _, body := e.get(t, "/up/long")
	if st != 200 || strings.Count(body, "chunk") != 20 {
		t.Fatalf("streamed answer: %d %q; want 200 and 20 chunks", st, body)
	}
}

// fixedSource hands out one token.
type fixedSource struct{}

func (fixedSource) Token(context.Context) (*Token, error) {
	return &Token{Value: "fixed", Fetched: time.Now(), Expiry: time.Now().Add(time.Hour)}, nil
}

// headersAtTheBound is a service transport whose answer headers come as the header
// watch ends the request: it returns the answer although the request's context is
// canceled by then, as http.Transport may when the headers and the cancellation
// are both ready (its select picks either).
type headersAtTheBound struct{ wait time.Duration }

func (h headersAtTheBound) RoundTrip(r *http.Request) (*http.Response, error) {
	time.Sleep(h.wait) // fake time: the watch passes by meanwhile
	return &http.Response{StatusCode: http.StatusOK, Header: http.Header{}, ContentLength: -1,
		Body: io.NopCloser(strings.NewReader("the whole answer")), Request: r}, nil
}

// TestAnswerCanceledByTheWatchIsA504NotACutBody: when the header bound ends a
// request whose answer headers came at that instant, the agent answered with
// those headers and a body that could not be read (the context was canceled):
// the client saw a 200 cut off after its headers. The answer is now 504 timeout
// (errNoAnswer), as for headers that came a moment later: with the connection's
// sweeper (Serve) and with the timer of a server without one.
func TestAnswerCanceledByTheWatchIsA504NotACutBody(t *testing.T) {
	for _, swept := range []bool{true, false} {
		synctest.Test(t, func(t *testing.T) {
			const timeout, tick = 10 * time.Second, time.Second
			a := &Agent{cfg: Config{RequestTimeout: timeout}}
			a.lib.Store(&library{transport: &csconnect.Transport{Source: fixedSource{}, Base: headersAtTheBound{wait: timeout + 2*tick}}})
			ctx := t.Context()
			if swept {
				client, server := net.Pipe()
				defer client.Close()
				ln := newFramedListener(oneConnListener{server}, tick)
				c, err := ln.Accept()
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				ctx = connContext(ctx, c)
			}
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://127.0.0.1/x", nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := agentTransport{a}.RoundTrip(req)
			if err == nil {
				b, rerr := io.ReadAll(resp.Body)
				resp.Body.Close()
				t.Fatalf("swept=%v: RoundTrip returned a %d (body %q, %v) after the bound; want errNoAnswer (504)", swept, resp.StatusCode, b, rerr)
			}
			if err != errNoAnswer {
				t.Fatalf("swept=%v: RoundTrip: %v; want errNoAnswer", swept, err)
			}
			if swept && context.Cause(ctx) != errNoAnswer {
				t.Errorf("the connection's context ended with %v; want errNoAnswer", context.Cause(ctx))
			}
		})
	}
}

// TestAnswerInTimeKeepsTheConnection: an answer whose headers come before the
// bound leaves the connection's context alive, and a later sweep past the old due
// time does not end it.
func TestAnswerInTimeKeepsTheConnection(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const timeout, tick = 10 * time.Second, time.Second
		a := &Agent{cfg: Config{RequestTimeout: timeout}}
		a.lib.Store(&library{transport: &csconnect.Transport{Source: fixedSource{}, Base: headersAtTheBound{wait: tick}}})
		client, server := net.Pipe()
		defer client.Close()
		c, err := newFramedListener(oneConnListener{server}, tick).Accept()
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		ctx := connContext(t.Context(), c)
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://127.0.0.1/x", nil)
		resp, err := agentTransport{a}.RoundTrip(req)
		if err != nil {
			t.Fatalf("RoundTrip: %v", err)
		}
		resp.Body.Close()
		time.Sleep(2 * timeout) // fake time: many sweeps pass
		if err := ctx.Err(); err != nil {
			t.Errorf("the connection's context ended (%v) after an answer in time", context.Cause(ctx))
		}
	})
}

// oneConnListener accepts c once.
type oneConnListener struct{ c net.Conn }

func (l oneConnListener) Accept() (net.Conn, error) { return l.c, nil }
func (l oneConnListener) Close() error              { return nil }
func (l oneConnListener) Addr() net.Addr            { return l.c.LocalAddr() }

// TestWatchCanceledRequestNotRetried: a GET (which the library retries after a
// connection failure or a 5xx) ended by the answer bound is answered 504 and not
// sent again, whether the watch ends it waiting for headers or waiting to retry
// after a 503.
func TestWatchCanceledRequestNotRetried(t *testing.T) {
	var mode atomic.Value
	e := newEnv(t, envOptions{
		cfg: func(c *Config) {
			c.RequestTimeout = 300 * time.Millisecond
			c.lib.Retry = csconnect.RetryPolicy{MaxAttempts: 5, BaseDelay: time.Hour, MaxDelay: time.Hour}
		},
		upstream: func(w http.ResponseWriter, r *http.Request) {
			if mode.Load() == "503" {
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
			<-r.Context().Done()
		},
	})
	for _, m := range []string{"silent", "503"} {
		mode.Store(m)
		before := e.upstream.hits.Load()
		st, _, body := e.get(t, "/up/x")
		switch {
		case m == "503" && st != http.StatusServiceUnavailable:
			// The hour's backoff would outlast the bound, which the library sees as
			// the request's deadline: the 503 is the answer (TestRetryAfterBeyondTheRequestTimeoutPassedBack).
			t.Errorf("%s: %d %s; want the 503, not a wait into the bound", m, st, body)
		case m == "silent" && (st != http.StatusGatewayTimeout || !strings.Contains(body, `"code":"timeout"`)):
			t.Errorf("%s: %d %s; want 504 with code timeout", m, st, body)
		}
		if n := e.upstream.hits.Load() - before; n != 1 {
			t.Errorf("%s: upstream reached %d times; want 1 (no retry after the watch)", m, n)
		}
	}
}
