//go:build unix

package main

import (
	"bytes"
	"io"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestAgentCommandPasswordFileFIFO: --password-file names a named pipe nobody
// writes to. Opening it for reading waits for a writer, for good: the agent
// never started (and a SIGHUP's reload would hang the same way). It is refused
// at once, like an empty file.
func TestAgentCommandPasswordFileFIFO(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "pw")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip("mkfifo:", err)
	}
	done := make(chan int, 1)
	var stderr bytes.Buffer
	go func() {
		done <- run(t.Context(), []string{"agent", "--cache-dir", filepath.Join(dir, "cache"), "--listen", "127.0.0.1:0", "--password-file", fifo},
			environ{Stdout: io.Discard, Stderr: &stderr, Getenv: func(k string) string {
				return map[string]string{"CREDITSAFE_USERNAME": "u"}[k]
			}})
	}()
	select {
	case code := <-done:
		if code != exitUsage {
			t.Errorf("exit %d, stderr %q; want %d", code, stderr.String(), exitUsage)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("csconnect agent still opening a FIFO password file after 10 s")
	}
}
