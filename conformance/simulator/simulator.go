package simulator

import (
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"math"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/csconnect/csconnect/gen/datecheckserver"
	"github.com/csconnect/csconnect/gen/server"
)

// The documented limits, used when Options leave them zero.
const (
	DefaultTokenTTL        = time.Hour         // "valid for one hour"
	DefaultIdenticalLimit  = 5                 // "up to 5 identical invalid requests"
	DefaultIdenticalWindow = 2 * time.Minute   // "within a 2-minute period"
	DefaultTotalLimit      = 10000             // "more than 10,000 … in 5 minutes"
	DefaultTotalWindow     = 5 * time.Minute   // "a 5-minute window"
	DefaultLockout         = 5 * time.Minute   // "wait 5 minutes"
	maxRequestBody         = 64 << 10          // bigger bodies are answered 400
	keyID                  = "csconnect-sim-1" // the JWT "kid"
)

// Endpoint names an endpoint for fault injection.
type Endpoint int

// The endpoints.
const (
	Authenticate Endpoint = iota // POST /authenticate
	DateCheck                    // GET /datecheck/company
	numEndpoints
)

// RejectedCompany is a searchnumber that GET /datecheck/company refuses with 403
// and the JSON envelope (a rejected company), which a client must not mistake for
// an expired token.
const RejectedCompany = "0000000000"

// Options configure a Simulator. Username and Password are required; every other
// zero value means the documented default.
type Options struct {
	Username, Password string // the one accepted pair, compared exactly (case-sensitive)

	TokenTTL        time.Duration // token lifetime; default DefaultTokenTTL
	IdenticalLimit  int           // identical invalid requests allowed per window; default 5
	IdenticalWindow time.Duration // default 2 minutes
	TotalLimit      int           // authenticate requests allowed per TotalWindow; default 10,000
	TotalWindow     time.Duration // default 5 minutes
	Lockout         time.Duration // endpoint lockout after TotalLimit; default 5 minutes

	Unauthorized Format // shape of 401 from authenticate: FormatText (default), FormatJSON or FormatAlternate
	TokenExpired Format // shape of 403 Token Expired: FormatText (default), FormatJSON, FormatError or FormatAlternate

	Now func() time.Time // the clock; default time.Now
}

// Simulator is a Creditsafe CONNECT server. It is an http.Handler serving
// POST /v1/authenticate and POST /authenticate (the path as the spec writes it,
// which Prism proxies), GET /datecheck/company, and the control paths
// GET /_sim/stats, POST /_sim/reset, POST /_sim/faults (FaultRequest),
// POST /_sim/clock (ClockRequest) and GET /_sim/openapi.yaml (ControlSpec, the
// document of these control paths). Safe for concurrent use.
type Simulator struct {
	opts     Options       // Password cleared: see password
	password func() string // the accepted password, out of fmt's reach
	offset   atomic.Int64  // nanoseconds Advance added to Options.Now
	key      *rsa.PrivateKey
	mux      *http.ServeMux

	stats counters

	mu          sync.Mutex
	ttl         time.Duration
	inactive    bool
	unauthFmt   Format
	expiredFmt  Format
	alternation [2]int // per Format-using response, how many were sent (for FormatAlternate)
	faults      [numEndpoints]faults
	limits      limiter
}

type faults struct {
	fail    int           // answer the next fail requests with 500
	drop    int           // drop the connection of the next drop requests
	latency time.Duration // delay every response
}

// New returns a Simulator with a fresh RSA key.
func New(opts Options) (*Simulator, error) {
	if opts.Username == "" || opts.Password == "" {
		return nil, errors.New("simulator: username and password are required")
	}
	if err := checkFormats(opts.Unauthorized, opts.TokenExpired); err != nil {
		return nil, err
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&opts.TokenTTL, DefaultTokenTTL)
	def(&opts.IdenticalWindow, DefaultIdenticalWindow)
	def(&opts.TotalWindow, DefaultTotalWindow)
	def(&opts.Lockout, DefaultLockout)
	if opts.IdenticalLimit <= 0 {
		opts.IdenticalLimit = DefaultIdenticalLimit
	}
	if opts.TotalLimit <= 0 {
		opts.TotalLimit = DefaultTotalLimit
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("simulator: generate key: %w", err)
	}
	s := &Simulator{opts: opts, key: key, mux: http.NewServeMux(), password: sealPassword(opts.Password)}
	s.opts.Password = "" // kept sealed: fmt prints s.opts's fields when it reaches them
	s.resetLocked()
	h := handlers{s}
	for _, base := range []string{"", "/v1"} {
		server.HandlerWithOptions(h, server.StdHTTPServerOptions{
			BaseURL:          base,
			BaseRouter:       s.mux,
			ErrorHandlerFunc: h.paramError,
		})
		datecheckserver.HandlerWithOptions(h, datecheckserver.StdHTTPServerOptions{
			BaseURL:          base,
			BaseRouter:       s.mux,
			ErrorHandlerFunc: h.paramError,
		})
	}
	s.mux.HandleFunc("GET /_sim/stats", s.serveStats)
	s.mux.HandleFunc("POST /_sim/reset", s.serveReset)
	s.mux.HandleFunc("POST /_sim/faults", s.serveFaults)
	s.mux.HandleFunc("POST /_sim/clock", s.serveClock)
	s.mux.HandleFunc("GET /_sim/openapi.yaml", s.serveControlSpec)
	return s, nil
}

