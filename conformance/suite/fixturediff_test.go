package suite_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/csconnect/csconnect/conformance/simulator"
	"github.com/csconnect/csconnect/conformance/suite"
)

// writeSnaps makes a fixture directory in t.TempDir from name → content.
func writeSnaps(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const (
	snap401Text = "HTTP/1.1 401 Unauthorized\nContent-Length: 13\nContent-Type: text/plain; charset=utf-8\n\nAccess denied"
	snap200     = "HTTP/1.1 200 OK\nContent-Type: application/json\n\n{\"token\":\"eyJredacted.eyJredacted.redacted\"}\n"
)

func TestDiffFixtures(t *testing.T) {
	base := map[string]string{
		"001-post-v1-authenticate-200.snap":  snap200,
		"002-post-v1-authenticate-401.snap":  snap401Text,
		"003-get-datecheck-company-403.snap": "HTTP/1.1 403 Forbidden\nContent-Type: application/json\n\n{\"error\":{\"code\":\"403\",\"text\":\"Token Expired\"}}",
		"004-get-datecheck-company-200.snap": "HTTP/1.1 200 OK\nContent-Type: application/json\n\n{\"n\":1,\"tags\":[\"a\"]}",
		"005-post-v1-authenticate-400.snap":  "HTTP/1.1 400 Bad Request\nContent-Length: 0\n\n",
		"006-post-v1-authenticate-500.snap":  "HTTP/1.1 500 Internal Server Error\nContent-Type: application/json\n\n{\"error\":{\"code\":\"500\"}}",
		"007-post-v1-authenticate-429.snap":  "HTTP/1.1 429 Too Many Requests\nContent-Type: application/json\nRetry-After: 300\n\n{}",
		"008-post-v1-authenticate-401.snap":  snap401Text,
		"notes.txt":                          "not a fixture, ignored",
		"009-get-datecheck-company-200.snap": "HTTP/1.1 200 OK\nContent-Type: text/html\n\n<html></html>",
		"010-get-datecheck-company-200.snap": "HTTP/1.1 200 OK\nContent-Type: application/json\n\n{\"a\":\"x\"}",
		"011-post-v1-authenticate-401.snap":  snap401Text,
		"012-get-datecheck-company-200.snap": "HTTP/1.1 200 OK\nContent-Type: application/json\n\n[1,2]",
	}
	tests := map[string]struct {
		change map[string]string // files replaced ("" removes)
		want   []string          // FixtureChange.String() of each change
	}{
		"identical but for values": {
			change: map[string]string{
				"002-post-v1-authenticate-401.snap":  strings.Replace(snap401Text, "Access denied", "Access denied - please check", 1),
				"004-get-datecheck-company-200.snap": "HTTP/1.1 200 OK\nContent-Type: application/json\n\n{\"tags\":[\"b\",\"c\"],\"n\":2.5}",
				"007-post-v1-authenticate-429.snap":  "HTTP/1.1 429 Too Many Requests\nContent-Type: Application/JSON\nRetry-After: 12\n\n{}",
			},
		},
		"status": {
			change: map[string]string{"002-post-v1-authenticate-401.snap": "", "002-post-v1-authenticate-429.snap": strings.Replace(snap401Text, "401 Unauthorized", "429 Too Many Requests", 1)},
			want:   []string{"changed  002-post-v1-authenticate: status 401 Unauthorized -> 429 Too Many Requests"},
		},
		"reason phrase": {
			change: map[string]string{"003-get-datecheck-company-403.snap": strings.Replace("HTTP/1.1 403 Forbidden\nContent-Type: application/json\n\n{\"error\":{\"code\":\"403\",\"text\":\"Token Expired\"}}", "Forbidden", "Token Expired", 1)},
			want:   []string{"changed  003-get-datecheck-company: status 403 Forbidden -> 403 Token Expired"},
		},
		"content type and body kind": {
			change: map[string]string{"008-post-v1-authenticate-401.snap": "HTTP/1.1 401 Unauthorized\nContent-Length: 13\nContent-Type: application/json\n\n{\"message\":\"Access denied\"}"},
			want:   []string{`changed  008-post-v1-authenticate: content type "text/plain; charset=utf-8" -> "application/json"; body text -> json {"message":string}`},
		},
		"header names": {
			change: map[string]string{"007-post-v1-authenticate-429.snap": "HTTP/1.1 429 Too Many Requests\nContent-Type: application/json\nX-Request-Id: 7\n\n{}"},
			want:   []string{"changed  007-post-v1-authenticate: headers +X-Request-Id -Retry-After"},
		},
		"json key and value type": {
			change: map[string]string{
				"006-post-v1-authenticate-500.snap":  "HTTP/1.1 500 Internal Server Error\nContent-Type: application/json\n\n{\"error\":{\"code\":\"500\",\"detail\":\"x\"}}",
				"010-get-datecheck-company-200.snap": "HTTP/1.1 200 OK\nContent-Type: application/json\n\n{\"a\":1}",
				"012-get-datecheck-company-200.snap": "HTTP/1.1 200 OK\nContent-Type: application/json\n\n[1,\"2\"]",
			},
			want: []string{
				`changed  006-post-v1-authenticate: body json {"error":{"code":string}} -> json {"error":{"code":string,"detail":string}}`,
				`changed  010-get-datecheck-company: body json {"a":string} -> json {"a":number}`,
				`changed  012-get-datecheck-company: body json [number] -> json [number|string]`,
			},
		},
		"empty, html and binary": {
			change: map[string]string{
				"005-post-v1-authenticate-400.snap":  "HTTP/1.1 400 Bad Request\nContent-Length: 0\n\nbad",
				"009-get-datecheck-company-200.snap": "HTTP/1.1 200 OK\nContent-Type: text/html\n\n\xff\xfe",
			},
			want: []string{
				"changed  005-post-v1-authenticate: body empty -> text",
				"changed  009-get-datecheck-company: body html -> binary",
			},
		},
		"added and removed": {
			change: map[string]string{"011-post-v1-authenticate-401.snap": "", "013-post-v1-authenticate-200.snap": snap200},
			want:   []string{"removed  011-post-v1-authenticate (401 Unauthorized)", "added    013-post-v1-authenticate (200 OK)"},
		},
	}
	oldDir := writeSnaps(t, base)
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			files := map[string]string{}
			for k, v := range base {
				files[k] = v
			}
			for k, v := range tc.change {
				if v == "" {
					delete(files, k)
				} else {
					files[k] = v
				}
			}
			changes, err := suite.DiffFixtures(oldDir, writeSnaps(t, files))
			if err != nil {
				t.Fatalf("DiffFixtures() = %v", err)
			}
			var got []string
			for _, c := range changes {
				got = append(got, c.String())
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("DiffFixtures() =\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(tc.want, "\n  "))
			}
		})
	}
}

