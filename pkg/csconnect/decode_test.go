package csconnect

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fixtureNow is the clock the fixtures' HTTP dates are relative to.
var fixtureNow = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

// readSnap parses a wire fixture: status line, headers, blank line, body.
func readSnap(t testing.TB, path string) (*http.Response, []byte) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(raw)), nil)
	if err != nil {
		t.Fatalf("http.ReadResponse(%s) = %v", path, err)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body of %s: %v", path, err)
	}
	return resp, body
}

// TestDecodeErrorFixtures decodes one wire fixture per documented body shape and
// checks the classification and every field the shape carries.
func TestDecodeErrorFixtures(t *testing.T) {
	t.Parallel()
	type want struct {
		kind       error
		notKinds   []error
		code       string
		message    string // substring
		detail     string // substring
		hint       string
		requestID  string
		retryAfter time.Duration
		wwwAuth    string // substring
	}
	tests := map[string]want{
		"auth-400-empty":                       {kind: ErrBadRequest},
		"auth-401-text":                        {kind: ErrInvalidCredentials, message: "Access denied - Please check"},
		"auth-401-message-json":                {kind: ErrInvalidCredentials, message: "usernames and passwords are case sensitive"},
		"auth-401-catalogue-invalid-client":    {kind: ErrInvalidCredentials, code: "INVALID_CLIENT", message: "Client authentication failed."},
		"auth-403-inactive-text":               {kind: ErrAccountInactive, notKinds: []error{ErrForbidden}, message: "not active in the Creditsafe system"},
		"auth-403-catalogue-user-deactivated":  {kind: ErrAccountInactive, code: "USER_DEACTIVATED", message: "deactivated"},
		"auth-404-catalogue-user-not-found":    {kind: ErrInvalidCredentials, code: "USER_NOT_FOUND", message: "password is incorrect"},
		"auth-429-envelope":                    {kind: ErrLockedOut, code: "429", message: "Too many requests", detail: "Rate limit exceeded", retryAfter: 5 * time.Minute},
		"auth-429-text-date":                   {kind: ErrLockedOut, message: "Too many identical requests", retryAfter: 2 * time.Minute},
		"auth-429-catalogue-too-many-attempts": {kind: ErrLockedOut, code: "TOO_MANY_ATTEMPTS", message: "too many attempts"},
		"auth-424-catalogue-api-exception":     {kind: ErrServer, code: "API_EXCEPTION", message: "Something went wrong"},
		"auth-400-catalogue-unsupported-grant": {kind: ErrBadRequest, code: "unsupported_grant_type", message: "grant type is not supported", hint: "Check that all required parameters have been provided"},
		"auth-500-envelope":                    {kind: ErrServer, code: "500", message: "Internal server error", detail: "unexpected error", requestID: "req-500-abc"},
		"auth-503-problem-json":                {kind: ErrServer, code: "https://connect.creditsafe.com/problems/unavailable", message: "Service Unavailable", detail: "down for maintenance", requestID: "trace-503-xyz", retryAfter: 2 * time.Second},
		"auth-502-html":                        {kind: ErrServer, message: "502 Bad Gateway"},
		"service-401-invalid-token":            {kind: ErrTokenExpired, message: "Invalid token."},
		"service-401-not-valid-connect-token":  {kind: ErrTokenExpired, message: "Authorization Token has either expired"},
		"service-401-catalogue-invalid-token":  {kind: ErrTokenExpired, code: "INVALID_TOKEN", message: "session has expired"},
		"service-401-www-authenticate":         {kind: ErrTokenExpired, wwwAuth: `error="invalid_token"`},
		"service-401-idenfy-unauthorized":      {kind: ErrUnauthorized, notKinds: []error{ErrTokenExpired}, code: "UNAUTHORIZED", message: "Invalid or missing API credentials."},
		"service-403-token-expired-text":       {kind: ErrTokenExpired, notKinds: []error{ErrForbidden}, message: "Token Expired"},
		"service-403-token-expired-envelope":   {kind: ErrTokenExpired, notKinds: []error{ErrForbidden}, code: "403", message: "Token Expired", detail: "1-hour lifetime"},
		"service-403-company-rejected-envelope": {kind: ErrForbidden, notKinds: []error{ErrTokenExpired}, code: "403", message: "Forbidden",
			detail: "company was rejected"},
		"service-403-access-forbidden":         {kind: ErrForbidden, notKinds: []error{ErrTokenExpired}, message: "Access forbidden"},
		"service-400-correlated":               {kind: ErrBadRequest, message: "The request is invalid.", detail: `{"searchnumber":["must not be empty"]}`, requestID: "3f2c1a9e-0b7d-4c1e-9a55-2d4f6b8e7c10"},
		"service-400-idenfy-bad-value":         {kind: ErrBadRequest, code: "BAD_VALUE", message: "ISO 3166-1"},
		"service-429-idenfy-too-many-requests": {kind: ErrRateLimited, notKinds: []error{ErrLockedOut}, code: "TOO_MANY_REQUESTS", message: "rate limit"},
		"service-429-idenfy-out-of-credits":    {kind: ErrOutOfCredits, notKinds: []error{ErrRateLimited}, code: "PARTNER_CONTRACT_ERROR", message: "out of verification credits"},
		"service-500-idenfy-internal":          {kind: ErrServer, code: "INTERNAL_ERROR", message: "unexpected error"},
	}
	files, err := filepath.Glob("testdata/errors/*.snap")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(tests) {
		t.Errorf("%d fixtures in testdata/errors, %d cases: every fixture needs a case", len(files), len(tests))
	}
	for _, path := range files {
		name := strings.TrimSuffix(filepath.Base(path), ".snap")
		w, ok := tests[name]
		if !ok {
			t.Errorf("fixture %s has no case", name)
			continue
		}
		t.Run(name, func(t *testing.T) {
			resp, body := readSnap(t, path)
			ep := serviceEndpoint
			if strings.HasPrefix(name, "auth-") {
				ep = authenticateEndpoint
			}
			e := decodeError(ep, resp.StatusCode, reasonPhrase(resp), resp.Header, body, fixtureNow)
			if !errors.Is(e, w.kind) {
				t.Errorf("decodeError(%s) = %v (kind %v); want errors.Is %v", name, e, e.kind, w.kind)
			}
			for _, nk := range w.notKinds {
				if errors.Is(e, nk) {
					t.Errorf("decodeError(%s) is %v; want not", name, nk)
				}
			}
			if e.StatusCode != resp.StatusCode {
				t.Errorf("StatusCode = %d; want %d", e.StatusCode, resp.StatusCode)
			}
			if e.Code != w.code {
				t.Errorf("Code = %q; want %q", e.Code, w.code)
			}
			check := func(field, got, want string) {
				if !strings.Contains(got, want) {
					t.Errorf("%s = %q; want it to contain %q", field, got, want)
				}
			}
			check("Message", e.Message, w.message)
			check("Detail", e.Detail, w.detail)
			check("Header WWW-Authenticate", e.Header.Get("WWW-Authenticate"), w.wwwAuth)
			if e.Hint != w.hint {
				t.Errorf("Hint = %q; want %q", e.Hint, w.hint)
			}
			if e.RequestID != w.requestID {
				t.Errorf("RequestID = %q; want %q", e.RequestID, w.requestID)
			}
			if e.RetryAfter != w.retryAfter {
				t.Errorf("RetryAfter = %v; want %v", e.RetryAfter, w.retryAfter)
			}
			if !bytes.Equal(e.Body, body) {
				t.Errorf("Body = %q; want the raw body %q", e.Body, body)
			}
			msg := e.Error()
			if strings.ContainsAny(msg, "\r\n") || !strings.HasPrefix(msg, "csconnect: ") {
				t.Errorf("Error() = %q; want one line starting with \"csconnect: \"", msg)
			}
			if w.message != "" && !strings.Contains(msg, oneLine(w.message, maxMessageRunes)) {
				t.Errorf("Error() = %q; want it to contain the message %q", msg, w.message)
			}
		})
	}
}

