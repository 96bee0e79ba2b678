package conformance

import (
	"net/http"
	"sync"
	"testing"
)

// Recorder collects exchanges; its Record method is an OnExchange. Safe for
// concurrent use.
//
// The zero value keeps every exchange, which suits a test or a short run. To
// observe traffic of a long-running process, set Max: the Recorder then keeps only
// the last Max exchanges, and Stats still counts all of them.
type Recorder struct {
	// Max, when positive, bounds how many exchanges are kept: once full, each new
	// exchange drops the oldest. Set it before the first Record.
	Max int

	mu        sync.Mutex
	exchanges []Exchange // a ring of at most Max once Max > 0; next is the oldest
	next      int
	stats     RecorderStats
}

// RecorderStats counts every exchange a Recorder was given, kept or dropped.
type RecorderStats struct {
	Recorded      int `json:"recorded"`       // exchanges recorded in all
	NonConforming int `json:"non_conforming"` // of those, how many broke the contract
	Dropped       int `json:"dropped"`        // how many were dropped to keep within Max
}

// Record appends x, dropping the oldest exchange when Max are already kept.
func (r *Recorder) Record(x Exchange) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stats.Recorded++
	if !x.Conforms() {
		r.stats.NonConforming++
	}
	if r.Max > 0 && len(r.exchanges) >= r.Max {
		r.exchanges[r.next] = x
		r.next = (r.next + 1) % len(r.exchanges)
		r.stats.Dropped++
		return
	}
	r.exchanges = append(r.exchanges, x)
}

// Exchanges returns a copy of the exchanges kept, oldest first.
func (r *Recorder) Exchanges() []Exchange {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Exchange, 0, len(r.exchanges))
	out = append(out, r.exchanges[r.next:]...)
	return append(out, r.exchanges[:r.next]...)
}

// Stats returns the counters of every exchange recorded, including those dropped.
func (r *Recorder) Stats() RecorderStats {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stats
}

// Problems returns every problem of every non-conforming exchange kept (with Max
// set, problems of dropped exchanges are counted in Stats but not returned).
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
// embedded contract (openapi.yaml and datecheck.yaml).
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
