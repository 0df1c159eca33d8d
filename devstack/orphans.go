package devstack

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"
)

// StackRunningError says that the stack recorded in a data folder still has its `eaapl dev`.
type StackRunningError struct {
	DataDir string
	Owner   ProcessID
}

// Error names the running stack's process.
func (e *StackRunningError) Error() string {
	return fmt.Sprintf("an EaaPL dev stack (pid %d) is running with the data folder %s", e.Owner.PID, e.DataDir)
}

// orphanStopWait is how long an orphan gets to exit on SIGTERM before its process group is killed.
const orphanStopWait = 10 * time.Second

// StopOrphans stops the parts that the stack recorded in dataDir left running when its `eaapl dev` died
// without stopping them (kill -9, a crash), and removes the record. A part is signalled only while it is
// the very process the stack started (same pid, start time and executable): a pid that another program
// has since been given is left alone. It returns what it stopped, one "name (pid N)" each; nothing when
// no stack is recorded. While the recording stack's own process runs, it stops nothing and returns a
// *StackRunningError. Start calls it, so a new stack first clears what an old one left holding its ports.
func StopOrphans(ctx context.Context, dataDir string) ([]string, error) {
	if dataDir == "" {
		return nil, nil
	}
	st, err := ReadState(dataDir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if st.Owner.PID == os.Getpid() {
		// Our own record (a stack of this process that was not stopped): its parts are not orphans.
		return nil, &StackRunningError{DataDir: dataDir, Owner: st.Owner}
	}
	if st.Owner.running() {
		return nil, &StackRunningError{DataDir: dataDir, Owner: st.Owner}
	}
	var stopped []string
	var errs []error
	for _, part := range st.Parts {
		if _, err := identify(part.Process.PID); errors.Is(err, errNoProcessIdentity) {
			errs = append(errs, fmt.Errorf("%s (pid %d) may still be running; it was not stopped: %w", part.Name, part.Process.PID, err))
			continue
		}
		if !part.Process.running() {
			continue // gone, or its pid now belongs to someone else
		}
		if err := stopGroup(ctx, part.Process); err != nil {
			errs = append(errs, fmt.Errorf("stop %s (pid %d) left by a stopped stack: %w", part.Name, part.Process.PID, err))
			continue
		}
		stopped = append(stopped, fmt.Sprintf("%s (pid %d)", part.Name, part.Process.PID))
	}
	if len(errs) > 0 {
		return stopped, errors.Join(errs...) // the record stays, for the next try
	}
	return stopped, removeState(dataDir)
}

// stopGroup asks the process group that id leads to exit, waits, and kills the group when it does not
// within orphanStopWait or ctx. The stack started each part as the leader of a group of its own.
func stopGroup(ctx context.Context, id ProcessID) error {
	if err := signalGroup(id.PID, false); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, orphanStopWait)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for id.running() {
		select {
		case <-ctx.Done():
			if err := signalGroup(id.PID, true); err != nil {
				return err
			}
			for range 100 { // SIGKILL is prompt; 5 s bound
				if !id.running() {
					return nil
				}
				time.Sleep(50 * time.Millisecond)
			}
			return fmt.Errorf("still running after SIGKILL")
		case <-tick.C:
		}
	}
	return nil
}
