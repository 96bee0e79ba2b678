package csconnect_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"time"

	"github.com/csconnect/csconnect/pkg/csconnect"
)

// exampleJWT is the example token of openapi.yaml (issued in 2020, valid one hour).
const exampleJWT = "eyJhbGciOiJSUzI1NiIsImtpZCI6ImV4YW1wbGUta2V5LTEifQ.eyJzdWIiOiJteVVzZXJuYW1lIiwibmJmIjoxNTk4Njg4MDAwLCJhdXRoX3RpbWUiOjE1OTg2ODgwMDAsImlhdCI6MTU5ODY4ODAwMCwiZXhwIjoxNTk4NjkxNjAwfQ.c2lnbmF0dXJlLW5vdC12YWxpZC1oPeGE7Ak8YtKFbA"

func ExampleNewAuthenticator() {
	// A loopback stand-in for https://connect.creditsafe.com/v1 (plain http is
	// allowed to loopback only).
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"token":"`+exampleJWT+`"}`)
	}))
	defer srv.Close()

	auth, err := csconnect.NewAuthenticator(csconnect.AuthConfig{
		BaseURL:  srv.URL + "/v1",
		Username: "myUsername",
		Password: "myS3cretP@ssw0rd999!",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	tok, err := auth.Token(context.Background())
	if err != nil {
		fmt.Println(err)
		return
	}
	// The token's own lifetime (exp - iat), applied to the local send time less the
	// claims' one-second granularity, so never later than the server's expiry.
	fmt.Println("valid for about", tok.Expiry.Sub(tok.Fetched).Round(time.Minute))
	// Output: valid for about 1h0m0s
}

func ExampleNewAuthenticator_preflight() {
	// Nothing is sent: the username is an e-mail address, not a User Key.
	_, err := csconnect.NewAuthenticator(csconnect.AuthConfig{Username: "jane@example.com", Password: "pw"})
	fmt.Println(errors.Is(err, csconnect.ErrInvalidInput))
	fmt.Println(err)
	// Output:
	// true
	// csconnect: username looks like an e-mail address; the API expects the User Key Creditsafe issued you, not the e-mail address used on its websites (set AllowEmailUsername to send it anyway)
}

func ExampleGuardError() {
	var sent atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sent.Add(1)
		http.Error(w, "Access denied - Please check that your username and password are correct.", http.StatusUnauthorized)
	}))
	defer srv.Close()
	auth, _ := csconnect.NewAuthenticator(csconnect.AuthConfig{BaseURL: srv.URL + "/v1", Username: "myUsername", Password: "wrong"})

	_, err := auth.Token(context.Background())
	fmt.Println("first call, invalid credentials:", errors.Is(err, csconnect.ErrInvalidCredentials))

	// The same pair is refused locally: another try could lock the account.
	_, err = auth.Token(context.Background())
	var guardErr *csconnect.GuardError
	fmt.Println("second call refused locally:", errors.As(err, &guardErr))
	fmt.Println("still invalid credentials:", errors.Is(err, csconnect.ErrInvalidCredentials))
	fmt.Println("requests sent:", sent.Load())
	// Output:
	// first call, invalid credentials: true
	// second call refused locally: true
	// still invalid credentials: true
	// requests sent: 1
}
