package agent

import (
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// Each bad input gets a clear 4xx and nothing reaches Creditsafe (here: the
// counting upstream behind /up/, and the simulator's datecheck behind /se/).

func TestBadInputRefusedBeforeForwarding(t *testing.T) {
	e := newEnv(t, envOptions{cfg: func(c *Config) { c.MaxRequestBody = 1024 }})
	host := hostOf(e.srv.URL)
	req := func(lines ...string) string {
		return strings.Join(lines, "\r\n") + "\r\n\r\n"
	}
	cases := []struct {
		name   string
		raw    string
		status int
		code   string // the problem code, "" when net/http answers itself
	}{
		{"client Authorization", req("GET /up/x HTTP/1.1", "Host: "+host, "Authorization: Bearer stolen"), 400, codeClientAuth},
		{"client Authorization, lower case", req("GET /up/x HTTP/1.1", "Host: "+host, "authorization: Basic dXNlcjpwYXNz"), 400, codeClientAuth},
		{"authenticate through the agent", req("POST /up/authenticate HTTP/1.1", "Host: "+host, "Content-Type: application/json", "Content-Length: 2") + "{}", 400, codeClientAuth},
		{"authenticate through the agent, upper case", req("POST /up/v1/Authenticate/ HTTP/1.1", "Host: "+host, "Content-Length: 0"), 400, codeClientAuth},
		{"Proxy-Authorization", req("GET /up/x HTTP/1.1", "Host: "+host, "Proxy-Authorization: Basic eDp5"), 400, codeHopByHop},
		{"foreign Host", req("GET /up/x HTTP/1.1", "Host: connect.creditsafe.com"), 421, codeMisdirected},
		{"rebinding Host", req("GET /up/x HTTP/1.1", "Host: attacker.example:"+strings.Split(host, ":")[1]), 421, codeMisdirected},
		{"Upgrade", req("GET /up/x HTTP/1.1", "Host: "+host, "Connection: Upgrade", "Upgrade: websocket"), 400, codeHopByHop},
		{"Connection names an end-to-end header", req("GET /up/x HTTP/1.1", "Host: "+host, "Connection: close, X-Api-Key"), 400, codeHopByHop},
		{"Connection drops Authorization-like header", req("GET /up/x HTTP/1.1", "Host: "+host, "Connection: Content-Type"), 400, codeHopByHop},
		{"Proxy-Connection", req("GET /up/x HTTP/1.1", "Host: "+host, "Proxy-Connection: keep-alive"), 400, codeHopByHop},
		{"dot-dot", req("GET /up/../_agent/token HTTP/1.1", "Host: "+host), 400, codeBadPath},
		{"dot-dot at the end", req("GET /up/a/.. HTTP/1.1", "Host: "+host), 400, codeBadPath},
		{"dot", req("GET /up/./x HTTP/1.1", "Host: "+host), 400, codeBadPath},
		{"encoded dot-dot", req("GET /up/%2e%2e/x HTTP/1.1", "Host: "+host), 400, codeBadPath},
		{"encoded dot-dot upper case", req("GET /up/%2E%2E/x HTTP/1.1", "Host: "+host), 400, codeBadPath},
		{"encoded slash", req("GET /up/a%2fb HTTP/1.1", "Host: "+host), 400, codeBadPath},
		{"encoded backslash", req("GET /up/a%5c..%5cb HTTP/1.1", "Host: "+host), 400, codeBadPath},
		{"empty segment", req("GET /up//x HTTP/1.1", "Host: "+host), 400, codeBadPath},
		{"dot-dot with a path parameter", req("GET /up/..;/_agent/token HTTP/1.1", "Host: "+host), 400, codeBadPath},
		{"dot with a path parameter", req("GET /up/.;x=1/x HTTP/1.1", "Host: "+host), 400, codeBadPath},
		{"dot-dot with an encoded path parameter", req("GET /up/a/..%3b/x HTTP/1.1", "Host: "+host), 400, codeBadPath},
		{"authenticate with a path parameter", req("POST /up/authenticate;v=1 HTTP/1.1", "Host: "+host, "Content-Length: 2") + "{}", 400, ""},
		{"prefix escape into another route", req("GET /up/../se/datecheck/company?searchnumber=1 HTTP/1.1", "Host: "+host), 400, codeBadPath},
		{"body over the limit (Content-Length)", req("POST /up/x HTTP/1.1", "Host: "+host, "Content-Length: 4096") + strings.Repeat("a", 4096), 413, codeRequestTooLarge},
		{"two Content-Lengths", req("POST /up/x HTTP/1.1", "Host: "+host, "Content-Length: 4", "Content-Length: 5") + "abcde", 400, ""},
		{"unknown Transfer-Encoding", req("POST /up/x HTTP/1.1", "Host: "+host, "Transfer-Encoding: gzip, chunked") + "0\r\n\r\n", 0, ""},
		{"oversized headers", req("GET /up/x HTTP/1.1", "Host: "+host, "X-Big: "+strings.Repeat("b", 64<<10)), 431, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, body := e.raw(t, c.raw)
			switch {
			case c.status == 0 && (status < 400 || status >= 600):
				t.Errorf("status %d; want an error status", status)
			case c.status != 0 && status != c.status:
				t.Errorf("status %d (%s); want %d", status, body, c.status)
			}
			if c.code != "" && !strings.Contains(body, `"code":"`+c.code+`"`) {
				t.Errorf("body %s; want code %s", body, c.code)
			}
		})
	}
	if n := e.upstream.hits.Load(); n != 0 {
		t.Errorf("upstream reached %d times; want 0", n)
	}
	if s := e.sim.Stats(); s.DateCheck != 0 {
		t.Errorf("datecheck reached %d times; want 0", s.DateCheck)
	}
}

