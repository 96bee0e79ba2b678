package fleet

import (
	"bufio"
	"context"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/csconnect/csconnect/pkg/csconnect"
	"github.com/csconnect/csconnect/pkg/redisstore"
)

// Environment variables that carry the worker's secrets: never command-line arguments,
// which any local user can read in the process list.
const (
	envUsername      = "CSCONNECT_FLEET_USERNAME"
	envPassword      = "CSCONNECT_FLEET_PASSWORD"
	envSecret        = "CSCONNECT_FLEET_SECRET"         // hex, the store's fingerprint secret
	envEncryptionKey = "CSCONNECT_FLEET_ENCRYPTION_KEY" // hex, optional
)

// workerConfig is what one worker process is told by the driver.
type workerConfig struct {
	id        int
	simURL    string
	store     string // "redis" or "memory"
	redisAddr string
	tokenTTL  time.Duration // the simulator's token lifetime, to size the cache windows
	callEvery time.Duration // pause between protected calls
	maxRun    time.Duration // hard bound on the worker's life
	hold      bool          // on its first refresh, report eventRefreshing and hang (to be killed)
	agent     bool          // call through an in-process `csconnect agent` over loopback HTTP

	username, password string
	secret, encryptKey []byte
}

// WorkerMain is the worker process: it parses args (the flags after "worker") and the
// secrets from getenv, makes protected calls until stdin closes or its -max-run ends,
// and writes events to stdout. It returns the process exit code.
func WorkerMain(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	cfg, err := parseWorker(args, getenv, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "fleet worker: %v\n", err)
		return 2
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.maxRun)
	defer cancel()
	go func() {
		// The driver stops a worker by closing its stdin.
		_, _ = io.Copy(io.Discard, bufio.NewReader(stdin))
		cancel()
	}()
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})).With("worker", cfg.id)
	if err := runWorker(ctx, cfg, newEventWriter(stdout), logger); err != nil {
		fmt.Fprintf(stderr, "fleet worker %d: %v\n", cfg.id, err)
		return 1
	}
	return 0
}

func parseWorker(args []string, getenv func(string) string, stderr io.Writer) (workerConfig, error) {
	var cfg workerConfig
	fs := flag.NewFlagSet("worker", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&cfg.id, "id", 0, "worker number")
	fs.StringVar(&cfg.simURL, "sim", "", "simulator base URL (loopback)")
	fs.StringVar(&cfg.store, "store", "redis", "redis or memory")
	fs.StringVar(&cfg.redisAddr, "redis", "", "redis host:port (loopback)")
	fs.DurationVar(&cfg.tokenTTL, "token-ttl", 15*time.Second, "the simulator's token lifetime")
	fs.DurationVar(&cfg.callEvery, "call-every", 50*time.Millisecond, "pause between protected calls")
	fs.DurationVar(&cfg.maxRun, "max-run", 5*time.Minute, "stop after this long whatever happens")
	fs.BoolVar(&cfg.hold, "hold", false, "hang on the first refresh (fault injection)")
	fs.BoolVar(&cfg.agent, "agent", false, "run a csconnect agent and make the calls through it")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	cfg.username, cfg.password = getenv(envUsername), getenv(envPassword)
	var err error
	if cfg.secret, err = hex.DecodeString(getenv(envSecret)); err != nil {
		return cfg, fmt.Errorf("%s is not hex", envSecret)
	}
	if cfg.encryptKey, err = hex.DecodeString(getenv(envEncryptionKey)); err != nil {
		return cfg, fmt.Errorf("%s is not hex", envEncryptionKey)
	}
	if len(cfg.encryptKey) == 0 {
		cfg.encryptKey = nil
	}
	u, err := url.Parse(cfg.simURL)
	if err != nil || !isLoopback(u.Hostname()) {
		return cfg, fmt.Errorf("-sim %q must be a loopback URL", cfg.simURL)
	}
	switch cfg.store {
	case "memory":
	case "redis":
		host, _, _ := net.SplitHostPort(cfg.redisAddr)
		if !isLoopback(host) {
			return cfg, fmt.Errorf("-redis %q must be a loopback address", cfg.redisAddr)
		}
	default:
		return cfg, fmt.Errorf("-store %q: want redis or memory", cfg.store)
	}
	return cfg, nil
}

// openStore returns the worker's csconnect.Store and a function that closes it.
func openStore(cfg workerConfig, logger *slog.Logger) (csconnect.Store, func(), error) {
	if cfg.store == "memory" {
		return csconnect.NewMemoryStore(), func() {}, nil
	}
	client := redis.NewClient(&redis.Options{
		Addr:                  cfg.redisAddr,
		ContextTimeoutEnabled: true,
		DialTimeout:           time.Second,
		ReadTimeout:           time.Second,
		WriteTimeout:          time.Second,
		MaxRetries:            -1,
		Protocol:              2,
		DisableIdentity:       true,
	})
	store, err := redisstore.New(redisstore.Options{
		Client:        client,
		Prefix:        "csconnect-fleet:",
		Secret:        cfg.secret,
		EncryptionKey: cfg.encryptKey,
		Logger:        logger,
	})
	if err != nil {
		_ = client.Close()
		return nil, nil, err
	}
	return store, func() { _ = client.Close() }, nil
}

// runWorker makes a protected call every callEvery until ctx ends, then reports.
func runWorker(ctx context.Context, cfg workerConfig, ev *eventWriter, logger *slog.Logger) error {
	store, closeStore, err := openStore(cfg, logger)
	if err != nil {
		return err
	}
	defer closeStore()
	var ready atomic.Bool
	base := cfg.simURL
	var hc *http.Client
	var closePod func()
	if cfg.agent {
		hc, base, closePod, err = newAgentPod(ctx, cfg, store, logger)
	} else {
		hc, closePod, err = newPod(cfg, store, ev, &ready, logger)
	}
	if err != nil {
		return err
	}
	defer closePod()

	call := base + "/datecheck/company?searchnumber=5565144408&referencedate=2020-08-29&transactionid=fleet&language=sv"
	var ok, failed atomic.Int64
	errs := map[string]int{}
	tick := time.NewTicker(cfg.callEvery)
	defer tick.Stop()
	for {
		err := protectedCall(ctx, hc, call)
		if ctx.Err() != nil {
			break // the run ended during this call: it is neither a success nor a failure
		}
		if err == nil {
			ok.Add(1)
			if ready.CompareAndSwap(false, true) {
				ev.send(event{Event: eventReady, Worker: cfg.id})
			}
		} else {
			failed.Add(1)
			errs[err.Error()]++
		}
		select {
		case <-ctx.Done():
		case <-tick.C:
			continue
		}
		break
	}
	ev.send(event{Event: eventDone, Worker: cfg.id, OK: ok.Load(), Failed: failed.Load(), Errors: errs})
	return nil
}

// protectedCall sends one GET and reads the whole (small) answer, bounded.
func protectedCall(ctx context.Context, hc *http.Client, u string) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := hc.Do(req)
	if ue := (*url.Error)(nil); errors.As(err, &ue) {
		return ue.Err // the URL adds nothing the driver does not know
	} else if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if err := csconnect.CheckResponse(resp); err != nil {
		return err
	}
	return nil
}
