package agent

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"testing"
)

// BenchmarkForward is one GET through the agent's handler to a local upstream,
// beside the same through a bare ReverseProxy with a static Authorization (the
// floor): the difference is the agent's cost per request (checks, token, metrics).
func BenchmarkForward(b *testing.B) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "{}") }))
	defer up.Close()
	e := newEnv(b, envOptions{upstream: func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "{}") }})
	if st, _, _ := e.get(b, "/up/x"); st != http.StatusOK {
		b.Fatal(st)
	}
	target, _ := url.Parse(up.URL)
	floor := &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) {
		pr.SetURL(target)
		pr.Out.Header.Set("Authorization", "Bearer x")
	}}
	for name, h := range map[string]http.Handler{"agent": e.agent, "floor": floor} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					req := httptest.NewRequest(http.MethodGet, "http://127.0.0.1/up/x", nil)
					w := httptest.NewRecorder()
					h.ServeHTTP(w, req)
					if w.Code != http.StatusOK {
						b.Errorf("status %d", w.Code)
						return
					}
				}
			})
		})
	}
}
