package agent

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel/attribute"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
)

// meterName is the instrumentation scope of the agent's own instruments.
const meterName = "github.com/csconnect/csconnect/internal/agent"

// metrics are the agent's OpenTelemetry instruments, read by the Prometheus
// exporter at GET /_agent/metrics. The agent's own (proxied requests by route and
// status, requests in flight) are recorded per request; the library's (authenticate
// requests, fetches, renewals, replays, retries, guard state, time to expiry) are
// observed from Stats and GuardStatus at each scrape, under the names issue 14's
// pkg/otelcsconnect uses, so that package can replace these callbacks.
type metrics struct {
	provider *sdkmetric.MeterProvider
	handler  http.Handler
	requests metric.Int64Counter
	inFlight metric.Int64UpDownCounter
	sets     sync.Map // routeStatus → metric.MeasurementOption
	routes   []string
}

type routeStatus struct {
	route  string
	status int
}

func newMetrics(a *Agent, routes []string) (*metrics, error) {
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
	authReqs, err := meter.Int64ObservableCounter("csconnect.authenticate.requests",
		metric.WithDescription("Token fetches from the authenticator by outcome: ok, error (sent and failed), refused (the lockout guard sent nothing)."),
		metric.WithUnit("{request}"))
	if err != nil {
		return nil, err
	}
	fetches, err := meter.Int64ObservableCounter("csconnect.token.fetches",
		metric.WithDescription("Calls from the token cache to the authenticator."), metric.WithUnit("{fetch}"))
	if err != nil {
		return nil, err
	}
	renewals, err := meter.Int64ObservableCounter("csconnect.token.renewals",
		metric.WithDescription("Token renewals by reason: advisory (background, before expiry), expired (a service said Token Expired)."),
		metric.WithUnit("{renewal}"))
	if err != nil {
		return nil, err
	}
	ttl, err := meter.Float64ObservableGauge("csconnect.token.time_to_expiry",
		metric.WithDescription("Seconds until the current token expires (0 without one)."), metric.WithUnit("s"))
	if err != nil {
		return nil, err
	}
	refusals, err := meter.Int64ObservableCounter("csconnect.guard.refusals",
		metric.WithDescription("Token fetches the lockout guard refused without sending anything."), metric.WithUnit("{refusal}"))
	if err != nil {
		return nil, err
	}
	locked, err := meter.Int64ObservableGauge("csconnect.guard.locked",
		metric.WithDescription("1 while the guard refuses to authenticate, by reason: lockout (a 429 or 403 pause), rejected (credentials refused before)."))
	if err != nil {
		return nil, err
	}
	replays, err := meter.Int64ObservableCounter("csconnect.transport.replays",
		metric.WithDescription("Requests replayed once with a renewed token after Token Expired."), metric.WithUnit("{request}"))
	if err != nil {
		return nil, err
	}
	retries, err := meter.Int64ObservableCounter("csconnect.transport.retries",
		metric.WithDescription("Retries of idempotent requests after a transient failure."), metric.WithUnit("{request}"))
	if err != nil {
		return nil, err
	}
	okAttr := metric.WithAttributes(attribute.String("outcome", "ok"))
	errAttr := metric.WithAttributes(attribute.String("outcome", "error"))
	refusedAttr := metric.WithAttributes(attribute.String("outcome", "refused"))
	advisory := metric.WithAttributes(attribute.String("reason", "advisory"))
	expired := metric.WithAttributes(attribute.String("reason", "expired"))
	lockout := metric.WithAttributes(attribute.String("reason", "lockout"))
	rejected := metric.WithAttributes(attribute.String("reason", "rejected"))
	_, err = meter.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		s := a.stats()
		sent := s.Fetches - s.GuardRefusals
		failed := s.FetchErrors - min(s.FetchErrors, s.GuardRefusals)
		o.ObserveInt64(authReqs, int64(sent-min(sent, failed)), okAttr)
		o.ObserveInt64(authReqs, int64(failed), errAttr)
		o.ObserveInt64(authReqs, int64(s.GuardRefusals), refusedAttr)
		o.ObserveInt64(fetches, int64(s.Fetches))
		o.ObserveInt64(renewals, int64(s.Refreshes), advisory)
		o.ObserveInt64(renewals, int64(s.Renewals), expired)
		o.ObserveInt64(refusals, int64(s.GuardRefusals))
		o.ObserveInt64(replays, int64(s.Renewals))
		o.ObserveInt64(retries, int64(s.Retries))
		now := time.Now()
		left := 0.0
		if tok := a.last.Load(); tok != nil && tok.Expiry.After(now) {
			left = tok.Expiry.Sub(now).Seconds()
		}
		o.ObserveFloat64(ttl, left)
		g := a.lib.Load().guard()
		o.ObserveInt64(locked, b2i(g.LockedUntil.After(now)), lockout)
		o.ObserveInt64(locked, b2i(g.Rejected), rejected)
		return nil
	}, authReqs, fetches, renewals, ttl, refusals, locked, replays, retries)
	if err != nil {
		return nil, err
	}
	return m, nil
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
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
