package fleet

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"sync"
	"time"

	"github.com/csconnect/csconnect/internal/redistest"
)

// Config configures a demonstration run. Zero values take the defaults below.
type Config struct {
	// Processes is the number of worker processes; default 20.
	Processes int
	// Lifetimes is how many token lifetimes the Redis run is measured over; default 5.
	Lifetimes int
	// MemoryLifetimes is how many lifetimes the memory-cache comparison is measured
	// over; default 2 (its rate is plain after one).
	MemoryLifetimes int
	// TokenTTL is the simulator's token lifetime; default 15 s. The client learns
	// expiry to the second from the JWT, so lifetimes much shorter than this make the
	// last second of each token a larger share of its life (see pod.go).
	TokenTTL time.Duration
	// Worker returns the command that runs one worker with args; the driver sets its
	// environment, stdin and stdout.
	Worker func(args ...string) *exec.Cmd
	// Agent makes every worker run a `csconnect agent` and call through it over
	// loopback HTTP (FLEET_MODE=agent): N agents instead of N library processes.
	Agent bool
	// Out receives the report; Log receives progress and the workers' stderr.
	Out, Log io.Writer
}

func (c Config) withDefaults() Config {
	if c.Processes <= 0 {
		c.Processes = 20
	}
	if c.Lifetimes <= 0 {
		c.Lifetimes = 5
	}
	if c.MemoryLifetimes <= 0 {
		c.MemoryLifetimes = 2
	}
	if c.TokenTTL <= 0 {
		c.TokenTTL = 15 * time.Second
	}
	if c.Out == nil {
		c.Out = io.Discard
	}
	if c.Log == nil {
		c.Log = io.Discard
	}
	if _, ok := c.Log.(*lockedWriter); !ok {
		c.Log = &lockedWriter{w: c.Log} // the workers' stderr copiers share it
	}
	return c
}

// fault is what goes wrong during a run.
type fault int

const (
	faultNone         fault = iota
	faultRedisKilled        // Redis killed a third into the run, restarted two thirds in
	faultHolderKilled       // worker 0 refreshes first and is killed holding the lease
	faultBadPassword        // every worker has the wrong password
)

// run is one fleet run's plan.
type run struct {
	store     string // "redis" or "memory"
	lifetimes int
	fault     fault
}

// result is what a run measured.
type result struct {
	processes     int
	lifetimes     float64 // measured window / token lifetime
	startupCalls  int64   // authenticate calls before every worker was ready
	calls         int64   // authenticate calls in the measured window
	rateLimited   int64   // 429s the simulator sent (whole run)
	unauthorized  int64   // 401s from authenticate (whole run)
	tokenExpired  int64   // 403 Token Expired from the protected call (whole run)
	ok, failed    int64   // protected calls, from the workers' reports
	errors        map[string]int
	killedAfter   time.Duration // faultHolderKilled: from the kill to the next token issued
	workersExited int           // workers that reported done
	bursts        []int64       // authenticate calls in the window, grouped by refresh
}

func (r result) perLifetime() float64 {
	if r.lifetimes == 0 {
		return 0
	}
	return float64(r.calls) / r.lifetimes
}

// worker is one started worker process.
type worker struct {
	id     int
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	events chan event // closed when stdout ends
}

// credentials for the simulator and the workers: random per run.
type credentials struct {
	username, password string
	secret, key        []byte
}

func newCredentials() credentials {
	b := make([]byte, 96)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return credentials{
		username: "fleet-" + hex.EncodeToString(b[:4]),
		password: "P-" + hex.EncodeToString(b[4:14]),
		secret:   b[32:64],
		key:      b[64:96],
	}
}

