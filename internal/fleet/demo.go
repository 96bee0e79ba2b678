package fleet

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"
)

// Targets of the Redis run (issue 6).
const (
	targetPerLifetime = 1.2
	// holderSlack is how long after the dead holder's lease lapses the fleet may take
	// to have its next token: a poll, an authenticate call, scheduling on a busy
	// machine.
	holderSlack = time.Second
)

// holderReplaced reports whether the fleet got its next token within the lease TTL
// (plus holderSlack) of the holder's death.
func holderReplaced(r result) error {
	if r.killedAfter == 0 || r.killedAfter > podLeaseTTL+holderSlack {
		return fmt.Errorf("next token %v after the kill (0: none); want within the lease ttl %v + %v", r.killedAfter, podLeaseTTL, holderSlack)
	}
	return nil
}

// Demo runs the fleet with per-process memory caches (for comparison), then with the
// Redis store, and writes both to cfg.Out. Its last line is
//
//	processes=N lifetimes=L authenticate_calls=C per_lifetime=R
//
// for the Redis run, where C counts the authenticate requests the simulator received
// during L token lifetimes after every worker had made its first call (the start-up
// calls are reported on the line before). It returns an error when the Redis run
// misses a target: R > 1.2, a failed protected call, or a 429.
func Demo(ctx context.Context, cfg Config) error {
	cfg = cfg.withDefaults()
	kind := "processes"
	if cfg.Agent {
		kind = "agents (each its own process, called over loopback HTTP)"
	}
	fmt.Fprintf(cfg.Out, "fleet: %d %s, token lifetime %v, simulator and redis on loopback\n", cfg.Processes, kind, cfg.TokenTTL)
	mem, err := cfg.fleetRun(ctx, run{store: "memory", lifetimes: cfg.MemoryLifetimes})
	if err != nil {
		return fmt.Errorf("memory run: %w", err)
	}
	printRun(cfg, "memory caches", mem)
	red, err := cfg.fleetRun(ctx, run{store: "redis", lifetimes: cfg.Lifetimes})
	if err != nil {
		return fmt.Errorf("redis run: %w", err)
	}
	printRun(cfg, "redis store", red)
	r := float64(red.calls) / float64(cfg.Lifetimes)
	fmt.Fprintf(cfg.Out, "processes=%d lifetimes=%d authenticate_calls=%d per_lifetime=%.2f\n", cfg.Processes, cfg.Lifetimes, red.calls, r)
	var errs []error
	if r > targetPerLifetime {
		errs = append(errs, fmt.Errorf("per_lifetime=%.2f above the target %.1f", r, targetPerLifetime))
	}
	errs = append(errs, healthy(red, cfg.Processes))
	return errors.Join(errs...)
}

// healthy reports a run's failed protected calls, 429s and missing reports.
func healthy(r result, processes int) error {
	var errs []error
	if r.failed > 0 {
		errs = append(errs, fmt.Errorf("%d failed protected calls", r.failed))
	}
	if r.rateLimited > 0 {
		errs = append(errs, fmt.Errorf("%d responses 429", r.rateLimited))
	}
	if r.workersExited != processes {
		errs = append(errs, fmt.Errorf("%d of %d workers reported", r.workersExited, processes))
	}
	return errors.Join(errs...)
}

func printRun(cfg Config, name string, r result) {
	fmt.Fprintf(cfg.Out, "fleet: %-13s startup_calls=%d authenticate_calls=%d lifetimes=%.2f per_lifetime=%.2f calls_per_refresh=%v protected_ok=%d failed=%d rate_limited=%d token_expired_answers=%d\n",
		name, r.startupCalls, r.calls, r.lifetimes, r.perLifetime(), r.bursts, r.ok, r.failed, r.rateLimited, r.tokenExpired)
	printErrors(cfg, r)
}

func printErrors(cfg Config, r result) {
	for _, msg := range slices.Sorted(maps.Keys(r.errors)) {
		fmt.Fprintf(cfg.Out, "fleet:   %d× %s\n", r.errors[msg], msg)
	}
}

// Faults runs the fault scenarios with the Redis store and writes what each showed to
// cfg.Out. It returns an error for each scenario that misses its expectation:
//   - Redis killed a third into the run and restarted two thirds in: no protected
//     call fails, no 429;
//   - the pod holding the refresh lease killed mid-refresh: the fleet has a new token
//     within the lease TTL (plus holderSlack) of the kill, and no protected call fails;
//   - every pod with a bad password: exactly one authenticate request reaches the
//     simulator.
func Faults(ctx context.Context, cfg Config) error {
	cfg = cfg.withDefaults()
	lifetimes := min(cfg.Lifetimes, 3)
	var errs []error

	r, err := cfg.fleetRun(ctx, run{store: "redis", lifetimes: lifetimes, fault: faultRedisKilled})
	if err != nil {
		return fmt.Errorf("redis killed: %w", err)
	}
	fmt.Fprintf(cfg.Out, "fleet: fault redis killed mid-run: authenticate_calls=%d over %.2f lifetimes calls_per_refresh=%v protected_ok=%d failed=%d rate_limited=%d\n",
		r.calls, r.lifetimes, r.bursts, r.ok, r.failed, r.rateLimited)
	printErrors(cfg, r)
	if err := healthy(r, cfg.Processes); err != nil {
		errs = append(errs, fmt.Errorf("redis killed: %w", err))
	}

	r, err = cfg.fleetRun(ctx, run{store: "redis", lifetimes: 2, fault: faultHolderKilled})
	if err != nil {
		return fmt.Errorf("holder killed: %w", err)
	}
	fmt.Fprintf(cfg.Out, "fleet: fault lease holder killed mid-refresh: next token %v after the kill (lease ttl %v), authenticate_calls=%d over %.2f lifetimes calls_per_refresh=%v protected_ok=%d failed=%d rate_limited=%d\n",
		r.killedAfter.Round(time.Millisecond), podLeaseTTL, r.calls, r.lifetimes, r.bursts, r.ok, r.failed, r.rateLimited)
	printErrors(cfg, r)
	// The killed worker reports nothing; the others must.
	if err := healthy(r, cfg.Processes-1); err != nil {
		errs = append(errs, fmt.Errorf("holder killed: %w", err))
	}
	if err := holderReplaced(r); err != nil {
		errs = append(errs, fmt.Errorf("holder killed: %w", err))
	}

	r, err = cfg.fleetRun(ctx, run{store: "redis", fault: faultBadPassword})
	if err != nil {
		return fmt.Errorf("bad password: %w", err)
	}
	fmt.Fprintf(cfg.Out, "fleet: fault bad password on every pod: authenticate_requests=%d unauthorized=%d rate_limited=%d\n",
		r.calls, r.unauthorized, r.rateLimited)
	printErrors(cfg, r)
	if r.calls != 1 {
		errs = append(errs, fmt.Errorf("bad password: %d authenticate requests reached the simulator; want exactly 1", r.calls))
	}
	return errors.Join(errs...)
}
