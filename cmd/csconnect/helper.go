package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/csconnect/csconnect/internal/cmdmain"
)

// helper is a subcommand that runs in a binary of its own, because what it links
// (kin-openapi for conformance, the Prometheus exporter for agent) costs
// milliseconds of package init at every start: kept out of csconnect, `csconnect
// token` does not pay it. `csconnect SUB ARGS` runs `BIN SUB ARGS`.
type helper struct {
	bin    string // executable name: beside csconnect, or on $PATH
	sub    string // the subcommand, the helper's first argument
	envVar string // when set, the helper's path
}

var (
	conformanceHelper = helper{bin: "csconnect-conformance", sub: "conformance", envVar: "CSCONNECT_CONFORMANCE"}
	agentHelper       = helper{bin: "csconnect-agent", sub: "agent", envVar: "CSCONNECT_AGENT"}
	// fleetHelper: the fleet demonstration runs agents in its workers, so it is
	// csconnect-agent's too; its workers are that binary again.
	fleetHelper = helper{bin: "csconnect-agent", sub: "fleet", envVar: "CSCONNECT_AGENT"}
)

// forwardedSignals are what runChild passes on to the helper when it cannot
// become it: SIGHUP (the agent re-reads its password file) and the stop signals.
var forwardedSignals = []os.Signal{syscall.SIGHUP, os.Interrupt, syscall.SIGTERM}

// errNoExec is execHelper's answer where the process cannot replace itself.
var errNoExec = errors.New("exec is not available on this system")

// run runs the helper with args and returns its exit code. Run from main (env is
// the process's own stdin, stdout and stderr), csconnect becomes the helper
// (execve on Unix): its pid, signals, stdio and exit code are the helper's own,
// with nothing between them and the caller. Otherwise (tests, or no exec) the
// helper is a child sharing env's stdio; see runChild.
func (h helper) run(ctx context.Context, args []string, env environ) int {
	bin, err := h.find(env)
	if err != nil {
		fmt.Fprintf(env.Stderr, "csconnect %s: %v; install it with `go install github.com/csconnect/csconnect/cmd/...` (or set %s to its path)\n", h.sub, err, h.envVar)
		return exitUsage
	}
	argv := append([]string{h.bin, h.sub}, args...)
	if isProcess(env) {
		err := execHelper(bin, argv)
		if !errors.Is(err, errNoExec) {
			fmt.Fprintf(env.Stderr, "csconnect %s: %v\n", h.sub, err)
			return 1
		}
	}
	return runChild(ctx, bin, argv[1:], env)
}

// find returns the helper's path: $envVar when set, else the one beside this
// executable, else the one on $PATH.
func (h helper) find(env environ) (string, error) {
	if p := env.Getenv(h.envVar); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("%s: %w", h.envVar, err)
		}
		return p, nil
	}
	if self, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(self), h.bin)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	p, err := exec.LookPath(h.bin)
	if err != nil {
		return "", fmt.Errorf("%s not found beside csconnect nor on $PATH", h.bin)
	}
	return p, nil
}

// runChild runs bin with args as a child sharing env's stdin, stdout and stderr,
// and returns its exit code. When env is the process's, SIGHUP, SIGINT and SIGTERM
// are passed on to the child as they arrive. Cancelling ctx otherwise than by one
// of those signals (main's context carries a cmdmain.StoppedBy cause then) sends
// the child SIGTERM; it is killed if it has not exited shutdownGrace later.
func runChild(ctx context.Context, bin string, args []string, env environ) int {
	cmd := exec.Command(bin, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = env.Stdin, env.Stdout, env.Stderr
	var sigs chan os.Signal
	if isProcess(env) {
		sigs = make(chan os.Signal, 4)
		signal.Notify(sigs, forwardedSignals...)
		defer signal.Stop(sigs)
	}
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(env.Stderr, "csconnect: %v\n", err)
		return exitUsage
	}
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	done := ctx.Done()
	var kill <-chan time.Time
	for {
		select {
		case err := <-waited:
			var exit *exec.ExitError
			switch {
			case err == nil:
				return 0
			case errors.As(err, &exit) && exit.ExitCode() >= 0:
				return exit.ExitCode()
			case ctx.Err() != nil:
				return exitInterrupted
			default:
				fmt.Fprintf(env.Stderr, "csconnect: %v\n", err)
				return 1
			}
		case s := <-sigs:
			_ = cmd.Process.Signal(s)
		case <-done:
			done = nil
			if sigs == nil || !errors.As(context.Cause(ctx), new(cmdmain.StoppedBy)) {
				_ = cmd.Process.Signal(syscall.SIGTERM)
			}
			t := time.NewTimer(shutdownGrace)
			defer t.Stop()
			kill = t.C
		case <-kill:
			kill = nil
			_ = cmd.Process.Kill()
		}
	}
}

// isProcess reports whether env is the process's own stdio, as main passes it.
func isProcess(env environ) bool {
	return env.Stdin == os.Stdin && env.Stdout == os.Stdout && env.Stderr == os.Stderr
}
