package csconnect

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/csconnect/csconnect/internal/secret/secrettest"
)

// assertNoSecret fails if out holds secret in any escaping.
func assertNoSecret(t *testing.T, what, out string, secrets ...string) {
	t.Helper()
	secrettest.AssertNone(t, what, out, secrets...)
}

// redactPassword is a password with every character an escaping treats specially.
const redactPassword = `p@ss w/rd+<&>"'é😀`

// TestAPIErrorRedactsEveryEscaping: a password or token the server echoes, in any
// escaping and in any place (a decoded field, a field that is not decoded, a text or
// HTML body, a header), is in no part of the *APIError.
func TestAPIErrorRedactsEveryEscaping(t *testing.T) {
	t.Parallel()
	for _, esc := range secrettest.Escapes {
		name, e := esc.Name, esc.F(redactPassword)
		jsonSafe := e // e as the text of a JSON string: the json escapings already are
		if !strings.HasPrefix(name, "json") {
			jsonSafe = strings.NewReplacer(`"`, `\"`, `\`, `\\`).Replace(e)
		}
		places := map[string]struct {
			ctype, body string
			header      http.Header
		}{
			"message":       {"application/json", `{"message":"bad password ` + jsonSafe + `"}`, nil},
			"undecoded":     {"application/json", `{"message":"Access denied","echo":{"pw":"` + jsonSafe + `"}}`, nil},
			"envelope":      {"application/json", `{"error":{"code":"401","text":"x ` + jsonSafe + `","detail":"d"}}`, nil},
			"text":          {"text/plain", "Access denied for " + e, nil},
			"html":          {"text/html", "<html><title>Denied</title><body>" + e + "</body></html>", nil},
			"header":        {"text/plain", "Access denied", http.Header{"X-Echo": {e}}},
			"www-auth":      {"text/plain", "Access denied", http.Header{"Www-Authenticate": {`Basic realm="` + e + `"`}}},
			"request-id":    {"text/plain", "Access denied", http.Header{"X-Request-Id": {e}}},
			"header-name":   {"text/plain", "Access denied", http.Header{"X-" + url.PathEscape(e): {"1"}}},
			"duplicate-key": {"application/json", `{"message":"` + jsonSafe + `","message":"ok"}`, nil},
		}
		for place, p := range places {
			t.Run(name+"/"+place, func(t *testing.T) {
				h := http.Header{"Content-Type": {p.ctype}}
				for k, v := range p.header {
					h[k] = v
				}
				for _, ep := range []endpoint{authenticateEndpoint, serviceEndpoint} {
					apiErr := decodeError(ep, 401, "Unauthorized", h, []byte(p.body), fixtureNow)
					apiErr.Endpoint = "POST https://connect.creditsafe.com/v1/authenticate"
					newRedactor(redactPassword).apiError(apiErr)
					assertAPIErrorClean(t, apiErr, redactPassword)
				}
			})
		}
	}
}

func assertAPIErrorClean(t *testing.T, e *APIError, secrets ...string) {
	t.Helper()
	outs := map[string]string{
		"Error()": e.Error(), "%+v": fmt.Sprintf("%+v", e), "%#v": fmt.Sprintf("%#v", *e), "Body": string(e.Body),
		"Header": fmt.Sprint(e.Header), "%x": fmt.Sprintf("%x", e),
	}
	for _, f := range []string{e.Code, e.Message, e.Detail, e.Hint, e.RequestID, e.Header.Get("WWW-Authenticate")} {
		outs["field "+f] = f
	}
	for what, out := range outs {
		assertNoSecret(t, what, out, secrets...)
	}
}

// TestServiceErrorRedactsTokenEveryEscaping: CheckResponse removes the bearer token
// of the request from its error in every escaping.
func TestServiceErrorRedactsTokenEveryEscaping(t *testing.T) {
	t.Parallel()
	for _, esc := range secrettest.Escapes {
		t.Run(esc.Name, func(t *testing.T) {
			body := `{"error":"Invalid token.","token":"` + strings.NewReplacer(`"`, `\"`).Replace(esc.F(prismToken)) + `"}`
			req, _ := http.NewRequest(http.MethodGet, "https://se-webservice.apps.creditsafe.com/datecheck/company", nil)
			req.Header.Set("Authorization", "Bearer "+prismToken)
			resp := &http.Response{StatusCode: 401, Status: "401 Unauthorized", Request: req,
				Header: http.Header{"Content-Type": {"application/json"}, "X-Echo": {esc.F(prismToken)}},
				Body:   io.NopCloser(strings.NewReader(body))}
			var apiErr *APIError
			if err := CheckResponse(resp); !errors.As(err, &apiErr) {
				t.Fatalf("CheckResponse() = %v; want an *APIError", err)
			}
			assertAPIErrorClean(t, apiErr, prismToken)
		})
	}
}

// TestRedactionKeepsFixedText: a password that is also a piece of fixed text ("p",
// "Please", "authenticate") must not let a reader find it by where "[redacted]" lands.
// The endpoint, the status and csconnect's own words are never touched; the vendor's
// documented answers are not changed at all; and any other value is either kept or
// replaced whole, never edited inside.
func TestRedactionKeepsFixedText(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("testdata/errors/*.snap")
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	documented := map[string]bool{ // the reference documents' own answers
		"auth-401-text.snap": true, "auth-401-message-json.snap": true, "auth-403-inactive-text.snap": true,
		"auth-429-envelope.snap": true, "auth-500-envelope.snap": true, "service-403-token-expired-text.snap": true,
		"service-401-invalid-token.snap": true, "service-401-not-valid-connect-token.snap": true,
		"service-403-access-forbidden.snap": true, "auth-401-catalogue-invalid-client.snap": true,
		"auth-400-catalogue-unsupported-grant.snap": true,
	}
	const endpointName = "POST https://connect.creditsafe.com/v1/authenticate"
	for _, pw := range []string{"p", "P", "e", "s", "Please", "please", "authenticate", "Access denied", "Token Expired", "https", "json", "error", "message"} {
		for _, path := range files {
			name := filepath.Base(path)
			resp, body := readSnap(t, path)
			for _, ep := range []endpoint{authenticateEndpoint, serviceEndpoint} {
				want := decodeError(ep, resp.StatusCode, reasonPhrase(resp), resp.Header, body, fixtureNow)
				want.Endpoint = endpointName
				got := decodeError(ep, resp.StatusCode, reasonPhrase(resp), resp.Header, body, fixtureNow)
				got.Endpoint = endpointName
				newRedactor(pw).apiError(got)
				prefix := fmt.Sprintf("csconnect: %s: %d %s", endpointName, want.StatusCode, strings.ToLower(http.StatusText(want.StatusCode)))
				if !strings.HasPrefix(got.Error(), prefix) {
					t.Errorf("password %q, %s: Error() = %q; want the fixed prefix %q kept", pw, name, got.Error(), prefix)
				}
				if documented[name] {
					if len(pw) == 1 && got.RequestID == redacted { // a random ID may hold one letter: replaced whole
						want.RequestID, want.Header = redacted, want.Header.Clone()
						want.Header.Set("X-Request-Id", redacted)
					}
					if !reflect.DeepEqual(got, want) {
						t.Errorf("password %q, %s: redaction changed a documented answer: %s", pw, name, apiErrorDiff(got, want))
					}
					continue
				}
				for _, f := range [][2]string{{got.Code, want.Code}, {got.Message, want.Message}, {got.Detail, want.Detail},
					{got.Hint, want.Hint}, {got.RequestID, want.RequestID}, {got.Header.Get("WWW-Authenticate"), want.Header.Get("WWW-Authenticate")}} {
					if f[0] != f[1] && f[0] != redacted {
						t.Errorf("password %q, %s: field %q became %q; want it kept or replaced whole", pw, name, f[1], f[0])
					}
				}
				if !bytes.Equal(got.Body, want.Body) && string(got.Body) != redacted && !json.Valid(got.Body) {
					t.Errorf("password %q, %s: Body %q edited inside; want it kept, replaced whole, or JSON with whole values replaced", pw, name, got.Body)
				}
			}
		}
	}
}

// TestFormattingNeverRevealsSecrets prints every type that holds or reaches the
// password or the token with every fmt verb, as JSON, and through both slog handlers.
func TestFormattingNeverRevealsSecrets(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t, tokenReply())
	c, err := New(Config{Auth: AuthConfig{BaseURL: srv.URL, Username: testUser, Password: testPassword}, ServiceURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	tok, err := c.Tokens.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	a, err := NewAuthenticator(AuthConfig{BaseURL: srv.URL, Username: testUser, Password: testPassword})
	if err != nil {
		t.Fatal(err)
	}
	idle, err := New(Config{Auth: AuthConfig{BaseURL: srv.URL, Username: testUser, Password: testPassword}, ServiceURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = idle.Close() })
	cfg := AuthConfig{BaseURL: "https://u:" + testPassword + "@example.com/v1", Username: testUser, Password: testPassword}
	apiErr := decodeError(authenticateEndpoint, 401, "", http.Header{"X-Echo": {testPassword}}, []byte(`{"message":"`+testPassword+`"}`), fixtureNow)
	newRedactor(testPassword).apiError(apiErr)
	values := map[string]any{
		"*Cache": c.Tokens, "*Client": c, "Client": *c, "*Authenticator": a, "AuthConfig": cfg, "*AuthConfig": &cfg,
		"Token": *tok, "*Token": tok, "APIError": *apiErr, "*APIError": apiErr,
		"struct": struct {
			C *Client
			T *Cache
			A *Authenticator
		}{c, c.Tokens, a},
		"zero Client": Client{}, "nil *Cache": (*Cache)(nil),
		// Reached through unexported fields, where fmt calls no method of theirs and
		// reads the fields itself (so of a Client that fetched nothing: reading a live
		// Cache's counters that way races with its goroutines). An AuthConfig or Token
		// value there prints its exported Password or Value: fmt offers no hook.
		"hidden": struct {
			c  Client
			pc *Client
			a  *Authenticator
			t  *Cache
		}{*idle, idle, a, idle.Tokens},
	}
	secrets := []string{testPassword, tok.Value}
	hexes := func(out string) {
		t.Helper()
		for _, s := range secrets {
			for _, h := range []string{fmt.Sprintf("%x", s), fmt.Sprintf("%X", s), fmt.Sprintf("%x", s[:8]), fmt.Sprint([]byte(s[:6]))[1:12]} {
				if strings.Contains(out, h) {
					t.Errorf("output %.200q… holds a secret in hex or bytes (%q)", out, h)
				}
			}
		}
	}
	for name, v := range values {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%t", "%d", "%p", "%T", "%10.3s"} {
			if verb == "%p" && (name == "Token" || name == "AuthConfig") {
				// %p of a non-pointer is the one path on which fmt ignores Format and
				// prints exported fields itself (Token.Value, AuthConfig.Password);
				// go vet's printf check rejects it. Their pointers are covered.
				continue
			}
			out := fmt.Sprintf(verb, v)
			assertNoSecret(t, fmt.Sprintf("Sprintf(%s, %s)", verb, name), out, secrets...)
			hexes(out)
		}
		j, _ := json.Marshal(v)
		assertNoSecret(t, "json.Marshal("+name+")", string(j), secrets...)
		var logged bytes.Buffer
		slog.New(slog.NewJSONHandler(&logged, nil)).Info("x", "v", v)
		slog.New(slog.NewTextHandler(&logged, nil)).Info("x", "v", v)
		assertNoSecret(t, "slog("+name+")", logged.String(), secrets...)
		hexes(logged.String())
	}
}

// apiErrorDiff names the fields in which got and want differ.
func apiErrorDiff(got, want *APIError) string {
	var b strings.Builder
	g, w := reflect.ValueOf(got).Elem(), reflect.ValueOf(want).Elem()
	for i := 0; i < g.NumField(); i++ {
		if f := g.Type().Field(i); f.IsExported() && !reflect.DeepEqual(g.Field(i).Interface(), w.Field(i).Interface()) {
			fmt.Fprintf(&b, "%s = %q; want %q. ", f.Name, fmt.Sprint(g.Field(i).Interface()), fmt.Sprint(w.Field(i).Interface()))
		}
	}
	return b.String()
}

// TestTruncatedFieldKeepsNoPrefix: a field capped at maxFieldRunes right inside an
// echoed password must not keep the password's first characters.
func TestTruncatedFieldKeepsNoPrefix(t *testing.T) {
	t.Parallel()
	for _, cut := range []int{1, 4, len(testPassword) - 1} {
		msg := strings.Repeat("x", maxFieldRunes-cut-1) + " " + testPassword
		for name, h := range map[string]http.Header{
			"body":   {"Content-Type": {"application/json"}},
			"header": {"X-Request-Id": {strings.Repeat("r", maxCodeRunes-cut-1) + " " + testPassword}},
		} {
			body := `{"message":"` + msg + `"}`
			if name == "header" {
				body = `{"message":"denied"}`
			}
			e := decodeError(authenticateEndpoint, 401, "", h, []byte(body), fixtureNow)
			newRedactor(testPassword).apiError(e)
			for _, f := range []string{e.Message, e.RequestID, e.Error()} {
				if strings.Contains(f, " "+testPassword[:cut]+"…") {
					t.Errorf("%s, cut %d: %.60q… keeps the password's first %d characters", name, cut, f[max(0, len(f)-40):], cut)
				}
			}
		}
	}
}

// TestCappedBodyKeepsNoPrefix: a body cut at maxErrorBody inside an echoed password
// must not keep the password's first characters, in any escaping.
func TestCappedBodyKeepsNoPrefix(t *testing.T) {
	t.Parallel()
	for _, esc := range secrettest.Escapes {
		e := esc.F(testPassword)
		for _, cut := range []int{1, len(e) / 2, len(e) - 1} {
			raw := strings.Repeat("x", maxErrorBody-cut-1) + " " + e
			capped := []byte(raw[:maxErrorBody])
			apiErr := decodeError(authenticateEndpoint, 500, "", http.Header{"Content-Type": {"text/plain"}}, capped, fixtureNow)
			newRedactor(testPassword).apiError(apiErr)
			if tail := e[:cut]; bytes.HasSuffix(bytes.TrimRight(apiErr.Body, "…"), []byte(" "+tail)) {
				t.Errorf("%s, cut %d: Body ends %q; want no part of the password", esc.Name, cut, apiErr.Body[max(0, len(apiErr.Body)-20):])
			}
		}
	}
}