// TestCheckResponse checks the transport's entry point: nil for success, the body
// restored for the caller, the endpoint recorded without its query, and the bearer
// token redacted when a server echoes it.
func TestCheckResponse(t *testing.T) {
	t.Parallel()
	const token = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"
	reqURL, _ := url.Parse("https://se-webservice.apps.creditsafe.com/datecheck/company?searchnumber=5565144408")
	newResp := func(status int, body string) *http.Response {
		req := &http.Request{Method: http.MethodGet, URL: reqURL, Header: http.Header{"Authorization": {"Bearer " + token}}}
		return &http.Response{StatusCode: status, Header: http.Header{"Content-Type": {"text/plain"}},
			Body: io.NopCloser(strings.NewReader(body)), Request: req}
	}
	for _, status := range []int{200, 204, 301, 304} {
		if err := CheckResponse(newResp(status, "ok")); err != nil {
			t.Errorf("CheckResponse(%d) = %v; want nil", status, err)
		}
	}

	body := "Token Expired: " + token + strings.Repeat("x", maxErrorBody)
	resp := newResp(http.StatusForbidden, body)
	err := CheckResponse(resp)
	if !errors.Is(err, ErrTokenExpired) {
		t.Fatalf("CheckResponse(403 Token Expired) = %v; want ErrTokenExpired", err)
	}
	rest, _ := io.ReadAll(resp.Body)
	if string(rest) != body {
		t.Errorf("resp.Body after CheckResponse: got %d bytes; want the %d original bytes", len(rest), len(body))
	}
	var apiErr *APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("CheckResponse error %T; want *APIError", err)
	}
	if want := "GET https://se-webservice.apps.creditsafe.com/datecheck/company"; apiErr.Endpoint != want {
		t.Errorf("Endpoint = %q; want %q", apiErr.Endpoint, want)
	}
	if string(apiErr.Body) != redacted { // a text body that held the token is dropped whole
		t.Errorf("Body = %.80q; want %q", apiErr.Body, redacted)
	}
	for _, s := range []string{err.Error(), apiErr.Message, string(apiErr.Body)} {
		if strings.Contains(s, token) {
			t.Errorf("error text %.80q contains the bearer token", s)
		}
	}
}

