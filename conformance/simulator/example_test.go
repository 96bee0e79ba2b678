package simulator_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/csconnect/csconnect/conformance/simulator"
)

// The simulator's clock moves only when told to, so a token expires on demand.
func Example() {
	clock := simulator.NewManualClock(time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC))
	sim, err := simulator.New(simulator.Options{Username: "myUserKey", Password: "myS3cretP@ss", Now: clock.Now})
	if err != nil {
		panic(err)
	}
	srv := httptest.NewServer(sim)
	defer srv.Close()

	resp, err := http.Post(srv.URL+"/v1/authenticate", "application/json",
		strings.NewReader(`{"username":"myUserKey","password":"myS3cretP@ss"}`))
	if err != nil {
		panic(err)
	}
	var body struct{ Token string }
	_ = json.NewDecoder(resp.Body).Decode(&body)
	resp.Body.Close()

	check := func() int {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/datecheck/company?searchnumber=5565144408", nil)
		req.Header.Set("Authorization", "Bearer "+body.Token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			panic(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	fmt.Println("fresh token:", check())
	clock.Advance(time.Hour)
	fmt.Println("an hour later:", check())
	fmt.Println("authenticate calls:", sim.Stats().Authenticate)
	// Output:
	// fresh token: 200
	// an hour later: 403
	// authenticate calls: 1
}
