// Package benchpair times an operation against its floor in pairs, for the
// benchmarks of pkg/csconnect and pkg/otelcsconnect, which report the same
// metrics: ratio-median, ratio-p25 and ratio-p75 (the median and quartiles of the
// per-pair ratios ours/floor, a ratio of times: below 1 means ours is faster), and
// ours-ns and floor-ns (each side's median time per call).
//
// Each iteration times one run of ours and one of the floor back to back, in
// alternating order (ours then floor, floor then ours, ...), and keeps the ratio
// of that pair. A burst of load on a shared machine lasts far longer than one pair,
// so it slows both sides of a pair alike and cancels out of the ratio; pairing
// whole rounds instead (the medians of two sub-benchmarks) left the ratio swinging
// ±5–8% between runs.
package benchpair

import (
	"slices"
	"testing"
	"time"
)

// Run is the sub-benchmark name: each iteration times ours and floor back to back,
// in alternating order, each doing calls calls, and reports as the package says
// (ns per call). ns/op is the time of one pair.
func Run(b *testing.B, name string, ours, floor func(*testing.B), calls int) {
	b.Run(name, func(b *testing.B) {
		var ratios, oursNs, floorNs []float64
		timed := func(op func(*testing.B)) float64 {
			start := time.Now()
			op(b)
			return float64(time.Since(start)) / float64(calls)
		}
		for i := 0; b.Loop(); i++ {
			var o, f float64
			if i%2 == 0 {
				o, f = timed(ours), timed(floor)
			} else {
				f, o = timed(floor), timed(ours)
			}
			ratios, oursNs, floorNs = append(ratios, o/f), append(oursNs, o), append(floorNs, f)
		}
		Report(b, ratios, oursNs, floorNs)
	})
}

// Report reports the median and quartiles of the per-pair ratios and each side's
// median time, under the metric names the package gives. It sorts its arguments.
func Report(b *testing.B, ratios, oursNs, floorNs []float64) {
	b.ReportMetric(percentile(ratios, 0.50), "ratio-median")
	b.ReportMetric(percentile(ratios, 0.25), "ratio-p25")
	b.ReportMetric(percentile(ratios, 0.75), "ratio-p75")
	b.ReportMetric(percentile(oursNs, 0.50), "ours-ns")
	b.ReportMetric(percentile(floorNs, 0.50), "floor-ns")
}

// percentile returns the p-th quantile of xs (0 ≤ p ≤ 1), interpolating linearly
// between the closest ranks; it sorts xs.
func percentile(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	slices.Sort(xs)
	r := p * float64(len(xs)-1)
	i := int(r)
	if i+1 >= len(xs) {
		return xs[i]
	}
	return xs[i] + (r-float64(i))*(xs[i+1]-xs[i])
}
