package otelcsconnect

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/csconnect/csconnect/internal/benchpair"
	"github.com/csconnect/csconnect/pkg/csconnect"
)

// The cost of the hooks (issue 14, item 6). Each benchmark pairs the same call
// without hooks (the floor) and with otelcsconnect's hooks over the global
// providers, no-op while no SDK is installed (paired-noop), or over
// the SDK (paired-sdk: every span sampled, batched to an exporter that drops them;
// metrics aggregated by a reader). As in pkg/csconnect's bench_test.go,
// internal/benchpair times both sides back to back in alternating order and keeps
// their ratio; ratio-median, ratio-p25 and ratio-p75 are the median and quartiles
// of the ratios (hooks/none), ours-ns and floor-ns each side's median.
//
//	go test -run '^$' -bench . -benchtime 2s ./pkg/otelcsconnect

// benchHooks returns hooks over the no-op providers or over the SDK.
func benchHooks(b *testing.B, sdk bool) *csconnect.Hooks {
	var cfg Config // the global providers: no-op, as no test installs any
	if sdk {
		tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(tracetest.NewNoopExporter()))
		b.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
		cfg.TracerProvider = tp
		cfg.MeterProvider = sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	}
	h, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	return h
}

var providers = []struct {
	name string
	sdk  bool
}{{"noop", false}, {"sdk", true}}

// tokenBlock is how many cached Token calls make one timed block: a ~50 ns call is
// too short to time alone.
const tokenBlock = 2000

// BenchmarkToken: Cache.Token on a warm cache (BenchmarkToken/cached in
// pkg/csconnect) with and without hooks, paired block by block.
func BenchmarkToken(b *testing.B) {
	ctx := context.Background()
	srv := tokenServer(b)
	newCache := func(h *csconnect.Hooks) *csconnect.Cache {
		a, err := csconnect.NewAuthenticator(csconnect.AuthConfig{BaseURL: srv.URL + "/v1", Username: testUser, Password: testPassword, Hooks: h})
		if err != nil {
			b.Fatal(err)
		}
		c := csconnect.NewCache(a, csconnect.CacheOptions{}) // the Authenticator's hooks
		b.Cleanup(func() { _ = c.Close() })
		if _, err := c.Token(ctx); err != nil {
			b.Fatal(err)
		}
		return c
	}
	floor := newCache(nil)
	for _, p := range providers {
		ours := newCache(benchHooks(b, p.sdk))
		block := func(c *csconnect.Cache) func(*testing.B) {
			return func(b *testing.B) {
				for range tokenBlock {
					if _, err := c.Token(ctx); err != nil {
						b.Fatal(err)
					}
				}
			}
		}
		benchpair.Run(b, "paired-"+p.name, block(ours), block(floor), tokenBlock)
	}
}

// BenchmarkTransport: an authenticated GET to a loopback server through
// csconnect's Transport (BenchmarkTransport/csconnect in pkg/csconnect) with and
// without hooks, paired call by call.
func BenchmarkTransport(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"ok":true}`)
	}))
	defer srv.Close()
	url := srv.URL + "/datecheck/company?searchnumber=5565144408"
	auth := tokenServer(b)
	client := func(h *csconnect.Hooks) func(*testing.B) {
		a, err := csconnect.NewAuthenticator(csconnect.AuthConfig{BaseURL: auth.URL + "/v1", Username: testUser, Password: testPassword, Hooks: h})
		if err != nil {
			b.Fatal(err)
		}
		cache := csconnect.NewCache(a, csconnect.CacheOptions{}) // its Transport reports to a's hooks
		b.Cleanup(func() { _ = cache.Close() })
		base := http.DefaultTransport.(*http.Transport).Clone()
		b.Cleanup(base.CloseIdleConnections)
		c := &http.Client{Transport: &csconnect.Transport{Source: cache, Base: base, MaxResponseBody: 16 << 20}}
		return func(b *testing.B) {
			req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, url, nil)
			resp, err := c.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
		}
	}
	floor := client(nil)
	for _, p := range providers {
		ours := client(benchHooks(b, p.sdk))
		for range 300 {
			ours(b)
			floor(b)
		}
		benchpair.Run(b, "paired-"+p.name, ours, floor, 1)
	}
}

// BenchmarkAuthenticate: one authenticate call to a loopback server, where the
// hooks do record (an attempt span, its metrics), with and without hooks.
func BenchmarkAuthenticate(b *testing.B) {
	srv := tokenServer(b)
	auth := func(h *csconnect.Hooks) func(*testing.B) {
		base := http.DefaultTransport.(*http.Transport).Clone()
		b.Cleanup(base.CloseIdleConnections)
		a, err := csconnect.NewAuthenticator(csconnect.AuthConfig{BaseURL: srv.URL + "/v1", Username: testUser, Password: testPassword,
			HTTPClient: &http.Client{Transport: base}, Budget: -1, Hooks: h})
		if err != nil {
			b.Fatal(err)
		}
		return func(b *testing.B) {
			if _, err := a.Token(context.Background()); err != nil {
				b.Fatal(err)
			}
		}
	}
	floor := auth(nil)
	for _, p := range providers {
		ours := auth(benchHooks(b, p.sdk))
		for range 300 {
			ours(b)
			floor(b)
		}
		b.Run(p.name, func(b *testing.B) { // allocs/op with the hooks; "none" is the floor's
			b.ReportAllocs()
			for b.Loop() {
				ours(b)
			}
		})
		benchpair.Run(b, "paired-"+p.name, ours, floor, 1)
	}
	b.Run("none", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			floor(b)
		}
	})
}

// tokenServer is a loopback authenticate endpoint that answers every request with
// one signed JWT valid for an hour.
func tokenServer(b *testing.B) *httptest.Server {
	now := time.Now()
	signed, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "pad": strings.Repeat("x", 300),
	}).SignedString([]byte("bench-signing-key"))
	if err != nil {
		b.Fatal(err)
	}
	body := fmt.Sprintf(`{"token":%q}`, signed)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, 4096))
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, body)
	}))
	b.Cleanup(srv.Close)
	return srv
}
