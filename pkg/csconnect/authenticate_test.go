package csconnect

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/csconnect/csconnect/gen/client"
	"github.com/csconnect/csconnect/internal/testlog"
)

const (
	testUser     = "myUsername"
	testPassword = "S3cret-Pw!x" // distinctive, so a leak is found by substring
)

// fakeClock is an injectable clock; advance moves it.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)} }

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// testServer is an httptest server that counts the requests it is sent.
type testServer struct {
	*httptest.Server
	hits atomic.Int64
}

// newTestServer starts a loopback server running h, closed at test end.
func newTestServer(t *testing.T, h http.HandlerFunc) *testServer {
	t.Helper()
	s := &testServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		h(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

// mustNotHit fails the test if the server is sent anything: for proving that the
// guard refuses without touching the network.
func mustNotHit(t *testing.T) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("unexpected %s %s: the guard should have refused without a request", r.Method, r.URL.Path)
		w.WriteHeader(http.StatusTeapot)
	}
}

// reply answers with status, headers ("K: V") and body.
func reply(status int, body string, headers ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		for _, h := range headers {
			k, v, _ := strings.Cut(h, ": ")
			w.Header().Set(k, v)
		}
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
}

// sequence answers with each handler in turn, repeating the last.
func sequence(hs ...http.HandlerFunc) http.HandlerFunc {
	var n atomic.Int64
	return func(w http.ResponseWriter, r *http.Request) {
		i := min(int(n.Add(1))-1, len(hs)-1)
		hs[i](w, r)
	}
}

func tokenReply() http.HandlerFunc {
	return reply(http.StatusOK, `{"token":"`+prismToken+`"}`, "Content-Type: application/json")
}

// sleeps records the backoff waits instead of sleeping.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.d = append(s.d, d)
	return ctx.Err()
}

func (s *sleeps) got() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.d...)
}

type testAuth struct {
	*Authenticator
	clock  *fakeClock
	sleeps *sleeps
	logs   *testlog.Buffer
}

// newTestAuth returns an Authenticator for srv with a fake clock, a recording
// sleeper, jitter fixed at one half and debug logs captured; edit adjusts the config.
func newTestAuth(t *testing.T, baseURL string, edit ...func(*AuthConfig)) *testAuth {
	t.Helper()
	ta := &testAuth{clock: newFakeClock(), sleeps: &sleeps{}, logs: &testlog.Buffer{}}
	cfg := AuthConfig{
		BaseURL:  baseURL + "/v1",
		Username: testUser,
		Password: testPassword,
		Logger:   slog.New(slog.NewTextHandler(ta.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		now:      ta.clock.now,
		rand:     func(n int64) int64 { return n / 2 },
		sleep:    ta.sleeps.sleep,
	}
	for _, e := range edit {
		e(&cfg)
	}
	a, err := NewAuthenticator(cfg)
	if err != nil {
		t.Fatalf("NewAuthenticator() = %v", err)
	}
	ta.Authenticator = a
	t.Cleanup(func() {
		if strings.Contains(ta.logs.String(), testPassword) || strings.Contains(ta.logs.String(), prismToken) {
			t.Errorf("logs contain the password or the token:\n%s", ta.logs)
		}
	})
	return ta
}

func TestTokenSuccess(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		var body map[string]string
		if r.Method != http.MethodPost || r.URL.Path != "/v1/authenticate" || r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("request = %s %s (%s); want POST /v1/authenticate (application/json)", r.Method, r.URL.Path, r.Header.Get("Content-Type"))
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body["username"] != testUser || body["password"] != testPassword {
			t.Errorf("request body = %v, %v; want the credentials", body, err)
		}
		tokenReply()(w, r)
	})
	a := newTestAuth(t, srv.URL)
	tok, err := a.Token(context.Background())
	if err != nil {
		t.Fatalf("Token() = %v; want a token", err)
	}
	// exp-iat is one hour; less the claims' one-second granularity.
	if want := a.clock.now().Add(time.Hour - time.Second); tok.Value != prismToken || !tok.Expiry.Equal(want) {
		t.Errorf("Token() = %v (prism token: %v); want the prism token expiring %v", tok, tok.Value == prismToken, want)
	}
	var _ TokenSource = a.Authenticator
}

