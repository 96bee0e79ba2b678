package agent

import (
	"context"
	"net/http"
	"strconv"
	"sync/atomic"

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

// Status codes an answer can carry: net/http writes 100-999 only.
const (
	minStatus = 100
	maxStatus = 999
)

// metrics are the agent's OpenTelemetry instruments, read by the Prometheus
// exporter at GET /_agent/metrics. The library's (authenticate requests, fetches,
// renewals, replays, retries, guard state, time to expiry) come from
// pkg/otelcsconnect's hooks, which the agent gives to its Authenticator, Cache and
// Transport, so the names are the ones every csconnect program exports.
//
// The agent's own (requests by route and status, requests in flight) change on
// every request, so they are plain atomic counters that observable instruments
// read at each scrape: a synchronous OpenTelemetry instrument walks its
// attribute set and aggregator on the request path, and at one connection that
// walk cost the agent throughput against a bare ReverseProxy (make bench-agent).
type metrics struct {
	provider *sdkmetric.MeterProvider
	handler  http.Handler
	hooks    *csconnect.Hooks
	routes   []string // route names; a request refused before any route is counted under ""

	inFlight atomic.Int64
	// answered[i][s-minStatus] counts the answers of status s to requests of
	// routes[i]; the last row is for refused requests (route "").
	answered [][maxStatus - minStatus + 1]atomic.Int64
}

func newMetrics(routes []string) (*metrics, error) {
	reg := prometheus.NewRegistry()
	exp, err := otelprom.New(otelprom.WithRegisterer(reg), otelprom.WithoutScopeInfo(), otelprom.WithoutTargetInfo())
	if err != nil {
		return nil, err
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exp))
	m := &metrics{provider: mp, routes: routes,
		handler:  promhttp.HandlerFor(reg, promhttp.HandlerOpts{MaxRequestsInFlight: 4}),
		answered: make([][maxStatus - minStatus + 1]atomic.Int64, len(routes)+1)}
	meter := mp.Meter(meterName)
	if _, err = meter.Int64ObservableCounter("csconnect.agent.requests",
		metric.WithDescription("Requests the agent answered, by route and status (refused ones under route \"\")."),
		metric.WithUnit("{request}"), metric.WithInt64Callback(m.observeAnswered)); err != nil {
		return nil, err
	}
	if _, err = meter.Int64ObservableUpDownCounter("csconnect.agent.requests_in_flight",
		metric.WithDescription("Requests being forwarded now."), metric.WithUnit("{request}"),
		metric.WithInt64Callback(func(_ context.Context, o metric.Int64Observer) error {
			o.Observe(m.inFlight.Load())
			return nil
		})); err != nil {
		return nil, err
	}
	if m.hooks, err = otelcsconnect.New(otelcsconnect.Config{MeterProvider: mp, TracerProvider: tracenoop.NewTracerProvider()}); err != nil {
		return nil, err
	}
	return m, nil
}

// observeAnswered reports every route and status counted so far.
func (m *metrics) observeAnswered(_ context.Context, o metric.Int64Observer) error {
	for i := range m.answered {
		name := ""
		if i < len(m.routes) {
			name = m.routes[i]
		}
		for s := range m.answered[i] {
			if n := m.answered[i][s].Load(); n > 0 {
				o.Observe(n, metric.WithAttributes(attribute.String("route", name), attribute.String("status", strconv.Itoa(s+minStatus))))
			}
		}
	}
	return nil
}

// begin and end bracket a forwarded request.
func (m *metrics) begin() { m.inFlight.Add(1) }
func (m *metrics) end()   { m.inFlight.Add(-1) }

// answer counts an answer of status to a request of route (an index of routes),
// or of a request refused before any route when route is -1.
func (m *metrics) answer(route, status int) {
	if route < 0 {
		route = len(m.routes)
	}
	if status < minStatus || status > maxStatus {
		return // net/http writes no other
	}
	m.answered[route][status-minStatus].Add(1)
}

func (m *metrics) close() error { return m.provider.Shutdown(context.Background()) }
