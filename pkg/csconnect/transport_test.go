package csconnect

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"testing/synctest"
	"time"
	"unsafe"

	"github.com/csconnect/csconnect/internal/testlog"
)

// seenRequest is what a test server saw of one request.
type seenRequest struct {
	method, path, auth, body string
}

// serviceServer is a loopback server answering each request with the next reply in
// turn (the last one repeats), recording what it saw.
type serviceServer struct {
	*httptest.Server
	mu   sync.Mutex
	seen []seenRequest
	n    atomic.Int64
}

// canned is one canned answer.
type canned struct {
	status int
	header map[string]string
	body   string
}

func newServiceServer(t *testing.T, replies ...canned) *serviceServer {
	t.Helper()
	s := &serviceServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		s.mu.Lock()
		s.seen = append(s.seen, seenRequest{r.Method, r.URL.Path, r.Header.Get("Authorization"), string(body)})
		s.mu.Unlock()
		i := min(int(s.n.Add(1))-1, len(replies)-1)
		rep := canned{status: http.StatusOK, body: `{"ok":true}`}
		if i >= 0 {
			rep = replies[i]
		}
		for k, v := range rep.header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(rep.status)
		_, _ = io.WriteString(w, rep.body)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *serviceServer) requests() []seenRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]seenRequest(nil), s.seen...)
}

// The bodies the vendor documents for service calls.
var (
	swedenExpired   = canned{status: 403, header: map[string]string{"Content-Type": "text/plain"}, body: "Token Expired"}
	connectInvalid  = canned{status: 401, header: map[string]string{"Content-Type": "application/json"}, body: `{"error": "Invalid token."}`}
	accessForbidden = canned{status: 403, header: map[string]string{"Content-Type": "application/json"}, body: `{"message": "Access forbidden"}`}
	rejectedCompany = canned{status: 403, header: map[string]string{"Content-Type": "application/json"},
		body: `{"error":{"code":"403","text":"Forbidden","detail":"The company is not available for this customer."}}`}
	ok200 = canned{status: 200, body: `{"ok":true}`}
)

// newTestTransport returns a Transport over a fresh Cache on clockSource, with a
// sleep that records instead of sleeping.
func newTestTransport(t *testing.T) (*Transport, *fakeSource, *[]time.Duration) {
	t.Helper()
	clock := newFakeClock()
	src := clockSource(clock)
	var slept []time.Duration
	tr := &Transport{Source: newTestCache(t, src, clock, CacheOptions{})}
	tr.sleep = func(ctx context.Context, d time.Duration) error {
		slept = append(slept, d)
		return ctx.Err()
	}
	tr.rand = func(n int64) int64 { return n / 2 }
	tr.now = clock.now
	return tr, src, &slept
}

func TestTransportSetsBearer(t *testing.T) {
	t.Parallel()
	srv := newServiceServer(t, ok200)
	tr, _, _ := newTestTransport(t)
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/datecheck/company", nil)
	req.Header.Set("X-Trace", "1")
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatalf("Do() error = %v", err)
	}
	discard(resp)
	if got := srv.requests()[0].auth; got != "Bearer tok-1" {
		t.Errorf("Authorization = %q; want %q", got, "Bearer tok-1")
	}
	if got := req.Header.Get("Authorization"); got != "" {
		t.Errorf("caller's request Authorization = %q after RoundTrip; want it untouched", got)
	}
}

