//go:build unix

package devstack

import (
	"errors"
	"syscall"
)

// signalGroup sends SIGTERM (or SIGKILL) to the process group led by pid; a group already gone is fine.
func signalGroup(pid int, hard bool) error {
	sig := syscall.SIGTERM
	if hard {
		sig = syscall.SIGKILL
	}
	if err := syscall.Kill(-pid, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
		return err
	}
	return nil
}
