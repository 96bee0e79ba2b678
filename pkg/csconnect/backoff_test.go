package csconnect

import (
	"testing"
	"time"
)

func TestFullJitter(t *testing.T) {
	t.Parallel()
	top := func(n int64) int64 { return n - 1 }
	tests := []struct {
		n         int
		base, max time.Duration
		want      time.Duration // with the largest draw
	}{
		{1, time.Second, 30 * time.Second, time.Second - 1},
		{2, time.Second, 30 * time.Second, 2*time.Second - 1},
		{5, time.Second, 30 * time.Second, 16*time.Second - 1},
		{6, time.Second, 30 * time.Second, 30*time.Second - 1},
		{1000, time.Second, 30 * time.Second, 30*time.Second - 1},
		{3, 0, time.Second, 0},
	}
	for _, tc := range tests {
		if got := fullJitter(tc.n, tc.base, tc.max, top); got != tc.want {
			t.Errorf("fullJitter(%d, %v, %v, top) = %v; want %v", tc.n, tc.base, tc.max, got, tc.want)
		}
	}
	if got := fullJitter(3, time.Second, time.Minute, func(int64) int64 { return 0 }); got != 0 {
		t.Errorf("fullJitter(3, 1s, 1m, zero) = %v; want 0 (full jitter starts at zero)", got)
	}
}
