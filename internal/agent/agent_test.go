package agent

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/csconnect/csconnect/conformance/simulator"
	"github.com/csconnect/csconnect/internal/secret/secrettest"
)

func TestForwardsWithOneAuthenticateForAllClients(t *testing.T) {
	e := newEnv(t, envOptions{})
	const n = 32
	var wg sync.WaitGroup
	errs := make(chan string, n)
	for range n {
		wg.Go(func() {
			req, _ := http.NewRequest(http.MethodGet, e.srv.URL+datecheckPath, nil)
			resp, err := e.srv.Client().Do(req)
			if err != nil {
				errs <- err.Error()
				return
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), company) {
				errs <- fmt.Sprintf("status %d body %q", resp.StatusCode, b)
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if s := e.sim.Stats(); s.Authenticate != 1 || s.DateCheckOK != n {
		t.Errorf("simulator saw authenticate=%d datecheck_ok=%d; want 1 and %d", s.Authenticate, s.DateCheckOK, n)
	}
}

func TestTokenExpiredReplayedOnceTransparently(t *testing.T) {
	e := newEnv(t, envOptions{})
	if st, _, _ := e.get(t, datecheckPath); st != http.StatusOK {
		t.Fatalf("first call: %d", st)
	}
	e.sim.Advance(61 * time.Minute)
	st, _, body := e.get(t, datecheckPath)
	if st != http.StatusOK {
		t.Fatalf("after expiry: %d %s; want 200 (renewed and replayed)", st, body)
	}
	s := e.sim.Stats()
	if s.Authenticate != 2 || s.TokenExpired != 1 || s.DateCheck != 3 {
		t.Errorf("simulator: authenticate=%d token_expired=%d datecheck=%d; want 2, 1, 3", s.Authenticate, s.TokenExpired, s.DateCheck)
	}
	if _, _, m := e.get(t, "/_agent/metrics"); !strings.Contains(m, "csconnect_transport_replays_total 1\n") {
		t.Errorf("metrics lack one replay:\n%s", m)
	}
}

func TestOtherForbiddenPassedThroughNotReplayed(t *testing.T) {
	e := newEnv(t, envOptions{})
	st, _, body := e.get(t, "/se/datecheck/company?searchnumber="+simulator.RejectedCompany)
	if st != http.StatusForbidden || !strings.Contains(body, "rejected") {
		t.Fatalf("rejected company: %d %s; want Creditsafe's 403 as it is", st, body)
	}
	if s := e.sim.Stats(); s.DateCheck != 1 || s.Authenticate != 1 {
		t.Errorf("simulator: datecheck=%d authenticate=%d; want 1 and 1 (no replay)", s.DateCheck, s.Authenticate)
	}
}

func TestRetriesOnlyIdempotentRequests(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]int{}
	e := newEnv(t, envOptions{upstream: func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen[r.Method]++
		n := seen[r.Method]
		mu.Unlock()
		if n == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		_, _ = io.WriteString(w, "ok")
	}})
	if st, _, _ := e.get(t, "/up/x"); st != http.StatusOK {
		t.Errorf("GET after one 503: %d; want 200 (retried)", st)
	}
	if st, _, _ := e.do(t, http.MethodPost, "/up/x", strings.NewReader("{}"), nil); st != http.StatusServiceUnavailable {
		t.Errorf("POST after one 503: %d; want the 503 (not retried)", st)
	}
	if seen["GET"] != 2 || seen["POST"] != 1 {
		t.Errorf("upstream saw GET %d, POST %d; want 2 and 1", seen["GET"], seen["POST"])
	}
}

func TestRewritesPathAndStripsCredentials(t *testing.T) {
	got := make(chan *http.Request, 1)
	e := newEnv(t, envOptions{
		upstream: func(w http.ResponseWriter, r *http.Request) { got <- r; w.WriteHeader(http.StatusNoContent) },
		cfg: func(c *Config) {
			c.ClientToken = []byte("client-token-0123456789")
		},
	})
	st, _, _ := e.do(t, http.MethodGet, "/up/a/b%20c?q=1&r=%2F", nil, http.Header{
		ClientTokenHeader: {"client-token-0123456789"},
		"X-Forwarded-For": {"10.0.0.1"},
		"Accept":          {"application/json"},
	})
	if st != http.StatusNoContent {
		t.Fatalf("status %d", st)
	}
	r := <-got
	if r.URL.EscapedPath() != "/base/a/b%20c" || r.URL.RawQuery != "q=1&r=%2F" {
		t.Errorf("upstream got %s?%s; want /base/a/b%%20c?q=1&r=%%2F", r.URL.EscapedPath(), r.URL.RawQuery)
	}
	if r.Header.Get(ClientTokenHeader) != "" || r.Header.Get("X-Forwarded-For") != "" {
		t.Errorf("upstream got the client token or X-Forwarded-For: %v", r.Header)
	}
	if auth := r.Header.Get("Authorization"); !strings.HasPrefix(auth, "Bearer ") {
		t.Errorf("upstream Authorization = %q; want the agent's bearer token", auth)
	}
	if r.Header.Get("Accept") != "application/json" {
		t.Errorf("Accept not forwarded")
	}
}

func TestRedirectsNotFollowed(t *testing.T) {
	e := newEnv(t, envOptions{upstream: func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "https://elsewhere.example/steal", http.StatusFound)
	}})
	st, hdr, _ := e.get(t, "/up/x")
	if st != http.StatusFound || hdr.Get("Location") != "https://elsewhere.example/steal" {
		t.Errorf("redirect: %d Location %q; want the 302 passed back", st, hdr.Get("Location"))
	}
	if e.upstream.hits.Load() != 1 {
		t.Errorf("upstream hits = %d; want 1", e.upstream.hits.Load())
	}
}

