package otelcsconnect

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/csconnect/csconnect/pkg/csconnect"
)

// clientSpans returns the ended spans of kind client.
func (w *world) clientSpans() []tracetest.SpanStub {
	var out []tracetest.SpanStub
	for _, s := range w.spans.GetSpans() {
		if s.SpanKind == trace.SpanKindClient {
			out = append(out, s)
		}
	}
	return out
}

// TestOtelhttpUnderTransport: with otelhttp's Transport as csconnect's Base (the
// documented order), a replay after "Token Expired" shows as two client spans,
// 403 then 200, both children of the caller's span, which holds the renewal and
// replay events.
func TestOtelhttpUnderTransport(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, Config{})
		w.svc = []answer{tokenExpired}
		c := w.client(otelhttp.NewTransport(w, otelhttp.WithTracerProvider(w.tp)))
		parent := w.getAsCaller(t, c)
		spans := w.clientSpans()
		if len(spans) != 2 {
			t.Fatalf("%d client spans; want 2 (the request and its replay)", len(spans))
		}
		for i, want := range []string{"403", "200"} {
			if got := attr(spans[i], "http.response.status_code"); got != want {
				t.Errorf("client span %d status = %q; want %s", i, got, want)
			}
			if spans[i].Parent.SpanID() != parent.SpanContext().SpanID() {
				t.Errorf("client span %d is not a child of the caller's span", i)
			}
		}
		if ev := events(w.named("caller")[0]); !slices.Equal(ev, []string{"csconnect.token.renewal", "csconnect.transport.replay"}) {
			t.Errorf("caller span events = %v; want the renewal and the replay", ev)
		}
		w.checkNoSecret()
	})
}

// TestOtelhttpOverTransport: otelhttp over csconnect's Transport makes one client
// span per call, child of the caller's, on which the renewal and replay land.
func TestOtelhttpOverTransport(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, Config{})
		w.svc = []answer{tokenExpired}
		c := w.client(nil)
		c.HTTPClient = &http.Client{Transport: otelhttp.NewTransport(c.HTTPClient.Transport, otelhttp.WithTracerProvider(w.tp))}
		parent := w.getAsCaller(t, c)
		spans := w.clientSpans()
		if len(spans) != 1 {
			t.Fatalf("%d client spans; want 1", len(spans))
		}
		if spans[0].Parent.SpanID() != parent.SpanContext().SpanID() {
			t.Error("the client span is not a child of the caller's span")
		}
		if ev := events(spans[0]); !slices.Equal(ev, []string{"csconnect.token.renewal", "csconnect.transport.replay"}) {
			t.Errorf("client span events = %v; want the renewal and the replay", ev)
		}
		w.checkNoSecret()
	})
}

// TestPrometheusNames: through the OpenTelemetry Prometheus exporter (as the agent
// serves /_agent/metrics) every metric renders under its documented name.
func TestPrometheusNames(t *testing.T) {
	reg := prometheus.NewRegistry()
	exp, err := otelprom.New(otelprom.WithRegisterer(reg))
	if err != nil {
		t.Fatal(err)
	}
	hooks, err := New(Config{MeterProvider: sdkmetric.NewMeterProvider(sdkmetric.WithReader(exp))})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	hooks.AuthenticateDone(hooks.AuthenticateStart(ctx, 1), csconnect.Event{Status: 200, Outcome: "ok", Duration: 80 * time.Millisecond, Wait: -1})
	hooks.AuthenticateDone(hooks.AuthenticateStart(ctx, 1), csconnect.Event{Outcome: "locked_out", Refused: "locked_out", Wait: -1})
	hooks.FetchDone(hooks.FetchStart(ctx), csconnect.Event{Outcome: "ok", Expiry: time.Now().Add(time.Hour)})
	hooks.Renewal(ctx, "advisory")
	hooks.Replay(ctx, 403)
	hooks.Retry(ctx, 1, 500, time.Second)
	hooks.GuardLocked(ctx, time.Now().Add(time.Minute))

	rec := httptest.NewRecorder()
	promhttp.HandlerFor(reg, promhttp.HandlerOpts{}).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/_agent/metrics", nil))
	body := rec.Body.String()
	for _, line := range []string{
		`csconnect_authenticate_requests_total{otel_scope_name="` + ScopeName + `",otel_scope_schema_url="",otel_scope_version="",outcome="ok"} 1`,
		`csconnect_authenticate_duration_seconds_bucket{otel_scope_name="` + ScopeName + `",otel_scope_schema_url="",otel_scope_version="",outcome="ok",le="0.1"} 1`,
		`csconnect_token_fetches_total{`,
		`csconnect_token_renewals_total{otel_scope_name="` + ScopeName + `",otel_scope_schema_url="",otel_scope_version="",reason="advisory"} 1`,
		`csconnect_token_time_to_expiry_seconds{`,
		`csconnect_guard_refusals_total{otel_scope_name="` + ScopeName + `",otel_scope_schema_url="",otel_scope_version="",reason="locked_out"} 1`,
		`csconnect_guard_locked{otel_scope_name="` + ScopeName + `",otel_scope_schema_url="",otel_scope_version=""} 1`,
		`csconnect_transport_replays_total{`,
		`csconnect_transport_retries_total{`,
	} {
		if !strings.Contains(body, line) {
			t.Errorf("the Prometheus page lacks %s", line)
		}
	}
	if t.Failed() {
		t.Logf("page:\n%s", body)
	}
}
