package agent

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"
)

// BenchmarkForward is one GET through the agent's handler to a local upstream,
// beside the same through a bare ReverseProxy with a static Authorization (the
// floor): the difference is the agent's cost per request (checks, token, metrics).
func BenchmarkForward(b *testing.B) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "{}") }))
	defer up.Close()
	e := newEnv(b, envOptions{upstream: func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "{}") }})
	if st, _, _ := e.get(b, "/up/x"); st != http.StatusOK {
		b.Fatal(st)
	}
	target, _ := url.Parse(up.URL)
	floor := &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) {
		pr.SetURL(target)
		pr.Out.Header.Set("Authorization", "Bearer x")
	}}
	for name, h := range map[string]http.Handler{"agent": e.agent, "floor": floor} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					req := httptest.NewRequest(http.MethodGet, "http://127.0.0.1/up/x", nil)
					w := httptest.NewRecorder()
					h.ServeHTTP(w, req)
					if w.Code != http.StatusOK {
						b.Errorf("status %d", w.Code)
						return
					}
				}
			})
		})
	}
}

// BenchmarkFramingTracker is the framing check's cost per request on the wire: a
// typical request head with a small JSON body fed to framedConn, and the record
// taken as ServeHTTP takes it.
func BenchmarkFramingTracker(b *testing.B) {
	head := "POST /connect/companies/search HTTP/1.1\r\nHost: 127.0.0.1:8787\r\nUser-Agent: Go-http-client/1.1\r\n" +
		"Content-Type: application/json\r\nAccept: application/json\r\nAccept-Encoding: gzip\r\nContent-Length: 64\r\n\r\n"
	wire := []byte(head + string(make([]byte, 64)))
	c := &framedConn{}
	req := httptest.NewRequest(http.MethodPost, "/connect/companies/search", nil)
	req = req.WithContext(context.WithValue(req.Context(), framedConnKey{}, c))
	b.ReportAllocs()
	b.SetBytes(int64(len(wire)))
	for b.Loop() {
		c.feed(wire)
		if framingOf(req) != framingOK {
			b.Fatal("not ok")
		}
	}
}

// BenchmarkForwardOverTCP is one keep-alive POST with a small body through the
// agent over loopback TCP, with Serve's framing tracker on the listener and
// without it: the tracker's share of a whole request.
func BenchmarkForwardOverTCP(b *testing.B) {
	e := newEnv(b, envOptions{upstream: func(w http.ResponseWriter, r *http.Request) { _, _ = io.Copy(io.Discard, r.Body) }})
	for _, framed := range []bool{true, false} {
		name := "framed"
		if !framed {
			name = "bare"
		}
		b.Run(name, func(b *testing.B) {
			srv := httptest.NewUnstartedServer(e.agent)
			srv.Config = NewServer(e.agent, ServerLimits{})
			if framed {
				srv.Listener = newFramedListener(srv.Listener, deadlineTick)
			}
			srv.Start()
			defer srv.Close()
			c := srv.Client()
			body := strings.Repeat("x", 64)
			b.ReportAllocs()
			for b.Loop() {
				resp, err := c.Post(srv.URL+"/up/x", "application/json", strings.NewReader(body))
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Fatal(resp.StatusCode)
				}
			}
		})
	}
}
