package conformance

import (
	"net/http"
	"sync"
	"testing"
)

// Recorder collects exchanges; its Record method is an OnExchange. Safe for
// concurrent use.
type Recorder struct {
	mu        sync.Mutex
	exchanges []Exchange
}

// Record appends x.
func (r *Recorder) Record(x Exchange) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.exchanges = append(r.exchanges, x)
}

// Exchanges returns a copy of what was recorded, in order.
func (r *Recorder) Exchanges() []Exchange {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Exchange(nil), r.exchanges...)
}

// Problems returns every problem of every non-conforming exchange recorded.
func (r *Recorder) Problems() []string {
	var out []string
	for _, x := range r.Exchanges() {
		out = append(out, x.Problems()...)
	}
	return out
}

// NewTestTransport returns a Transport over base (nil: http.DefaultTransport) that
// reports every non-conforming exchange with t.Errorf, so the test fails but the
// code under test still sees the real response. It validates against the
// embedded openapi.yaml.
func NewTestTransport(t testing.TB, base http.RoundTripper) *Transport {
	return &Transport{
		Base: base,
		OnExchange: func(x Exchange) {
			for _, p := range x.Problems() {
				t.Errorf("contract violation: %s", p)
			}
		},
	}
}
