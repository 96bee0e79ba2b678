// Command hello-csconnect is the hello world `make footprint` measures for
// pkg/csconnect (binary size, package init): it builds a Client with New, the
// package's front door, so what a user's program links is linked here, and closes
// it without sending anything.
package main

import (
	"fmt"
	"os"

	"github.com/csconnect/csconnect/pkg/csconnect"
)

func main() {
	c, err := csconnect.New(csconnect.Config{Auth: csconnect.AuthConfig{Username: "hello", Password: "hello-world"}})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	_ = c.Close()
	fmt.Println("hello")
}
