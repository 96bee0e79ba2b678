package csconnect

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/csconnect/csconnect/internal/testlog"
)

// echoHeads are malformed answer heads that quote what the request carried (s):
// net/http's errors quote the offending line or value.
var echoHeads = map[string]func(s string) string{
	"status line":  func(s string) string { return s + "\r\n\r\n" },
	"status code":  func(s string) string { return "HTTP/1.1 2x0 " + s + "\r\n\r\n" },
	"header line":  func(s string) string { return "HTTP/1.1 200 OK\r\n" + s + "\r\n\r\n" },
	"header value": func(s string) string { return "HTTP/1.1 200 OK\r\nContent-Length: " + s + "\r\n\r\n" },
}

// echoServer answers every request with head(what the request carried): its
// Authorization header, else its body.
func echoServer(t *testing.T, head func(string) string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		carried := r.Header.Get("Authorization")
		if carried == "" {
			b, _ := io.ReadAll(io.LimitReader(r.Body, 1<<10))
			carried = string(b)
		}
		c, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer c.Close()
		_, _ = brw.WriteString(head(carried))
		_ = brw.Flush()
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestMalformedAnswerQuotingTheTokenNotRepeated: a service answers with a malformed
// head that quotes the bearer token it was sent. net/http's error quotes the line;
// the error Transport returns, and its log lines, must not.
func TestMalformedAnswerQuotingTheTokenNotRepeated(t *testing.T) {
	const tok = "tok-hostile7-0123456789abcdef"
	for name, head := range echoHeads {
		t.Run(name, func(t *testing.T) {
			srv := echoServer(t, head)
			var logs testlog.Buffer
			auth, err := NewAuthenticator(AuthConfig{BaseURL: srv.URL + "/v1", Username: testUser, Password: testPassword,
				Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
			if err != nil {
				t.Fatal(err)
			}
			src := &tokenLogged{Cache: NewCache(auth, CacheOptions{}), tok: &Token{Value: tok, Expiry: time.Now().Add(time.Hour)}}
			tr := &Transport{Source: src, Retry: RetryPolicy{BaseDelay: time.Millisecond, MaxDelay: time.Millisecond}}
			_, err = (&http.Client{Transport: tr}).Get(srv.URL + "/x")
			if err == nil {
				t.Fatal("no error")
			}
			if strings.Contains(err.Error(), tok) || strings.Contains(logs.String(), tok) {
				t.Errorf("the token is repeated:\nerror: %v\nlogs: %s", err, logs.String())
			}
		})
	}
}

// tokenLogged is a Cache (so Transport reports to its Authenticator's logger) that
// hands out a fixed token.
type tokenLogged struct {
	*Cache
	tok *Token
}

func (s *tokenLogged) Token(context.Context) (*Token, error) { return s.tok, nil }

// TestMalformedAuthenticateAnswerQuotingThePasswordNotRepeated: the authenticate
// server answers with a malformed head that quotes the request body, the password
// in it.
func TestMalformedAuthenticateAnswerQuotingThePasswordNotRepeated(t *testing.T) {
	for name, head := range echoHeads {
		t.Run(name, func(t *testing.T) {
			srv := echoServer(t, func(body string) string {
				return head(strings.NewReplacer("\r", "", "\n", "").Replace(body))
			})
			ta := newTestAuth(t, srv.URL, func(c *AuthConfig) { c.Retry.MaxAttempts = 1 })
			_, err := ta.Token(t.Context())
			if err == nil {
				t.Fatal("no error")
			}
			var logs bytes.Buffer
			logs.WriteString(ta.logs.String())
			if strings.Contains(err.Error(), testPassword) {
				t.Errorf("the error repeats the password: %v", err)
			}
			// newTestAuth's cleanup fails the test on a log line with the password.
		})
	}
}

// TestMalformedTrailerQuotingTheTokenNotRepeated: the answer's head is fine, its
// chunked body ends in a trailer line quoting the token: the error reading the
// body must not repeat it, with or without MaxResponseBody.
func TestMalformedTrailerQuotingTheTokenNotRepeated(t *testing.T) {
	const tok = "tok-hostile7-0123456789abcdef"
	srv := echoServer(t, func(a string) string {
		return "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n" + a + "\r\n\r\n"
	})
	for _, max := range []int64{0, 1 << 20} {
		src := tokenSourceFunc(func(context.Context) (*Token, error) {
			return &Token{Value: tok, Expiry: time.Now().Add(time.Hour)}, nil
		})
		tr := &Transport{Source: src, MaxResponseBody: max}
		resp, err := (&http.Client{Transport: tr}).Get(srv.URL + "/x")
		if err != nil {
			t.Fatal(err)
		}
		_, err = io.ReadAll(resp.Body)
		resp.Body.Close()
		if err == nil {
			t.Fatalf("MaxResponseBody %d: no error reading the body", max)
		}
		if strings.Contains(err.Error(), tok) {
			t.Errorf("MaxResponseBody %d: the body's error repeats the token: %v", max, err)
		}
	}
}

// TestAuthenticateTrailerQuotingThePasswordNotRepeated: a 200 whose chunked body
// ends in a trailer line quoting the request body, the password in it.
func TestAuthenticateTrailerQuotingThePasswordNotRepeated(t *testing.T) {
	srv := echoServer(t, func(body string) string {
		line := strings.NewReplacer("\r", "", "\n", "").Replace(body)
		return "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n" + line + "\r\n\r\n"
	})
	ta := newTestAuth(t, srv.URL, func(c *AuthConfig) { c.Retry.MaxAttempts = 1 })
	_, err := ta.Token(t.Context())
	if err == nil {
		t.Fatal("no error")
	}
	if strings.Contains(err.Error(), testPassword) {
		t.Errorf("the error repeats the password: %v", err)
	}
}

// TestTransportNilHeaderIsAnError: a request built by hand without a Header map
// (http.Client fills one in; a direct RoundTrip caller may not). net/http's
// Transport answers such a request with an error; Transport set the Authorization
// header in the clone's nil map and panicked.
func TestTransportNilHeaderIsAnError(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	t.Cleanup(srv.Close)
	src := tokenSourceFunc(func(context.Context) (*Token, error) {
		return &Token{Value: "tok-hostile7-nil-header", Expiry: time.Now().Add(time.Hour)}, nil
	})
	req, err := http.NewRequest(http.MethodGet, srv.URL+"/x", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header = nil
	var resp *http.Response
	func() {
		defer func() {
			if p := recover(); p != nil {
				t.Fatalf("RoundTrip panicked: %v", p)
			}
		}()
		resp, err = (&Transport{Source: src}).RoundTrip(req)
	}()
	if err != nil {
		t.Fatalf("RoundTrip of a request without headers: %v; want it sent with the token", err)
	}
	resp.Body.Close()
}

// TestReasonPhraseQuotingTheTokenNotRepeated: a service's status line whose reason
// phrase quotes the bearer token: CheckResponse's error must not repeat it.
func TestReasonPhraseQuotingTheTokenNotRepeated(t *testing.T) {
	const tok = "tok-hostile7-0123456789abcdef"
	for _, status := range []string{"401", "403", "500", "404"} {
		srv := echoServer(t, func(a string) string {
			return "HTTP/1.1 " + status + " " + a + "\r\nContent-Length: 0\r\n\r\n"
		})
		src := tokenSourceFunc(func(context.Context) (*Token, error) {
			return &Token{Value: tok, Expiry: time.Now().Add(time.Hour)}, nil
		})
		tr := &Transport{Source: src, Retry: RetryPolicy{MaxAttempts: 1}}
		resp, err := (&http.Client{Transport: tr}).Get(srv.URL + "/x")
		if err != nil {
			t.Fatal(err)
		}
		cerr := CheckResponse(resp)
		resp.Body.Close()
		if cerr == nil || strings.Contains(cerr.Error(), tok) || strings.Contains(fmt.Sprintf("%+v", cerr), tok) {
			t.Errorf("%s: CheckResponse = %v; want an error without the token", status, cerr)
		}
	}
}

// TestStoredEnormousTokenNotAdopted: a token planted in the Store gets the checks
// of a fresh one (checkStoredToken says so), and a fresh one over maxTokenLen is a
// broken answer: a planted 20 KiB token with good claims was adopted, to ride on
// every request.
func TestStoredEnormousTokenNotAdopted(t *testing.T) {
	now := time.Now()
	claims := fmt.Sprintf(`{"iat":%d,"exp":%d,"pad":%q}`, now.Unix(), now.Add(time.Hour).Unix(), strings.Repeat("p", 20<<10))
	tok := &Token{Value: fakeJWT(claims), Fetched: now, Expiry: now.Add(30 * time.Minute)}
	if err := checkStoredToken(tok, now); err == nil {
		t.Errorf("a %d-byte stored token passes the checks of a fresh one", len(tok.Value))
	}
}