// TestTransportRenewsExpiredToken: the answers that mean "token expired" make one
// replay with a new token, with the same body; every other refusal is returned as it
// is, after one request.
func TestTransportRenewsExpiredToken(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		first      canned
		wantReplay bool
	}{
		"sweden 403 token expired":  {swedenExpired, true},
		"connect 401 invalid token": {connectInvalid, true},
		"403 access forbidden":      {accessForbidden, false},
		"403 rejected company":      {rejectedCompany, false},
		"400 bad request":           {canned{status: 400, body: `{"message":"bad"}`}, false},
		"404 not found":             {canned{status: 404}, false},
		"401 not about the token":   {canned{status: 401, body: `{"message": "Missing API credentials"}`}, false},
	}
	for name, tc := range tests {
		for _, method := range []string{http.MethodGet, http.MethodPost} {
			t.Run(name+"/"+method, func(t *testing.T) {
				srv := newServiceServer(t, tc.first, ok200)
				tr, src, _ := newTestTransport(t)
				var body io.Reader
				if method == http.MethodPost {
					body = strings.NewReader(`{"q":1}`) // NewRequest sets GetBody
				}
				req, _ := http.NewRequest(method, srv.URL+"/svc", body)
				resp, err := tr.RoundTrip(req)
				if err != nil {
					t.Fatalf("RoundTrip() error = %v", err)
				}
				got, _ := io.ReadAll(resp.Body)
				_ = resp.Body.Close()
				seen := srv.requests()
				if !tc.wantReplay {
					if len(seen) != 1 || resp.StatusCode != tc.first.status || string(got) != tc.first.body {
						t.Errorf("RoundTrip() = %d %q after %d requests; want %d %q after 1", resp.StatusCode, got, len(seen), tc.first.status, tc.first.body)
					}
					if n := src.calls.Load(); n != 1 {
						t.Errorf("source calls = %d; want 1 (token kept)", n)
					}
					return
				}
				if len(seen) != 2 || resp.StatusCode != 200 {
					t.Fatalf("RoundTrip() = %d after %d requests; want 200 after 2", resp.StatusCode, len(seen))
				}
				if seen[0].auth != "Bearer tok-1" || seen[1].auth != "Bearer tok-2" {
					t.Errorf("Authorization of the two requests = %q, %q; want tok-1 then tok-2", seen[0].auth, seen[1].auth)
				}
				if seen[1].body != seen[0].body || (method == http.MethodPost && seen[1].body != `{"q":1}`) {
					t.Errorf("replayed body = %q; want %q", seen[1].body, seen[0].body)
				}
			})
		}
	}
}

func TestTransportReplaysOnlyOnce(t *testing.T) {
	t.Parallel()
	srv := newServiceServer(t, connectInvalid)
	tr, src, _ := newTestTransport(t)
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/svc", nil)
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatalf("RoundTrip() error = %v", err)
	}
	discard(resp)
	if n := len(srv.requests()); n != 2 || resp.StatusCode != 401 {
		t.Errorf("RoundTrip() against an always-401 service = %d after %d requests; want 401 after 2", resp.StatusCode, n)
	}
	if tok := mustToken(t, tr.Source); tok.Value != "tok-2" {
		t.Errorf("Token() after the renewed token was refused too = %v; want tok-2 kept", tok)
	}
	if n := src.calls.Load(); n != 2 {
		t.Errorf("source calls after the next Token = %d; want 2 (the renewed token not invalidated)", n)
	}
}

// TestTransportServiceRefusesEveryToken: a service that refuses every token (a
// sandbox token sent to a live service) costs one renewal, not one authenticate per
// call; each call gets the service's 401. Sequential and parallel calls.
func TestTransportServiceRefusesEveryToken(t *testing.T) {
	t.Parallel()
	const calls = 40
	for _, parallel := range []bool{false, true} {
		t.Run(fmt.Sprintf("parallel=%v", parallel), func(t *testing.T) {
			srv := newServiceServer(t, connectInvalid)
			tr, src, _ := newTestTransport(t)
			call := func() {
				req, _ := http.NewRequest(http.MethodGet, srv.URL+"/svc", nil)
				resp, err := tr.RoundTrip(req)
				if err != nil {
					t.Errorf("RoundTrip() error = %v; want the service's 401", err)
					return
				}
				discard(resp)
				if resp.StatusCode != 401 {
					t.Errorf("RoundTrip() status = %d; want 401", resp.StatusCode)
				}
			}
			call() // the first call renews once: tok-1 refused, tok-2 refused too
			var wg sync.WaitGroup
			for range calls - 1 {
				if parallel {
					wg.Go(call)
				} else {
					call()
				}
			}
			wg.Wait()
			if n := src.calls.Load(); n != 2 {
				t.Errorf("source calls for %d calls to a service that refuses every token = %d; want 2 (one fetch, one renewal)", calls, n)
			}
			if n := len(srv.requests()); n != calls+1 {
				t.Errorf("service requests = %d; want %d (one replay, on the first call)", n, calls+1)
			}
		})
	}
}

