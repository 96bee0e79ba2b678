package agent

import (
	"net/url"
	"strings"
	"testing"
)

// refusesPath is checkPath's specification written plainly, several passes and
// an allocation, the way it was before checkPath became one pass: the oracle of
// FuzzCheckPath.
func refusesPath(escaped, decoded string) bool {
	if !strings.HasPrefix(escaped, "/") {
		return true
	}
	lower := strings.ToLower(escaped)
	for _, bad := range []string{"%2f", "%5c", "%2e", "%00", "\\", ";", "%3b"} {
		if strings.Contains(lower, bad) {
			return true
		}
	}
	return hasDotSegment(escaped) || hasDotSegment(decoded) || strings.Contains(escaped, "//")
}

// FuzzCheckPath: checkPath refuses exactly the paths the plain specification
// refuses, for every path net/url can produce. Seeds: the vendor's paths
// (authenticate, datecheck) and the escapes of badinput_test.go.
func FuzzCheckPath(f *testing.F) {
	for _, s := range []string{
		"/", "/v1/authenticate", "/connect/companies", "/se/datecheck/company", "/x/",
		"/up/../_agent/token", "/up/a/..", "/up/./x", "/up/%2e%2e/x", "/up/%2E%2E/x", "/up/a%2fb",
		"/up/a%5c..%5cb", "/up//x", "/up/..;/_agent/token", "/up/.;x=1/x", "/up/a/..%3b/x",
		"/up/a%00b", "/up/a\\b", "/up/a%20b", "/up/%41", "//", "/.", "/..", "/a/.b/..c",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		u, err := url.ParseRequestURI(raw)
		if err != nil || u.Opaque != "" || u.Host != "" {
			return // net/http refuses it before any handler
		}
		escaped := u.EscapedPath()
		code, _ := checkPath(escaped)
		if got, want := code != "", refusesPath(escaped, u.Path); got != want {
			t.Fatalf("checkPath(%q) refuses=%v; the specification says %v (decoded %q)", escaped, got, want, u.Path)
		}
		if code != "" && code != codeBadPath {
			t.Fatalf("checkPath(%q) = %q; want %q", escaped, code, codeBadPath)
		}
	})
}
