package agent

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/csconnect/csconnect/internal/testlog"
)

// TestTokenNotServedToRemoteClients: with --expose-token on an agent reachable
// from other hosts (--allow-remote, a client token), GET /_agent/token is still
// served only to a client on this host: the raw token never crosses the network
// in clear, where the client token only lets a remote client call through the
// agent (its guard, its limits).
func TestTokenNotServedToRemoteClients(t *testing.T) {
	const ct = "the-client-token-123"
	e := newEnv(t, envOptions{cfg: func(c *Config) { c.ExposeToken = true; c.ClientToken = []byte(ct) }})
	for _, tc := range []struct {
		remote string
		want   int
	}{
		{"192.0.2.1:1234", http.StatusNotFound},
		{"[2001:db8::1]:1234", http.StatusNotFound},
		{"127.0.0.1:1234", http.StatusOK},
		{"[::1]:1234", http.StatusOK},
		{"@", http.StatusOK}, // a Unix socket peer
		{"", http.StatusOK},
	} {
		r := httptest.NewRequest(http.MethodGet, "http://agent.example/_agent/token", nil)
		r.RemoteAddr = tc.remote
		r.Header.Set(ClientTokenHeader, ct)
		w := httptest.NewRecorder()
		e.agent.ServeHTTP(w, r)
		if w.Code != tc.want {
			t.Errorf("token to %q: %d; want %d", tc.remote, w.Code, tc.want) // the body may be the token: not printed
		}
		if tc.want != http.StatusOK && !strings.Contains(w.Body.String(), `"code":"token_not_exposed"`) {
			t.Errorf("token to %q: %s; want a problem with code token_not_exposed", tc.remote, w.Header().Get("Content-Type"))
		}
	}
}

// TestHostileUpstream: what a hostile or broken upstream answers never turns the
// agent into something else: a 101 it did not ask for is a 502 (no tunnel), a
// redirect to another host is passed back unfollowed and without the token,
// headers over the limit are a 502, and no answer carries the token.
func TestHostileUpstream(t *testing.T) {
	var mode atomic.Value
	e := newEnv(t, envOptions{upstream: func(w http.ResponseWriter, r *http.Request) {
		switch mode.Load() {
		case "101":
			c, brw, err := http.NewResponseController(w).Hijack()
			if err != nil {
				return
			}
			defer c.Close()
			_, _ = brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: evil\r\n\r\nraw bytes")
			_ = brw.Flush()
		case "redirect":
			http.Redirect(w, r, "https://attacker.example/steal", http.StatusFound)
		case "huge headers":
			for i := range 200 {
				w.Header().Set(fmt.Sprintf("X-Pad-%d", i), strings.Repeat("p", 1000))
			}
			w.WriteHeader(http.StatusOK)
		}
	}})
	tok, err := e.agent.token(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		mode string
		want int
	}{{"101", http.StatusBadGateway}, {"redirect", http.StatusFound}, {"huge headers", http.StatusBadGateway}} {
		mode.Store(tc.mode)
		before := e.upstream.hits.Load()
		st, hdr, body := e.get(t, "/up/x")
		// The library retries an idempotent GET after a transport error (the
		// oversized headers); a 101 and a redirect are answers, sent once.
		if n := e.upstream.hits.Load() - before; tc.mode != "huge headers" && n != 1 {
			t.Errorf("%s: upstream reached %d times; want 1 (no redirect followed, no retry)", tc.mode, n)
		}
		if st != tc.want {
			t.Errorf("%s: status %d; want %d", tc.mode, st, tc.want)
		}
		for k, v := range hdr {
			if strings.Contains(strings.Join(v, " "), tok.Value) {
				t.Errorf("%s: header %s carries the token", tc.mode, k)
			}
		}
		if strings.Contains(body, tok.Value) {
			t.Errorf("%s: the body carries the token", tc.mode)
		}
		if tc.mode == "redirect" && hdr.Get("Location") != "https://attacker.example/steal" {
			t.Errorf("redirect: Location %q; want it passed back unchanged", hdr.Get("Location"))
		}
	}
}