// TestTokenNotRetried checks that 400, 401, 403 and 429 are sent once and classified.
func TestTokenNotRetried(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		h    http.HandlerFunc
		want error
	}{
		"400": {reply(400, ""), ErrBadRequest},
		"401": {reply(401, "Access denied - Please check that your username and password are correct."), ErrInvalidCredentials},
		"403": {reply(403, "Customer or user is not active in the Creditsafe system"), ErrAccountInactive},
		"429": {reply(429, `{"error":{"code":"429","text":"Too many requests"}}`, "Retry-After: 1"), ErrLockedOut},
		"404": {reply(404, "not here"), ErrContract},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			srv := newTestServer(t, tt.h)
			a := newTestAuth(t, srv.URL)
			_, err := a.Token(context.Background())
			if !errors.Is(err, tt.want) {
				t.Errorf("Token() = %v; want %v", err, tt.want)
			}
			var apiErr *APIError
			if !errors.As(err, &apiErr) || apiErr.Endpoint != "POST "+srv.URL+"/v1/authenticate" {
				t.Errorf("Token() error %#v; want an *APIError for POST %s/v1/authenticate", err, srv.URL)
			}
			if n := srv.hits.Load(); n != 1 {
				t.Errorf("server hit %d times; want 1 (never retried)", n)
			}
			if s := a.sleeps.got(); len(s) != 0 {
				t.Errorf("slept %v; want no backoff", s)
			}
		})
	}
}

// TestGuardRejectedPair: after a 401 the same pair is refused locally, by this
// Authenticator and by another sharing its Store, until reset; other credentials go.
func TestGuardRejectedPair(t *testing.T) {
	t.Parallel()
	var allow atomic.Bool
	allow.Store(true)
	srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		if !allow.Load() {
			mustNotHit(t)(w, r)
			return
		}
		var body map[string]string
		json.NewDecoder(r.Body).Decode(&body)
		if body["password"] == "right-password" {
			tokenReply()(w, r)
			return
		}
		reply(401, "Access denied")(w, r)
	})
	store := newMemoryStore()
	a := newTestAuth(t, srv.URL, func(c *AuthConfig) { c.Store = store })
	_, first := a.Token(context.Background())
	if !errors.Is(first, ErrInvalidCredentials) {
		t.Fatalf("first Token() = %v; want ErrInvalidCredentials", first)
	}

	// The shared state is keyed as the Store contract says, for other Store
	// implementations to rely on.
	st, _ := store.LoadGuard(context.Background(), store.Fingerprint(testUser))
	if want := []pairEvent{{Pair: store.Fingerprint(testUser, testPassword), At: a.clock.now()}}; !slices.Equal(st.rejected, want) {
		t.Errorf("store.LoadGuard(Fingerprint(user)).Rejected = %+v; want %+v: Fingerprint(user, password), now", st.rejected, want)
	}

	allow.Store(false) // from here the server fails the test if hit
	a.clock.advance(time.Hour)
	b := newTestAuth(t, srv.URL, func(c *AuthConfig) { c.Store = store })
	for name, auth := range map[string]*testAuth{"same authenticator": a, "other authenticator, shared store": b} {
		_, err := auth.Token(context.Background())
		var ge *GuardError
		if !errors.As(err, &ge) || ge.reason != guardRejected || !errors.Is(err, ErrInvalidCredentials) {
			t.Errorf("%s: Token() = %v; want a *GuardError (rejected) matching ErrInvalidCredentials", name, err)
		}
	}
	var ge *GuardError
	if _, err := a.Token(context.Background()); !errors.As(err, &ge) || ge.Unwrap() != first {
		t.Errorf("GuardError.Unwrap() = %v; want the original 401 error %v", ge.Unwrap(), first)
	}

	allow.Store(true)
	c := newTestAuth(t, srv.URL, func(c *AuthConfig) { c.Store = store; c.Password = "right-password" })
	if _, err := c.Token(context.Background()); err != nil {
		t.Errorf("Token() with changed password = %v; want a token", err)
	}
	if err := a.ResetGuard(context.Background()); err != nil {
		t.Fatalf("ResetGuard() = %v", err)
	}
	if _, err := a.Token(context.Background()); !errors.Is(err, ErrInvalidCredentials) || errors.As(err, &ge) {
		t.Errorf("Token() after ResetGuard = %v; want a fresh 401 *APIError", err)
	}
	if n := srv.hits.Load(); n != 3 {
		t.Errorf("server hit %d times; want 3 (401, changed password, after reset)", n)
	}
}

