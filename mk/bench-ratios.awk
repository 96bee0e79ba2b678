# Prints the ratios the issue-4/11 targets are stated in, from one `make bench` output
# (bench/bench.txt), with ✓ or ✗ beside each target.
#
# Loopback comparisons (Transport, Authenticate) are judged on their "paired"
# sub-benchmark, which times the two sides call by call, alternating which goes first
# (A B, B A, ...), and reports the median and quartiles of the per-pair ratios of
# times (ratio-median, ratio-p25, ratio-p75). Transport's target is a throughput
# ratio, the inverse: its median is 1/ratio-median and its quartiles swap.
#
# Token comparisons cost ~50 ns a call, too short to time one call at a time, so they
# are paired by round: each of the BENCH_COUNT rounds runs every Token case once,
# and the ratio is taken within a round; the median and quartiles are over rounds.
/^Benchmark/ {
	name = $1; sub(/-[0-9]+$/, "", name)
	for (i = 2; i < NF; i++) {
		if ($(i+1) == "ns/op") v[name, ++n[name]] = $i
		if ($(i+1) == "allocs/op") allocs[name] = $i
		if ($(i+1) ~ /^(ratio-(median|p25|p75)|ours-ns|floor-ns)$/) metric[name, $(i+1)] = $i
	}
	if ($(2) ~ /^[0-9]+$/) iters[name] = $2
}
function sortv(k,    i, j, m, t) {
	m = n[k]
	for (i = 1; i <= m; i++) a[i] = v[k, i] + 0
	for (i = 2; i <= m; i++) for (j = i; j > 1 && a[j-1] > a[j]; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
	return m
}
# quantile p of the values under key k (linear between closest ranks).
function quantile(k, p,    m, r, i) {
	m = sortv(k)
	if (!m) return 0
	r = p * (m - 1); i = int(r) + 1
	return i >= m ? a[m] : a[i] + (r - int(r)) * (a[i+1] - a[i])
}
function verdict(x, op, target) {
	if (op == "<=") ok = x <= target
	else if (op == ">=") ok = x >= target
	else ok = x < target
	if (!ok) missed++
	return (ok ? "✓ " : "✗ ") op " " target
}
function line(label, med, lo, hi, how, op, target) {
	printf "  %-52s %6.3f  %5.3f-%5.3f  %-11s %s\n", label, med, lo, hi, verdict(med, op, target), how
}
# byround: a/b within each round, over rounds.
function byround(label, x, y, op, target,    i, m) {
	m = n[x] < n[y] ? n[x] : n[y]
	if (!m) return
	for (i = 1; i <= m; i++) v["r", i] = v[x, i] / v[y, i]
	n["r"] = m
	line(label, quantile("r", 0.5), quantile("r", 0.25), quantile("r", 0.75), "by round, " m " rounds", op, target)
}
# bycall: the paired sub-benchmark's figures; inverse for a throughput ratio.
function bycall(label, k, op, target, inverse,    med, lo, hi) {
	if (!((k, "ratio-median") in metric)) return
	med = metric[k, "ratio-median"]; lo = metric[k, "ratio-p25"]; hi = metric[k, "ratio-p75"]
	if (inverse) { med = 1 / med; t = lo; lo = 1 / hi; hi = 1 / t }
	line(label, med, lo, hi, sprintf("by call, %d pairs (%.1f vs %.1f µs)", iters[k], metric[k, "ours-ns"] / 1e3, metric[k, "floor-ns"] / 1e3), op, target)
}
END {
	printf "\nratios (this run)%38s  median  p25-p75      target      pairing\n", ""
	byround("Token/cached / atomic-baseline", "BenchmarkToken/cached", "BenchmarkToken/atomic-baseline", "<=", 1.5)
	byround("Token/cached-parallel / atomic-baseline-parallel", "BenchmarkToken/cached-parallel", "BenchmarkToken/atomic-baseline-parallel", "<=", 1.5)
	byround("Token/cached-parallel / oauth2-reuse-parallel", "BenchmarkToken/cached-parallel", "BenchmarkToken/oauth2-reuse-parallel", "<", 1)
	bycall("Transport throughput csconnect / static-header", "BenchmarkTransport/paired", ">=", 0.95, 1)
	bycall("Authenticate time csconnect / nethttp-floor", "BenchmarkAuthenticate/paired", "<=", 1.05, 0)
	printf "  %-52s %6s  %11s  %s\n", "Token/cached allocs/op", allocs["BenchmarkToken/cached"], "", verdict(allocs["BenchmarkToken/cached"] + 0, "<=", 0)
	printf "  %-52s %6s  %11s  %s\n", "Token/cached-parallel allocs/op", allocs["BenchmarkToken/cached-parallel"], "", verdict(allocs["BenchmarkToken/cached-parallel"] + 0, "<=", 0)
	if (missed) printf "\n%d target(s) missed in this run\n", missed
}