// TestClassifyByCode: where the status is ambiguous, the vendor code decides.
func TestClassifyByCode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		ep     endpoint
		status int
		f      errorFields
		want   error
	}{
		{serviceEndpoint, 429, errorFields{code: "PARTNER_CONTRACT_ERROR"}, ErrForbidden},
		{serviceEndpoint, 400, errorFields{code: "PERMISSIONS_ERROR"}, ErrBadRequest},
		{serviceEndpoint, 409, errorFields{code: "PERMISSIONS_ERROR"}, ErrForbidden},
		{serviceEndpoint, 402, errorFields{}, ErrOutOfCredits},
		{serviceEndpoint, 429, errorFields{message: "Creditsafe credit checks are rate limited"}, ErrRateLimited},
		{serviceEndpoint, 418, errorFields{code: "TOO_MANY_ATTEMPTS"}, ErrRateLimited},
		{serviceEndpoint, 424, errorFields{code: "API_EXCEPTION"}, ErrServer},
		{serviceEndpoint, 404, errorFields{code: "USER_NOT_FOUND"}, nil},
		{authenticateEndpoint, 404, errorFields{code: "USER_NOT_FOUND"}, ErrInvalidCredentials},
		{authenticateEndpoint, 302, errorFields{}, ErrContract},
		{authenticateEndpoint, 429, errorFields{message: "You have no credits left"}, ErrOutOfCredits},
	}
	for _, tt := range tests {
		if got := classify(tt.ep, tt.status, tt.f, ""); got != tt.want {
			t.Errorf("classify(%v, %d, %+v) = %v; want %v", tt.ep, tt.status, tt.f, got, tt.want)
		}
	}
}

