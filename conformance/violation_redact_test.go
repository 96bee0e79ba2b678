package conformance

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/csconnect/csconnect/internal/secret/secrettest"
)

// TestViolationRedactsEveryEscaping: a message that quotes a secret in any escaping
// reaches no report.
func TestViolationRedactsEveryEscaping(t *testing.T) {
	const pw, tok = `p@ss w/rd+<&>"'é`, "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"
	req, _ := http.NewRequest(http.MethodPost, "https://connect.creditsafe.com/v1/authenticate", nil)
	for _, esc := range secrettest.Escapes {
		for _, s := range []string{pw, tok} {
			msg := `at /password: value "` + esc.F(s) + `" is not allowed`
			v := newViolation(PhaseRequest, req, 0, msg, []string{pw, tok, "Bearer " + tok})
			secrettest.AssertNone(t, esc.Name+" Message", v.Message, pw, tok)
			secrettest.AssertNone(t, esc.Name+" String()", v.String(), pw, tok)
		}
	}
}

// TestViolationKeepsFixedText: a password that is part of a message's fixed words
// ("p", "Please", "authenticate") leaves the message as it is.
func TestViolationKeepsFixedText(t *testing.T) {
	req, _ := http.NewRequest(http.MethodPost, "https://connect.creditsafe.com/v1/authenticate", nil)
	for _, msg := range []string{
		"response header Content-Type has unexpected value",
		"security: authorization header is missing",
		`parameter "searchnumber" in query: must be present`,
		"response body doesn't match schema: at /message: Access denied - Please check that your username and password are correct. Please be aware that usernames and passwords are case sensitive. If the problem persists, please contact your Creditsafe account manager.",
		"POST /v1/authenticate: status is not supported",
	} {
		for _, pw := range []string{"p", "e", "Please", "authenticate"} {
			if got := newViolation(PhaseResponse, req, 401, msg, []string{pw}).Message; got != msg {
				t.Errorf("newViolation(%q, password %q).Message = %q; want it unchanged", msg, pw, got)
			}
		}
	}
	if got := newViolation(PhaseResponse, req, 401, "value hunter2 is not allowed", []string{"hunter2"}).Message; strings.Contains(got, "hunter2") {
		t.Errorf("Message = %q; want the secret gone", got)
	}
}

// TestExchangeErrRedacted: a transport error that quotes the password or the token,
// in any escaping, does not reach the reported Exchange.
func TestExchangeErrRedacted(t *testing.T) {
	const pw, tok = "p@ss w/rd+<&>'é", "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"
	for _, esc := range secrettest.Escapes {
		var got Exchange
		base := roundTripFunc(func(*http.Request) (*http.Response, error) {
			return nil, errors.New("proxy refused " + esc.F(pw) + " and " + esc.F(tok))
		})
		c := &http.Client{Transport: &Transport{Base: base, OnExchange: func(x Exchange) { got = x }}}
		body, _ := json.Marshal(map[string]string{"username": "u", "password": pw})
		req, _ := http.NewRequest(http.MethodPost, "https://connect.creditsafe.com/v1/authenticate", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tok)
		if _, err := c.Do(req); err == nil {
			t.Fatal("Do() = nil error; want the transport's")
		}
		secrettest.AssertNone(t, esc.Name+" Exchange.Err", got.Err, pw, tok)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
