// Command csconnect is the command-line face of the csconnect client: it prints a
// token for shell users, runs the Creditsafe CONNECT simulator, and runs the
// conformance suite. Each subcommand is thin over pkg/ and conformance/.
//
// Exit codes shared by every subcommand: 0 success, 2 usage error or input refused
// before anything was sent, 130 stopped by SIGINT and 143 stopped by SIGTERM (the
// shell's 128 + signal number). Subcommands document their other codes.
//
// On the first SIGINT or SIGTERM the subcommand's context is cancelled; the process
// exits with 130 or 143 as soon as the subcommand returns (0 if it returns 0, as
// sim does after a clean stop), and at the latest 2 seconds later, or at once on
// a second signal, whatever the subcommand is doing.
package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"os/signal"
	"slices"
	"syscall"
	"time"

	"github.com/csconnect/csconnect/internal/cmdmain"
)

// command is one subcommand and environ the process environment it may use
// (internal/cmdmain, shared with the helper binaries).
type (
	command = cmdmain.Command
	environ = cmdmain.Environ
)

// commands is filled by the init functions of the files named after each subcommand.
var commands = map[string]command{}

const (
	exitUsage       = cmdmain.ExitUsage
	exitInterrupted = cmdmain.ExitInterrupted
	exitTerminated  = cmdmain.ExitTerminated
)

// shutdownGrace is how long a subcommand may take to return after the first SIGINT
// or SIGTERM cancelled its context: long enough for sim to finish its in-flight
// requests, short enough that the user does not reach for SIGKILL.
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
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(env.Stderr)
		if len(args) == 0 {
			return exitUsage
		}
		return 0
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(env.Stderr, "csconnect: unknown command %q\n", args[0])
		usage(env.Stderr)
		return exitUsage
	}
	return cmd.Run(ctx, args[1:], env)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: csconnect <command> [flags]\n\ncommands:")
	for _, name := range slices.Sorted(maps.Keys(commands)) {
		fmt.Fprintf(w, "  %-12s %s\n", name, commands[name].Summary)
	}
	fmt.Fprintln(w, "\nRun 'csconnect <command> -h' for a command's flags.")
}