func TestUnknownPrefixIs404(t *testing.T) {
	e := newEnv(t, envOptions{})
	for _, p := range []string{"/", "/other/x", "/se", "/_agent/nope"} {
		st, hdr, body := e.get(t, p)
		if st != http.StatusNotFound || problem(t, hdr, body).Code != codeNotFound {
			t.Errorf("GET %s = %d %s; want 404 not_found", p, st, body)
		}
	}
}

func TestWrongPasswordOneProblemOneAuthenticate(t *testing.T) {
	e := newEnv(t, envOptions{password: "wrong-password"})
	for i := range 10 {
		st, hdr, body := e.get(t, datecheckPath)
		p := problem(t, hdr, body)
		if st != http.StatusBadGateway || p.Code != codeInvalidCredentials {
			t.Fatalf("call %d: %d %+v; want 502 invalid_credentials", i, st, p)
		}
		if strings.Contains(body, "wrong-password") {
			t.Fatalf("the problem shows the password: %s", body)
		}
	}
	st, hdr, body := e.get(t, "/_agent/readyz")
	if st != http.StatusServiceUnavailable || problem(t, hdr, body).Code != codeInvalidCredentials {
		t.Errorf("readyz = %d %s; want 503 invalid_credentials", st, body)
	}
	if s := e.sim.Stats(); s.Authenticate != 1 || s.DateCheck != 0 {
		t.Errorf("simulator: authenticate=%d datecheck=%d; want 1 and 0", s.Authenticate, s.DateCheck)
	}
	_, _, metrics := e.get(t, "/_agent/metrics")
	for _, want := range []string{
		`csconnect_authenticate_requests_total{outcome="invalid_credentials"} 1`,
		`csconnect_token_fetches_total{outcome="invalid_credentials"} 1`,
		`csconnect_agent_requests_total{route="se",status="502"} 10`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

func TestLockoutProblemCarriesRetryAfter(t *testing.T) {
	var auths int
	var mu sync.Mutex
	e := newEnv(t, envOptions{authHandler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		auths++
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Retry-After", "120")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = io.WriteString(w, `{"error":{"code":"429","text":"Too many requests","detail":"wait 5 minutes"}}`)
	})})
	for range 3 {
		st, hdr, body := e.get(t, datecheckPath)
		p := problem(t, hdr, body)
		if st != http.StatusServiceUnavailable || p.Code != codeLockedOut || p.RetryAfter < 100 || p.RetryAfter > 120 || hdr.Get("Retry-After") == "" {
			t.Fatalf("locked out: %d %+v Retry-After %q; want 503 locked_out with retry_after ≈120", st, p, hdr.Get("Retry-After"))
		}
	}
	if auths != 1 {
		t.Errorf("authenticate requests = %d; want 1", auths)
	}
}

