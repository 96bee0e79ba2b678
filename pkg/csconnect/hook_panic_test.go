package csconnect

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestHookPanicContained: a Cache calls its Hooks (user code) in the shared fetch,
// which runs in singleflight's goroutine, where no caller's recover reaches. A
// panicking hook must not kill the process nor break the fetch it observes: the
// token is still fetched, installed and served. Before the fix the panic killed the
// test binary.
func TestHookPanicContained(t *testing.T) {
	t.Parallel()
	boom := func() { panic(errors.New("hook exploded")) }
	for name, h := range map[string]*Hooks{
		"FetchStart": {FetchStart: func(context.Context) context.Context { boom(); return nil }},
		"FetchDone":  {FetchDone: func(context.Context, FetchEvent) { boom() }},
		"Renewal":    {Renewal: func(context.Context, RenewalReason) { boom() }},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			clock := newFakeClock()
			src := clockSource(clock)
			c := newTestCache(t, src, clock, CacheOptions{Hooks: h})
			noPanic(t, "Cache.Token with a panicking "+name, func() {
				tok, err := c.Token(context.Background())
				if err != nil || tok.Value != "tok-1" {
					t.Fatalf("Token() = %v, %v; want tok-1", tok, err)
				}
				clock.advance(tok.Expiry.Sub(clock.now()) + time.Second) // expired: a renewal, waited for
				tok, err = c.Token(context.Background())
				if err != nil || tok.Value != "tok-2" {
					t.Fatalf("Token() after expiry = %v, %v; want tok-2", tok, err)
				}
			})
			if n := src.calls.Load(); n != 2 {
				t.Errorf("source called %d times; want 2", n)
			}
		})
	}
}
