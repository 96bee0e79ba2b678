package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"time"

	"github.com/csconnect/csconnect/internal/cmdmain"
	"github.com/csconnect/csconnect/internal/fleet"
)

// Exit codes of `csconnect fleet`: 0 the targets were met, 1 a target was missed or
// the run failed, 2 usage.
func init() {
	commands["fleet"] = command{Run: runFleet} // its summary is cmd/csconnect's, which lists it
}

func runFleet(ctx context.Context, args []string, env environ) int {
	if len(args) > 0 && args[0] == "worker" {
		return fleet.WorkerMain(ctx, args[1:], env.Getenv, env.Stdin, env.Stdout, env.Stderr)
	}
	fs := flag.NewFlagSet("fleet", flag.ContinueOnError)
	n := fs.Int("n", envInt(env, "FLEET_N", 20), "number of worker processes (env FLEET_N)")
	lifetimes := fs.Int("lifetimes", envInt(env, "FLEET_LIFETIMES", 5), "token lifetimes measured (env FLEET_LIFETIMES)")
	ttl := fs.Duration("token-ttl", 15*time.Second, "the simulator's token lifetime")
	faults := fs.Bool("faults", false, "run the fault scenarios instead: redis killed, lease holder killed, bad password")
	agentMode := fs.Bool("agent", env.Getenv("FLEET_MODE") == "agent", "workers are csconnect agents, called over HTTP (env FLEET_MODE=agent)")
	verbose := fs.Bool("v", false, "show progress and the workers' logs on stderr")
	const usage = "usage: csconnect fleet [flags]\n\nRuns the fleet demonstration: N processes, the Redis store, the simulator, all on loopback.\nThe last line is: processes=N lifetimes=L authenticate_calls=C per_lifetime=R\n\nflags:\n"
	if code, ok := cmdmain.ParseFlags(fs, args, usage, env.Stderr); !ok {
		return code
	}
	if *n < 1 || *lifetimes < 1 || *ttl < 2*time.Second {
		fmt.Fprintln(env.Stderr, "csconnect fleet: -n and -lifetimes must be positive and -token-ttl at least 2s")
		return exitUsage
	}
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintf(env.Stderr, "csconnect fleet: %v\n", err)
		return 1
	}
	cfg := fleet.Config{
		Processes: *n,
		Lifetimes: *lifetimes,
		TokenTTL:  *ttl,
		Worker:    func(a ...string) *exec.Cmd { return exec.Command(self, append([]string{"fleet", "worker"}, a...)...) },
		Out:       env.Stdout,
		Agent:     *agentMode,
	}
	if *verbose {
		cfg.Log = env.Stderr
	}
	run := fleet.Demo
	if *faults {
		run = fleet.Faults
	}
	if err := run(ctx, cfg); err != nil {
		fmt.Fprintf(env.Stderr, "csconnect fleet: %v\n", err)
		return 1
	}
	return 0
}

// envInt reads a positive integer from the environment, or returns def.
func envInt(env environ, name string, def int) int {
	if v, err := strconv.Atoi(env.Getenv(name)); err == nil {
		return v
	}
	return def
}
