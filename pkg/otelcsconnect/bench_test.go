package otelcsconnect

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/csconnect/csconnect/pkg/csconnect"
)

// The cost of the hooks (issue 14, item 6). Each benchmark pairs the same call
// without hooks (the floor) and with otelcsconnect's hooks over the global
// providers, no-op while no SDK is installed (paired-noop), or over
// the SDK (paired-sdk: every span sampled, batched to an exporter that drops them;
// metrics aggregated by a reader). As in pkg/csconnect's bench_test.go, each
// iteration times both sides back to back in alternating order and keeps their
// ratio; ratio-median, ratio-p25 and ratio-p75 are the median and quartiles of the
// ratios (hooks/none), ours-ns and floor-ns each side's median.
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
		runPaired(b, "paired-"+p.name, block(ours), block(floor), tokenBlock)
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
		runPaired(b, "paired-"+p.name, ours, floor, 1)
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
		runPaired(b, "paired-"+p.name, ours, floor, 1)
	}
	b.Run("none", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			floor(b)
		}
	})
}

// runPaired is the sub-benchmark name: each iteration times ours and floor back to
// back, in alternating order, each doing calls calls, and keeps the ratio.
func runPaired(b *testing.B, name string, ours, floor func(*testing.B), calls int) {
	b.Run(name, func(b *testing.B) {
		var ratios, oursNs, floorNs []float64
		timed := func(op func(*testing.B)) float64 {
			start := time.Now()
			op(b)
			return float64(time.Since(start)) / float64(calls)
		}
		for i := 0; b.Loop(); i++ {
			var o, f float64
			if i%2 == 0 {
				o, f = timed(ours), timed(floor)
			} else {
				f, o = timed(floor), timed(ours)
			}
			ratios, oursNs, floorNs = append(ratios, o/f), append(oursNs, o), append(floorNs, f)
		}
		b.ReportMetric(percentile(ratios, 0.50), "ratio-median")
		b.ReportMetric(percentile(ratios, 0.25), "ratio-p25")
		b.ReportMetric(percentile(ratios, 0.75), "ratio-p75")
		b.ReportMetric(percentile(oursNs, 0.50), "ours-ns")
		b.ReportMetric(percentile(floorNs, 0.50), "floor-ns")
	})
}

// percentile returns the p-th quantile of xs, interpolating between ranks; it
// sorts xs.
func percentile(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	slices.Sort(xs)
	r := p * float64(len(xs)-1)
	i := int(r)
	if i+1 >= len(xs) {
		return xs[i]
	}
	return xs[i] + (r-float64(i))*(xs[i+1]-xs[i])
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
