//go:build unix

package main

import (
	"os"
	"syscall"
)

// execHelper replaces this process with bin (argv[0] its name), keeping the
// environment; it returns only on failure.
func execHelper(bin string, argv []string) error {
	return syscall.Exec(bin, argv, os.Environ())
}