// start runs worker id with args and the credentials in its environment (the
// password in the environment of our own children only, never on a command line).
func (c Config) start(ctx context.Context, id int, creds credentials, password string, args ...string) (*worker, error) {
	cmd := c.Worker(append([]string{"-id", strconv.Itoa(id)}, args...)...)
	cmd.Env = append(cmd.Environ(),
		envUsername+"="+creds.username,
		envPassword+"="+password,
		envSecret+"="+hex.EncodeToString(creds.secret),
		envEncryptionKey+"="+hex.EncodeToString(creds.key),
	)
	cmd.Stderr = c.Log
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	w := &worker{id: id, cmd: cmd, stdin: stdin, events: make(chan event, 16)}
	go func() {
		defer close(w.events)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			var e event
			if json.Unmarshal(sc.Bytes(), &e) == nil {
				select {
				case w.events <- e:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return w, nil
}

// fanIn merges the workers' events into one channel, closed when every worker's
// stdout has ended (or ctx has, whichever is first).
func fanIn(ctx context.Context, ws []*worker) <-chan event {
	out := make(chan event, 64)
	var wg sync.WaitGroup
	for _, w := range ws {
		wg.Go(func() {
			for e := range w.events {
				select {
				case out <- e:
				case <-ctx.Done():
					return
				}
			}
		})
	}
	go func() { wg.Wait(); close(out) }()
	return out
}

// stopAll closes every worker's stdin, collects their final reports until grace
// passes, then kills whatever still runs and reaps every process.
func stopAll(ws []*worker, events <-chan event, grace time.Duration, res *result) {
	for _, w := range ws {
		_ = w.stdin.Close()
	}
	timer := time.NewTimer(grace)
	defer timer.Stop()
	res.errors = map[string]int{}
collect:
	for {
		select {
		case e, ok := <-events:
			if !ok {
				break collect
			}
			if e.Event == eventDone {
				res.workersExited++
				res.ok += e.OK
				res.failed += e.Failed
				for msg, n := range e.Errors {
					res.errors[msg] += n
				}
			}
		case <-timer.C:
			break collect
		}
	}
	for _, w := range ws {
		_ = w.cmd.Process.Kill()
		_ = w.cmd.Wait()
	}
}

// burstGap separates refreshes: calls closer together belong to one.
const burstGap = time.Second

// errNotReady is returned when the workers did not all make a successful call in time.
var errNotReady = errors.New("fleet: workers not ready in time")

// fleetRun starts the simulator (and Redis), N workers, measures, and stops them all.
func (c Config) fleetRun(ctx context.Context, r run) (res result, err error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	creds := newCredentials()
	sim, err := startSimulator(creds.username, creds.password, c.TokenTTL)
	if err != nil {
		return res, err
	}
	defer sim.close()

	args := []string{"-sim", sim.url, "-store", r.store, "-token-ttl", c.TokenTTL.String(),
		"-max-run", (time.Duration(r.lifetimes+4)*c.TokenTTL + time.Minute).String()}
	if c.Agent {
		args = append(args, "-agent")
	}
	var rs *redistest.Server
	if r.store == "redis" {
		if rs, err = redistest.Start(ctx); err != nil {
			return res, err
		}
		defer rs.Close()
		args = append(args, "-redis", rs.Addr)
	}
	password := creds.password
	if r.fault == faultBadPassword {
		password = "wrong-" + creds.password[:8]
	}

	res.processes = c.Processes
	ws := make([]*worker, 0, c.Processes)
	defer func() {
		for _, w := range ws { // on early return; stopAll has reaped them otherwise
			_ = w.cmd.Process.Kill()
			_ = w.cmd.Wait()
		}
	}()
	for i := range c.Processes {
		a := args
		if r.fault == faultHolderKilled && i == 0 {
			a = append(append([]string(nil), args...), "-hold")
		}
		w, err := c.start(ctx, i, creds, password, a...)
		if err != nil {
			return res, err
		}
		ws = append(ws, w)
	}
	events := fanIn(ctx, ws)
	stop := func(grace time.Duration) {
		stopAll(ws, events, grace, &res)
		ws = nil
	}

	if r.fault == faultBadPassword {
		// Nobody becomes ready: give every worker time to try (a lease's life and
		// more) and count what reached the simulator.
		wait(ctx, 3*leaseTTL(c.TokenTTL))
		st := sim.stats()
		stop(10 * time.Second)
		res.calls, res.unauthorized, res.rateLimited = st.authenticate, st.unauthorized, st.rateLimited
		return res, ctx.Err()
	}

	// Warm-up: every worker has made one successful protected call.
	readyBy := time.NewTimer(30*time.Second + c.TokenTTL)
	defer readyBy.Stop()
	for ready := 0; ready < c.Processes; {
		select {
		case e, ok := <-events:
			if !ok {
				stop(0)
				return res, fmt.Errorf("%w: every worker exited, %d had been ready", errNotReady, ready)
			}
			if e.Event == eventReady {
				ready++
			}
		case <-readyBy.C:
			stop(5 * time.Second)
			return res, fmt.Errorf("%w: %d of %d ready", errNotReady, ready, c.Processes)
		case <-ctx.Done():
			stop(5 * time.Second)
			return res, ctx.Err()
		}
	}
	start := sim.stats()
	res.startupCalls = start.authenticate
	fmt.Fprintf(c.Log, "fleet: %s run: %d workers ready after %d authenticate calls; measuring %d lifetimes of %v\n",
		r.store, c.Processes, start.authenticate, r.lifetimes, c.TokenTTL)

	window := time.Duration(r.lifetimes) * c.TokenTTL
	t0 := time.Now()
	deadline := time.NewTimer(window)
	defer deadline.Stop()
	var killAt, restartAt <-chan time.Time
	if r.fault == faultRedisKilled {
		k, rr := time.NewTimer(window/3), time.NewTimer(2*window/3)
		defer k.Stop()
		defer rr.Stop()
		killAt, restartAt = k.C, rr.C
	}
	var killed time.Time
	refreshed := make(chan time.Duration, 1) // faultHolderKilled: kill to next token
	// Sample the simulator's counter (in-process, cheap) to group the window's
	// authenticate calls by refresh: calls less than burstGap apart are one burst.
	sample := time.NewTicker(20 * time.Millisecond)
	defer sample.Stop()
	last, lastAt := start.authenticate, time.Time{}
	live := events // nil once every worker's stdout has ended
measure:
	for {
		select {
		case <-deadline.C:
			break measure
		case <-ctx.Done():
			stop(5 * time.Second)
			return res, ctx.Err()
		case now := <-sample.C:
			if n := sim.stats().authenticate; n > last {
				if len(res.bursts) == 0 || now.Sub(lastAt) > burstGap {
					res.bursts = append(res.bursts, 0)
				}
				res.bursts[len(res.bursts)-1] += n - last
				last, lastAt = n, now
			}
		case <-killAt:
			fmt.Fprintf(c.Log, "fleet: killing redis at %v\n", time.Since(t0).Round(time.Millisecond))
			rs.Kill()
		case <-restartAt:
			fmt.Fprintf(c.Log, "fleet: restarting redis at %v\n", time.Since(t0).Round(time.Millisecond))
			if err := rs.Restart(ctx); err != nil {
				stop(5 * time.Second)
				return res, err
			}
		case e, ok := <-live:
			if !ok {
				live = nil
				continue
			}
			if e.Event == eventRefreshing && r.fault == faultHolderKilled && killed.IsZero() {
				killed = time.Now()
				issuedAtKill := sim.stats().tokensIssued
				_ = ws[e.Worker].cmd.Process.Kill()
				fmt.Fprintf(c.Log, "fleet: killed worker %d holding the refresh lease at %v\n", e.Worker, time.Since(t0).Round(time.Millisecond))
				go func() {
					// Time until the fleet's next token: poll the simulator's counter
					// (in-process, cheap), bounded by the window.
					tick := time.NewTicker(10 * time.Millisecond)
					defer tick.Stop()
					for range tick.C {
						if sim.stats().tokensIssued > issuedAtKill {
							refreshed <- time.Since(killed)
							return
						}
						if time.Since(killed) > window || ctx.Err() != nil {
							return
						}
					}
				}()
			}
		}
	}
	select {
	case res.killedAfter = <-refreshed:
	default:
	}
	end := sim.stats()
	res.lifetimes = float64(time.Since(t0)) / float64(c.TokenTTL)
	res.calls = end.authenticate - start.authenticate
	res.rateLimited, res.unauthorized, res.tokenExpired = end.rateLimited, end.unauthorized, end.tokenExpired
	stop(10 * time.Second)
	return res, nil
}

// wait returns after d or when ctx ends.
func wait(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
