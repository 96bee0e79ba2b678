//go:build unix

package suite_test

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/csconnect/csconnect/conformance/suite"
)

// TestDiffFixturesRefusesWhatIsNotAFile: a fixture directory is untrusted input (a
// CI artifact, a pull request). A .snap that is a symbolic link (to the process's
// environment, to a credentials file) must not be read, so its content never reaches
// an error message; a named pipe must not block the diff forever. Each is refused
// promptly with an error that names the file.
func TestDiffFixturesRefusesWhatIsNotAFile(t *testing.T) {
	good := writeSnaps(t, map[string]string{"001-post-v1-authenticate-200.snap": snap200})
	const planted = "CREDITSAFE_PASSWORD=hunter2-outside-the-fixtures"
	outside := filepath.Join(t.TempDir(), "environ")
	if err := os.WriteFile(outside, []byte("HTTP/1.1 200 OK\n"+planted+"\n\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := map[string]func(path string) error{
		"symbolic link": func(path string) error { return os.Symlink(outside, path) },
		"named pipe":    func(path string) error { return syscall.Mkfifo(path, 0o600) },
	}
	for name, mk := range tests {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "001-post-v1-authenticate-200.snap")
			if err := mk(path); err != nil {
				t.Skipf("cannot make a %s here: %v", name, err)
			}
			done := make(chan error, 1)
			go func() { _, err := suite.DiffFixtures(good, dir); done <- err }()
			var err error
			select {
			case err = <-done:
			case <-time.After(10 * time.Second): // a failure guard, not a wait for an event
				t.Fatalf("DiffFixtures over a %s did not return (blocked opening it)", name)
			}
			if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "not a regular file") {
				t.Errorf("DiffFixtures over a %s = %v; want an error naming %s as not a regular file", name, err, path)
			}
			if err != nil && strings.Contains(err.Error(), "hunter2") {
				t.Errorf("DiffFixtures printed the content of a file outside the directory: %v", err)
			}
		})
	}
}

// TestDiffOutputHasNoControlCharacters: a fixture directory is untrusted, and the
// text diff goes to a terminal or a CI log. A file name, status or header name
// holding control characters (a newline that forges a "no drift" line, an escape
// sequence) is printed escaped or refused, never raw.
func TestDiffOutputHasNoControlCharacters(t *testing.T) {
	const forged = "\x1b[2K\rno drift between a and b\n"
	old := writeSnaps(t, map[string]string{"001-x-200.snap": snap200})
	cur := writeSnaps(t, map[string]string{
		"001-x-200.snap":                snap200,
		"002-" + forged + "-y-200.snap": snap200,
		"003-z-" + "200.snap":           "HTTP/1.1 200 OK" + forged + "Content-Type: application/json\n\n{}",
	})
	changes, err := suite.DiffFixtures(old, cur)
	for _, c := range changes {
		if s := c.String(); strings.ContainsAny(s, "\x1b\r\n") {
			t.Errorf("FixtureChange.String() = %q; want control characters escaped", s)
		}
	}
	if err != nil && strings.ContainsAny(err.Error(), "\x1b\r") {
		t.Errorf("DiffFixtures error = %q; want control characters escaped", err)
	}
	hdr := writeSnaps(t, map[string]string{"001-x-200.snap": "HTTP/1.1 200 OK\nX-A\x1b[31m: 1\n\n{}"})
	if _, err := suite.DiffFixtures(old, hdr); err == nil || strings.ContainsAny(err.Error(), "\x1b") {
		t.Errorf("DiffFixtures(header name with an escape sequence) = %v; want it refused, escaped", err)
	}
}