func TestTransportUnreplayableBody(t *testing.T) {
	t.Parallel()
	srv := newServiceServer(t, swedenExpired, ok200)
	tr, src, _ := newTestTransport(t)
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/svc", io.NopCloser(strings.NewReader("once")))
	req.GetBody = nil
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatalf("RoundTrip() error = %v", err)
	}
	discard(resp)
	if n := len(srv.requests()); n != 1 || resp.StatusCode != 403 {
		t.Errorf("RoundTrip(unreplayable body) = %d after %d requests; want 403 after 1", resp.StatusCode, n)
	}
	mustToken(t, tr.Source)
	if n := src.calls.Load(); n != 2 {
		t.Errorf("source calls after the next Token = %d; want 2 (rejected token invalidated)", n)
	}
}

func TestTransportRenewalErrorReturned(t *testing.T) {
	t.Parallel()
	srv := newServiceServer(t, connectInvalid, ok200)
	src := &fakeSource{fn: func(_ context.Context, n int64) (*Token, error) {
		if n > 1 {
			return nil, errPermanent
		}
		return tokenAt(n, time.Now()), nil
	}}
	tr := &Transport{Source: newTestCache(t, src, nil, CacheOptions{})}
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/svc", nil)
	if _, err := tr.RoundTrip(req); !errors.Is(err, ErrInvalidCredentials) {
		t.Errorf("RoundTrip() with a failing renewal error = %v; want ErrInvalidCredentials", err)
	}
}

func TestTransportSameTokenNotReplayed(t *testing.T) {
	t.Parallel()
	srv := newServiceServer(t, connectInvalid, ok200)
	static := tokenSourceFunc(func(context.Context) (*Token, error) { return tokenAt(1, time.Now()), nil })
	tr := &Transport{Source: static}
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/svc", nil)
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatalf("RoundTrip() error = %v", err)
	}
	discard(resp)
	if n := len(srv.requests()); n != 1 {
		t.Errorf("requests with a source that cannot renew = %d; want 1", n)
	}
}

// TestTransportConcurrentExpiry: many requests rejected with one token cause one
// renewal.
func TestTransportConcurrentExpiry(t *testing.T) {
	t.Parallel()
	const n = 50
	var rejected atomic.Int64
	allIn := make(chan struct{}) // every request reached the server with tok-1
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "Bearer tok-1" {
			if rejected.Add(1) == n {
				close(allIn)
			}
			<-allIn
			w.WriteHeader(401)
			_, _ = io.WriteString(w, `{"error": "Invalid token."}`)
			return
		}
		_, _ = io.WriteString(w, `{}`)
	}))
	t.Cleanup(srv.Close)
	tr, src, _ := newTestTransport(t)
	mustToken(t, tr.Source)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			req, _ := http.NewRequest(http.MethodGet, srv.URL+"/svc", nil)
			resp, err := tr.RoundTrip(req)
			if err != nil || resp.StatusCode != 200 {
				t.Errorf("RoundTrip() = %v, %v; want 200", resp, err)
				return
			}
			discard(resp)
		})
	}
	wg.Wait()
	if got := src.calls.Load(); got != 2 {
		t.Errorf("source calls for %d requests rejected with one token = %d; want 2", n, got)
	}
	if got := rejected.Load(); got != n {
		t.Errorf("requests rejected = %d; want %d", got, n)
	}
}