// TestTokenFileDirectoryAndSymlink: a token file whose directory others may write
// to (and that is not sticky) is refused by New, since they could replace the
// file readers trust; a symbolic link planted at the path is replaced, never
// written through.
func TestTokenFileDirectoryAndSymlink(t *testing.T) {
	creds := func() (Credentials, error) { return Credentials{Username: testUser, Password: testPassword}, nil }
	for _, mode := range []os.FileMode{0o777, 0o770, 0o722} {
		dir := filepath.Join(t.TempDir(), "shared")
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(dir, mode); err != nil {
			t.Fatal(err)
		}
		a, err := New(Config{Credentials: creds, TokenFile: filepath.Join(dir, "token")})
		if err == nil {
			_ = a.Close()
			t.Errorf("token file in a %v directory: New accepted it; want an error", mode)
		}
	}
	sticky := filepath.Join(t.TempDir(), "tmp")
	if err := os.Mkdir(sticky, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(sticky, 0o777|os.ModeSticky); err != nil {
		t.Fatal(err)
	}
	a, err := New(Config{Credentials: creds, TokenFile: filepath.Join(sticky, "token")})
	if err != nil {
		t.Errorf("token file in a sticky 1777 directory (as /tmp): %v; want it accepted", err)
	} else {
		_ = a.Close()
	}

	dir := t.TempDir()
	victim := filepath.Join(dir, "victim")
	if err := os.WriteFile(victim, []byte("keep\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "token")
	if err := os.Symlink(victim, path); err != nil {
		t.Fatal(err)
	}
	if err := writeTokenFile(path, "tok"); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(victim); string(b) != "keep\n" {
		t.Errorf("the symbolic link's target was written: %q", b)
	}
	if fi, err := os.Lstat(path); err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm() != 0o600 {
		t.Errorf("token file after a planted link: %v %v; want a regular 0600 file", fi.Mode(), err)
	}
}

// TestUnixSocketInUseNotTakenOver: Listen on the socket of an agent that is still
// serving fails; it used to remove the live socket and take its clients over.
// A stale socket (nobody listening) is still replaced.
func TestUnixSocketInUseNotTakenOver(t *testing.T) {
	path := filepath.Join(t.TempDir(), "agent.sock")
	first, err := Listen("unix:"+path, false)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	if second, err := Listen("unix:"+path, false); err == nil {
		second.Close()
		t.Fatal("a second Listen on a live socket succeeded; want an error")
	}
	if c, err := net.Dial("unix", path); err != nil {
		t.Errorf("the first agent's socket is gone: %v", err)
	} else {
		c.Close()
	}

	stale := filepath.Join(t.TempDir(), "stale.sock")
	l, err := net.Listen("unix", stale)
	if err != nil {
		t.Fatal(err)
	}
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	l.Close()
	ln, err := Listen("unix:"+stale, false)
	if err != nil {
		t.Fatalf("a stale socket: %v; want it replaced", err)
	}
	ln.Close()
}

// TestTokenWithControlCharactersNeverSent: an authenticate answer whose token
// carries CR LF (header injection) is never put on a request: nothing reaches
// the upstream with an injected header, and the answer is a problem that does not
// echo the token.
func TestTokenWithControlCharactersNeverSent(t *testing.T) {
	const evil = "eyJhbGciOiJub25lIn0.e30.c2ln\r\nX-Injected: 1"
	var injected atomic.Int64
	e := newEnv(t, envOptions{
		authHandler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = fmt.Fprintf(w, `{"token":%q}`, evil)
		}),
		upstream: func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("X-Injected") != "" {
				injected.Add(1)
			}
		},
	})
	st, hdr, body := e.get(t, "/up/x")
	if st < 400 {
		t.Errorf("status %d; want an error", st)
	}
	if injected.Load() != 0 {
		t.Error("the upstream saw the injected header")
	}
	if strings.Contains(body, "X-Injected") || strings.Contains(body, "c2ln") {
		t.Error("the answer echoes the token")
	}
	if st >= 400 && !strings.HasPrefix(hdr.Get("Content-Type"), "application/problem+json") {
		t.Errorf("Content-Type %q; want a problem", hdr.Get("Content-Type"))
	}
}

// TestEndlessUpstreamBodyCut: an upstream that never stops sending has its answer
// cut at MaxResponseBody; the client gets at most that many bytes and an error,
// and the upstream's writes end.
func TestEndlessUpstreamBodyCut(t *testing.T) {
	done := make(chan struct{})
	e := newEnv(t, envOptions{
		cfg: func(c *Config) { c.MaxResponseBody = 1 << 20 },
		upstream: func(w http.ResponseWriter, r *http.Request) {
			defer close(done)
			buf := make([]byte, 32<<10)
			for {
				if _, err := w.Write(buf); err != nil {
					return
				}
			}
		},
	})
	resp, err := e.srv.Client().Get(e.srv.URL + "/up/endless")
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err == nil || n > 1<<20 {
		t.Errorf("read %d bytes, error %v; want at most %d and an error", n, err, 1<<20)
	}
	<-done
}

