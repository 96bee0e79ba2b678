package agent

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"
)

// Defaults of Config. Each says why it has its value.
const (
	// DefaultListen is loopback only: the agent hands out a live token's power to
	// whoever can reach it.
	DefaultListen = "127.0.0.1:8787"
	// DefaultMaxRequestBody caps a request body: Creditsafe's requests are small
	// JSON documents; 10 MiB leaves room for any batch without letting a client
	// stream without bound.
	DefaultMaxRequestBody = 10 << 20
	// DefaultMaxResponseBody caps a response body passed back: the largest documented
	// reports are well under a megabyte.
	DefaultMaxResponseBody = 64 << 20
	// DefaultRequestTimeout bounds the wait for Creditsafe's answer headers to a
	// proxied request (its token, attempts and retries included).
	DefaultRequestTimeout = 60 * time.Second
	// DefaultRefreshEvery is how often an idle agent asks its cache for the token, so
	// the cache renews it in the background and --token-file and readyz stay fresh.
	DefaultRefreshEvery = 30 * time.Second
	// ClientTokenHeader carries the client token when the agent is reachable from
	// other hosts (--allow-remote). It is never forwarded.
	ClientTokenHeader = "X-Csconnect-Agent-Token"
	// replayableBody: a request body up to this size is kept in memory so that a
	// Token Expired answer can be replayed with it; larger bodies are streamed, and
	// a Token Expired answer to them is returned as it is.
	replayableBody = 64 << 10
)

// codeCrossSite is the problem code of a request a browser sent for another site.
const codeCrossSite = "cross_site"

// DefaultRoutes are the prefixes `csconnect agent` serves without --route.
var DefaultRoutes = []string{
	"/connect/=https://connect.creditsafe.com/v1/",
	"/se/=https://se-webservice.apps.creditsafe.com/",
}

// Route forwards the requests whose path starts with Prefix to Target, with the
// prefix replaced by Target's path.
type Route struct {
	Prefix string
	Target *url.URL
}

// ParseRoute parses "PREFIX=URL". The prefix must start and end with "/" and not
// be under /_agent/; the URL must be https, or http to a loopback host (tests and
// the simulator), with no user information, query or fragment.
func ParseRoute(s string) (Route, error) {
	prefix, raw, ok := strings.Cut(s, "=")
	if !ok {
		return Route{}, fmt.Errorf("route %q: want PREFIX=URL", redactURL(s))
	}
	s = prefix + "=" + redactURL(raw) // for errors: a URL's password is not repeated
	if !strings.HasPrefix(prefix, "/") || !strings.HasSuffix(prefix, "/") || len(prefix) < 2 {
		return Route{}, fmt.Errorf("route %q: the prefix must start and end with /", s)
	}
	if strings.HasPrefix(prefix, "/_agent/") || strings.Contains(prefix, "//") || hasDotSegment(prefix) || strings.Contains(prefix, "%") {
		return Route{}, fmt.Errorf("route %q: the prefix must be a plain path outside /_agent/", s)
	}
	u, err := url.Parse(raw)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // without the URL
		}
		return Route{}, fmt.Errorf("route %q: %w", s, err)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.Host == "" || u.Opaque != "" {
		return Route{}, fmt.Errorf("route %q: the URL must be scheme://host/path, without user, query or fragment", s)
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && isLoopbackHost(u.Hostname()):
	default:
		return Route{}, fmt.Errorf("route %q: the URL must be https (or http to a loopback host)", s)
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
		if u.RawPath != "" {
			u.RawPath += "/"
		}
	}
	return Route{Prefix: prefix, Target: u}, nil
}