// TestGuardLockout: after a 429 nothing is sent until Retry-After (or 5 minutes).
func TestGuardLockout(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		headers []string
		lock    time.Duration
	}{
		"retry-after seconds": {[]string{"Retry-After: 120"}, 2 * time.Minute},
		"retry-after date":    {[]string{"Retry-After: Sun, 22 Nov 2026 12:10:00 GMT"}, 10 * time.Minute},
		"no retry-after":      {nil, 5 * time.Minute},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			var locked, over atomic.Bool
			srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
				switch {
				case locked.Load():
					mustNotHit(t)(w, r)
				case over.Load():
					tokenReply()(w, r)
				default:
					reply(429, "Too many identical requests", tt.headers...)(w, r)
				}
			})
			a := newTestAuth(t, srv.URL)
			if _, err := a.Token(context.Background()); !errors.Is(err, ErrLockedOut) {
				t.Fatalf("Token() = %v; want ErrLockedOut", err)
			}
			locked.Store(true)
			a.clock.advance(tt.lock - time.Second)
			_, err := a.Token(context.Background())
			var ge *GuardError
			if !errors.As(err, &ge) || ge.reason != guardLockedOut || ge.Wait != time.Second || !errors.Is(err, ErrLockedOut) {
				t.Fatalf("Token() 1s before the end = %v; want GuardError locked out, 1s left", err)
			}
			locked.Store(false)
			over.Store(true)
			a.clock.advance(time.Second)
			if _, err := a.Token(context.Background()); err != nil {
				t.Errorf("Token() after the lockout = %v; want a token", err)
			}
		})
	}
}

// TestGuardBudget: the per-5-minute budget refuses without sending.
func TestGuardBudget(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t, tokenReply())
	a := newTestAuth(t, srv.URL, func(c *AuthConfig) { c.Budget = 2 })
	for i := range 2 {
		if _, err := a.Token(context.Background()); err != nil {
			t.Fatalf("Token() #%d = %v; want a token", i+1, err)
		}
	}
	_, err := a.Token(context.Background())
	var ge *GuardError
	if !errors.As(err, &ge) || ge.reason != guardBudget || !errors.Is(err, ErrRateLimited) || ge.Wait != 150*time.Second {
		t.Fatalf("Token() #3 = %v; want a budget GuardError with 2m30s to wait", err)
	}
	if n := srv.hits.Load(); n != 2 {
		t.Errorf("server hit %d times; want 2", n)
	}
	a.clock.advance(150 * time.Second)
	if _, err := a.Token(context.Background()); err != nil {
		t.Errorf("Token() after refill = %v; want a token", err)
	}
}

