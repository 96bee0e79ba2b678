package otelcsconnect

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/csconnect/csconnect/internal/secret/secrettest"
	"github.com/csconnect/csconnect/pkg/csconnect"
)

const (
	testUser     = "otel-user-7"
	testPassword = "pa55-Secret!word"
	authURL      = "http://127.0.0.1/v1"
	serviceURL   = "http://127.0.0.1"
)

// answer is one scripted HTTP answer.
type answer struct {
	status int
	header map[string]string
	body   string
}

var (
	unauthorized = answer{401, map[string]string{"Content-Type": "application/json"}, `{"message":"Invalid credentials"}`}
	lockedOut    = answer{429, map[string]string{"Content-Type": "application/json", "Retry-After": "300"}, `{"message":"Too many requests"}`}
	serverError  = answer{500, map[string]string{"Content-Type": "application/json"}, `{"message":"Internal error"}`}
	tokenExpired = answer{403, map[string]string{"Content-Type": "text/plain"}, "Token Expired"}
	serviceOK    = answer{200, map[string]string{"Content-Type": "application/json"}, `{"ok":true}`}
)

// world is a client over an in-memory server with scripted answers (after the
// script, authenticate issues a fresh one-hour token and the service answers 200),
// and the SDK's in-memory span exporter and metric reader. Run it inside a
// synctest bubble: backoff waits and token lifetimes run on the bubble's clock.
type world struct {
	t      *testing.T
	spans  *tracetest.InMemoryExporter
	reader *sdkmetric.ManualReader
	tp     *sdktrace.TracerProvider
	hooks  *csconnect.Hooks

	mu       sync.Mutex
	auth     []answer
	svc      []answer
	issued   []string // tokens issued
	authSent int
}

func newWorld(t *testing.T, cfg Config) *world {
	t.Helper()
	w := &world{t: t, spans: tracetest.NewInMemoryExporter(), reader: sdkmetric.NewManualReader()}
	w.tp = sdktrace.NewTracerProvider(sdktrace.WithSyncer(w.spans))
	cfg.TracerProvider = w.tp
	cfg.MeterProvider = sdkmetric.NewMeterProvider(sdkmetric.WithReader(w.reader))
	hooks, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	w.hooks = hooks
	return w
}

// RoundTrip answers in memory: /v1/authenticate from w.auth, anything else from w.svc.
func (w *world) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		_, _ = io.Copy(io.Discard, req.Body)
		_ = req.Body.Close()
	}
	w.mu.Lock()
	var a answer
	if strings.HasSuffix(req.URL.Path, "/authenticate") {
		w.authSent++
		if len(w.auth) > 0 {
			a, w.auth = w.auth[0], w.auth[1:]
		} else {
			tok := w.newJWT()
			w.issued = append(w.issued, tok)
			a = answer{200, map[string]string{"Content-Type": "application/json"}, `{"token":"` + tok + `"}`}
		}
	} else {
		a = serviceOK
		if len(w.svc) > 0 {
			a, w.svc = w.svc[0], w.svc[1:]
		}
	}
	w.mu.Unlock()
	rec := httptest.NewRecorder()
	for k, v := range a.header {
		rec.Header().Set(k, v)
	}
	rec.Header().Set("Content-Length", strconv.Itoa(len(a.body)))
	rec.WriteHeader(a.status)
	_, _ = io.WriteString(rec, a.body)
	resp := rec.Result()
	resp.Request = req
	return resp, nil
}

// newJWT returns a one-hour token unlike any issued before. Called with w.mu held.
func (w *world) newJWT() string {
	now := time.Now()
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "jti": strconv.Itoa(len(w.issued)),
	}).SignedString([]byte("test-signing-key"))
	if err != nil {
		w.t.Fatal(err)
	}
	return s
}

// client returns a csconnect.Client over w with w's hooks.
func (w *world) client(base http.RoundTripper) *csconnect.Client {
	w.t.Helper()
	if base == nil {
		base = w
	}
	c, err := csconnect.New(csconnect.Config{
		Auth:       csconnect.AuthConfig{BaseURL: authURL, Username: testUser, Password: testPassword, HTTPClient: &http.Client{Transport: w}, Hooks: w.hooks},
		ServiceURL: serviceURL,
		Base:       base,
	})
	if err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(func() { _ = c.Close() })
	return c
}

