package suite_test

import (
	"bytes"
	"compress/flate"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/csconnect/csconnect/conformance/suite"
	"github.com/csconnect/csconnect/internal/secret/secrettest"
)

func TestSanitize(t *testing.T) {
	const tok = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"
	tests := map[string]struct {
		header http.Header
		body   string
		secret string
	}{
		"token body":       {http.Header{"Content-Type": {"application/json"}}, `{"token":"` + tok + `"}`, tok},
		"non-jwt token":    {http.Header{"Content-Type": {"application/json"}}, `{"token":"opaque-secret-value"}`, "opaque-secret-value"},
		"cookie":           {http.Header{"Set-Cookie": {"session=s3cr3t"}}, ``, "s3cr3t"},
		"jwt in error msg": {http.Header{}, `{"message":"bad token ` + tok + `"}`, tok},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			resp := &http.Response{Status: "200 OK", StatusCode: 200, Header: tc.header}
			got := string(suite.Sanitize(resp, []byte(tc.body)))
			if strings.Contains(got, tc.secret) {
				t.Errorf("Sanitize() = %q; want %q removed", got, tc.secret)
			}
			if !strings.HasPrefix(got, "HTTP/1.1 200 OK\n") {
				t.Errorf("Sanitize() = %q; want a status line first", got)
			}
		})
	}
}

func TestFormattingNeverPrintsPassword(t *testing.T) {
	const pw = "not-to-be-printed"
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		for name, v := range map[string]any{
			"Target":      suite.Target{Username: "u", Password: pw},
			"StackConfig": suite.StackConfig{Username: "u", Password: pw},
			"*Target":     &suite.Target{Username: "u", Password: pw},
		} {
			if got := fmt.Sprintf(verb, v); strings.Contains(got, pw) {
				t.Errorf("Sprintf(%s, %s) = %q; want no password", verb, name, got)
			}
		}
	}
}

// TestFixtureWriterRedactsEchoes: a server that echoes the password or the token, in
// a header or escaped in the body, leaves neither in any .snap file.
func TestFixtureWriterRedactsEchoes(t *testing.T) {
	const pw = `p@ss w/rd+<&>"'é`
	const tok = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"
	for _, esc := range secrettest.Escapes {
		t.Run(esc.Name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				quoted := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
				if r.URL.Path == "/v1/authenticate" {
					var in struct{ Password string }
					_ = json.NewDecoder(r.Body).Decode(&in)
					w.Header().Set("X-Echo", esc.F(in.Password))
					w.Header().Set("Content-Type", "application/json")
					fmt.Fprintf(w, `{"token":"%s","echo":"%s"}`, tok, quoted.Replace(esc.F(in.Password)))
					return
				}
				bearer := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
				w.Header().Set("X-Seen", esc.F(bearer))
				w.Header().Set("Content-Type", "text/plain")
				w.WriteHeader(http.StatusUnauthorized)
				fmt.Fprintf(w, "Invalid token %s", esc.F(bearer))
			}))
			t.Cleanup(srv.Close)
			dir := t.TempDir()
			c := &http.Client{Transport: &suite.FixtureWriter{Dir: dir}}
			postAuthenticate(t, c, srv.URL, pw)
			req, _ := http.NewRequest(http.MethodGet, srv.URL+"/datecheck/company", nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			files, _ := filepath.Glob(filepath.Join(dir, "*.snap"))
			if len(files) != 2 {
				t.Fatalf("fixtures = %v; want 2", files)
			}
			for _, f := range files {
				raw, _ := os.ReadFile(f)
				secrettest.AssertNone(t, filepath.Base(f), string(raw), pw, tok)
			}
		})
	}
}

// TestSanitizeKeepsFixedText: a password that is part of the fixed text ("p",
// "Please", "authenticate") changes nothing in a fixture of a documented answer.
func TestSanitizeKeepsFixedText(t *testing.T) {
	resp := &http.Response{Status: "401 Unauthorized", StatusCode: 401,
		Header: http.Header{"Content-Type": {"application/json"}, "Retry-After": {"300"}}}
	body := []byte(`{"message": "Access denied - Please check that your username and password are correct. Please be aware that usernames and passwords are case sensitive. If the problem persists, please contact your Creditsafe account manager."}`)
	want := string(suite.Sanitize(resp, body))
	for _, pw := range []string{"p", "Please", "authenticate", "Access", "message", "json"} {
		if got := string(suite.Sanitize(resp, body, pw)); got != want {
			t.Errorf("Sanitize(password %q) = %q; want %q unchanged", pw, got, want)
		}
	}
}