func TestTokenRetries(t *testing.T) {
	t.Parallel()
	e500 := reply(500, `{"error":{"code":"500","text":"Internal server error"}}`)
	tests := map[string]struct {
		h      http.HandlerFunc
		edit   func(*AuthConfig)
		hits   int64
		sleeps []time.Duration
		want   error // nil: success
	}{
		"500 then token": {h: sequence(e500, e500, tokenReply()), hits: 3,
			sleeps: []time.Duration{500 * time.Millisecond, time.Second}},
		"500 always": {h: e500, hits: 3, sleeps: []time.Duration{500 * time.Millisecond, time.Second}, want: ErrServer},
		"503 retry-after": {h: sequence(reply(503, "", "Retry-After: 7"), tokenReply()), hits: 2,
			sleeps: []time.Duration{7 * time.Second}},
		"retry-after beyond max delay": {h: reply(503, "", "Retry-After: 120"), hits: 1, want: ErrServer},
		"max attempts 1":               {h: e500, edit: func(c *AuthConfig) { c.Retry.MaxAttempts = 1 }, hits: 1, want: ErrServer},
		"max delay caps backoff": {h: e500, edit: func(c *AuthConfig) {
			c.Retry.MaxAttempts = 4
			c.Retry.BaseDelay = 4 * time.Second
			c.Retry.MaxDelay = 10 * time.Second
		},
			hits: 4, sleeps: []time.Duration{2 * time.Second, 4 * time.Second, 5 * time.Second}, want: ErrServer},
		"budget stops retries": {h: e500, edit: func(c *AuthConfig) { c.Budget = 2 }, hits: 2,
			sleeps: []time.Duration{500 * time.Millisecond, time.Second}, want: ErrRateLimited},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			srv := newTestServer(t, tt.h)
			edits := []func(*AuthConfig){}
			if tt.edit != nil {
				edits = append(edits, tt.edit)
			}
			a := newTestAuth(t, srv.URL, edits...)
			_, err := a.Token(context.Background())
			if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("Token() = %v; want %v", err, tt.want)
			}
			if n := srv.hits.Load(); n != tt.hits {
				t.Errorf("server hit %d times; want %d", n, tt.hits)
			}
			if got := a.sleeps.got(); fmt.Sprint(got) != fmt.Sprint(tt.sleeps) {
				t.Errorf("backoff sleeps = %v; want %v", got, tt.sleeps)
			}
		})
	}
}

// TestTokenErrorBodyCapped: an error body is read and kept up to 64 KiB only.
func TestTokenErrorBodyCapped(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t, reply(500, strings.Repeat("x", 1<<20)))
	a := newTestAuth(t, srv.URL, func(c *AuthConfig) { c.Retry.MaxAttempts = 1 })
	_, err := a.Token(context.Background())
	var apiErr *APIError
	if want := maxErrorBody - cappedTail + len("…"); !errors.As(err, &apiErr) || len(apiErr.Body) != want { // the tail a cut secret could sit in is dropped
		t.Errorf("Token() = %v; want an *APIError with a %d-byte body", err, want)
	}
}

func TestTokenRetriesConnectionErrors(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t, mustNotHit(t))
	url := srv.URL
	srv.Close() // connection refused from here on
	a := newTestAuth(t, url)
	_, err := a.Token(context.Background())
	var apiErr *APIError
	if err == nil || errors.As(err, &apiErr) {
		t.Fatalf("Token() = %v; want a connection error", err)
	}
	if got := len(a.sleeps.got()); got != 2 {
		t.Errorf("backoff sleeps = %d; want 2 (3 attempts)", got)
	}
}

func TestTokenAttemptTimeout(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body) // lets the server notice the client hanging up
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	t.Cleanup(func() { close(release) }) // runs before the server's Close
	// Each attempt lasts its whole timeout (the server answers only when the client
	// hangs up), long enough that a loaded machine still gets both requests to it.
	a := newTestAuth(t, srv.URL, func(c *AuthConfig) { c.Timeout = 250 * time.Millisecond; c.Retry.MaxAttempts = 2 })
	_, err := a.Token(context.Background())
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Token() = %v; want a deadline exceeded", err)
	}
	if n := srv.hits.Load(); n != 2 {
		t.Errorf("server hit %d times; want 2 (a timed-out attempt is retried)", n)
	}
}

