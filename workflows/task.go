package workflows

import (
	"errors"
	"fmt"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/eaapl/eaapl/catalog"
	"github.com/eaapl/eaapl/plan"
)

// One task, run as one activity: a step without for_each, or a for_each item that runs alone.

// runTask runs one task as an activity and reports how it ended, with the activity's error when it
// failed. run counts the times the task is run (a question's answer runs it again): from the second on
// its id says which run it is, and its idempotency key stays the first's, so an email is still sent once.
func (p *program) runTask(ctx workflow.Context, id string, item int, label string, args map[string]any, run int) (ItemResult, error) {
	cmd := p.plan.Command(id)
	step := p.plan.Step(id)
	task := p.task(id, item, args)
	if run > 1 { // the idempotency key stays the first run's
		task.TaskID = fmt.Sprintf("%s-run%d", task.TaskID, run)
	}
	taskID := task.TaskID
	p.events.dispatch(ctx, task, p.plan.Deps(id))
	retry := p.plan.RetryPolicy(id)
	ctx = workflow.WithActivityOptions(ctx, activityOptions(cmd, step, retry, taskID, cmd.TaskSummary(step.Description, args)))
	var res catalog.TaskResult
	if err := workflow.ExecuteActivity(ctx, cmd.Name, task).Get(ctx, &res); err != nil {
		typ, msg := describeError(err)
		res = catalog.TaskResult{TaskID: taskID, Status: catalog.StatusFailure, Error: &catalog.TaskError{Type: typ, Message: msg}}
		addFailureFeedback(&res, err)
		if gaveUp(err) && res.Attempt == 0 {
			res.Attempt = retry.MaximumAttempts // the failure does not say; giving up after the last one, it was that
		}
		p.events.result(ctx, res)
		return ItemResult{Item: item, Label: label, State: StateFailed, Reason: msg, Task: &res}, err
	}
	p.events.result(ctx, res)
	return ItemResult{Item: item, Label: label, State: StateDone, Task: &res}, nil
}

// activityOptions are a task's timeouts and retries: the catalog's, with the step's retry overrides.
func activityOptions(cmd catalog.Command, step *plan.Step, retry catalog.RetryPolicy, taskID, summary string) workflow.ActivityOptions {
	o := workflow.ActivityOptions{
		ActivityID:          taskID,
		StartToCloseTimeout: time.Duration(cmd.Timeout),
		HeartbeatTimeout:    time.Duration(cmd.HeartbeatTimeout),
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:        retry.InitialInterval,
			BackoffCoefficient:     retry.BackoffCoefficient,
			MaximumInterval:        retry.MaximumInterval,
			MaximumAttempts:        retry.MaximumAttempts,
			NonRetryableErrorTypes: nonRetryable,
		},
		Summary: summary,
	}
	if step.Priority == plan.PriorityHigh {
		o.Priority = temporal.Priority{PriorityKey: 1}
	}
	return o
}

// describeError turns an activity's failure into its type and one sentence for people.
func describeError(err error) (typ, msg string) {
	var appErr *temporal.ApplicationError
	var timeoutErr *temporal.TimeoutError
	var actErr *temporal.ActivityError
	var canceledErr *temporal.CanceledError
	switch {
	case errors.As(err, &appErr):
		typ, msg = appErr.Type(), appErr.Message()
	case errors.As(err, &timeoutErr):
		typ, msg = "Timeout", fmt.Sprintf("timed out (%s)", strings.ToLower(strings.TrimPrefix(timeoutErr.TimeoutType().String(), "TimeoutType")))
	case errors.As(err, &canceledErr):
		typ, msg = "Canceled", "canceled"
	default:
		typ, msg = "Error", err.Error()
	}
	if errors.As(err, &actErr) && actErr.RetryState() == enumspb.RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED {
		msg += " (gave up after the last retry)"
	}
	return typ, msg
}
