package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
)

func init() {
	commands["conformance"] = command{
		summary: "run the conformance suite (embedded simulator by default; --live for the real service); diff OLD NEW compares fixtures",
		run:     runConformance,
	}
}

// conformanceHelper is the binary that runs `csconnect conformance`
// (cmd/csconnect-conformance). The suite needs kin-openapi, whose package init costs
// milliseconds; kept out of this binary, `csconnect token` does not pay it at start.
const conformanceHelper = "csconnect-conformance"

// runConformance executes the helper with "conformance" and args, sharing stdin,
// stdout and stderr, and returns its exit code. The helper is $CSCONNECT_CONFORMANCE
// when set, else the one beside this executable, else the one on $PATH. Cancelling
// ctx sends it SIGTERM.
func runConformance(ctx context.Context, args []string, env environ) int {
	bin, err := findConformanceHelper(env)
	if err != nil {
		fmt.Fprintf(env.stderr, "csconnect conformance: %v; install it with `go install github.com/csconnect/csconnect/cmd/...` (or set CSCONNECT_CONFORMANCE to its path)\n", err)
		return exitUsage
	}
	cmd := exec.CommandContext(ctx, bin, append([]string{"conformance"}, args...)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = env.stdin, env.stdout, env.stderr
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = shutdownGrace
	err = cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exit) && exit.ExitCode() >= 0:
		return exit.ExitCode()
	case ctx.Err() != nil:
		return exitInterrupted
	default:
		fmt.Fprintf(env.stderr, "csconnect conformance: %v\n", err)
		return exitUsage
	}
}

func findConformanceHelper(env environ) (string, error) {
	if p := env.getenv("CSCONNECT_CONFORMANCE"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("CSCONNECT_CONFORMANCE: %w", err)
		}
		return p, nil
	}
	if self, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(self), conformanceHelper)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	p, err := exec.LookPath(conformanceHelper)
	if err != nil {
		return "", fmt.Errorf("%s not found beside csconnect nor on $PATH", conformanceHelper)
	}
	return p, nil
}
