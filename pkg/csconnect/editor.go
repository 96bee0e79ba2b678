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
// client is not yours to configure. Like Transport, it refuses (ErrInsecureURL) to
// put the token on a plain-http request to a host that is not loopback, and builds
// the header value once per token. Safe for concurrent use.
func RequestEditor(src TokenSource) func(ctx context.Context, req *http.Request) error {
	var memo bearerMemo
	return func(ctx context.Context, req *http.Request) error {
		if !secureURL(req) {
			return ErrInsecureURL
		}
		t, err := src.Token(ctx)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", memo.value(t))
		return nil
	}
}
