package otelcsconnect

import (
	"os/exec"
	"strings"
	"testing"
)

// TestCoreImportsNoOpenTelemetry: package csconnect (and so every program that
// does not import this package) depends on no OpenTelemetry module.
func TestCoreImportsNoOpenTelemetry(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command:", err)
	}
	out, err := exec.CommandContext(t.Context(), gobin, "list", "-deps", "github.com/csconnect/csconnect/pkg/csconnect").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	if !strings.Contains(string(out), "github.com/csconnect/csconnect/pkg/csconnect\n") {
		t.Fatalf("go list -deps printed no csconnect: %.200s", out)
	}
	for _, p := range strings.Fields(string(out)) {
		if strings.HasPrefix(p, "go.opentelemetry.io/") {
			t.Errorf("pkg/csconnect depends on %s", p)
		}
	}
}
