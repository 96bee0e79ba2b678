package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
)

// TestMain lets a test run the real command: the test binary re-executed with
// CSCONNECT_RUN_MAIN=1 is csconnect itself (see execCommand).
func TestMain(m *testing.M) {
	if os.Getenv("CSCONNECT_RUN_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// runCmd runs the dispatcher with args and the given environment variables.
func runCmd(t *testing.T, ctx context.Context, vars map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(ctx, args, environ{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return vars[k] }})
	return code, out.String(), errb.String()
}
