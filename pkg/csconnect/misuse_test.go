package csconnect

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"golang.org/x/oauth2"

	"github.com/csconnect/csconnect/internal/storekit"
)

// noPanic runs f and turns a panic into a test error naming what.
func noPanic(t *testing.T, what string, f func()) {
	t.Helper()
	defer func() {
		if v := recover(); v != nil {
			t.Errorf("%s panicked: %v", what, v)
		}
	}()
	f()
}

// nilContext is a nil context.Context, as a caller may pass by mistake.
var nilContext context.Context

// TestNewCacheNilSource: a Cache over a nil source (or the zero Cache) returns a
// clear error instead of panicking inside the shared fetch's goroutine, where no
// caller's recover reaches.
func TestNewCacheNilSource(t *testing.T) {
	t.Parallel()
	for name, c := range map[string]*Cache{"NewCache(nil)": NewCache(nil, CacheOptions{}), "zero Cache": new(Cache)} {
		t.Run(name, func(t *testing.T) {
			noPanic(t, name+".Token", func() {
				if _, err := c.Token(context.Background()); !errors.Is(err, ErrInvalidUse) {
					t.Errorf("%s.Token() = %v; want ErrInvalidUse", name, err)
				}
			})
			noPanic(t, name+".Invalidate, Stats, Close", func() {
				c.Invalidate(&Token{Value: "x"})
				_ = c.counts()
				if err := c.Close(); err != nil {
					t.Errorf("%s.Close() = %v; want nil", name, err)
				}
			})
		})
	}
}

// TestCacheSourcePanics: a source that panics, in a waited-for fetch or in a
// background refresh, gives its callers an error carrying the panic value, and the
// process lives on; the panic is backed off like any failure.
func TestCacheSourcePanics(t *testing.T) { synctest.Test(t, testCacheSourcePanics) }

func testCacheSourcePanics(t *testing.T) {
	clock := newFakeClock()
	src := &fakeSource{fn: func(_ context.Context, n int64) (*Token, error) {
		if n == 2 {
			return tokenAt(n, clock.now()), nil
		}
		panic("source exploded")
	}}
	c := newTestCache(t, src, clock, CacheOptions{})
	_, err := c.Token(context.Background())
	if err == nil || !strings.Contains(err.Error(), "source exploded") || !strings.Contains(err.Error(), "panic") {
		t.Fatalf("Token() over a panicking source = %v; want an error with the panic value", err)
	}
	if _, err2 := c.Token(context.Background()); err2 == nil || src.calls.Load() != 1 {
		t.Errorf("Token() again at once = %v after %d calls; want the remembered error, 1 call (backoff)", err2, src.calls.Load())
	}
	clock.advance(time.Minute) // past the backoff
	tok, err := c.Token(context.Background())
	if err != nil {
		t.Fatalf("Token() after the backoff = %v; want the second token", err)
	}
	clock.advance(tok.Expiry.Sub(clock.now()) - 2*time.Minute) // advisory window: refresh in the background
	if got, err := c.Token(context.Background()); err != nil || got != tok {
		t.Errorf("Token() in the advisory window = %v, %v; want the current token", got, err)
	}
	synctest.Wait() // the background refresh, which panics, has ended
	if n := c.counts().FetchErrors; n != 2 {
		t.Errorf("Stats().FetchErrors = %d; want 2 (both panics recorded as failures)", n)
	}
}

// staticSource returns tok, err.
func staticSource(tok *Token, err error) TokenSource {
	return tokenSourceFunc(func(context.Context) (*Token, error) { return tok, err })
}

func panickingSource() TokenSource {
	return tokenSourceFunc(func(context.Context) (*Token, error) { panic("source exploded") })
}

