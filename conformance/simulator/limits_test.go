package simulator_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/csconnect/csconnect/conformance/simulator"
)

// TestIdenticalInvalidLimit follows the documented rule: 5 identical invalid
// requests within 2 minutes, then 429 for those identical requests only.
func TestIdenticalInvalidLimit(t *testing.T) {
	ts := newTestServer(t, nil)
	bad := creds(testUser, "wrong")
	for i := 1; i <= 5; i++ {
		if r := ts.login(t, bad); r.status != 401 {
			t.Fatalf("identical invalid request %d = %d; want 401", i, r.status)
		}
	}
	r := ts.login(t, bad)
	if r.status != 429 {
		t.Fatalf("6th identical invalid request = %d; want 429", r.status)
	}
	if ra := r.header.Get("Retry-After"); ra != "120" {
		t.Errorf("Retry-After = %q; want 120 (the oldest leaves the 2-minute window then)", ra)
	}
	if r := ts.login(t, creds(testUser, "other")); r.status != 401 {
		t.Errorf("different invalid request = %d; want 401", r.status)
	}
	if r := ts.login(t, creds(testUser, testPass)); r.status != 200 {
		t.Errorf("valid credentials = %d; want 200", r.status)
	}
	ts.clock.Advance(2 * time.Minute)
	if r := ts.login(t, bad); r.status != 401 {
		t.Errorf("identical invalid request after 2 minutes = %d; want 401", r.status)
	}
	if got := ts.Stats(); got.RateLimited != 1 || got.Unauthorized != 7 {
		t.Errorf("Stats() = %+v; want 1 rate limited, 7 unauthorized", got)
	}
}

// TestTotalThresholdLockout: more than TotalLimit requests in 5 minutes (429s
// counted) lock the endpoint for 5 minutes, valid credentials included.
func TestTotalThresholdLockout(t *testing.T) {
	ts := newTestServer(t, func(o *simulator.Options) { o.TotalLimit = 8 })
	bad := creds(testUser, "wrong")
	for i := 1; i <= 8; i++ { // 5 × 401, then 3 × 429: all count
		r := ts.login(t, bad)
		if want := map[bool]int{true: 401, false: 429}[i <= 5]; r.status != want {
			t.Fatalf("request %d = %d; want %d", i, r.status, want)
		}
	}
	r := ts.login(t, creds(testUser, testPass))
	if r.status != 429 {
		t.Fatalf("request 9 (valid, over the threshold) = %d; want 429", r.status)
	}
	if ra := r.header.Get("Retry-After"); ra != "300" {
		t.Errorf("Retry-After = %q; want 300", ra)
	}
	ts.clock.Advance(5*time.Minute - time.Second)
	if r := ts.login(t, creds(testUser, testPass)); r.status != 429 || r.header.Get("Retry-After") != "1" {
		t.Errorf("valid login 1s before the lockout ends = %d Retry-After %q; want 429, 1", r.status, r.header.Get("Retry-After"))
	}
	ts.clock.Advance(time.Second)
	if r := ts.login(t, creds(testUser, testPass)); r.status != 200 {
		t.Errorf("valid login after the lockout = %d; want 200", r.status)
	}
	if got := ts.Stats(); got.Lockouts != 1 || got.Authenticate != 11 {
		t.Errorf("Stats() = %+v; want 1 lockout, 11 authenticate", got)
	}
}

