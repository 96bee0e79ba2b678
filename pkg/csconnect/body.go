package csconnect

// Bodies: capping what a response body may yield (MaxResponseBody), peeking at and
// draining answers, bounding a body's reads by its request's context, and closing
// a request body a RoundTripper never handed on.

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// drainTimeout bounds how long Transport reads the rest of an answer it will not
// return (to reuse its connection) or the first maxErrorBody bytes of one it
// classifies: a server that trickles an error body must not hold the call.
const drainTimeout = 5 * time.Second

// ctxBody is a response body whose reads end when ctx ends. net/http's own
// Transport already ends a body read when the request's context ends, but not the
// raw connection it hands over as the body of a 101, and a RoundTripper of the
// caller's may not either. So when ctx ends ctxBody closes the body, which unblocks
// a Read in progress, and its Read returns ctx's cause from then on. Every body
// csconnect reads itself goes through one; Close stops the watch and closes the body.
type ctxBody struct {
	rc   io.ReadCloser
	ctx  context.Context
	stop func() bool
}

func newCtxBody(ctx context.Context, rc io.ReadCloser) *ctxBody {
	return &ctxBody{rc: rc, ctx: ctx, stop: context.AfterFunc(ctx, func() { _ = rc.Close() })}
}

func (b *ctxBody) Read(p []byte) (int, error) {
	if err := b.ctx.Err(); err != nil {
		return 0, context.Cause(b.ctx)
	}
	n, err := b.rc.Read(p)
	if err != nil && err != io.EOF && b.ctx.Err() != nil {
		err = context.Cause(b.ctx) // the close above, not the server, ended the read
	}
	return n, err
}

// Close stops watching ctx and closes the body.
func (b *ctxBody) Close() error {
	b.stop()
	return b.rc.Close()
}

// release stops watching ctx, for a caller that bounded only its own read and hands
// the body on: later reads are the underlying body's. If ctx has already ended (the
// body was closed) they keep returning its cause.
func (b *ctxBody) release() {
	if b.stop() {
		b.ctx = context.Background()
	}
}

// interim reports whether status is not a final answer: a 1xx. net/http passes a 101
// on with the raw connection as its body, and a RoundTripper may pass any other.
// csconnect never asks to switch protocols, so neither call may end on one.
func interim(status int) bool { return status < 200 }

// interimError is the ErrContract error for an answer that is not a final one (see
// interim).
func interimError(endpoint string, status int) error {
	return fmt.Errorf("%w: %s: answered %d, an interim or protocol-switching status, not a final answer", ErrContract, endpoint, status)
}

// refuseInterim closes resp's body unread and returns interimError.
func refuseInterim(endpoint string, resp *http.Response) error {
	if resp.Body != nil {
		_ = resp.Body.Close()
	}
	return interimError(endpoint, resp.StatusCode)
}

// maxResponseHeaderBytes caps the response headers the transports csconnect builds
// accept (authenticate's, and New's default service transport): net/http's default
// of 10 MB lets a broken or hostile server cost about 100 MiB of allocation per
// attempt, and the answers documented for these endpoints carry well under 8 KiB.
const maxResponseHeaderBytes = 64 << 10

// drain reads a bounded amount of a response we will not return (so its connection
// can be reused), for at most drainTimeout and no longer than ctx, and closes it.
func drain(ctx context.Context, resp *http.Response) {
	ctx, cancel := context.WithTimeout(ctx, drainTimeout)
	defer cancel()
	body := newCtxBody(ctx, resp.Body)
	_, _ = io.Copy(io.Discard, io.LimitReader(body, maxErrorBody))
	_ = body.Close()
}

// watchBody reports whether resp's body needs a ctxBody so that reading it ends
// with ctx: not when base is net/http's Transport, which does that itself (except
// for a 101's body, which Transport refuses), nor when there is no body or ctx can
// never end. The common cases cost nothing then.
func watchBody(ctx context.Context, base http.RoundTripper, resp *http.Response) bool {
	if _, std := base.(*http.Transport); std || ctx.Done() == nil {
		return false
	}
	return resp.Body != nil && resp.Body != http.NoBody
}

// closeRequestBody closes req.Body, as a RoundTripper must even when it fails.
func closeRequestBody(req *http.Request) {
	if req.Body != nil {
		_ = req.Body.Close()
	}
}

// cappedBody is a response body that yields at most left more bytes and then
// ErrResponseTooLarge if the body goes on (io.EOF if it ends exactly there). A read
// error that quotes the bearer token of sent (a malformed trailer line echoing it)
// is replaced (scrub).
type cappedBody struct {
	rc   io.ReadCloser
	left int64
	err  error         // sticky ErrResponseTooLarge
	sent *http.Request // the request as sent, with its Authorization; may be nil
}

func (b *cappedBody) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if b.left <= 0 {
		// The limit is reached: the body is fine only if it ends here.
		var probe [1]byte
		n, err := b.rc.Read(probe[:])
		if n > 0 {
			b.err = ErrResponseTooLarge
			return 0, b.err
		}
		return 0, b.scrub(err)
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	return n, b.scrub(err)
}

// scrub returns err, or an *echoError when its text quotes the token sent.
func (b *cappedBody) scrub(err error) error {
	if err == nil || err == io.EOF || b.sent == nil {
		return err
	}
	tok, ok := strings.CutPrefix(b.sent.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return err
	}
	return newRedactor(strings.TrimSpace(tok)).err(err)
}

func (b *cappedBody) Close() error { return b.rc.Close() }

// peekBody reads at most limit bytes of resp.Body and puts back a body that yields
// the same bytes followed by any unread rest, closing the original on Close.
func peekBody(resp *http.Response, limit int64) []byte {
	if resp.Body == nil || resp.Body == http.NoBody {
		return nil
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, limit))
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(body), resp.Body), resp.Body}
	return body
}