func TestTransportRetries(t *testing.T) {
	t.Parallel()
	s503 := canned{status: 503, body: `{"error":{"code":"503","text":"Unavailable"}}`}
	s500 := canned{status: 500, body: `{"error":{"code":"500","text":"Internal server error"}}`}
	tests := map[string]struct {
		method    string
		replies   []canned
		policy    RetryPolicy
		wantCalls int
		wantCode  int
		wantSlept []time.Duration
	}{
		"5xx then ok": {http.MethodGet, []canned{s503, s500, ok200}, RetryPolicy{}, 3, 200,
			[]time.Duration{125 * time.Millisecond, 250 * time.Millisecond}},
		"bounded": {http.MethodGet, []canned{s503}, RetryPolicy{}, 3, 503,
			[]time.Duration{125 * time.Millisecond, 250 * time.Millisecond}},
		"max attempts 1":   {http.MethodGet, []canned{s503, ok200}, RetryPolicy{MaxAttempts: 1}, 1, 503, nil},
		"post not retried": {http.MethodPost, []canned{s503, ok200}, RetryPolicy{}, 1, 503, nil},
		"429 retry-after seconds": {http.MethodGet, []canned{{status: 429, header: map[string]string{"Retry-After": "2"}}, ok200},
			RetryPolicy{}, 2, 200, []time.Duration{2 * time.Second}},
		"429 retry-after date": {http.MethodGet, []canned{{status: 429, header: map[string]string{"Retry-After": t0.Add(7 * time.Second).Format(http.TimeFormat)}}, ok200},
			RetryPolicy{}, 2, 200, []time.Duration{7 * time.Second}},
		"retry-after too long": {http.MethodGet, []canned{{status: 429, header: map[string]string{"Retry-After": "120"}}, ok200},
			RetryPolicy{}, 1, 429, nil},
		"4xx not retried": {http.MethodGet, []canned{{status: 400}, ok200}, RetryPolicy{}, 1, 400, nil},
		"delay capped": {http.MethodGet, []canned{s503}, RetryPolicy{MaxAttempts: 4, BaseDelay: time.Second, MaxDelay: 3 * time.Second}, 4, 503,
			[]time.Duration{500 * time.Millisecond, time.Second, 1500 * time.Millisecond}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			srv := newServiceServer(t, tc.replies...)
			tr, _, slept := newTestTransport(t)
			tr.Retry = tc.policy
			req, _ := http.NewRequest(tc.method, srv.URL+"/svc", strings.NewReader("b"))
			if tc.method == http.MethodGet {
				req, _ = http.NewRequest(tc.method, srv.URL+"/svc", nil)
			}
			resp, err := tr.RoundTrip(req)
			if err != nil {
				t.Fatalf("RoundTrip() error = %v", err)
			}
			discard(resp)
			if n := len(srv.requests()); n != tc.wantCalls || resp.StatusCode != tc.wantCode {
				t.Errorf("RoundTrip() = %d after %d requests; want %d after %d", resp.StatusCode, n, tc.wantCode, tc.wantCalls)
			}
			if !equalDurations(*slept, tc.wantSlept) {
				t.Errorf("slept %v; want %v", *slept, tc.wantSlept)
			}
		})
	}
}

func equalDurations(a, b []time.Duration) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestTransportRetryHonoursContext: a caller whose context ends while the Transport
// waits to retry gets the context's error at once, with no further attempt.
func TestTransportRetryHonoursContext(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		var attempts atomic.Int64
		first := make(chan struct{})
		base := roundTripFunc(func(r *http.Request) (*http.Response, error) {
			if attempts.Add(1) == 1 {
				close(first)
			}
			return &http.Response{StatusCode: 503, Header: http.Header{}, Body: http.NoBody, Request: r}, nil
		})
		tr, _, _ := newTestTransport(t)
		tr.Base = base
		tr.sleep = nil // the real sleep, on the bubble's clock
		tr.Retry = RetryPolicy{BaseDelay: hour, MaxDelay: hour}
		tr.rand = func(n int64) int64 { return n - 1 } // wait the whole hour
		mustToken(t, tr.Source)
		ctx, cancel := context.WithCancel(context.Background())
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "https://example.com/svc", nil)
		done := make(chan error, 1)
		go func() {
			resp, err := tr.RoundTrip(req)
			if err == nil {
				discard(resp)
			}
			done <- err
		}()
		<-first
		synctest.Wait() // waiting to retry
		start := time.Now()
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("RoundTrip cancelled while waiting to retry = %v; want context.Canceled", err)
		}
		if waited := time.Since(start); waited > 0 {
			t.Errorf("RoundTrip returned %v after the cancel; want at once", waited)
		}
		if n := attempts.Load(); n != 1 {
			t.Errorf("attempts = %d; want 1", n)
		}
	})
}

// countingTransport counts requests and answers 200 without any network.
type countingTransport struct{ n atomic.Int64 }

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return &http.Response{StatusCode: 200, Body: http.NoBody, Header: http.Header{}, Request: r}, nil
}

