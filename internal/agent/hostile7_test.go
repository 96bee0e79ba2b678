package agent

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/csconnect/csconnect/internal/testlog"
)

// TestCredentialsNoVerbPrintsThePassword: Credentials had String and GoString,
// which fmt calls for %v, %s, %q, %x, %X and %#v only; every other verb (%d, %t,
// %e, %c, %U, %o) printed the struct's fields, the password among them. (%p of a
// value is left out: fmt prints a bad verb's operand by reflection, past any
// Formatter, for csconnect.Token and AuthConfig too; go vet refuses it.)
func TestCredentialsNoVerbPrintsThePassword(t *testing.T) {
	const pw = "hostile7-Secret-pw"
	c := Credentials{Username: "u", Password: pw}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%t", "%e", "%g", "%c", "%U", "%b", "%o", "%010v", "%T"} {
		for _, arg := range []any{c, &c, []Credentials{c}, struct{ C Credentials }{c}} {
			if out := fmt.Sprintf(verb, arg); strings.Contains(out, pw) || strings.Contains(out, fmt.Sprintf("%x", pw)) {
				t.Errorf("fmt %s of %T prints the password: %s", verb, arg, out)
			}
		}
	}
}

// TestRetryAfterBeyondTheRequestTimeoutPassedBack: a service that answers 503 with
// a Retry-After longer than what is left of RequestTimeout. The library skips a
// retry whose wait would outlast the request's deadline and returns the answer,
// but the agent's bound is its connection sweeper, not a context deadline: the
// library slept into the bound, and the client got a 504 timeout at
// RequestTimeout instead of the service's 503 and its Retry-After.
func TestRetryAfterBeyondTheRequestTimeoutPassedBack(t *testing.T) {
	e := newEnv(t, envOptions{
		upstream: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "5")
			w.WriteHeader(http.StatusServiceUnavailable)
		},
		cfg: func(c *Config) { c.RequestTimeout = 400 * time.Millisecond },
	})
	if _, err := e.agent.token(t.Context()); err != nil {
		t.Fatal(err)
	}
	for _, proto := range []string{"HTTP/1.1 (sweeper)", "no sweeper (timer)"} {
		before := e.upstream.hits.Load()
		var st int
		var hdr http.Header
		if proto == "HTTP/1.1 (sweeper)" {
			st, hdr, _ = e.get(t, "/up/x")
		} else {
			rec := httptest.NewRecorder()
			req := httptest.NewRequest(http.MethodGet, "http://127.0.0.1/up/x", nil)
			e.agent.ServeHTTP(rec, req)
			st, hdr = rec.Code, rec.Header()
		}
		if st != http.StatusServiceUnavailable || hdr.Get("Retry-After") != "5" {
			t.Errorf("%s: %d Retry-After %q; want the service's 503 with Retry-After 5", proto, st, hdr.Get("Retry-After"))
		}
		if n := e.upstream.hits.Load() - before; n != 1 {
			t.Errorf("%s: the service was asked %d times; want 1", proto, n)
		}
	}
}

// hijackEcho is an upstream that reads the request and answers with a head built
// from its Authorization header by head, then closes.
func hijackEcho(head func(auth string) string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer c.Close()
		_, _ = brw.WriteString(head(r.Header.Get("Authorization")))
		_ = brw.Flush()
	}
}

