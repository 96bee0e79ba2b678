package agent

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
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