// now is the simulator's time: Options.Now moved forward by every Advance.
func (s *Simulator) now() time.Time { return s.opts.Now().Add(time.Duration(s.offset.Load())) }

// Advance moves the simulator's clock forward by d (a negative d is ignored: its time
// never runs backward), so that a client can meet an expired token or the end of a
// lockout without waiting, even when the simulator runs on the real clock (csconnect
// sim). It returns the simulator's time after the move. Reset keeps the offset.
func (s *Simulator) Advance(d time.Duration) time.Time {
	for d > 0 {
		old := s.offset.Load()
		next := old + int64(d)
		if next < old { // past ~292 years: stay at the end rather than wrap around
			next = math.MaxInt64
		}
		if s.offset.CompareAndSwap(old, next) {
			break
		}
	}
	return s.now()
}

// ServeHTTP serves the simulator's endpoints.
func (s *Simulator) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// PublicKey returns the key that verifies the simulator's tokens.
func (s *Simulator) PublicKey() *rsa.PublicKey { return &s.key.PublicKey }

// Stats returns the counters.
func (s *Simulator) Stats() Stats { return s.stats.snapshot() }

// Reset clears counters, limits, lockouts and faults and restores the options'
// token lifetime and formats. Tokens issued before stay valid until they expire.
func (s *Simulator) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.resetLocked()
	s.stats.reset()
}

func (s *Simulator) resetLocked() {
	s.ttl = s.opts.TokenTTL
	s.inactive = false
	s.unauthFmt = s.opts.Unauthorized
	s.expiredFmt = s.opts.TokenExpired
	s.alternation = [2]int{}
	s.faults = [numEndpoints]faults{}
	s.limits = newLimiter(s.opts)
}

// SetTokenTTL sets the lifetime of tokens issued from now on (a shortened lifetime
// tests expiry without waiting an hour).
func (s *Simulator) SetTokenTTL(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ttl = d
}

// SetTotalLimit sets the total-requests threshold per window (a low one tests the
// lockout without sending 10,000 requests). Reset restores Options.TotalLimit.
func (s *Simulator) SetTotalLimit(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limits.totalLimit = n
}

// SetAccountInactive makes authenticate answer 403 (customer or user not active)
// to the valid credentials while on.
func (s *Simulator) SetAccountInactive(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inactive = on
}

// SetFormats sets the shapes of 401 from authenticate and of 403 Token Expired
// until Reset, which restores the options' formats. It refuses a format the
// response does not accept (FormatError for 401), and then changes nothing.
func (s *Simulator) SetFormats(unauthorized, tokenExpired Format) error {
	if err := checkFormats(unauthorized, tokenExpired); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.unauthFmt, s.expiredFmt = unauthorized, tokenExpired
	return nil
}

// FailNext makes the next n requests to ep answer 500 with the JSON envelope.
// Injected failures do not count toward the rate limits.
func (s *Simulator) FailNext(ep Endpoint, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[ep].fail = n
}

// DropNext makes the next n requests to ep lose their connection without an
// answer.
func (s *Simulator) DropNext(ep Endpoint, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[ep].drop = n
}

// SetLatency delays every answer from ep by d (real time: it tests the client's
// timeouts). A request whose context ends first gets no answer.
func (s *Simulator) SetLatency(ep Endpoint, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[ep].latency = d
}

// pickFormat resolves FormatAlternate for response kind i (kindUnauthorized or
// kindTokenExpired).
// Call with s.mu held.
func (s *Simulator) pickFormat(f Format, i int) Format {
	if f != FormatAlternate {
		return f
	}
	s.alternation[i]++
	if s.alternation[i]%2 == 1 {
		return FormatText
	}
	return FormatJSON
}
