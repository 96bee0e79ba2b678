package agent

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestTokenNotServedToRemoteClients: with --expose-token on an agent reachable
// from other hosts (--allow-remote, a client token), GET /_agent/token is still
// served only to a client on this host: the raw token never crosses the network
// in clear, where the client token only lets a remote client call through the
// agent (its guard, its limits).
func TestTokenNotServedToRemoteClients(t *testing.T) {
	const ct = "the-client-token-123"
	e := newEnv(t, envOptions{cfg: func(c *Config) { c.ExposeToken = true; c.ClientToken = []byte(ct) }})
	for _, tc := range []struct {
		remote string
		want   int
	}{
		{"192.0.2.1:1234", http.StatusNotFound},
		{"[2001:db8::1]:1234", http.StatusNotFound},
		{"127.0.0.1:1234", http.StatusOK},
		{"[::1]:1234", http.StatusOK},
		{"@", http.StatusOK}, // a Unix socket peer
		{"", http.StatusOK},
	} {
		r := httptest.NewRequest(http.MethodGet, "http://agent.example/_agent/token", nil)
		r.RemoteAddr = tc.remote
		r.Header.Set(ClientTokenHeader, ct)
		w := httptest.NewRecorder()
		e.agent.ServeHTTP(w, r)
		if w.Code != tc.want {
			t.Errorf("token to %q: %d; want %d", tc.remote, w.Code, tc.want) // the body may be the token: not printed
		}
		if tc.want != http.StatusOK && !strings.Contains(w.Body.String(), `"code":"token_not_exposed"`) {
			t.Errorf("token to %q: %s; want a problem with code token_not_exposed", tc.remote, w.Header().Get("Content-Type"))
		}
	}
}
