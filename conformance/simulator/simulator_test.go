package simulator_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/csconnect/csconnect/conformance/simulator"
	"github.com/golang-jwt/jwt/v5"
)

func token(t *testing.T, r reply) string {
	t.Helper()
	var tr struct{ Token string }
	if err := json.Unmarshal([]byte(r.body), &tr); err != nil || tr.Token == "" {
		t.Fatalf("token body %q: %v", r.body, err)
	}
	return tr.Token
}

func TestAuthenticateIssuesRS256Token(t *testing.T) {
	ts := newTestServer(t, nil)
	r := ts.login(t, creds(testUser, testPass))
	if r.status != http.StatusOK {
		t.Fatalf("login(valid) status = %d; want 200", r.status)
	}
	claims := jwt.MapClaims{}
	tok, err := jwt.ParseWithClaims(token(t, r), claims, func(*jwt.Token) (any, error) { return ts.PublicKey(), nil },
		jwt.WithTimeFunc(ts.clock.Now))
	if err != nil {
		t.Fatalf("jwt.Parse(token) = %v", err)
	}
	if tok.Method.Alg() != "RS256" || tok.Header["kid"] == nil {
		t.Errorf("token header = %v; want RS256 with kid", tok.Header)
	}
	exp, _ := claims.GetExpirationTime()
	if got, want := exp.Sub(epoch), simulator.DefaultTokenTTL; got != want {
		t.Errorf("exp - now = %v; want %v", got, want)
	}
	for _, c := range []string{"nbf", "iat", "auth_time", "sub"} {
		if claims[c] == nil {
			t.Errorf("claims[%q] missing in %v", c, claims)
		}
	}
	if got := ts.Stats(); got.Authenticate != 1 || got.TokensIssued != 1 {
		t.Errorf("Stats() = %+v; want 1 authenticate, 1 token", got)
	}
}

func TestAuthenticateErrorShapes(t *testing.T) {
	long := strings.Repeat("é", 31)
	tests := map[string]struct {
		ctype, body string
		invalid     bool // the request breaks the spec
		format      simulator.Format
		status      int
		wantCType   string
		wantBody    string
	}{
		"wrong password text":   {ctype: "application/json", body: creds(testUser, "nope"), status: 401, wantCType: "text/plain; charset=utf-8", wantBody: "Access denied"},
		"wrong password json":   {ctype: "application/json", body: creds(testUser, "nope"), format: simulator.FormatJSON, status: 401, wantCType: "application/json", wantBody: `{"message":"Access denied`},
		"case sensitive":        {ctype: "application/json", body: creds(strings.ToUpper(testUser), testPass), status: 401, wantBody: "Access denied"},
		"missing password":      {ctype: "application/json", body: `{"username":"myUsername"}`, invalid: true, status: 401, wantBody: "Access denied"},
		"empty username":        {ctype: "application/json", body: creds("", testPass), invalid: true, status: 401, wantBody: "Access denied"},
		"31 chars":              {ctype: "application/json", body: creds(long, testPass), invalid: true, status: 401, wantBody: "Access denied"},
		"malformed json":        {ctype: "application/json", body: `{"username":`, invalid: true, status: 400},
		"wrong type":            {ctype: "application/json", body: `{"username":1,"password":"x"}`, invalid: true, status: 400},
		"array":                 {ctype: "application/json", body: `[]`, invalid: true, status: 400},
		"not json content type": {ctype: "text/plain", body: creds(testUser, testPass), invalid: true, status: 400},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			ts := newTestServer(t, func(o *simulator.Options) { o.Unauthorized = tc.format })
			r := ts.do(t, http.MethodPost, "/v1/authenticate", tc.ctype, tc.body, "", tc.invalid)
			if r.status != tc.status {
				t.Fatalf("POST %s = %d; want %d", tc.body, r.status, tc.status)
			}
			if tc.wantCType != "" && r.ctype != tc.wantCType {
				t.Errorf("Content-Type = %q; want %q", r.ctype, tc.wantCType)
			}
			if !strings.HasPrefix(r.body, tc.wantBody) {
				t.Errorf("body = %q; want prefix %q", r.body, tc.wantBody)
			}
			if tc.status == 400 && (r.body != "" || r.ctype != "") {
				t.Errorf("400 = %q with Content-Type %q; want empty body, no Content-Type", r.body, r.ctype)
			}
		})
	}
}
