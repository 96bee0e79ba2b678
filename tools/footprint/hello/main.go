// Command hello is the bare hello world `make footprint` subtracts: the packages its
// init trace lists are the runtime and fmt every Go program pays for.
package main

import "fmt"

func main() { fmt.Println("hello") }
