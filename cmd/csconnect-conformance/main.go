// Command csconnect-conformance runs the conformance suite: `csconnect conformance`
// executes it with the same arguments. It is a binary of its own because the suite
// validates every exchange with kin-openapi, whose JSON Schema compiler costs about
// 5 ms and 22,000 allocations at process start; linked into csconnect, every
// `csconnect token` would pay that. Install both with `go install ./cmd/...`;
// csconnect looks for this one beside its own executable, then on $PATH.
//
// Usage, flags and exit codes are those of `csconnect conformance` (run it with -h):
//
//	csconnect-conformance conformance [flags]
//	csconnect-conformance conformance diff OLD NEW
//
// On the first SIGINT or SIGTERM the run's context is cancelled and the process
// exits with 130 or 143 once the run returns; on a second signal, at once.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/csconnect/csconnect/internal/cmdmain"
)

// command and environ are cmd/csconnect's (internal/cmdmain): the conformance files
// run unchanged in either binary.
type (
	command = cmdmain.Command
	environ = cmdmain.Environ
)

var commands = map[string]command{}

const (
	exitUsage       = cmdmain.ExitUsage
	exitInterrupted = cmdmain.ExitInterrupted
	exitTerminated  = cmdmain.ExitTerminated
)

func main() {
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	env := cmdmain.OSEnviron()
	ctx, cancel := context.WithCancelCause(context.Background())
	done := make(chan int, 1)
	go func() { done <- run(ctx, os.Args[1:], env) }()
	select {
	case code := <-done:
		os.Exit(code)
	case sig := <-sigs:
		cancel(cmdmain.StoppedBy{Signal: sig})
		code := exitInterrupted
		if sig == syscall.SIGTERM {
			code = exitTerminated
		}
		select {
		case <-done:
		case <-sigs:
		}
		os.Exit(code)
	}
}

func run(ctx context.Context, args []string, env environ) int {
	return cmdmain.Dispatch(ctx, "csconnect-conformance", "usage: csconnect-conformance conformance [flags] (see csconnect conformance -h)", commands, args, env)
}
