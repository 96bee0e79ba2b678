package conformance_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/csconnect/csconnect/conformance"
)

// TestValidatorPerDocument: the contract is two documents whose errors live in a
// third file; LoadValidator follows the $refs, and each exchange is validated
// against the document that holds its path (the authenticate 400 declares no body,
// the service's 400 a JSON one).
func TestValidatorPerDocument(t *testing.T) {
	loaded, err := conformance.LoadValidator("../openapi.yaml", "../datecheck.yaml")
	if err != nil {
		t.Fatalf("LoadValidator(openapi.yaml, datecheck.yaml) = %v", err)
	}
	embedded, err := conformance.DefaultValidator()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	type exchange struct {
		method, url, ctype, body string
		status                   int
		want                     bool // conforms
	}
	cases := map[string]exchange{
		"authenticate 400 text":     {http.MethodPost, "https://connect.creditsafe.com/v1/authenticate", "text/plain", "Bad Request", 400, true},
		"service 400 text":          {http.MethodGet, "https://se-webservice.apps.creditsafe.com/datecheck/company?searchnumber=1", "text/plain", "Bad Request", 400, false},
		"service 403 Token Expired": {http.MethodGet, "https://se-webservice.apps.creditsafe.com/datecheck/company?searchnumber=1", "text/plain", "Token Expired", 403, true},
		"service 401 token error":   {http.MethodGet, "https://se-webservice.apps.creditsafe.com/datecheck/company?searchnumber=1", "application/json", `{"error":"Invalid token."}`, 401, true},
		"authenticate 401 json":     {http.MethodPost, "https://connect.creditsafe.com/v1/authenticate", "application/json", `{"message":"Access denied"}`, 401, true},
	}
	for name, x := range cases {
		for vname, v := range map[string]*conformance.Validator{"loaded": loaded, "embedded": embedded} {
			t.Run(vname+" "+name, func(t *testing.T) {
				var reqBody []byte
				if x.method == http.MethodPost {
					reqBody = []byte(`{"username":"u","password":"p"}`)
				}
				req, err := http.NewRequest(x.method, x.url, strings.NewReader(string(reqBody)))
				if err != nil {
					t.Fatal(err)
				}
				if reqBody != nil {
					req.Header.Set("Content-Type", "application/json")
				} else {
					req.Header.Set("Authorization", "Bearer a.b.c")
				}
				if vs := v.ValidateRequest(ctx, req, reqBody); len(vs) != 0 {
					t.Fatalf("ValidateRequest = %v; want none", vs)
				}
				h := http.Header{"Content-Type": {x.ctype}}
				vs := v.ValidateResponse(ctx, req, reqBody, x.status, h, []byte(x.body))
				if got := len(vs) == 0; got != x.want {
					t.Errorf("ValidateResponse(%d %s) conforms = %v (%v); want %v", x.status, x.ctype, got, vs, x.want)
				}
			})
		}
	}
}
