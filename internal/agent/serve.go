package agent

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// spec is the OpenAPI document of the agent's own endpoints and its problem shape.
//
//go:embed openapi.yaml
var spec []byte

// Spec returns the OpenAPI document of the agent's own endpoints.
func Spec() []byte { return append([]byte(nil), spec...) }

// readyTimeout bounds the token fetch a readiness probe may start.
const readyTimeout = 5 * time.Second

// serveOwn serves GET /_agent/{healthz,readyz,token,metrics,openapi.yaml}.
func (a *Agent) serveOwn(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, "/_agent/")
	switch name {
	case "healthz", "readyz", "token", "metrics", "openapi.yaml":
	default:
		a.refuse(w, r, http.StatusNotFound, codeNotFound, "no such agent endpoint")
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		a.refuse(w, r, http.StatusMethodNotAllowed, codeMethodNotAllowed, "agent endpoints answer GET")
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	switch name {
	case "healthz":
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	case "readyz":
		ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
		defer cancel()
		tok, err := a.token(ctx)
		if err != nil {
			_, code, wait := classify(err)
			writeProblem(w, http.StatusServiceUnavailable, code, errorDetail(err), wait)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"status": "ready", "expires_in": int64(math.Floor(time.Until(tok.Expiry).Seconds()))})
	case "token":
		if !a.cfg.ExposeToken {
			a.refuse(w, r, http.StatusNotFound, codeTokenNotExposed, "the token is not exposed: start the agent with --expose-token")
			return
		}
		if !localPeer(r.RemoteAddr) {
			// The client token lets a remote client call through the agent; the raw
			// token would cross the network in clear and outlive the agent's checks.
			a.refuse(w, r, http.StatusNotFound, codeTokenNotExposed, "the token is served only to clients on the agent's host (loopback or its Unix socket)")
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
		defer cancel()
		tok, err := a.token(ctx)
		if err != nil {
			status, code, wait := classify(err)
			writeProblem(w, status, code, errorDetail(err), wait)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		_, _ = fmt.Fprintln(w, tok.Value)
	case "metrics":
		a.metrics.handler.ServeHTTP(w, r)
	case "openapi.yaml":
		w.Header().Set("Content-Type", "application/yaml")
		_, _ = w.Write(spec)
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// Run keeps the token fresh until ctx ends: it fetches one at once, asks the cache
// every RefreshEvery (so it renews in the background), and rewrites TokenFile at
// every new token. It returns ctx's error.
func (a *Agent) Run(ctx context.Context) error {
	t := time.NewTicker(a.cfg.RefreshEvery)
	defer t.Stop()
	return a.run(ctx, t.C)
}

func (a *Agent) run(ctx context.Context, tick <-chan time.Time) error {
	poll := func() {
		pctx, cancel := context.WithTimeout(ctx, readyTimeout)
		defer cancel()
		if _, err := a.token(pctx); err != nil && ctx.Err() == nil {
			a.cfg.Logger.Warn("csconnect agent: no token", "error", errorDetail(err))
		}
	}
	poll()
	var written *Token
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick:
			poll()
		case <-a.changed:
		}
		if tok := a.last.Load(); a.cfg.TokenFile != "" && tok != nil && tok != written {
			if err := writeTokenFile(a.cfg.TokenFile, tok.Value); err != nil {
				a.cfg.Logger.Warn("csconnect agent: writing the token file", "path", a.cfg.TokenFile, "error", err)
				continue
			}
			written = tok
			if a.cfg.written != nil {
				a.cfg.written <- tok
			}
			a.cfg.Logger.Info("csconnect agent: token file written", "path", a.cfg.TokenFile, "expiry", tok.Expiry)
		}
	}
}

// writeTokenFile replaces path atomically with value and a newline, mode 0600:
// a temporary file in the same directory, synced, then renamed over path, so a
// reader sees the old token or the new one, never a part.
func writeTokenFile(path, value string) (err error) {
	if err := checkTokenDir(path); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(f.Name())
		}
	}()
	if err = f.Chmod(0o600); err != nil {
		return err
	}
	if _, err = f.WriteString(value + "\n"); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// checkTokenDir refuses a token file (or socket) whose directory group or others
