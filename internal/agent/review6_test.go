package agent

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/csconnect/csconnect/conformance/simulator"
)

// TestAuthenticateCaseAliasesRefused: the agent refuses a call of authenticate
// through it (its credentials would pass by the lockout guard) in any case. It
// compared the lower-cased path, which also caught the Unicode letters whose lower
// case is an ASCII one (İ, U+0130, lowers to i); the one-pass check compared with
// strings.EqualFold, whose simple folding does not, and let "authentİcate" through
// to a service that may match paths by lower case (as Java's equalsIgnoreCase
// does, and ı, U+0131, by upper case). Each is refused before anything is
// forwarded.
func TestAuthenticateCaseAliasesRefused(t *testing.T) {
	e := newEnv(t, envOptions{})
	host := hostOf(e.srv.URL)
	for _, p := range []string{
		"/up/v1/authentİcate",  // İ lowers to i: the old check refused it
		"/up/v1/AUTHENTİCATE/", // and with a trailing slash
		"/up/v1/authentıcate",  // ı uppers to I
		"/up/v1/AUTHENTıCATE",
		"/up/v1/authenticate", // and the plain ones still
		"/up/v1/AuThEnTiCaTe/",
	} {
		u := (&url.URL{Path: p}).EscapedPath()
		status, body := e.raw(t, "POST "+u+" HTTP/1.1\r\nHost: "+host+"\r\nContent-Length: 2\r\n\r\n{}")
		if status != 400 || !strings.Contains(body, `"code":"`+codeClientAuth+`"`) {
			t.Errorf("POST %s (%s): %d %s; want 400 %s", p, u, status, body, codeClientAuth)
		}
	}
	if n := e.upstream.hits.Load(); n != 0 {
		t.Errorf("upstream reached %d times; want 0", n)
	}
}

// TestHTTP2StreamsKeepTheirOwnAnswerBound: a server that Serve runs with
// unencrypted HTTP/2 enabled (srv.Protocols) serves many requests at once on one
// connection, but the answer bound was kept once per connection (awaitAnswer,
// answered): a second request answered in time cleared the first one's bound, and
// the first waited on a silent service with no end. Each request now keeps its own
// bound unless its connection serves one request at a time (HTTP/1).
func TestHTTP2StreamsKeepTheirOwnAnswerBound(t *testing.T) {
	slowIn := make(chan struct{}, 1)
	up := newCounting(t, func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/slow") {
			slowIn <- struct{}{}
			<-r.Context().Done() // never answers
			return
		}
		_, _ = io.WriteString(w, "fast")
	})
	sim, err := simulator.New(simulator.Options{Username: testUser, Password: testPassword})
	if err != nil {
		t.Fatal(err)
	}
	simSrv := httptest.NewServer(sim)
	defer simSrv.Close()
	a, err := New(Config{
		Routes:         []Route{mustRoute(t, "/up/="+up.URL+"/")},
		Credentials:    func() (Credentials, error) { return Credentials{Username: testUser, Password: testPassword}, nil },
		AuthURL:        simSrv.URL + "/v1",
		RequestTimeout: 300 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	srv := httptest.NewUnstartedServer(a)
	srv.Config = NewServer(a, ServerLimits{})
	srv.Config.Protocols = new(http.Protocols)
	srv.Config.Protocols.SetHTTP1(true)
	srv.Config.Protocols.SetUnencryptedHTTP2(true)
	srv.Listener = newFramedListener(srv.Listener, testDeadlineTick)
	srv.Start()
	defer srv.Close()
	tr := &http.Transport{Protocols: new(http.Protocols)}
	tr.Protocols.SetUnencryptedHTTP2(true)
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 5 * time.Second}

	type result struct {
		status int
		proto  string
		err    error
	}
	slow := make(chan result, 1)
	go func() {
		resp, err := client.Get(srv.URL + "/up/slow")
		if err != nil {
			slow <- result{err: err}
			return
		}
		resp.Body.Close()
		slow <- result{status: resp.StatusCode, proto: resp.Proto}
	}()
	<-slowIn
	resp, err := client.Get(srv.URL + "/up/fast")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.ProtoMajor != 2 {
		t.Fatalf("fast request: %d %s; want 200 over HTTP/2", resp.StatusCode, resp.Proto)
	}
	r := <-slow
	if r.err != nil || r.status != http.StatusGatewayTimeout {
		t.Fatalf("slow request after a fast one on the same HTTP/2 connection: %d %s %v; want 504 at the 300 ms RequestTimeout", r.status, r.proto, r.err)
	}
}

// wallStepped returns now (which must carry a monotonic reading) as time.Now
// returns it once the system's wall clock was stepped by d (whole seconds): its
// wall clock moved, its monotonic reading kept. It relies on time.Time's layout
// and skips the test when that changed.
func wallStepped(t *testing.T, now time.Time, d time.Duration) time.Time {
	t.Helper()
	type repr struct {
		wall uint64
		ext  int64
		loc  *time.Location
	}
	const hasMonotonic, nsecMask = 1 << 63, 1<<30 - 1
	r := *(*repr)(unsafe.Pointer(&now))
	if r.wall&hasMonotonic == 0 {
		t.Skip("time.Now carries no monotonic reading")
	}
	sec := int64(r.wall<<1>>31) + int64(d/time.Second)
	r.wall = hasMonotonic | uint64(sec)<<30 | r.wall&nsecMask
	stepped := *(*time.Time)(unsafe.Pointer(&r))
	if !stepped.Round(0).Equal(now.Round(0).Add(d)) || stepped.Sub(now) != 0 {
		t.Skip("time.Time's layout is not the one wallStepped knows")
	}
	return stepped
}

// TestAnswerBoundIgnoresWallClockSteps: the answer bound kept in the connection
// was a wall-clock Unix time, compared with the wall clock at each sweep, where
// the header watch before it and every deadline compare on the monotonic clock. A
// step of the system clock (NTP, a VM resumed, an operator) of an hour forward
// ended every request waiting for its answer headers at the next sweep, and one
// back left them unbounded for an hour. The bound is now kept on the monotonic
// clock.
func TestAnswerBoundIgnoresWallClockSteps(t *testing.T) {
	const timeout = 10 * time.Second
	client, server := net.Pipe()
	defer client.Close()
	c, err := newFramedListener(oneConnListener{server}, time.Hour).Accept() // no sweep of its own meanwhile
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fc := c.(*framedConn)
	ctx := connContext(t.Context(), c)
	now := time.Now()
	fc.awaitAnswer(now.Add(timeout))

	at := wallStepped(t, now, time.Hour) // the clock stepped an hour forward, no time passed
	fc.sweepAt(at, at.Add(fc.sweep.lead()))
	if ctx.Err() != nil {
		t.Fatalf("the wall clock stepped forward ended the wait at once: %v", context.Cause(ctx))
	}
	at = wallStepped(t, now.Add(timeout+time.Second), -time.Hour) // 11 s passed, the clock stepped an hour back
	fc.sweepAt(at, at.Add(fc.sweep.lead()))
	if context.Cause(ctx) != errNoAnswer {
		t.Fatalf("11 s into a 10 s bound, the wall clock stepped back: the connection's context ended with %v; want errNoAnswer", context.Cause(ctx))
	}
}