// TestMalformedAnswerEchoingTheTokenNotRepeated: a service (or what answers in its
// place) answers with a malformed head that quotes the bearer token it was sent.
// net/http's errors quote the offending line; the problem the client gets and the
// agent's log line must not.
func TestMalformedAnswerEchoingTheTokenNotRepeated(t *testing.T) {
	for name, head := range map[string]func(string) string{
		"status line": func(a string) string { return a + "\r\n\r\n" },
		"header line": func(a string) string { return "HTTP/1.1 200 OK\r\n" + a + "\r\n\r\n" },
		"status code": func(a string) string { return "HTTP/1.1 2x0 " + a + "\r\n\r\n" },
		"header value": func(a string) string {
			return "HTTP/1.1 200 OK\r\nContent-Length: " + a + "\r\n\r\n"
		},
		"trailer line": func(a string) string {
			return "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n" + a + "\r\n\r\n"
		},
	} {
		t.Run(name, func(t *testing.T) {
			var logs testlog.Buffer
			e := newEnv(t, envOptions{
				upstream: hijackEcho(head),
				cfg: func(c *Config) {
					c.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
				},
			})
			tok, err := e.agent.token(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			st, hdr, body := e.getCut(t, "/up/x")
			if st < 500 && name != "trailer line" {
				t.Errorf("status %d; want a 5xx", st)
			}
			for _, s := range []string{body, fmt.Sprint(hdr), logs.String()} {
				if strings.Contains(s, tok.Value) || strings.Contains(s, tok.Value[:40]) {
					t.Errorf("the token is repeated: %s", s)
				}
			}
		})
	}
}

// getCut is get for an answer whose body may be cut: it returns what arrived.
func (e *env) getCut(t testing.TB, path string) (int, http.Header, string) {
	t.Helper()
	resp, err := e.srv.Client().Get(e.srv.URL + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// TestTokenExpiredOnEveryRequestNoLoop: a service that says Token Expired to every
// token, and an authenticate server that issues a new token every time: each
// request is replayed at most once, and the refusals do not make the agent
// authenticate per request.
func TestTokenExpiredOnEveryRequestNoLoop(t *testing.T) {
	e := newEnv(t, envOptions{
		upstream: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, `{"error":"Token Expired"}`)
		},
	})
	before := e.sim.Stats().Authenticate
	const n = 20
	for range n {
		if st, _, _ := e.getCut(t, "/up/x"); st != http.StatusUnauthorized {
			t.Fatalf("status %d; want the service's 401 passed back", st)
		}
	}
	if hits := e.upstream.hits.Load(); hits != n+1 {
		t.Errorf("the service was asked %d times for %d requests; want one replay in all (the first, with a renewed token)", hits, n)
	}
	if a := e.sim.Stats().Authenticate - before; a > 2 {
		t.Errorf("%d authenticate calls for %d refused requests; want at most 2", a, n)
	}
}

// TestReloadDuringARequestThatNeedsARenewal: SIGHUP (Reload) while a request is
// in flight, and the service then says the token it carried expired (the
// password was rotated, its tokens revoked). The request was on the old stack,
// whose cache Reload closed: the renewal failed and the client got a 503,
// where the new stack would have renewed and replayed it.
func TestReloadDuringARequestThatNeedsARenewal(t *testing.T) {
	arrived, reloaded := make(chan string, 1), make(chan struct{})
	var first sync.Once
	e := newEnv(t, envOptions{upstream: func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		held := false
		first.Do(func() { held = true })
		if held {
			arrived <- auth
			<-reloaded
		}
		if auth == oldAuth.Load() {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, `{"error":"Token Expired"}`)
			return
		}
		_, _ = io.WriteString(w, "ok")
	}})
	type result struct {
		st   int
		body string
	}
	done := make(chan result, 1)
	go func() {
		st, _, body := e.getCut(t, "/up/x")
		done <- result{st, body}
	}()
	oldAuth.Store(<-arrived)
	if err := e.agent.Reload(); err != nil {
		t.Fatal(err)
	}
	close(reloaded)
	if r := <-done; r.st != http.StatusOK {
		t.Errorf("request in flight at Reload: %d %s; want 200 (renewed on the new stack, replayed)", r.st, r.body)
	}
}

var oldAuth atomicString

type atomicString struct{ v atomic.Value }

func (a *atomicString) Store(s string) { a.v.Store(s) }
func (a *atomicString) Load() string   { s, _ := a.v.Load().(string); return s }

// TestReloadAfterCloseDoesNotRevive: Close stops the token cache and promises a
// 503 to every later request that needs a token. A Reload after it (a SIGHUP
// handled as the agent shuts down) put a new, live stack in place that nothing
// would close: its cache refreshed in the background for good, and the closed
// agent served tokens again.
func TestReloadAfterCloseDoesNotRevive(t *testing.T) {
	e := newEnv(t, envOptions{})
	if err := e.agent.Close(); err != nil {
		t.Fatal(err)
	}
	if err := e.agent.Reload(); err == nil {
		t.Error("Reload after Close: no error")
	}
	st, _, body := e.get(t, "/up/x")
	if st != http.StatusServiceUnavailable {
		t.Errorf("after Close and Reload: %d %s; want 503 (closed)", st, body)
	}
}

// TestServiceClosingMidHeader: the service closes the connection in the middle of
// its answer's head. A POST is not retried (it may have been acted on) and gets a
// 502; a GET is retried within the policy and then gets the 502 too.
func TestServiceClosingMidHeader(t *testing.T) {
	e := newEnv(t, envOptions{upstream: hijackEcho(func(string) string { return "HTTP/1.1 200 OK\r\nContent-Ty" })})
	if _, err := e.agent.token(t.Context()); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		method string
		hits   int64
	}{{http.MethodPost, 1}, {http.MethodGet, 3}} {
		before := e.upstream.hits.Load()
		st, hdr, body := e.do(t, tc.method, "/up/x", strings.NewReader("{}"), nil)
		if st != http.StatusBadGateway || problem(t, hdr, body).Code != codeUnreachable {
			t.Errorf("%s: %d %s; want 502 unreachable", tc.method, st, body)
		}
		if n := e.upstream.hits.Load() - before; n != tc.hits {
			t.Errorf("%s: the service was asked %d times; want %d", tc.method, n, tc.hits)
		}
	}
}
