package conformance

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"github.com/csconnect/csconnect/gen/authspec"
	"github.com/csconnect/csconnect/gen/datecheckspec"
)

// Validator checks requests and responses against one or more OpenAPI documents
// (the contract is two: the authenticate API and the protected service, each with
// its own server). Routes are found by path alone: a request matches a spec path
// when its URL path ends with that path, so "/v1/authenticate" on any host (and
// "/authenticate" behind a Prism proxy) both reach the Authenticate operation, and
// each exchange is validated against the document that holds its path. The servers
// listed in the documents are not consulted, because conformance is about the shape
// of the exchange, not about which host answered.
//
// A Validator is immutable once built and safe for concurrent use.
type Validator struct {
	routes []specRoute
}

type specRoute struct {
	segments []string // the spec path split on "/", without the leading empty one
	route    routers.Route
}

// defaultValidator is built once from the two documents embedded in gen/authspec
// (openapi.yaml) and gen/datecheckspec (datecheck.yaml), which `make
// check-generated` keeps identical to the bundled contract.
var defaultValidator = sync.OnceValues(func() (*Validator, error) {
	auth, err := authspec.GetSpec()
	if err != nil {
		return nil, fmt.Errorf("conformance: load embedded openapi.yaml: %w", err)
	}
	svc, err := datecheckspec.GetSpec()
	if err != nil {
		return nil, fmt.Errorf("conformance: load embedded datecheck.yaml: %w", err)
	}
	return NewValidator(auth, svc)
})

// DefaultValidator returns the Validator for the contract this module was built
// from (openapi.yaml and datecheck.yaml, embedded at generation time). It is built
// once and shared.
func DefaultValidator() (*Validator, error) { return defaultValidator() }

// LoadValidator reads and validates the OpenAPI documents at paths (YAML or JSON;
// $refs to other files are followed) and returns a Validator for them: useful to
// check traffic against a newer spec than the one compiled in.
func LoadValidator(paths ...string) (*Validator, error) {
	docs := make([]*openapi3.T, 0, len(paths))
	for _, path := range paths {
		loader := openapi3.NewLoader()
		loader.IsExternalRefsAllowed = true
		doc, err := loader.LoadFromFile(path)
		if err != nil {
			return nil, fmt.Errorf("conformance: load %s: %w", path, err)
		}
		if err := doc.Validate(loader.Context); err != nil {
			return nil, fmt.Errorf("conformance: invalid spec %s: %w", path, err)
		}
		docs = append(docs, doc)
	}
	return NewValidator(docs...)
}

// NewValidator returns a Validator for docs, which must already be loaded (their
// $refs resolved) and must not be modified afterwards. When two documents have the
// same path, the first one given wins.
func NewValidator(docs ...*openapi3.T) (*Validator, error) {
	if len(docs) == 0 {
		return nil, errors.New("conformance: no spec")
	}
	v := &Validator{}
	for _, doc := range docs {
		if doc == nil || doc.Paths == nil {
			return nil, errors.New("conformance: spec has no paths")
		}
		for _, p := range doc.Paths.InMatchingOrder() {
			item := doc.Paths.Value(p)
			for method, op := range item.Operations() {
				v.routes = append(v.routes, specRoute{
					segments: strings.Split(strings.TrimPrefix(p, "/"), "/"),
					route:    routers.Route{Spec: doc, Path: p, PathItem: item, Method: method, Operation: op},
				})
			}
		}
	}
	// Longer paths first, so "/a/b" wins over "/b" for a request to "/x/a/b".
	slices.SortStableFunc(v.routes, func(a, b specRoute) int { return len(b.segments) - len(a.segments) })
	return v, nil
}

// errNoRoute and errMethod are reported as violations: calling an undocumented path
// or method breaks the contract.
var (
	errNoRoute = errors.New("no operation in the spec matches this path")
	errMethod  = errors.New("the spec does not allow this method on this path")
)

// findRoute matches req by path suffix and method.
func (v *Validator) findRoute(req *http.Request) (*routers.Route, map[string]string, error) {
	segs := strings.Split(strings.TrimPrefix(req.URL.Path, "/"), "/")
	pathFound := false
	for i := range v.routes {
		r := &v.routes[i]
		params, ok := matchSegments(r.segments, segs)
		if !ok {
			continue
		}
		pathFound = true
		if r.route.Method == req.Method {
			route := r.route
			return &route, params, nil
		}
	}
	if pathFound {
		return nil, nil, errMethod
	}
	return nil, nil, errNoRoute
}

