// Package simtest serves the Creditsafe CONNECT simulator for the commands' tests:
// what `csconnect sim` serves, in the test's process, with the credentials the live
// tests use.
package simtest

import (
	"net/http/httptest"
	"testing"

	"github.com/csconnect/csconnect/conformance/simulator"
)

// The credentials Start's simulator accepts.
const (
	Username = "liveUser"
	Password = "livePassword1"
)

// Start serves a simulator on a loopback port until t's cleanup and returns its base
// URL and a stats reader.
func Start(t testing.TB) (base string, stats func() simulator.Stats) {
	t.Helper()
	sim, err := simulator.New(simulator.Options{Username: Username, Password: Password})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	return srv.URL, sim.Stats
}
