# Prints the ratios the issue-4 targets are stated in, from one `go test -bench`
# output: the mean ns/op of each benchmark over its -count runs.
/^Benchmark/ {
	name = $1; sub(/-[0-9]+$/, "", name)
	for (i = 2; i < NF; i++) if ($(i+1) == "ns/op") { sum[name] += $i; n[name]++ }
	for (i = 2; i < NF; i++) if ($(i+1) == "allocs/op") allocs[name] = $i
}
function mean(k) { return n[k] ? sum[k] / n[k] : 0 }
function ratio(label, a, b, target) {
	if (mean(a) && mean(b)) printf "  %-58s %6.3f   (target %s)\n", label, mean(a) / mean(b), target
}
END {
	print "\nratios (mean ns/op, this run):"
	ratio("Token/cached / atomic-baseline", "BenchmarkToken/cached", "BenchmarkToken/atomic-baseline", "<= 1.5")
	ratio("Token/cached-parallel / atomic-baseline-parallel", "BenchmarkToken/cached-parallel", "BenchmarkToken/atomic-baseline-parallel", "<= 1.5")
	ratio("Token/cached-parallel / oauth2-reuse-parallel", "BenchmarkToken/cached-parallel", "BenchmarkToken/oauth2-reuse-parallel", "< 1")
	ratio("Transport csconnect throughput / static-header throughput", "BenchmarkTransport/static-header", "BenchmarkTransport/csconnect", ">= 0.95")
	ratio("Authenticate/csconnect / nethttp-floor", "BenchmarkAuthenticate/csconnect", "BenchmarkAuthenticate/nethttp-floor", "<= 1.1")
	printf "  %-58s %6s   (target 0)\n", "Token/cached allocs/op", allocs["BenchmarkToken/cached"]
	printf "  %-58s %6s   (target 0)\n", "Token/cached-parallel allocs/op", allocs["BenchmarkToken/cached-parallel"]
}
