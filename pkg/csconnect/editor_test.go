package csconnect

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

// TestCheckRedirect: a client sending editor-authenticated requests with
// CheckRedirect does not follow an https service's redirect to plain http (where
// net/http would copy the Authorization header), follows a safe one, and stops after
// 10 redirects.
func TestCheckRedirect(t *testing.T) {
	t.Parallel()
	var hits atomic.Int64
	tlsSrv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		switch r.URL.Path {
		case "/downgrade": // the same host name would keep the header; never contacted
			http.Redirect(w, r, "http://203.0.113.7/x", http.StatusFound)
		case "/safe":
			http.Redirect(w, r, "/ok", http.StatusFound)
		case "/loop":
			http.Redirect(w, r, "/loop", http.StatusFound)
		default:
			_, _ = io.WriteString(w, "ok")
		}
	}))
	t.Cleanup(tlsSrv.Close)
	clock := newFakeClock()
	edit := RequestEditor(newTestCache(t, clockSource(clock), clock, CacheOptions{}))
	hc := tlsSrv.Client()
	hc.CheckRedirect = CheckRedirect

	get := func(path string) (*http.Response, error) {
		req, _ := http.NewRequest(http.MethodGet, tlsSrv.URL+path, nil)
		if err := edit(context.Background(), req); err != nil {
			t.Fatalf("edit() error = %v", err)
		}
		return hc.Do(req)
	}
	if _, err := get("/downgrade"); !errors.Is(err, ErrInsecureURL) {
		t.Errorf("Do(https redirecting to plain http) error = %v; want ErrInsecureURL", err)
	}
	resp, err := get("/safe")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("Do(https redirecting to https) = %v, %v; want 200", resp, err)
	}
	discard(resp)
	hits.Store(0)
	if _, err := get("/loop"); err == nil || hits.Load() != maxRedirects {
		t.Errorf("Do(redirect loop) error = %v after %d requests; want an error after %d", err, hits.Load(), maxRedirects)
	}
}
