package main

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
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

// assertFixturesClean checks fixtures were written and hold neither the password
// nor a real token.
func assertFixturesClean(t *testing.T, dir, password string) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*.snap"))
	if len(files) == 0 {
		t.Fatalf("no fixtures in %s", dir)
	}
	for _, f := range files {
		b, _ := os.ReadFile(f)
		if strings.Contains(string(b), password) || strings.Contains(string(b), "eyJhbGciOiJSUzI1NiIs") {
			t.Errorf("fixture %s holds a secret:\n%s", filepath.Base(f), b)
		}
	}
}
