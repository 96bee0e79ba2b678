package cmdmain

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
)

// ExitUsage is the exit code of a usage error, or of input refused before anything
// was sent.
const ExitUsage = 2

// Environ is the process environment a command may use, injectable for tests.
type Environ struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Getenv         func(string) string
}

// OSEnviron is the real process environment.
func OSEnviron() Environ {
	return Environ{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}
}

// Command is one subcommand: Run gets the arguments after its name and returns the
// process exit code. The same command files build into csconnect and into the
// helper binaries it executes (csconnect-agent, csconnect-conformance).
type Command struct {
	Summary string
	Run     func(ctx context.Context, args []string, env Environ) int
}

// Dispatch runs the command of commands that args[0] names with the rest of args.
// No argument prints usage and an unknown name an error, both to env.Stderr with
// ExitUsage; prog prefixes the error.
func Dispatch(ctx context.Context, prog, usage string, commands map[string]Command, args []string, env Environ) int {
	if len(args) == 0 {
		fmt.Fprintln(env.Stderr, usage)
		return ExitUsage
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(env.Stderr, "%s: unknown command %q\n", prog, args[0])
		return ExitUsage
	}
	return cmd.Run(ctx, args[1:], env)
}

// ParseFlags parses args with fs, whose -h prints usage and then fs's defaults to
// stderr. It reports whether the command goes on; when not, code is its exit code:
// 0 after -h, ExitUsage after a bad flag (which fs has described).
func ParseFlags(fs *flag.FlagSet, args []string, usage string, stderr io.Writer) (code int, ok bool) {
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0, false
		}
		return ExitUsage, false
	}
	return 0, true
}
