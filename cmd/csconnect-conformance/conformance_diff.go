package main

import (
	"encoding/json"
	"flag"
	"fmt"

	"github.com/csconnect/csconnect/conformance/suite"
	"github.com/csconnect/csconnect/internal/cmdmain"
)

// Exit codes of `csconnect conformance diff`: 0 when the two fixture directories
// hold the same exchanges in the same shapes, 1 when anything drifted, 2 on a
// usage error or a directory that cannot be read, holds no .snap file or holds a
// file that is not a fixture.
const exitDrift = 1

// runConformanceDiff compares two --fixtures directories: the drift check to run
// after each live run against the fixtures of the one before.
func runConformanceDiff(args []string, env environ) int {
	fs := flag.NewFlagSet("csconnect conformance diff", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print the changes as one JSON array instead of lines")
	const usage = "usage: csconnect conformance diff [--json] OLD NEW\n" +
		"Compares the .snap fixtures of two --fixtures directories: status, content type, header names, body shape.\n" +
		"Exit 0: no drift; 1: drift; 2: usage error or unreadable directory.\n"
	if code, ok := cmdmain.ParseFlags(fs, args, usage, env.Stderr); !ok {
		return code
	}
	if fs.NArg() != 2 {
		fs.Usage()
		return exitUsage
	}
	oldDir, newDir := fs.Arg(0), fs.Arg(1)
	changes, err := suite.DiffFixtures(oldDir, newDir)
	if err != nil {
		fmt.Fprintf(env.Stderr, "csconnect conformance diff: %v\n", err)
		return exitUsage
	}
	if *asJSON {
		if changes == nil {
			changes = []suite.FixtureChange{}
		}
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(changes)
	} else {
		counts := map[string]int{}
		for _, c := range changes {
			fmt.Fprintln(env.Stdout, c)
			counts[c.Kind]++
		}
		if len(changes) == 0 {
			fmt.Fprintf(env.Stdout, "no drift between %s and %s\n", oldDir, newDir)
		} else {
			fmt.Fprintf(env.Stdout, "drift: %d changed, %d added, %d removed\n", counts["changed"], counts["added"], counts["removed"])
		}
	}
	if len(changes) > 0 {
		return exitDrift
	}
	return 0
}
