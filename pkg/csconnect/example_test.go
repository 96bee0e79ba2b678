package csconnect_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/csconnect/csconnect/gen/datecheck"
	"github.com/csconnect/csconnect/pkg/csconnect"
	"golang.org/x/oauth2"
)

// fakeAuthenticate stands in for an *Authenticator: it numbers its tokens.
type fakeAuthenticate struct{ calls *atomic.Int64 }

func (f fakeAuthenticate) Token(context.Context) (*csconnect.Token, error) {
	n := f.calls.Add(1)
	now := time.Now()
	return &csconnect.Token{Value: fmt.Sprintf("jwt-%d", n), Fetched: now, Expiry: now.Add(time.Hour)}, nil
}

// service is a loopback stand-in for a Creditsafe service: it answers 401
// {"error": "Invalid token."} to "jwt-1", as if that token had expired, and echoes
// the Authorization header otherwise.
func service() *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		if auth == "Bearer jwt-1" {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, `{"error": "Invalid token."}`)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = fmt.Fprintf(w, `{"auth": %q}`, auth)
	}))
}

// loopbackCreditsafe starts stand-ins for the authenticate endpoint (a one-hour JWT
// per call) and for a service (200 when the call carries a bearer JWT).
func loopbackCreditsafe() (auth, svc *httptest.Server) {
	b64 := base64.RawURLEncoding.EncodeToString
	auth = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		now := time.Now().Unix()
		claims := fmt.Sprintf(`{"sub":"myUsername","iat":%d,"exp":%d}`, now, now+3600)
		jwt := b64([]byte(`{"alg":"RS256","kid":"example"}`)) + "." + b64([]byte(claims)) + "." + b64([]byte("signature"))
		w.Header().Set("Content-Type", "application/json")
		_, _ = fmt.Fprintf(w, `{"token":%q}`, jwt)
	}))
	svc = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ey") {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"status":"active"}`)
	}))
	return auth, svc
}

// The common case: New gives the generated client with authentication, caching,
// renewal and retries wired in. Against Creditsafe, leave BaseURL and ServiceURL
// empty (the live endpoints are the defaults).
func ExampleNew() {
	auth, svc := loopbackCreditsafe()
	defer auth.Close()
	defer svc.Close()

	c, err := csconnect.New(csconnect.Config{
		Auth:       csconnect.AuthConfig{BaseURL: auth.URL + "/v1", Username: "myUsername", Password: "example-password"},
		ServiceURL: svc.URL,
	})
	if err != nil {
		fmt.Println(err) // bad input is refused here, before anything is sent
		return
	}
	defer c.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second) // bound calls with a context, not http.Client.Timeout
	defer cancel()
	for range 3 {
		resp, err := c.DateCheckCompanyWithResponse(ctx, &datecheck.DateCheckCompanyParams{Searchnumber: "5565144408"})
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(resp.StatusCode(), (*resp.JSON200)["status"])
	}
	// Output:
	// 200 active
	// 200 active
	// 200 active
}

// New refuses input that cannot work before anything is sent.
func ExampleNew_refused() {
	_, err := csconnect.New(csconnect.Config{Auth: csconnect.AuthConfig{Username: "myUsername", Password: strings.Repeat("x", 31)}})
	fmt.Println(errors.Is(err, csconnect.ErrInvalidInput))
	// Output: true
}

// A Cache in front of the authenticate call: any number of callers, one
// authenticate call per token lifetime.
func ExampleNewCache() {
	var calls atomic.Int64
	cache := csconnect.NewCache(fakeAuthenticate{&calls}, csconnect.CacheOptions{})
	defer cache.Close()

	for range 1000 {
		if _, err := cache.Token(context.Background()); err != nil {
			fmt.Println(err)
			return
		}
	}
	fmt.Println("authenticate calls:", calls.Load())
	// Output: authenticate calls: 1
}

// Transport attaches the token to every request and, when the service says the
// token expired, renews it and replays the request once.
func ExampleTransport() {
	srv := service()
	defer srv.Close()
	var calls atomic.Int64
	cache := csconnect.NewCache(fakeAuthenticate{&calls}, csconnect.CacheOptions{})
	defer cache.Close()

	httpClient := &http.Client{Transport: &csconnect.Transport{Source: cache}}
	resp, err := httpClient.Get(srv.URL + "/datecheck/company?searchnumber=5565144408")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode, string(body))
	fmt.Println("authenticate calls:", calls.Load())
	// Output:
	// 200 {"auth": "Bearer jwt-2"}
	// authenticate calls: 2
}

