# Token-layer benchmarks (issue 4). `make bench` writes bench/bench.txt, which
# benchstat reads (`go run golang.org/x/perf/cmd/benchstat bench/bench.txt`, or two
# files to compare runs), then prints the benchstat summary and the ratios the
# targets are stated in, all taken from this one run. Takes about 2 minutes on 2 cores.

BENCH_COUNT ?= 6
BENCH_TIME  ?= 500ms
BENCH_RE    ?= ^(BenchmarkToken|BenchmarkTransport|BenchmarkAuthenticate)$$

.PHONY: bench
bench: ## Run the token/transport/authenticate benchmarks into bench/bench.txt; print benchstat and the target ratios.
	@mkdir -p bench
	$(GO) test -run '^$$' -bench '$(BENCH_RE)' -benchmem -count $(BENCH_COUNT) -benchtime $(BENCH_TIME) ./pkg/csconnect > bench/bench.txt || { cat bench/bench.txt; exit 1; }
	$(GO) run golang.org/x/perf/cmd/benchstat bench/bench.txt
	@awk -f mk/bench-ratios.awk bench/bench.txt
