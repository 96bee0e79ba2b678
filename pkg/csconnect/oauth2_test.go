package csconnect

import (
	"context"
	"errors"
	"io"
	"net/http"
	"testing"
	"testing/synctest"
	"time"

	"golang.org/x/oauth2"
)

func TestOAuth2TokenSource(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	c := newTestCache(t, clockSource(clock), clock, CacheOptions{})
	ts := OAuth2TokenSource(context.Background(), c)
	got, err := ts.Token()
	if err != nil {
		t.Fatalf("Token() error = %v", err)
	}
	// From a Cache: the start of its advisory window, plus oauth2's 10 s margin.
	if want := t0.Add(55*time.Minute + 10*time.Second); got.AccessToken != "tok-1" || got.TokenType != "Bearer" || !got.Expiry.Equal(want) {
		t.Errorf("Token() = {%q %q %v}; want {tok-1 Bearer %v}", got.AccessToken, got.TokenType, got.Expiry, want)
	}
	// From another source: the token's own expiry.
	plain := OAuth2TokenSource(context.Background(), tokenSourceFunc(func(context.Context) (*Token, error) {
		return &Token{Value: "tok-x", Expiry: t0.Add(hour)}, nil
	}))
	if got, err := plain.Token(); err != nil || !got.Expiry.Equal(t0.Add(hour)) {
		t.Errorf("Token() of a plain source = %v, %v; want expiry %v", got, err, t0.Add(hour))
	}

	failing := OAuth2TokenSource(context.Background(), tokenSourceFunc(func(context.Context) (*Token, error) { return nil, errPermanent }))
	if _, err := failing.Token(); !errors.Is(err, ErrInvalidCredentials) {
		t.Errorf("Token() of a failing source error = %v; want ErrInvalidCredentials", err)
	}
}

// TestOAuth2NewClient: the adapter works under oauth2.NewClient end to end.
func TestOAuth2NewClient(t *testing.T) {
	t.Parallel()
	srv := newServiceServer(t, ok200)
	src := tokenSourceFunc(func(context.Context) (*Token, error) {
		return &Token{Value: "tok-oauth2", Expiry: time.Now().Add(hour)}, nil
	})
	client := oauth2.NewClient(context.Background(), OAuth2TokenSource(context.Background(), src))
	resp, err := client.Get(srv.URL + "/svc")
	if err != nil {
		t.Fatalf("Get() error = %v", err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	if got := srv.requests()[0].auth; got != "Bearer tok-oauth2" {
		t.Errorf("Authorization through oauth2.NewClient = %q; want %q", got, "Bearer tok-oauth2")
	}
}

// TestOAuth2ReuseRenewsInBackground: under oauth2.ReuseTokenSource (what
// oauth2.NewClient uses), the Cache is asked in its advisory window, renews in the
// background while callers keep the current token, and nobody waits.
func TestOAuth2ReuseRenewsInBackground(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		src := &fakeSource{fn: func(ctx context.Context, n int64) (*Token, error) {
			if n > 1 {
				<-release
			}
			return tokenAt(n, time.Now()), nil
		}}
		reuse := oauth2.ReuseTokenSource(nil, OAuth2TokenSource(context.Background(), newTestCache(t, src, nil, CacheOptions{})))
		token := func() string {
			tok, err := reuse.Token()
			if err != nil {
				t.Fatalf("Token() = %v", err)
			}
			return tok.AccessToken
		}
		if got := token(); got != "tok-1" {
			t.Fatalf("first Token() = %q; want tok-1", got)
		}
		time.Sleep(56 * time.Minute) // into the advisory window
		if got := token(); got != "tok-1" {
			t.Errorf("Token() in the advisory window = %q; want tok-1 at once", got)
		}
		synctest.Wait()
		if n := src.calls.Load(); n != 2 {
			t.Fatalf("source calls in the advisory window = %d; want 2 (a background renewal)", n)
		}
		close(release)
		synctest.Wait()
		if got := token(); got != "tok-2" {
			t.Errorf("Token() after the renewal = %q; want tok-2", got)
		}
	})
}

func TestRequestEditor(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	edit := RequestEditor(newTestCache(t, clockSource(clock), clock, CacheOptions{}))
	tests := map[string]struct {
		url      string
		wantErr  error
		wantAuth string
	}{
		"https":         {"https://se-webservice.apps.creditsafe.com/x", nil, "Bearer tok-1"},
		"loopback http": {"http://127.0.0.1:1/x", nil, "Bearer tok-1"},
		"plain http":    {"http://se-webservice.apps.creditsafe.com/x", ErrInsecureURL, ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, tc.url, nil)
			err := edit(context.Background(), req)
			if !errors.Is(err, tc.wantErr) || req.Header.Get("Authorization") != tc.wantAuth {
				t.Errorf("edit(%s) = %v, Authorization %q; want %v, %q", tc.url, err, req.Header.Get("Authorization"), tc.wantErr, tc.wantAuth)
			}
		})
	}
	failing := RequestEditor(tokenSourceFunc(func(context.Context) (*Token, error) { return nil, errPermanent }))
	req, _ := http.NewRequest(http.MethodGet, "https://x.example/", nil)
	if err := failing(context.Background(), req); !errors.Is(err, ErrInvalidCredentials) {
		t.Errorf("edit() with a failing source = %v; want ErrInvalidCredentials", err)
	}
}
