//go:build tools

// Package tools pins the Go tools the Makefile runs (the code generator, the linter and
// benchstat), so their versions come from go.mod like every other dependency and a
// fresh clone needs nothing installed by hand.
package tools

import (
	_ "github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen"
	_ "golang.org/x/perf/cmd/benchstat"
	_ "honnef.co/go/tools/cmd/staticcheck"
)
