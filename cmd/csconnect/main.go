// Command csconnect is the command-line face of the csconnect client: it prints a
// token for shell users, runs the Creditsafe CONNECT simulator, and runs the
// conformance suite. Each subcommand is thin over pkg/ and conformance/.
//
// Exit codes shared by every subcommand: 0 success, 2 usage error or input refused
// before anything was sent. Subcommands document their other codes.
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
)

// command is one subcommand: run gets the arguments after its name and returns the
// process exit code.
type command struct {
	summary string
	run     func(ctx context.Context, args []string, env environ) int
}

// environ is the process environment a subcommand may use, injectable for tests.
type environ struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
}

// commands is filled by the init functions of the files named after each subcommand.
var commands = map[string]command{}

const exitUsage = 2

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], environ{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv})
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, env environ) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(env.stderr)
		if len(args) == 0 {
			return exitUsage
		}
		return 0
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(env.stderr, "csconnect: unknown command %q\n", args[0])
		usage(env.stderr)
		return exitUsage
	}
	return cmd.run(ctx, args[1:], env)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: csconnect <command> [flags]\n\ncommands:")
	for _, name := range slices.Sorted(maps.Keys(commands)) {
		fmt.Fprintf(w, "  %-12s %s\n", name, commands[name].summary)
	}
	fmt.Fprintln(w, "\nRun 'csconnect <command> -h' for a command's flags.")
}
