package csconnect

import (
	"context"
	"time"

	"golang.org/x/oauth2"
)

// OAuth2TokenSource adapts src to golang.org/x/oauth2.TokenSource, so that
// oauth2.NewClient, oauth2.Transport and gRPC's oauth.TokenSource credentials can
// carry csconnect tokens. oauth2.TokenSource has no context parameter, so every call
// uses ctx (as oauth2.Config.TokenSource does); give it one that lives as long as the
// adapter.
//
// Each call asks src, so wrap a *Cache, not an Authenticator. oauth2.NewClient wraps
// the adapter in oauth2.ReuseTokenSource, which asks again only when the token it
// holds expires (less 10 s). So that it asks at the start of the Cache's advisory
// window instead, and the Cache renews in the background while callers keep the
// current token, the Expiry of a token from a *Cache is that moment (plus oauth2's
// 10 s), never later than the token's own; from any other source it is the token's.
//
// oauth2's Transport does not renew on a service's "token expired" answer, as
// csconnect's Transport does: prefer New or Transport for HTTP, and this adapter where
// an oauth2.TokenSource is required. Unlike *Token, an *oauth2.Token prints its
// AccessToken in %v: do not log it. A nil src or ctx is ErrInvalidUse, a source
// returning (nil, nil) ErrContract, a source's panic an error.
func OAuth2TokenSource(ctx context.Context, src TokenSource) oauth2.TokenSource {
	return oauth2TokenSource{ctx: ctx, src: src}
}

// oauth2ExpiryDelta is how long before a token's Expiry oauth2 stops using it
// (oauth2.Token's default expiryDelta).
const oauth2ExpiryDelta = 10 * time.Second

type oauth2TokenSource struct {
	ctx context.Context
	src TokenSource
}

// Token implements oauth2.TokenSource.
func (s oauth2TokenSource) Token() (*oauth2.Token, error) {
	t, err := tokenFrom(s.ctx, s.src)
	if err != nil {
		return nil, err
	}
	expiry := t.Expiry
	if c, ok := s.src.(*Cache); ok {
		if at, ok := c.renewAt(t); ok && at.Add(oauth2ExpiryDelta).Before(expiry) {
			expiry = at.Add(oauth2ExpiryDelta)
		}
	}
	return &oauth2.Token{AccessToken: t.Value, TokenType: "Bearer", Expiry: expiry}, nil
}