// Config configures an Agent. Credentials is required; every other zero field
// means the default documented on it.
type Config struct {
	// Routes are the prefixes forwarded; default DefaultRoutes. The longest
	// matching prefix wins.
	Routes []Route
	// Credentials returns the account's User Key and password. It is called by New
	// and by every Reload (the password file re-read on SIGHUP).
	Credentials func() (Credentials, error)
	// AuthURL is the authenticate base URL; default the library's (live).
	AuthURL string
	// Store shares tokens and the lockout guard with other processes (filestore,
	// redisstore); nil means this process alone.
	Store Store
	// ExposeToken serves the raw token at GET /_agent/token. Default off.
	ExposeToken bool
	// ClientToken, when set, must be sent by every client in ClientTokenHeader
	// (compared in constant time); required when the agent listens beyond loopback.
	ClientToken []byte
	// Hosts are the Host header values accepted besides localhost and loopback
	// addresses. Any other Host is refused with 421, which also defeats DNS
	// rebinding. With ClientToken set (an agent reachable from other hosts, by
	// whatever name) every Host is accepted: the client token is the access check.
	Hosts []string
	// TokenFile, when set, is rewritten atomically, mode 0600, with the token and a
	// newline at every renewal. Its directory must not be writable by group or
	// others unless sticky (New refuses it).
	TokenFile string
	// MaxRequestBody caps request bodies (413 beyond); default DefaultMaxRequestBody.
	MaxRequestBody int64
	// MaxResponseBody caps response bodies (the response is cut beyond); default
	// DefaultMaxResponseBody.
	MaxResponseBody int64
	// RequestTimeout bounds the wait for Creditsafe's answer headers to a proxied
	// request, from the agent's forwarding (its token, attempts and retries
	// included); past it the agent answers 504 timeout, at most a second late
	// (deadline.go). Default DefaultRequestTimeout.
	RequestTimeout time.Duration
	// RefreshEvery is how often Run asks for the token; default DefaultRefreshEvery.
	RefreshEvery time.Duration
	// Cache sets the token cache's windows and backoffs; the zero value means the
	// library's defaults (renew 5 minutes before expiry). It shares tokens through
	// Store and logs to Logger, given to the Authenticator it wraps.
	Cache CacheOptions
	// Logger receives one line per agent-made error and per renewal of the token
	// file; never the token or the password. Default: discard.
	Logger *slog.Logger

	lib     libOptions    // for tests: cache windows, retries
	written chan<- *Token // for tests: each token written to TokenFile
}

// Format makes every verb print the configuration without the client token (the
// credentials are a function, the Store formats itself).
func (c Config) Format(f fmt.State, _ rune) {
	_, _ = fmt.Fprintf(f, "agent.Config{Routes: %d, AuthURL: %q, ExposeToken: %t, ClientToken: %s, Hosts: %q, TokenFile: %q}",
		len(c.Routes), redactURL(c.AuthURL), c.ExposeToken, setOrNot(c.ClientToken), c.Hosts, c.TokenFile)
}

// Agent is the proxy: an http.Handler. Build it with New, serve it with Serve (or
// any http.Server), run its token keeper with Run, and Close it.
type Agent struct {
	cfg     Config
	routes  []route // longest prefix first
	clients []byte  // SHA-256 of ClientToken, or nil
	metrics *metrics

	lib atomic.Pointer[library] // swapped by Reload

	last    atomic.Pointer[Token] // the newest token handed to a request
	changed chan struct{}         // a new token was seen (capacity 1)
	closed  atomic.Bool
}

type route struct {
	Route
	name  string // the prefix without slashes, for metrics
	index int    // in Agent.routes, for metrics
	proxy *httputil.ReverseProxy
}