// may write to without the sticky bit (as /tmp has): they could rename a file of
// their own over it, and whoever reads the token file (or connects to the socket)
// would trust it. On Windows the mode bits do not say who may write, and nothing is
// checked.
func checkTokenDir(path string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	dir := filepath.Dir(path)
	fi, err := os.Stat(dir)
	if err != nil {
		return err
	}
	if fi.Mode().Perm()&0o022 != 0 && fi.Mode()&os.ModeSticky == 0 {
		return fmt.Errorf("%s: its directory is writable by group or others (mode %v) and not sticky", path, fi.Mode().Perm())
	}
	return nil
}

// ServerLimits are the http.Server's bounds on slow and large clients.
type ServerLimits struct {
	ReadHeaderTimeout time.Duration // headers must arrive within; default 10 s
	ReadTimeout       time.Duration // the whole request, body included; default 60 s
	WriteTimeout      time.Duration // from the end of the headers to the end of the answer; default 120 s
	IdleTimeout       time.Duration // keep-alive; default 120 s
	MaxHeaderBytes    int           // default 32 KiB (431 beyond)
}

func (l ServerLimits) withDefaults() ServerLimits {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&l.ReadHeaderTimeout, 10*time.Second)
	def(&l.ReadTimeout, 60*time.Second)
	def(&l.WriteTimeout, 120*time.Second)
	def(&l.IdleTimeout, 120*time.Second)
	if l.MaxHeaderBytes <= 0 {
		l.MaxHeaderBytes = 32 << 10
	}
	return l
}

// NewServer returns the http.Server that serves h with limits.
func NewServer(h http.Handler, limits ServerLimits) *http.Server {
	l := limits.withDefaults()
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: l.ReadHeaderTimeout,
		ReadTimeout:       l.ReadTimeout,
		WriteTimeout:      l.WriteTimeout,
		IdleTimeout:       l.IdleTimeout,
		MaxHeaderBytes:    l.MaxHeaderBytes,
		ConnContext:       connContext, // with Serve's listener: the framing check (framing.go)
	}
}

// Listen opens addr: "unix:PATH" for a Unix socket (mode 0600; a stale socket
// file is replaced, a live one or any other file is not), else a TCP host:port. A TCP address
// that is not loopback is refused unless allowRemote.
func Listen(addr string, allowRemote bool) (net.Listener, error) {
	if path, ok := strings.CutPrefix(addr, "unix:"); ok {
		if err := checkTokenDir(path); err != nil {
			return nil, fmt.Errorf("listen %s: %w", addr, err)
		}
		if fi, err := os.Lstat(path); err == nil {
			if fi.Mode()&os.ModeSocket == 0 {
				return nil, fmt.Errorf("listen %s: the path exists and is not a socket", addr)
			}
			// A socket someone still listens on is a running agent's: taking it
			// over would hand its clients to this one. Only a stale one is replaced.
			if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
				_ = c.Close()
				return nil, fmt.Errorf("listen %s: in use: another process listens on it", addr)
			}
			_ = os.Remove(path)
		}
		ln, err := net.Listen("unix", path)
		if err != nil {
			return nil, err
		}
		if err := os.Chmod(path, 0o600); err != nil {
			_ = ln.Close()
			return nil, err
		}
		return ln, nil
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("listen %s: %w", addr, err)
	}
	if !allowRemote && !isLoopbackHost(host) {
		return nil, fmt.Errorf("listen %s: not a loopback address: the agent hands out a live token's power; add --allow-remote and --client-token-file to listen there", addr)
	}
	return net.Listen("tcp", addr)
}

// defaultDrain is how long Serve waits for the requests in flight at shutdown when
// its drain is not positive.
const defaultDrain = 10 * time.Second

// Serve serves srv on ln (its connections' framing tracked, so that a request
// with both Content-Length and Transfer-Encoding is refused, and their far
// deadlines put on the socket only when near: deadline.go) until ctx ends, then
// stops accepting, waits up to drain (default 10 s) for the requests in flight,
// and returns. It returns nil after a clean stop.
func Serve(ctx context.Context, srv *http.Server, ln net.Listener, drain time.Duration) error {
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(newFramedListener(ln, deadlineTick)) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	if drain <= 0 {
		drain = defaultDrain
	}
	sctx, cancel := context.WithTimeout(context.Background(), drain)
	defer cancel()
	err := srv.Shutdown(sctx)
	if serr := <-errc; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		return serr
	}
	return err
}

// localPeer reports whether remoteAddr (http.Request.RemoteAddr) is a client on
// this host: a loopback address, or a Unix socket peer (no host:port).
func localPeer(remoteAddr string) bool {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		return true // a Unix socket's peer ("@" or ""); TCP peers always have a port
	}
	return host != "localhost" && isLoopbackHost(host)
}
