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
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// command and environ are cmd/csconnect's: the conformance files run unchanged in
// either binary.
type command struct {
	summary string
	run     func(ctx context.Context, args []string, env environ) int
}

type environ struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
}

var commands = map[string]command{}

const (
	exitUsage       = 2
	exitInterrupted = 130 // SIGINT: 128 + 2
	exitTerminated  = 143 // SIGTERM: 128 + 15
)

func main() {
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	env := environ{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}
	ctx, cancel := context.WithCancelCause(context.Background())
	done := make(chan int, 1)
	go func() { done <- run(ctx, os.Args[1:], env) }()
	select {
	case code := <-done:
		os.Exit(code)
	case sig := <-sigs:
		cancel(fmt.Errorf("stopped by %v", sig))
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
	if len(args) == 0 {
		fmt.Fprintln(env.stderr, "usage: csconnect-conformance conformance [flags] (see csconnect conformance -h)")
		return exitUsage
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(env.stderr, "csconnect-conformance: unknown command %q\n", args[0])
		return exitUsage
	}
	return cmd.run(ctx, args[1:], env)
}