func TestTransportRefusesPlainHTTP(t *testing.T) {
	t.Parallel()
	tests := map[string]bool{
		"https://se-webservice.apps.creditsafe.com/x": true,
		"http://127.0.0.1:8080/x":                     true,
		"http://[::1]:8080/x":                         true,
		"http://localhost/x":                          true,
		"http://se-webservice.apps.creditsafe.com/x":  false,
		"http://10.0.0.1/x":                           false,
		"ftp://127.0.0.1/x":                           false,
	}
	for url, allowed := range tests {
		t.Run(url, func(t *testing.T) {
			base := &countingTransport{}
			tr := &Transport{Source: tokenSourceFunc(func(context.Context) (*Token, error) { return tokenAt(1, time.Now()), nil }), Base: base}
			req, _ := http.NewRequest(http.MethodGet, url, nil)
			_, err := tr.RoundTrip(req)
			if allowed && err != nil || !allowed && !errors.Is(err, ErrInsecureURL) {
				t.Errorf("RoundTrip(%s) error = %v; want allowed=%v", url, err, allowed)
			}
			if want := map[bool]int64{true: 1, false: 0}[allowed]; base.n.Load() != want {
				t.Errorf("requests sent for %s = %d; want %d", url, base.n.Load(), want)
			}
		})
	}
}

// TestTransportRedirects: a redirect keeps the token on the same host and drops it
// on another.
func TestTransportRedirects(t *testing.T) {
	t.Parallel()
	other := newServiceServer(t, ok200)
	var target string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/start" {
			http.Redirect(w, r, target, http.StatusFound)
			return
		}
		_, _ = io.WriteString(w, r.Header.Get("Authorization"))
	}))
	t.Cleanup(srv.Close)
	tr, _, _ := newTestTransport(t)
	client := &http.Client{Transport: tr}

	target = "/same"
	resp, err := client.Get(srv.URL + "/start")
	if err != nil {
		t.Fatalf("Get() error = %v", err)
	}
	got, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if string(got) != "Bearer tok-1" {
		t.Errorf("Authorization after a same-host redirect = %q; want the token", got)
	}

	target = strings.Replace(other.URL, "127.0.0.1", "localhost", 1) + "/elsewhere"
	resp, err = client.Get(srv.URL + "/start")
	if err != nil {
		t.Fatalf("Get() error = %v", err)
	}
	discard(resp)
	if seen := other.requests(); len(seen) != 1 || seen[0].auth != "" {
		t.Errorf("requests seen by the other host = %+v; want one without Authorization", seen)
	}
}

func TestBearerMemoBuildsOncePerToken(t *testing.T) {
	var m bearerMemo
	a, b := tokenAt(1, t0), tokenAt(2, t0)
	v1, v2 := m.value(a), m.value(a)
	if v1 != "Bearer tok-1" || unsafe.StringData(v1) != unsafe.StringData(v2) {
		t.Errorf("value(a) twice = %q, %q sharing=%v; want one shared \"Bearer tok-1\"", v1, v2, unsafe.StringData(v1) == unsafe.StringData(v2))
	}
	if v := m.value(b); v != "Bearer tok-2" {
		t.Errorf("value(b) = %q; want %q", v, "Bearer tok-2")
	}
	if allocs := testing.AllocsPerRun(100, func() { m.value(b) }); allocs != 0 {
		t.Errorf("value(same token) allocs = %v; want 0", allocs)
	}
}

