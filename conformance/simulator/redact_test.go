package simulator_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"testing"

	"github.com/csconnect/csconnect/conformance/simulator"
	"github.com/csconnect/csconnect/internal/secret/secrettest"
)

// TestFormattingNeverPrintsPassword prints the options and the simulator with every
// fmt verb, as JSON and through both slog handlers.
func TestFormattingNeverPrintsPassword(t *testing.T) {
	opts := simulator.Options{Username: testUser, Password: testPass}
	sim, err := simulator.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	values := map[string]any{"Options": opts, "*Options": &opts, "*Simulator": sim, "[]Options": []simulator.Options{opts},
		"struct": struct{ O simulator.Options }{opts},
		// Reached through an unexported field, where fmt calls no method of its. (An
		// Options value there prints its exported Password: fmt offers no hook.)
		"hidden": struct{ s *simulator.Simulator }{sim}}
	for name, v := range values {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%t", "%d"} {
			out := fmt.Sprintf(verb, v)
			secrettest.AssertNone(t, fmt.Sprintf("Sprintf(%s, %s)", verb, name), out, testPass)
			secrettest.AssertNone(t, fmt.Sprintf("Sprintf(%s, %s)", verb, name), out, fmt.Sprintf("%x", testPass))
		}
		j, _ := json.Marshal(v)
		secrettest.AssertNone(t, "json.Marshal("+name+")", string(j), testPass)
		var logged bytes.Buffer
		slog.New(slog.NewJSONHandler(&logged, nil)).Info("x", "v", v)
		slog.New(slog.NewTextHandler(&logged, nil)).Info("x", "v", v)
		secrettest.AssertNone(t, "slog("+name+")", logged.String(), testPass)
	}
}
