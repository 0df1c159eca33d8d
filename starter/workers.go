package starter

import (
	"context"
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
)

// NoWorkerWait is how long `eaapl run` gives a worker to show up on the task queue before it warns:
// a running worker polls continuously, so a few seconds without a poll means none is there.
const NoWorkerWait = 5 * time.Second

// pollerFresh is how recently a poller must have polled to count as a worker that is there. A worker's
// long polls last up to about a minute each and follow one another, while the server lists a poller for
// minutes after it stopped: one that has not polled for longer than this has most likely gone.
const pollerFresh = 90 * time.Second

// NoWorkerError says that no worker polls a task queue, so a program started there waits until one does.
type NoWorkerError struct {
	TaskQueue string
	// LastPoll is when a worker last polled, if the server still remembers one that has gone.
	LastPoll time.Time
}

// Error says what is wrong and what to check.
func (e *NoWorkerError) Error() string {
	seen := "no worker is polling"
	if !e.LastPoll.IsZero() {
		seen = fmt.Sprintf("no worker has polled since %s (%s ago) on", e.LastPoll.Local().Format("15:04:05"), time.Since(e.LastPoll).Round(time.Second))
	}
	return fmt.Sprintf("%s task queue %q, so the program waits until one does. Check that EAAPL_TASK_QUEUE names the queue "+
		"the worker polls (the dev stack's worker polls its EAAPL_TASK_QUEUE, \"eaapl\" unless set), that a worker is running "+
		"(`eaapl dev` runs one, `eaapl worker` starts one), and that it uses the same Temporal server and namespace "+
		"(TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE)", seen, e.TaskQueue)
}

// WaitForWorker returns nil as soon as a worker polls the Starter's task queue for programs, and a
// *NoWorkerError when none has within wait (NoWorkerWait when 0). It asks the server to describe the task
// queue about twice a second; any other error is the server's. It starts nothing, so the CLI can run it
// beside a program it has just started and warn while the program waits:
//
//	go func() {
//		var noWorker *starter.NoWorkerError
//		if err := s.WaitForWorker(ctx, 0); errors.As(err, &noWorker) {
//			fmt.Fprintln(stderr, "Warning:", err)
//		}
//	}()
func (s *Starter) WaitForWorker(ctx context.Context, wait time.Duration) error {
	if wait <= 0 {
		wait = NoWorkerWait
	}
	deadline := time.Now().Add(wait)
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		last, err := s.lastPoll(ctx)
		switch {
		case err != nil:
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("describe task queue %q: %w", s.TaskQueue, err)
		case !last.IsZero() && time.Since(last) < pollerFresh:
			return nil
		case time.Now().After(deadline):
			return &NoWorkerError{TaskQueue: s.TaskQueue, LastPoll: last}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// lastPoll is when a worker last polled the task queue for workflow tasks; zero when the server lists none.
func (s *Starter) lastPoll(ctx context.Context) (time.Time, error) {
	if s.TaskQueue == "" {
		return time.Time{}, errors.New("no task queue given")
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	resp, err := s.Client.DescribeTaskQueue(ctx, s.TaskQueue, enumspb.TASK_QUEUE_TYPE_WORKFLOW)
	if err != nil {
		return time.Time{}, err
	}
	var last time.Time
	for _, p := range resp.GetPollers() {
		if t := p.GetLastAccessTime().AsTime(); p.GetLastAccessTime() != nil && t.After(last) {
			last = t
		}
	}
	return last, nil
}
