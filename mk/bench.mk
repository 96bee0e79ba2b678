# Token-layer benchmarks (issues 4 and 11). `make bench` writes bench/bench.txt, which
# benchstat reads (`go run golang.org/x/perf/cmd/benchstat bench/bench.txt`, or two
# files to compare runs), and bench/paired.txt, the paired comparisons; then prints
# the benchstat summary, the paired lines and the ratios the targets are stated in,
# with ✓ or ✗, all taken from this one run. About 40 s on 2 cores.
#
# How the ratios are made (mk/bench-ratios.awk prints them): each comparison has a
# sub-benchmark named paired* that times the two sides alternately, A B then B A,
# keeps the ratio of each pair and reports the median and quartiles of those ratios
# (ratio-median, ratio-p25, ratio-p75; ours-ns and floor-ns are each side's median).
# The loopback comparisons (BenchmarkTransport/paired, BenchmarkAuthenticate/paired)
# pair single calls; the Token ones (BenchmarkToken/paired-*) pair blocks of 2,000
# calls, a ~50 ns call being too short to time alone. A burst of load on the shared
# machine outlasts a pair (~0.1 ms), so it slows both sides of it and cancels out of
# the ratio. The targets are judged on the median. Pairing whole rounds before (the
# ratio of two sub-benchmarks' ns/op, median over rounds) left the Authenticate ratio
# at 1.05, 1.09 and 1.14 in three reruns, and a Token ratio at 1.46 against < 1 under
# load; paired by call, eight runs at load average 7-14 gave 1.013-1.039.
#
# The paired sub-benchmarks run once, BENCH_PAIRED_TIME each, after BENCH_COUNT
# rounds of every other sub-benchmark (each side on its own: ns/op, B/op, allocs/op
# for benchstat). The test binary is built once and run BENCH_COUNT times with
# -count 1 rather than once with -count N, so that the sides interleave; even rounds
# run the floor of each loopback comparison first (CSCONNECT_BENCH_FLOOR_FIRST).

BENCH_COUNT       ?= 10
BENCH_TIME        ?= 100ms
BENCH_PAIRED_TIME ?= 2s
BENCH_RE          ?= ^(BenchmarkToken|BenchmarkTransport|BenchmarkAuthenticate)$$
BENCH_PAIRED_RE   ?= ^(BenchmarkToken|BenchmarkTransport|BenchmarkAuthenticate)$$/^paired

.PHONY: bench
bench: ## Run the token/transport/authenticate benchmarks into bench/bench.txt; print benchstat and the target ratios.
	@mkdir -p bench
	$(GO) test -c -o bench/csconnect.test ./pkg/csconnect
	@: > bench/bench.txt
	@for i in $$(seq $(BENCH_COUNT)); do \
		echo "round $$i/$(BENCH_COUNT)"; \
		floor_first=; [ $$((i % 2)) -eq 0 ] && floor_first=1; \
		(cd pkg/csconnect && CSCONNECT_BENCH_FLOOR_FIRST=$$floor_first ../../bench/csconnect.test -test.run '^$$' -test.bench '$(BENCH_RE)' \
			-test.skip '/^paired' -test.benchmem -test.count 1 -test.benchtime $(BENCH_TIME)) >> bench/bench.txt || { cat bench/bench.txt; exit 1; }; \
	done
	@echo "paired comparisons, $(BENCH_PAIRED_TIME) each"
	@(cd pkg/csconnect && ../../bench/csconnect.test -test.run '^$$' -test.bench '$(BENCH_PAIRED_RE)' \
		-test.benchtime $(BENCH_PAIRED_TIME)) > bench/paired.txt || { cat bench/paired.txt; exit 1; }
	$(GO) run golang.org/x/perf/cmd/benchstat bench/bench.txt
	@cat bench/paired.txt
	@awk -f mk/bench-ratios.awk bench/bench.txt bench/paired.txt

# make bench-agent (issue 13): the agent against a bare httputil.ReverseProxy with a
# static Authorization (the Go floor) and nginx, paired round by round on loopback.
BENCH_AGENT_ROUNDS   ?= 7
BENCH_AGENT_DURATION ?= 1s

.PHONY: bench-agent
bench-agent: deps ## Requests/s and p50/p99 through csconnect agent vs the Go floor and nginx at 1/16/64 connections (paired medians and IQR), and heap per request in flight at 1,000.
	$(GO) build -o bin/ ./cmd/csconnect ./cmd/csconnect-agent
	$(GO) build -o bin/benchagent ./tools/benchagent
	$(GO) build -o bin/benchfloor ./tools/benchfloor
	bin/benchagent -csconnect bin/csconnect -floor bin/benchfloor -rounds $(BENCH_AGENT_ROUNDS) -duration $(BENCH_AGENT_DURATION)