func TestTokenHonoursContext(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t, reply(500, ""))
	ctx, cancel := context.WithCancel(context.Background())
	a := newTestAuth(t, srv.URL, func(c *AuthConfig) {
		c.sleep = func(context.Context, time.Duration) error { cancel(); return context.Canceled }
	})
	_, err := a.Token(ctx)
	if !errors.Is(err, context.Canceled) || !errors.Is(err, ErrServer) {
		t.Errorf("Token() = %v; want context.Canceled after the ErrServer", err)
	}
	if n := srv.hits.Load(); n != 1 {
		t.Errorf("server hit %d times; want 1", n)
	}
	if _, err := a.Token(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Token(cancelled ctx) = %v; want context.Canceled", err)
	}
}

func TestTokenNeverFollowsRedirects(t *testing.T) {
	t.Parallel()
	other := newTestServer(t, mustNotHit(t))
	srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/v1/authenticate", http.StatusTemporaryRedirect)
	})
	for name, hc := range map[string]*http.Client{"default client": nil, "caller's client": {}} {
		a := newTestAuth(t, srv.URL, func(c *AuthConfig) { c.HTTPClient = hc })
		if _, err := a.Token(context.Background()); !errors.Is(err, ErrContract) {
			t.Errorf("%s: Token() = %v; want ErrContract for a redirect", name, err)
		}
	}
	if n := other.hits.Load(); n != 0 {
		t.Errorf("redirect target hit %d times; want 0", n)
	}
}

// TestTokenBadSuccessBodies: a 200 without a usable token is ErrContract, not a
// panic, an empty token or a retry.
func TestTokenBadSuccessBodies(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"html":              "<html><title>Login</title></html>",
		"empty":             "",
		"empty object":      "{}",
		"null":              "null",
		"array":             `["token"]`,
		"empty token":       `{"token":""}`,
		"number token":      `{"token":123}`,
		"not jwt-shaped":    `{"token":"opaque"}`,
		"jwt-shaped, junk":  `{"token":"a.b.c"}`,
		"trailing garbage":  `{"token":"` + prismToken + `"} x`,
		"another name":      `{"to_ken":"` + prismToken + `"}`,
		"larger than 1 MiB": `{"token":"` + prismToken + `","pad":"` + strings.Repeat("x", maxTokenBody) + `"}`,
	}
	for name, body := range tests {
		t.Run(name, func(t *testing.T) {
			srv := newTestServer(t, reply(200, body, "Content-Type: application/json"))
			a := newTestAuth(t, srv.URL)
			tok, err := a.Token(context.Background())
			if !errors.Is(err, ErrContract) || tok != nil {
				t.Errorf("Token() = %v, %v; want nil, ErrContract", tok, err)
			}
			if n := srv.hits.Load(); n != 1 {
				t.Errorf("server hit %d times; want 1", n)
			}
		})
	}
}

// TestTokenTolerantSuccessBodies: a 200 whose body carries a usable token is read as
// encoding/json would read it (the vendor's documents show only {"token": …}): extra
// members, another case, white space, duplicate names (the last wins), invalid UTF-8
// in another member.
func TestTokenTolerantSuccessBodies(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"extra members":      `{"token":"` + prismToken + `","expires_in":3600,"user":{"id":1}}`,
		"capitalised name":   `{"Token":"` + prismToken + `"}`,
		"white space":        " \r\n{ \"token\" :\t\"" + prismToken + "\" }\n",
		"duplicate names":    `{"token":"opaque","token":"` + prismToken + `"}`,
		"invalid UTF-8 else": "{\"note\":\"\xff\xfe\",\"token\":\"" + prismToken + "\"}",
		"last of two cases":  `{"token":"opaque","TOKEN":"` + prismToken + `"}`,
		// encoding/json matches names with strings.EqualFold: these are other members.
		"token_ member": `{"token":"` + prismToken + `","token_":"opaque"}`,
		"_token member": `{"token":"` + prismToken + `","_token":null}`,
		"to-ken member": `{"to-ken":"opaque","token":"` + prismToken + `","TO_KEN":1}`,
	}
	for name, body := range tests {
		t.Run(name, func(t *testing.T) {
			srv := newTestServer(t, reply(200, body, "Content-Type: application/json"))
			tok, err := newTestAuth(t, srv.URL).Token(context.Background())
			if err != nil || tok == nil || tok.Value != prismToken {
				t.Errorf("Token() = %v, %v; want the token", tok, err)
			}
		})
	}
}

