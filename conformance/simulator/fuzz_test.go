package simulator_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/csconnect/csconnect/conformance"
	"github.com/csconnect/csconnect/conformance/simulator"
)

// FuzzAuthenticate sends arbitrary bodies to the simulator: it must not panic, must
// answer only documented statuses, and every answer must pass the validator. Seeds
// are the vendor's documented request and the malformed shapes the documents
// mention.
func FuzzAuthenticate(f *testing.F) {
	for _, s := range []string{
		`{"username":"myUsername","password":"myS3cretP@ssw0rd999!"}`,
		`{"username":"myUsername"}`,
		`{"password":"x"}`,
		`{}`, `[]`, ``, `{"username":`, `{"username":1,"password":"x"}`,
		`{"username":"` + strings.Repeat("é", 31) + `","password":"x"}`,
	} {
		f.Add(s, "application/json")
	}
	f.Add(`{"username":"u","password":"p"}`, "text/plain")
	sim, err := simulator.New(simulator.Options{Username: testUser, Password: testPass})
	if err != nil {
		f.Fatal(err)
	}
	v, err := conformance.DefaultValidator()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body, ctype string) {
		sim.Reset()
		req := httptest.NewRequest(http.MethodPost, "/v1/authenticate", strings.NewReader(body))
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		rec := httptest.NewRecorder()
		sim.ServeHTTP(rec, req)
		switch rec.Code {
		case 200, 400, 401:
		default:
			t.Fatalf("authenticate(%q, %q) = %d; want 200, 400 or 401", ctype, body, rec.Code)
		}
		if vs := v.ValidateResponse(context.Background(), req, []byte(body), rec.Code, rec.Header(), rec.Body.Bytes()); len(vs) > 0 {
			t.Fatalf("authenticate(%q, %q) = %d breaking the spec: %v", ctype, body, rec.Code, vs)
		}
	})
}