// matchSegments reports whether the tail of got matches the spec segments, where
// "{name}" matches any one non-empty segment.
func matchSegments(spec, got []string) (map[string]string, bool) {
	if len(got) < len(spec) {
		return nil, false
	}
	tail := got[len(got)-len(spec):]
	var params map[string]string
	for i, s := range spec {
		if strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}") {
			if tail[i] == "" {
				return nil, false
			}
			if params == nil {
				params = map[string]string{}
			}
			params[s[1:len(s)-1]] = tail[i]
			continue
		}
		if s != tail[i] {
			return nil, false
		}
	}
	return params, true
}

// options are the openapi3filter options for every check: undocumented statuses
// fail, every problem is reported, and schema errors are rendered without the
// offending value (which may be a password or a token).
func options() *openapi3filter.Options {
	o := &openapi3filter.Options{
		IncludeResponseStatus: true,
		MultiError:            true,
		AuthenticationFunc:    checkBearer,
	}
	o.WithCustomSchemaErrorFunc(schemaMessage)
	return o
}

// checkBearer is the AuthenticationFunc: for an http bearer scheme the request must
// carry "Authorization: Bearer <something>"; the token's validity is the server's
// business, not the contract's.
func checkBearer(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	s := in.SecurityScheme
	if s == nil || s.Type != "http" || !strings.EqualFold(s.Scheme, "bearer") {
		return nil
	}
	h := in.RequestValidationInput.Request.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
		return errors.New("missing or malformed \"Authorization: Bearer\" header")
	}
	return nil
}

// schemaMessage renders a schema error as "at /pointer: reason", never with the
// value that failed.
func schemaMessage(err *openapi3.SchemaError) string {
	reason := err.Reason
	if reason == "" {
		reason = fmt.Sprintf("does not match schema %q", err.SchemaField)
	}
	return "at /" + strings.Join(err.JSONPointer(), "/") + ": " + reason
}

// ValidateRequest checks req, whose body is given separately (req.Body is not
// read), against the spec. It returns the violations found, or nil; secrets in them
// are scrubbed.
func (v *Validator) ValidateRequest(ctx context.Context, req *http.Request, body []byte) []Violation {
	_, vs := v.validateRequest(ctx, req, body)
	return vs
}

func (v *Validator) validateRequest(ctx context.Context, req *http.Request, body []byte) (*openapi3filter.RequestValidationInput, []Violation) {
	sec := secretsOf(req, body, nil)
	route, params, err := v.findRoute(req)
	if err != nil {
		return nil, []Violation{newViolation(PhaseRequest, req, 0, err.Error(), sec)}
	}
	r := req.Clone(ctx)
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	in := &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route, Options: options()}
	if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
		return in, violations(PhaseRequest, req, 0, err, sec)
	}
	return in, nil
}

// ValidateResponse checks a response (status, header, body) to req against the
// spec. reqBody is the request's body, used to find secrets to scrub. An
// undocumented status is a violation.
func (v *Validator) ValidateResponse(ctx context.Context, req *http.Request, reqBody []byte, status int, header http.Header, body []byte) []Violation {
	route, params, err := v.findRoute(req)
	if err != nil {
		return nil // already reported for the request
	}
	r := req.Clone(ctx)
	r.Body = io.NopCloser(bytes.NewReader(reqBody))
	in := &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route, Options: options()}
	return v.validateResponse(ctx, in, req, reqBody, status, header, body)
}

func (v *Validator) validateResponse(ctx context.Context, in *openapi3filter.RequestValidationInput, req *http.Request, reqBody []byte, status int, header http.Header, body []byte) []Violation {
	if header == nil {
		header = http.Header{}
	}
	if undocumented(in, status) {
		// openapi3filter never checks 301, 304, 307 and 308; an undocumented
		// redirect is as much off contract as any other undocumented status.
		return []Violation{newViolation(PhaseResponse, req, status, "status is not supported", nil)}
	}
	err := openapi3filter.ValidateResponse(ctx, &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 status,
		Header:                 header,
		Body:                   io.NopCloser(bytes.NewReader(body)),
		Options:                in.Options,
	})
	if err == nil {
		return nil
	}
	return violations(PhaseResponse, req, status, err, secretsOf(req, reqBody, body))
}

// undocumented reports whether the operation documents neither status (exactly or
// as a range such as 3XX) nor a default response.
func undocumented(in *openapi3filter.RequestValidationInput, status int) bool {
	if in == nil || in.Route == nil || in.Route.Operation == nil || in.Route.Operation.Responses == nil {
		return false
	}
	rs := in.Route.Operation.Responses
	return rs.Len() > 0 && rs.Status(status) == nil && rs.Default() == nil
}
