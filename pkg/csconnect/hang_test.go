package csconnect

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// promptly is how long a call that must not hang may take in these tests: generous,
// so a loaded machine does not fail them, and far below a hang.
const promptly = 10 * time.Second

// switchingProtocols answers with a bare 101 on the hijacked connection and keeps the
// connection open, silent, until the test ends: net/http hands the raw connection
// over as the body, and a read of it waits for bytes that never come.
func switchingProtocols(t *testing.T) http.HandlerFunc {
	done := make(chan struct{})
	t.Cleanup(func() { close(done) })
	return func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		conn, buf, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Errorf("Hijack() = %v", err)
			return
		}
		defer conn.Close()
		_, _ = buf.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
		_ = buf.Flush()
		select {
		case <-done:
		case <-r.Context().Done():
		}
	}
}

// within runs f and fails the test if it does not return within promptly.
func within[T any](t *testing.T, what string, f func() T) T {
	t.Helper()
	ch := make(chan T, 1)
	go func() { ch <- f() }()
	select {
	case v := <-ch:
		return v
	case <-time.After(promptly):
		t.Fatalf("%s did not return within %v: it hangs", what, promptly)
		panic("unreachable")
	}
}

// TestToken101IsContractError: a 101 on authenticate is a contract error within the
// attempt, not a read of the raw connection forever, and the next call is not
// blocked behind it.
func TestToken101IsContractError(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t, sequence(switchingProtocols(t), tokenReply()))
	a := newTestAuth(t, srv.URL, func(c *AuthConfig) { c.Timeout = time.Minute })
	err := within(t, "Token() over a 101", func() error { _, err := a.Token(context.Background()); return err })
	if !errors.Is(err, ErrContract) {
		t.Fatalf("Token() over a 101 = %v; want ErrContract", err)
	}
	err = within(t, "the next Token()", func() error { _, err := a.Token(context.Background()); return err })
	if err != nil {
		t.Errorf("the next Token() = %v; want a token (the first call must release the semaphore)", err)
	}
}

// blockingBody is a body whose Read waits until Close, as the raw connection of a
// silent server does when nothing watches the context. Close is safe to call
// concurrently, as net/http's bodies' is (ctxBody's watcher and the caller may both
// close it).
type blockingBody struct {
	closed chan struct{}
	once   sync.Once
}

func (b *blockingBody) Read([]byte) (int, error) {
	<-b.closed
	return 0, errors.New("read on closed body")
}
func (b *blockingBody) Close() error {
	b.once.Do(func() { close(b.closed) })
	return nil
}

// ignoringTransport answers every request with status and a body that blocks until
// closed, ignoring the request's context: a RoundTripper net/http does not police.
type ignoringTransport struct{ status int }

func (tr ignoringTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		_ = r.Body.Close()
	}
	return &http.Response{StatusCode: tr.status, Status: http.StatusText(tr.status), Header: http.Header{},
		Body: &blockingBody{closed: make(chan struct{})}, ContentLength: -1, Request: r}, nil
}

// TestTokenBodyReadBoundedByAttemptTimeout: whatever transport the caller gives, a
// body that never ends is given up at the attempt's timeout, on the 200 path and on
// the error path alike.
func TestTokenBodyReadBoundedByAttemptTimeout(t *testing.T) {
	t.Parallel()
	for _, status := range []int{200, 401, 500} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			a := newTestAuth(t, "http://127.0.0.1:1", func(c *AuthConfig) {
				c.Timeout = 50 * time.Millisecond
				c.Retry.MaxAttempts = 1
				c.HTTPClient = &http.Client{Transport: ignoringTransport{status}}
			})
			err := within(t, "Token()", func() error { _, err := a.Token(context.Background()); return err })
			if err == nil {
				t.Fatalf("Token() = nil error; want the attempt's deadline")
			}
		})
	}
}

// TestTransport101IsContractError: a 101 from a service is an ErrContract error
// from RoundTrip, not a response whose body is the raw connection.
func TestTransport101IsContractError(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(switchingProtocols(t))
	t.Cleanup(srv.Close)
	tr := &Transport{Source: tokenSourceFunc(func(context.Context) (*Token, error) { return tokenAt(1, time.Now()), nil })}
	hc := &http.Client{Transport: tr}
	err := within(t, "a service call answered 101", func() error {
		resp, err := hc.Get(srv.URL + "/datecheck/company")
		if err == nil {
			defer resp.Body.Close()
			_, err = io.ReadAll(resp.Body) // what the generated client does
			if err == nil {
				return errors.New("status " + resp.Status + " with a body read to its end")
			}
		}
		return err
	})
	if !errors.Is(err, ErrContract) {
		t.Errorf("GET over a 101 = %v; want ErrContract", err)
	}
}

// TestTransportBodyHonoursContext: over a Base that ignores cancellation, the body
// Transport returns (and its own read of an error body) ends when the request's
// context does.
func TestTransportBodyHonoursContext(t *testing.T) {
	t.Parallel()
	for _, status := range []int{200, 503} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			tr := &Transport{
				Source: tokenSourceFunc(func(context.Context) (*Token, error) { return tokenAt(1, time.Now()), nil }),
				Base:   ignoringTransport{status},
				Retry:  RetryPolicy{MaxAttempts: 1},
			}
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "https://service.example/x", nil)
			err := within(t, "RoundTrip and body read", func() error {
				resp, err := tr.RoundTrip(req)
				if err != nil {
					return err
				}
				defer resp.Body.Close()
				_, err = io.ReadAll(resp.Body)
				return err
			})
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("reading the body = %v; want context.DeadlineExceeded", err)
			}
		})
	}
}

// TestResponseHeadersCapped: the transports csconnect builds refuse more than
// maxResponseHeaderBytes of response headers, for authenticate and for services,
// instead of net/http's default 10 MB (about 100 MiB of allocation per attempt).
func TestResponseHeadersCapped(t *testing.T) {
	t.Parallel()
	big := func(next http.HandlerFunc) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Padding", strings.Repeat("a", 2*maxResponseHeaderBytes))
			next(w, r)
		}
	}
	t.Run("authenticate", func(t *testing.T) {
		srv := newTestServer(t, big(tokenReply()))
		a := newTestAuth(t, srv.URL, func(c *AuthConfig) { c.Retry.MaxAttempts = 1 })
		if _, err := a.Token(context.Background()); err == nil || !strings.Contains(err.Error(), "headers exceeded") {
			t.Errorf("Token() over %d bytes of headers = %v; want the header limit", 2*maxResponseHeaderBytes, err)
		}
	})
	t.Run("service", func(t *testing.T) {
		svc := httptest.NewServer(big(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, `{}`) }))
		t.Cleanup(svc.Close)
		c := newTestClient(t, newAuthServer(t), svc.URL, func(cfg *Config) { cfg.Retry.MaxAttempts = 1 })
		resp, err := c.HTTPClient.Get(svc.URL + "/datecheck/company")
		if err == nil {
			resp.Body.Close()
		}
		if err == nil || !strings.Contains(err.Error(), "headers exceeded") {
			t.Errorf("GET over %d bytes of headers = %v; want the header limit", 2*maxResponseHeaderBytes, err)
		}
	})
}
