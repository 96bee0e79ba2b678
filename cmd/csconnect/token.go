package main

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/csconnect/csconnect/internal/cmdmain"
	"github.com/csconnect/csconnect/pkg/csconnect"
	"github.com/csconnect/csconnect/pkg/filestore"
)

// Exit codes of `csconnect token` beyond the shared 0 and 2 (exitUsage).
const (
	exitTokenRejected = 3 // credentials or account rejected (401, 403)
	exitTokenLimited  = 4 // rate limited or locked out (429, or the guard)
	exitTokenFailed   = 5 // anything else: server error after retries, network, timeout
	exitTokenInvalid  = 6 // request or answer refused as invalid (400, contract): do not retry
)

// maxPasswordLine bounds what --password-stdin reads: a password is at most 30
// characters, so a kilobyte is generous and a stray pipe cannot exhaust memory.
const maxPasswordLine = 1 << 10

func init() {
	commands["token"] = command{Summary: "authenticate and print a token on stdout", Run: runToken}
}

const tokenUsage = `usage: csconnect token [--base-url URL] [--timeout DURATION] [--username USER --password-stdin]
                       [--cache-dir DIR | --no-cache] [--reset-guard]

Authenticates with Creditsafe CONNECT and prints the token and a newline on stdout,
nothing else; messages go to stderr. Credentials come from CREDITSAFE_USERNAME and
CREDITSAFE_PASSWORD, or --username with the password read from the first line of
standard input (--password-stdin). CREDITSAFE_BASE_URL also sets the base URL.

By default it remembers, in a private cache directory (--cache-dir, else
$CSCONNECT_CACHE_DIR, else the user cache directory's csconnect, ~/.cache/csconnect
on Linux): the token, printed again with no request until 5 minutes before it
expires (the vendor's advice: refresh after 55 minutes), and the lockout guard. A
password that was rejected (401) is refused by every later run, with nothing sent
(exit 3), until the credentials change or csconnect token --reset-guard clears it;
a lockout (429, 403) likewise until it ends (exit 4). Runs that start together
(cron jobs) send one request between them. The directory holds the token in clear
in a 0600 file, never the password; a directory that group or others can access is
refused (exit 2). --no-cache uses no directory: each run authenticates, and its
guard lasts that run only.

Exit codes: 0 token printed (or guard reset); 2 usage error, input refused before
sending, or cache directory unusable; 3 credentials or account rejected (401, 403),
or refused because they were before; 4 rate limited or locked out (429, or the
guard); 5 anything else (server error after retries, network, timeout); 6 request
or answer refused as invalid (a 400, or an answer that breaks the contract): do not
retry; 130 stopped by SIGINT, 143 by SIGTERM.

Exit code 3 means stop: fix the credentials (or ask Creditsafe) before running it
again, then run csconnect token --reset-guard if the same password is right after
all (the account was fixed).

flags:
`

// runToken is `csconnect token`.
func runToken(ctx context.Context, args []string, env environ) int {
	fs := flag.NewFlagSet("token", flag.ContinueOnError)
	baseURL := fs.String("base-url", "", "server base URL (default $CREDITSAFE_BASE_URL, else "+csconnect.DefaultBaseURL+")")
	timeout := fs.Duration("timeout", 30*time.Second, "how long the whole command may take, retries included")
	username := fs.String("username", "", "the User Key (default $CREDITSAFE_USERNAME)")
	passwordStdin := fs.Bool("password-stdin", false, "read the password from the first line of standard input")
	cacheDir := fs.String("cache-dir", "", "the cache directory (default $"+cacheDirEnv+", else the user cache directory's csconnect)")
	noCache := fs.Bool("no-cache", false, "use no cache directory: authenticate every time, remember nothing")
	resetGuardFlag := fs.Bool("reset-guard", false, "forget a rejected password or a lockout for the User Key, print nothing, send nothing")
	if code, ok := cmdmain.ParseFlags(fs, args, tokenUsage, env.Stderr); !ok {
		return code
	}
	usageErr := func(format string, a ...any) int {
		fmt.Fprintf(env.Stderr, "csconnect token: "+format+"\n", a...)
		return exitUsage
	}
	if fs.NArg() > 0 {
		return usageErr("unexpected argument %q (see csconnect token -h)", fs.Arg(0))
	}
	if *timeout <= 0 {
		return usageErr("--timeout must be positive")
	}
	if *noCache && (*cacheDir != "" || *resetGuardFlag) {
		return usageErr("--no-cache uses no cache directory: it goes with neither --cache-dir nor --reset-guard")
	}
	cfg := csconnect.AuthConfig{
		BaseURL:  cmp.Or(*baseURL, env.Getenv("CREDITSAFE_BASE_URL")),
		Username: cmp.Or(*username, env.Getenv("CREDITSAFE_USERNAME")),
		Password: env.Getenv("CREDITSAFE_PASSWORD"),
		Timeout:  *timeout,
	}
	// --timeout bounds the whole command, the wait for standard input included.
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	if *passwordStdin {
		pw, err := readPasswordLine(ctx, env.Stdin)
		if err != nil && ctx.Err() != nil {
			fmt.Fprintf(env.Stderr, "csconnect token: no password line on standard input within --timeout %v\n", *timeout)
			return exitTokenFailed
		}
		if err != nil {
			return usageErr("reading the password from standard input: %v", err)
		}
		cfg.Password = pw
	}
	if *resetGuardFlag && cfg.Username == "" {
		return usageErr("--reset-guard needs the User Key: set CREDITSAFE_USERNAME or use --username")
	}
	if !*resetGuardFlag && (cfg.Username == "" || cfg.Password == "") {
		return usageErr("set CREDITSAFE_USERNAME and CREDITSAFE_PASSWORD, or use --username with --password-stdin")
	}

	var store *filestore.Store
	if !*noCache {
		var err error
		if store, err = openTokenStore(cmp.Or(*cacheDir, env.Getenv(cacheDirEnv))); err != nil {
			fmt.Fprintf(env.Stderr, "csconnect token: cache directory: %s\n", strings.TrimPrefix(err.Error(), "filestore: "))
			fmt.Fprintf(env.Stderr, "csconnect token: %s\n", storeOpenHint(err))
			return exitUsage
		}
	}
	if *resetGuardFlag {
		if err := resetGuard(ctx, store, cfg.Username); err != nil {
			fmt.Fprintf(env.Stderr, "csconnect token: resetting the guard in %s: %v\n", store.Dir(), err)
			return exitTokenFailed
		}
		fmt.Fprintf(env.Stderr, "csconnect token: guard reset in %s: the next run sends a request\n", store.Dir())
		return 0
	}

	var tok *csconnect.Token
	var err error
	if store != nil {
		tok, err = cachedToken(ctx, cfg, store, *timeout, storeWarnings(env.Stderr))
	} else {
		var auth *csconnect.Authenticator
		if auth, err = csconnect.NewAuthenticator(cfg); err == nil {
			tok, err = auth.Token(ctx)
		}
	}
	if err == nil {
		if _, err := fmt.Fprintln(env.Stdout, tok.Value); err != nil {
			fmt.Fprintf(env.Stderr, "csconnect token: writing the token: %v\n", err)
			return exitTokenFailed
		}
		return 0
	}
	fmt.Fprintf(env.Stderr, "csconnect token: %s\n", strings.TrimPrefix(err.Error(), "csconnect: "))
	code := tokenExitCode(err)
	hint := tokenHints[code]
	switch {
	case store == nil || code != exitTokenRejected:
	case errors.As(err, new(*csconnect.GuardError)):
		hint = refusedCachedHint
	case errors.Is(err, csconnect.ErrInvalidCredentials): // a 401; a 403 pauses (exit 4) instead
		hint = rejectedCachedHint
	}
	if hint != "" {
		fmt.Fprintf(env.Stderr, "csconnect token: %s\n", hint)
	}
	return code
}

