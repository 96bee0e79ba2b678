// Command hello-oauth2 is x/oauth2's side of `make footprint`'s hello world: it builds
// an *http.Client with Config.Client, that package's front door, and sends nothing.
package main

import (
	"context"
	"fmt"

	"golang.org/x/oauth2"
)

func main() {
	cfg := &oauth2.Config{ClientID: "hello", Endpoint: oauth2.Endpoint{TokenURL: "https://example.com/token"}}
	hc := cfg.Client(context.Background(), &oauth2.Token{AccessToken: "hello"})
	hc.CloseIdleConnections()
	fmt.Println("hello")
}
