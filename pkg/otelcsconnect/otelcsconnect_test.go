package otelcsconnect

import (
	"errors"
	"net/http"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/csconnect/csconnect/pkg/csconnect"
)

// gauge returns a gauge's single value as float64.
func gauge(t *testing.T, rm metricdata.ResourceMetrics, name string) (float64, bool) {
	t.Helper()
	switch g := find(t, rm, name).Data.(type) {
	case metricdata.Gauge[float64]:
		if len(g.DataPoints) == 1 {
			return g.DataPoints[0].Value, true
		}
		return 0, false
	case metricdata.Gauge[int64]:
		if len(g.DataPoints) == 1 {
			return float64(g.DataPoints[0].Value), true
		}
		return 0, false
	}
	t.Fatalf("%s is not a gauge", name)
	return 0, false
}

// TestLogin: a first Token call makes a fetch span, child of the caller's, and an
// attempt span under it; the counters, the duration histogram and the gauges say
// so. Time passing into the advisory and then the mandatory window makes one
// renewal of each reason.
func TestLogin(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, Config{})
		c := w.client(nil)
		ctx, parent := w.caller(t.Context())
		if _, err := c.Tokens.Token(ctx); err != nil {
			t.Fatal(err)
		}
		parent.End()

		fetch, att := w.named("csconnect.token.fetch"), w.named("csconnect.authenticate")
		if len(fetch) != 1 || len(att) != 1 {
			t.Fatalf("spans: %d fetch, %d authenticate; want 1, 1", len(fetch), len(att))
		}
		if fetch[0].Parent.SpanID() != parent.SpanContext().SpanID() {
			t.Error("the fetch span is not a child of the caller's span")
		}
		if att[0].Parent.SpanID() != fetch[0].SpanContext.SpanID() {
			t.Error("the authenticate span is not a child of the fetch span")
		}
		for key, want := range map[string]string{"csconnect.attempt": "1", "http.response.status_code": "200",
			"outcome": "ok", "csconnect.guard.decision": "admitted", "csconnect.retry.wait": ""} {
			if got := attr(att[0], key); got != want {
				t.Errorf("authenticate span %s = %q; want %q", key, got, want)
			}
		}
		if got := attr(fetch[0], "outcome"); got != "ok" {
			t.Errorf("fetch span outcome = %q; want ok", got)
		}

		rm := w.metrics()
		equalCounts(t, MetricAuthenticateRequests, counts(t, rm, MetricAuthenticateRequests, "outcome"), map[string]int64{"ok": 1})
		equalCounts(t, MetricTokenFetches, counts(t, rm, MetricTokenFetches, "outcome"), map[string]int64{"ok": 1})
		h := find(t, rm, MetricAuthenticateDuration).Data.(metricdata.Histogram[float64])
		if len(h.DataPoints) != 1 || h.DataPoints[0].Count != 1 {
			t.Errorf("%s = %+v; want one observation", MetricAuthenticateDuration, h.DataPoints)
		}
		if v, ok := gauge(t, rm, MetricTokenTimeToExpiry); !ok || v < 3590 || v > 3600 {
			t.Errorf("%s = %v, %v; want about 3600", MetricTokenTimeToExpiry, v, ok)
		}
		if v, ok := gauge(t, rm, MetricGuardLocked); !ok || v != 0 {
			t.Errorf("%s = %v, %v; want 0", MetricGuardLocked, v, ok)
		}

		// Into the advisory window (the default is 5 minutes, jittered by up to one
		// more, before expiry): one background renewal.
		time.Sleep(56 * time.Minute)
		if _, err := c.Tokens.Token(t.Context()); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		// Past the new token's mandatory point: the caller waits for a renewal.
		time.Sleep(59*time.Minute + 30*time.Second)
		if _, err := c.Tokens.Token(t.Context()); err != nil {
			t.Fatal(err)
		}
		rm = w.metrics()
		equalCounts(t, MetricTokenRenewals, counts(t, rm, MetricTokenRenewals, "reason"), map[string]int64{"advisory": 1, "mandatory": 1})
		equalCounts(t, MetricTokenFetches, counts(t, rm, MetricTokenFetches, "outcome"), map[string]int64{"ok": 3})
		if v, _ := gauge(t, rm, MetricTokenTimeToExpiry); v < 3590 || v > 3600 {
			t.Errorf("%s after the renewal = %v; want about 3600", MetricTokenTimeToExpiry, v)
		}
		fetch = w.named("csconnect.token.fetch")
		if len(fetch) != 3 || !slices.Equal(events(fetch[1]), []string{"csconnect.token.renewal"}) || attr(tracetest.SpanStub{Attributes: fetch[1].Events[0].Attributes}, "reason") != "advisory" {
			t.Errorf("fetch spans %d, the second's events %v; want 3, one renewal event with reason advisory", len(fetch), events(fetch[1]))
		}
		w.checkNoSecret()
	})
}

