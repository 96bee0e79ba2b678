//go:build unix

package suite

import (
	"os/exec"
	"syscall"
)

// setProcessGroup puts the command in its own process group, so that signals reach
// the node processes it starts too.
func setProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { signalGroup(cmd, true); return nil }
}

// signalGroup asks the process group to stop (SIGTERM), or kills it.
func signalGroup(cmd *exec.Cmd, kill bool) {
	if cmd.Process == nil {
		return
	}
	sig := syscall.SIGTERM
	if kill {
		sig = syscall.SIGKILL
	}
	_ = syscall.Kill(-cmd.Process.Pid, sig)
}
