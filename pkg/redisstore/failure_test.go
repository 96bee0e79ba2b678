package redisstore

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/csconnect/csconnect/internal/storetest"
	"github.com/csconnect/csconnect/pkg/csconnect"
)

// failFast is how long a failed operation may take: the store's timeout plus
// scheduling slack for a loaded CI machine.
const failFast = time.Second

// Every operation fails within the timeout when Redis is dead (connection refused) or
// frozen (connected, never answers), and works again once Redis is back. The store
// logs the change once each way however many operations fail.
func TestRedisDownFailsFastAndRejoins(t *testing.T) {
	for _, mode := range []string{"killed", "paused"} {
		t.Run(mode, func(t *testing.T) {
			rec := &logRecorder{}
			s, _, srv := newTestStore(t, Options{Timeout: 100 * time.Millisecond, Logger: slog.New(rec)})
			tok := &csconnect.Token{Value: sampleToken, Expiry: time.Now().Add(time.Hour)}
			if err := s.SaveToken(ctxT(t), "fp", tok); err != nil {
				t.Fatal(err)
			}
			if mode == "killed" {
				srv.Kill()
			} else {
				srv.Pause()
				t.Cleanup(srv.Resume)
			}
			ops := map[string]func(ctx context.Context) error{
				"LoadToken": func(ctx context.Context) error { _, err := s.LoadToken(ctx, "fp"); return err },
				"SaveToken": func(ctx context.Context) error { return s.SaveToken(ctx, "fp", tok) },
				"AcquireLease": func(ctx context.Context) error {
					rel, ok, err := s.AcquireLease(ctx, "fp", time.Second)
					rel()
					if ok {
						return nil
					}
					return err
				},
				"LoadGuard": func(ctx context.Context) error { _, err := s.LoadGuard(ctx, "fp"); return err },
				"MergeGuard": func(ctx context.Context) error {
					_, err := s.MergeGuard(ctx, "fp", storetest.GS{LockedUntil: time.Now().Add(time.Minute), LockedAt: time.Now()}.State())
					return err
				},
				"Ping": s.Ping,
			}
			for _, name := range slices.Sorted(func(yield func(string) bool) {
				for k := range ops {
					if !yield(k) {
						return
					}
				}
			}) {
				start := time.Now()
				err := ops[name](ctxT(t))
				if took := time.Since(start); err == nil || took > failFast {
					t.Errorf("%s with redis %s = %v after %v; want an error within %v", name, mode, err, took, failFast)
				}
			}
			if mode == "killed" {
				if err := srv.Restart(ctxT(t)); err != nil {
					t.Fatal(err)
				}
			} else {
				srv.Resume()
			}
			// Rejoin: the first operations after the return may meet connections the
			// outage broke; within a bounded number of tries the store answers.
			var err error
			for range 5 {
				if err = s.SaveToken(ctxT(t), "fp", tok); err == nil {
					break
				}
			}
			if err != nil {
				t.Fatalf("SaveToken after redis came back = %v", err)
			}
			if got, err := s.LoadToken(ctxT(t), "fp"); err != nil || got == nil {
				t.Fatalf("LoadToken after redis came back = %v, %v", got, err)
			}
			want := []string{
				"WARN redisstore: redis unavailable; callers use local state until it answers",
				"INFO redisstore: redis answers again; sharing token and guard state",
			}
			if got := rec.messages(); !slices.Equal(got, want) {
				t.Errorf("logs = %q; want %q", got, want)
			}
		})
	}
}

// A caller whose own context ends gets its error promptly, and that is not logged as
// Redis going down.
func TestCallerCancelIsNotAnOutage(t *testing.T) {
	rec := &logRecorder{}
	s, _, _ := newTestStore(t, Options{Logger: slog.New(rec)})
	ctx, cancel := context.WithCancel(ctxT(t))
	cancel()
	if _, err := s.LoadToken(ctx, "fp"); !errors.Is(err, context.Canceled) {
		t.Errorf("LoadToken(cancelled ctx) = %v; want context.Canceled", err)
	}
	if got := rec.messages(); len(got) != 0 {
		t.Errorf("logs = %q; want none", got)
	}
}
