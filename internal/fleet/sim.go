package fleet

import (
	"errors"
	"net"
	"net/http"
	"time"

	"github.com/csconnect/csconnect/conformance/simulator"
)

// simServer is the simulator the fleet calls, served on a loopback port by the
// driver's process (one simulator process for the whole fleet).
type simServer struct {
	url string
	sim *simulator.Simulator
	srv *http.Server
}

// simStats is what the driver reads from the simulator.
type simStats struct {
	authenticate, tokensIssued, unauthorized, rateLimited, tokenExpired int64
}

func startSimulator(username, password string, ttl time.Duration) (*simServer, error) {
	sim, err := simulator.New(simulator.Options{Username: username, Password: password, TokenTTL: ttl})
	if err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Handler: sim, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			panic(err) // a listener we own failing is a bug in the demonstration
		}
	}()
	return &simServer{url: "http://" + l.Addr().String(), sim: sim, srv: srv}, nil
}

func (s *simServer) stats() simStats {
	st := s.sim.Stats()
	return simStats{
		authenticate: st.Authenticate, tokensIssued: st.TokensIssued, unauthorized: st.Unauthorized,
		rateLimited: st.RateLimited, tokenExpired: st.TokenExpired,
	}
}

func (s *simServer) close() { _ = s.srv.Close() }
