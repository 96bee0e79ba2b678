# Token-layer benchmarks (issue 4). `make bench` writes bench/bench.txt, which
# benchstat reads (`go run golang.org/x/perf/cmd/benchstat bench/bench.txt`, or two
# files to compare runs), then prints the benchstat summary and the ratios the
# targets are stated in, all taken from this one run. About a minute on 2 cores.
#
# The test binary is built once and run BENCH_COUNT times with -count 1, rather than
# once with -count N: -count repeats each benchmark back to back, so on a shared,
# noisy machine a burst of load lands on one side of a comparison; interleaving puts
# csconnect and its floor side by side in every round, and even rounds run the floor
# first (CSCONNECT_BENCH_FLOOR_FIRST), so neither side always has the first slot.

# 30 short rounds rather than 10 long ones: on the shared 2-core VM a loopback round
# swings by ±10-40%, and more pairs steady the paired median. Runs of each setting:
# Authenticate 1.00-1.14 with 10 × 300ms, 0.98-1.05 with 20 × 150ms; Transport
# throughput 0.94-1.04 with 20 × 150ms, 1.010 and 1.013 with 30 × 100ms. About 50 s.
BENCH_COUNT ?= 30
BENCH_TIME  ?= 100ms
BENCH_RE    ?= ^(BenchmarkToken|BenchmarkTransport|BenchmarkAuthenticate)$$

.PHONY: bench
bench: ## Run the token/transport/authenticate benchmarks into bench/bench.txt; print benchstat and the target ratios.
	@mkdir -p bench
	$(GO) test -c -o bench/csconnect.test ./pkg/csconnect
	@: > bench/bench.txt
	@for i in $$(seq $(BENCH_COUNT)); do \
		echo "round $$i/$(BENCH_COUNT)"; \
		floor_first=; [ $$((i % 2)) -eq 0 ] && floor_first=1; \
		(cd pkg/csconnect && CSCONNECT_BENCH_FLOOR_FIRST=$$floor_first ../../bench/csconnect.test -test.run '^$$' -test.bench '$(BENCH_RE)' -test.benchmem \
			-test.count 1 -test.benchtime $(BENCH_TIME)) >> bench/bench.txt || { cat bench/bench.txt; exit 1; }; \
	done
	$(GO) run golang.org/x/perf/cmd/benchstat bench/bench.txt
	@awk -f mk/bench-ratios.awk bench/bench.txt
