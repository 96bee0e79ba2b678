package csconnect

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/csconnect/csconnect/gen/datecheck"
	"github.com/golang-jwt/jwt/v5"
)

// authServer is a loopback authenticate endpoint that issues a fresh one-hour JWT
// per call and counts the calls.
type authServer struct {
	*httptest.Server
	issued atomic.Int64
}

func newAuthServer(t testing.TB) *authServer {
	a := &authServer{}
	a.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/v1/authenticate" {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		n := a.issued.Add(1)
		now := time.Now()
		tok := signedJWT(t, jwt.MapClaims{"sub": testUser, "n": n, "iat": now.Unix(), "exp": now.Add(hour).Unix()})
		w.Header().Set("Content-Type", "application/json")
		_, _ = fmt.Fprintf(w, `{"token":%q}`, tok)
	}))
	t.Cleanup(a.Close)
	return a
}

func newTestClient(t *testing.T, auth *authServer, serviceURL string, edit ...func(*Config)) *Client {
	t.Helper()
	cfg := Config{
		Auth:       AuthConfig{BaseURL: auth.URL + "/v1", Username: testUser, Password: testPassword},
		ServiceURL: serviceURL,
	}
	for _, e := range edit {
		e(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New() error = %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

var dateCheck = &datecheck.DateCheckCompanyParams{Searchnumber: "5565144408"}

func TestNewEndToEnd(t *testing.T) {
	t.Parallel()
	auth := newAuthServer(t)
	svc := newServiceServer(t, ok200)
	c := newTestClient(t, auth, svc.URL)
	for i := range 20 {
		resp, err := c.DateCheckCompanyWithResponse(context.Background(), dateCheck)
		if err != nil || resp.StatusCode() != 200 {
			t.Fatalf("DateCheckCompanyWithResponse() call %d = %v, %v; want 200", i, resp, err)
		}
	}
	if n := auth.issued.Load(); n != 1 {
		t.Errorf("authenticate calls for 20 service calls = %d; want 1", n)
	}
	seen := svc.requests()
	if !strings.HasPrefix(seen[0].auth, "Bearer ey") || seen[0].path != "/datecheck/company" {
		t.Errorf("service saw %s with Authorization %.12q…; want /datecheck/company with a bearer JWT", seen[0].path, seen[0].auth)
	}
	if s := c.Tokens.counts(); s.Fetches != 1 {
		t.Errorf("Tokens.counts().Fetches = %d; want 1", s.Fetches)
	}
}

// TestNewRenewsExpiredToken: the service's "Invalid token." answer costs one more
// authenticate call and one replay, through the whole stack.
func TestNewRenewsExpiredToken(t *testing.T) {
	t.Parallel()
	auth := newAuthServer(t)
	svc := newServiceServer(t, connectInvalid, ok200)
	c := newTestClient(t, auth, svc.URL)
	resp, err := c.DateCheckCompanyWithResponse(context.Background(), dateCheck)
	if err != nil || resp.StatusCode() != 200 {
		t.Fatalf("DateCheckCompanyWithResponse() = %v, %v; want 200 after a renewal", resp, err)
	}
	seen := svc.requests()
	if len(seen) != 2 || seen[0].auth == seen[1].auth {
		t.Errorf("service requests = %d with tokens equal=%v; want 2 with different tokens", len(seen), len(seen) == 2 && seen[0].auth == seen[1].auth)
	}
	if n := auth.issued.Load(); n != 2 {
		t.Errorf("authenticate calls = %d; want 2", n)
	}
}

func TestNewRefusesBadInput(t *testing.T) {
	t.Parallel()
	auth := newTestServer(t, mustNotHit(t))
	tests := map[string]Config{
		"no username":         {Auth: AuthConfig{BaseURL: auth.URL, Password: testPassword}},
		"password too long":   {Auth: AuthConfig{BaseURL: auth.URL, Username: testUser, Password: strings.Repeat("p", 31)}},
		"plain http auth":     {Auth: AuthConfig{BaseURL: "http://connect.creditsafe.com/v1", Username: testUser, Password: testPassword}},
		"plain http service":  {Auth: AuthConfig{BaseURL: auth.URL, Username: testUser, Password: testPassword}, ServiceURL: "http://se-webservice.apps.creditsafe.com"},
		"service not a URL":   {Auth: AuthConfig{BaseURL: auth.URL, Username: testUser, Password: testPassword}, ServiceURL: "se-webservice"},
		"service credentials": {Auth: AuthConfig{BaseURL: auth.URL, Username: testUser, Password: testPassword}, ServiceURL: "https://u:p@se-webservice.apps.creditsafe.com"},
	}
	for name, cfg := range tests {
		t.Run(name, func(t *testing.T) {
			c, err := New(cfg)
			if !errors.Is(err, ErrInvalidInput) || c != nil {
				t.Errorf("New(%s) = %v, %v; want nil, ErrInvalidInput", name, c, err)
			}
			if err != nil && strings.Contains(err.Error(), testPassword) {
				t.Errorf("New(%s) error %q contains the password", name, err)
			}
		})
	}
	var pe *inputError
	if _, err := New(tests["plain http service"]); !errors.As(err, &pe) || pe.field != "service URL" {
		t.Errorf("New(plain http service) error = %v; want a *inputError about the service URL", err)
	}
}

// TestNewNoClientTimeout: the client New builds must not use http.Client.Timeout
// (net/http's legacy cancel path over a custom RoundTripper); the transport bounds
// the wait for headers instead.
func TestNewNoClientTimeout(t *testing.T) {
	t.Parallel()
	auth := newAuthServer(t)
	c := newTestClient(t, auth, "https://se-webservice.apps.creditsafe.com")
	if c.HTTPClient.Timeout != 0 {
		t.Errorf("HTTPClient.Timeout = %v; want 0", c.HTTPClient.Timeout)
	}
	tr, ok := c.HTTPClient.Transport.(*Transport)
	if !ok {
		t.Fatalf("HTTPClient.Transport = %T; want *Transport", c.HTTPClient.Transport)
	}
	base, ok := tr.Base.(*http.Transport)
	if !ok || base.ResponseHeaderTimeout != defaultServiceTimeout {
		t.Errorf("base transport = %T with ResponseHeaderTimeout %v; want *http.Transport with %v", tr.Base, base.ResponseHeaderTimeout, defaultServiceTimeout)
	}
	if tr.Source != c.Tokens {
		t.Errorf("Transport.Source is not the client's cache")
	}
}

// TestNewSharesTokensThroughStore: two clients (two processes) on one Store make one
// authenticate call between them.
func TestNewSharesTokensThroughStore(t *testing.T) {
	t.Parallel()
	auth := newAuthServer(t)
	svc := newServiceServer(t, ok200)
	store := newMemoryStore()
	withStore := func(cfg *Config) { cfg.Auth.Store = store }
	for i := range 2 {
		c := newTestClient(t, auth, svc.URL, withStore)
		if resp, err := c.DateCheckCompanyWithResponse(context.Background(), dateCheck); err != nil || resp.StatusCode() != 200 {
			t.Fatalf("client %d: DateCheckCompanyWithResponse() = %v, %v; want 200", i, resp, err)
		}
	}
	if n := auth.issued.Load(); n != 1 {
		t.Errorf("authenticate calls for two clients on one store = %d; want 1", n)
	}
}

// TestNewInvalidCredentialsNotRetried: a 401 from authenticate reaches the caller as
// ErrInvalidCredentials, and further calls do not authenticate again.
func TestNewInvalidCredentialsNotRetried(t *testing.T) {
	t.Parallel()
	auth := newTestServer(t, reply(http.StatusUnauthorized, "Access denied - Please check that your username and password are correct."))
	svc := newServiceServer(t, ok200)
	c, err := New(Config{Auth: AuthConfig{BaseURL: auth.URL + "/v1", Username: testUser, Password: testPassword}, ServiceURL: svc.URL})
	if err != nil {
		t.Fatalf("New() error = %v", err)
	}
	defer c.Close()
	for i := range 5 {
		if _, err := c.DateCheckCompanyWithResponse(context.Background(), dateCheck); !errors.Is(err, ErrInvalidCredentials) {
			t.Errorf("call %d error = %v; want ErrInvalidCredentials", i, err)
		}
	}
	if n := auth.hits.Load(); n != 1 {
		t.Errorf("authenticate requests = %d; want 1", n)
	}
	if n := len(svc.requests()); n != 0 {
		t.Errorf("service requests = %d; want 0", n)
	}
	if s := c.Tokens.counts(); s.Fetches != 1 || s.GuardRefusals != 0 {
		t.Errorf("Tokens.counts() = %+v; want 1 fetch, no guard refusal yet (the backoff answered)", s)
	}
}

// Client is usable wherever the generated service interface is.
var _ datecheck.ClientWithResponsesInterface = (*Client)(nil)

// TestClientHasNoAuthenticate: nothing reachable from a Client by method or exported
// field can post credentials past preflight and the guard: no Authenticate method on
// Client, and no embedded generated client to reach one through.
func TestClientHasNoAuthenticate(t *testing.T) {
	t.Parallel()
	typ := reflect.TypeFor[*Client]()
	for i := range typ.NumMethod() {
		if m := typ.Method(i); strings.Contains(m.Name, "Authenticate") {
			t.Errorf("Client has method %s", m.Name)
		}
	}
	st := typ.Elem()
	for i := range st.NumField() {
		if f := st.Field(i); f.IsExported() && f.Anonymous {
			t.Errorf("Client embeds %s, whose methods become Client's", f.Type)
		}
	}
}