func TestDiffFixturesErrors(t *testing.T) {
	good := writeSnaps(t, map[string]string{"001-post-v1-authenticate-200.snap": snap200})
	tests := map[string]struct {
		dir  string
		want string
	}{
		"missing directory": {filepath.Join(t.TempDir(), "nope"), "no such file"},
		"no fixtures":       {writeSnaps(t, map[string]string{"a.txt": "x"}), "no .snap fixtures"},
		"not a fixture":     {writeSnaps(t, map[string]string{"001-x-200.snap": "hello"}), "not a fixture"},
		"no status line":    {writeSnaps(t, map[string]string{"001-x-200.snap": "hello\n\nbody"}), "not a status line"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := suite.DiffFixtures(good, tc.dir); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("DiffFixtures(good, %s) = %v; want an error with %q", name, err, tc.want)
			}
		})
	}
}

// TestDiffFixturesOfRealRuns writes fixtures from two runs against the simulator:
// the same server gives no drift although tokens, dates and messages vary, and a
// server that answers 401 and Token Expired in other formats is caught.
func TestDiffFixturesOfRealRuns(t *testing.T) {
	re := regexp.MustCompile(`^login-wrong-password-live$|^login-valid$|^service-valid-token$|^client-reactive-refresh$|^login-case-sensitive$`)
	record := func(mods ...func(*simulator.Options)) string {
		st, err := suite.StartSimulator("127.0.0.1:0", mods...)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		dir := t.TempDir()
		target := st.Target
		target.Base = &suite.FixtureWriter{Dir: dir, Base: target.Base}
		if rep := suite.Run(context.Background(), suite.Config{Target: target, Match: re.MatchString}, suite.Scenarios()); !rep.OK() {
			t.Fatalf("run failed: %+v", rep.Results)
		}
		return dir
	}
	first, second := record(), record()
	if changes, err := suite.DiffFixtures(first, second); err != nil || len(changes) != 0 {
		t.Errorf("DiffFixtures(two runs of one server) = %v, %v; want no changes", changes, err)
	}
	drifted := record(func(o *simulator.Options) {
		o.Unauthorized, o.TokenExpired = simulator.FormatJSON, simulator.FormatError
	})
	changes, err := suite.DiffFixtures(first, drifted)
	if err != nil {
		t.Fatal(err)
	}
	var all []string
	for _, c := range changes {
		all = append(all, c.String())
	}
	got := strings.Join(all, "\n")
	for _, want := range []string{`-authenticate: content type "text/plain; charset=utf-8" -> "application/json"; body text -> json {"message":string}`,
		`-datecheck-company: content type "text/plain; charset=utf-8" -> "application/json"; body text -> json {"error":string}`} {
		if !strings.Contains(got, want) {
			t.Errorf("DiffFixtures(formats changed) lacks %q:\n%s", want, got)
		}
	}
}
