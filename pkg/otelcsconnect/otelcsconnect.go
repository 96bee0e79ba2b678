// Package otelcsconnect turns csconnect's hooks into OpenTelemetry traces and
// metrics. It is a package of its own so that programs without OpenTelemetry never
// import it: package csconnect depends on no OpenTelemetry module.
//
//	hooks, err := otelcsconnect.New(otelcsconnect.Config{}) // the global providers
//	auth.Hooks = hooks
//	client, err := csconnect.New(csconnect.Config{Auth: auth})
//
// Traces: a span "csconnect.authenticate" per authenticate attempt and
// "csconnect.token.fetch" per cache fetch, children of the caller's span when the
// context carries one (an attempt's span is a child of its fetch's); the
// Transport adds events "csconnect.token.renewal", "csconnect.transport.replay" and
// "csconnect.transport.retry" to the span of the request's context. Metrics: see
// the Metric* constants. No attribute or event holds the password, a token or the
// username; the username's keyed fingerprint only when Config.UserFingerprint is set.
//
// With otelhttp, put otelhttp's Transport under csconnect's, as its Base, so that
// every request on the wire is a client span and a replay shows as two:
//
//	&csconnect.Transport{Source: cache, Base: otelhttp.NewTransport(http.DefaultTransport)}
//
// (csconnect.Config.Base for the client New builds). Over csconnect's Transport
// instead, otelhttp makes one client span per call, on which the Transport's
// replay and retry events land.
package otelcsconnect

import (
	"context"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/csconnect/csconnect/pkg/csconnect"
)

// ScopeName is the instrumentation scope of the tracer and the meter.
const ScopeName = "github.com/csconnect/csconnect/pkg/otelcsconnect"

// The metric names (the Prometheus exporter renders them with dots as underscores,
// counters with _total, seconds with _seconds: csconnect_authenticate_requests_total,
// csconnect_authenticate_duration_seconds, csconnect_token_time_to_expiry_seconds,
// csconnect_guard_locked, …).
const (
	// MetricAuthenticateRequests counts authenticate requests sent (a guard refusal
	// sends none), by outcome.
	MetricAuthenticateRequests = "csconnect.authenticate.requests"
	// MetricAuthenticateDuration is each request's duration in seconds, by outcome.
	MetricAuthenticateDuration = "csconnect.authenticate.duration"
	// MetricTokenFetches counts cache fetches (from the Store or by authenticating),
	// by outcome.
	MetricTokenFetches = "csconnect.token.fetches"
	// MetricTokenRenewals counts renewals of a token in use, by reason: advisory,
	// mandatory, expired_answer.
	MetricTokenRenewals = "csconnect.token.renewals"
	// MetricTokenTimeToExpiry is the latest fetched token's remaining lifetime in
	// seconds, when one was fetched.
	MetricTokenTimeToExpiry = "csconnect.token.time_to_expiry"
	// MetricGuardRefusals counts authenticate attempts the guard refused, by reason:
	// rejected, locked_out, budget, identical_requests.
	MetricGuardRefusals = "csconnect.guard.refusals"
	// MetricGuardLocked is 1 while the guard holds authenticate locked out or
	// paused (after a 429 or a 403), else 0.
	MetricGuardLocked = "csconnect.guard.locked"
	// MetricTransportReplays counts requests replayed with a renewed token.
	MetricTransportReplays = "csconnect.transport.replays"
	// MetricTransportRetries counts retries of transient service failures.
	MetricTransportRetries = "csconnect.transport.retries"
)

// Attribute keys.
const (
	keyOutcome     = attribute.Key("outcome")
	keyReason      = attribute.Key("reason")
	keyAttempt     = attribute.Key("csconnect.attempt")
	keyStatus      = attribute.Key("http.response.status_code")
	keyGuard       = attribute.Key("csconnect.guard.decision")
	keyGuardReason = attribute.Key("csconnect.guard.reason")
	keyRetryWait   = attribute.Key("csconnect.retry.wait")
	keyFingerprint = attribute.Key("csconnect.user.fingerprint")
)

// Config configures New. The zero value uses the global providers.
type Config struct {
	// TracerProvider makes the spans; default otel.GetTracerProvider().
	TracerProvider trace.TracerProvider
	// MeterProvider makes the instruments; default otel.GetMeterProvider(). An
	// agent exposing Prometheus metrics passes the provider over its exporter.
	MeterProvider metric.MeterProvider
	// UserFingerprint, when set, is added to every span and metric as
	// csconnect.user.fingerprint, to tell accounts apart. Opt-in; pass a keyed hash
	// such as Store.Fingerprint(username), never the username itself.
	UserFingerprint string

	now func() time.Time // gauges' clock; time.Now by default (tests set it)
}

