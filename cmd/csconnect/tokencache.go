package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/csconnect/csconnect/pkg/csconnect"
	"github.com/csconnect/csconnect/pkg/filestore"
)

// This file is the thin layer between `csconnect token` and the library's shared
// state: a pkg/filestore directory holding the token and the lockout guard, so that
// one invocation remembers what the previous ones learned, and invocations running
// at once authenticate once between them.

// cacheDirEnv names the environment variable that sets the cache directory
// (--cache-dir wins over it).
const cacheDirEnv = "CSCONNECT_CACHE_DIR"

// CLI store timings. A one-shot command is not latency-sensitive the way a server is,
// and a lock wait that times out makes a process fall back to authenticating on its
// own, so the waits are longer than the library's defaults (200 ms and 250 ms): 20
// cron jobs starting at once on a loaded machine must still agree on one request.
const (
	cliLockTimeout  = 2 * time.Second
	cliStoreTimeout = 3 * time.Second
)

// openTokenStore opens (creating it 0700 when missing) the cache directory: dir, or
// the default os.UserCacheDir()/csconnect when dir is empty.
func openTokenStore(dir string) (*filestore.Store, error) {
	return filestore.New(filestore.Options{Dir: dir, Timeout: cliLockTimeout})
}

// cachedToken returns a token for cfg through store: the one a previous invocation
// saved while it is before its advisory point (AdvisoryWindow before expiry, the
// vendor's "refresh after about 55 minutes"), else a new one, authenticated by one
// of the invocations running at once (the lease holder) and adopted by the others.
// The guard's state (a rejected password, a lockout) is read from and written to the
// store. timeout bounds the whole call.
func cachedToken(ctx context.Context, cfg csconnect.AuthConfig, store *filestore.Store, timeout time.Duration, log *slog.Logger) (*csconnect.Token, error) {
	cfg.Store = leaseFor{store, timeout}
	cfg.Logger = log
	c, err := csconnect.New(csconnect.Config{Auth: cfg, Cache: csconnect.CacheOptions{
		// A process that runs once cannot refresh in the background, so for it the
		// advisory point is where a stored token stops being adopted: the cache adopts
		// a stored token only before its mandatory window.
		MandatoryWindow: advisoryWindow,
		AdvisoryJitter:  -1,
		FetchTimeout:    timeout,
	}})
	if err != nil {
		return nil, err
	}
	defer c.Close()
	cache := c.Tokens
	tok, err := cache.Token(ctx)
	if err != nil && ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		// The cache returns the bare context error; say what ended it (a signal).
		err = fmt.Errorf("authenticate: %w", context.Cause(ctx))
	}
	return tok, err
}

// advisoryWindow is the library's default advisory window: the vendor's "refresh
// after about 55 minutes" of a one-hour token.
const advisoryWindow = 5 * time.Minute

// leaseFor is the store with the refresh lease held as long as one invocation may
// run: the holder authenticates with retries within timeout, and the others wait for
// it half as long, then authenticate themselves (a holder that dies frees the lease
// at once: its lock goes).
type leaseFor struct {
	*filestore.Store
	timeout time.Duration
}

// LeaseTiming gives the lease's lifetime and the library's default poll interval.
func (l leaseFor) LeaseTiming() (ttl, poll time.Duration) { return l.timeout, 200 * time.Millisecond }

// CallTimeout bounds each store call: a file lock may be held by another invocation.
func (leaseFor) CallTimeout() time.Duration { return cliStoreTimeout }

// resetGuard records a reset of the guard of username in store: every rejection and
// lockout recorded before now is forgotten, by the next invocation and by every other
// process that shares the directory. It needs no password: the guard's record is
// kept under the User Key's fingerprint.
func resetGuard(ctx context.Context, store *filestore.Store, username string) error {
	ctx, cancel := context.WithTimeout(ctx, cliStoreTimeout)
	defer cancel()
	_, err := store.MergeGuard(ctx, store.Fingerprint(username), csconnect.GuardState{ResetAt: time.Now()})
	return err
}

// storeWarnings returns a logger that writes to w, one line each, the library's
// warnings about the store (a failing or slow store makes an invocation fall back to
// its own state, which the user should hear about) and nothing else: the other
// warnings repeat the error the command prints anyway. The library never logs the
// password or the token.
func storeWarnings(w io.Writer) *slog.Logger {
	return slog.New(&storeWarner{mu: new(sync.Mutex), w: w})
}

// storeWarner is the slog.Handler of storeWarnings.
type storeWarner struct {
	mu    *sync.Mutex // shared with the handlers WithAttrs derives: one line at a time
	w     io.Writer
	attrs []slog.Attr
}

func (h *storeWarner) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }

func (h *storeWarner) Handle(_ context.Context, r slog.Record) error {
	if !strings.Contains(r.Message, "store") {
		return nil
	}
	var b strings.Builder
	b.WriteString("csconnect token: warning: ")
	b.WriteString(strings.TrimPrefix(r.Message, "csconnect: "))
	sep := " ("
	add := func(a slog.Attr) bool {
		fmt.Fprintf(&b, "%s%s: %v", sep, a.Key, a.Value.Resolve())
		sep = "; "
		return true
	}
	for _, a := range h.attrs {
		add(a)
	}
	r.Attrs(add)
	if sep == "; " {
		b.WriteString(")")
	}
	b.WriteString("\n")
	h.mu.Lock()
	defer h.mu.Unlock()
	_, err := io.WriteString(h.w, b.String())
	return err
}

func (h *storeWarner) WithAttrs(as []slog.Attr) slog.Handler {
	return &storeWarner{mu: h.mu, w: h.w, attrs: append(slices.Clip(h.attrs), as...)}
}

func (h *storeWarner) WithGroup(string) slog.Handler { return h }

// storeOpenHint says what to do when the cache directory cannot be used.
func storeOpenHint(err error) string {
	var insecure *filestore.InsecureError
	if errors.As(err, &insecure) {
		return fmt.Sprintf("make it private to you (chmod go= %s) or choose another directory with --cache-dir or %s; --no-cache skips it", insecure.Path, cacheDirEnv)
	}
	return fmt.Sprintf("choose another directory with --cache-dir or %s, or skip it with --no-cache", cacheDirEnv)
}
