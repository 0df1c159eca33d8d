package main

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/eaapl/eaapl/activities/email"
	"github.com/eaapl/eaapl/catalog"
)

// Baseline (a): the workflow a Temporal user would write by hand for "send this email to each of these
// contacts": one SendEmail activity per contact (EaaPL's own activity, so the work per email is the same:
// a mailbox check for its Message-ID, then one SMTP connection), all in flight at once up to a window.
// The window is the same max_concurrency EaaPL gets: with every one of N=10,000 activities pending at once
// the workflow would break Temporal's limit of 2,000 pending activities.

// handWrittenType is the baseline workflow's type, registered on the benchmark's own worker.
const handWrittenType = "BenchHandWrittenSendEmails"

// handWrittenInput is the baseline's input: the contacts, the message, and the window.
type handWrittenInput struct {
	Contacts []string `json:"contacts"`
	Subject  string   `json:"subject"`
	Body     string   `json:"body"`
	Window   int      `json:"window"`
}

// handWritten sends one email per contact, one activity each, at most in.Window pending at once.
func handWritten(ctx workflow.Context, in handWrittenInput) (int, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumAttempts: 5},
	})
	wfID := workflow.GetInfo(ctx).WorkflowExecution.ID
	sem := workflow.NewSemaphore(ctx, int64(in.Window))
	wg := workflow.NewWaitGroup(ctx)
	sent, failed := 0, 0
	for i, to := range in.Contacts {
		if err := sem.Acquire(ctx, 1); err != nil {
			return sent, err
		}
		taskID := fmt.Sprintf("send_%d", i+1)
		task := catalog.Task{
			TaskID:     taskID,
			Command:    email.SendEmail.Name,
			Parameters: map[string]any{"to": to, "subject": in.Subject, "body": in.Body},
			Context:    catalog.TaskContext{WorkflowID: wfID, Step: "send", Item: i + 1, IdempotencyKey: wfID + "/" + taskID},
		}
		wg.Add(1)
		workflow.Go(ctx, func(ctx workflow.Context) {
			defer wg.Done()
			defer sem.Release(1)
			if err := workflow.ExecuteActivity(ctx, task.Command, task).Get(ctx, nil); err != nil {
				failed++
				return
			}
			sent++
		})
	}
	wg.Wait(ctx)
	if failed > 0 {
		return sent, fmt.Errorf("%d of %d emails failed", failed, len(in.Contacts))
	}
	return sent, nil
}
