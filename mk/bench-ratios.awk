# Prints the ratios the issue-4/11 targets are stated in, from one `make bench` run
# (bench/bench.txt for allocs/op, bench/paired.txt for the ratios), with ✓ or ✗
# beside each target.
#
# Every ratio comes from a "paired" sub-benchmark, which times the two sides
# alternately, A B then B A, and reports the median and quartiles of the per-pair
# ratios of times (ratio-median, ratio-p25, ratio-p75): loopback comparisons
# (Transport, Authenticate) call by call, Token comparisons in blocks of calls.
# Transport's target is a throughput ratio, the inverse: its median is
# 1/ratio-median and its quartiles swap. Targets are judged on the median.
/^Benchmark/ {
	name = $1; sub(/-[0-9]+$/, "", name)
	for (i = 2; i < NF; i++) {
		if ($(i+1) == "allocs/op") allocs[name] = $i
		if ($(i+1) ~ /^(ratio-(median|p25|p75)|ours-ns|floor-ns)$/) metric[name, $(i+1)] = $i
	}
	if ($(2) ~ /^[0-9]+$/) iters[name] = $2
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
# paired prints the figures of paired sub-benchmark k (what, pairs of what); inverse
# for a throughput ratio.
function paired(label, k, what, op, target, inverse,    med, lo, hi, unit, scale) {
	if (!((k, "ratio-median") in metric)) { missed++; printf "  %-52s ✗ missing: no %s in this run\n", label, k; return }
	med = metric[k, "ratio-median"]; lo = metric[k, "ratio-p25"]; hi = metric[k, "ratio-p75"]
	if (inverse) { med = 1 / med; t = lo; lo = 1 / hi; hi = 1 / t }
	unit = "ns"; scale = 1
	if (metric[k, "floor-ns"] >= 1e4) { unit = "µs"; scale = 1e3 }
	line(label, med, lo, hi, sprintf("%d pairs of %s (%.1f vs %.1f %s)", iters[k], what, metric[k, "ours-ns"] / scale, metric[k, "floor-ns"] / scale, unit), op, target)
}
END {
	printf "\nratios (this run)%38s  median  p25-p75      target\n", ""
	paired("Token/cached / atomic-baseline", "BenchmarkToken/paired-atomic-baseline", "blocks", "<=", 1.5, 0)
	paired("Token/cached-parallel / atomic-baseline-parallel", "BenchmarkToken/paired-atomic-baseline-parallel", "blocks", "<=", 1.5, 0)
	paired("Token/cached-parallel / oauth2-reuse-parallel", "BenchmarkToken/paired-oauth2-reuse-parallel", "blocks", "<", 1, 0)
	paired("Transport throughput csconnect / static-header", "BenchmarkTransport/paired", "calls", ">=", 0.95, 1)
	paired("Authenticate time csconnect / nethttp-floor", "BenchmarkAuthenticate/paired", "calls", "<=", 1.05, 0)
	printf "  %-52s %6s  %11s  %s\n", "Token/cached allocs/op", allocs["BenchmarkToken/cached"], "", verdict(allocs["BenchmarkToken/cached"] + 0, "<=", 0)
	printf "  %-52s %6s  %11s  %s\n", "Token/cached-parallel allocs/op", allocs["BenchmarkToken/cached-parallel"], "", verdict(allocs["BenchmarkToken/cached-parallel"] + 0, "<=", 0)
	if (missed) printf "\n%d target(s) missed in this run\n", missed
}