// The generated client with the token layer plugged in through its HTTP client (the
// Transport, which renews expired tokens) and, where the HTTP client is not yours,
// through a request editor (which only sets the header).
func ExampleRequestEditor() {
	srv := service()
	defer srv.Close()
	var calls atomic.Int64
	cache := csconnect.NewCache(fakeAuthenticate{&calls}, csconnect.CacheOptions{})
	defer cache.Close()
	_, _ = cache.Token(context.Background()) // jwt-1, which the service rejects

	c, err := datecheck.NewClientWithResponses(srv.URL, datecheck.WithRequestEditorFn(csconnect.RequestEditor(cache)))
	if err != nil {
		fmt.Println(err)
		return
	}
	resp, err := c.DateCheckCompanyWithResponse(context.Background(), &datecheck.DateCheckCompanyParams{Searchnumber: "5565144408"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("editor:", resp.StatusCode(), string(resp.Body))

	c, err = datecheck.NewClientWithResponses(srv.URL, datecheck.WithHTTPClient(&http.Client{Transport: &csconnect.Transport{Source: cache}}))
	if err != nil {
		fmt.Println(err)
		return
	}
	resp, err = c.DateCheckCompanyWithResponse(context.Background(), &datecheck.DateCheckCompanyParams{Searchnumber: "5565144408"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("transport:", resp.StatusCode(), (*resp.JSON200)["auth"])
	// Output:
	// editor: 401 {"error": "Invalid token."}
	// transport: 200 Bearer jwt-2
}

// OAuth2TokenSource lets x/oauth2 (and gRPC's oauth credentials) carry the tokens.
func ExampleOAuth2TokenSource() {
	srv := service()
	defer srv.Close()
	var calls atomic.Int64
	cache := csconnect.NewCache(fakeAuthenticate{&calls}, csconnect.CacheOptions{})
	defer cache.Close()
	_, _ = cache.Token(context.Background())
	cache.Invalidate(&csconnect.Token{Value: "jwt-1"}) // skip the token the service rejects

	ctx := context.Background()
	httpClient := oauth2.NewClient(ctx, csconnect.OAuth2TokenSource(ctx, cache))
	resp, err := httpClient.Get(srv.URL + "/datecheck/company?searchnumber=5565144408")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(strings.TrimSpace(string(body)))
	// Output: {"auth": "Bearer jwt-2"}
}

// Invalidate drops a token a service refused, but only if it is still the current
// one: any number of callers reporting the same refused token cause one renewal.
func ExampleCache_Invalidate() {
	var calls atomic.Int64
	cache := csconnect.NewCache(fakeAuthenticate{&calls}, csconnect.CacheOptions{})
	defer cache.Close()

	refused, _ := cache.Token(context.Background())
	for range 100 { // a hundred requests were answered "Token Expired"
		cache.Invalidate(refused)
	}
	tok, _ := cache.Token(context.Background())
	fmt.Println(tok.Value == refused.Value, "authenticate calls:", calls.Load())
	// Output: false authenticate calls: 2
}

// Logging goes to AuthConfig.Logger, for the whole client New builds; tokens
// appear by their expiry, never by value, and a configuration without its password.
func ExampleAuthConfig_logger() {
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr { // keep the output stable
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	}))
	cfg := csconnect.AuthConfig{Username: "myUsername", Password: "myPassword", Logger: logger}
	logger.Info("configured", "auth", cfg)
	// Output:
	// level=INFO msg=configured auth="csconnect.AuthConfig{BaseURL: \"\", Username: \"myUsername\", Password: [redacted]}"
}

// RetryPolicy bounds the Transport's retries of transient failures: here at most two
// attempts, and no retry at all for a POST unless it carries an Idempotency-Key.
func ExampleRetryPolicy() {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1) == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		_, _ = io.WriteString(w, "ok")
	}))
	defer srv.Close()
	var calls atomic.Int64
	cache := csconnect.NewCache(fakeAuthenticate{&calls}, csconnect.CacheOptions{})
	defer cache.Close()

	tr := &csconnect.Transport{Source: cache, Retry: csconnect.RetryPolicy{MaxAttempts: 2, BaseDelay: time.Millisecond}}
	resp, err := (&http.Client{Transport: tr}).Get(srv.URL + "/datecheck/company")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	fmt.Println(resp.StatusCode, "after", hits.Load(), "requests")
	// Output: 200 after 2 requests
}
