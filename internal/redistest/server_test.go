package redistest

import (
	"context"
	"testing"
	"time"
)

// The helper's own contract: a server that answers, stops answering when killed or
// paused, and answers again on the same address after Restart or Resume.
func TestServerLifecycle(t *testing.T) {
	s := New(t)
	c := NewClient(t, s)
	ping := func() error {
		ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
		defer cancel()
		return c.Ping(ctx).Err()
	}
	steps := []struct {
		name   string
		do     func() error
		answer bool
	}{
		{"started", func() error { return nil }, true},
		{"killed", func() error { s.Kill(); return nil }, false},
		{"restarted", func() error { return s.Restart(t.Context()) }, true},
		{"paused", func() error { s.Pause(); return nil }, false},
		{"resumed", func() error { s.Resume(); return nil }, true},
	}
	for _, step := range steps {
		if err := step.do(); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		// A connection broken by the previous step may fail one command.
		err := ping()
		if step.answer && err != nil {
			err = ping()
		}
		if got := err == nil; got != step.answer {
			t.Fatalf("after %s: Ping() = %v; want answered %t\nlogs:\n%s", step.name, err, step.answer, s.Logs())
		}
	}
	if s.Addr == "" || s.Logs() == "" {
		t.Errorf("Addr = %q, Logs() empty = %t; want both set", s.Addr, s.Logs() == "")
	}
}
