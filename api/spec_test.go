package api_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// loadSpec loads ../openapi.yaml (the authenticate API) and validates it with
// example validation on.
func loadSpec(t *testing.T) *openapi3.T { return loadDoc(t, "../openapi.yaml") }

// loadDoc loads a document of the contract, following its $refs into
// ../errors.yaml, and validates it with example validation on.
func loadDoc(t *testing.T, path string) *openapi3.T {
	t.Helper()
	loader := openapi3.NewLoader()
	loader.IsExternalRefsAllowed = true
	doc, err := loader.LoadFromFile(path)
	if err != nil {
		t.Fatalf("LoadFromFile(%s) = %v", path, err)
	}
	if err := doc.Validate(loader.Context, openapi3.EnableExamplesValidation()); err != nil {
		t.Fatalf("Validate(%s, examples on) = %v; want nil", path, err)
	}
	return doc
}

func TestSpecValidates(t *testing.T) {
	for _, path := range documents {
		loadDoc(t, path)
	}
}

const authURL = "https://connect.creditsafe.com/v1/authenticate"

type exchange struct {
	reqBody     string // JSON request body
	status      int
	contentType string // "" means no Content-Type header
	respBody    string
}

func (x exchange) validate(t *testing.T, router routers.Router) (reqErr, respErr error) {
	t.Helper()
	ctx := context.Background()
	req, err := http.NewRequest(http.MethodPost, authURL, strings.NewReader(x.reqBody))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	route, pathParams, err := router.FindRoute(req)
	if err != nil {
		t.Fatalf("FindRoute(POST %s) = %v", authURL, err)
	}
	opts := &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: pathParams, Route: route, Options: opts}
	reqErr = openapi3filter.ValidateRequest(ctx, in)
	h := http.Header{}
	if x.contentType != "" {
		h.Set("Content-Type", x.contentType)
	}
	respErr = openapi3filter.ValidateResponse(ctx, &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 x.status,
		Header:                 h,
		Body:                   io.NopCloser(bytes.NewBufferString(x.respBody)),
		Options:                opts,
	})
	return reqErr, respErr
}

const validReq = `{"username":"myUsername","password":"myS3cretP@ssw0rd999!"}`

