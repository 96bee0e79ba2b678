// Package cmdmain is the process-level behaviour shared by the csconnect binaries
// (cmd/csconnect and the helpers it runs, csconnect-agent and
// csconnect-conformance): the command table and its environment, flag parsing with
// usage, and how the first and second SIGINT or SIGTERM end a command.
package cmdmain

import (
	"context"
	"fmt"
	"io"
	"os"
	"syscall"
	"time"
)

// Exit codes for a command stopped by a signal: the shell's 128 + signal number.
const (
	ExitInterrupted = 130 // SIGINT: 128 + 2
	ExitTerminated  = 143 // SIGTERM: 128 + 15
)

// StoppedBy is the cause of the context RunUntilSignal cancels: the signal that
// stopped the command.
type StoppedBy struct{ Signal os.Signal }

func (s StoppedBy) Error() string { return fmt.Sprintf("stopped by %v", s.Signal) }

// RunUntilSignal runs work in a goroutine and returns its exit code, or, on the
// first signal from sigs, cancels its context (with a StoppedBy cause) and returns
// the signal's exit code (0 if the work then returns 0) once the work returns,
// grace has passed, or a second signal arrives, whichever is first. The work is not
// waited for beyond that: the caller exits, however it is stuck. Messages about
// giving up go to stderr, prefixed with name.
func RunUntilSignal(name string, stderr io.Writer, sigs <-chan os.Signal, grace time.Duration, work func(context.Context) int) int {
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	done := make(chan int, 1)
	go func() { done <- work(ctx) }()
	var sig os.Signal
	select {
	case code := <-done:
		return code
	case sig = <-sigs:
	}
	cancel(StoppedBy{sig})
	code := ExitInterrupted
	if sig == syscall.SIGTERM {
		code = ExitTerminated
	}
	timer := time.NewTimer(grace)
	defer timer.Stop()
	select {
	case c := <-done:
		if c == 0 {
			return 0 // finished, or stopped cleanly (sim, agent)
		}
	case <-sigs:
		fmt.Fprintf(stderr, "%s: second %v: exiting now\n", name, sig)
	case <-timer.C:
		fmt.Fprintf(stderr, "%s: still busy %v after %v: exiting now\n", name, grace, sig)
	}
	return code
}
