//go:build !unix

package devstack

import (
	"os"
	"os/exec"
)

// setProcessGroup does nothing where process groups do not exist.
func setProcessGroup(*exec.Cmd) {}

// terminate asks the child to shut down; where os.Interrupt cannot be sent (Windows) it kills the child.
func terminate(cmd *exec.Cmd) error {
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		return cmd.Process.Kill()
	}
	return nil
}

// kill ends the child at once.
func kill(cmd *exec.Cmd) {
	_ = cmd.Process.Kill() // os.ErrProcessDone: already gone, which is the goal
}