func TestDateCheck(t *testing.T) {
	ts := newTestServer(t, func(o *simulator.Options) { o.TokenTTL = time.Minute })
	tok := token(t, ts.login(t, creds(testUser, testPass)))
	get := func(query, bearer string, invalid bool) reply {
		return ts.do(t, http.MethodGet, "/datecheck/company"+query, "", "", bearer, invalid)
	}
	if r := get("?searchnumber=5565144408&referencedate=2020-08-29&transactionid=Example&language=sv", tok, false); r.status != 200 {
		t.Errorf("datecheck(valid token) = %d %q; want 200", r.status, r.body)
	}
	if r := get("?searchnumber="+simulator.RejectedCompany, tok, false); r.status != 403 || r.ctype != "application/json" {
		t.Errorf("datecheck(rejected company) = %d %q; want 403 JSON", r.status, r.ctype)
	}
	if r := get("?searchnumber=1", tok+"x", false); r.status != 401 {
		t.Errorf("datecheck(forged token) = %d; want 401", r.status)
	}
	if r := get("?referencedate=2020-08-29", tok, true); r.status != 400 || r.ctype != "application/json" {
		t.Errorf("datecheck(no searchnumber) = %d %q; want 400 JSON", r.status, r.ctype)
	}
	ts.clock.Advance(time.Minute)
	if r := get("?searchnumber=1", tok, false); r.status != 403 || r.body != "Token Expired" {
		t.Errorf("datecheck(expired token) = %d %q; want 403 Token Expired", r.status, r.body)
	}
	ts.SetFormats(simulator.FormatText, simulator.FormatJSON)
	if r := get("?searchnumber=1", tok, false); r.status != 403 || r.ctype != "application/json" {
		t.Errorf("datecheck(expired token, JSON) = %d %q; want 403 JSON", r.status, r.ctype)
	}
	if got := ts.Stats(); got.TokenExpired != 2 || got.DateCheckOK != 1 || got.InvalidToken != 1 || got.Forbidden != 1 {
		t.Errorf("Stats() = %+v", got)
	}
}

func TestFaults(t *testing.T) {
	ts := newTestServer(t, nil)
	ts.FailNext(simulator.Authenticate, 2)
	for i := 0; i < 2; i++ {
		if r := ts.login(t, creds(testUser, testPass)); r.status != 500 {
			t.Fatalf("login %d during a 5xx burst = %d; want 500", i, r.status)
		}
	}
	if r := ts.login(t, creds(testUser, testPass)); r.status != 200 {
		t.Fatalf("login after the burst = %d; want 200", r.status)
	}
	ts.DropNext(simulator.Authenticate, 1)
	req, _ := http.NewRequest(http.MethodPost, ts.url+"/v1/authenticate", nil)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("login on a dropped connection = %d; want an error", resp.StatusCode)
	}
	ts.SetAccountInactive(true)
	if r := ts.login(t, creds(testUser, testPass)); r.status != 403 {
		t.Errorf("login while inactive = %d; want 403", r.status)
	}
	if got := ts.Stats(); got.ServerErrors != 2 || got.Dropped != 1 || got.Inactive != 1 {
		t.Errorf("Stats() = %+v; want 2 server errors, 1 dropped, 1 inactive", got)
	}
	ts.Reset()
	if got := ts.Stats(); got != (simulator.Stats{}) {
		t.Errorf("Stats() after Reset = %+v; want zero", got)
	}
}

// TestLatencyHonoursClientTimeout: an injected delay longer than the client's
// timeout makes the client give up; the simulator does not hold the request.
func TestLatencyHonoursClientTimeout(t *testing.T) {
	ts := newTestServer(t, nil)
	ts.SetLatency(simulator.Authenticate, time.Hour)
	client := &http.Client{Timeout: 50 * time.Millisecond}
	resp, err := client.Post(ts.url+"/v1/authenticate", "application/json", nil)
	if err == nil {
		resp.Body.Close()
		t.Fatalf("login with 1h latency = %d; want a timeout", resp.StatusCode)
	}
}

func TestStatsEndpoint(t *testing.T) {
	ts := newTestServer(t, nil)
	ts.login(t, creds(testUser, testPass))
	resp, err := http.Get(ts.url + "/_sim/stats")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got simulator.Stats
	if err := jsonDecode(resp, &got); err != nil || got.Authenticate != 1 {
		t.Errorf("GET /_sim/stats = %+v, %v; want authenticate 1", got, err)
	}
}