// TestTokenBodyCut: a 200 whose body the connection cuts short is a network failure,
// not a contract breach: it is retried like one, and the error (when retries run
// out) wraps io.ErrUnexpectedEOF and holds nothing of the partial token.
func TestTokenBodyCut(t *testing.T) {
	t.Parallel()
	cut := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", "2000")
		w.WriteHeader(http.StatusOK)
		io.WriteString(w, `{"token":"`+prismToken[:40])
		w.(http.Flusher).Flush()
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			conn.Close()
		}
	}
	t.Run("retried", func(t *testing.T) {
		srv := newTestServer(t, sequence(cut, reply(200, `{"token":"`+prismToken+`"}`)))
		tok, err := newTestAuth(t, srv.URL).Token(context.Background())
		if err != nil || tok.Value != prismToken {
			t.Errorf("Token() = %v, %v; want the token of the second answer", tok, err)
		}
		if n := srv.hits.Load(); n != 2 {
			t.Errorf("server hit %d times; want 2", n)
		}
	})
	t.Run("out of attempts", func(t *testing.T) {
		srv := newTestServer(t, cut)
		_, err := newTestAuth(t, srv.URL, func(c *AuthConfig) { c.Retry.MaxAttempts = 1 }).Token(context.Background())
		if !errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, ErrContract) {
			t.Errorf("Token() = %v; want io.ErrUnexpectedEOF, not ErrContract", err)
		}
		if err != nil && strings.Contains(err.Error(), prismToken[:40]) {
			t.Errorf("error holds the partial token: %v", err)
		}
	})
}

// TestSecretsNeverPrinted: the password and the token appear in no error, log line
// or formatted value, even when the server echoes them.
func TestSecretsNeverPrinted(t *testing.T) {
	t.Parallel()
	echo := func(status int) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			raw, _ := io.ReadAll(r.Body)
			w.Header().Set("X-Echo", testPassword)
			w.WriteHeader(status)
			fmt.Fprintf(w, `{"message":"bad password %s","detail":%q,"hint":"%s"}`, testPassword, raw, prismToken)
		}
	}
	for _, status := range []int{401, 500} {
		srv := newTestServer(t, echo(status))
		a := newTestAuth(t, srv.URL)
		_, err := a.Token(context.Background())
		var apiErr *APIError
		if !errors.As(err, &apiErr) {
			t.Fatalf("Token() = %v; want an *APIError", err)
		}
		tokenRedactor := newRedactor(prismToken) // what the transport does for service calls
		tokenRedactor.apiError(apiErr)
		for _, s := range []string{err.Error(), fmt.Sprintf("%v", err), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err),
			fmt.Sprintf("%#v", apiErr), string(apiErr.Body), fmt.Sprint(apiErr.Header)} {
			if strings.Contains(s, testPassword) || strings.Contains(s, prismToken) {
				t.Errorf("%d: formatted error contains a secret: %s", status, s)
			}
		}
	}

	srv := newTestServer(t, tokenReply())
	a := newTestAuth(t, srv.URL)
	tok, err := a.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	cfg := AuthConfig{Username: testUser, Password: testPassword, BaseURL: "https://u:" + testPassword + "@example.com/v1"}
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("config", "cfg", cfg, "token", tok)
	for _, s := range []string{
		fmt.Sprintf("%v %+v %#v %s", a.Authenticator, a.Authenticator, a.Authenticator, a.Authenticator),
		fmt.Sprintf("%v %+v %#v %s", cfg, cfg, cfg, cfg),
		fmt.Sprintf("%v %+v %#v", &cfg, &cfg, tok),
		logged.String(),
	} {
		if strings.Contains(s, testPassword) || strings.Contains(s, prismToken) {
			t.Errorf("formatted value contains a secret: %s", s)
		}
	}
}