func TestUnreachableServiceProblem(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()
	e := newEnv(t, envOptions{cfg: func(c *Config) {
		c.Routes = append(c.Routes, mustRoute(t, "/dead/=http://"+dead+"/"))
	}})
	st, hdr, body := e.do(t, http.MethodPost, "/dead/x", strings.NewReader("{}"), nil)
	if p := problem(t, hdr, body); st != http.StatusBadGateway || p.Code != codeUnreachable {
		t.Errorf("unreachable: %d %+v; want 502 unreachable", st, p)
	}
}

func TestExposeToken(t *testing.T) {
	off := newEnv(t, envOptions{})
	st, hdr, body := off.get(t, "/_agent/token")
	if st != http.StatusNotFound || problem(t, hdr, body).Code != codeTokenNotExposed {
		t.Errorf("token without ExposeToken: %d %s; want 404 token_not_exposed", st, body)
	}
	on := newEnv(t, envOptions{cfg: func(c *Config) { c.ExposeToken = true }})
	st, _, body = on.get(t, "/_agent/token")
	tok := strings.TrimSuffix(body, "\n")
	if st != http.StatusOK || strings.Count(tok, ".") != 2 {
		t.Fatalf("token: %d, %d bytes; want 200 and a JWT", st, len(body))
	}
	req, _ := http.NewRequest(http.MethodGet, on.simURL+"/datecheck/company?searchnumber="+company, nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("the exposed token used directly: %d; want 200", resp.StatusCode)
	}
}

func TestHealthReadyMetricsSpec(t *testing.T) {
	e := newEnv(t, envOptions{})
	if st, _, body := e.get(t, "/_agent/healthz"); st != http.StatusOK || !strings.Contains(body, "ok") {
		t.Errorf("healthz = %d %s", st, body)
	}
	if st, _, body := e.get(t, "/_agent/readyz"); st != http.StatusOK || !strings.Contains(body, `"expires_in"`) {
		t.Errorf("readyz = %d %s", st, body)
	}
	e.get(t, datecheckPath)
	e.get(t, "/nowhere")
	st, _, body := e.get(t, "/_agent/metrics")
	if st != http.StatusOK {
		t.Fatalf("metrics = %d", st)
	}
	for _, want := range []string{
		`csconnect_authenticate_requests_total{outcome="ok"} 1`,
		`csconnect_token_fetches_total{outcome="ok"} 1`,
		`csconnect_guard_locked 0`,
		`csconnect_token_time_to_expiry_seconds 3`,
		`csconnect_agent_requests_total{route="se",status="200"} 1`,
		`csconnect_agent_requests_total{route="",status="404"} 1`,
		`csconnect_agent_requests_in_flight 0`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	if st, _, body := e.get(t, "/_agent/openapi.yaml"); st != http.StatusOK || !strings.Contains(body, "Problem") {
		t.Errorf("openapi.yaml = %d", st)
	}
	if st, _, _ := e.do(t, http.MethodPost, "/_agent/healthz", nil, nil); st != http.StatusMethodNotAllowed {
		t.Errorf("POST healthz = %d; want 405", st)
	}
}

func TestClientTokenComparedAndRequired(t *testing.T) {
	e := newEnv(t, envOptions{cfg: func(c *Config) { c.ClientToken = []byte("the-client-token-123") }})
	for name, hdr := range map[string]http.Header{
		"missing": nil,
		"wrong":   {ClientTokenHeader: {"the-client-token-124"}},
		"prefix":  {ClientTokenHeader: {"the-client-token"}},
	} {
		st, h, body := e.do(t, http.MethodGet, datecheckPath, nil, hdr)
		if st != http.StatusUnauthorized || problem(t, h, body).Code != codeClientToken {
			t.Errorf("%s client token: %d %s; want 401 client_token", name, st, body)
		}
	}
	if st, _, _ := e.get(t, "/_agent/healthz"); st != http.StatusOK {
		t.Errorf("healthz without client token = %d; want 200", st)
	}
	if st, _, _ := e.do(t, http.MethodGet, datecheckPath, nil, http.Header{ClientTokenHeader: {"the-client-token-123"}}); st != http.StatusOK {
		t.Errorf("right client token = %d; want 200", st)
	}
	// Reached from another host by its own name: the Host is whatever the client
	// used; the client token is the check.
	status, body := e.raw(t, "GET "+datecheckPath+" HTTP/1.1\r\nHost: agent.internal:8787\r\n"+ClientTokenHeader+": the-client-token-123\r\nConnection: close\r\n\r\n")
	if status != http.StatusOK {
		t.Errorf("right client token, another Host = %d %s; want 200", status, body)
	}
	if s := e.sim.Stats(); s.DateCheck != 2 {
		t.Errorf("datecheck = %d; want 2 (only the authorised calls)", s.DateCheck)
	}
}

func TestStreamsLargeBodiesBothWays(t *testing.T) {
	const size = 8 << 20
	e := newEnv(t, envOptions{upstream: func(w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, r.Body)
		w.Header().Set("X-Received", fmt.Sprint(n))
		_, _ = io.CopyN(w, zeros{}, size)
	}, cfg: func(c *Config) { c.MaxRequestBody = 16 << 20 }})
	body := io.LimitReader(zeros{}, size) // chunked: no Content-Length
	st, hdr, resp := e.do(t, http.MethodPut, "/up/big", body, nil)
	if st != http.StatusOK || hdr.Get("X-Received") != fmt.Sprint(size) || len(resp) != size {
		t.Errorf("streamed: %d received %s, answered %d bytes; want 200, %d both ways", st, hdr.Get("X-Received"), len(resp), size)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

func TestTokenFileWrittenAtEveryRenewal(t *testing.T) {
	path := filepath.Join(t.TempDir(), "token")
	written := make(chan *Token, 4)
	e := newEnv(t, envOptions{cfg: func(c *Config) {
		c.TokenFile = path
		c.ExposeToken = true
		c.written = written
	}})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error)
	tick := make(chan time.Time)
	go func() { done <- e.agent.run(ctx, tick) }()
	first := <-written
	checkTokenFile(t, path, first.Value)
	e.sim.Advance(61 * time.Minute)
	if st, _, _ := e.get(t, datecheckPath); st != http.StatusOK {
		t.Fatalf("after expiry: %d", st)
	}
	second := <-written
	if second.Value == first.Value {
		t.Fatal("the renewed token is the first one")
	}
	checkTokenFile(t, path, second.Value)
	cancel()
	<-done
}

func checkTokenFile(t *testing.T, path, want string) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("token file mode %v; want 0600", fi.Mode().Perm())
	}
	b, _ := os.ReadFile(path)
	if string(b) != want+"\n" {
		t.Errorf("token file does not hold the current token")
	}
}