// TestAuthenticateExchanges validates the documented request and each documented
// response of POST /authenticate, and shows that broken ones are rejected.
func TestAuthenticateExchanges(t *testing.T) {
	doc := loadSpec(t)
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatalf("NewRouter = %v", err)
	}
	const accessDenied = "Access denied - Please check that your username and password are correct. Please be aware that usernames and passwords are case sensitive. If the problem persists, please contact your Creditsafe account manager."
	good := map[string]exchange{
		"200 token":               {validReq, 200, "application/json", `{"token":"eyJhbGciOiJSUzI1NiIsImtpZCI6Im.eyJleHAiOjF9.hPeGE7Ak8YtKFbA"}`},
		"200 extra fields":        {validReq, 200, "application/json; charset=utf-8", `{"token":"a.b.c","expires_in":3600}`},
		"400 empty no type":       {`{"username":1}`, 400, "", ``},
		"400 minimal text":        {validReq, 400, "text/plain", `Bad Request`},
		"401 text":                {validReq, 401, "text/plain; charset=utf-8", accessDenied},
		"401 json":                {validReq, 401, "application/json", `{"message":"` + accessDenied + `"}`},
		"403 json":                {validReq, 403, "application/json", `{"message":"Customer or user is not active"}`},
		"429 envelope":            {validReq, 429, "application/json", `{"error":{"code":"429","text":"Too many requests","detail":"Rate limit exceeded. Please wait before retrying."}}`},
		"429 text":                {validReq, 429, "text/plain", `Too many identical requests within a 2-minute period or total amount of requests exceeded`},
		"500 envelope":            {validReq, 500, "application/json", `{"error":{"code":"500","text":"Internal server error","detail":"An unexpected error occurred. Please try again later."}}`},
		"30-char username":        {`{"username":"` + strings.Repeat("u", 30) + `","password":"p"}`, 200, "application/json", `{"token":"a.b.c"}`},
		"30 multibyte characters": {`{"username":"` + strings.Repeat("å", 30) + `","password":"p"}`, 200, "application/json", `{"token":"a.b.c"}`},
	}
	for name, x := range good {
		t.Run(name, func(t *testing.T) {
			reqErr, respErr := x.validate(t, router)
			if name == "400 empty no type" {
				reqErr = nil // the request is deliberately malformed; only the response matters
			}
			if reqErr != nil || respErr != nil {
				t.Errorf("validate(%s) = request %v, response %v; want nil, nil", name, reqErr, respErr)
			}
		})
	}

	badRequests := map[string]string{
		"31-char username":  `{"username":"` + strings.Repeat("u", 31) + `","password":"p"}`,
		"31-char password":  `{"username":"u","password":"` + strings.Repeat("p", 31) + `"}`,
		"missing password":  `{"username":"u"}`,
		"missing username":  `{"password":"p"}`,
		"empty username":    `{"username":"","password":"p"}`,
		"username a number": `{"username":12,"password":"p"}`,
	}
	for name, body := range badRequests {
		t.Run("request "+name, func(t *testing.T) {
			reqErr, _ := exchange{body, 200, "application/json", `{"token":"a.b.c"}`}.validate(t, router)
			if reqErr == nil {
				t.Errorf("ValidateRequest(%s) = nil; want an error", body)
			}
		})
	}

	badResponses := map[string]exchange{
		"200 without token":     {validReq, 200, "application/json", `{"jwt":"a.b.c"}`},
		"200 token not a JWT":   {validReq, 200, "application/json", `{"token":"not a jwt"}`},
		"200 as text":           {validReq, 200, "text/plain", `a.b.c`},
		"undocumented 404":      {validReq, 404, "application/json", `{"message":"not found"}`},
		"429 envelope as array": {validReq, 429, "application/json", `[]`},
		"500 as html":           {validReq, 500, "text/html", `<html></html>`},
	}
	for name, x := range badResponses {
		t.Run("response "+name, func(t *testing.T) {
			_, respErr := x.validate(t, router)
			if respErr == nil {
				t.Errorf("ValidateResponse(%d %s %q) = nil; want an error", x.status, x.contentType, x.respBody)
			}
		})
	}
}

// TestAuthenticateSpecExamples replays every example the spec itself gives for POST
// /authenticate (request and each response media type) through openapi3filter, so an
// example that drifts from its schema fails here as well as in Validate.
func TestAuthenticateSpecExamples(t *testing.T) {
	doc := loadSpec(t)
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatalf("NewRouter = %v", err)
	}
	op := doc.Paths.Value("/authenticate").Post
	reqExample := op.RequestBody.Value.Content.Get("application/json").Example
	reqBody := mustJSON(t, reqExample)
	if reqErr, _ := (exchange{reqBody, 200, "application/json", `{"token":"a.b.c"}`}).validate(t, router); reqErr != nil {
		t.Fatalf("request example %s: %v", reqBody, reqErr)
	}
	n := 0
	for code, ref := range op.Responses.Map() {
		for mime, media := range ref.Value.Content {
			examples := map[string]any{}
			if media.Example != nil {
				examples["example"] = media.Example
			}
			for name, ex := range media.Examples {
				examples[name] = ex.Value.Value
			}
			if len(examples) == 0 {
				t.Errorf("response %s %s has no example", code, mime)
			}
			for name, ex := range examples {
				body, ct := "", mime
				switch v := ex.(type) {
				case string:
					body = v
				default:
					body = mustJSON(t, v)
				}
				if mime == "*/*" {
					ct = "" // the documented empty body arrives with no Content-Type
				}
				status := atoi(t, code)
				t.Run(code+" "+mime+" "+name, func(t *testing.T) {
					if _, respErr := (exchange{reqBody, status, ct, body}).validate(t, router); respErr != nil {
						t.Errorf("ValidateResponse(%s %s example %s) = %v; want nil", code, mime, name, respErr)
					}
				})
				n++
			}
		}
	}
	if n < 8 {
		t.Errorf("replayed %d response examples; want at least 8 (one per documented shape)", n)
	}
}