// TestFixtureWriterPassesWholeBody: a body larger than what a fixture keeps still
// reaches the caller whole.
func TestFixtureWriterPassesWholeBody(t *testing.T) {
	want := strings.Repeat("x", 1<<20+100)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, want) }))
	t.Cleanup(srv.Close)
	c := &http.Client{Transport: &suite.FixtureWriter{Dir: t.TempDir()}}
	resp, err := c.Get(srv.URL + "/big")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if got, _ := io.ReadAll(resp.Body); len(got) != len(want) {
		t.Errorf("body read through FixtureWriter = %d bytes; want %d", len(got), len(want))
	}
}

// TestSanitizeRemovesEveryJWT: "anything shaped like a JWT" is removed however many
// there are: a hostile server that sends decoys first must not push a real one (a
// refresh token, a token of another account) past a count.
func TestSanitizeRemovesEveryJWT(t *testing.T) {
	const real = "eyJhbGciOiJSUzI1NiJ9.eyJyZWZyZXNoIjp0cnVlfQ.cmVhbC1zaWduYXR1cmU"
	var decoys []string
	for i := range 100 {
		decoys = append(decoys, fmt.Sprintf("eyJ%d.eyJ%d.x", i, i))
	}
	doc, _ := json.Marshal(map[string]any{"a_decoys": decoys, "refresh_token": real})
	resp := &http.Response{Status: "200 OK", StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}}}
	for name, body := range map[string]string{"json": string(doc), "text": strings.Join(decoys, " ") + " " + real} {
		if got := string(suite.Sanitize(resp, []byte(body))); strings.Contains(got, real) {
			t.Errorf("Sanitize(%s body with %d JWT-shaped decoys first) kept the real JWT", name, len(decoys))
		}
	}
}

// TestSanitizeEncodedBody: a body in a Content-Encoding the fixture writer does not
// decode (a server may compress though not asked) cannot be searched for secrets, so
// it is not written as it came: its bytes decode to the echoed password.
func TestSanitizeEncodedBody(t *testing.T) {
	const pw = "correct-horse-battery-staple"
	var z bytes.Buffer
	fw, _ := flate.NewWriter(&z, flate.BestCompression)
	fmt.Fprintf(fw, `{"message":"wrong password %s for user u"}`, pw)
	fw.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Encoding", "deflate")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write(z.Bytes())
	}))
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	postAuthenticate(t, &http.Client{Transport: &suite.FixtureWriter{Dir: dir}}, srv.URL, pw)
	snapBody := fixtureBody(t, dir)
	if plain, err := io.ReadAll(flate.NewReader(bytes.NewReader(snapBody))); err == nil && bytes.Contains(plain, []byte(pw)) {
		t.Errorf("fixture body inflates to %q: the password is in the fixture", plain)
	}

	// The same for a body in UTF-16, which no decoding of UTF-8 text finds.
	u16 := []byte{}
	for _, r := range "wrong password " + pw {
		u16 = append(u16, byte(r), 0)
	}
	resp401 := &http.Response{Status: "401 Unauthorized", StatusCode: 401, Header: http.Header{"Content-Type": {"text/plain; charset=utf-16le"}}}
	got := suite.Sanitize(resp401, u16, pw)
	if _, b, _ := bytes.Cut(got, []byte("\n\n")); bytes.Equal(b, u16) {
		t.Errorf("Sanitize(UTF-16 body echoing the password) kept it as it came: %q", got)
	}
}

// TestFixtureWriterCutsBetweenCharacters: a body over the cap is cut between two
// characters, so the fixture stays UTF-8 text (and is kept, not replaced whole as a
// body that cannot be searched).
func TestFixtureWriterCutsBetweenCharacters(t *testing.T) {
	big := "a" + strings.Repeat("é", 1<<19+10) // odd offset: the cap falls inside an é
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, big) }))
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	c := &http.Client{Transport: &suite.FixtureWriter{Dir: dir}}
	resp, err := c.Get(srv.URL + "/big")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	body := fixtureBody(t, dir)
	if !utf8.Valid(body) || !strings.HasPrefix(string(body), "aéé") || !strings.HasSuffix(string(body), "é…") {
		t.Errorf("fixture of a cut body = %d bytes, valid UTF-8 %t, starts %q; want the text cut between characters and ending in …", len(body), utf8.Valid(body), body[:min(len(body), 8)])
	}
}

// postAuthenticate posts an authenticate request with password pw to base through c.
func postAuthenticate(t *testing.T, c *http.Client, base, pw string) {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"username": "u", "password": pw})
	resp, err := c.Post(base+"/v1/authenticate", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
}

// fixtureBody returns the body of the one fixture in dir.
func fixtureBody(t *testing.T, dir string) []byte {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*.snap"))
	if len(files) != 1 {
		t.Fatalf("fixtures = %v; want 1", files)
	}
	raw, _ := os.ReadFile(files[0])
	_, body, _ := bytes.Cut(raw, []byte("\n\n"))
	return body
}
