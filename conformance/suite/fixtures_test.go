package suite_test

import (
	"fmt"
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

func TestFormattingNeverPrintsPassword(t *testing.T) {
	const pw = "not-to-be-printed"
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		for name, v := range map[string]any{
			"Target":      suite.Target{Username: "u", Password: pw},
			"StackConfig": suite.StackConfig{Username: "u", Password: pw},
			"*Target":     &suite.Target{Username: "u", Password: pw},
		} {
			if got := fmt.Sprintf(verb, v); strings.Contains(got, pw) {
				t.Errorf("Sprintf(%s, %s) = %q; want no password", verb, name, got)
			}
		}
	}
}
