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
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"github.com/csconnect/csconnect/internal/secret"
)

// FixtureWriter is an http.RoundTripper that saves every response it carries as a
// wire fixture (status line, headers, blank line, body), with secrets removed: the
// password of an authenticate request, the bearer token of a request, a token an
// answer carries, anything shaped like a JWT, and Secrets are looked for in every
// escaping (JSON, HTML, URL) and each header value or body value that holds one is
// replaced whole (see Sanitize). Put it under the validating transport (as
// Target.Base) to keep what a live run saw. Safe for concurrent use.
type FixtureWriter struct {
	Dir     string            // directory for the .snap files; created if missing
	Base    http.RoundTripper // nil means http.DefaultTransport
	Secrets []string          // more values never to write (the password is found in the request)
	n       atomic.Int64
	seen    learnt // secrets learnt from earlier exchanges (tokens, passwords)
}

// maxFixtureBody caps how much of a body is saved; cappedTail is what is dropped from
// the end of a capped one: more than the longest password in its longest escaping.
const (
	maxFixtureBody = 1 << 20
	cappedTail     = 1 << 10
)

// jwtPattern matches anything shaped like a JWT, wherever it appears in a body.
var jwtPattern = regexp.MustCompile(`eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*`)

// redactedToken replaces tokens in fixtures; it still matches the spec's token
// pattern, so a fixture stays a valid example.
const redactedToken = "eyJredacted.eyJredacted.redacted"

// keepHeaders are the only headers written to a fixture: what the contract and the
// client read. Any other header (a cookie, a session, a server's echo of the
// request) is dropped, and a kept value that holds a secret is replaced.
var keepHeaders = map[string]bool{
	"Content-Type": true, "Retry-After": true, "Www-Authenticate": true, "X-Request-Id": true,
	"X-Correlation-Id": true, "Correlation-Id": true, "Request-Id": true, "Cache-Control": true,
	"Ratelimit-Limit": true, "Ratelimit-Remaining": true, "Ratelimit-Reset": true,
	"X-Ratelimit-Limit": true, "X-Ratelimit-Remaining": true, "X-Ratelimit-Reset": true,
}

// RoundTrip forwards req and saves the response; a fixture that cannot be written
// does not fail the request.
func (f *FixtureWriter) RoundTrip(req *http.Request) (*http.Response, error) {
	base := f.Base
	if base == nil {
		base = http.DefaultTransport
	}
	f.seen.add(requestSecrets(req)...)
	resp, err := base.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxFixtureBody))
	// The caller gets the same bytes followed by any unread rest.
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(body), resp.Body), resp.Body}
	if err != nil {
		return resp, nil
	}
	if len(body) == maxFixtureBody {
		// Cut, perhaps inside an echoed secret: drop the tail its first characters
		// could sit in, whatever it holds, so the cut says nothing about the secret.
		cut := body[: maxFixtureBody-cappedTail : maxFixtureBody-cappedTail]
		// Not inside a character either, or the body would read as not UTF-8.
		for k := 1; k <= utf8.UTFMax && k <= len(cut); k++ {
			if utf8.RuneStart(cut[len(cut)-k]) {
				if !utf8.FullRune(cut[len(cut)-k:]) {
					cut = cut[:len(cut)-k]
				}
				break
			}
		}
		body = append(cut, "…"...)
	}
	f.seen.add(tokenOf(body))
	secrets := f.seen.with(f.Secrets...)
	n := f.n.Add(1)
	// The name keeps letters, digits, '.' and '_' of the path, and '-' for anything
	// else: a decoded path may hold a newline or a control character.
	slug := strings.Trim(strings.Map(func(r rune) rune {
		if r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_') {
			return r
		}
		return '-'
	}, req.URL.Path), "-")
	name := fmt.Sprintf("%03d-%s-%s-%d.snap", n, strings.ToLower(req.Method), slug, resp.StatusCode)
	_ = writeFixture(f.Dir, name, Sanitize(resp, body, secrets...))
	return resp, nil
}

// writeFixture writes data as dir/name by writing a new file and renaming it over
// name. Fixture names are predictable and a fixture directory is often checked in,
// where a symbolic link can be committed under such a name: writing to the name
// would write through the link to the file it names, while a rename replaces the
// link itself.
func writeFixture(dir, name string, data []byte) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".fixture-*") // O_EXCL: a new file, never a link
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after a successful rename there is nothing to remove
	_, err = tmp.Write(data)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o644) // CreateTemp makes 0600; fixtures are checked-in files and hold no secret
	}
	if err != nil {
		return err
	}
	return os.Rename(tmp.Name(), filepath.Join(dir, name))
}