// authenticator returns a bare Authenticator over w with w's hooks.
func (w *world) authenticator() *csconnect.Authenticator {
	w.t.Helper()
	a, err := csconnect.NewAuthenticator(csconnect.AuthConfig{BaseURL: authURL, Username: testUser, Password: testPassword,
		HTTPClient: &http.Client{Transport: w}, Hooks: w.hooks})
	if err != nil {
		w.t.Fatal(err)
	}
	return a
}

// get sends GET / to the service through c, under ctx.
func get(ctx context.Context, t *testing.T, c *csconnect.Client) int {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, serviceURL+"/datecheck/company", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.HTTPClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode
}

// caller starts the caller's own span.
func (w *world) caller(ctx context.Context) (context.Context, trace.Span) {
	return w.tp.Tracer("caller").Start(ctx, "caller")
}

// getAsCaller sends GET through c under a span of the caller's own (caller), fails
// t unless the answer is 200, and returns that span, ended.
func (w *world) getAsCaller(t *testing.T, c *csconnect.Client) trace.Span {
	t.Helper()
	ctx, parent := w.caller(t.Context())
	if got := get(ctx, t, c); got != 200 {
		t.Fatalf("GET = %d; want 200", got)
	}
	parent.End()
	return parent
}

// named returns the ended spans called name, in order of ending.
func (w *world) named(name string) []tracetest.SpanStub {
	var out []tracetest.SpanStub
	for _, s := range w.spans.GetSpans() {
		if s.Name == name {
			out = append(out, s)
		}
	}
	return out
}

// metrics collects the metrics now.
func (w *world) metrics() metricdata.ResourceMetrics {
	w.t.Helper()
	var rm metricdata.ResourceMetrics
	if err := w.reader.Collect(context.Background(), &rm); err != nil {
		w.t.Fatal(err)
	}
	return rm
}

// find returns the metric called name, or fails.
func find(t *testing.T, rm metricdata.ResourceMetrics, name string) metricdata.Metrics {
	t.Helper()
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name == name {
				return m
			}
		}
	}
	t.Fatalf("metric %s not recorded", name)
	return metricdata.Metrics{}
}

// counts returns a counter's values by the value of attribute key ("" for none).
func counts(t *testing.T, rm metricdata.ResourceMetrics, name, key string) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	sum, ok := find(t, rm, name).Data.(metricdata.Sum[int64])
	if !ok {
		t.Fatalf("%s is not an int64 sum", name)
	}
	for _, dp := range sum.DataPoints {
		v, _ := dp.Attributes.Value(attribute.Key(key))
		out[v.AsString()] += dp.Value
	}
	return out
}

// attr returns the span's attribute key, as a string ("" when absent).
func attr(s tracetest.SpanStub, key string) string {
	for _, kv := range s.Attributes {
		if string(kv.Key) == key {
			return kv.Value.String()
		}
	}
	return ""
}

// events returns the names of the span's events.
func events(s tracetest.SpanStub) []string {
	var out []string
	for _, e := range s.Events {
		out = append(out, e.Name)
	}
	return out
}

// equalCounts compares a counter's values with want.
func equalCounts(t *testing.T, name string, got, want map[string]int64) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("%s = %v; want %v", name, got, want)
	}
}

// checkNoSecret asserts that no span (name, attribute, event, status) and no metric
// (attribute, value) holds the password, a token issued or the username, in any
// spelling an encoder produces.
func (w *world) checkNoSecret() {
	w.t.Helper()
	var b strings.Builder
	for _, s := range w.spans.GetSpans() {
		fmt.Fprintf(&b, "%s %v %v %v %v\n", s.Name, s.Attributes, s.Events, s.Status, s.Links)
	}
	rm := w.metrics()
	for _, sm := range rm.ScopeMetrics {
		fmt.Fprintf(&b, "%+v\n", sm.Metrics)
	}
	out := b.String()
	if !strings.Contains(out, "csconnect.authenticate") {
		w.t.Fatal("checkNoSecret: nothing recorded to check")
	}
	w.mu.Lock()
	secrets := append([]string{testPassword, testUser}, w.issued...)
	w.mu.Unlock()
	secrettest.AssertNone(w.t, "telemetry", out, secrets...)
}
