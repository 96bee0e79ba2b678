package suite

import (
	"crypto/rand"
	"strings"

	"github.com/csconnect/csconnect/conformance/simulator"
)

func authScenarios() []Scenario {
	return []Scenario{
		{
			Name: "login-valid",
			Doc:  "valid credentials get 200 {token}: an RS256 JWT with exp and nbf, valid one hour",
			Live: true,
			Run: func(e *Env) {
				if tok := e.login(); tok != "" {
					e.verifyToken(tok)
				}
			},
		},
		wrongPassword("login-wrong-password-text", "wrong credentials get 401 with the plain-text Access denied message (vendor's Sweden pages)", simulator.FormatText, "text/plain"),
		wrongPassword("login-wrong-password-json", "wrong credentials get 401 as JSON {message} (vendor's OpenAPI document)", simulator.FormatJSON, "application/json"),
		{
			Name:  "login-wrong-password-live",
			Doc:   "exactly one request with a wrong password, random per run, gets 401 (live only, with --allow-invalid)",
			Needs: SendsInvalid,
			Live:  true,
			Run: func(e *Env) {
				if e.Sim() != nil {
					e.Skipf("covered by login-wrong-password-text and -json")
					return
				}
				u, p := e.Credentials()
				e.expectStatus(e.Authenticate(creds(u, randomWrongPassword(p))), 401, "authenticate(wrong password)")
			},
		},
		{
			Name:  "login-case-sensitive",
			Doc:   "credentials are case-sensitive: the upper-cased username gets 401",
			Needs: NeedsSim,
			Run: func(e *Env) {
				u, p := e.Credentials()
				e.expectStatus(e.Authenticate(creds(strings.ToUpper(u)+"X", p)), 401, "authenticate(upper-cased username)")
			},
		},
		{
			Name:  "login-missing-fields",
			Doc:   "a missing or empty username or password gets 401 (documented); such requests break the spec",
			Needs: NeedsSim,
			Run: func(e *Env) {
				u, p := e.Credentials()
				for _, c := range [][2]string{
					{"no password", `{"username":` + quote(u) + `}`},
					{"no username", `{"password":` + quote(p) + `}`},
					{"empty password", creds(u, "")},
					{"empty object", `{}`},
				} {
					e.expectStatus(e.AuthenticateInvalid("application/json", c[1]), 401, "authenticate("+c[0]+")")
				}
			},
		},
		{
			Name:  "login-malformed-json",
			Doc:   "a body that is not JSON gets 400 with an empty body and no Content-Type (\"empty or minimal\")",
			Needs: NeedsSim,
			Run: func(e *Env) {
				for _, c := range [][2]string{
					{"truncated JSON", `{"username":`},
					{"a JSON array", `[]`},
					{"a number field", `{"username":1,"password":"x"}`},
				} {
					r := e.AuthenticateInvalid("application/json", c[1])
					if e.expectStatus(r, 400, "authenticate("+c[0]+")") && (r.Body != "" || r.Header.Get("Content-Type") != "") {
						e.Errorf("authenticate(%s): 400 with a body or Content-Type; want neither", c[0])
					}
				}
			},
		},
		{
			Name:  "login-length-limits",
			Doc:   "username and password are at most 30 characters, counted as code points as JSON Schema does: 30 is accepted by the spec, 31 is not",
			Needs: NeedsSim,
			Run: func(e *Env) {
				u, p := e.Credentials()
				for _, n := range []struct {
					what string
					s    string
				}{{"30 ASCII", strings.Repeat("a", 30)}, {"30 two-byte", strings.Repeat("é", 30)}, {"30 four-byte", strings.Repeat("😀", 30)}} {
					e.expectStatus(e.Authenticate(creds(n.s, p)), 401, "authenticate(username of "+n.what+" characters)")
					e.expectStatus(e.Authenticate(creds(u, n.s)), 401, "authenticate(password of "+n.what+" characters)")
				}
				e.expectStatus(e.AuthenticateInvalid("application/json", creds(strings.Repeat("a", 31), p)), 401, "authenticate(username of 31 characters)")
				e.expectStatus(e.AuthenticateInvalid("application/json", creds(u, strings.Repeat("é", 31))), 401, "authenticate(password of 31 characters)")
			},
		},
		{
			Name:  "login-account-inactive",
			Doc:   "valid credentials of an inactive customer or user get 403",
			Needs: NeedsSim,
			Run: func(e *Env) {
				e.Sim().SetAccountInactive(true)
				e.expectStatus(e.Authenticate(creds(e.Credentials())), 403, "authenticate(inactive account)")
			},
		},
	}
}

// wrongPassword is a scenario where the simulator answers 401 in format.
func wrongPassword(name, doc string, format simulator.Format, contentType string) Scenario {
	return Scenario{
		Name:  name,
		Doc:   doc,
		Needs: NeedsSim | SendsInvalid,
		Run: func(e *Env) {
			e.Sim().SetFormats(format, simulator.FormatText)
			u, _ := e.Credentials()
			r := e.Authenticate(creds(u, "wrong-password"))
			if e.expectStatus(r, 401, "authenticate(wrong password)") {
				e.expectContentType(r, contentType, "401")
				if !strings.Contains(r.Body, "Access denied") {
					e.Errorf("401 body does not say Access denied")
				}
			}
		},
	}
}

// wrongPrefix starts every random wrong password, so that it reads as the suite's
// in the vendor's logs.
const wrongPrefix = "csconnect-wrong-"

// randomWrongPassword returns a wrong password for the live check: wrongPrefix and
// 14 characters of crypto/rand text, 30 characters in all (the spec allows 1-30),
// and never real. A fixed one would make runs close together identical invalid
// requests, which the vendor counts towards a lockout; a random one does not, but
// each run still sends one invalid login.
func randomWrongPassword(real string) string {
	for {
		if pw := wrongPrefix + rand.Text()[:30-len(wrongPrefix)]; pw != real {
			return pw
		}
	}
}
