package csconnect

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/oauth2"

	"github.com/csconnect/csconnect/internal/benchpair"
)

// benchToken is a realistic bearer token: the vendor's RS256 JWTs are about 900 bytes.
var benchToken = &Token{Value: "eyJhbGciOiJSUzI1NiIsImtpZCI6Im" + strings.Repeat("x", 870), Expiry: time.Now().Add(24 * time.Hour)}

// warmup is how many calls each side of a loopback comparison makes, interleaved,
// before either is measured.
const warmup = 300

// atomicBaseline is the floor for a token cache: one atomic load and an expiry check.
type atomicBaseline struct{ p atomic.Pointer[Token] }

func (a *atomicBaseline) Token(context.Context) (*Token, error) {
	if t := a.p.Load(); t != nil && time.Now().Before(t.Expiry) {
		return t, nil
	}
	return nil, io.EOF
}

type staticOAuth2 struct{ t *oauth2.Token }

func (s staticOAuth2) Token() (*oauth2.Token, error) { return s.t, nil }

// oauth2Source measures an oauth2.TokenSource through the same interface call as the
// other cases.
type oauth2Source struct{ ts oauth2.TokenSource }

func (s oauth2Source) Token(context.Context) (*Token, error) {
	_, err := s.ts.Token()
	return nil, err
}

