package conformance

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"

	"github.com/csconnect/csconnect/internal/secret"
)

// Phase says which half of an exchange broke the contract.
type Phase string

// The phases of an exchange.
const (
	PhaseRequest  Phase = "request"
	PhaseResponse Phase = "response"
)

// Violation is one way an exchange broke the contract. It never holds the password
// or the token: Message is built without schema values and, should it still hold a
// secret seen in the exchange (in any escaping), is replaced whole by "[redacted]";
// Path carries no query string.
type Violation struct {
	Phase   Phase  `json:"phase"`
	Method  string `json:"method"`
	Path    string `json:"path"`             // URL path, no host or query
	Status  int    `json:"status,omitempty"` // response status; 0 for request violations
	Message string `json:"message"`
}

// String renders the violation on one line, e.g.
// "response POST /v1/authenticate 401: response header Content-Type has unexpected value".
func (v Violation) String() string {
	s := fmt.Sprintf("%s %s %s", v.Phase, v.Method, v.Path)
	if v.Status != 0 {
		s += fmt.Sprintf(" %d", v.Status)
	}
	return s + ": " + v.Message
}

// Exchange is one validated request and its outcome.
type Exchange struct {
	Method    string        `json:"method"`
	Path      string        `json:"path"`                // URL path, no host or query
	Operation string        `json:"operation,omitempty"` // the spec's operationId, when routed
	Status    int           `json:"status,omitempty"`    // 0 when no response arrived
	Err       string        `json:"error,omitempty"`     // the transport error, when no response arrived
	Duration  time.Duration `json:"duration_ns"`
	// InvalidRequest is set when the caller marked the request as deliberately off
	// contract (WithInvalidRequest); its request violations are then expected.
	InvalidRequest bool        `json:"invalid_request,omitempty"`
	Violations     []Violation `json:"violations,omitempty"`
}

// Conforms reports whether the exchange kept the contract: no response violation,
// and request violations exactly when the request was marked deliberately invalid
// (a marked request that the spec accepts means the caller and the spec disagree).
func (x Exchange) Conforms() bool { return len(x.Problems()) == 0 }

// Problems returns what makes the exchange non-conforming, per Conforms.
func (x Exchange) Problems() []string {
	var out []string
	reqViolations := 0
	for _, v := range x.Violations {
		if v.Phase == PhaseRequest {
			reqViolations++
			if x.InvalidRequest {
				continue
			}
		}
		out = append(out, v.String())
	}
	if x.InvalidRequest && reqViolations == 0 && x.Operation != "" {
		out = append(out, fmt.Sprintf("request %s %s: marked invalid but the spec accepts it", x.Method, x.Path))
	}
	return out
}

// newViolation builds a violation with msg scrubbed of secrets.
func newViolation(phase Phase, req *http.Request, status int, msg string, secrets []string) Violation {
	return Violation{Phase: phase, Method: req.Method, Path: req.URL.Path, Status: status, Message: scrub(msg, secrets)}
}

// violations flattens what openapi3filter returned into one Violation per problem.
func violations(phase Phase, req *http.Request, status int, err error, secrets []string) []Violation {
	var out []Violation
	for _, msg := range flatten(err) {
		out = append(out, newViolation(phase, req, status, msg, secrets))
	}
	return out
}

// flatten turns kin-openapi's error tree into messages that name the place and the
// reason but not the value.
func flatten(err error) []string {
	switch e := err.(type) {
	case openapi3.MultiError:
		var out []string
		for _, inner := range e {
			out = append(out, flatten(inner)...)
		}
		return out
	case *openapi3filter.SecurityRequirementsError:
		var out []string
		for _, inner := range e.Errors {
			out = append(out, prefixed("security", inner)...)
		}
		return out
	case *openapi3filter.RequestError:
		prefix := e.Reason
		if e.Parameter != nil {
			prefix = fmt.Sprintf("parameter %q in %s", e.Parameter.Name, e.Parameter.In)
			if e.Reason != "" {
				prefix += ": " + e.Reason
			}
		} else if e.RequestBody != nil && prefix == "" {
			prefix = "request body"
		}
		return prefixed(prefix, e.Err)
	case *openapi3filter.ResponseError:
		return prefixed(e.Reason, e.Err)
	case *openapi3.SchemaError:
		return []string{schemaMessage(e)}
	}
	var schemaErr *openapi3.SchemaError
	if errors.As(err, &schemaErr) {
		return []string{schemaMessage(schemaErr)}
	}
	return []string{err.Error()}
}

func prefixed(prefix string, inner error) []string {
	if inner == nil {
		if prefix == "" {
			prefix = "invalid"
		}
		return []string{prefix}
	}
	var out []string
	for _, m := range flatten(inner) {
		if prefix != "" && m != prefix {
			m = prefix + ": " + m
		}
		out = append(out, m)
	}
	return out
}

// secretsOf collects what must never be reported: the Authorization header and its
// token, the password in a JSON request body, and a token in a JSON response body.
func secretsOf(req *http.Request, reqBody, respBody []byte) []string {
	var out []string
	if h := req.Header.Get("Authorization"); h != "" {
		out = append(out, h)
		if _, tok, ok := strings.Cut(h, " "); ok {
			out = append(out, strings.TrimSpace(tok))
		}
	}
	var in map[string]any
	if json.Unmarshal(reqBody, &in) == nil {
		if s, ok := in["password"].(string); ok {
			out = append(out, s)
		}
	}
	var resp map[string]any
	if json.Unmarshal(respBody, &resp) == nil {
		if s, ok := resp["token"].(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// scrub returns msg, or "[redacted]" when msg holds a secret in any escaping (JSON,
// HTML, URL), with the mechanism the client and the fixtures share (internal/secret).
// The whole message goes, never a piece of it, so where a marker lands cannot tell a
// reader the secret; and a secret inside the vendor's documented text, or a short one
// inside a longer word, is not counted, so a password "p" or "Please" does not
// rewrite a message. It is a backstop: messages are built without values.
func scrub(msg string, secrets []string) string {
	return secret.New(secret.VendorText, secrets...).Value(msg)
}
