package conformance_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/csconnect/csconnect/conformance"
)

const (
	validBody = `{"username":"myUsername","password":"myS3cretP@ssw0rd999!"}`
	jwtLike   = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"
)

// newTestServer serves a canned answer and records what it received.
func newTestServer(t *testing.T, status int, ctype, body string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ctype != "" {
			w.Header().Set("Content-Type", ctype)
		} else {
			w.Header()["Content-Type"] = nil
		}
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

type call struct {
	method, path, ctype, body, auth string
	invalid                         bool
}

// roundTrip sends c through a recording Transport and returns the exchange and the
// body the caller read.
func roundTrip(t *testing.T, srv *httptest.Server, c call) (conformance.Exchange, string) {
	t.Helper()
	var rec conformance.Recorder
	client := &http.Client{Transport: &conformance.Transport{Base: srv.Client().Transport, OnExchange: rec.Record}}
	ctx := context.Background()
	if c.invalid {
		ctx = conformance.WithInvalidRequest(ctx)
	}
	req, err := http.NewRequestWithContext(ctx, c.method, srv.URL+c.path, strings.NewReader(c.body))
	if err != nil {
		t.Fatal(err)
	}
	if c.ctype != "" {
		req.Header.Set("Content-Type", c.ctype)
	}
	if c.auth != "" {
		req.Header.Set("Authorization", c.auth)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("Do(%s %s) = %v", c.method, c.path, err)
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	xs := rec.Exchanges()
	if len(xs) != 1 {
		t.Fatalf("recorded %d exchanges; want 1", len(xs))
	}
	return xs[0], string(got)
}

func TestTransportValidates(t *testing.T) {
	auth := call{method: "POST", path: "/v1/authenticate", ctype: "application/json", body: validBody}
	tests := map[string]struct {
		status      int
		ctype, body string
		call        call
		conforms    bool
		problem     string // a substring of the problems when not conforming
	}{
		"token":                     {200, "application/json", `{"token":"` + jwtLike + `"}`, auth, true, ""},
		"token on prism path":       {200, "application/json", `{"token":"` + jwtLike + `"}`, call{method: "POST", path: "/authenticate", ctype: "application/json", body: validBody}, true, ""},
		"token not a jwt":           {200, "application/json", `{"token":"not a jwt"}`, auth, false, "regular expression"},
		"401 text":                  {401, "text/plain", "Access denied", auth, true, ""},
		"401 json":                  {401, "application/json", `{"message":"Access denied"}`, auth, true, ""},
		"401 json wrong shape":      {401, "application/json", `{"msg":"Access denied"}`, auth, false, "message"},
		"401 xml":                   {401, "application/xml", `<e/>`, auth, false, "Content-Type"},
		"400 empty":                 {400, "", "", auth, true, ""},
		"429 envelope":              {429, "application/json", `{"error":{"code":"429"}}`, auth, true, ""},
		"500 message is not spec":   {500, "application/json", `{"message":"x"}`, auth, false, "error"},
		"undocumented status":       {418, "text/plain", "teapot", auth, false, "418"},
		"undocumented redirect":     {307, "", "", auth, false, "307"},
		"undocumented 308 service":  {308, "", "", call{method: "GET", path: "/datecheck/company?searchnumber=1", auth: "Bearer " + jwtLike}, false, "308"},
		"undocumented 301":          {301, "", "", auth, false, "301"},
		"datecheck ok":              {200, "application/json", `{}`, call{method: "GET", path: "/datecheck/company?searchnumber=1", auth: "Bearer " + jwtLike}, true, ""},
		"datecheck no bearer":       {200, "application/json", `{}`, call{method: "GET", path: "/datecheck/company?searchnumber=1"}, false, "security"},
		"datecheck no searchnumber": {200, "application/json", `{}`, call{method: "GET", path: "/datecheck/company", auth: "Bearer " + jwtLike}, false, "searchnumber"},
		"datecheck 403 text":        {403, "text/plain", "Token Expired", call{method: "GET", path: "/datecheck/company?searchnumber=1", auth: "Bearer " + jwtLike}, true, ""},
		"unknown path":              {200, "text/plain", "", call{method: "GET", path: "/v1/nothing"}, false, "no operation"},
		"wrong method":              {200, "text/plain", "", call{method: "GET", path: "/v1/authenticate"}, false, "method"},
		"invalid request marked":    {401, "text/plain", "Access denied", call{method: "POST", path: "/v1/authenticate", ctype: "application/json", body: `{"username":"u"}`, invalid: true}, true, ""},
		"invalid request unmarked":  {401, "text/plain", "Access denied", call{method: "POST", path: "/v1/authenticate", ctype: "application/json", body: `{"username":"u"}`}, false, "password"},
		"valid request marked":      {401, "text/plain", "Access denied", call{method: "POST", path: "/v1/authenticate", ctype: "application/json", body: validBody, invalid: true}, false, "spec accepts it"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			srv := newTestServer(t, tc.status, tc.ctype, tc.body)
			x, got := roundTrip(t, srv, tc.call)
			if got != tc.body {
				t.Errorf("caller read %q; want %q (the body must be passed through)", got, tc.body)
			}
			if x.Conforms() != tc.conforms {
				t.Fatalf("Conforms() = %v; want %v (problems %q)", x.Conforms(), tc.conforms, x.Problems())
			}
			if p := strings.Join(x.Problems(), "\n"); !strings.Contains(p, tc.problem) {
				t.Errorf("Problems() = %q; want one mentioning %q", p, tc.problem)
			}
		})
	}
}

// TestTransportNeverReportsSecrets sends a password and a token that break the spec
// and checks that neither appears in any violation or error.
func TestTransportNeverReportsSecrets(t *testing.T) {
	password := "ThisPasswordIsFarTooLongForTheSpec!!"
	badToken := "header.payload.sig!nature-with-bad-char"
	tests := map[string]struct {
		call        call
		status      int
		ctype, body string
	}{
		"password too long":               {call{method: "POST", path: "/v1/authenticate", ctype: "application/json", body: `{"username":"u","password":"` + password + `"}`}, 401, "text/plain", "x"},
		"password wrong type in response": {call{method: "POST", path: "/v1/authenticate", ctype: "application/json", body: `{"username":"u","password":"` + password + `"}`}, 200, "application/json", `{"token":"` + badToken + `"}`},
		"bearer on unknown path":          {call{method: "GET", path: "/x", auth: "Bearer " + badToken}, 200, "text/plain", ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			srv := newTestServer(t, tc.status, tc.ctype, tc.body)
			x, _ := roundTrip(t, srv, tc.call)
			if x.Conforms() {
				t.Fatalf("Conforms() = true; want violations to inspect")
			}
			all := fmt.Sprintf("%v %+v %#v %s", x, x, x, strings.Join(x.Problems(), " "))
			err := &conformance.ViolationError{Exchange: x}
			all += err.Error()
			for _, secret := range []string{password, badToken} {
				if strings.Contains(all, secret) {
					t.Errorf("a secret leaked into the report: %s", all)
				}
			}
		})
	}
}

