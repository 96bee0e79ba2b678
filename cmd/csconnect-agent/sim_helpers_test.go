package main

import (
	"net/http/httptest"
	"testing"

	"github.com/csconnect/csconnect/conformance/simulator"
)

// startSimCmd serves a simulator (what `csconnect sim` serves) on a loopback port
// with the live tests' credentials and returns its base URL and a stats reader.
func startSimCmd(t *testing.T) (base string, stats func() simulator.Stats) {
	t.Helper()
	sim, err := simulator.New(simulator.Options{Username: "liveUser", Password: "livePassword1"})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	return srv.URL, sim.Stats
}
