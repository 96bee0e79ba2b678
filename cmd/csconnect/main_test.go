package main

import (
	"os"
	"testing"
)

// TestMain lets a test run the real command: the test binary re-executed with
// CSCONNECT_RUN_MAIN=1 is csconnect itself (see execCommand).
func TestMain(m *testing.M) {
	if os.Getenv("CSCONNECT_RUN_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}
