package cmdmain

import (
	"context"
	"flag"
	"strings"
	"testing"
)

// TestParseFlags: -h prints the usage and the defaults and ends the command with 0; a
// bad flag ends it with ExitUsage; good flags go on.
func TestParseFlags(t *testing.T) {
	for _, tt := range []struct {
		args     []string
		code     int
		ok       bool
		wantText string
	}{
		{[]string{"-h"}, 0, false, "usage: x\n  -n int"},
		{[]string{"-bogus"}, ExitUsage, false, "flag provided but not defined"},
		{[]string{"-n", "3"}, 0, true, ""},
	} {
		var out strings.Builder
		fs := flag.NewFlagSet("x", flag.ContinueOnError)
		n := fs.Int("n", 1, "a number")
		code, ok := ParseFlags(fs, tt.args, "usage: x\n", &out)
		if code != tt.code || ok != tt.ok || !strings.Contains(out.String(), tt.wantText) {
			t.Errorf("ParseFlags(%q) = %d, %t, output %q; want %d, %t, output with %q", tt.args, code, ok, out.String(), tt.code, tt.ok, tt.wantText)
		}
		if tt.ok && *n != 3 {
			t.Errorf("ParseFlags(%q) left -n at %d", tt.args, *n)
		}
	}
}

// TestDispatch: the named command runs with the rest of the arguments; none, or an
// unknown name, is a usage error said on stderr.
func TestDispatch(t *testing.T) {
	var got []string
	cmds := map[string]Command{"run": {Run: func(_ context.Context, args []string, _ Environ) int { got = args; return 7 }}}
	var errb strings.Builder
	env := Environ{Stderr: &errb}
	if code := Dispatch(context.Background(), "prog", "usage: prog run", cmds, []string{"run", "a"}, env); code != 7 || len(got) != 1 || got[0] != "a" {
		t.Errorf("Dispatch(run a) = %d, args %q; want 7, [a]", code, got)
	}
	for _, args := range [][]string{nil, {"nope"}} {
		errb.Reset()
		if code := Dispatch(context.Background(), "prog", "usage: prog run", cmds, args, env); code != ExitUsage || errb.Len() == 0 {
			t.Errorf("Dispatch(%q) = %d, stderr %q; want %d and a message", args, code, errb.String(), ExitUsage)
		}
	}
}
