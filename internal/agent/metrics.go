package agent

import (
	"context"
	"net/http"
	"strconv"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel/attribute"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/csconnect/csconnect/pkg/csconnect"
	"github.com/csconnect/csconnect/pkg/otelcsconnect"
)

// meterName is the instrumentation scope of the agent's own instruments.
const meterName = "github.com/csconnect/csconnect/internal/agent"

// metrics are the agent's OpenTelemetry instruments, read by the Prometheus
// exporter at GET /_agent/metrics. The agent's own (proxied requests by route and
// status, requests in flight) are recorded per request; the library's (authenticate
// requests, fetches, renewals, replays, retries, guard state, time to expiry) by
// pkg/otelcsconnect's hooks, which the agent gives to its Authenticator, Cache and
// Transport, so the names are the ones every csconnect program exports.
type metrics struct {
	provider *sdkmetric.MeterProvider
	handler  http.Handler
	requests metric.Int64Counter
	inFlight metric.Int64UpDownCounter
	hooks    *csconnect.Hooks
	sets     sync.Map // routeStatus → metric.MeasurementOption
	routes   []string
}

type routeStatus struct {
	route  string
	status int
}

func newMetrics(routes []string) (*metrics, error) {
	reg := prometheus.NewRegistry()
	exp, err := otelprom.New(otelprom.WithRegisterer(reg), otelprom.WithoutScopeInfo(), otelprom.WithoutTargetInfo())
	if err != nil {
		return nil, err
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exp))
	m := &metrics{provider: mp, routes: routes,
		handler: promhttp.HandlerFor(reg, promhttp.HandlerOpts{MaxRequestsInFlight: 4})}
	meter := mp.Meter(meterName)
	if m.requests, err = meter.Int64Counter("csconnect.agent.requests",
		metric.WithDescription("Requests the agent answered, by route and status (refused ones under route \"\")."),
		metric.WithUnit("{request}")); err != nil {
		return nil, err
	}
	if m.inFlight, err = meter.Int64UpDownCounter("csconnect.agent.requests_in_flight",
		metric.WithDescription("Requests being forwarded now."), metric.WithUnit("{request}")); err != nil {
		return nil, err
	}
	// The library's metrics (authenticate requests, fetches, renewals, replays,
	// retries, guard refusals and lockout, time to expiry) come from its hooks, the
	// same instruments under the same names as any program using otelcsconnect.
	if m.hooks, err = otelcsconnect.New(otelcsconnect.Config{MeterProvider: mp, TracerProvider: tracenoop.NewTracerProvider()}); err != nil {
		return nil, err
	}
	return m, nil
}

func (m *metrics) begin(ctx context.Context) { m.inFlight.Add(ctx, 1) }

func (m *metrics) end(ctx context.Context, route string, status int) {
	m.inFlight.Add(ctx, -1)
	m.requests.Add(ctx, 1, m.attrs(route, status))
}

func (m *metrics) refused(ctx context.Context, status int) {
	m.requests.Add(ctx, 1, m.attrs("", status))
}

// attrs returns the attribute option of route and status, built once per pair.
func (m *metrics) attrs(route string, status int) metric.AddOption {
	k := routeStatus{route, status}
	if v, ok := m.sets.Load(k); ok {
		return v.(metric.AddOption)
	}
	v := metric.WithAttributeSet(attribute.NewSet(attribute.String("route", route), attribute.String("status", strconv.Itoa(status))))
	m.sets.Store(k, v)
	return v
}

func (m *metrics) close() error { return m.provider.Shutdown(context.Background()) }
