package csconnect

import (
	"context"

	"golang.org/x/oauth2"
)

// OAuth2TokenSource adapts src to golang.org/x/oauth2.TokenSource, so that
// oauth2.NewClient, oauth2.Transport and gRPC's oauth.TokenSource credentials can
// carry csconnect tokens. oauth2.TokenSource has no context parameter, so every call
// uses ctx (as oauth2.Config.TokenSource does); give it one that lives as long as the
// adapter.
//
// Each call asks src, so wrap a *Cache, not an Authenticator. The tokens returned
// are of type "Bearer" with src's expiry; oauth2 treats a token as expired 10 s
// before that, which the cache's mandatory window (1 minute) already covers.
// Unlike *Token, an *oauth2.Token prints its AccessToken in %v: do not log it.
func OAuth2TokenSource(ctx context.Context, src TokenSource) oauth2.TokenSource {
	return oauth2TokenSource{ctx: ctx, src: src}
}

type oauth2TokenSource struct {
	ctx context.Context
	src TokenSource
}

// Token implements oauth2.TokenSource.
func (s oauth2TokenSource) Token() (*oauth2.Token, error) {
	t, err := s.src.Token(s.ctx)
	if err != nil {
		return nil, err
	}
	return &oauth2.Token{AccessToken: t.Value, TokenType: "Bearer", Expiry: t.Expiry}, nil
}