// TestNewAuthenticatorRefuses: bad input is refused before anything is sent.
func TestNewAuthenticatorRefuses(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t, mustNotHit(t))
	tests := map[string]AuthConfig{
		"no password":        {BaseURL: srv.URL, Username: testUser},
		"e-mail username":    {BaseURL: srv.URL, Username: "jane@example.com", Password: testPassword},
		"trailing space":     {BaseURL: srv.URL, Username: testUser, Password: testPassword + " "},
		"31 characters":      {BaseURL: srv.URL, Username: strings.Repeat("u", 31), Password: testPassword},
		"http to non-loop":   {BaseURL: "http://connect.creditsafe.com/v1", Username: testUser, Password: testPassword},
		"credentials in url": {BaseURL: "https://u:p@connect.creditsafe.com/v1", Username: testUser, Password: testPassword},
	}
	for name, cfg := range tests {
		t.Run(name, func(t *testing.T) {
			a, err := NewAuthenticator(cfg)
			var pe *inputError
			if a != nil || !errors.Is(err, ErrInvalidInput) || !errors.As(err, &pe) {
				t.Errorf("NewAuthenticator(%s) = %v, %v; want nil, *inputError", name, a, err)
			}
		})
	}
	if a, err := NewAuthenticator(AuthConfig{Username: "jane@example.com", Password: testPassword, AllowEmailUsername: true}); err != nil || a.endpoint != "POST "+DefaultBaseURL+"/authenticate" {
		t.Errorf("NewAuthenticator(e-mail allowed, default URL) = %v, %v; want POST %s/authenticate", a, err, DefaultBaseURL)
	}
}

// TestTokenConcurrentInvalidSendsOnce: concurrent callers with a wrong password cost
// one 401, not one per caller; with a right one each call authenticates (uncached).
func TestTokenConcurrentInvalidSendsOnce(t *testing.T) {
	t.Parallel()
	const callers = 8
	for name, tt := range map[string]struct {
		h    http.HandlerFunc
		hits int64
	}{
		"401": {reply(401, "Access denied"), 1},
		"200": {tokenReply(), callers},
	} {
		t.Run(name, func(t *testing.T) {
			srv := newTestServer(t, tt.h)
			a := newTestAuth(t, srv.URL)
			var wg sync.WaitGroup
			var failed atomic.Int64
			for range callers {
				wg.Go(func() {
					if _, err := a.Token(context.Background()); err != nil {
						if !errors.Is(err, ErrInvalidCredentials) {
							t.Errorf("Token() = %v; want ErrInvalidCredentials", err)
						}
						failed.Add(1)
					}
				})
			}
			wg.Wait()
			if n := srv.hits.Load(); n != tt.hits {
				t.Errorf("server hit %d times by %d concurrent callers; want %d", n, callers, tt.hits)
			}
		})
	}
}

// brokenStore fails (or hangs until its context ends) on every guard call.
type brokenStore struct {
	*memoryStore
	hang bool
}

func (s brokenStore) LoadGuard(ctx context.Context, _ string) (GuardState, error) {
	if s.hang {
		<-ctx.Done()
	}
	return GuardState{}, errors.New("store down")
}

func (s brokenStore) MergeGuard(ctx context.Context, _ string, _ GuardState) (GuardState, error) {
	if s.hang {
		<-ctx.Done()
	}
	return GuardState{}, errors.New("store down")
}

