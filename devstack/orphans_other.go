//go:build !unix

package devstack

// signalGroup is never reached where identify cannot name a process (StopOrphans reports instead).
func signalGroup(int, bool) error { return errNoProcessIdentity }
