package suite

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/csconnect/csconnect/conformance/simulator"
)

// Suite credentials for the embedded simulator: a User Key and a password in the
// shape the vendor documents (the vendor's own example password).
const (
	SimUsername = "csconnectUserKey"
	SimPassword = "myS3cretP@ssw0rd999!"
)

// SimTarget is an embedded simulator listening on a loopback address.
type SimTarget struct {
	Target
	Addr string // host:port the simulator listens on
	srv  *http.Server
}

// StartSimulator starts a simulator with a manual clock on addr ("127.0.0.1:0"
// picks a free port) and returns the Target that points at it. Close stops it.
// Each mod, if any, changes the simulator's options before it starts (the
// response formats, say); the credentials and the clock are the suite's.
func StartSimulator(addr string, mods ...func(*simulator.Options)) (*SimTarget, error) {
	clock := simulator.NewManualClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	opts := simulator.Options{}
	for _, mod := range mods {
		mod(&opts)
	}
	opts.Username, opts.Password, opts.Now = SimUsername, SimPassword, clock.Now
	sim, err := simulator.New(opts)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("suite: listen on %s: %w", addr, err)
	}
	srv := &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	base := "http://" + ln.Addr().String()
	return &SimTarget{
		Target: Target{
			AuthURL:    base + "/v1",
			ServiceURL: base,
			Username:   SimUsername,
			Password:   SimPassword,
			Sim:        sim,
			Clock:      clock,
			Base:       &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 16},
		},
		Addr: ln.Addr().String(),
		srv:  srv,
	}, nil
}

// Close stops the simulator, waiting at most 5 seconds for requests in flight.
func (s *SimTarget) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := s.srv.Shutdown(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		return s.srv.Close()
	}
	return err
}
