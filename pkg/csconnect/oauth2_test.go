package csconnect

import (
	"context"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

func TestOAuth2TokenSource(t *testing.T) {
	clock := newFakeClock()
	c := newTestCache(t, clockSource(clock), clock, CacheOptions{})
	ts := OAuth2TokenSource(context.Background(), c)
	got, err := ts.Token()
	if err != nil {
		t.Fatalf("Token() error = %v", err)
	}
	if got.AccessToken != "tok-1" || got.TokenType != "Bearer" || !got.Expiry.Equal(t0.Add(hour)) {
		t.Errorf("Token() = {%q %q %v}; want {tok-1 Bearer %v}", got.AccessToken, got.TokenType, got.Expiry, t0.Add(hour))
	}

	failing := OAuth2TokenSource(context.Background(), TokenSourceFunc(func(context.Context) (*Token, error) { return nil, errPermanent }))
	if _, err := failing.Token(); !errors.Is(err, ErrInvalidCredentials) {
		t.Errorf("Token() of a failing source error = %v; want ErrInvalidCredentials", err)
	}
}

// TestOAuth2NewClient: the adapter works under oauth2.NewClient end to end.
func TestOAuth2NewClient(t *testing.T) {
	srv := newServiceServer(t, ok200)
	src := TokenSourceFunc(func(context.Context) (*Token, error) {
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

func TestRequestEditor(t *testing.T) {
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
	failing := RequestEditor(TokenSourceFunc(func(context.Context) (*Token, error) { return nil, errPermanent }))
	req, _ := http.NewRequest(http.MethodGet, "https://x.example/", nil)
	if err := failing(context.Background(), req); !errors.Is(err, ErrInvalidCredentials) {
		t.Errorf("edit() with a failing source = %v; want ErrInvalidCredentials", err)
	}
}