// BenchmarkToken compares our cached token with the floor (an atomic pointer) and with
// oauth2.ReuseTokenSource, serially and in parallel. Targets: 0 allocs/op, within
// 1.5× of atomic-baseline, faster than oauth2-reuse in parallel.
//
// Each case is called through the TokenSource interface held in a local variable,
// not through a closure: a closure's captured variables live in a 32-byte heap object,
// the size of testing.PB, whose counter RunParallel decrements on every iteration; when
// the two shared a cache line, the other core's reads of the closure slowed that case
// by ~40% (34 vs 24.5 ns), and which case it hit depended on allocation order.
func BenchmarkToken(b *testing.B) {
	ctx := context.Background()
	cache := NewCache(tokenSourceFunc(func(context.Context) (*Token, error) { return benchToken, nil }), CacheOptions{})
	defer cache.Close()
	base := &atomicBaseline{}
	base.p.Store(benchToken)
	reuse := oauth2Source{oauth2.ReuseTokenSource(nil, staticOAuth2{&oauth2.Token{AccessToken: benchToken.Value, Expiry: benchToken.Expiry}})}
	cases := []struct {
		name string
		src  TokenSource
	}{
		{"cached", cache},
		{"atomic-baseline", base},
		{"oauth2-reuse", reuse},
	}
	for _, bc := range cases {
		if _, err := bc.src.Token(ctx); err != nil { // fills the caches
			b.Fatal(err)
		}
	}
	for _, bc := range cases {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			src := bc.src
			for b.Loop() {
				if _, err := src.Token(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(bc.name+"-parallel", func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				src, ctx := bc.src, context.Background() // locals: see above
				for pb.Next() {
					if _, err := src.Token(ctx); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}

	// The comparisons the targets are stated in, paired block by block (see
	// runPairedBlocks): cached against each floor, serially and in parallel.
	for _, floor := range cases[1:] {
		if floor.name != "oauth2-reuse" { // the serial target is against the atomic floor only
			runPairedBlocks(b, "paired-"+floor.name, cache, floor.src, false)
		}
		runPairedBlocks(b, "paired-"+floor.name+"-parallel", cache, floor.src, true)
	}
}

// tokenBlock is how many Token calls each goroutine makes per timed block in
// runPairedBlocks: ~50-100 µs of cached calls, long enough that the clock reads and
// the wake-ups of the parallel workers (a few µs) stay small beside it.
const tokenBlock = 2000

// runPairedBlocks is the sub-benchmark name, which times ours and floor alternately
// (ours then floor, floor then ours, ...) in blocks of tokenBlock calls, a call being
// too short (~50 ns) to time on its own, and keeps the ratio ours/floor of each pair
// of blocks; one iteration is one pair. It reports the median and quartiles of those
// ratios as ratio-median, ratio-p25 and ratio-p75, and each side's median ns per
// call as ours-ns and floor-ns (in parallel, per call of all goroutines together, as
// RunParallel's ns/op). In parallel, a block is tokenBlock calls on each of
// GOMAXPROCS goroutines, timed from releasing them until the last finishes.
func runPairedBlocks(b *testing.B, name string, ours, floor TokenSource, parallel bool) {
	b.Run(name, func(b *testing.B) {
		ctx := context.Background()
		block := func(src TokenSource) {
			for range tokenBlock {
				if _, err := src.Token(ctx); err != nil {
					panic(err)
				}
			}
		}
		sides := [2]TokenSource{ours, floor}
		run, calls := func(j int) { block(sides[j]) }, float64(tokenBlock)
		if parallel {
			// GOMAXPROCS-1 workers and this goroutine run each block together. The
			// workers spin on gen between blocks instead of parking, so that all start
			// at once: a parked goroutine's wake-up took longer than the block.
			procs := runtime.GOMAXPROCS(0)
			calls *= float64(procs)
			var gen atomic.Uint64
			var side, pending atomic.Int32
			var stop atomic.Bool
			var workers sync.WaitGroup
			for range procs - 1 {
				workers.Go(func() {
					for seen := uint64(0); ; {
						g := gen.Load()
						if g == seen {
							if stop.Load() {
								return
							}
							runtime.Gosched()
							continue
						}
						seen = g
						block(sides[side.Load()])
						pending.Add(-1)
					}
				})
			}
			defer workers.Wait()
			defer stop.Store(true)
			run = func(j int) {
				pending.Store(int32(procs - 1))
				side.Store(int32(j))
				gen.Add(1)
				block(sides[j])
				for pending.Load() != 0 {
					runtime.Gosched()
				}
			}
		}
		var ratios, oursNs, floorNs []float64
		for i := 0; b.Loop(); i++ {
			var d [2]float64
			for _, j := range [2]int{i % 2, 1 - i%2} {
				start := time.Now()
				run(j)
				d[j] = float64(time.Since(start))
			}
			ratios, oursNs, floorNs = append(ratios, d[0]/d[1]), append(oursNs, d[0]/calls), append(floorNs, d[1]/calls)
		}
		benchpair.Report(b, ratios, oursNs, floorNs)
	})
}

// BenchmarkTransport sends the same authenticated GET to the same loopback server
// through our stack (csconnect) and through a plain client whose caller sets the same
// header (static-header, the floor); roundtripper-only measures our layer alone over
// an in-memory transport. paired times the two sides call by call (see internal/benchpair).
// Target: csconnect ≥ 0.95× the static-header throughput, judged on paired.
func BenchmarkTransport(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"ok":true}`)
	}))
	defer srv.Close()
	url := srv.URL + "/datecheck/company?searchnumber=5565144408"
	cache := NewCache(tokenSourceFunc(func(context.Context) (*Token, error) { return benchToken, nil }), CacheOptions{})
	defer cache.Close()
	ctx := context.Background()
	header := "Bearer " + benchToken.Value

	do := func(b *testing.B, client *http.Client, setHeader bool) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if setHeader {
			req.Header.Set("Authorization", header)
		}
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("status %d", resp.StatusCode)
		}
	}
	newBase := func() *http.Transport { return http.DefaultTransport.(*http.Transport).Clone() }
	ourBase, plainBase := newBase(), newBase()
	// The Transport as New builds it (response bodies capped).
	ours := &http.Client{Transport: &Transport{Source: cache, Base: ourBase, MaxResponseBody: defaultMaxResponseBody}}
	plain := &http.Client{Transport: plainBase}
	defer ourBase.CloseIdleConnections()
	defer plainBase.CloseIdleConnections()
	// Warm both up together (connections, heap, code paths), so that whichever runs
	// first in a fresh process does not pay for it.
	for range warmup {
		do(b, ours, false)
		do(b, plain, true)
	}

	runPair(b, "csconnect", func(b *testing.B) { do(b, ours, false) }, "static-header", func(b *testing.B) { do(b, plain, true) })
	b.Run("roundtripper-only", func(b *testing.B) {
		resp := &http.Response{StatusCode: http.StatusOK, Body: http.NoBody, Header: http.Header{}}
		tr := &Transport{Source: cache, Base: roundTripFunc(func(*http.Request) (*http.Response, error) { return resp, nil })}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := tr.RoundTrip(req); err != nil {
				b.Fatal(err)
			}
		}
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// BenchmarkAuthenticate sends one authenticate call to the same loopback server
// through our stack (csconnect: preflighted Authenticator, guard, decoding, expiry
// from the JWT) and as a bare net/http + encoding/json POST (nethttp-floor); paired
// times the two call by call (see internal/benchpair). Target: csconnect ≤ 1.05× the floor,
// judged on paired.
func BenchmarkAuthenticate(b *testing.B) {
	now := time.Now()
	body := fmt.Sprintf(`{"token":%q}`, signedJWT(b, jwt.MapClaims{
		"sub": testUser, "iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(hour).Unix(), "pad": strings.Repeat("x", 300),
	}))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, 4096))
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, body)
	}))
	defer srv.Close()
	ctx := context.Background()

	ourBase := http.DefaultTransport.(*http.Transport).Clone()
	defer ourBase.CloseIdleConnections()
	a, err := NewAuthenticator(AuthConfig{BaseURL: srv.URL + "/v1", Username: testUser, Password: testPassword,
		HTTPClient: &http.Client{Transport: ourBase}, Budget: -1}) // the default budget (100 per 5 min) would refuse the benchmark's loop
	if err != nil {
		b.Fatal(err)
	}
	ours := func(b *testing.B) {
		if _, err := a.Token(ctx); err != nil {
			b.Fatal(err)
		}
	}
	floorBase := http.DefaultTransport.(*http.Transport).Clone()
	defer floorBase.CloseIdleConnections()
	hc := &http.Client{Transport: floorBase}
	url := srv.URL + "/v1/authenticate"
	floor := func(b *testing.B) {
		reqBody, _ := json.Marshal(struct {
			Username string `json:"username"`
			Password string `json:"password"`
		}{testUser, testPassword})
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(reqBody))
		req.Header.Set("Content-Type", "application/json")
		resp, err := hc.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		var out struct {
			Token string `json:"token"`
		}
		err = json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&out)
		_ = resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK || out.Token == "" {
			b.Fatalf("status %d, token %d bytes, %v", resp.StatusCode, len(out.Token), err)
		}
	}
	for range warmup {
		ours(b)
		floor(b)
	}

	runPair(b, "csconnect", ours, "nethttp-floor", floor)
}

// runPair runs the two sides of a loopback comparison as sub-benchmarks, ours first,
// or the floor first when CSCONNECT_BENCH_FLOOR_FIRST is set: `make bench` alternates
// it by round, so that neither side always has the first slot. These give each
// side's ns/op and allocs; the ratio comes from the paired sub-benchmark that
// follows them (benchpair.Run).
func runPair(b *testing.B, ourName string, ours func(*testing.B), floorName string, floor func(*testing.B)) {
	sides := []struct {
		name string
		op   func(*testing.B)
	}{{ourName, ours}, {floorName, floor}}
	if os.Getenv("CSCONNECT_BENCH_FLOOR_FIRST") != "" {
		sides[0], sides[1] = sides[1], sides[0]
	}
	for _, side := range sides {
		b.Run(side.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				side.op(b)
			}
		})
	}
	benchpair.Run(b, "paired", ours, floor, 1)
}
