package main

import (
	"context"
	"os"
	"os/exec"
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

// TestCLILinksNoSpecParser: the csconnect binary links no kin-openapi and no JSON
// Schema compiler, whose package init would cost every `csconnect token` milliseconds
// at start (issue 11); the conformance suite, which needs them, is the helper's.
func TestCLILinksNoSpecParser(t *testing.T) {
	t.Parallel()
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	out, err := exec.Command(gobin, "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for _, heavy := range []string{"github.com/getkin/kin-openapi", "github.com/santhosh-tekuri/jsonschema", "gopkg.in/yaml", "github.com/oasdiff/yaml"} {
		if strings.Contains(string(out), heavy) {
			t.Errorf("cmd/csconnect links %s", heavy)
		}
	}
}