func TestReloadPicksUpNewPassword(t *testing.T) {
	var mu sync.Mutex
	pw := "wrong-password"
	e := newEnv(t, envOptions{cfg: func(c *Config) {
		c.Credentials = func() (Credentials, error) {
			mu.Lock()
			defer mu.Unlock()
			return Credentials{Username: testUser, Password: pw}, nil
		}
	}})
	if st, _, _ := e.get(t, datecheckPath); st != http.StatusBadGateway {
		t.Fatalf("wrong password: %d; want 502", st)
	}
	mu.Lock()
	pw = testPassword
	mu.Unlock()
	if err := e.agent.Reload(); err != nil {
		t.Fatal(err)
	}
	if st, _, body := e.get(t, datecheckPath); st != http.StatusOK {
		t.Fatalf("after Reload: %d %s; want 200", st, body)
	}
	_, _, m := e.get(t, "/_agent/metrics")
	for _, want := range []string{`csconnect_token_fetches_total{outcome="invalid_credentials"} 1`, `csconnect_token_fetches_total{outcome="ok"} 1`} {
		if !strings.Contains(m, want+"\n") {
			t.Errorf("metrics over both stacks lack %s:\n%s", want, m)
		}
	}
}

func TestUnixSocket(t *testing.T) {
	e := newEnv(t, envOptions{})
	path := filepath.Join(t.TempDir(), "agent.sock")
	ln, err := Listen("unix:"+path, false)
	if err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(path)
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("socket mode %v; want 0600", fi.Mode().Perm())
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error)
	go func() { done <- Serve(ctx, NewServer(e.agent, ServerLimits{}), ln, time.Second) }()
	c := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", path)
	}}}
	resp, err := c.Get("http://localhost" + datecheckPath)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("over the socket: %d", resp.StatusCode)
	}
	c.CloseIdleConnections()
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Serve = %v", err)
	}
}

