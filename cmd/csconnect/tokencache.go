package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
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

// tokenStoreKey is the key the CLI keeps a token under: the fingerprint of the User
// Key and the password, so that a token is printed only to an invocation with the
// credentials it was fetched with (a wrong password never gets a cached token; a
// changed password fetches a new one).
func tokenStoreKey(store *filestore.Store, username, password string) string {
	return store.Fingerprint(username, password)
}

// cachedToken returns a token for cfg through store: the one a previous invocation
// saved while it is before its advisory point (AdvisoryWindow before expiry, the
// vendor's "refresh after about 55 minutes"), else a new one, authenticated by one
// of the invocations running at once (the lease holder) and adopted by the others.
// The guard's state (a rejected password, a lockout) is read from and written to the
// store. timeout bounds the whole call.
func cachedToken(ctx context.Context, cfg csconnect.AuthConfig, store *filestore.Store, timeout time.Duration, log *slog.Logger) (*csconnect.Token, error) {
	cfg.Store = store
	cfg.StoreTimeout = cliStoreTimeout
	cfg.Logger = log
	auth, err := csconnect.NewAuthenticator(cfg)
	if err != nil {
		return nil, err
	}
	defer auth.CloseIdleConnections()
	cache := csconnect.NewCache(auth, csconnect.CacheOptions{
		// A process that runs once cannot refresh in the background, so for it the
		// advisory point is where a stored token stops being adopted: the cache adopts
		// a stored token only before its mandatory window.
		MandatoryWindow: csconnect.DefaultAdvisoryWindow,
		AdvisoryJitter:  -1,
		FetchTimeout:    timeout,
		Store:           store,
		StoreKey:        tokenStoreKey(store, cfg.Username, cfg.Password),
		StoreTimeout:    cliStoreTimeout,
		// The holder authenticates with retries within timeout; the others wait for
		// it as long (a holder that dies frees the lease at once: its lock goes).
		LeaseTTL: timeout,
		Logger:   log,
	})
	defer cache.Close()
	return cache.Token(ctx)
}

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

// storeWarnings returns a logger that writes to w the library's warnings about the
// store (a failing or slow store makes an invocation fall back to its own state,
// which the user should hear about) and nothing else: the other warnings repeat the
// error the command prints anyway. The library never logs the password or the token.
func storeWarnings(w io.Writer) *slog.Logger {
	text := slog.NewTextHandler(w, &slog.HandlerOptions{
		Level: slog.LevelWarn,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && (a.Key == slog.TimeKey || a.Key == slog.LevelKey) {
				return slog.Attr{}
			}
			return a
		},
	})
	return slog.New(storeOnly{text})
}

// storeOnly passes on the records whose message is about the store.
type storeOnly struct{ slog.Handler }

func (h storeOnly) Handle(ctx context.Context, r slog.Record) error {
	if !strings.Contains(r.Message, "store") {
		return nil
	}
	return h.Handler.Handle(ctx, r)
}

func (h storeOnly) WithAttrs(as []slog.Attr) slog.Handler { return storeOnly{h.Handler.WithAttrs(as)} }
func (h storeOnly) WithGroup(name string) slog.Handler    { return storeOnly{h.Handler.WithGroup(name)} }

// storeOpenHint says what to do when the cache directory cannot be used.
func storeOpenHint(err error) string {
	var insecure *filestore.InsecureError
	if errors.As(err, &insecure) {
		return fmt.Sprintf("make it private to you (chmod go= %s) or choose another directory with --cache-dir or %s; --no-cache skips it", insecure.Path, cacheDirEnv)
	}
	return fmt.Sprintf("choose another directory with --cache-dir or %s, or skip it with --no-cache", cacheDirEnv)
}
