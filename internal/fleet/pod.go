package fleet

import (
	"context"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/csconnect/csconnect/internal/agent"
	"github.com/csconnect/csconnect/pkg/csconnect"
)

// Cache windows for the demonstration's short tokens. The vendor's tokens live an
// hour and csconnect refreshes them 5 minutes before expiry (about 8% of the
// lifetime). The client already takes a token's expiry one second early (the JWT's
// claims are whole seconds, counted from the request's send time), so the local expiry
// is never later than the simulator's; the refresh starts 0.8-1.0 s before that, room
// for a loaded machine. With a 15 s token that is about 1.9 s (13%) before the
// simulator's expiry.
const (
	podAdvisoryWindow  = 800 * time.Millisecond
	podAdvisoryJitter  = 200 * time.Millisecond
	podMandatoryWindow = 400 * time.Millisecond
	podHoldAdvisory    = 3 * time.Second // the -hold worker refreshes first
	podLeaseTTL        = 2 * time.Second // loopback authenticate takes milliseconds
	podPollInterval    = 50 * time.Millisecond
)

// podCache is the cache options of a pod, library or agent, with the given
// advisory window (podAdvisoryWindow, or podHoldAdvisory for the -hold worker).
func podCache(advisory time.Duration) csconnect.CacheOptions {
	return csconnect.CacheOptions{
		AdvisoryWindow:  advisory,
		AdvisoryJitter:  podAdvisoryJitter,
		MandatoryWindow: podMandatoryWindow,
		Backoff:         csconnect.RetryPolicy{BaseDelay: 200 * time.Millisecond, MaxDelay: 2 * time.Second},
	}
}

// leaseTTL is the lease lifetime the workers use for a token lifetime.
func leaseTTL(time.Duration) time.Duration { return podLeaseTTL }

// newPod builds what one pod of the fleet uses: an Authenticator (its guard state in
// store), a Cache sharing tokens through store, and an http.Client whose Transport
// adds the token. close stops the cache.
func newPod(cfg workerConfig, store csconnect.Store, ev *eventWriter, ready *atomic.Bool, logger *slog.Logger) (hc *http.Client, close func(), err error) {
	authCfg := csconnect.AuthConfig{
		BaseURL:  cfg.simURL + "/v1",
		Username: cfg.username,
		Password: cfg.password,
		Store:    leaseTimed{store}, // the guard's and the cache's
		Logger:   logger,
	}
	advisory := podAdvisoryWindow
	if cfg.hold {
		authCfg.HTTPClient = &http.Client{Transport: &holdOnRefresh{base: http.DefaultTransport, ev: ev, id: cfg.id, ready: ready}}
		advisory = podHoldAdvisory
	}
	auth, err := csconnect.NewAuthenticator(authCfg)
	if err != nil {
		return nil, nil, err
	}
	cache := csconnect.NewCache(auth, podCache(advisory))
	hc = &http.Client{Transport: &csconnect.Transport{Source: cache}}
	return hc, func() { _ = cache.Close() }, nil
}

// newAgentPod runs a `csconnect agent` in this process, in front of the simulator
// and sharing tokens through store with the pod's cache windows, and returns a
// plain http.Client (no token code) and the agent's base URL for the service.
func newAgentPod(ctx context.Context, cfg workerConfig, store csconnect.Store, logger *slog.Logger) (hc *http.Client, base string, stopPod func(), err error) {
	route, err := agent.ParseRoute("/se/=" + cfg.simURL + "/")
	if err != nil {
		return nil, "", nil, err
	}
	a, err := agent.New(agent.Config{
		Routes: []agent.Route{route},
		Credentials: func() (agent.Credentials, error) {
			return agent.Credentials{Username: cfg.username, Password: cfg.password}, nil
		},
		AuthURL: cfg.simURL + "/v1",
		Store:   leaseTimed{store},
		Logger:  logger,
		Cache:   podCache(podAdvisoryWindow),
	})
	if err != nil {
		return nil, "", nil, err
	}
	ln, err := agent.Listen("127.0.0.1:0", false)
	if err != nil {
		_ = a.Close()
		return nil, "", nil, err
	}
	sctx, stop := context.WithCancel(ctx)
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = agent.Serve(sctx, agent.NewServer(a, agent.ServerLimits{}), ln, time.Second)
	}()
	hc = &http.Client{}
	return hc, "http://" + ln.Addr().String() + "/se", func() {
		stop()
		<-served
		hc.CloseIdleConnections()
		_ = a.Close()
	}, nil
}

// leaseTimed is the pod's store with the fleet's short lease timing: loopback
// authenticate calls take milliseconds, so a dead holder is replaced within
// podLeaseTTL.
type leaseTimed struct{ csconnect.Store }

func (leaseTimed) LeaseTiming() (ttl, poll time.Duration) { return podLeaseTTL, podPollInterval }

// holdOnRefresh is the fault injected into the -hold worker, as its authenticate
// transport: requests before the worker is ready (the fleet's first token) go
// through; a later one, which the worker makes only as the holder of the refresh
// lease, reports eventRefreshing and hangs until the driver kills the process.
type holdOnRefresh struct {
	base  http.RoundTripper
	ev    *eventWriter
	id    int
	ready *atomic.Bool
}

func (h *holdOnRefresh) RoundTrip(req *http.Request) (*http.Response, error) {
	if !h.ready.Load() {
		return h.base.RoundTrip(req)
	}
	h.ev.send(event{Event: eventRefreshing, Worker: h.id})
	<-req.Context().Done()
	if req.Body != nil {
		_ = req.Body.Close()
	}
	return nil, req.Context().Err()
}
