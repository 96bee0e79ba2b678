//go:build !unix

package main

// secretOpenFlag: no flag is needed here (see openflag_unix.go).
const secretOpenFlag = 0
