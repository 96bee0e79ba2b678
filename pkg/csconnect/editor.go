package csconnect

import (
	"context"
	"net/http"
)

// RequestEditor returns a function that sets "Authorization: Bearer <token>" from src
// on each request; it has the shape of the generated client's RequestEditorFn, so it
// plugs in with client.WithRequestEditorFn(csconnect.RequestEditor(cache)).
//
// An editor sees requests, not responses: it cannot renew a token a service rejects
// or retry a failure. Prefer Transport (or New, which wires it) unless the HTTP
// client is not yours to configure. It refuses (ErrInsecureURL) to put the token on
// a plain-http request to a host that is not loopback, and builds the header value
// once per token. Safe for concurrent use. A nil src or ctx is ErrInvalidUse, a
// source returning (nil, nil) ErrContract, a source's panic an error.
//
// Unlike Transport it does not protect redirects: the editor runs once, before the
// request is sent, and the http.Client then follows redirects itself. net/http
// copies the Authorization header to a redirect on the same host or a subdomain
// whatever the scheme, so an https service that redirects to http would receive the
// token in clear text. The http.Client that sends edited requests must therefore
// refuse such redirects: set its CheckRedirect to csconnect.CheckRedirect (or one
// that refuses scheme downgrades), or use Transport, which never carries the token
// to another host or scheme, nor over plain http.
func RequestEditor(src TokenSource) func(ctx context.Context, req *http.Request) error {
	var memo bearerMemo
	return func(ctx context.Context, req *http.Request) error {
		if req == nil || req.URL == nil {
			return invalidUse("RequestEditor given a nil request or URL")
		}
		if !secureURL(req) {
			return ErrInsecureURL
		}
		t, err := tokenFrom(ctx, src)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", memo.value(t))
		return nil
	}
}

// maxRedirects is net/http's default redirect limit, kept by CheckRedirect.
const maxRedirects = 10
