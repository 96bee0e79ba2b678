package csconnect

import (
	"time"
)

// fullJitter returns a random duration in [0, min(maxD, base·2^(n-1))) for the n-th
// consecutive failure (n ≥ 1), drawing from rnd (which returns a value in [0, x)).
// Full jitter, as in the AWS architecture note on backoff, spreads retries of many
// clients evenly instead of synchronising them. It is a few lines, so it is written
// here rather than taken from a backoff library whose clock and random source would
// not be per instance.
func fullJitter(n int, base, maxD time.Duration, rnd func(int64) int64) time.Duration {
	if base <= 0 || maxD <= 0 {
		return 0
	}
	ceil := base
	for i := 1; i < n && ceil < maxD; i++ {
		ceil *= 2
	}
	ceil = min(ceil, maxD)
	return time.Duration(rnd(int64(ceil)))
}
