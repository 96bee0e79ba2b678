package csconnect_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/csconnect/csconnect/pkg/csconnect"
)

// counting wraps an Authenticator the way a program adds to it (here: counts its
// calls), by embedding it, as internal/agent's tracked embeds a Cache.
type counting struct {
	*csconnect.Authenticator
	calls *atomic.Int32
}

func (c counting) Token(ctx context.Context) (*csconnect.Token, error) {
	c.calls.Add(1)
	return c.Authenticator.Token(ctx)
}

// TestCacheOverEmbeddedAuthenticator: a Cache over a type that embeds an
// *Authenticator is a Cache over that Authenticator, as a Transport over a type that
// embeds a *Cache is one over that Cache: it shares the token through
// AuthConfig.Store, reports to AuthConfig.Hooks and, on Close, closes the
// Authenticator's idle connections. It once kept the token to itself and reported to
// nothing, silently: a second process (here, a second cache) authenticated again.
func TestCacheOverEmbeddedAuthenticator(t *testing.T) {
	t.Parallel()
	var hits atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"token":"`+exampleJWT+`"}`)
	}))
	connClosed := make(chan struct{}, 8)
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateClosed {
			connClosed <- struct{}{}
		}
	}
	srv.Start()
	defer srv.Close()
	store := csconnect.NewMemoryStore()
	var fetches atomic.Int32
	hooks := &csconnect.Hooks{FetchStart: func(ctx context.Context) context.Context { fetches.Add(1); return ctx }}
	var calls atomic.Int32
	cacheOf := func() *csconnect.Cache {
		a, err := csconnect.NewAuthenticator(csconnect.AuthConfig{BaseURL: srv.URL + "/v1", Username: "myUsername",
			Password: "myS3cretP@ssw0rd999!", Store: store, Hooks: hooks})
		if err != nil {
			t.Fatal(err)
		}
		return csconnect.NewCache(counting{a, &calls}, csconnect.CacheOptions{})
	}
	first, second := cacheOf(), cacheOf()
	defer first.Close()
	defer second.Close()
	for _, c := range []*csconnect.Cache{first, second} {
		if _, err := c.Token(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if hits.Load() != 1 || calls.Load() != 1 {
		t.Errorf("two caches over wrapped Authenticators sharing a Store: %d authenticate requests, %d source calls; want 1, 1 (the second adopts the first's token)", hits.Load(), calls.Load())
	}
	if fetches.Load() != 2 {
		t.Errorf("FetchStart called %d times; want 2 (each cache's fetch, reported to AuthConfig.Hooks)", fetches.Load())
	}
	select {
	case <-connClosed:
		t.Fatal("the authenticate connection closed before Close")
	default:
	}
	_ = first.Close() // the cache that authenticated: its Authenticator's connection is idle
	select {
	case <-connClosed:
	case <-time.After(10 * time.Second): // a failure guard, not a wait for an event
		t.Error("Cache.Close over a wrapped Authenticator left its idle connection open")
	}
}
