package suite

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync/atomic"
)

// FixtureWriter is an http.RoundTripper that saves every response it carries as a
// wire fixture (status line, headers, blank line, body), with secrets removed: the
// request's credentials are never written, tokens in bodies are replaced, and
// headers that can carry secrets or session state are dropped. Put it under the
// validating transport (as Target.Base) to keep what a live run saw.
type FixtureWriter struct {
	Dir  string            // directory for the .snap files; created if missing
	Base http.RoundTripper // nil means http.DefaultTransport
	n    atomic.Int64
}

// jwtPattern matches anything shaped like a JWT, wherever it appears in a body.
var jwtPattern = regexp.MustCompile(`eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*`)

// redactedToken replaces tokens in fixtures; it still matches the spec's token
// pattern, so a fixture stays a valid example.
const redactedToken = "eyJredacted.eyJredacted.redacted"

// dropHeaders are never written to a fixture.
var dropHeaders = map[string]bool{"Set-Cookie": true, "Authorization": true, "Date": true, "Cookie": true}

// RoundTrip forwards req and saves the response; a fixture that cannot be written
// does not fail the request.
func (f *FixtureWriter) RoundTrip(req *http.Request) (*http.Response, error) {
	base := f.Base
	if base == nil {
		base = http.DefaultTransport
	}
	resp, err := base.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if err != nil {
		return resp, nil
	}
	n := f.n.Add(1)
	slug := strings.Trim(strings.ReplaceAll(req.URL.Path, "/", "-"), "-")
	name := fmt.Sprintf("%03d-%s-%s-%d.snap", n, strings.ToLower(req.Method), slug, resp.StatusCode)
	_ = os.MkdirAll(f.Dir, 0o755)
	_ = os.WriteFile(filepath.Join(f.Dir, name), Sanitize(resp, body), 0o644)
	return resp, nil
}

// Sanitize renders resp with body as a fixture without secrets.
func Sanitize(resp *http.Response, body []byte) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "HTTP/1.1 %s\n", resp.Status)
	keys := make([]string, 0, len(resp.Header))
	for k := range resp.Header {
		if !dropHeaders[http.CanonicalHeaderKey(k)] {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range resp.Header[k] {
			fmt.Fprintf(&b, "%s: %s\n", k, v)
		}
	}
	b.WriteString("\n")
	var tok struct {
		Token string `json:"token"`
	}
	if json.Unmarshal(body, &tok) == nil && tok.Token != "" {
		body = bytes.ReplaceAll(body, []byte(tok.Token), []byte(redactedToken))
	}
	b.Write(jwtPattern.ReplaceAll(body, []byte(redactedToken)))
	return b.Bytes()
}