// TestGuardSurvivesBrokenStore: a failing or slow Store does not stop the guard.
func TestGuardSurvivesBrokenStore(t *testing.T) {
	t.Parallel()
	for name, store := range map[string]Store{
		"failing": brokenStore{memoryStore: newMemoryStore()},
		"hanging": brokenStore{memoryStore: newMemoryStore(), hang: true},
	} {
		t.Run(name, func(t *testing.T) {
			var sent atomic.Bool
			srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
				if sent.Swap(true) {
					mustNotHit(t)(w, r)
					return
				}
				reply(401, "Access denied")(w, r)
			})
			a := newTestAuth(t, srv.URL, func(c *AuthConfig) { c.Store = timedStore{store, 10 * time.Millisecond} })
			if _, err := a.Token(context.Background()); !errors.Is(err, ErrInvalidCredentials) {
				t.Fatalf("Token() = %v; want ErrInvalidCredentials", err)
			}
			var ge *GuardError
			if _, err := a.Token(context.Background()); !errors.As(err, &ge) {
				t.Errorf("second Token() = %v; want a *GuardError despite the store", err)
			}
			if !strings.Contains(a.logs.String(), "guard store unavailable") {
				t.Errorf("logs = %s; want a warning about the store", a.logs)
			}
		})
	}
}

// TestGuardLockoutShared: a lockout recorded by one Authenticator holds for another
// sharing its Store, with no request sent.
func TestGuardLockoutShared(t *testing.T) {
	t.Parallel()
	var sent atomic.Bool
	srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		if sent.Swap(true) {
			mustNotHit(t)(w, r)
			return
		}
		reply(429, "Too many requests", "Retry-After: 60")(w, r)
	})
	store := newMemoryStore()
	a := newTestAuth(t, srv.URL, func(c *AuthConfig) { c.Store = store })
	b := newTestAuth(t, srv.URL, func(c *AuthConfig) { c.Store = store; c.Password = "another-password" })
	if _, err := a.Token(context.Background()); !errors.Is(err, ErrLockedOut) {
		t.Fatalf("Token() = %v; want ErrLockedOut", err)
	}
	b.clock.advance(30 * time.Second)
	_, err := b.Token(context.Background())
	var ge *GuardError
	if !errors.As(err, &ge) || ge.reason != guardLockedOut || ge.Wait != 30*time.Second || !errors.Is(err, ErrLockedOut) {
		t.Errorf("other Authenticator's Token() = %v; want a lockout GuardError with 30s left", err)
	}
}

// TestAuthenticateBodyIsTheGeneratedJSON: the hand-written body decodes to the same
// AuthenticateRequest as the generated type's encoding/json encoding, for credentials
// that need escaping.
func TestAuthenticateBodyIsTheGeneratedJSON(t *testing.T) {
	t.Parallel()
	for _, c := range [][2]string{
		{"myUsername", "myPassword"}, {`qu"ote`, `back\slash`}, {"<tag>&amp;", "\u2028é🔑"},
		{"tab\there", "nul\x00ctl\x1f"}, {"", ""},
	} {
		ours, err := authenticateBody(c[0], c[1])
		if err != nil {
			t.Fatalf("authenticateBody(%q, …) = %v", c[0], err)
		}
		pw := c[1]
		theirs, err := json.Marshal(client.AuthenticateRequest{Username: c[0], Password: &pw})
		if err != nil {
			t.Fatal(err)
		}
		var a, b client.AuthenticateRequest
		if err := json.Unmarshal(ours, &a); err != nil {
			t.Fatalf("authenticateBody(%q, …) is not JSON: %v", c[0], err)
		}
		if err := json.Unmarshal(theirs, &b); err != nil {
			t.Fatal(err)
		}
		if a.Username != b.Username || a.Password == nil || *a.Password != *b.Password {
			t.Errorf("authenticateBody(%q, …) decodes differently from the generated encoding", c[0])
		}
	}
}

// timedStore is a Store with a CallTimeout.
type timedStore struct {
	Store
	timeout time.Duration
}

func (s timedStore) CallTimeout() time.Duration { return s.timeout }
