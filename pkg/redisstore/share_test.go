package redisstore_test

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/csconnect/csconnect/internal/redistest"
	"github.com/csconnect/csconnect/pkg/csconnect"
	"github.com/csconnect/csconnect/pkg/redisstore"
)

// newAuthServer is an authenticate endpoint that answers every request with status
// and counts the requests.
func newAuthServer(t *testing.T, status int, body string) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

// Two processes' Authenticators, each with its own Store on one Redis: once one was
// answered 401 or 429, the other refuses the same request without sending it.
func TestGuardSharedBetweenAuthenticators(t *testing.T) {
	tests := map[string]struct {
		status int
		body   string
		want   error
	}{
		"401 invalid credentials": {http.StatusUnauthorized, "Access denied - Please check that your username and password are correct.", csconnect.ErrInvalidCredentials},
		"429 locked out":          {http.StatusTooManyRequests, `{"error":{"code":"429","text":"Too Many Requests","detail":"Try again later."}}`, csconnect.ErrLockedOut},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			rs := redistest.New(t)
			srv, hits := newAuthServer(t, tc.status, tc.body)
			newAuth := func() *csconnect.Authenticator {
				store, err := redisstore.New(redisstore.Options{
					Client: redistest.NewClient(t, rs),
					Secret: bytes.Repeat([]byte("s"), 32),
				})
				if err != nil {
					t.Fatal(err)
				}
				a, err := csconnect.NewAuthenticator(csconnect.AuthConfig{
					BaseURL: srv.URL, Username: "fleet-user", Password: "wrong-password", Store: store,
				})
				if err != nil {
					t.Fatal(err)
				}
				return a
			}
			podA, podB := newAuth(), newAuth()
			if _, err := podA.Token(t.Context()); !errors.Is(err, tc.want) {
				t.Fatalf("podA.Token() = %v; want %v", err, tc.want)
			}
			_, err := podB.Token(t.Context())
			if ge := (*csconnect.GuardError)(nil); !errors.As(err, &ge) || !errors.Is(err, tc.want) {
				t.Errorf("podB.Token() = %v; want a *GuardError matching %v", err, tc.want)
			}
			if got := hits.Load(); got != 1 {
				t.Errorf("authenticate requests = %d; want 1 (podB must not send)", got)
			}
		})
	}
}

// TestGuardOutlivesFlush: a password rejected in a process is not sent again by it
// when Redis loses the record (FLUSHALL, a restart without persistence, eviction),
// and two processes with two different wrong passwords each send theirs once: the
// shared record keeps both rejected pairs.
func TestGuardOutlivesFlush(t *testing.T) {
	rs := redistest.New(t)
	raw := redistest.NewClient(t, rs)
	srv, hits := newAuthServer(t, http.StatusUnauthorized, "Access denied")
	newAuth := func(password string) *csconnect.Authenticator {
		store, err := redisstore.New(redisstore.Options{Client: redistest.NewClient(t, rs), Secret: bytes.Repeat([]byte("s"), 32)})
		if err != nil {
			t.Fatal(err)
		}
		a, err := csconnect.NewAuthenticator(csconnect.AuthConfig{BaseURL: srv.URL, Username: "fleet-user", Password: password, Store: store})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	one, two := newAuth("wrong-one"), newAuth("wrong-two")
	for round := range 5 {
		_, _ = one.Token(t.Context())
		_, _ = two.Token(t.Context())
		if round == 2 {
			if err := raw.FlushAll(t.Context()).Err(); err != nil {
				t.Fatal(err)
			}
		}
	}
	if got := hits.Load(); got != 2 {
		t.Errorf("authenticate requests by two processes with two wrong passwords over 5 rounds and a FLUSHALL = %d; want 2", got)
	}
	// A third process with either password learns it from Redis (both were recorded
	// again after the flush).
	_, _ = one.Token(t.Context()) // re-shares after the flush
	_, _ = two.Token(t.Context())
	for _, pw := range []string{"wrong-one", "wrong-two"} {
		if _, err := newAuth(pw).Token(t.Context()); !errors.As(err, new(*csconnect.GuardError)) {
			t.Errorf("third process with %s: Token() = %v; want a *GuardError", pw, err)
		}
	}
	if got := hits.Load(); got != 2 {
		t.Errorf("authenticate requests in all = %d; want 2", got)
	}
}