// observer holds the instruments and the gauges' state.
type observer struct {
	tracer trace.Tracer
	common []attribute.KeyValue // the fingerprint, if any
	now    func() time.Time

	requests, fetches, renewals, refusals, replays, retries metric.Int64Counter
	duration                                                metric.Float64Histogram

	// Measurement options built once, so that recording allocates nothing for them.
	plain    metric.MeasurementOption            // the common attributes only
	outcomes map[string]measurement              // by outcome
	reasons  map[string]metric.MeasurementOption // by renewal or guard reason

	expiry      atomic.Int64 // latest token's expiry, Unix nanoseconds; 0: none yet
	lockedUntil atomic.Int64 // end of the guard's lockout, Unix nanoseconds; 0: none
}

// New returns hooks for csconnect.AuthConfig.Hooks (a Cache over that Authenticator,
// and a Transport over that Cache, report to them too) that record spans and metrics through
// cfg's providers. Use one per client: the gauges report the latest token and
// lockout their hooks saw. The error is the meter's, when it refuses an instrument.
func New(cfg Config) (*csconnect.Hooks, error) {
	tp, mp := cfg.TracerProvider, cfg.MeterProvider
	if tp == nil {
		tp = otel.GetTracerProvider()
	}
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	o := &observer{tracer: tp.Tracer(ScopeName), now: cfg.now}
	if o.now == nil {
		o.now = time.Now
	}
	if cfg.UserFingerprint != "" {
		o.common = []attribute.KeyValue{keyFingerprint.String(cfg.UserFingerprint)}
	}
	o.options()
	if err := o.instruments(mp.Meter(ScopeName)); err != nil {
		return nil, err
	}
	return &csconnect.Hooks{
		AuthenticateStart: o.authenticateStart,
		AuthenticateDone:  o.authenticateDone,
		FetchStart:        o.fetchStart,
		FetchDone:         o.fetchDone,
		Renewal:           o.renewal,
		Replay:            o.replay,
		Retry:             o.retry,
		GuardLocked:       o.guardLocked,
	}, nil
}

// durationBuckets are the semantic conventions' boundaries for HTTP durations.
var durationBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10}

func (o *observer) instruments(m metric.Meter) error {
	var err, e error
	counter := func(name, unit, desc string) metric.Int64Counter {
		c, e := m.Int64Counter(name, metric.WithUnit(unit), metric.WithDescription(desc))
		if err == nil {
			err = e
		}
		return c
	}
	o.requests = counter(MetricAuthenticateRequests, "{request}", "Authenticate requests sent, by outcome.")
	o.fetches = counter(MetricTokenFetches, "{fetch}", "Token fetches by the cache, by outcome.")
	o.renewals = counter(MetricTokenRenewals, "{renewal}", "Renewals of a token in use, by reason.")
	o.refusals = counter(MetricGuardRefusals, "{refusal}", "Authenticate attempts the lockout guard refused, by reason.")
	o.replays = counter(MetricTransportReplays, "{request}", "Service requests replayed with a renewed token.")
	o.retries = counter(MetricTransportRetries, "{retry}", "Retries of transient service failures.")
	if err != nil {
		return err
	}
	if o.duration, err = m.Float64Histogram(MetricAuthenticateDuration, metric.WithUnit("s"),
		metric.WithDescription("Duration of authenticate requests, by outcome."),
		metric.WithExplicitBucketBoundaries(durationBuckets...)); err != nil {
		return err
	}
	tte, err := m.Float64ObservableGauge(MetricTokenTimeToExpiry, metric.WithUnit("s"),
		metric.WithDescription("Remaining lifetime of the latest fetched token."))
	if err != nil {
		return err
	}
	// No unit: Prometheus would add _ratio for "1", and the name is an interface.
	locked, err := m.Int64ObservableGauge(MetricGuardLocked,
		metric.WithDescription("1 while the lockout guard holds authenticate locked out or paused, else 0."))
	if err != nil {
		return err
	}
	common := o.plain
	_, e = m.RegisterCallback(func(_ context.Context, obs metric.Observer) error {
		now := o.now()
		if exp := o.expiry.Load(); exp != 0 {
			obs.ObserveFloat64(tte, time.Unix(0, exp).Sub(now).Seconds(), common)
		}
		var v int64
		if now.UnixNano() < o.lockedUntil.Load() {
			v = 1
		}
		obs.ObserveInt64(locked, v, common)
		return nil
	}, tte, locked)
	return e
}

// measurement is an attribute and its measurement option (with the common ones),
// as the argument lists of Add and Record: passing a slice built once spares each
// call the allocation of its variadic argument.
type measurement struct {
	kv     attribute.KeyValue
	add    []metric.AddOption
	record []metric.RecordOption
}

func newMeasurement(kv attribute.KeyValue, opt metric.MeasurementOption) measurement {
	return measurement{kv, []metric.AddOption{opt}, []metric.RecordOption{opt}}
}