// TestBrowserCrossSiteRequestsRefused: a web page on any site can make the user's
// browser send GETs and form POSTs to 127.0.0.1:8787 with the right Host (the
// DNS-rebinding check does not see them), each a paid call with the agent's
// token. Requests a browser marks as cross-site (Sec-Fetch-Site) or sends with a
// foreign Origin are refused 403 and never forwarded; programs, which send
// neither, and a URL the user types (Sec-Fetch-Site: none) still pass.
func TestBrowserCrossSiteRequestsRefused(t *testing.T) {
	e := newEnv(t, envOptions{})
	origin := "http://" + hostOf(e.srv.URL)
	for _, tc := range []struct {
		name string
		hdr  http.Header
		want int
	}{
		{"cross-site fetch", http.Header{"Sec-Fetch-Site": {"cross-site"}}, http.StatusForbidden},
		{"same-site fetch", http.Header{"Sec-Fetch-Site": {"same-site"}}, http.StatusForbidden},
		{"foreign Origin, no Sec-Fetch", http.Header{"Origin": {"https://attacker.example"}}, http.StatusForbidden},
		{"null Origin", http.Header{"Origin": {"null"}}, http.StatusForbidden},
		{"typed URL", http.Header{"Sec-Fetch-Site": {"none"}}, http.StatusOK},
		{"same origin", http.Header{"Sec-Fetch-Site": {"same-origin"}, "Origin": {origin}}, http.StatusOK},
		{"a program (Node fetch)", http.Header{"Sec-Fetch-Mode": {"cors"}}, http.StatusOK},
	} {
		before := e.upstream.hits.Load()
		st, hdr, body := e.do(t, http.MethodPost, "/up/x", strings.NewReader("a=1"), tc.hdr)
		if st != tc.want {
			t.Errorf("%s: %d %s; want %d", tc.name, st, body, tc.want)
			continue
		}
		if tc.want == http.StatusForbidden {
			if p := problem(t, hdr, body); p.Code != codeCrossSite {
				t.Errorf("%s: code %q; want %s", tc.name, p.Code, codeCrossSite)
			}
			if n := e.upstream.hits.Load() - before; n != 0 {
				t.Errorf("%s: upstream reached %d times; want 0", tc.name, n)
			}
		}
	}
}

// TestUnixSocketInSharedDirectoryRefused: a socket in a directory group or others
// may write to (not sticky) could be replaced by theirs, and clients would send
// their requests to it; Listen refuses such a directory.
func TestUnixSocketInSharedDirectoryRefused(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "shared")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	if ln, err := Listen("unix:"+filepath.Join(dir, "agent.sock"), false); err == nil {
		ln.Close()
		t.Error("Listen in a 0777 directory succeeded; want an error")
	}
}

// TestSecretsInNoLogOrMetric: at debug level, through a success, a wrong and a
// missing client token, a refused path, an unreachable route and a token-file
// write, neither the password, the token nor the client token appears in the
// log or in /_agent/metrics.
func TestSecretsInNoLogOrMetric(t *testing.T) {
	const ct = "client-token-secret-0123"
	var logs testlog.Buffer
	dir := t.TempDir()
	written := make(chan *Token, 1)
	e := newEnv(t, envOptions{cfg: func(c *Config) {
		c.ClientToken = []byte(ct)
		c.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		c.TokenFile = filepath.Join(dir, "token")
		c.written = written
		c.Routes = append(c.Routes, mustRoute(t, "/dead/=http://127.0.0.1:1/"))
	}})
	ctx, cancel := context.WithCancel(t.Context())
	runDone := make(chan struct{})
	go func() { _ = e.agent.Run(ctx); close(runDone) }()
	tok := <-written
	good := http.Header{ClientTokenHeader: {ct}}
	for _, c := range []struct {
		path string
		hdr  http.Header
	}{
		{datecheckPath, good},
		{datecheckPath, http.Header{ClientTokenHeader: {ct + "x"}}},
		{datecheckPath, nil},
		{"/se/..;/x", good},
		{"/dead/x", good},
	} {
		e.do(t, http.MethodGet, c.path, nil, c.hdr)
	}
	_, _, metrics := e.do(t, http.MethodGet, "/_agent/metrics", nil, good)
	cancel()
	<-runDone
	all := logs.String() + metrics
	for name, s := range map[string]string{"password": testPassword, "token": tok.Value, "client token": ct} {
		if strings.Contains(all, s) {
			t.Errorf("the %s appears in the log or the metrics", name)
		}
	}
	if !strings.Contains(logs.String(), "request not completed") {
		t.Errorf("no log line for the unreachable route; the test saw nothing: %q", logs.String())
	}
}

// TestRequestTrailersNotForwarded: a chunked request's trailers are a second set
// of headers after the body; an Authorization (or any other) sent there must not
// reach Creditsafe past the header checks.
func TestRequestTrailersNotForwarded(t *testing.T) {
	trailers := make(chan http.Header, 1)
	e := newEnv(t, envOptions{upstream: func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		trailers <- r.Trailer.Clone()
	}})
	host := hostOf(e.srv.URL)
	for _, declared := range []string{"Trailer: Authorization\r\n", ""} {
		st, _ := e.raw(t, "POST /up/x HTTP/1.1\r\nHost: "+host+"\r\n"+declared+"Transfer-Encoding: chunked\r\n\r\n"+
			"2\r\n{}\r\n0\r\nAuthorization: Bearer stolen\r\nX-Other: 1\r\n\r\n")
		if declared != "" && st != http.StatusBadRequest {
			t.Errorf("declared %q: status %d; want 400", declared, st)
		}
		select {
		case tr := <-trailers:
			if len(tr) != 0 {
				t.Errorf("declared %q: upstream got trailers %v; want none", declared, tr)
			}
		default:
			if st < 400 || st >= 500 {
				t.Errorf("declared %q: status %d and nothing forwarded; want a 4xx or the request without trailers", declared, st)
			}
		}
	}
}
