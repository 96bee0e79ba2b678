# Prints the ratios the issue-4 targets are stated in, from one `go test -bench`
# output: the median ns/op of each benchmark over its -count runs (the statistic
# benchstat reports, robust to the outliers a shared machine produces).
/^Benchmark/ {
	name = $1; sub(/-[0-9]+$/, "", name)
	for (i = 2; i < NF; i++) {
		if ($(i+1) == "ns/op") v[name, ++n[name]] = $i
		if ($(i+1) == "allocs/op") allocs[name] = $i
	}
}
function median(k,    i, j, m, t, a) {
	m = n[k]
	if (!m) return 0
	for (i = 1; i <= m; i++) a[i] = v[k, i] + 0
	for (i = 2; i <= m; i++) for (j = i; j > 1 && a[j-1] > a[j]; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
	return m % 2 ? a[(m+1)/2] : (a[m/2] + a[m/2+1]) / 2
}
function ratio(label, a, b, target) {
	if (median(a) && median(b)) printf "  %-58s %6.3f   (target %s)\n", label, median(a) / median(b), target
}
END {
	print "\nratios (median ns/op, this run):"
	ratio("Token/cached / atomic-baseline", "BenchmarkToken/cached", "BenchmarkToken/atomic-baseline", "<= 1.5")
	ratio("Token/cached-parallel / atomic-baseline-parallel", "BenchmarkToken/cached-parallel", "BenchmarkToken/atomic-baseline-parallel", "<= 1.5")
	ratio("Token/cached-parallel / oauth2-reuse-parallel", "BenchmarkToken/cached-parallel", "BenchmarkToken/oauth2-reuse-parallel", "< 1")
	ratio("Transport csconnect throughput / static-header throughput", "BenchmarkTransport/static-header", "BenchmarkTransport/csconnect", ">= 0.95")
	ratio("Authenticate/csconnect / nethttp-floor", "BenchmarkAuthenticate/csconnect", "BenchmarkAuthenticate/nethttp-floor", "<= 1.1")
	printf "  %-58s %6s   (target 0)\n", "Token/cached allocs/op", allocs["BenchmarkToken/cached"]
	printf "  %-58s %6s   (target 0)\n", "Token/cached-parallel allocs/op", allocs["BenchmarkToken/cached-parallel"]
}
