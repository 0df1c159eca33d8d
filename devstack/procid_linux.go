//go:build linux

package devstack

import (
	"errors"
	"fmt"
	"os"
	"strings"
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
		// A multi-threaded process's first thread shows Z as soon as it has exited, while the others may
		// still be closing the files and sockets they share: done only once it is the last one left.
		if tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid)); err != nil || len(tasks) <= 1 {
			return ProcessID{}, os.ErrProcessDone
		}
	}
	// An exiting process loses its executable link before it closes its files (its ports), so an
	// unreadable link leaves Exe empty rather than calling the process gone.
	exe, _ := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
	// A binary replaced while it runs (make tools moves a new bin/mailpit in) reads "path (deleted)".
	exe = strings.TrimSuffix(exe, " (deleted)")
	return ProcessID{PID: pid, Start: fields[19], Exe: exe}, nil
}