func TestListenRefusesRemoteWithoutAllow(t *testing.T) {
	if _, err := Listen("0.0.0.0:0", false); err == nil {
		t.Error("Listen(0.0.0.0:0, false) succeeded; want refused")
	}
	ln, err := Listen("127.0.0.1:0", false)
	if err != nil {
		t.Fatal(err)
	}
	ln.Close()
}

func TestShutdownDrainsRequestsInFlight(t *testing.T) {
	entered := make(chan struct{})
	release := make(chan struct{})
	e := newEnv(t, envOptions{upstream: func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-release
		_, _ = io.WriteString(w, "finished")
	}})
	ln, err := Listen("127.0.0.1:0", false)
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ctx, cancel := context.WithCancel(t.Context())
	served := make(chan error)
	go func() { served <- Serve(ctx, NewServer(e.agent, ServerLimits{}), ln, 10*time.Second) }()
	type result struct {
		status int
		body   string
		err    error
	}
	res := make(chan result)
	go func() {
		resp, err := http.Get("http://" + addr + "/up/slow")
		if err != nil {
			res <- result{err: err}
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		res <- result{status: resp.StatusCode, body: string(b)}
	}()
	<-entered
	cancel() // SIGTERM
	// Stops accepting: a new connection is refused once the listener is closed.
	for {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			break
		}
		c.Close()
		select {
		case err := <-served:
			t.Fatalf("Serve returned %v with a request in flight", err)
		default:
		}
	}
	close(release)
	r := <-res
	if r.err != nil || r.status != http.StatusOK || r.body != "finished" {
		t.Errorf("the request in flight: %d %q %v; want 200 finished", r.status, r.body, r.err)
	}
	if err := <-served; err != nil {
		t.Errorf("Serve = %v; want nil after a clean drain", err)
	}
}

func TestParseRoute(t *testing.T) {
	for _, bad := range []string{
		"/x/", "x/=https://a/", "/x=https://a/", "/x/=http://example.com/", "/x/=ftp://a/",
		"/_agent/x/=https://a/", "/x/=https://u:p@a/", "/x/=https://a/?q=1", "/../=https://a/", "/x/=https:///",
	} {
		if _, err := ParseRoute(bad); err == nil {
			t.Errorf("ParseRoute(%q) = nil error; want refused", bad)
		}
	}
	r, err := ParseRoute("/connect/=https://connect.creditsafe.com/v1")
	if err != nil || r.Target.Path != "/v1/" {
		t.Errorf("ParseRoute = %+v, %v; want target path /v1/", r, err)
	}
	if _, err := ParseRoute("/sim/=http://127.0.0.1:9/"); err != nil {
		t.Errorf("http to loopback refused: %v", err)
	}
}

// TestProblemsNeverHoldSecrets: with a password the service rejects, no answer of
// the agent (the rejected request's problem among them) holds it.
func TestProblemsNeverHoldSecrets(t *testing.T) {
	secret := make([]byte, 12)
	_, _ = rand.Read(secret)
	pw := fmt.Sprintf("pw-%x", secret)
	e := newEnv(t, envOptions{password: pw})
	var all bytes.Buffer
	for _, p := range []string{datecheckPath, "/_agent/readyz", "/_agent/token", "/_agent/metrics"} {
		_, hdr, body := e.get(t, p)
		if p == datecheckPath {
			// The answer checked is the rejection's problem, not an empty body.
			if pr := problem(t, hdr, body); pr.Code != codeInvalidCredentials {
				t.Fatalf("GET %s with a wrong password: code %q; want %q", p, pr.Code, codeInvalidCredentials)
			}
		}
		all.WriteString(body)
	}
	if strings.Contains(all.String(), pw) {
		t.Error("an answer holds the password")
	}
}

