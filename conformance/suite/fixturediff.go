package suite

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Fixture is a .snap file as FixtureWriter writes it: a status line, headers, a
// blank line and the body.
type Fixture struct {
	Status string // the status line after the protocol, e.g. "401 Unauthorized"
	Header http.Header
	Body   []byte
}

// maxFixture bounds what ReadFixture reads: FixtureWriter keeps at most 1 MiB of
// body, and headers are small.
const maxFixture = 2 << 20

// ReadFixture reads and parses the .snap file at path, which must be a regular file:
// a fixture directory may come from elsewhere (a CI artifact, a pull request), so a
// symbolic link is not followed (it could name the process's environment or a
// credentials file, whose first line an error would quote) and a named pipe or a
// device is not opened (a pipe would block the read forever).
func ReadFixture(path string) (Fixture, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return Fixture{}, err
	}
	if !fi.Mode().IsRegular() {
		return Fixture{}, fmt.Errorf("%s: not a regular file (%v); a fixture is a file FixtureWriter wrote", path, fi.Mode().Type())
	}
	f, err := os.Open(path)
	if err != nil {
		return Fixture{}, err
	}
	defer f.Close()
	// The name may have been replaced between the Lstat and the Open: read only the
	// file that was checked.
	if opened, err := f.Stat(); err != nil || !os.SameFile(fi, opened) {
		return Fixture{}, fmt.Errorf("%s: not a regular file (replaced while being opened)", path)
	}
	b, err := io.ReadAll(io.LimitReader(f, maxFixture+1))
	if err != nil {
		return Fixture{}, err
	}
	if len(b) > maxFixture {
		return Fixture{}, fmt.Errorf("%s: larger than %d bytes", path, maxFixture)
	}
	fx, err := ParseFixture(b)
	if err != nil {
		return Fixture{}, fmt.Errorf("%s: %w", path, err)
	}
	return fx, nil
}

// ParseFixture parses the bytes of a .snap file.
func ParseFixture(b []byte) (Fixture, error) {
	head, body, found := bytes.Cut(b, []byte("\n\n"))
	if !found {
		return Fixture{}, errors.New("not a fixture: no blank line after the headers")
	}
	lines := strings.Split(string(head), "\n")
	proto, status, ok := strings.Cut(lines[0], " ")
	if !ok || !strings.HasPrefix(proto, "HTTP/") || status == "" || hasControl(status) {
		return Fixture{}, fmt.Errorf("not a fixture: first line %q is not a status line", lines[0])
	}
	fx := Fixture{Status: status, Header: http.Header{}, Body: body}
	for _, l := range lines[1:] {
		k, v, ok := strings.Cut(l, ":")
		if !ok || !isToken(k) {
			return Fixture{}, fmt.Errorf("not a fixture: header line %q", l)
		}
		fx.Header.Add(k, strings.TrimSpace(v))
	}
	return fx, nil
}

// FixtureChange is one difference between two fixture directories.
type FixtureChange struct {
	// Name identifies the fixture in both directories: its file name without the
	// status and ".snap" ("003-get-datecheck-company" for
	// "003-get-datecheck-company-403.snap"), so that a new status is a change of
	// the same exchange rather than one fixture removed and another added.
	Name string `json:"name"`
	Kind string `json:"kind"` // "added", "removed" or "changed"
	// Status is the status line in NEW (in OLD for a removed fixture).
	Status string `json:"status"`
	// Changes says, for a changed fixture, what changed: status, content type,
	// header names, body shape.
	Changes []string `json:"changes,omitempty"`
}

// String renders the change on one line.
func (c FixtureChange) String() string {
	if c.Kind != "changed" {
		return fmt.Sprintf("%-8s %s (%s)", c.Kind, c.Name, c.Status)
	}
	return fmt.Sprintf("%-8s %s: %s", c.Kind, c.Name, strings.Join(c.Changes, "; "))
}

// snapName splits a fixture file name into the name it is matched by and its
// status suffix.
var snapName = regexp.MustCompile(`^(.+)-[0-9]{3}\.snap$`)

// DiffFixtures compares the .snap fixtures in oldDir and newDir, as two
// `csconnect conformance --fixtures` runs wrote them, and returns what changed, in
// name order: fixtures added or removed, and for fixtures in both, a different
// status line, content type, set of header names or body shape (for JSON, its
// keys and value types, not its values; otherwise empty, text, html or binary).
// Header values and body values are not compared: dates, request IDs and
// messages differ from run to run without the contract changing. It fails when
// a directory cannot be read, holds no .snap file, or holds a file that is not a
// fixture.
func DiffFixtures(oldDir, newDir string) ([]FixtureChange, error) {
	old, err := readFixtureDir(oldDir)
	if err != nil {
		return nil, err
	}
	cur, err := readFixtureDir(newDir)
	if err != nil {
		return nil, err
	}
	union := maps.Clone(old)
	maps.Copy(union, cur)
	names := slices.Sorted(maps.Keys(union))
	var out []FixtureChange
	for _, n := range names {
		a, inOld := old[n]
		b, inNew := cur[n]
		switch {
		case !inNew:
			out = append(out, FixtureChange{Name: n, Kind: "removed", Status: a.Status})
		case !inOld:
			out = append(out, FixtureChange{Name: n, Kind: "added", Status: b.Status})
		default:
			if ch := compareFixtures(a, b); len(ch) > 0 {
				out = append(out, FixtureChange{Name: n, Kind: "changed", Status: b.Status, Changes: ch})
			}
		}
	}
	return out, nil
}