// New checks cfg and builds the agent. It sends nothing.
func New(cfg Config) (*Agent, error) {
	if cfg.Credentials == nil {
		return nil, errors.New("agent: Config.Credentials is required")
	}
	if cfg.Routes == nil {
		for _, s := range DefaultRoutes {
			r, err := ParseRoute(s)
			if err != nil {
				return nil, err
			}
			cfg.Routes = append(cfg.Routes, r)
		}
	}
	if cfg.MaxRequestBody <= 0 {
		cfg.MaxRequestBody = DefaultMaxRequestBody
	}
	if cfg.MaxResponseBody <= 0 {
		cfg.MaxResponseBody = DefaultMaxResponseBody
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = DefaultRequestTimeout
	}
	if cfg.RefreshEvery <= 0 {
		cfg.RefreshEvery = DefaultRefreshEvery
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.TokenFile != "" {
		if err := checkTokenDir(cfg.TokenFile); err != nil {
			return nil, fmt.Errorf("agent: token file %w", err)
		}
	}
	a := &Agent{cfg: cfg, changed: make(chan struct{}, 1)}
	if len(cfg.ClientToken) > 0 {
		sum := sha256.Sum256(cfg.ClientToken)
		a.clients = sum[:]
	}
	seen := map[string]bool{}
	for _, r := range cfg.Routes {
		if seen[r.Prefix] {
			return nil, fmt.Errorf("agent: route prefix %s given twice", r.Prefix)
		}
		seen[r.Prefix] = true
		a.routes = append(a.routes, route{Route: r, name: strings.Trim(r.Prefix, "/")})
	}
	// Longest prefix first, so /se/v2/ wins over /se/. (Two prefixes of one length
	// never match one path, being different: their order does not matter.)
	slices.SortStableFunc(a.routes, func(x, y route) int { return len(y.Prefix) - len(x.Prefix) })
	for i := range a.routes {
		a.routes[i].index = i
		a.routes[i].proxy = a.newProxy(&a.routes[i])
	}
	cfg.lib.AuthURL = cfg.AuthURL
	cfg.lib.Store = cfg.Store
	cfg.lib.Logger = cfg.Logger
	cfg.lib.MaxResponseBody = cfg.MaxResponseBody
	cfg.lib.OnToken = a.noteToken
	cfg.lib.Current = a.lib.Load
	cfg.lib.Cache = cfg.Cache
	names := make([]string, len(a.routes))
	for i, r := range a.routes {
		names[i] = r.name
	}
	var err error
	if a.metrics, err = newMetrics(names); err != nil {
		return nil, err
	}
	cfg.lib.Hooks = a.metrics.hooks
	a.cfg = cfg
	creds, err := cfg.Credentials()
	if err != nil {
		_ = a.metrics.close()
		return nil, fmt.Errorf("agent: reading the credentials: %w", err)
	}
	lib, err := newLibrary(creds, cfg.lib)
	if err != nil {
		_ = a.metrics.close()
		return nil, err
	}
	a.lib.Store(lib)
	return a, nil
}

// Reload reads the credentials again and, when they read, puts a new
// Authenticator → Cache → Transport in place for the requests that follow (those in
// flight finish on the old one). A Store keeps the token across the swap. After
// Close it fails and changes nothing.
func (a *Agent) Reload() error {
	creds, err := a.cfg.Credentials()
	if err != nil {
		return fmt.Errorf("agent: reading the credentials: %w", err)
	}
	lib, err := newLibrary(creds, a.cfg.lib)
	if err != nil {
		return err
	}
	old := a.lib.Swap(lib) // concurrent Reloads each close the one they replaced
	a.last.Store(nil)
	old.close()
	if a.closed.Load() {
		// Close came first, or runs now and may have closed old rather than lib:
		// lib is closed here (a second close is harmless), so nothing outlives Close.
		lib.close()
		return errors.New("agent: closed")
	}
	return nil
}

// Close stops the token cache's background work. Requests after Close that need a
// new token get 503; a Reload after it puts nothing in place.
func (a *Agent) Close() error {
	if a.closed.Swap(true) {
		return nil
	}
	a.lib.Load().close()
	return a.metrics.close()
}

// token returns a valid token, fetching one if needed.
func (a *Agent) token(ctx context.Context) (*Token, error) { return a.lib.Load().token(ctx) }

// noteToken records tok, the token just handed out, for the token file and metrics.
func (a *Agent) noteToken(tok *Token) {
	if a.last.Load() == tok {
		return
	}
	a.last.Store(tok)
	select {
	case a.changed <- struct{}{}:
	default:
	}
}

// ServeHTTP serves the agent's own endpoints under /_agent/ and forwards the
// requests under the configured prefixes.
func (a *Agent) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch framingOf(r) {
	case framingConflict:
		w.Header().Set("Connection", "close") // the rest of the connection's bytes cannot be trusted
		a.refuse(w, r, http.StatusBadRequest, codeFraming, "Content-Length and Transfer-Encoding together are refused")
		return
	case framingUnverified:
		if len(r.TransferEncoding) > 0 {
			w.Header().Set("Connection", "close")
			a.refuse(w, r, http.StatusBadRequest, codeFraming, "the framing of this chunked request could not be verified; send it on a new connection")
			return
		}
	}
	if !a.hostAllowed(r.Host) {
		a.refuse(w, r, http.StatusMisdirectedRequest, codeMisdirected, "the Host header must name the agent (localhost or its address)")
		return
	}
	if crossSite(r) {
		a.refuse(w, r, http.StatusForbidden, codeCrossSite, "a browser sent this request for another site (Sec-Fetch-Site or Origin): the agent answers programs on this host only")
		return
	}
	own := strings.HasPrefix(r.URL.Path, "/_agent/")
	if a.clients != nil && !(own && r.URL.Path == "/_agent/healthz") && !a.clientTokenOK(r) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="csconnect-agent"`)
		a.refuse(w, r, http.StatusUnauthorized, codeClientToken, "send the agent's client token in "+ClientTokenHeader)
		return
	}
	escaped := r.URL.EscapedPath()
	if code, detail := checkRequest(r, escaped); code != "" {
		a.refuse(w, r, http.StatusBadRequest, code, detail)
		return
	}
	if own {
		a.serveOwn(w, r)
		return
	}
	rt := a.match(escaped)
	if rt == nil {
		a.refuse(w, r, http.StatusNotFound, codeNotFound, "no configured prefix matches this path")
		return
	}
	if lastSegmentIs(r.URL.Path, "authenticate") {
		// Credentials sent through the agent would pass by its lockout guard.
		a.refuse(w, r, http.StatusBadRequest, codeClientAuth, "do not call authenticate through the agent: it authenticates every request itself")
		return
	}
	a.forward(w, r, rt)
}

// refuse answers an agent-made 4xx before anything is forwarded.
func (a *Agent) refuse(w http.ResponseWriter, r *http.Request, status int, code, detail string) {
	a.metrics.answer(-1, status)
	writeProblem(w, status, code, detail, 0)
}

func (a *Agent) clientTokenOK(r *http.Request) bool {
	sum := sha256.Sum256([]byte(r.Header.Get(ClientTokenHeader)))
	return subtle.ConstantTimeCompare(sum[:], a.clients) == 1
}

func (a *Agent) match(escapedPath string) *route {
	for i := range a.routes {
		if strings.HasPrefix(escapedPath, a.routes[i].Prefix) {
			return &a.routes[i]
		}
	}
	return nil
}

// forward streams r to rt's target through the library's Transport.
func (a *Agent) forward(w http.ResponseWriter, r *http.Request, rt *route) {
	if r.ContentLength > a.cfg.MaxRequestBody {
		a.refuse(w, r, http.StatusRequestEntityTooLarge, codeRequestTooLarge, fmt.Sprintf("request body over %d bytes", a.cfg.MaxRequestBody))
		return
	}
	if r.ContentLength != 0 { // a GET's http.NoBody needs no cap
		r.Body = http.MaxBytesReader(w, r.Body, a.cfg.MaxRequestBody)
	}
	if r.ContentLength > 0 && r.ContentLength <= replayableBody {
		// Small enough to keep, so a Token Expired answer can be replayed with it.
		buf := make([]byte, r.ContentLength)
		if _, err := io.ReadFull(r.Body, buf); err != nil {
			a.bodyError(w, r, err)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(buf))
		r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(buf)), nil }
	}
	// The request's context ends when the client goes away or the server shuts
	// down; Creditsafe's answer headers are bounded by RequestTimeout
	// (agentTransport) and the whole exchange by the server's
	// WriteTimeout (the deadline sweeper ends it once past: deadline.go). No
	// per-request timer on the hot path. The answer's status is counted by the
	// proxy's ModifyResponse or ErrorHandler (newProxy).
	a.metrics.begin()
	defer a.metrics.end() // also when the proxy aborts a response mid-body
	rt.proxy.ServeHTTP(w, r)
}

// bodyError answers a request whose body could not be read.
func (a *Agent) bodyError(w http.ResponseWriter, r *http.Request, err error) {
	var mbe *http.MaxBytesError
	var ne net.Error
	switch {
	case errors.As(err, &mbe):
		a.refuse(w, r, http.StatusRequestEntityTooLarge, codeRequestTooLarge, fmt.Sprintf("request body over %d bytes", mbe.Limit))
	case errors.As(err, &ne) && ne.Timeout():
		a.refuse(w, r, http.StatusRequestTimeout, codeRequestTimeout, "the request body did not arrive in time")
	default:
		a.refuse(w, r, http.StatusBadRequest, codeFraming, "the request body could not be read")
	}
}

func (a *Agent) newProxy(rt *route) *httputil.ReverseProxy {
	target := rt.Target
	base := target.EscapedPath() // ends with "/"
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			rest := strings.TrimPrefix(pr.In.URL.EscapedPath(), rt.Prefix)
			raw := base + rest
			path, err := url.PathUnescape(raw)
			if err != nil { // checkRequest refused such paths already
				path = target.Path
				raw = ""
			}
			pr.Out.URL = &url.URL{Scheme: target.Scheme, Host: target.Host, Path: path, RawPath: raw, RawQuery: pr.In.URL.RawQuery}
			pr.Out.Host = ""
			h := pr.Out.Header
			h.Del("Authorization") // the Transport sets the agent's token
			h.Del("Proxy-Authorization")
			h.Del(ClientTokenHeader)
			pr.Out.Trailer = nil // trailers would carry headers past checkRequest
		},
		Transport:  agentTransport{a},
		BufferPool: bufferPool{},
		ErrorLog:   slog.NewLogLogger(a.cfg.Logger.Handler(), slog.LevelDebug),
		ModifyResponse: func(resp *http.Response) error {
			a.metrics.answer(rt.index, resp.StatusCode)
			return nil
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			a.metrics.answer(rt.index, a.proxyError(w, r, err))
		},
	}
}

// agentTransport sends each request through the current library stack's
// Transport, its wait for the answer headers (retries included) bounded by
// RequestTimeout: by its connection's sweeper when Serve serves it over HTTP/1,
// with nothing armed per request (deadline.go); else by a timer. The sweeper's
// bound is one per connection, for the one request an HTTP/1 connection serves
// at a time; an HTTP/2 connection (srv.Protocols) serves many at once.
type agentTransport struct{ a *Agent }

func (t agentTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	tr := t.a.lib.Load().transport
	due := time.Now().Add(t.a.cfg.RequestTimeout)
	c, _ := r.Context().Value(framedConnKey{}).(*framedConn)
	if c == nil || c.sweep == nil || r.ProtoMajor != 1 {
		return roundTripWithin(tr, r, due)
	}
	c.awaitAnswer(due)
	resp, err := tr.RoundTrip(r.WithContext(answerDue{r.Context(), due}))
	if !c.answered() {
		return noAnswer(resp, err)
	}
	return resp, err
}

// answerDue is a request's context with the bound on its answer headers as its
// Deadline, so that the library sees it: a retry whose wait (a service's
// Retry-After) would outlast it is not made, and the answer that asked for the
// wait is passed back, rather than slept on until the bound ends the request with
// a 504. It arms no timer: the sweeper, or roundTripWithin's timer, ends the
// parent context at due.
type answerDue struct {
	context.Context
	due time.Time
}

func (c answerDue) Deadline() (time.Time, bool) {
	if d, ok := c.Context.Deadline(); ok && d.Before(c.due) {
		return d, true
	}
	return c.due, true
}

// roundTripWithin is agentTransport's bound without a sweeper: a timer that ends
// r's context with errNoAnswer unless the answer headers come first.
func roundTripWithin(tr http.RoundTripper, r *http.Request, due time.Time) (*http.Response, error) {
	ctx, cancel := context.WithCancelCause(r.Context())
	timer := time.AfterFunc(time.Until(due), func() { cancel(errNoAnswer) })
	resp, err := tr.RoundTrip(r.WithContext(answerDue{ctx, due}))
	if !timer.Stop() {
		return noAnswer(resp, err)
	}
	return resp, err
}

// noAnswer is the outcome of a request whose wait for answer headers was ended:
// errNoAnswer, not the context.Canceled a retry's wait may return; and not an
// answer whose headers came as the bound fell (http.Transport may return either
// when both are ready): its body, tied to the ended context, could not be read,
// and the client would get its headers and a cut body.
func noAnswer(resp *http.Response, err error) (*http.Response, error) {
	if err == nil {
		_ = resp.Body.Close()
	}
	return nil, errNoAnswer
}

// proxyError answers a request the proxy could not complete and returns the
// answer's status.
func (a *Agent) proxyError(w http.ResponseWriter, r *http.Request, err error) int {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		writeProblem(w, http.StatusRequestEntityTooLarge, codeRequestTooLarge, fmt.Sprintf("request body over %d bytes", mbe.Limit), 0)
		return http.StatusRequestEntityTooLarge
	}
	if err == errNoAnswer && r.ProtoMajor == 1 {
		// The sweeper ended the connection's context (deadline.go): the requests
		// that would follow on it could not be forwarded. (Over HTTP/2 a timer
		// ended the request's alone, and Connection: close would make net/http
		// shut the connection down.)
		w.Header().Set("Connection", "close")
	}
	status, code, wait := classify(err)
	a.cfg.Logger.Warn("csconnect agent: request not completed", "method", r.Method, "path", r.URL.Path, "code", code, "error", errorDetail(err))
	writeProblem(w, status, code, errorDetail(err), wait)
	return status
}

// bufferPool recycles the proxy's 32 KiB copy buffers.
type bufferPool struct{}

var copyBuffers = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

func (bufferPool) Get() []byte  { return *copyBuffers.Get().(*[]byte) }
func (bufferPool) Put(b []byte) { copyBuffers.Put(&b) }

// hostAllowed reports whether host (the request's Host header) names the agent.
func (a *Agent) hostAllowed(host string) bool {
	if a.clients != nil {
		return true
	}
	h := host
	if hh, _, err := net.SplitHostPort(host); err == nil {
		h = hh
	}
	h = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")
	if isLoopbackHost(h) { // localhost included
		return true
	}
	for _, ok := range a.cfg.Hosts {
		if strings.EqualFold(ok, h) || strings.EqualFold(ok, host) {
			return true
		}
	}
	return false
}

// crossSite reports whether a browser sent r on behalf of a page of another site:
// Sec-Fetch-Site cross-site or same-site (the agent serves no pages, so nothing is
// same-origin but itself), or an Origin that is not the agent's own (browsers
// without Sec-Fetch-* still send it on POSTs). A page could otherwise make the
// user's browser call Creditsafe through a loopback agent, Host and all, since
// simple GETs and form POSTs need no CORS preflight. Programs send neither header;
// an address typed by the user is Sec-Fetch-Site: none.
func crossSite(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "cross-site", "same-site":
		return true
	}
	origins, ok := r.Header["Origin"]
	if !ok {
		return false
	}
	for _, o := range origins {
		u, err := url.Parse(o)
		if err != nil || u.Host == "" || !strings.EqualFold(u.Host, r.Host) {
			return true
		}
	}
	return false
}

// IsLoopbackAddr reports whether addr, host:port, names a loopback host: the
// addresses Listen accepts without allowRemote.
func IsLoopbackAddr(addr string) bool {
	h, _, err := net.SplitHostPort(addr)
	return err == nil && isLoopbackHost(h)
}

// isLoopbackHost reports whether h is "localhost" or a loopback IP address
// (without a zone).
func isLoopbackHost(h string) bool {
	if strings.EqualFold(h, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(h)
	return err == nil && ip.Zone() == "" && ip.IsLoopback()
}

// lastSegmentIs reports whether path's last segment, a trailing slash aside, is
// name (lower-case ASCII) in any case: by simple folding (strings.EqualFold), or
// letter by letter by the lower or upper case a server may compare paths with
// (İ, U+0130, lowers to i; ı, U+0131, uppers to I; Java's equalsIgnoreCase
// accepts both).
func lastSegmentIs(path, name string) bool {
	path = strings.TrimSuffix(path, "/")
	i := strings.LastIndexByte(path, '/')
	if i < 0 {
		return false
	}
	seg := path[i+1:]
	if strings.EqualFold(seg, name) {
		return true
	}
	for j := 0; j < len(seg); j++ {
		if seg[j] >= utf8.RuneSelf {
			return casesTo(seg, name)
		}
	}
	return false // ASCII: EqualFold said it all
}

// casesTo reports whether s matches name (lower-case ASCII) letter by letter,
// a letter matching when it is the same, lowers to it, uppers to its upper case
// or folds to it.
func casesTo(s, name string) bool {
	j := 0
	for _, r := range s {
		if j == len(name) {
			return false
		}
		c := rune(name[j])
		j++
		if r == c || unicode.ToLower(r) == c || unicode.ToUpper(r) == unicode.ToUpper(c) {
			continue
		}
		same := false
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			if f == c {
				same = true
				break
			}
		}
		if !same {
			return false
		}
	}
	return j == len(name)
}
