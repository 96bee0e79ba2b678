package suite

import (
	"strings"
	"time"

	"github.com/csconnect/csconnect/conformance/simulator"
)

const (
	searchNumber = "5565144408" // the vendor's example
	fullQuery    = "searchnumber=5565144408&referencedate=2020-08-29&transactionid=Example&language=sv"
)

func serviceScenarios() []Scenario {
	return []Scenario{
		{
			Name:  "service-valid-token",
			Doc:   "GET /datecheck/company with Authorization: Bearer <token> gets 200",
			Needs: NeedsService,
			Live:  true,
			Run: func(e *Env) {
				if tok := e.login(); tok != "" {
					e.expectStatus(e.DateCheck(fullQuery, tok), 200, "datecheck(fresh token)")
				}
			},
		},
		{
			Name:  "service-token-expired",
			Doc:   "past the token's lifetime the service answers 403 Token Expired (as text and as the JSON envelope); a new token is accepted",
			Needs: NeedsSim | NeedsService,
			Run: func(e *Env) {
				e.Sim().SetFormats(simulator.FormatText, simulator.FormatAlternate)
				tok := e.tokenOf(e.Authenticate(creds(e.Credentials())), "authenticate")
				if tok == "" {
					return
				}
				e.Clock().Advance(time.Hour)
				for _, ct := range []string{"text/plain", "application/json"} {
					r := e.DateCheck("searchnumber="+searchNumber, tok)
					if e.expectStatus(r, 403, "datecheck(expired token)") {
						e.expectContentType(r, ct, "403 Token Expired")
						if !strings.Contains(r.Body, "Token Expired") {
							e.Errorf("403 body does not say Token Expired")
						}
					}
				}
				fresh := e.tokenOf(e.Authenticate(creds(e.Credentials())), "authenticate again")
				if fresh != "" {
					e.expectStatus(e.DateCheck("searchnumber="+searchNumber, fresh), 200, "datecheck(new token)")
				}
			},
		},
		{
			Name:  "service-invalid-token",
			Doc:   "a forged token gets 401 {\"error\": \"Invalid token.\"}; a call without a token breaks the spec and gets 401",
			Needs: NeedsSim | NeedsService,
			Run: func(e *Env) {
				tok := e.tokenOf(e.Authenticate(creds(e.Credentials())), "authenticate")
				if tok == "" {
					return
				}
				r := e.DateCheck("searchnumber="+searchNumber, forge(tok))
				if e.expectStatus(r, 401, "datecheck(forged token)") {
					e.expectContentType(r, "application/json", "401")
				}
				e.expectStatus(e.DateCheckInvalid("searchnumber="+searchNumber, ""), 401, "datecheck(no token)")
			},
		},
		{
			Name:  "service-forbidden-not-expired",
			Doc:   "a rejected company gets 403 with the JSON envelope that does not say Token Expired, so a client must not refresh on it",
			Needs: NeedsSim | NeedsService,
			Run: func(e *Env) {
				tok := e.tokenOf(e.Authenticate(creds(e.Credentials())), "authenticate")
				if tok == "" {
					return
				}
				r := e.DateCheck("searchnumber="+simulator.RejectedCompany, tok)
				if e.expectStatus(r, 403, "datecheck(rejected company)") {
					e.expectContentType(r, "application/json", "403")
					if strings.Contains(r.Body, "Token Expired") {
						e.Errorf("403 for a rejected company says Token Expired")
					}
				}
			},
		},
		{
			Name:  "service-bad-parameters",
			Doc:   "a missing searchnumber or a malformed referencedate gets 400 with a JSON error body",
			Needs: NeedsSim | NeedsService,
			Run: func(e *Env) {
				tok := e.tokenOf(e.Authenticate(creds(e.Credentials())), "authenticate")
				if tok == "" {
					return
				}
				for _, q := range []string{"referencedate=2020-08-29", "searchnumber=1&referencedate=yesterday"} {
					r := e.DateCheckInvalid(q, tok)
					if e.expectStatus(r, 400, "datecheck("+q+")") {
						e.expectContentType(r, "application/json", "400")
					}
				}
			},
		},
	}
}

func faultScenarios() []Scenario {
	return []Scenario{
		{
			Name:  "fault-server-error",
			Doc:   "a 500 burst answers with the JSON envelope; the next request after it gets a token",
			Needs: NeedsSim,
			Run: func(e *Env) {
				e.Sim().FailNext(simulator.Authenticate, 2)
				for range 2 {
					r := e.Authenticate(creds(e.Credentials()))
					if e.expectStatus(r, 500, "authenticate during a 500 burst") {
						e.expectContentType(r, "application/json", "500")
					}
				}
				e.tokenOf(e.Authenticate(creds(e.Credentials())), "authenticate after the burst")
			},
		},
		{
			Name:  "fault-dropped-connection",
			Doc:   "a dropped connection is a transport error, not an answer; the next request gets a token",
			Needs: NeedsSim | BypassProxy,
			Run: func(e *Env) {
				e.Sim().DropNext(simulator.Authenticate, 1)
				if r := e.Authenticate(creds(e.Credentials())); r.Err == nil {
					e.Errorf("authenticate on a dropped connection = %d; want a transport error", r.Status)
				}
				e.tokenOf(e.Authenticate(creds(e.Credentials())), "authenticate after the drop")
			},
		},
		{
			Name:  "fault-latency",
			Doc:   "an answer slower than the client's timeout ends in a timeout; without the delay the next request gets a token",
			Needs: NeedsSim | BypassProxy,
			Run: func(e *Env) {
				e.Sim().SetLatency(simulator.Authenticate, time.Minute)
				client := e.Client(100 * time.Millisecond)
				resp, err := client.Post(e.target.AuthURL+"/authenticate", "application/json", strings.NewReader(creds(e.Credentials())))
				if err == nil {
					resp.Body.Close()
					e.Errorf("authenticate with 1 minute latency = %d; want a client timeout", resp.StatusCode)
				}
				e.Sim().SetLatency(simulator.Authenticate, 0)
				e.tokenOf(e.Authenticate(creds(e.Credentials())), "authenticate without latency")
			},
		},
	}
}

// forge returns tok with one character in the middle of its signature changed. Not
// its last characters: base64url's last character carries padding bits a decoder
// ignores, so changing it left the signature intact about once in 256 runs.
func forge(tok string) string {
	i := strings.LastIndexByte(tok, '.') + (len(tok)-strings.LastIndexByte(tok, '.'))/2
	c := byte('A')
	if tok[i] == 'A' {
		c = 'B'
	}
	return tok[:i] + string(c) + tok[i+1:]
}