// Test401: a 401 records an attempt with outcome invalid_credentials and status
// 401; the next Token call is refused by the guard, which records a refusal, not a
// request.
func Test401(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, Config{})
		w.auth = []answer{unauthorized}
		a := w.authenticator()
		if _, err := a.Token(t.Context()); !errors.Is(err, csconnect.ErrInvalidCredentials) {
			t.Fatalf("Token() error = %v; want ErrInvalidCredentials", err)
		}
		if _, err := a.Token(t.Context()); !errors.As(err, new(*csconnect.GuardError)) {
			t.Fatalf("second Token() error = %v; want a *GuardError", err)
		}
		att := w.named("csconnect.authenticate")
		if len(att) != 2 {
			t.Fatalf("%d authenticate spans; want 2", len(att))
		}
		if got := [3]string{attr(att[0], "http.response.status_code"), attr(att[0], "outcome"), attr(att[0], "csconnect.guard.decision")}; got != [3]string{"401", "invalid_credentials", "admitted"} {
			t.Errorf("first attempt status, outcome, guard = %v", got)
		}
		if att[0].Status.Code != codes.Error {
			t.Errorf("first attempt span status = %v; want Error", att[0].Status)
		}
		if got := [3]string{attr(att[1], "csconnect.guard.decision"), attr(att[1], "csconnect.guard.reason"), attr(att[1], "http.response.status_code")}; got != [3]string{"refused", "rejected", ""} {
			t.Errorf("second attempt guard decision, reason, status = %v; want refused, rejected, none", got)
		}
		rm := w.metrics()
		equalCounts(t, MetricAuthenticateRequests, counts(t, rm, MetricAuthenticateRequests, "outcome"), map[string]int64{"invalid_credentials": 1})
		equalCounts(t, MetricGuardRefusals, counts(t, rm, MetricGuardRefusals, "reason"), map[string]int64{"rejected": 1})
		if w.authSent != 1 {
			t.Errorf("%d requests sent; want 1", w.authSent)
		}
		w.checkNoSecret()
	})
}

// Test429Lockout: a 429 with Retry-After locks the guard (gauge 1) and the next call
// is refused as locked_out; once the lockout is over the gauge says 0, and after
// ResetGuard too.
func Test429Lockout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, Config{})
		w.auth = []answer{lockedOut}
		a := w.authenticator()
		if _, err := a.Token(t.Context()); !errors.Is(err, csconnect.ErrLockedOut) {
			t.Fatalf("Token() error = %v; want ErrLockedOut", err)
		}
		rm := w.metrics()
		if v, _ := gauge(t, rm, MetricGuardLocked); v != 1 {
			t.Errorf("%s after a 429 = %v; want 1", MetricGuardLocked, v)
		}
		if _, err := a.Token(t.Context()); !errors.Is(err, csconnect.ErrLockedOut) {
			t.Fatalf("second Token() error = %v; want the guard's ErrLockedOut", err)
		}
		rm = w.metrics()
		equalCounts(t, MetricAuthenticateRequests, counts(t, rm, MetricAuthenticateRequests, "outcome"), map[string]int64{"locked_out": 1})
		equalCounts(t, MetricGuardRefusals, counts(t, rm, MetricGuardRefusals, "reason"), map[string]int64{"locked_out": 1})
		att := w.named("csconnect.authenticate")
		if len(att) != 2 || attr(att[0], "http.response.status_code") != "429" || attr(att[1], "csconnect.guard.reason") != "locked_out" {
			t.Errorf("authenticate spans = %d, first status %q, second reason %q; want 2, 429, locked_out",
				len(att), attr(att[0], "http.response.status_code"), attr(att[1], "csconnect.guard.reason"))
		}
		time.Sleep(301 * time.Second)
		if v, _ := gauge(t, w.metrics(), MetricGuardLocked); v != 0 {
			t.Errorf("%s after the lockout = %v; want 0", MetricGuardLocked, v)
		}

		w.auth = []answer{lockedOut}
		if _, err := a.Token(t.Context()); !errors.Is(err, csconnect.ErrLockedOut) {
			t.Fatalf("Token() error = %v; want ErrLockedOut", err)
		}
		if err := a.ResetGuard(t.Context()); err != nil {
			t.Fatal(err)
		}
		if v, _ := gauge(t, w.metrics(), MetricGuardLocked); v != 0 {
			t.Errorf("%s after ResetGuard = %v; want 0", MetricGuardLocked, v)
		}
		w.checkNoSecret()
	})
}