// TestNoSecretsInLogsOrErrors drives renewals, a failed refresh and a failing store
// with Debug logging, and checks that no token value reaches the log or an error.
func TestNoSecretsInLogsOrErrors(t *testing.T) {
	t.Parallel()
	const secret = "eyJhbGciOiJSUzI1NiIsImtpZCI6Im-secret"
	clock := newFakeClock()
	src := &fakeSource{fn: func(_ context.Context, n int64) (*Token, error) {
		if n == 3 {
			return nil, fmt.Errorf("authenticate: %w", ErrServer)
		}
		return &Token{Value: fmt.Sprint(secret, n), Fetched: clock.now(), Expiry: clock.now().Add(hour)}, nil
	}}
	logger, logs := newTestLogger()
	store := &flakyStore{Store: newMemoryStore()}
	store.down.Store(true)
	c := newTestCache(t, src, clock, CacheOptions{logger: logger, store: store, storeKey: storeKey})
	srv := newServiceServer(t, connectInvalid, ok200)
	tr := &Transport{Source: c}
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/svc", nil)
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatalf("RoundTrip() error = %v", err)
	}
	discard(resp)
	setClock(clock, t0.Add(59*time.Minute+30*time.Second))
	tok, err := c.Token(context.Background())
	var errs []error
	errs = append(errs, err)
	setClock(clock, t0.Add(2*hour))
	_, err = c.Token(context.Background())
	errs = append(errs, err)
	if countLines(logs, "token fetch failed") == 0 || countLines(logs, "token store failed") == 0 || countLines(logs, "rejected") == 0 {
		t.Fatalf("log lacks the expected events:\n%s", logs)
	}
	if strings.Contains(logs.String(), secret) {
		t.Errorf("log contains a token value:\n%s", logs)
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		for _, v := range []any{tok, errs[0], errs[1], c.counts()} {
			if s := fmtSprintf(verb, v); strings.Contains(s, secret) {
				t.Errorf("Sprintf(%s, %T) = %q; want no token value", verb, v, s)
			}
		}
	}
}

// closeRecorder is a base transport that records CloseIdleConnections.
type closeRecorder struct {
	countingTransport
	closed atomic.Int64
}

func (c *closeRecorder) CloseIdleConnections() { c.closed.Add(1) }

// TestTransportCloseIdleConnections: http.Client.CloseIdleConnections reaches Base
// through the Transport.
func TestTransportCloseIdleConnections(t *testing.T) {
	t.Parallel()
	base := &closeRecorder{}
	tr, _, _ := newTestTransport(t)
	tr.Base = base
	(&http.Client{Transport: tr}).CloseIdleConnections()
	if n := base.closed.Load(); n != 1 {
		t.Errorf("Base.CloseIdleConnections calls = %d; want 1", n)
	}
}

// TestTransportRetriesNetworkErrors: a request that gets no answer (connection
// refused, reset, timeout) is retried like a 5xx when it is idempotent; a POST, a
// certificate error or a spent attempt budget returns the error.
func TestTransportRetriesNetworkErrors(t *testing.T) {
	t.Parallel()
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	tests := map[string]struct {
		method    string
		errs      []error // per attempt; nil answers 200
		wantCalls int
		wantErr   bool
	}{
		"refused then ok":     {http.MethodGet, []error{refused, nil}, 2, false},
		"reset twice then ok": {http.MethodGet, []error{io.ErrUnexpectedEOF, io.ErrUnexpectedEOF, nil}, 3, false},
		"bounded":             {http.MethodGet, []error{refused, refused, refused, nil}, 3, true},
		"post not retried":    {http.MethodPost, []error{refused, nil}, 1, true},
		"certificate":         {http.MethodGet, []error{x509.UnknownAuthorityError{}, nil}, 1, true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var calls atomic.Int64
			tr, _, slept := newTestTransport(t)
			tr.Base = roundTripFunc(func(r *http.Request) (*http.Response, error) {
				n := calls.Add(1)
				if err := tc.errs[n-1]; err != nil {
					return nil, err
				}
				return &http.Response{StatusCode: 200, Header: http.Header{}, Body: http.NoBody, Request: r}, nil
			})
			req, _ := http.NewRequest(tc.method, "https://example.com/svc", nil)
			resp, err := tr.RoundTrip(req)
			if err == nil {
				discard(resp)
			}
			if (err != nil) != tc.wantErr || calls.Load() != int64(tc.wantCalls) {
				t.Errorf("RoundTrip() = %v after %d attempts; want error %t after %d", err, calls.Load(), tc.wantErr, tc.wantCalls)
			}
			if len(*slept) != tc.wantCalls-1 {
				t.Errorf("slept %v; want %d waits", *slept, tc.wantCalls-1)
			}
		})
	}
}

