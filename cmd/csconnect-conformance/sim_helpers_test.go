package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// assertFixturesClean checks fixtures were written and hold neither the password
// nor a real token.
func assertFixturesClean(t *testing.T, dir, password string) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*.snap"))
	if len(files) == 0 {
		t.Fatalf("no fixtures in %s", dir)
	}
	for _, f := range files {
		b, _ := os.ReadFile(f)
		if strings.Contains(string(b), password) || strings.Contains(string(b), "eyJhbGciOiJSUzI1NiIs") {
			t.Errorf("fixture %s holds a secret:\n%s", filepath.Base(f), b)
		}
	}
}
