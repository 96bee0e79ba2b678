package suite

import (
	"time"

	"github.com/csconnect/csconnect/conformance"
)

// Scenario is one documented behaviour, checked end to end.
type Scenario struct {
	// Name is short, stable and kebab-case: reports and -run filters use it.
	Name string
	// Doc says what is checked, with the vendor fact it traces to.
	Doc string
	// Needs says what the scenario requires; a run without it skips the scenario.
	Needs Needs
	// Live marks a scenario as safe against the real service: live runs include
	// only these. Between them they send one valid login (the token is shared),
	// and at most one invalid one.
	Live bool
	// Run performs the scenario; it reports failures through e.Errorf.
	Run func(e *Env)
}

// Needs is a set of requirements of a scenario.
type Needs uint

const (
	// NeedsSim: the scenario controls the simulator (clock, faults, limits), so it
	// cannot run live.
	NeedsSim Needs = 1 << iota
	// NeedsStack: the scenario drives the client stack.
	NeedsStack
	// NeedsService: the scenario calls GET /datecheck/company.
	NeedsService
	// SendsInvalid: the scenario sends credentials that are wrong. A live run
	// includes it only when AllowInvalid is set, and a Live scenario with it sends
	// exactly one such request.
	SendsInvalid
	// BypassProxy: the scenario injects transport faults (dropped connections,
	// latency) that a proxy would turn into answers of its own, so behind Prism it
	// talks to the simulator directly.
	BypassProxy
)

// Verdict is a scenario's outcome.
type Verdict string

// The verdicts.
const (
	Pass Verdict = "PASS"
	Fail Verdict = "FAIL"
	Skip Verdict = "SKIP"
)

// Result is what one scenario did.
type Result struct {
	Name      string                 `json:"name"`
	Verdict   Verdict                `json:"verdict"`
	Exchanges int                    `json:"exchanges"`
	Duration  time.Duration          `json:"duration_ns"`
	Problems  []string               `json:"problems,omitempty"` // failed checks and contract violations
	Reason    string                 `json:"reason,omitempty"`   // why it was skipped
	Detail    []conformance.Exchange `json:"detail,omitempty"`   // every exchange, for --json
}

// Report is the outcome of a run.
type Report struct {
	Mode      string        `json:"mode"` // "simulator", "prism" or "live"
	Results   []Result      `json:"results"`
	Scenarios int           `json:"scenarios"`
	Passed    int           `json:"passed"`
	Failed    int           `json:"failed"`
	Skipped   int           `json:"skipped"`
	Exchanges int           `json:"exchanges"`
	Duration  time.Duration `json:"duration_ns"`
}

// OK reports whether nothing failed: every scenario that ran passed and every
// exchange conformed.
func (r *Report) OK() bool { return r.Failed == 0 && r.Passed > 0 }
