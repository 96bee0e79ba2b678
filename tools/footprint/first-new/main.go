// Command first-new times the first csconnect.New of a fresh process, for
// `make footprint`: it prints the call's wall time in nanoseconds and the heap
// allocations it made (runtime.MemStats.Mallocs before and after), on one line.
package main

import (
	"fmt"
	"os"
	"runtime"
	"time"

	"github.com/csconnect/csconnect/pkg/csconnect"
)

func main() {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	c, err := csconnect.New(csconnect.Config{Auth: csconnect.AuthConfig{Username: "footprint", Password: "footprint-pw"}})
	elapsed := time.Since(start)
	runtime.ReadMemStats(&after)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	_ = c.Close()
	fmt.Println(elapsed.Nanoseconds(), after.Mallocs-before.Mallocs)
}