func TestFaultsEndpoint(t *testing.T) {
	tests := map[string]struct {
		body   string
		status int
	}{
		"fail two":          {`{"fail":2}`, 204},
		"datecheck latency": {`{"endpoint":"datecheck","latency":"0s"}`, 204},
		"short tokens":      {`{"token_ttl":"30s","account_inactive":false,"total_limit":50}`, 204},
		"unknown endpoint":  {`{"endpoint":"other","fail":1}`, 400},
		"negative":          {`{"drop":-1}`, 400},
		"bad duration":      {`{"latency":"soon"}`, 400},
		"ttl too short":     {`{"token_ttl":"1ms"}`, 400},
		"unknown field":     {`{"explode":true}`, 400},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			ts := newTestServer(t, nil)
			resp, err := http.Post(ts.url+"/_sim/faults", "application/json", strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Errorf("POST /_sim/faults %s = %d; want %d", tc.body, resp.StatusCode, tc.status)
			}
		})
	}
	// The fault applies: two 500s, then a token.
	ts := newTestServer(t, nil)
	resp, err := http.Post(ts.url+"/_sim/faults", "application/json", strings.NewReader(`{"fail":2}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for i, want := range []int{500, 500, 200} {
		if r := ts.login(t, creds(testUser, testPass)); r.status != want {
			t.Errorf("login %d after POST /_sim/faults {fail:2} = %d; want %d", i+1, r.status, want)
		}
	}
}

// TestClockEndpoint: POST /_sim/clock moves the simulator's time forward even on the
// real clock (as csconnect sim runs), so a client outside the process meets an
// expired token and the end of a lockout without waiting.
func TestClockEndpoint(t *testing.T) {
	ts := newTestServer(t, func(o *simulator.Options) { o.Now, o.TotalLimit = time.Now, 2 })
	advance := func(body string) (int, simulator.ClockResponse) {
		resp, err := http.Post(ts.url+"/_sim/clock", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out simulator.ClockResponse
		if resp.StatusCode == http.StatusOK {
			if err := jsonDecode(resp, &out); err != nil {
				t.Fatal(err)
			}
		}
		return resp.StatusCode, out
	}
	for _, body := range []string{`{}`, `{"advance":"-1m"}`, `{"advance":"soon"}`, `{"advance":"1m","rewind":true}`, `not json`} {
		if status, _ := advance(body); status != http.StatusBadRequest {
			t.Errorf("POST /_sim/clock %s = %d; want 400", body, status)
		}
	}

	tok := token(t, ts.login(t, creds(testUser, testPass)))
	if r := ts.login(t, creds(testUser, testPass)); r.status != 200 {
		t.Fatalf("second login = %d; want 200", r.status)
	}
	if r := ts.login(t, creds(testUser, testPass)); r.status != 429 {
		t.Fatalf("login over the total limit = %d; want 429", r.status)
	}
	before := time.Now()
	status, got := advance(`{"advance":"61m"}`)
	if status != http.StatusOK || got.Now.Before(before.Add(61*time.Minute)) {
		t.Fatalf("POST /_sim/clock 61m = %d, now %v; want 200 and at least %v", status, got.Now, before.Add(61*time.Minute))
	}
	if r := ts.login(t, creds(testUser, testPass)); r.status != 200 {
		t.Errorf("login after the lockout's end = %d; want 200", r.status)
	}
	r := ts.do(t, http.MethodGet, "/datecheck/company?searchnumber=1", "", "", tok, false)
	if r.status != 403 || r.body != "Token Expired" {
		t.Errorf("datecheck with a token issued 61 minutes ago = %d %q; want 403 Token Expired", r.status, r.body)
	}
}

// TestAdvanceNeverRunsBackward: advancing past the range of a time.Duration offset
// saturates instead of wrapping around into the past.
func TestAdvanceNeverRunsBackward(t *testing.T) {
	ts := newTestServer(t, nil)
	first := ts.Advance(200 * 365 * 24 * time.Hour)
	second := ts.Advance(200 * 365 * 24 * time.Hour)
	if second.Before(first) {
		t.Errorf("after two advances of 200 years the clock reads %v, before %v", second, first)
	}
	if again := ts.Advance(-time.Hour); again.Before(second) {
		t.Errorf("Advance(-1h) moved the clock back to %v", again)
	}
}