// adapters calls src through every adapter csconnect offers, returning each one's error.
func adapters(t *testing.T, src TokenSource) map[string]func() error {
	return map[string]func() error{
		"Cache": func() error {
			c := NewCache(src, CacheOptions{})
			defer c.Close()
			_, err := c.Token(context.Background())
			return err
		},
		"Transport": func() error {
			req, _ := http.NewRequest(http.MethodGet, "https://service.example/x", nil)
			tr := &Transport{Source: src, Base: roundTripFunc(func(*http.Request) (*http.Response, error) {
				t.Error("request sent without a token")
				return nil, errors.New("sent")
			})}
			_, err := tr.RoundTrip(req)
			return err
		},
		"RequestEditor": func() error {
			req, _ := http.NewRequest(http.MethodGet, "https://service.example/x", nil)
			return RequestEditor(src)(context.Background(), req)
		},
		"OAuth2TokenSource": func() error {
			_, err := OAuth2TokenSource(context.Background(), src).Token()
			return err
		},
	}
}

// TestSourceNilNilIsContractError: a source returning (nil, nil) breaks the
// TokenSource contract, and every adapter says ErrContract instead of panicking.
func TestSourceNilNilIsContractError(t *testing.T) {
	t.Parallel()
	for name, call := range adapters(t, staticSource(nil, nil)) {
		noPanic(t, name+" over (nil, nil)", func() {
			if err := call(); !errors.Is(err, ErrContract) {
				t.Errorf("%s over a (nil, nil) source = %v; want ErrContract", name, err)
			}
		})
	}
}

// TestSourcePanicIsError: every adapter turns a source's panic into an error
// carrying the panic value.
func TestSourcePanicIsError(t *testing.T) {
	t.Parallel()
	for name, call := range adapters(t, panickingSource()) {
		noPanic(t, name+" over a panicking source", func() {
			if err := call(); err == nil || !strings.Contains(err.Error(), "source exploded") {
				t.Errorf("%s over a panicking source = %v; want an error with the panic value", name, err)
			}
		})
	}
}

// TestNilSourceRefused: every adapter over a nil source returns ErrInvalidUse.
func TestNilSourceRefused(t *testing.T) {
	t.Parallel()
	for name, call := range adapters(t, nil) {
		noPanic(t, name+" over a nil source", func() {
			if err := call(); !errors.Is(err, ErrInvalidUse) {
				t.Errorf("%s over a nil source = %v; want ErrInvalidUse", name, err)
			}
		})
	}
}

// TestNilContext: a nil context is a clear error, not a panic.
func TestNilContext(t *testing.T) {
	t.Parallel()
	src := staticSource(tokenAt(1, time.Now()), nil)
	srv := newTestServer(t, tokenReply())
	a := newTestAuth(t, srv.URL)
	calls := map[string]func() error{
		"Authenticator.Token": func() error { _, err := a.Token(nilContext); return err },
		"Cache.Token": func() error {
			c := NewCache(src, CacheOptions{})
			defer c.Close()
			_, err := c.Token(nilContext)
			return err
		},
		"RequestEditor": func() error {
			req, _ := http.NewRequest(http.MethodGet, "https://service.example/x", nil)
			return RequestEditor(src)(nilContext, req)
		},
		"OAuth2TokenSource": func() error { _, err := OAuth2TokenSource(nilContext, src).Token(); return err },
	}
	for name, call := range calls {
		noPanic(t, name+"(nil context)", func() {
			if err := call(); !errors.Is(err, ErrInvalidUse) {
				t.Errorf("%s(nil context) = %v; want ErrInvalidUse", name, err)
			}
		})
	}
}

