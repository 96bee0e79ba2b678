package suite

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/csconnect/csconnect/conformance"
	"github.com/csconnect/csconnect/internal/secret"
)

// DefaultTimeout bounds each request a scenario makes when Config.Timeout is zero.
const DefaultTimeout = 10 * time.Second

// scenarioTimeout bounds a whole scenario, so a server that hangs fails the
// scenario instead of stalling the run (the client stack's own calls have no
// deadline but the scenario's context).
const scenarioTimeout = time.Minute

// Config says how to run the suite.
type Config struct {
	Mode   string // a label for the report: "simulator", "prism" or "live"
	Target Target
	// Stack builds the client under test; nil means DefaultStack. When neither is
	// set, scenarios that need a stack are skipped.
	Stack StackFunc
	// Live restricts the run to scenarios that are safe against the real service.
	Live bool
	// AllowInvalid lets a live run include scenarios that send wrong credentials
	// (each sends exactly one such request). The wrong password is random per run,
	// so runs never repeat an identical invalid request, but every run still sends
	// one invalid login: runs close together add up towards the vendor's lockout.
	AllowInvalid bool
	// Match selects scenarios by name; nil runs all.
	Match func(name string) bool
	// OnResult is called after each scenario, in order (for a running report).
	OnResult func(Result)
	// Timeout bounds each request a scenario makes; 0 means DefaultTimeout.
	Timeout time.Duration
}

// Run runs scenarios one after the other and returns the report. In simulator
// mode the simulator is reset before each scenario, so scenarios are independent.
func Run(ctx context.Context, cfg Config, scenarios []Scenario) *Report {
	start := time.Now()
	rep := &Report{Mode: cfg.Mode}
	shared := &runState{}
	if cfg.Stack == nil {
		cfg.Stack = DefaultStack
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	for _, sc := range scenarios {
		if cfg.Match != nil && !cfg.Match(sc.Name) {
			continue
		}
		res := runOne(ctx, cfg, sc, shared)
		rep.Results = append(rep.Results, res)
		rep.Scenarios++
		rep.Exchanges += res.Exchanges
		switch res.Verdict {
		case Pass:
			rep.Passed++
		case Fail:
			rep.Failed++
		default:
			rep.Skipped++
		}
		if cfg.OnResult != nil {
			cfg.OnResult(res)
		}
	}
	rep.Duration = time.Since(start)
	return rep
}

// skipReason says why sc cannot run under cfg, or "".
func skipReason(cfg Config, sc Scenario) string {
	t := cfg.Target
	switch {
	case cfg.Live && !sc.Live:
		return "not safe against the real service"
	case sc.Needs&NeedsSim != 0 && t.Sim == nil:
		return "needs the simulator"
	case sc.Needs&NeedsStack != 0 && cfg.Stack == nil:
		return "no client stack configured"
	case sc.Needs&NeedsService != 0 && t.ServiceURL == "":
		return "no service URL"
	case cfg.Live && sc.Needs&SendsInvalid != 0 && !cfg.AllowInvalid:
		return "sends invalid credentials; allow with --allow-invalid"
	}
	return ""
}

// runState is what scenarios of one live run share: the token of the one valid
// login, so that the live run logs in once.
type runState struct {
	mu    sync.Mutex
	token string
}

func runOne(ctx context.Context, cfg Config, sc Scenario, shared *runState) (res Result) {
	res = Result{Name: sc.Name}
	if r := skipReason(cfg, sc); r != "" {
		res.Verdict, res.Reason = Skip, r
		return res
	}
	if cfg.Target.Sim != nil {
		cfg.Target.Sim.Reset()
	}
	if sc.Needs&BypassProxy != 0 && cfg.Target.DirectURL != "" {
		cfg.Target.AuthURL = cfg.Target.DirectURL
		cfg.Target.ServiceURL = strings.TrimSuffix(cfg.Target.DirectURL, "/v1")
	}
	ctx, cancel := context.WithTimeout(ctx, scenarioTimeout)
	defer cancel()
	e := &Env{ctx: ctx, target: cfg.Target, stack: cfg.Stack, timeout: cfg.Timeout}
	if cfg.Live {
		e.shared = shared
	}
	e.transport = &conformance.Transport{Base: learnSecrets{base: cfg.Target.Base, learn: e.secrets.add}, OnExchange: e.rec.Record}
	start := time.Now()
	func() {
		defer func() {
			if p := recover(); p != nil {
				e.Errorf("panic: %v", p)
			}
		}()
		defer func() {
			for _, c := range e.closers {
				c()
			}
		}()
		sc.Run(e)
	}()
	res.Duration = time.Since(start)
	res.Detail = e.rec.Exchanges()
	res.Exchanges = len(res.Detail)
	res.Problems = append(res.Problems, e.problems...)
	for _, x := range res.Detail {
		res.Problems = append(res.Problems, x.Problems()...)
	}
	switch {
	case len(res.Problems) > 0:
		res.Verdict = Fail
	case e.skip != "":
		res.Verdict, res.Reason = Skip, e.skip
	default:
		res.Verdict = Pass
	}
	if res.Verdict == Fail && ctx.Err() != nil {
		res.Problems = append(res.Problems, fmt.Sprintf("scenario cut short: %v", ctx.Err()))
	}
	scrubResult(&res, e.redactor())
	return res
}

// scrubResult replaces whole every text of res that holds a secret of the run: a
// failed check may quote an error, and a hostile server can put the password or the
// token it was sent where Go's client quotes it (a malformed status line). Each
// exchange's violations and error were scrubbed of that exchange's secrets when
// recorded; this also removes a secret learnt from another exchange.
func scrubResult(res *Result, r *secret.Redactor) {
	for i, p := range res.Problems {
		res.Problems[i] = r.Value(p)
	}
	res.Reason = r.Value(res.Reason)
	for i := range res.Detail {
		x := &res.Detail[i]
		x.Err = r.Value(x.Err)
		for j := range x.Violations {
			x.Violations[j].Message = r.Value(x.Violations[j].Message)
		}
	}
}
