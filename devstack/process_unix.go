//go:build unix

package devstack

import (
	"os/exec"
	"syscall"
)

// setProcessGroup puts the child in a process group of its own: the terminal's Ctrl-C then reaches only
// `eaapl dev`, and Stop can signal the child together with anything it started.
func setProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// terminate asks the child's process group to shut down.
func terminate(cmd *exec.Cmd) error {
	return syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
}

// kill ends the child's process group at once.
func kill(cmd *exec.Cmd) {
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // ESRCH: already gone, which is the goal
}