// TestZeroValues: every exported type's zero value works or returns a clear error.
func TestZeroValues(t *testing.T) {
	t.Parallel()
	t.Run("Authenticator", func(t *testing.T) {
		var a Authenticator
		err := within(t, "zero Authenticator.Token", func() error { _, err := a.Token(context.Background()); return err })
		if !errors.Is(err, ErrInvalidUse) {
			t.Errorf("zero Authenticator.Token() = %v; want ErrInvalidUse", err)
		}
		noPanic(t, "zero Authenticator's other methods", func() {
			_ = a.GuardStatus()
			if err := a.ResetGuard(context.Background()); !errors.Is(err, ErrInvalidUse) {
				t.Errorf("zero Authenticator.ResetGuard() = %v; want ErrInvalidUse", err)
			}
			a.closeIdleConnections()
			_ = fmt.Sprint(a)
		})
	})
	t.Run("Client", func(t *testing.T) {
		var c Client
		noPanic(t, "zero Client.Close", func() {
			if err := c.Close(); err != nil {
				t.Errorf("zero Client.Close() = %v; want nil", err)
			}
		})
		// Every method, generated ones included, returns ErrInvalidUse instead of
		// panicking on the nil generated client.
		v := reflect.ValueOf(&c)
		for i := range v.NumMethod() {
			m := v.Type().Method(i)
			// Close works on the zero Client.
			if m.Name == "Close" || m.Type.NumOut() == 0 || m.Type.Out(m.Type.NumOut()-1) != reflect.TypeFor[error]() {
				continue
			}
			noPanic(t, "zero Client."+m.Name, func() {
				mt := v.Method(i).Type()
				args := make([]reflect.Value, mt.NumIn())
				for j := range args {
					args[j] = reflect.Zero(mt.In(j))
				}
				if mt.NumIn() > 0 && mt.In(0) == reflect.TypeFor[context.Context]() {
					args[0] = reflect.ValueOf(context.Background())
				}
				var out []reflect.Value
				if mt.IsVariadic() {
					out = v.Method(i).CallSlice(args)
				} else {
					out = v.Method(i).Call(args)
				}
				err, _ := out[len(out)-1].Interface().(error)
				if !errors.Is(err, ErrInvalidUse) {
					t.Errorf("zero Client.%s() = %v; want ErrInvalidUse", m.Name, err)
				}
			})
		}
	})
	t.Run("memoryStore", func(t *testing.T) {
		var m memoryStore
		noPanic(t, "zero memoryStore", func() {
			ctx := context.Background()
			key := m.Fingerprint("u")
			if key == "" || key == storekit.KeyedHash(nil, "u") {
				t.Errorf("zero memoryStore.Fingerprint() = %q; want a keyed hash under a random secret", key)
			}
			tok := tokenAt(1, time.Now())
			if err := m.SaveToken(ctx, key, tok); err != nil {
				t.Errorf("SaveToken() = %v", err)
			}
			if got, err := m.LoadToken(ctx, key); err != nil || got != tok {
				t.Errorf("LoadToken() = %v, %v; want the saved token", got, err)
			}
			release, held, err := m.AcquireLease(ctx, key, time.Second)
			if err != nil || !held {
				t.Errorf("AcquireLease() = %v, %v; want held", held, err)
			} else {
				release()
			}
			if _, err := m.MergeGuard(ctx, key, GuardState{}); err != nil {
				t.Errorf("MergeGuard() = %v", err)
			}
			if _, err := m.LoadGuard(ctx, key); err != nil {
				t.Errorf("LoadGuard() = %v", err)
			}
		})
	})
	t.Run("Transport", func(t *testing.T) {
		var tr Transport
		req, _ := http.NewRequest(http.MethodGet, "https://service.example/x", nil)
		noPanic(t, "zero Transport", func() {
			if _, err := tr.RoundTrip(req); !errors.Is(err, ErrInvalidUse) {
				t.Errorf("zero Transport.RoundTrip() = %v; want ErrInvalidUse", err)
			}
			_ = tr.counts()
		})
	})
}

// TestCheckResponseNil: CheckResponse(nil) is an error, not a panic.
func TestCheckResponseNil(t *testing.T) {
	t.Parallel()
	noPanic(t, "CheckResponse(nil)", func() {
		if err := CheckResponse(nil); !errors.Is(err, ErrInvalidUse) {
			t.Errorf("CheckResponse(nil) = %v; want ErrInvalidUse", err)
		}
	})
}

var _ oauth2.TokenSource = OAuth2TokenSource(context.Background(), nil)