func TestAPIErrorIs(t *testing.T) {
	t.Parallel()
	lock := &APIError{StatusCode: 429, kind: ErrLockedOut}
	if !errors.Is(lock, ErrLockedOut) || !errors.Is(lock, ErrRateLimited) {
		t.Errorf("errors.Is(lockout, ErrLockedOut/ErrRateLimited) = false; want true for both")
	}
	rl := &APIError{StatusCode: 429, kind: ErrRateLimited}
	if errors.Is(rl, ErrLockedOut) {
		t.Errorf("errors.Is(rate limit, ErrLockedOut) = true; want false")
	}
	if errors.Is(&APIError{StatusCode: 418}, ErrServer) {
		t.Errorf("errors.Is(unclassified, ErrServer) = true; want false")
	}
}

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	now := fixtureNow
	tests := []struct {
		in     string
		want   time.Duration
		wantOK bool
	}{
		{"", 0, false},
		{"0", 0, true},
		{"120", 2 * time.Minute, true},
		{" 5 ", 5 * time.Second, true},
		{"-1", 0, false},
		{"soon", 0, false},
		{"99999999999999999", maxRetryAfter, true},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0, true},
		{now.Add(48 * time.Hour).Format(http.TimeFormat), maxRetryAfter, true},
		{"Sunday, 22-Nov-26 12:00:30 GMT", 30 * time.Second, true}, // RFC 850
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := parseRetryAfter(tt.in, now)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("parseRetryAfter(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestOneLine(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		max  int
		want string
	}{
		{"  a\r\nb\tc  ", 100, "a b c"},
		{"x\x00y\u200bz", 100, "x y z"},
		{strings.Repeat("é", 5), 4, "éééé…"},
		{"bad\xffutf8", 100, "bad utf8"},
		{"", 10, ""},
	}
	for _, tt := range tests {
		if got := oneLine(tt.in, tt.max); got != tt.want {
			t.Errorf("oneLine(%q, %d) = %q; want %q", tt.in, tt.max, got, tt.want)
		}
	}
}

// TestCheckResponse403: a 403 means "renew and replay" only when a field (or the
// status line's reason phrase) begins by saying the token expired; any other 403,
// even one that mentions an expired token further on, is ErrForbidden: replaying
// it could bill twice.
func TestCheckResponse403(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, status, ctype, body string
		want                      error
	}{
		{"text", "403 Forbidden", "text/plain", "Token Expired", ErrTokenExpired},
		{"text with detail", "403 Forbidden", "text/plain", "Token expired: issued 2026-11-22T20:00:00Z", ErrTokenExpired},
		{"message", "403 Forbidden", "application/json", `{"message":"Your token has expired."}`, ErrTokenExpired},
		{"code", "403 Forbidden", "application/json", `{"error":{"code":"TOKEN_EXPIRED","text":"Forbidden"}}`, ErrTokenExpired},
		{"reason phrase only", "403 Token Expired", "", "", ErrTokenExpired},
		{"empty", "403 Forbidden", "", "", ErrForbidden},
		{"access forbidden", "403 Forbidden", "application/json", `{"message":"Access forbidden"}`, ErrForbidden},
		{"mention further on", "403 Forbidden", "application/json", `{"message":"Access forbidden: expired token cannot access company"}`, ErrForbidden},
		{"rejected company", "403 Forbidden", "application/json", `{"error":{"code":"COMPANY_REJECTED","text":"Company rejected","detail":"the token owner may not see it"}}`, ErrForbidden},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u, _ := url.Parse("https://se-webservice.apps.creditsafe.com/datecheck/company")
			resp := &http.Response{StatusCode: 403, Status: tc.status, Header: http.Header{},
				Body: io.NopCloser(strings.NewReader(tc.body)), Request: &http.Request{Method: http.MethodGet, URL: u}}
			if tc.ctype != "" {
				resp.Header.Set("Content-Type", tc.ctype)
			}
			err := CheckResponse(resp)
			if !errors.Is(err, tc.want) || tc.want == ErrForbidden && errors.Is(err, ErrTokenExpired) {
				t.Errorf("CheckResponse(%s, %q) = %v; want %v", tc.status, tc.body, err, tc.want)
			}
		})
	}
}
