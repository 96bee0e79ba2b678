package suite

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"
)

// PrismOptions say how to start Stoplight Prism, the independent validator.
type PrismOptions struct {
	Bin      string        // path to the prism executable (node_modules/.bin/prism)
	Spec     string        // path to the document (openapi.yaml or datecheck.yaml)
	Upstream string        // proxy mode: the server to proxy to; empty means mock mode
	Ready    time.Duration // how long to wait for Prism to listen; default 60 s
}

// Prism is a running Prism process listening on a loopback port.
type Prism struct {
	URL  string // base URL, e.g. "http://127.0.0.1:43121"
	cmd  *exec.Cmd
	done chan struct{}

	mu       sync.Mutex
	log      []string
	reported []string // sl-violations headers seen by Transport
}

// StartPrism starts `prism proxy <spec> <upstream> --errors` (or `prism mock
// <spec>`) on a free loopback port and waits until it accepts connections. The
// process is stopped by Close, or killed if ctx ends first.
func StartPrism(ctx context.Context, o PrismOptions) (*Prism, error) {
	if o.Ready <= 0 {
		o.Ready = 60 * time.Second
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	args := []string{"mock", o.Spec}
	if o.Upstream != "" {
		args = []string{"proxy", o.Spec, o.Upstream, "--errors"}
	}
	args = append(args, "--host", "127.0.0.1", "--port", strconv.Itoa(port))
	cmd := exec.CommandContext(ctx, o.Bin, args...)
	setProcessGroup(cmd)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("suite: start prism: %w", err)
	}
	p := &Prism{URL: "http://127.0.0.1:" + strconv.Itoa(port), cmd: cmd, done: make(chan struct{})}
	go p.collect(out)
	if err := p.waitReady(ctx, "127.0.0.1:"+strconv.Itoa(port), o.Ready); err != nil {
		p.Close()
		return nil, err
	}
	return p, nil
}

// collect keeps Prism's output lines and reaps the process when they end.
func (p *Prism) collect(r io.Reader) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		p.mu.Lock()
		p.log = append(p.log, sc.Text())
		p.mu.Unlock()
	}
	_ = p.cmd.Wait()
	close(p.done)
}

// waitReady polls the port until Prism listens, Prism exits, or the deadline.
func (p *Prism) waitReady(ctx context.Context, addr string, limit time.Duration) error {
	deadline := time.NewTimer(limit)
	defer deadline.Stop()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return nil
		}
		select {
		case <-p.done:
			return fmt.Errorf("suite: prism exited before listening: %s", p.tail(5))
		case <-deadline.C:
			return fmt.Errorf("suite: prism not listening on %s after %v: %s", addr, limit, p.tail(5))
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// Transport returns a RoundTripper over base (nil: http.DefaultTransport) that
// records the violations this Prism reports in its sl-violations response header.
func (p *Prism) Transport(base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return roundTripFunc(func(req *http.Request) (*http.Response, error) {
		resp, err := base.RoundTrip(req)
		// Only this Prism's answers: two Prisms' Transports may be stacked (one per
		// document), and each must report a violation once.
		if err == nil && "http://"+req.URL.Host == p.URL {
			if v := resp.Header.Get("sl-violations"); v != "" {
				p.mu.Lock()
				p.reported = append(p.reported, req.Method+" "+req.URL.Path+": "+v)
				p.mu.Unlock()
			}
		}
		return resp, err
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// Violations returns the violations Prism reported in the sl-violations header of
// responses carried by Transport (the reliable channel), then its log lines that
// report a violation or an error it answered with (best effort: Prism may not
// flush its last lines before it stops).
func (p *Prism) Violations() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := append([]string(nil), p.reported...)
	for _, l := range p.log {
		low := strings.ToLower(l)
		if strings.Contains(low, "violation") || strings.Contains(low, "✖") {
			out = append(out, l)
		}
	}
	return out
}

func (p *Prism) tail(n int) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.log[max(0, len(p.log)-n):], " | ")
}

// Close stops Prism (its whole process group: SIGTERM, so it flushes its log, then
// SIGKILL after 3 seconds) and waits for it to exit.
func (p *Prism) Close() error {
	select {
	case <-p.done:
		return nil
	default:
	}
	signalGroup(p.cmd, false)
	grace := time.NewTimer(3 * time.Second)
	defer grace.Stop()
	select {
	case <-p.done:
		return nil
	case <-grace.C:
	}
	signalGroup(p.cmd, true)
	select {
	case <-p.done:
		return nil
	case <-time.After(10 * time.Second):
		return errors.New("suite: prism did not exit")
	}
}

// freePort asks the kernel for a free loopback port. Another process could take it
// before Prism binds it; StartPrism then fails with a clear error.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