// A request with both Content-Length and Transfer-Encoding: framing_test.go.

func TestChunkedBodyOverLimitNeverCompletesUpstream(t *testing.T) {
	complete := make(chan int64, 1)
	e := newEnv(t, envOptions{
		cfg: func(c *Config) { c.MaxRequestBody = 1 << 20 },
		upstream: func(w http.ResponseWriter, r *http.Request) {
			n, err := io.Copy(io.Discard, r.Body)
			if err == nil {
				complete <- n
			}
		},
	})
	st, hdr, body := e.do(t, http.MethodPost, "/up/x", io.LimitReader(zeros{}, 4<<20), nil)
	if p := problem(t, hdr, body); st != http.StatusRequestEntityTooLarge || p.Code != codeRequestTooLarge {
		t.Errorf("chunked body over the limit: %d %+v; want 413 request_too_large", st, p)
	}
	select {
	case n := <-complete:
		t.Errorf("upstream read a complete body of %d bytes; want the request cut", n)
	default:
	}
}

func TestSlowClientsTimedOut(t *testing.T) {
	e := newEnv(t, envOptions{limits: ServerLimits{ReadHeaderTimeout: 100 * time.Millisecond, ReadTimeout: 200 * time.Millisecond}})
	t.Run("headers", func(t *testing.T) {
		c, err := net.Dial("tcp", hostOf(e.srv.URL))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_, _ = io.WriteString(c, "GET /up/x HTTP/1.1\r\nHost: localhost\r\n") // and never the blank line
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		b, err := io.ReadAll(c)
		if err != nil {
			t.Fatalf("the agent did not close a connection whose headers never ended: %v", err)
		}
		if len(b) > 0 && !strings.HasPrefix(string(b), "HTTP/1.1 4") {
			t.Errorf("answer %q; want a 4xx or a closed connection", b)
		}
	})
	t.Run("body", func(t *testing.T) {
		c, err := net.Dial("tcp", hostOf(e.srv.URL))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_, _ = io.WriteString(c, "POST /up/x HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\nonly part")
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		b, err := io.ReadAll(c)
		if err != nil {
			t.Fatalf("the agent did not end a request whose body stalled: %v", err)
		}
		if len(b) > 0 && !strings.HasPrefix(string(b), "HTTP/1.1 408") {
			t.Errorf("answer %q; want 408 or a closed connection", b)
		}
	})
	t.Run("defaults", func(t *testing.T) {
		srv := NewServer(e.agent, ServerLimits{})
		if srv.WriteTimeout <= 0 || srv.ReadHeaderTimeout <= 0 || srv.ReadTimeout <= 0 || srv.MaxHeaderBytes <= 0 || srv.IdleTimeout <= 0 {
			t.Errorf("server limits not all set: %+v", srv)
		}
	})
	if n := e.upstream.hits.Load(); n != 0 {
		t.Errorf("upstream reached %d times; want 0", n)
	}
}

func TestBodiesWithinLimitStillForwarded(t *testing.T) {
	// The guard against over-refusing: what the bad-input test refuses, a good
	// request of the same shape passes.
	e := newEnv(t, envOptions{cfg: func(c *Config) { c.MaxRequestBody = 1024 }})
	st, _, _ := e.do(t, http.MethodPost, "/up/a/b", strings.NewReader(strings.Repeat("a", 1024)), http.Header{"Connection": {"keep-alive"}})
	if st != http.StatusOK || e.upstream.hits.Load() != 1 {
		t.Errorf("a body at the limit: %d, upstream hits %d; want 200 and 1", st, e.upstream.hits.Load())
	}
}

// TestClientThatStopsReadingIsCutOff: WriteTimeout ends an answer the client does
// not read, and the agent lets go of Creditsafe's connection (the upstream's write
// fails) instead of holding it.
func TestClientThatStopsReadingIsCutOff(t *testing.T) {
	upstreamGaveUp := make(chan error, 1)
	e := newEnv(t, envOptions{
		limits: ServerLimits{WriteTimeout: 300 * time.Millisecond},
		upstream: func(w http.ResponseWriter, r *http.Request) {
			_, err := io.CopyN(w, zeros{}, 1<<30)
			upstreamGaveUp <- err
		},
	})
	c, err := net.Dial("tcp", hostOf(e.srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, _ = io.WriteString(c, "GET /up/big HTTP/1.1\r\nHost: localhost\r\n\r\n")
	// Read nothing: the agent's socket buffers fill, its write blocks, WriteTimeout
	// fires, the proxy aborts and closes the upstream request.
	select {
	case err := <-upstreamGaveUp:
		if err == nil {
			t.Error("the upstream wrote 1 GiB to a client that reads nothing; want its write cut")
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the upstream is still writing 30 s after the client stopped reading")
	}
}