// learnt is a set of secrets seen so far, safe for concurrent use: what a run's
// reports or a fixture writer's files must never hold.
type learnt struct {
	mu   sync.Mutex
	list []string
}

// add adds the non-empty secrets not yet in l.
func (l *learnt) add(secrets ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, s := range secrets {
		if s != "" && !slices.Contains(l.list, s) {
			l.list = append(l.list, s)
		}
	}
}

// with returns first followed by the secrets in l, in a new slice.
func (l *learnt) with(first ...string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append(slices.Clone(first), l.list...)
}

// requestSecrets returns the bearer token and the password a request carries.
func requestSecrets(req *http.Request) []string {
	var out []string
	if h := req.Header.Get("Authorization"); h != "" {
		out = append(out, h)
		if _, tok, ok := strings.Cut(h, " "); ok {
			out = append(out, strings.TrimSpace(tok))
		}
	}
	if req.Body == nil || req.Body == http.NoBody {
		return out
	}
	var body []byte
	if req.GetBody != nil {
		if rc, err := req.GetBody(); err == nil {
			body, _ = io.ReadAll(io.LimitReader(rc, 1<<16))
			rc.Close()
		}
	} else {
		// Read it and put back the same bytes followed by any unread rest.
		body, _ = io.ReadAll(io.LimitReader(req.Body, 1<<16))
		req.Body = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(body), req.Body), req.Body}
	}
	var creds map[string]any
	if json.Unmarshal(body, &creds) == nil {
		for k, v := range creds {
			if s, ok := v.(string); ok && strings.EqualFold(k, "password") {
				out = append(out, s)
			}
		}
	}
	return out
}

// tokenOf returns the "token" member of a JSON body, if any.
func tokenOf(body []byte) string {
	var tok struct {
		Token string `json:"token"`
	}
	if json.Unmarshal(body, &tok) == nil {
		return tok.Token
	}
	return ""
}

// Sanitize renders resp with body as a fixture without secrets: the given secrets, a
// token in the body and anything shaped like a JWT, each in every escaping. Only the
// headers in keepHeaders are written, each value that holds a secret as
// "[redacted]"; a JSON body keeps its structure, with each value that holds a secret
// replaced whole (a token by a placeholder that still matches the spec's pattern);
// any other body that holds one is replaced whole. A secret inside the vendor's
// documented text (a password "Please") changes nothing.
func Sanitize(resp *http.Response, body []byte, secrets ...string) []byte {
	secrets = append(secrets, tokenOf(body))
	// A JWT is found by its shape in every value, not collected from the body first:
	// a count of collected ones would let decoys push a real one past it.
	r := secret.New(secret.VendorText, secrets...).WithShapes(jwtPattern)
	var b bytes.Buffer
	reason := strings.TrimSpace(strings.TrimPrefix(resp.Status, strconv.Itoa(resp.StatusCode)))
	fmt.Fprintf(&b, "HTTP/1.1 %d %s\n", resp.StatusCode, r.Value(reason))
	h := r.Header(resp.Header)
	keys := make([]string, 0, len(h))
	for k := range h {
		if keepHeaders[http.CanonicalHeaderKey(k)] {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range h[k] {
			fmt.Fprintf(&b, "%s: %s\n", k, v)
		}
	}
	b.WriteString("\n")
	if !inspectable(resp.Header, body) {
		b.WriteString(secret.Marker)
		return b.Bytes()
	}
	b.Write(r.BodyMarked(body, func(member string) string {
		if strings.EqualFold(member, "token") {
			return redactedToken
		}
		return secret.Marker
	}))
	return b.Bytes()
}

// inspectable reports whether body is text the redactor can search: not in a
// Content-Encoding (a server may compress a body unasked, and the transport passes
// such bytes through), valid UTF-8 and free of NUL bytes (UTF-16 and other
// encodings put a secret's characters apart). A body that is not would be written
// as it came with every secret in it, so Sanitize replaces it whole.
func inspectable(h http.Header, body []byte) bool {
	for _, enc := range h.Values("Content-Encoding") {
		if e := strings.TrimSpace(enc); e != "" && !strings.EqualFold(e, "identity") {
			return false
		}
	}
	return utf8.Valid(body) && bytes.IndexByte(body, 0) < 0
}
