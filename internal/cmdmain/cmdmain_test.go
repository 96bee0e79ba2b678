package cmdmain

import (
	"context"
	"io"
	"os"
	"syscall"
	"testing"
	"testing/synctest"
	"time"
)

// TestRunUntilSignal: the first signal cancels the work's context and the process
// exits with 128 + the signal's number, as soon as the work returns, or after the
// grace period, or at a second signal, whatever the work is doing.
func TestRunUntilSignal(t *testing.T) {
	const grace = 2 * time.Second
	honours := func(code int) func(context.Context) int {
		return func(ctx context.Context) int { <-ctx.Done(); return code }
	}
	tests := map[string]struct {
		sigs     []os.Signal
		stuck    bool // the work ignores its context
		workCode int
		want     int
		wantTook time.Duration
	}{
		"SIGINT, work returns":            {sigs: []os.Signal{os.Interrupt}, workCode: 5, want: 130},
		"SIGTERM, work returns":           {sigs: []os.Signal{syscall.SIGTERM}, workCode: 5, want: 143},
		"SIGTERM, work stops cleanly":     {sigs: []os.Signal{syscall.SIGTERM}, workCode: 0, want: 0},
		"SIGINT, work stuck":              {sigs: []os.Signal{os.Interrupt}, stuck: true, want: 130, wantTook: grace},
		"SIGTERM, work stuck":             {sigs: []os.Signal{syscall.SIGTERM}, stuck: true, want: 143, wantTook: grace},
		"second SIGINT, work stuck":       {sigs: []os.Signal{os.Interrupt, os.Interrupt}, stuck: true, want: 130},
		"SIGINT then SIGTERM, work stuck": {sigs: []os.Signal{os.Interrupt, syscall.SIGTERM}, stuck: true, want: 130},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				release := make(chan struct{})
				defer close(release)
				work := honours(tt.workCode)
				if tt.stuck {
					work = func(context.Context) int { <-release; return 5 }
				}
				sigs := make(chan os.Signal, len(tt.sigs))
				for _, s := range tt.sigs {
					sigs <- s
				}
				start := time.Now()
				got := RunUntilSignal("test", io.Discard, sigs, grace, work)
				if took := time.Since(start); got != tt.want || took != tt.wantTook {
					t.Errorf("RunUntilSignal(%v) = %d after %v; want %d after %v", tt.sigs, got, took, tt.want, tt.wantTook)
				}
			})
		})
	}
	synctest.Test(t, func(t *testing.T) {
		got := RunUntilSignal("test", io.Discard, make(chan os.Signal), grace, func(context.Context) int { return 4 })
		if got != 4 {
			t.Errorf("RunUntilSignal without a signal = %d; want the work's 4", got)
		}
	})
}
