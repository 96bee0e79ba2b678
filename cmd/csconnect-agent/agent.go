package main

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/csconnect/csconnect/internal/agent"
	"github.com/csconnect/csconnect/internal/cmdmain"
)

func init() {
	commands["agent"] = command{Run: runAgent} // its summary is cmd/csconnect's, which lists it
}

const agentUsage = `usage: csconnect agent [--listen 127.0.0.1:8787 | --listen unix:PATH] [--route PREFIX=URL]...
       [--password-file PATH] [--token-file PATH] [--expose-token]
       [--redis URL --redis-secret-file PATH | --cache-dir DIR]
       [--allow-remote --client-token-file PATH]

Listens on loopback and forwards requests under each prefix to Creditsafe with the
token attached (default /connect/ → https://connect.creditsafe.com/v1/ and /se/ →
https://se-webservice.apps.creditsafe.com/). Send no Authorization: the agent
authenticates once per token lifetime for all its clients. Its own endpoints are
under /_agent/ (healthz, readyz, metrics, openapi.yaml, token with --expose-token).

Credentials: CREDITSAFE_USERNAME, and CREDITSAFE_PASSWORD or --password-file (its
first line; re-read on SIGHUP). CREDITSAFE_BASE_URL sets the authenticate URL.
Stdout's first line is the address it listens on. SIGTERM or SIGINT stops
accepting and drains the requests in flight. Exit codes: 0 clean stop, 1 cannot
serve, 2 usage error or input refused.

flags:
`

// agentDrain is how long the agent waits for requests in flight after SIGTERM:
// within main's shutdownGrace, which ends the process regardless.
const agentDrain = shutdownGrace - 200*time.Millisecond

// maxSecretFile bounds what a password, secret or client-token file may hold.
const maxSecretFile = 4 << 10

// routeFlags collects the --route values, parsed after the flags: an error from
// Set would make the flag package print the value, and a route URL may carry a
// password (which agent.ParseRoute refuses without repeating).
type routeFlags []string

func (r *routeFlags) String() string     { return fmt.Sprint(len(*r), " routes") }
func (r *routeFlags) Set(s string) error { *r = append(*r, s); return nil }

