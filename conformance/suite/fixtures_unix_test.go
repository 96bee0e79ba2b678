//go:build unix

package suite_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/csconnect/csconnect/conformance/suite"
)

// TestFixtureWriterReplacesPlantedLinks: fixture names are predictable
// (001-get-x-200.snap), and a fixture directory is often a checked-in testdata
// folder, where a pull request can commit a symbolic link under such a name. The
// writer must replace the link with the fixture, never write through it to the file
// it names (a shell profile, an authorized_keys file).
func TestFixtureWriterReplacesPlantedLinks(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write([]byte("hello"))
	}))
	t.Cleanup(srv.Close)
	victim := filepath.Join(t.TempDir(), "authorized_keys")
	const original = "ssh-ed25519 AAAA the user's own key\n"
	if err := os.WriteFile(victim, []byte(original), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	planted := filepath.Join(dir, "001-get-x-200.snap")
	if err := os.Symlink(victim, planted); err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Transport: &suite.FixtureWriter{Dir: dir}}
	resp, err := c.Get(srv.URL + "/x")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got, _ := os.ReadFile(victim); string(got) != original {
		t.Errorf("the file a planted link named now holds %q; want it untouched", got)
	}
	fi, err := os.Lstat(planted)
	if err != nil || !fi.Mode().IsRegular() {
		t.Errorf("fixture %s: %v, %v; want a regular file replacing the link", planted, fi, err)
	}
}

// TestFixtureNamesArePlain: a request path holding a newline or an escape sequence
// (decoded from %0A, %1B) does not put it in the fixture's file name, which the
// diff prints.
func TestFixtureNamesArePlain(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	c := &http.Client{Transport: &suite.FixtureWriter{Dir: dir}}
	resp, err := c.Get(srv.URL + "/a%0Ab%1B[2K/c")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	files, _ := filepath.Glob(filepath.Join(dir, "*.snap"))
	if len(files) != 1 || filepath.Base(files[0]) != "001-get-a-b--2K-c-200.snap" {
		t.Errorf("fixtures = %q; want 001-get-a-b--2K-c-200.snap", files)
	}
}