func TestTransportStrict(t *testing.T) {
	srv := newTestServer(t, 418, "text/plain", "teapot")
	client := &http.Client{Transport: &conformance.Transport{Base: srv.Client().Transport, Strict: true}}
	resp, err := client.Post(srv.URL+"/v1/authenticate", "application/json", strings.NewReader(validBody))
	var verr *conformance.ViolationError
	if !errors.As(err, &verr) {
		if resp != nil {
			resp.Body.Close()
		}
		t.Fatalf("Post() error = %v; want a *ViolationError", err)
	}
	if verr.Exchange.Status != 418 {
		t.Errorf("ViolationError.Exchange.Status = %d; want 418", verr.Exchange.Status)
	}
}

func TestTransportPassesSimControlPaths(t *testing.T) {
	srv := newTestServer(t, 200, "application/json", `{"authenticate":1}`)
	var rec conformance.Recorder
	client := &http.Client{Transport: &conformance.Transport{Base: srv.Client().Transport, OnExchange: rec.Record}}
	resp, err := client.Get(srv.URL + "/_sim/stats")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if n := len(rec.Exchanges()); n != 0 {
		t.Errorf("recorded %d exchanges for /_sim/stats; want 0", n)
	}
}

// TestTransportOversizedBody checks the caller still gets the whole body when it is
// bigger than MaxBody, and that the exchange says it was not validated.
func TestTransportOversizedBody(t *testing.T) {
	body := `{"token":"` + jwtLike + `","pad":"` + strings.Repeat("x", 100) + `"}`
	srv := newTestServer(t, 200, "application/json", body)
	var rec conformance.Recorder
	client := &http.Client{Transport: &conformance.Transport{Base: srv.Client().Transport, OnExchange: rec.Record, MaxBody: 64}}
	resp, err := client.Post(srv.URL+"/v1/authenticate", "application/json", strings.NewReader(validBody))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(got) != body {
		t.Errorf("caller read %d bytes; want %d", len(got), len(body))
	}
	if p := strings.Join(rec.Problems(), " "); !strings.Contains(p, "not validated") {
		t.Errorf("Problems() = %q; want a not-validated report", p)
	}
}
