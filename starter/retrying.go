package starter

import (
	"context"
	"fmt"
	"io"
)

// Retrying is a task of a program that is being tried again: its attempt and why the last one failed. The
// workflow cannot know a running task's attempt (only the server does), so it comes from describing the
// workflow, not from the status query.
type Retrying struct {
	TaskID    string `json:"task_id"`
	Command   string `json:"command"`
	Attempt   int32  `json:"attempt"`
	LastError string `json:"last_error,omitempty"`
}

// Retrying lists a program's running tasks that are past their first attempt.
func (s *Starter) Retrying(ctx context.Context, id string) ([]Retrying, error) {
	d, err := s.Client.DescribeWorkflowExecution(ctx, id, "")
	if err != nil {
		return nil, fmt.Errorf("describe %s: %w", id, err)
	}
	var out []Retrying
	for _, a := range d.GetPendingActivities() {
		if a.GetAttempt() > 1 {
			out = append(out, Retrying{TaskID: a.GetActivityId(), Command: a.GetActivityType().GetName(), Attempt: a.GetAttempt(), LastError: a.GetLastFailure().GetMessage()})
		}
	}
	return out, nil
}

// PrintRetrying writes the tasks being tried again, one line each.
func PrintRetrying(w io.Writer, tasks []Retrying) {
	for _, r := range tasks {
		fmt.Fprintf(w, "   retrying %s (%s): attempt %d; last error: %s\n", r.TaskID, r.Command, r.Attempt, r.LastError)
	}
}
