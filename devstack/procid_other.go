//go:build !linux

package devstack

func identify(int) (ProcessID, error) { return ProcessID{}, errNoProcessIdentity }
