//go:build linux

package devstack

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
)

// identify returns who pid is: its start time (clock ticks after boot, field 22 of /proc/<pid>/stat) and
// its executable. A pid alone may be reused by any program after its process exited; the pair is not.
// A process that has exited (a zombie included) is os.ErrProcessDone.
func identify(pid int) (ProcessID, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if errors.Is(err, os.ErrNotExist) {
		return ProcessID{}, os.ErrProcessDone
	}
	if err != nil {
		return ProcessID{}, err
	}
	// pid (comm) state ppid ...: comm may hold spaces and parentheses, so the fields start after the last ")".
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return ProcessID{}, fmt.Errorf("/proc/%d/stat: unexpected %q", pid, b)
	}
	fields := strings.Fields(string(b[i+1:]))
	if len(fields) < 20 {
		return ProcessID{}, fmt.Errorf("/proc/%d/stat: too few fields", pid)
	}
	if fields[0] == "Z" || fields[0] == "X" {
		return ProcessID{}, os.ErrProcessDone
	}
	exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
	if err != nil && !errors.Is(err, syscall.EACCES) {
		return ProcessID{}, os.ErrProcessDone // gone between the two reads
	}
	// A binary replaced while it runs (make tools moves a new bin/mailpit in) reads "path (deleted)".
	exe = strings.TrimSuffix(exe, " (deleted)")
	return ProcessID{PID: pid, Start: fields[19], Exe: exe}, nil
}
