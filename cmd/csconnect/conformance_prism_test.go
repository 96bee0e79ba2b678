package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/csconnect/csconnect/conformance/suite"
)

// TestTokenAgainstPrismMock is the Prism mock cross-check from the command line:
// `csconnect token` against `prism mock openapi.yaml` (a server nobody here wrote)
// prints the spec's example token.
func TestTokenAgainstPrismMock(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Prism")
	}
	root, _ := filepath.Abs("../..")
	bin := filepath.Join(root, "node_modules", ".bin", "prism")
	if _, err := os.Stat(bin); err != nil {
		t.Skipf("prism not installed (%v): run `make deps-npm`", err)
	}
	p, err := suite.StartPrism(context.Background(), suite.PrismOptions{Bin: bin, Spec: filepath.Join(root, "openapi.yaml")})
	if err != nil {
		t.Fatalf("StartPrism(mock) = %v", err)
	}
	t.Cleanup(func() { p.Close() })

	vars := map[string]string{"CREDITSAFE_USERNAME": "myUsername", "CREDITSAFE_PASSWORD": "myS3cretP@ssw0rd999!", cacheDirEnv: newCacheDir(t)}
	code, out, errOut := runCmd(t, context.Background(), vars, "token", "--base-url", p.URL)
	if code != 0 {
		t.Fatalf("csconnect token --base-url <prism mock> = %d; stderr %q", code, errOut)
	}
	const example = "eyJhbGciOiJSUzI1NiIsImtpZCI6ImV4YW1wbGUta2V5LTEifQ."
	if !strings.HasPrefix(out, example) {
		t.Errorf("csconnect token printed %.20q…; want the spec's example token", out)
	}
}
