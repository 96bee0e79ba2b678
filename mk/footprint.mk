# Footprint (issue 11, item 7): what pkg/csconnect costs a program, beside
# golang.org/x/oauth2, from one run of tools/footprint. It prints each figure, the
# ratio and its target with ✓ or ✗, and fails on a missed target only with
# FOOTPRINT_STRICT=1 (the redesign that meets them comes later). About a minute on
# the shared 2-core machine, most of it building the programs.
#
# How each figure is made (programs under tools/footprint/):
#   exported identifiers   go/doc over the package's files (exported only): consts,
#                          vars, funcs, types, methods (interface methods included),
#                          exported struct fields
#   go doc -all lines      `go doc -all PKG | wc -l`
#   deps                   `go list -deps PKG`: packages, and distinct modules
#   binary                 hello-csconnect (csconnect.New, Close) against hello-oauth2
#                          (oauth2.Config.Client), both -ldflags='-s -w'
#   package init           GODEBUG=inittrace=1 on those two, summing clock ms and allocs
#                          of the packages a bare hello world (tools/footprint/hello)
#                          does not list; FOOTPRINT_RUNS pairs run A B, B A, ..., the
#                          time ratio is the median of the per-pair ratios (IQR shown)
#   first New              first-new: time and allocations of one csconnect.New in a
#                          fresh process; median of FOOTPRINT_RUNS processes
#   token, cold            `csconnect token --no-cache` against min-token (one net/http POST and
#                          encoding/json decode), both against `csconnect sim --addr
#                          127.0.0.1:0` (the binary `go run ./cmd/csconnect` builds),
#                          FOOTPRINT_RUNS pairs alternating A B / B A, each process
#                          timed from start to exit; median and IQR of per-pair ratios

FOOTPRINT_RUNS   ?= 31
FOOTPRINT_STRICT ?=

.PHONY: footprint
footprint: ## Print csconnect's footprint beside x/oauth2's with the issue-11 targets (FOOTPRINT_STRICT=1 fails on a miss).
	@FOOTPRINT_STRICT=$(FOOTPRINT_STRICT) GO=$(GO) $(GO) run ./tools/footprint -n $(FOOTPRINT_RUNS)
