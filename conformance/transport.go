package conformance

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// DefaultMaxBody is how many bytes of a request or response body Transport buffers
// to validate when MaxBody is zero. Creditsafe's authenticate bodies are well under
// a kilobyte; the cap only stops a broken server from making a test buffer without
// bound.
const DefaultMaxBody = 1 << 20

// Transport is an http.RoundTripper that validates every exchange against the
// contract. The zero value validates against the embedded documents over
// http.DefaultTransport and only reports through OnExchange (nothing, when nil).
//
// The caller receives exactly what the server sent: bodies are buffered (at most
// MaxBody bytes each) and restored, so a response reads the same with or without
// the Transport, unless Strict is set. Paths under /_sim/ (the simulator's own
// control endpoints) are passed through unvalidated.
//
// A Transport is safe for concurrent use if OnExchange is.
type Transport struct {
	// Base makes the actual request; nil means http.DefaultTransport.
	Base http.RoundTripper
	// Validator holds the spec; nil means DefaultValidator().
	Validator *Validator
	// OnExchange, when set, receives every validated exchange (conforming or not)
	// after its response body has been buffered, on the RoundTrip goroutine.
	OnExchange func(Exchange)
	// Strict makes RoundTrip return a *ViolationError (closing the response) when
	// the exchange does not conform, so a test cannot miss it.
	Strict bool
	// MaxBody caps how many bytes of each body are buffered for validation;
	// 0 means DefaultMaxBody. A larger body is passed through unvalidated and
	// reported as a violation.
	MaxBody int64
}

// ViolationError is what a Strict Transport returns for a non-conforming exchange.
type ViolationError struct {
	Exchange Exchange
}

func (e *ViolationError) Error() string {
	return "conformance: " + strings.Join(e.Exchange.Problems(), "; ")
}

type invalidKey struct{}

// WithInvalidRequest marks requests made with ctx as deliberately off contract
// (a negative test): their request violations are expected, and only the response
// must conform. A marked request that the spec accepts is itself reported.
func WithInvalidRequest(ctx context.Context) context.Context {
	return context.WithValue(ctx, invalidKey{}, true)
}

func isInvalidRequest(ctx context.Context) bool {
	v, _ := ctx.Value(invalidKey{}).(bool)
	return v
}

// RoundTrip validates req, sends it through Base, validates the response and
// returns it with its body intact.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	base := t.Base
	if base == nil {
		base = http.DefaultTransport
	}
	if strings.HasPrefix(req.URL.Path, "/_sim/") {
		return base.RoundTrip(req)
	}
	v := t.Validator
	if v == nil {
		var err error
		if v, err = DefaultValidator(); err != nil {
			return nil, err
		}
	}
	limit := t.MaxBody
	if limit <= 0 {
		limit = DefaultMaxBody
	}
	ctx := req.Context()
	start := time.Now()
	x := Exchange{Method: req.Method, Path: req.URL.Path, InvalidRequest: isInvalidRequest(ctx)}

	reqBody, out, complete, err := bufferRequest(req, limit)
	if err != nil {
		return nil, err
	}
	in, vs := v.validateRequest(ctx, req, reqBody)
	if in != nil {
		x.Operation = in.Route.Operation.OperationID
	}
	if !complete {
		vs = append(vs, newViolation(PhaseRequest, req, 0, fmt.Sprintf("body larger than %d bytes; not validated", limit), nil))
	}
	x.Violations = vs

	resp, err := base.RoundTrip(out)
	if err != nil {
		x.Err = scrub(err.Error(), secretsOf(req, reqBody, nil))
		x.Duration = time.Since(start)
		t.report(x)
		return nil, err
	}
	x.Status = resp.StatusCode
	body, complete, err := bufferResponse(resp, limit)
	if err != nil {
		resp.Body.Close()
		x.Err = scrub(err.Error(), secretsOf(req, reqBody, nil))
		x.Duration = time.Since(start)
		t.report(x)
		return nil, err
	}
	switch {
	case !complete:
		x.Violations = append(x.Violations, newViolation(PhaseResponse, req, resp.StatusCode, fmt.Sprintf("body larger than %d bytes; not validated", limit), nil))
	case in != nil:
		x.Violations = append(x.Violations, v.validateResponse(ctx, in, req, reqBody, resp.StatusCode, resp.Header, body)...)
	}
	x.Duration = time.Since(start)
	t.report(x)
	if t.Strict && !x.Conforms() {
		resp.Body.Close()
		return nil, &ViolationError{Exchange: x}
	}
	return resp, nil
}

func (t *Transport) report(x Exchange) {
	if t.OnExchange != nil {
		t.OnExchange(x)
	}
}

// bufferRequest reads up to limit bytes of req's body and returns them with a
// clone of req whose body yields the same bytes followed by any unread rest.
// complete is false when the body was longer than limit.
func bufferRequest(req *http.Request, limit int64) (body []byte, out *http.Request, complete bool, err error) {
	if req.Body == nil || req.Body == http.NoBody {
		return nil, req, true, nil
	}
	body, err = io.ReadAll(io.LimitReader(req.Body, limit+1))
	if err != nil {
		req.Body.Close()
		return nil, nil, false, fmt.Errorf("conformance: read request body: %w", err)
	}
	out = req.Clone(req.Context())
	complete = int64(len(body)) <= limit
	if complete {
		req.Body.Close()
		out.Body = io.NopCloser(bytes.NewReader(body))
		out.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	} else {
		out.Body = readCloser{io.MultiReader(bytes.NewReader(body), req.Body), req.Body}
		body = body[:limit]
	}
	return body, out, complete, nil
}

// bufferResponse reads up to limit bytes of resp's body and puts back a body that
// yields the same bytes followed by any unread rest.
func bufferResponse(resp *http.Response, limit int64) (body []byte, complete bool, err error) {
	body, err = io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, false, fmt.Errorf("conformance: read response body: %w", err)
	}
	complete = int64(len(body)) <= limit
	if complete {
		resp.Body.Close()
		resp.Body = io.NopCloser(bytes.NewReader(body))
		return body, true, nil
	}
	resp.Body = readCloser{io.MultiReader(bytes.NewReader(body), resp.Body), resp.Body}
	return body[:limit], false, nil
}

type readCloser struct {
	io.Reader
	io.Closer
}
