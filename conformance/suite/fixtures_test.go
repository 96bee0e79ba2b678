package suite_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/csconnect/csconnect/conformance/suite"
)

func TestSanitize(t *testing.T) {
	const tok = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"
	tests := map[string]struct {
		header http.Header
		body   string
		secret string
	}{
		"token body":       {http.Header{"Content-Type": {"application/json"}}, `{"token":"` + tok + `"}`, tok},
		"non-jwt token":    {http.Header{"Content-Type": {"application/json"}}, `{"token":"opaque-secret-value"}`, "opaque-secret-value"},
		"cookie":           {http.Header{"Set-Cookie": {"session=s3cr3t"}}, ``, "s3cr3t"},
		"jwt in error msg": {http.Header{}, `{"message":"bad token ` + tok + `"}`, tok},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			resp := &http.Response{Status: "200 OK", StatusCode: 200, Header: tc.header}
			got := string(suite.Sanitize(resp, []byte(tc.body)))
			if strings.Contains(got, tc.secret) {
				t.Errorf("Sanitize() = %q; want %q removed", got, tc.secret)
			}
			if !strings.HasPrefix(got, "HTTP/1.1 200 OK\n") {
				t.Errorf("Sanitize() = %q; want a status line first", got)
			}
		})
	}
}
