package simulator_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/csconnect/csconnect/conformance"
	"github.com/csconnect/csconnect/conformance/simulator"
)

const (
	testUser = "myUsername"
	testPass = "myS3cretP@ssw0rd999!"
)

var epoch = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// testSim is a simulator on a loopback server with a manual clock, and a client
// whose every exchange must conform to openapi.yaml (or the test fails).
type testSim struct {
	*simulator.Simulator
	clock  *simulator.ManualClock
	url    string
	client *http.Client
}

func newTestServer(t *testing.T, mod func(*simulator.Options)) *testSim {
	t.Helper()
	clock := simulator.NewManualClock(epoch)
	opts := simulator.Options{Username: testUser, Password: testPass, Now: clock.Now}
	if mod != nil {
		mod(&opts)
	}
	sim, err := simulator.New(opts)
	if err != nil {
		t.Fatalf("simulator.New() = %v", err)
	}
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	return &testSim{
		Simulator: sim,
		clock:     clock,
		url:       srv.URL,
		client:    &http.Client{Transport: conformance.NewTestTransport(t, srv.Client().Transport), Timeout: 10 * time.Second},
	}
}

type reply struct {
	status int
	ctype  string
	header http.Header
	body   string
}

// do sends one request; invalid marks it as deliberately off contract.
func (ts *testSim) do(t *testing.T, method, path, ctype, body, bearer string, invalid bool) reply {
	t.Helper()
	ctx := context.Background()
	if invalid {
		ctx = conformance.WithInvalidRequest(ctx)
	}
	req, err := http.NewRequestWithContext(ctx, method, ts.url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := ts.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return reply{resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header, string(b)}
}

func (ts *testSim) login(t *testing.T, body string) reply {
	t.Helper()
	return ts.do(t, http.MethodPost, "/v1/authenticate", "application/json", body, "", false)
}

func creds(u, p string) string {
	return `{"username":` + quote(u) + `,"password":` + quote(p) + `}`
}

func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"', '\\':
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	b.WriteByte('"')
	return b.String()
}

func jsonDecode(resp *http.Response, v any) error { return json.NewDecoder(resp.Body).Decode(v) }
