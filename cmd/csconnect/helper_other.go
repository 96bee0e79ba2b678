//go:build !unix

package main

// execHelper: a process cannot replace itself here; the helper runs as a child.
func execHelper(string, []string) error { return errNoExec }
