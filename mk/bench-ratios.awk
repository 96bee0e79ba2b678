# Prints the ratios the issue-4 targets are stated in, from one `make bench` output
# (BENCH_COUNT rounds, each running every benchmark once). "paired" is the median
# over rounds of the ratio within a round: both sides of a comparison run in the same
# round (the loopback ones back to back, in alternating order), so a burst of load
# that spans a round slows both and cancels out. "medians"
# is the ratio of each side's median ns/op (what benchstat's columns give). The
# targets are judged on "paired".
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
function paired(a, b,    i, m, r) {
	m = n[a] < n[b] ? n[a] : n[b]
	for (i = 1; i <= m; i++) v["paired", i] = v[a, i] / v[b, i]
	n["paired"] = m
	return median("paired")
}
function ratio(label, a, b, target) {
	if (median(a) && median(b)) printf "  %-58s %6.3f  %7.3f   (target %s)\n", label, paired(a, b), median(a) / median(b), target
}
END {
	printf "\nratios (this run)%44s  paired  medians\n", ""
	ratio("Token/cached / atomic-baseline", "BenchmarkToken/cached", "BenchmarkToken/atomic-baseline", "<= 1.5")
	ratio("Token/cached-parallel / atomic-baseline-parallel", "BenchmarkToken/cached-parallel", "BenchmarkToken/atomic-baseline-parallel", "<= 1.5")
	ratio("Token/cached-parallel / oauth2-reuse-parallel", "BenchmarkToken/cached-parallel", "BenchmarkToken/oauth2-reuse-parallel", "< 1")
	ratio("Transport csconnect throughput / static-header throughput", "BenchmarkTransport/static-header", "BenchmarkTransport/csconnect", ">= 0.95")
	ratio("Authenticate/csconnect / nethttp-floor", "BenchmarkAuthenticate/csconnect", "BenchmarkAuthenticate/nethttp-floor", "<= 1.1")
	printf "  %-58s %6s  %7s   (target 0)\n", "Token/cached allocs/op", allocs["BenchmarkToken/cached"], ""
	printf "  %-58s %6s  %7s   (target 0)\n", "Token/cached-parallel allocs/op", allocs["BenchmarkToken/cached-parallel"], ""
}
