// Command csconnect-agent is `csconnect agent`, which executes it with the same
// arguments: on Unix csconnect becomes this process (execve), so its pid, signals
// and exit code are the agent's own. It is a binary of its own because the agent
// links the OpenTelemetry Prometheus exporter and prometheus/client_golang, whose
// package init costs about 4 ms and 2,000 allocations at process start; linked into
// csconnect, every `csconnect token` would pay that. Install both with
// `go install ./cmd/...`; csconnect looks for this one at $CSCONNECT_AGENT, beside
// its own executable, then on $PATH.
//
// Usage, flags and exit codes are those of `csconnect agent` (run it with -h):
//
//	csconnect-agent agent [flags]
//
// SIGHUP re-reads the password file. On the first SIGINT or SIGTERM the agent stops
// accepting and drains the requests in flight, then exits 0; 130 or 143 if it
// cannot within 2 seconds, or at once on a second signal.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/csconnect/csconnect/internal/cmdmain"
)

// command and environ are cmd/csconnect's (internal/cmdmain): agent.go runs
// unchanged in either binary.
type (
	command = cmdmain.Command
	environ = cmdmain.Environ
)

var commands = map[string]command{}

const exitUsage = cmdmain.ExitUsage

// shutdownGrace is cmd/csconnect's: how long the agent may drain after the first
// SIGINT or SIGTERM before the process exits regardless.
const shutdownGrace = 2 * time.Second

func main() {
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	env := cmdmain.OSEnviron()
	os.Exit(cmdmain.RunUntilSignal("csconnect", env.Stderr, sigs, shutdownGrace, func(ctx context.Context) int {
		return run(ctx, os.Args[1:], env)
	}))
}

func run(ctx context.Context, args []string, env environ) int {
	return cmdmain.Dispatch(ctx, "csconnect-agent", "usage: csconnect-agent agent|fleet [flags] (see csconnect agent -h, csconnect fleet -h)", commands, args, env)
}
