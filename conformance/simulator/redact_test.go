package simulator_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/csconnect/csconnect/conformance/simulator"
)

func TestFormattingNeverPrintsPassword(t *testing.T) {
	opts := simulator.Options{Username: testUser, Password: testPass}
	sim, err := simulator.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
		for name, v := range map[string]any{"Options": opts, "*Simulator": sim, "[]Options": []simulator.Options{opts}} {
			if got := fmt.Sprintf(verb, v); strings.Contains(got, testPass) {
				t.Errorf("Sprintf(%s, %s) = %q; want no password", verb, name, got)
			}
		}
	}
}
