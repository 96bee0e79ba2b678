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

	"github.com/csconnect/csconnect/pkg/csconnect"
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
	commands["token"] = command{summary: "authenticate and print a token on stdout", run: runToken}
}

const tokenUsage = `usage: csconnect token [--base-url URL] [--timeout DURATION] [--username USER --password-stdin]

Authenticates with Creditsafe CONNECT and prints the token and a newline on stdout,
nothing else; messages go to stderr. Credentials come from CREDITSAFE_USERNAME and
CREDITSAFE_PASSWORD, or --username with the password read from the first line of
standard input (--password-stdin). CREDITSAFE_BASE_URL also sets the base URL.

Exit codes: 0 token printed; 2 usage error or input refused before sending;
3 credentials or account rejected (401, 403); 4 rate limited or locked out (429, or
the guard); 5 anything else (server error after retries, network, timeout);
6 request or answer refused as invalid (a 400, or an answer that breaks the
contract): do not retry; 130 stopped by SIGINT, 143 by SIGTERM.

Exit code 3 means stop. The lockout guard that keeps a rejected password from being
sent again lasts one invocation: a shell loop, cron job or retry wrapper that runs
csconnect token again sends the rejected password again every time, and the vendor
can lock the account after three invalid requests. Fix the credentials (or ask
Creditsafe) before running it again.

flags:
`

// runToken is `csconnect token`.
func runToken(ctx context.Context, args []string, env environ) int {
	fs := flag.NewFlagSet("token", flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	baseURL := fs.String("base-url", "", "server base URL (default $CREDITSAFE_BASE_URL, else "+csconnect.DefaultBaseURL+")")
	timeout := fs.Duration("timeout", 30*time.Second, "how long the whole command may take, retries included")
	username := fs.String("username", "", "the User Key (default $CREDITSAFE_USERNAME)")
	passwordStdin := fs.Bool("password-stdin", false, "read the password from the first line of standard input")
	fs.Usage = func() {
		fmt.Fprint(env.stderr, tokenUsage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return exitUsage
	}
	usageErr := func(format string, a ...any) int {
		fmt.Fprintf(env.stderr, "csconnect token: "+format+"\n", a...)
		return exitUsage
	}
	if fs.NArg() > 0 {
		return usageErr("unexpected argument %q (see csconnect token -h)", fs.Arg(0))
	}
	if *timeout <= 0 {
		return usageErr("--timeout must be positive")
	}
	cfg := csconnect.AuthConfig{
		BaseURL:  cmp.Or(*baseURL, env.getenv("CREDITSAFE_BASE_URL")),
		Username: cmp.Or(*username, env.getenv("CREDITSAFE_USERNAME")),
		Password: env.getenv("CREDITSAFE_PASSWORD"),
		Timeout:  *timeout,
	}
	if *passwordStdin {
		pw, err := readPasswordLine(env.stdin)
		if err != nil {
			return usageErr("reading the password from standard input: %v", err)
		}
		cfg.Password = pw
	}
	if cfg.Username == "" || cfg.Password == "" {
		return usageErr("set CREDITSAFE_USERNAME and CREDITSAFE_PASSWORD, or use --username with --password-stdin")
	}

	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	auth, err := csconnect.NewAuthenticator(cfg)
	if err == nil {
		var tok *csconnect.Token
		if tok, err = auth.Token(ctx); err == nil {
			if _, err := fmt.Fprintln(env.stdout, tok.Value); err != nil {
				fmt.Fprintf(env.stderr, "csconnect token: writing the token: %v\n", err)
				return exitTokenFailed
			}
			return 0
		}
	}
	fmt.Fprintf(env.stderr, "csconnect token: %s\n", strings.TrimPrefix(err.Error(), "csconnect: "))
	code := tokenExitCode(err)
	if hint := tokenHints[code]; hint != "" {
		fmt.Fprintf(env.stderr, "csconnect token: %s\n", hint)
	}
	return code
}

// tokenHints tell a shell user what to do for each failing exit code.
var tokenHints = map[int]string{
	exitTokenRejected: "do not retry: repeated invalid requests lock the account; check the User Key and password (case-sensitive) or ask Creditsafe integration support",
	exitTokenLimited:  "wait for the lockout to end before authenticating again",
	exitTokenInvalid:  "do not retry: the same request gets the same answer; check the base URL and the credentials' form, or report the answer",
}

// tokenExitCode maps an Authenticator error to the documented exit code.
func tokenExitCode(err error) int {
	var guardErr *csconnect.GuardError
	switch {
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
// preflight's to refuse, not ours to change silently.
func readPasswordLine(r io.Reader) (string, error) {
	if r == nil {
		return "", errors.New("no standard input")
	}
	line, err := bufio.NewReader(io.LimitReader(r, maxPasswordLine)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	line = strings.TrimSuffix(line, "\n")
	line = strings.TrimSuffix(line, "\r")
	return line, nil
}
