package csconnect

import (
	"context"
	"strings"
	"testing"
	"time"
)

// panickingTokenStore is a Store (not the process's memoryStore, so its calls run
// through storeCall's goroutine) whose every call panics.
type panickingTokenStore struct{ *memoryStore }

func (panickingTokenStore) LoadToken(context.Context, string) (*Token, error) {
	panic("store exploded")
}

func (panickingTokenStore) SaveToken(context.Context, string, *Token) error {
	panic("store exploded")
}

func (panickingTokenStore) AcquireLease(context.Context, string, time.Duration) (func(), bool, error) {
	panic("store exploded")
}

func (panickingTokenStore) LoadGuard(context.Context, string) (GuardState, error) {
	panic("store exploded")
}

func (panickingTokenStore) MergeGuard(context.Context, string, GuardState) (GuardState, error) {
	panic("store exploded")
}

// TestStorePanicIsError: a Store is user code called on a goroutine of csconnect's
// own (storeCall's), where no caller's recover reaches. A panicking Store is a failing
// Store for the Cache and the guard: the call goes on with local state and the
// process lives. Before the fix the panic killed the test binary.
func TestStorePanicIsError(t *testing.T) {
	t.Parallel()
	t.Run("cache", func(t *testing.T) {
		clock := newFakeClock()
		src := clockSource(clock)
		c := newTestCache(t, src, clock, CacheOptions{store: panickingTokenStore{newMemoryStore()}, storeKey: "k"})
		noPanic(t, "Cache.Token over a panicking Store", func() {
			if tok, err := c.Token(context.Background()); err != nil || tok.Value != "tok-1" {
				t.Errorf("Token() = %v, %v; want the source's token despite the Store", tok, err)
			}
		})
	})
	t.Run("guard", func(t *testing.T) {
		srv := newTestServer(t, tokenReply())
		a := newTestAuth(t, srv.URL, func(c *AuthConfig) { c.Store = panickingTokenStore{newMemoryStore()} })
		noPanic(t, "Authenticator.Token over a panicking Store", func() {
			if _, err := a.Token(context.Background()); err != nil {
				t.Errorf("Token() = %v; want a token despite the Store", err)
			}
		})
		if !strings.Contains(a.logs.String(), "store exploded") && !strings.Contains(a.logs.String(), "guard store unavailable") {
			t.Errorf("logs = %s; want the Store's failure logged", a.logs)
		}
	})
}