// TestRenewalOnTokenExpired: a service's "Token Expired" makes the Transport renew
// and replay: a renewal (expired_answer) and a replay are counted and appear as
// events on the caller's span, and the second fetch is the caller's child too.
func TestRenewalOnTokenExpired(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, Config{})
		w.svc = []answer{tokenExpired}
		c := w.client(nil)
		parent := w.getAsCaller(t, c)
		rm := w.metrics()
		equalCounts(t, MetricTransportReplays, counts(t, rm, MetricTransportReplays, ""), map[string]int64{"": 1})
		equalCounts(t, MetricTokenRenewals, counts(t, rm, MetricTokenRenewals, "reason"), map[string]int64{"expired_answer": 1})
		equalCounts(t, MetricAuthenticateRequests, counts(t, rm, MetricAuthenticateRequests, "outcome"), map[string]int64{"ok": 2})
		caller := w.named("caller")
		if len(caller) != 1 || !slices.Equal(events(caller[0]), []string{"csconnect.token.renewal", "csconnect.transport.replay"}) {
			t.Fatalf("caller span events = %v; want the renewal and the replay", events(caller[0]))
		}
		if got := attr(tracetest.SpanStub{Attributes: caller[0].Events[1].Attributes}, "http.response.status_code"); got != "403" {
			t.Errorf("replay event status = %q; want 403", got)
		}
		for i, f := range w.named("csconnect.token.fetch") {
			if f.Parent.SpanID() != parent.SpanContext().SpanID() {
				t.Errorf("fetch span %d is not a child of the caller's span", i)
			}
		}
		w.checkNoSecret()
	})
}

// TestRetryOn500: authenticate retries a 500 (two attempt spans, the first with
// outcome server_error and its retry wait), and the Transport retries a service's
// 500 (counted, and an event on the caller's span).
func TestRetryOn500(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, Config{})
		w.auth = []answer{serverError}
		w.svc = []answer{serverError}
		c := w.client(nil)
		w.getAsCaller(t, c)
		att := w.named("csconnect.authenticate")
		if len(att) != 2 {
			t.Fatalf("%d authenticate spans; want 2", len(att))
		}
		if got := [3]string{attr(att[0], "csconnect.attempt"), attr(att[0], "outcome"), attr(att[0], "http.response.status_code")}; got != [3]string{"1", "server_error", "500"} {
			t.Errorf("first attempt = %v; want 1, server_error, 500", got)
		}
		if attr(att[0], "csconnect.retry.wait") == "" || attr(att[1], "csconnect.retry.wait") != "" {
			t.Errorf("retry wait: first %q, second %q; want the first only", attr(att[0], "csconnect.retry.wait"), attr(att[1], "csconnect.retry.wait"))
		}
		if got := [2]string{attr(att[1], "csconnect.attempt"), attr(att[1], "outcome")}; got != [2]string{"2", "ok"} {
			t.Errorf("second attempt = %v; want 2, ok", got)
		}
		if att[0].Parent.SpanID() != att[1].Parent.SpanID() {
			t.Error("the attempts are not children of one fetch span")
		}
		rm := w.metrics()
		equalCounts(t, MetricAuthenticateRequests, counts(t, rm, MetricAuthenticateRequests, "outcome"), map[string]int64{"ok": 1, "server_error": 1})
		equalCounts(t, MetricTransportRetries, counts(t, rm, MetricTransportRetries, ""), map[string]int64{"": 1})
		if ev := events(w.named("caller")[0]); !slices.Equal(ev, []string{"csconnect.transport.retry"}) {
			t.Errorf("caller span events = %v; want one retry", ev)
		}
		w.checkNoSecret()
	})
}

// TestUserFingerprintOptIn: the fingerprint attribute appears only when set, and
// never the username.
func TestUserFingerprintOptIn(t *testing.T) {
	for name, fp := range map[string]string{"off": "", "on": csconnect.NewMemoryStore().Fingerprint(testUser)} {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				w := newWorld(t, Config{UserFingerprint: fp})
				if _, err := w.client(nil).Tokens.Token(t.Context()); err != nil {
					t.Fatal(err)
				}
				for _, s := range w.spans.GetSpans() {
					if got := attr(s, "csconnect.user.fingerprint"); got != fp {
						t.Errorf("span %s fingerprint = %q; want %q", s.Name, got, fp)
					}
				}
				sum := find(t, w.metrics(), MetricTokenFetches).Data.(metricdata.Sum[int64])
				v, _ := sum.DataPoints[0].Attributes.Value("csconnect.user.fingerprint")
				if v.AsString() != fp {
					t.Errorf("%s fingerprint = %q; want %q", MetricTokenFetches, v.AsString(), fp)
				}
				w.checkNoSecret()
			})
		})
	}
}

// TestNoopProvider: over the no-op providers (what a program that installs no SDK
// gets from the globals) the hooks run and record nothing, without error.
func TestNoopProvider(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		hooks, err := New(Config{})
		if err != nil {
			t.Fatal(err)
		}
		w := newWorld(t, Config{})
		w.hooks = hooks
		w.svc = []answer{tokenExpired}
		if got := get(t.Context(), t, w.client(nil)); got != 200 {
			t.Fatalf("GET = %d; want 200", got)
		}
		if n := len(w.spans.GetSpans()); n != 0 {
			t.Errorf("%d spans recorded through the no-op provider", n)
		}
		if trace.SpanFromContext(t.Context()).IsRecording() {
			t.Error("a span was left in the test's context")
		}
	})
}

var _ http.RoundTripper = (*world)(nil)
