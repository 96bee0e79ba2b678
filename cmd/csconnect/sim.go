package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/csconnect/csconnect/conformance/simulator"
	"github.com/csconnect/csconnect/internal/cmdmain"
)

func init() {
	commands["sim"] = command{
		Summary: "run the Creditsafe CONNECT simulator (POST /v1/authenticate, GET /datecheck/company)",
		Run:     runSim,
	}
}

// runSim serves the simulator until ctx ends (SIGINT or SIGTERM). Its stdout is
// exactly one line, the address it bound as host:port (so "--addr 127.0.0.1:0"
// lets a script start it on a free port and read where); everything else goes to
// stderr. Exit codes: 0 after a clean stop, 1 when the address cannot be served,
// 2 on a usage error.
func runSim(ctx context.Context, args []string, env environ) int {
	fs := flag.NewFlagSet("csconnect sim", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on; port 0 picks a free one (stdout's first line says which)")
	username := fs.String("username", "", "the accepted username (default $CREDITSAFE_USERNAME)")
	password := fs.String("password", "", "the accepted password (default $CREDITSAFE_PASSWORD; prefer the variable: flags show in process lists)")
	ttl := fs.Duration("token-ttl", simulator.DefaultTokenTTL, "lifetime of issued tokens")
	total := fs.Int("total-limit", simulator.DefaultTotalLimit, "authenticate requests allowed per 5 minutes before the endpoint locks")
	unauth := fs.String("unauthorized", "text", "shape of 401 from authenticate: text, json or alternate")
	expired := fs.String("token-expired", "text", "shape of 403 Token Expired: text, envelope, error or alternate")
	const usage = "usage: csconnect sim [--addr 127.0.0.1:8080] [--username U] [--password P] [--token-ttl 1h] [--unauthorized text] [--token-expired text]\n"
	if code, ok := cmdmain.ParseFlags(fs, args, usage, env.Stderr); !ok {
		return code
	}
	if *username == "" {
		*username = env.Getenv("CREDITSAFE_USERNAME")
	}
	if *password == "" {
		*password = env.Getenv("CREDITSAFE_PASSWORD")
	}
	unauthFmt, unauthErr := simulator.ParseUnauthorizedFormat(*unauth)
	expiredFmt, expiredErr := simulator.ParseTokenExpiredFormat(*expired)
	switch {
	case *username == "" || *password == "":
		fmt.Fprintln(env.Stderr, "csconnect sim: a username and password are required (--username/--password or CREDITSAFE_USERNAME/CREDITSAFE_PASSWORD)")
		return exitUsage
	case unauthErr != nil:
		fmt.Fprintf(env.Stderr, "csconnect sim: --unauthorized: %v\n", unauthErr)
		return exitUsage
	case expiredErr != nil:
		fmt.Fprintf(env.Stderr, "csconnect sim: --token-expired: %v\n", expiredErr)
		return exitUsage
	case *ttl <= 0 || *total <= 0:
		fmt.Fprintln(env.Stderr, "csconnect sim: --token-ttl and --total-limit must be positive")
		return exitUsage
	}
	sim, err := simulator.New(simulator.Options{
		Username: *username, Password: *password, TokenTTL: *ttl, TotalLimit: *total,
		Unauthorized: unauthFmt, TokenExpired: expiredFmt,
	})
	if err != nil {
		fmt.Fprintf(env.Stderr, "csconnect sim: %v\n", err)
		return 1
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintf(env.Stderr, "csconnect sim: %v\n", err)
		return 1
	}
	srv := &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	bound := ln.Addr().String()
	fmt.Fprintln(env.Stdout, bound)
	base := "http://" + bound
	fmt.Fprintf(env.Stderr, "csconnect sim: listening on %s\n", base)
	for _, p := range []string{"POST /v1/authenticate", "GET  /datecheck/company", "GET  /_sim/stats", "POST /_sim/faults", "POST /_sim/clock", "POST /_sim/reset", "GET  /_sim/openapi.yaml (this control API's OpenAPI document)"} {
		method, path, _ := strings.Cut(p, " /")
		fmt.Fprintf(env.Stderr, "  %s %s/%s\n", method, base, path)
	}

	select {
	case err := <-done:
		fmt.Fprintf(env.Stderr, "csconnect sim: %v\n", err)
		return 1
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		srv.Close()
	}
	fmt.Fprintln(env.Stderr, "csconnect sim: stopped")
	return 0
}