// runAgent is `csconnect agent`.
func runAgent(ctx context.Context, args []string, env environ) int {
	fs := flag.NewFlagSet("agent", flag.ContinueOnError)
	listen := fs.String("listen", agent.DefaultListen, "address to listen on: host:port (port 0 picks one) or unix:PATH")
	var routeArgs routeFlags
	fs.Var(&routeArgs, "route", "PREFIX=URL to forward (repeatable; replaces the defaults); https, or http to loopback")
	authURL := fs.String("base-url", "", "authenticate base URL (default $CREDITSAFE_BASE_URL, else live)")
	passwordFile := fs.String("password-file", "", "read the password from this file's first line (re-read on SIGHUP)")
	tokenFile := fs.String("token-file", "", "write the token here (atomically, 0600) at every renewal")
	exposeToken := fs.Bool("expose-token", false, "serve the raw token at GET /_agent/token")
	redisURL := fs.String("redis", "", "share tokens and the guard through Redis (redis://host:port/db)")
	redisSecretFile := fs.String("redis-secret-file", "", "the fleet's fingerprint secret (32+ bytes), required with --redis")
	cacheDir := fs.String("cache-dir", "", "local store directory when not using Redis (default the user cache dir/csconnect)")
	allowRemote := fs.Bool("allow-remote", false, "allow a non-loopback --listen (requires --client-token-file)")
	clientTokenFile := fs.String("client-token-file", "", "clients must send this file's first line in "+agent.ClientTokenHeader)
	maxBody := fs.Int64("max-body", agent.DefaultMaxRequestBody, "largest request body in bytes")
	timeout := fs.Duration("timeout", agent.DefaultRequestTimeout, "bound of one forwarded request")
	verbose := fs.Bool("v", false, "log at debug level on stderr")
	if code, ok := cmdmain.ParseFlags(fs, args, agentUsage, env.Stderr); !ok {
		return code
	}
	usageErr := func(format string, a ...any) int {
		fmt.Fprintf(env.Stderr, "csconnect agent: "+format+"\n", a...)
		return exitUsage
	}
	if fs.NArg() > 0 {
		return usageErr("unexpected argument %q (see csconnect agent -h)", fs.Arg(0))
	}
	var routes []agent.Route
	for _, a := range routeArgs {
		r, err := agent.ParseRoute(a)
		if err != nil {
			return usageErr("--route: %v", err)
		}
		routes = append(routes, r)
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(env.Stderr, &slog.HandlerOptions{Level: level}))
	username := env.Getenv("CREDITSAFE_USERNAME")
	if username == "" || (*passwordFile == "" && env.Getenv("CREDITSAFE_PASSWORD") == "") {
		return usageErr("set CREDITSAFE_USERNAME, and CREDITSAFE_PASSWORD or --password-file")
	}
	creds := func() (agent.Credentials, error) {
		if *passwordFile == "" {
			return agent.Credentials{Username: username, Password: env.Getenv("CREDITSAFE_PASSWORD")}, nil
		}
		pw, err := readSecretFile(*passwordFile, "--password-file", logger)
		if err != nil {
			return agent.Credentials{}, fmt.Errorf("--password-file: %w", err)
		}
		return agent.Credentials{Username: username, Password: pw}, nil
	}
	remote := !strings.HasPrefix(*listen, "unix:") && !agent.IsLoopbackAddr(*listen)
	if remote && !*allowRemote {
		return usageErr("--listen %s is not loopback: add --allow-remote and --client-token-file", *listen)
	}
	var clientToken []byte
	if *clientTokenFile != "" {
		t, err := readSecretFile(*clientTokenFile, "--client-token-file", logger)
		if err != nil || len(t) < 16 {
			return usageErr("--client-token-file: want a first line of at least 16 characters")
		}
		clientToken = []byte(t)
	}
	if remote && clientToken == nil {
		return usageErr("--allow-remote needs --client-token-file")
	}
	var hosts []string
	if h, _, err := net.SplitHostPort(*listen); err == nil && h != "" {
		hosts = append(hosts, h)
	}
	so := agent.StoreOptions{RedisURL: *redisURL, CacheDir: *cacheDir}
	if *redisURL != "" {
		s, err := readSecretFile(*redisSecretFile, "--redis-secret-file", logger)
		if err != nil {
			return usageErr("--redis needs --redis-secret-file: %v", err)
		}
		so.RedisSecret = []byte(s)
	}
	store, closeStore, err := agent.OpenStore(so)
	if err != nil {
		return usageErr("store: %v", err)
	}
	defer func() { _ = closeStore() }()

	a, err := agent.New(agent.Config{
		Routes:         routes,
		Credentials:    creds,
		AuthURL:        cmp.Or(*authURL, env.Getenv("CREDITSAFE_BASE_URL")),
		Store:          store,
		ExposeToken:    *exposeToken,
		ClientToken:    clientToken,
		Hosts:          hosts,
		TokenFile:      *tokenFile,
		MaxRequestBody: *maxBody,
		RequestTimeout: *timeout,
		Logger:         logger,
	})
	if err != nil {
		return usageErr("%s", strings.TrimPrefix(err.Error(), "csconnect: "))
	}
	defer func() { _ = a.Close() }()
	ln, err := agent.Listen(*listen, *allowRemote)
	if err != nil {
		fmt.Fprintf(env.Stderr, "csconnect agent: %v\n", err)
		return 1
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP) // before the address is printed: a SIGHUP after it is handled
	defer signal.Stop(hup)
	fmt.Fprintln(env.Stdout, ln.Addr().String())

	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	go func() { _ = a.Run(runCtx) }()
	go func() {
		for {
			select {
			case <-runCtx.Done():
				return
			case <-hup:
				if err := a.Reload(); err != nil {
					logger.Warn("csconnect agent: SIGHUP: credentials not reloaded", "error", err)
				} else {
					logger.Info("csconnect agent: SIGHUP: credentials reloaded")
				}
			}
		}
	}()
	srv := agent.NewServer(a, agent.ServerLimits{})
	srv.ErrorLog = slog.NewLogLogger(logger.Handler(), slog.LevelDebug)
	if err := agent.Serve(ctx, srv, ln, agentDrain); err != nil {
		fmt.Fprintf(env.Stderr, "csconnect agent: %v\n", err)
		return 1
	}
	return 0
}

// readSecretFile is readFirstLine for a file holding a secret: a file that group or
// others have any permission on is read (a mounted secret is often 0644) with a
// warning naming the flag, the path and the mode, never the content.
func readSecretFile(path, flag string, logger *slog.Logger) (string, error) {
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
		logger.Warn("csconnect agent: "+flag+" is open to group or others: chmod 600 it", "path", path, "mode", fi.Mode().Perm().String())
	}
	return readFirstLine(path)
}

// readFirstLine returns the first line of a small file, without its line ending.
func readFirstLine(path string) (string, error) {
	if path == "" {
		return "", errors.New("no file given")
	}
	f, err := os.OpenFile(path, os.O_RDONLY|secretOpenFlag, 0)
	if err != nil {
		return "", err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxSecretFile))
	if err != nil {
		return "", err
	}
	line, _, _ := bytes.Cut(b, []byte("\n"))
	s := strings.TrimSuffix(string(line), "\r")
	if s == "" {
		return "", errors.New("the first line is empty")
	}
	return s, nil
}