// TestLongestPrefixWins: of two routes whose prefixes both match, the longer one
// forwards the request, whatever the order they were given in.
func TestLongestPrefixWins(t *testing.T) {
	e := newEnv(t, envOptions{
		upstream: func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, r.URL.Path) },
		cfg: func(c *Config) {
			v2 := *c.Routes[1].Target // /up/'s upstream, another base path
			v2.Path = "/v2base/"
			c.Routes = append(c.Routes, Route{Prefix: "/up/v2/", Target: &v2})
		},
	})
	for path, want := range map[string]string{"/up/v2/x": "/v2base/x", "/up/x": "/base/x"} {
		if status, _, body := e.get(t, path); status != http.StatusOK || body != want {
			t.Errorf("GET %s = %d %q; want 200 %q", path, status, body, want)
		}
	}
}

// TestCredentialsNeverPrintPassword: whatever the fmt verb, JSON or slog's JSON
// handler, Credentials show the User Key and never the password; StoreOptions
// and Config never show the Redis password, the Redis secret or the client token.
func TestCredentialsNeverPrintPassword(t *testing.T) {
	const pw, redisPW, redisSecret, clientToken = "Secret-Pass-42", "Redis-Pass-42", "Redis-Secret-0123456789abcdef0123", "Client-Token-42"
	for name, c := range map[string]struct {
		v       any
		secrets []string
		shown   string
	}{
		"Credentials":  {Credentials{Username: testUser, Password: pw}, []string{pw}, testUser},
		"*Credentials": {&Credentials{Username: testUser, Password: pw}, []string{pw}, testUser},
		"StoreOptions": {StoreOptions{RedisURL: "redis://user:" + redisPW + "@127.0.0.1:6379/0", RedisSecret: []byte(redisSecret)},
			[]string{redisPW, redisSecret}, "127.0.0.1:6379"},
		"Config": {Config{AuthURL: "https://example.com/v1", ClientToken: []byte(clientToken)}, []string{clientToken}, "example.com"},
	} {
		t.Run(name, func(t *testing.T) {
			var out strings.Builder
			for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%t", "%o", "%b", "%e", "%U", "%c", "%10.3v"} {
				fmt.Fprintf(&out, verb+"\n", c.v)
			}
			if name != "Config" { // json.Marshal refuses Config (its Credentials func)
				b, err := json.Marshal(c.v)
				if err != nil {
					t.Fatalf("json.Marshal(%s) = %v", name, err)
				}
				out.Write(b)
				slog.New(slog.NewJSONHandler(&out, nil)).Info("creds", "c", c.v)
			}
			secrettest.AssertNone(t, name+" formatted", out.String(), c.secrets...)
			if !strings.Contains(out.String(), c.shown) {
				t.Errorf("%s formatted without %s: %s", name, c.shown, out.String())
			}
		})
	}
}

// TestParseRouteErrorsHoldNoPassword: a route URL with user information is
// refused, and the error does not repeat its password (nor does a URL that does
// not parse).
func TestParseRouteErrorsHoldNoPassword(t *testing.T) {
	const pw = "Route-Pass-42"
	for _, s := range []string{
		"/x/=https://user:" + pw + "@example.com/",
		"/x/=https://user:" + pw + "@example.com/%zz",
		"/x/=http://user:" + pw + "@example.com/",
		"x=https://user:" + pw + "@example.com/",
	} {
		_, err := ParseRoute(s)
		if err == nil {
			t.Fatalf("ParseRoute(%q) = nil error; want refused", strings.ReplaceAll(s, pw, "PW"))
		}
		secrettest.AssertNone(t, "ParseRoute error", err.Error(), pw)
	}
}

// TestReloadAfterCloseRefused: a Reload that comes after Close (a SIGHUP as the
// agent stops) puts no new library in place, which nothing would close: it fails,
// and requests that need a token still get 503.
func TestReloadAfterCloseRefused(t *testing.T) {
	e := newEnv(t, envOptions{})
	if err := e.agent.Close(); err != nil {
		t.Fatal(err)
	}
	if err := e.agent.Reload(); err == nil {
		t.Error("Reload after Close = nil error; want refused")
	}
	status, hdr, body := e.get(t, datecheckPath)
	if p := problem(t, hdr, body); status != http.StatusServiceUnavailable || p.Code != codeUnavailable {
		t.Errorf("GET after Close and Reload = %d %q; want 503 %q", status, p.Code, codeUnavailable)
	}
}
