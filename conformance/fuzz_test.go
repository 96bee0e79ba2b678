package conformance_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/csconnect/csconnect/conformance"
)

// FuzzValidateResponse feeds arbitrary authenticate responses to the validator:
// it must not panic, and no violation may quote the token or the password, whatever
// shape they come in. Seeds are the bodies the vendor documents.
func FuzzValidateResponse(f *testing.F) {
	seeds := []struct {
		status      int
		ctype, body string
	}{
		{200, "application/json", `{"token":"eyJhbGciOiJSUzI1NiIsImtpZCI6Im.hPeGE7Ak8YtKFbA.x"}`},
		{200, "application/json", `{"token":"not a jwt at all"}`},
		{401, "text/plain", "Access denied - Please check that your username and password are correct."},
		{401, "application/json", `{"message":"Access denied"}`},
		{400, "", ""},
		{429, "application/json", `{"error":{"code":"429","text":"Too many requests","detail":"Rate limit exceeded. Please wait before retrying."}}`},
		{500, "application/json", `{"error":{"code":"500","text":"Internal server error","detail":"An unexpected error occurred. Please try again later."}}`},
		{403, "application/json", `{"error":"INVALID_CLIENT","message":"Client authentication failed.","context":null}`},
	}
	for _, s := range seeds {
		f.Add(s.status, s.ctype, s.body, "myS3cretP@ssw0rd999!")
	}
	v, err := conformance.DefaultValidator()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, status int, ctype, body, password string) {
		if status < 100 || status > 999 {
			return
		}
		reqBody, _ := json.Marshal(map[string]string{"username": "u", "password": password})
		req := httptest.NewRequest(http.MethodPost, "/v1/authenticate", nil)
		req.Header.Set("Content-Type", "application/json")
		h := http.Header{}
		if ctype != "" {
			h.Set("Content-Type", ctype)
		}
		vs := v.ValidateRequest(context.Background(), req, reqBody)
		vs = append(vs, v.ValidateResponse(context.Background(), req, reqBody, status, h, []byte(body))...)
		var tok struct{ Token any }
		_ = json.Unmarshal([]byte(body), &tok)
		secrets := []string{password}
		if s, ok := tok.Token.(string); ok {
			secrets = append(secrets, s)
		}
		for _, x := range vs {
			for _, s := range secrets {
				if len(s) >= 4 && strings.Contains(x.String(), s) {
					t.Fatalf("violation %q quotes the secret %q", x, s)
				}
			}
		}
	})
}
