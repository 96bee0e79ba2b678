package csconnect

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// TestTokenNeverPrintsValue formats a Token and a *Token with every common verb and
// through slog's text and JSON handlers: none may contain the token's value.
func TestTokenNeverPrintsValue(t *testing.T) {
	t.Parallel()
	const secret = "eyJhbGciOiJSUzI1NiJ9.c2VjcmV0LXBheWxvYWQ.c2VjcmV0LXNpZ25hdHVyZQ"
	tok := Token{Value: secret, Expiry: time.Date(2026, 11, 22, 20, 0, 0, 0, time.UTC)}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%T %v"} {
		for name, v := range map[string]any{"value": tok, "pointer": &tok, "in struct": struct{ T Token }{tok}, "in slice": []*Token{&tok}} {
			got := fmt.Sprintf(verb, v)
			if strings.Contains(got, secret) || strings.Contains(got, fmt.Sprintf("%x", secret)) {
				t.Errorf("Sprintf(%q, %s) = %q; contains the token", verb, name, got)
			}
		}
	}
	if got := fmt.Sprintf("%v", &tok); !strings.Contains(got, "2026-11-22T20:00:00Z") {
		t.Errorf("Sprintf(%%v, token) = %q; want the expiry", got)
	}
	var buf bytes.Buffer
	for _, h := range []slog.Handler{slog.NewTextHandler(&buf, nil), slog.NewJSONHandler(&buf, nil)} {
		slog.New(h).Info("refreshed", "token", tok, "ptr", &tok)
	}
	if strings.Contains(buf.String(), secret) {
		t.Errorf("slog output = %q; contains the token", buf.String())
	}
	for _, v := range []any{tok, &tok, struct{ T *Token }{&tok}, AuthConfig{Username: "u", Password: secret}} {
		b, err := json.Marshal(v)
		if err != nil || strings.Contains(string(b), secret) {
			t.Errorf("json.Marshal(%T) = %s, %v; want no secret", v, b, err)
		}
	}
	var nilTok *Token
	if got := fmt.Sprint(nilTok); got != "<nil>" {
		t.Errorf("Sprint(nil *Token) = %q; want <nil>", got)
	}
}

func TestTokenExpired(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 22, 20, 0, 0, 0, time.UTC)
	tests := map[string]struct {
		tok  *Token
		want bool
	}{
		"nil":         {nil, true},
		"empty value": {&Token{Expiry: now.Add(time.Hour)}, true},
		"valid":       {&Token{Value: "a.b.c", Expiry: now.Add(time.Nanosecond)}, false},
		"at expiry":   {&Token{Value: "a.b.c", Expiry: now}, true},
		"past":        {&Token{Value: "a.b.c", Expiry: now.Add(-time.Second)}, true},
	}
	for name, tt := range tests {
		if got := tt.tok.Expired(now); got != tt.want {
			t.Errorf("%s: Expired(now) = %v; want %v", name, got, tt.want)
		}
	}
}

// TestAPIErrorBodyDroppedWhenSecretEchoed: a server that echoes the password with an
// escaping Go does not produce (\u002B for '+', as .NET writes it) must not leave the
// password in APIError.Body once the decoded message showed it.
func TestAPIErrorBodyDroppedWhenSecretEchoed(t *testing.T) {
	t.Parallel()
	const password = "ab+cd<ef"
	e := &APIError{Message: "bad password ab+cd<ef", Body: []byte(`{"message":"bad password ab\u002Bcd\u003Cef"}`)}
	newRedactor(password).apiError(e)
	if strings.Contains(e.Message, password) || strings.Contains(string(e.Body), `ab\u002Bcd`) {
		t.Errorf("apiError() left Message %q, Body %q; want the secret gone from both", e.Message, e.Body)
	}
}
