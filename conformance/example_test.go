package conformance_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/csconnect/csconnect/conformance"
	"github.com/csconnect/csconnect/conformance/simulator"
)

// A Transport with a Recorder observes traffic without changing it: here a wrong
// password against the simulator, which answers as the contract says.
func ExampleTransport() {
	sim, err := simulator.New(simulator.Options{Username: "myUserKey", Password: "myS3cretP@ss"})
	if err != nil {
		panic(err)
	}
	srv := httptest.NewServer(sim)
	defer srv.Close()

	var rec conformance.Recorder
	client := &http.Client{Transport: &conformance.Transport{OnExchange: rec.Record}}
	resp, err := client.Post(srv.URL+"/v1/authenticate", "application/json",
		strings.NewReader(`{"username":"myUserKey","password":"wrong"}`))
	if err != nil {
		panic(err)
	}
	resp.Body.Close()

	for _, x := range rec.Exchanges() {
		fmt.Println(x.Operation, x.Status, x.Conforms())
	}
	// Output: Authenticate 401 true
}

// A Strict Transport turns a response that breaks the contract into an error.
func ExampleTransport_strict() {
	teapot := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusTeapot)
	}))
	defer teapot.Close()

	client := &http.Client{Transport: &conformance.Transport{Strict: true}}
	_, err := client.Post(teapot.URL+"/v1/authenticate", "application/json",
		strings.NewReader(`{"username":"myUserKey","password":"myS3cretP@ss"}`))
	fmt.Println(err != nil)
	// Output: true
}
