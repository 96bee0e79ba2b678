package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestConformanceRunsTheHelper: `csconnect conformance ARGS` runs the helper binary
// as `csconnect-conformance conformance ARGS`, with csconnect's stdout and stderr,
// and exits with its code.
func TestConformanceRunsTheHelper(t *testing.T) {
	t.Parallel()
	helper := filepath.Join(t.TempDir(), conformanceHelper.bin)
	script := "#!/bin/sh\necho \"args: $*\"\necho oops >&2\nexit 3\n"
	if err := os.WriteFile(helper, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"CSCONNECT_CONFORMANCE": helper}
	code, out, errOut := runCmd(t, context.Background(), vars, "conformance", "--run", "x y", "--json")
	if code != 3 || out != "args: conformance --run x y --json\n" || errOut != "oops\n" {
		t.Errorf("csconnect conformance = %d, stdout %q, stderr %q; want 3, the helper's args and output", code, out, errOut)
	}
}

// TestConformanceWithoutHelper: without the helper the command says how to get it
// and exits 2, sending nothing.
func TestConformanceWithoutHelper(t *testing.T) {
	t.Parallel()
	vars := map[string]string{"CSCONNECT_CONFORMANCE": filepath.Join(t.TempDir(), "missing")}
	code, _, errOut := runCmd(t, context.Background(), vars, "conformance", "--list")
	if code != exitUsage || !strings.Contains(errOut, "go install") {
		t.Errorf("csconnect conformance without the helper = %d, stderr %q; want %d and how to install it", code, errOut, exitUsage)
	}
}
