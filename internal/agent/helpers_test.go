package agent

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/csconnect/csconnect/conformance/simulator"
	"github.com/csconnect/csconnect/pkg/csconnect"
)

const (
	testUser     = "agent-user"
	testPassword = "agent-pass-1"
	company      = "5565144408"
	// testDeadlineTick is the deadline sweeper's tick in the test servers: short,
	// so that the tests' slow-client timeouts (100 ms and more, over twice the
	// tick) are kept off the socket and armed by the sweeper, as the agent's
	// defaults are.
	testDeadlineTick = 10 * time.Millisecond
)

// env is one agent in front of one simulator, with a counting upstream for the
// routes that are not the simulator.
type env struct {
	sim      *simulator.Simulator
	simURL   string
	agent    *Agent
	srv      *httptest.Server
	upstream *countingServer
}

type envOptions struct {
	password    string // default testPassword
	cfg         func(*Config)
	limits      ServerLimits
	upstream    http.HandlerFunc // the /up/ route's handler; default 200 "up"
	authHandler http.Handler     // answers authenticate instead of the simulator
}

// countingServer counts the requests that reached it.
type countingServer struct {
	*httptest.Server
	hits atomic.Int64
}

func newCounting(t testing.TB, h http.HandlerFunc) *countingServer {
	c := &countingServer{}
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.hits.Add(1)
		h(w, r)
	}))
	t.Cleanup(c.Close)
	return c
}

func newEnv(t testing.TB, o envOptions) *env {
	t.Helper()
	sim, err := simulator.New(simulator.Options{Username: testUser, Password: testPassword})
	if err != nil {
		t.Fatal(err)
	}
	simSrv := httptest.NewServer(sim)
	t.Cleanup(simSrv.Close)
	authURL := simSrv.URL + "/v1"
	if o.authHandler != nil {
		as := httptest.NewServer(o.authHandler)
		t.Cleanup(as.Close)
		authURL = as.URL + "/v1"
	}
	if o.upstream == nil {
		o.upstream = func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "up") }
	}
	up := newCounting(t, o.upstream)
	pw := o.password
	if pw == "" {
		pw = testPassword
	}
	cfg := Config{
		Routes: []Route{
			mustRoute(t, "/se/="+simSrv.URL+"/"),
			mustRoute(t, "/up/="+up.URL+"/base/"),
		},
		Credentials: func() (Credentials, error) { return Credentials{Username: testUser, Password: pw}, nil },
		AuthURL:     authURL,
	}
	cfg.lib.Retry = csconnect.RetryPolicy{BaseDelay: time.Millisecond, MaxDelay: time.Millisecond}
	if o.cfg != nil {
		o.cfg(&cfg)
	}
	a, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Close() })
	srv := httptest.NewUnstartedServer(a)
	srv.Config = NewServer(a, o.limits)
	srv.Listener = newFramedListener(srv.Listener, testDeadlineTick)
	srv.Start()
	t.Cleanup(srv.Close)
	return &env{sim: sim, simURL: simSrv.URL, agent: a, srv: srv, upstream: up}
}

func mustRoute(t testing.TB, s string) Route {
	t.Helper()
	r, err := ParseRoute(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// get sends a GET through the agent and returns the status and body.
func (e *env) get(t testing.TB, path string) (int, http.Header, string) {
	t.Helper()
	return e.do(t, http.MethodGet, path, nil, nil)
}

func (e *env) do(t testing.TB, method, path string, body io.Reader, hdr http.Header) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	c := *e.srv.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the body: %v", method, path, err)
	}
	return resp.StatusCode, resp.Header, string(b)
}

const datecheckPath = "/se/datecheck/company?searchnumber=" + company

// problem decodes a problem+json answer, failing the test on any other.
func problem(t testing.TB, hdr http.Header, body string) Problem {
	t.Helper()
	if ct := hdr.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type = %q; want application/problem+json (body %q)", ct, body)
	}
	var p Problem
	if err := json.Unmarshal([]byte(body), &p); err != nil {
		t.Fatalf("problem body %q: %v", body, err)
	}
	return p
}

// raw writes req as it is on a new connection to the agent and reads one answer;
// a closed connection without an answer returns status 0.
func (e *env) raw(t testing.TB, req string) (int, string) {
	t.Helper()
	c, err := net.Dial("tcp", hostOf(e.srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func hostOf(s string) string {
	u, _ := url.Parse(s)
	return u.Host
}
