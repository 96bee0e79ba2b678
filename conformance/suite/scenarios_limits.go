package suite

import (
	"strconv"
	"time"
)

func limitScenarios() []Scenario {
	return []Scenario{
		{
			Name:  "limit-identical-invalid",
			Doc:   "5 identical invalid requests within 2 minutes, then 429 with Retry-After for those identical requests only; a different invalid request still gets 401, valid credentials still get a token; 2 minutes later 401 again",
			Needs: NeedsSim | SendsInvalid,
			Run: func(e *Env) {
				u, p := e.Credentials()
				bad := creds(u, "wrong-password")
				for i := 1; i <= 5; i++ {
					e.expectStatus(e.Authenticate(bad), 401, "identical invalid request "+strconv.Itoa(i))
				}
				r := e.Authenticate(bad)
				if e.expectStatus(r, 429, "identical invalid request 6") {
					e.expectContentType(r, "application/json", "429")
					e.expectRetryAfter(r, 1, 120)
				}
				e.expectStatus(e.Authenticate(creds(u, "another-wrong-password")), 401, "a different invalid request")
				e.tokenOf(e.Authenticate(creds(u, p)), "valid credentials while identical ones are limited")
				e.Clock().Advance(2 * time.Minute)
				e.expectStatus(e.Authenticate(bad), 401, "the identical invalid request 2 minutes later")
			},
		},
		{
			Name:  "limit-total-lockout",
			Doc:   "over the total-requests threshold in 5 minutes (429s counted) the endpoint answers 429 to everyone for 5 minutes, then recovers (threshold lowered to 20 to keep the run short)",
			Needs: NeedsSim,
			Run: func(e *Env) {
				e.Sim().SetTotalLimit(20)
				u, p := e.Credentials()
				valid := creds(u, p)
				for i := 1; i <= 20; i++ {
					e.expectStatus(e.Authenticate(valid), 200, "request "+strconv.Itoa(i)+" under the threshold")
				}
				r := e.Authenticate(valid)
				if e.expectStatus(r, 429, "request 21, over the threshold") {
					e.expectRetryAfter(r, 300, 300)
				}
				e.Clock().Advance(4 * time.Minute)
				e.expectStatus(e.Authenticate(valid), 429, "valid credentials 4 minutes into the lockout")
				e.Clock().Advance(time.Minute)
				e.tokenOf(e.Authenticate(valid), "valid credentials after the 5-minute lockout")
				if st := e.Sim().Stats(); st.Lockouts != 1 {
					e.Errorf("simulator lockouts = %d; want 1", st.Lockouts)
				}
			},
		},
	}
}

// expectRetryAfter checks r carries Retry-After in seconds within [lo, hi].
func (e *Env) expectRetryAfter(r Reply, lo, hi int) {
	v := r.Header.Get("Retry-After")
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		e.Errorf("Retry-After = %q; want seconds in [%d, %d]", v, lo, hi)
	}
}