// options builds the measurement options of every known attribute value.
func (o *observer) options() {
	with := func(kv attribute.KeyValue) metric.MeasurementOption {
		return metric.WithAttributeSet(attribute.NewSet(append([]attribute.KeyValue{kv}, o.common...)...))
	}
	o.plain = metric.WithAttributeSet(attribute.NewSet(o.common...))
	o.outcomes = map[string]measurement{}
	// The outcomes csconnect.Event.Outcome documents.
	for _, oc := range []string{"ok", "invalid_credentials", "account_inactive", "locked_out", "rate_limited",
		"server_error", "network", "contract"} {
		kv := keyOutcome.String(oc)
		o.outcomes[oc] = newMeasurement(kv, with(kv))
	}
	o.reasons = map[string]metric.MeasurementOption{}
	// The renewal reasons of csconnect.Hooks.Renewal, the guard's of Event.Refused.
	for _, r := range []string{"advisory", "mandatory", "expired_answer",
		"rejected", "locked_out", "budget", "identical_requests", "other"} {
		o.reasons[r] = with(keyReason.String(r))
	}
}

// outcome returns the measurement of an outcome.
func (o *observer) outcome(oc string) measurement {
	if m, ok := o.outcomes[oc]; ok {
		return m
	}
	kv := keyOutcome.String(oc) // an outcome added to csconnect since
	return newMeasurement(kv, metric.WithAttributes(append([]attribute.KeyValue{kv}, o.common...)...))
}

// reason returns the measurement option of a renewal or guard reason.
func (o *observer) reason(r string) metric.MeasurementOption {
	if opt, ok := o.reasons[r]; ok {
		return opt
	}
	return metric.WithAttributes(append([]attribute.KeyValue{keyReason.String(r)}, o.common...)...)
}

func (o *observer) authenticateStart(ctx context.Context, attempt int) context.Context {
	ctx, span := o.tracer.Start(ctx, "csconnect.authenticate")
	if span.IsRecording() { // spares a no-op tracer the attributes
		span.SetAttributes(keyAttempt.Int(attempt))
		span.SetAttributes(o.common...)
	}
	return ctx
}

func (o *observer) authenticateDone(ctx context.Context, e csconnect.Event) {
	m := o.outcome(e.Outcome)
	if e.Refused != "" {
		o.refusals.Add(ctx, 1, o.reason(e.Refused))
	} else {
		o.requests.Add(ctx, 1, m.add...)
		o.duration.Record(ctx, e.Duration.Seconds(), m.record...)
	}
	span := trace.SpanFromContext(ctx)
	if !span.IsRecording() {
		return // nothing to annotate or end: no span was started for the attempt
	}
	if e.Refused != "" {
		span.SetAttributes(m.kv, keyGuard.String("refused"), keyGuardReason.String(e.Refused))
	} else {
		span.SetAttributes(m.kv, keyGuard.String("admitted"))
	}
	if e.Status != 0 {
		span.SetAttributes(keyStatus.Int(e.Status))
	}
	if e.Wait >= 0 {
		span.SetAttributes(keyRetryWait.Float64(e.Wait.Seconds()))
	}
	if e.Outcome != "ok" {
		span.SetStatus(codes.Error, e.Outcome)
	}
	span.End()
}

func (o *observer) fetchStart(ctx context.Context) context.Context {
	ctx, span := o.tracer.Start(ctx, "csconnect.token.fetch")
	if span.IsRecording() {
		span.SetAttributes(o.common...)
	}
	return ctx
}

func (o *observer) fetchDone(ctx context.Context, e csconnect.Event) {
	m := o.outcome(e.Outcome)
	o.fetches.Add(ctx, 1, m.add...)
	if !e.Expiry.IsZero() {
		o.expiry.Store(e.Expiry.UnixNano())
	}
	span := trace.SpanFromContext(ctx)
	if !span.IsRecording() {
		return
	}
	span.SetAttributes(m.kv)
	if e.Outcome != "ok" {
		span.SetStatus(codes.Error, e.Outcome)
	}
	span.End()
}

func (o *observer) renewal(ctx context.Context, reason string) {
	o.renewals.Add(ctx, 1, o.reason(reason))
	if span := trace.SpanFromContext(ctx); span.IsRecording() {
		span.AddEvent("csconnect.token.renewal", trace.WithAttributes(keyReason.String(reason)))
	}
}

func (o *observer) replay(ctx context.Context, status int) {
	o.replays.Add(ctx, 1, o.plain)
	if span := trace.SpanFromContext(ctx); span.IsRecording() {
		span.AddEvent("csconnect.transport.replay", trace.WithAttributes(keyStatus.Int(status)))
	}
}

func (o *observer) retry(ctx context.Context, attempt, status int, wait time.Duration) {
	o.retries.Add(ctx, 1, o.plain)
	span := trace.SpanFromContext(ctx)
	if !span.IsRecording() {
		return
	}
	kv := []attribute.KeyValue{keyAttempt.Int(attempt), keyRetryWait.Float64(wait.Seconds())}
	if status != 0 {
		kv = append(kv, keyStatus.Int(status))
	}
	span.AddEvent("csconnect.transport.retry", trace.WithAttributes(kv...))
}

func (o *observer) guardLocked(_ context.Context, until time.Time) {
	var v int64
	if !until.IsZero() {
		v = until.UnixNano()
	}
	o.lockedUntil.Store(v)
}
