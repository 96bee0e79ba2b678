//go:build unix

package main

import "syscall"

// secretOpenFlag is added to the open of a secret file. O_NONBLOCK keeps open(2)
// from waiting for a writer when the path is a named pipe nobody writes to (it then
// reads as empty and is refused); a pipe with a writer (--password-file <(cmd)) and
// a regular file read as before.
const secretOpenFlag = syscall.O_NONBLOCK