// The exit-3 hints when the guard is kept in the cache directory: after the 401, and
// when a later run refuses to send the rejected password again.
const (
	rejectedCachedHint = rejectedHint + "; later runs with this password are refused without sending until you run csconnect token --reset-guard"
	refusedCachedHint  = "nothing sent: an earlier run's request with this password was rejected; fix the credentials, or if they are right after all (the account was fixed), run csconnect token --reset-guard and try again"
)

// rejectedHint is exit 3's hint, which rejectedCachedHint extends.
const rejectedHint = "do not retry: repeated invalid requests lock the account; check the User Key and password (case-sensitive) or ask Creditsafe integration support"

// tokenHints tell a shell user what to do for each failing exit code.
var tokenHints = map[int]string{
	exitTokenRejected: rejectedHint,
	exitTokenLimited:  "wait for the lockout to end before authenticating again",
	exitTokenInvalid:  "do not retry: the same request gets the same answer; check the base URL and the credentials' form, or report the answer",
}

// tokenExitCode maps an Authenticator error to the documented exit code.
func tokenExitCode(err error) int {
	var guardErr *csconnect.GuardError
	switch {
	case errors.As(err, &guardErr) && errors.Is(guardErr, csconnect.ErrInvalidCredentials):
		// A password rejected before (this run or, through the cache directory, an
		// earlier one): the verdict is the 401's.
		return exitTokenRejected
	case errors.Is(err, csconnect.ErrInvalidInput):
		return exitUsage
	case errors.Is(err, csconnect.ErrBadRequest), errors.Is(err, csconnect.ErrContract):
		// The library never repeats these; neither should a retry wrapper.
		return exitTokenInvalid
	case errors.As(err, &guardErr), errors.Is(err, csconnect.ErrLockedOut), errors.Is(err, csconnect.ErrRateLimited):
		return exitTokenLimited
	case errors.Is(err, csconnect.ErrInvalidCredentials), errors.Is(err, csconnect.ErrAccountInactive):
		return exitTokenRejected
	}
	return exitTokenFailed
}

// readPasswordLine reads the first line of r (at most maxPasswordLine bytes) and
// trims its line ending ("\n" or "\r\n") and nothing else: other white space is the
// preflight's to refuse, not ours to change silently. It returns ctx's error when ctx
// ends first (the read is left to the process's exit: a read cannot be interrupted).
func readPasswordLine(ctx context.Context, r io.Reader) (string, error) {
	if r == nil {
		return "", errors.New("no standard input")
	}
	type result struct {
		line string
		err  error
	}
	read := make(chan result, 1)
	go func() {
		line, err := bufio.NewReader(io.LimitReader(r, maxPasswordLine)).ReadString('\n')
		read <- result{line, err}
	}()
	var line string
	var err error
	select {
	case res := <-read:
		line, err = res.line, res.err
	case <-ctx.Done():
		return "", context.Cause(ctx)
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	line = strings.TrimSuffix(line, "\n")
	line = strings.TrimSuffix(line, "\r")
	return line, nil
}