// readFixtureDir reads every .snap file of dir, keyed by snapName.
func readFixtureDir(dir string) (map[string]Fixture, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	out := map[string]Fixture{}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".snap") {
			continue
		}
		// The names, statuses and header names of fixtures are printed as they are:
		// none may carry a control character (a newline forging a line of output, an
		// escape sequence) from a directory that came from elsewhere.
		if hasControl(e.Name()) {
			return nil, fmt.Errorf("%s: fixture name %q holds control characters", dir, e.Name())
		}
		key := strings.TrimSuffix(e.Name(), ".snap")
		if m := snapName.FindStringSubmatch(e.Name()); m != nil {
			key = m[1]
		}
		if _, dup := out[key]; dup {
			return nil, fmt.Errorf("%s: two fixtures named %s", dir, key)
		}
		fx, err := ReadFixture(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		out[key] = fx
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no .snap fixtures", dir)
	}
	return out, nil
}

// compareFixtures lists what differs between a and b.
func compareFixtures(a, b Fixture) []string {
	var out []string
	if a.Status != b.Status {
		out = append(out, fmt.Sprintf("status %s -> %s", a.Status, b.Status))
	}
	if ca, cb := contentType(a.Header), contentType(b.Header); ca != cb {
		out = append(out, fmt.Sprintf("content type %q -> %q", ca, cb))
	}
	var added, removed []string
	for k := range b.Header {
		if _, ok := a.Header[k]; !ok {
			added = append(added, "+"+k)
		}
	}
	for k := range a.Header {
		if _, ok := b.Header[k]; !ok {
			removed = append(removed, "-"+k)
		}
	}
	if hs := append(slices.Sorted(slices.Values(added)), slices.Sorted(slices.Values(removed))...); len(hs) > 0 {
		out = append(out, "headers "+strings.Join(hs, " "))
	}
	if sa, sb := BodyShape(contentType(a.Header), a.Body), BodyShape(contentType(b.Header), b.Body); sa != sb {
		out = append(out, fmt.Sprintf("body %s -> %s", sa, sb))
	}
	return out
}

// contentType is h's Content-Type in a canonical form (lower-case type and
// parameter names), so spelling differences are not drift.
func contentType(h http.Header) string {
	v := h.Get("Content-Type")
	mt, params, err := mime.ParseMediaType(v)
	if err != nil {
		return strings.TrimSpace(v)
	}
	return mime.FormatMediaType(mt, params)
}

// BodyShape describes a body by its structure, not its values: for JSON, "json "
// and its keys and value types (`json {"error":{"code":string}}`, arrays as the
// set of their elements' shapes); otherwise "empty", "text", "html" or "binary".
func BodyShape(contentType string, body []byte) string {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return "empty"
	}
	mt, _, _ := mime.ParseMediaType(contentType)
	isJSON := mt == "application/json" || strings.HasSuffix(mt, "+json")
	if isJSON || trimmed[0] == '{' || trimmed[0] == '[' {
		dec := json.NewDecoder(bytes.NewReader(trimmed))
		dec.UseNumber()
		var v any
		if dec.Decode(&v) == nil && !dec.More() {
			return "json " + jsonShape(v)
		}
	}
	switch {
	case !utf8.Valid(body):
		return "binary"
	case mt == "text/html" || bytes.HasPrefix(bytes.ToLower(trimmed), []byte("<!doctype html")) || bytes.HasPrefix(bytes.ToLower(trimmed), []byte("<html")):
		return "html"
	}
	return "text"
}

// jsonShape renders the shape of a decoded JSON value.
func jsonShape(v any) string {
	switch v := v.(type) {
	case map[string]any:
		parts := make([]string, 0, len(v))
		for _, k := range slices.Sorted(maps.Keys(v)) {
			q, _ := json.Marshal(k)
			parts = append(parts, string(q)+":"+jsonShape(v[k]))
		}
		return "{" + strings.Join(parts, ",") + "}"
	case []any:
		seen := map[string]bool{}
		for _, e := range v {
			seen[jsonShape(e)] = true
		}
		return "[" + strings.Join(slices.Sorted(maps.Keys(seen)), "|") + "]"
	case string:
		return "string"
	case json.Number:
		return "number"
	case bool:
		return "boolean"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}

// hasControl reports whether s holds a control character (C0, DEL, C1) or is not
// UTF-8.
func hasControl(s string) bool {
	return !utf8.ValidString(s) || strings.ContainsFunc(s, unicode.IsControl)
}

// isToken reports whether s is an HTTP token (RFC 9110 tchar), as a header name is.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}
