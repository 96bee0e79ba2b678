package suite_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/csconnect/csconnect/conformance/suite"
)

// prismOrSkip returns the repository's pinned Prism, or skips when the npm tools are
// not installed (a plain `go test` without `make deps-npm`).
func prismOrSkip(t *testing.T) (bin, spec string) {
	t.Helper()
	root, _ := filepath.Abs("../..")
	bin = filepath.Join(root, "node_modules", ".bin", "prism")
	if _, err := os.Stat(bin); err != nil {
		t.Skipf("prism not installed (%v): run `make deps-npm`", err)
	}
	return bin, filepath.Join(root, "openapi.yaml")
}

func startPrism(t *testing.T, upstream string) *suite.Prism {
	t.Helper()
	bin, spec := prismOrSkip(t)
	p, err := suite.StartPrism(context.Background(), suite.PrismOptions{Bin: bin, Spec: spec, Upstream: upstream})
	if err != nil {
		t.Fatalf("StartPrism() = %v", err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// TestPrismMockGivesExampleToken is the cross-check with a server nobody here
// wrote: csconnect's client stack, pointed at Prism mocking openapi.yaml, gets the
// spec's example token, and every exchange passes our validator.
func TestPrismMockGivesExampleToken(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Prism")
	}
	p := startPrism(t, "")
	stack, err := suite.CSConnectStack(suite.StackConfig{
		AuthURL:   p.URL,
		Username:  "myUsername",
		Password:  "myS3cretP@ssw0rd999!",
		Transport: conformanceTestTransport(t),
	})
	if err != nil {
		t.Fatalf("CSConnectStack() = %v", err)
	}
	defer stack.Close()
	tok, err := stack.Source.Token(context.Background())
	if err != nil {
		t.Fatalf("Token() from prism mock = %v", err)
	}
	if !strings.HasPrefix(tok.Value, exampleTokenPrefix) {
		t.Errorf("Token() from prism mock = %.20s…; want the spec's example token", tok.Value)
	}
}

// exampleTokenPrefix is the start of the example token in openapi.yaml.
const exampleTokenPrefix = "eyJhbGciOiJSUzI1NiIsImtpZCI6ImV4YW1wbGUta2V5LTEifQ."

// TestPrismProxyReportsViolations shows that the Prism run can fail: a server that
// answers 401 as XML is reported by Prism.
func TestPrismProxyReportsViolations(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Prism")
	}
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, "<denied/>")
	}))
	t.Cleanup(bad.Close)
	p := startPrism(t, bad.URL)
	client := &http.Client{Transport: p.Transport(nil)}
	resp, err := client.Post(p.URL+"/authenticate", "application/json", strings.NewReader(`{"username":"u","password":"p"}`))
	if err != nil {
		t.Fatalf("POST via prism: %v", err)
	}
	resp.Body.Close()
	v := p.Violations()
	if len(v) == 0 || !strings.Contains(v[0], "application/xml") {
		t.Errorf("Prism.Violations() = %q; want the XML 401 reported first", v)
	}
}