// TestTransportNoWaitPastDeadline: when the wait before a retry would outlast the
// request's context, the answer is returned at once instead of waiting in vain.
func TestTransportNoWaitPastDeadline(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		var calls atomic.Int64
		tr, _, _ := newTestTransport(t)
		tr.sleep = nil
		tr.Base = roundTripFunc(func(r *http.Request) (*http.Response, error) {
			calls.Add(1)
			return &http.Response{StatusCode: 503, Header: http.Header{"Retry-After": {"2"}}, Body: http.NoBody, Request: r}, nil
		})
		mustToken(t, tr.Source)
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "https://example.com/svc", nil)
		start := time.Now()
		resp, err := tr.RoundTrip(req)
		if err != nil || resp.StatusCode != 503 {
			t.Fatalf("RoundTrip() = %v, %v; want the 503", resp, err)
		}
		discard(resp)
		if waited := time.Since(start); waited != 0 || calls.Load() != 1 {
			t.Errorf("RoundTrip() waited %v and made %d attempts; want the 503 at once after 1", waited, calls.Load())
		}
	})
}

// TestTransportCapTrustsOnlyNetHTTP: a declared Content-Length within the cap skips
// the wrapper only for net/http's Transport, which enforces it; a custom Base that
// declares less than it sends is still capped.
func TestTransportCapTrustsOnlyNetHTTP(t *testing.T) {
	t.Parallel()
	tr, _, _ := newTestTransport(t)
	tr.MaxResponseBody = 50
	tr.Base = roundTripFunc(func(r *http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: 200, Header: http.Header{}, ContentLength: 10,
			Body: io.NopCloser(strings.NewReader(strings.Repeat("x", 100))), Request: r}, nil
	})
	req, _ := http.NewRequest(http.MethodGet, "https://example.com/svc", nil)
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if _, err := io.ReadAll(resp.Body); !errors.Is(err, ErrResponseTooLarge) {
		t.Errorf("reading a 100-byte body declared as 10 through a custom Base = %v; want ErrResponseTooLarge", err)
	}
}

// TestTransportRefusedTokenPerHost: a service that refuses every token stops renewals
// for its own host only; another service that says the same token expired still gets
// a renewal and a replay.
func TestTransportRefusedTokenPerHost(t *testing.T) {
	t.Parallel()
	refusing := newServiceServer(t, connectInvalid)
	expiring := newServiceServer(t, connectInvalid, ok200)
	tr, src, _ := newTestTransport(t)
	get := func(url string) int {
		req, _ := http.NewRequest(http.MethodGet, url+"/svc", nil)
		resp, err := tr.RoundTrip(req)
		if err != nil {
			t.Fatalf("RoundTrip(%s) error = %v", url, err)
		}
		discard(resp)
		return resp.StatusCode
	}
	if code := get(refusing.URL); code != 401 {
		t.Fatalf("refusing service = %d; want 401", code)
	}
	if code := get(expiring.URL); code != 200 {
		t.Errorf("other service after an expired answer = %d; want 200 after a renewal", code)
	}
	if n := src.calls.Load(); n != 3 {
		t.Errorf("source calls = %d; want 3 (fetch, renewal for the refusing host, renewal for the other)", n)
	}
}

// TestTransportStatsAndLogs: renewals, retries and tokens refused even fresh are
// counted and logged, without the token.
func TestTransportStatsAndLogs(t *testing.T) {
	t.Parallel()
	logs := &testlog.Buffer{}
	svc := newServiceServer(t, connectInvalid, canned{status: 503}, ok200)
	refusing := newServiceServer(t, connectInvalid)
	tr, _, _ := newTestTransport(t)
	tr.Source.(*Cache).opts.logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	for _, url := range []string{svc.URL, refusing.URL} {
		req, _ := http.NewRequest(http.MethodGet, url+"/svc?searchnumber=5565144408", nil)
		resp, err := tr.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		discard(resp)
	}
	// svc: renewal (tok-1 → tok-2), retry after the 503. refusing: renewal (tok-2 →
	// tok-3), then tok-3 refused too.
	if got, want := tr.counts(), (transportStats{Renewals: 2, Retries: 1, RefusedFresh: 1}); got != want {
		t.Errorf("Stats() = %+v; want %+v", got, want)
	}
	out := logs.String()
	for _, msg := range []string{"renewed, replaying", "retrying", "refuses even a freshly renewed token"} {
		if !strings.Contains(out, msg) {
			t.Errorf("logs lack %q:\n%s", msg, out)
		}
	}
	if strings.Contains(out, "tok-") || strings.Contains(out, "5565144408") {
		t.Errorf("logs carry a token or the query:\n%s", out)
	}
}
