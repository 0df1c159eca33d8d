package workflows

import (
	"errors"
	"fmt"
	"maps"
	"slices"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/eaapl/eaapl/catalog"
	"github.com/eaapl/eaapl/plan"
)

// versionQuestions marks histories recorded after questions, approvals and failure decisions: a program
// started before them replays without them, its failed tasks failing as they did.
const versionQuestions = "questions"

// runTaskAsking runs one task. With questions on, a task that needs input asks the user and runs again
// with the answer in the parameter it named; a task that gave up after its retries asks whether to retry
// it, skip it or abort the program. Meanwhile the other tasks go on: the caller holds one slot of the
// semaphore, given back while the question waits.
func (p *program) runTaskAsking(ctx workflow.Context, id string, item int, label string, args map[string]any) ItemResult {
	if p.asker.aborted != "" {
		return p.notRun(id, item, label)
	}
	res, err := p.runTask(ctx, id, item, label, args, 1)
	return p.settle(ctx, id, item, label, args, res, err, 1)
}

// settle takes a task's run that ended with res and err: while its failure raises a question, it asks
// it and runs the task again as the answer says. run is the number of the run that ended; the caller
// holds a slot of the semaphore, as for runTaskAsking.
func (p *program) settle(ctx workflow.Context, id string, item int, label string, args map[string]any, res ItemResult, err error, run int) ItemResult {
	s := p.steps[id]
	for {
		if err == nil || !p.asker.on {
			return res
		}
		q := p.questionFor(ctx, id, item, label, res, err)
		if q == nil {
			return res
		}
		s.status.Waiting++
		p.sem.Release(1)
		answer := p.asker.ask(ctx, q)
		// The caller releases the slot after this returns, so it must be held again even if the program
		// is being canceled meanwhile: a disconnected context's Acquire waits for a slot and never fails.
		dctx, _ := workflow.NewDisconnectedContext(ctx)
		_ = p.sem.Acquire(dctx, 1)
		s.status.Waiting--
		switch answer {
		case AnswerSkip:
			// The state says skipped; the reason says why (a "skipped: " prefix read "skipped  skipped: ...").
			res.State, res.Reason = StateSkipped, fmt.Sprintf("the answer to %s (%s) was %s", q.ID, q.Text, q.Answer)
			if q.By == "timeout" {
				res.Reason = fmt.Sprintf("%s (%s) had no answer within %s", q.ID, q.Text, q.Timeout)
			}
			return res
		case AnswerAbort:
			res.State, res.Reason = StateFailed, p.asker.aborted
			return res
		case AnswerRetry:
		default:
			args = withArg(args, q.param, q.arg)
		}
		if p.asker.aborted != "" {
			return p.notRun(id, item, label)
		}
		run++
		res, err = p.runTask(ctx, id, item, label, args, run)
	}
}

// notRun is the result of a task that did not run because the program was aborted.
func (p *program) notRun(id string, item int, label string) ItemResult {
	p.steps[id].status.Running-- // the caller counted it as running; no task ran, so record will not
	return ItemResult{Item: item, Label: label, State: StateSkipped, Reason: "not run: the program was " + p.asker.aborted}
}

// questionFor is the question a failed task raises: its own (it needs input), or retry/skip/abort when
// it gave up after its retries. Other failures (bad input no retry can fix) raise none.
func (p *program) questionFor(ctx workflow.Context, id string, item int, label string, res ItemResult, err error) *Question {
	q := &Question{Step: id, TaskID: res.Task.TaskID}
	if item > 0 {
		q.Item = label
	}
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) && appErr.Type() == catalog.ErrNeedsInput {
		var req catalog.InputRequest
		if appErr.Details(&req) != nil || req.Param == "" {
			return nil
		}
		q.Kind, q.Text, q.Options, q.param, q.worker = req.Kind, req.Question, req.Options, req.Param, req.WorkerID
		return q
	}
	if !gaveUp(err) {
		return nil
	}
	cmd := p.plan.Command(id)
	q.Kind, q.Error, q.Fix = KindDecision, res.Reason, suggestFix(cmd, res.Task.Error.Type)
	q.Text = fmt.Sprintf("%s failed after %d attempts: %s. Fix: %s. Retry it, skip it, or abort the program?", p.taskName(id, label), res.Task.Attempt, res.Reason, q.Fix)
	q.Options = []catalog.Option{
		{Value: AnswerRetry, Label: "run it again"},
		{Value: AnswerSkip, Label: "do not run it, go on with the rest"},
		{Value: AnswerAbort, Label: "stop the program"},
	}
	p.events.failure(ctx, q, res.Task)
	return q
}

// gaveUp reports whether a task's failure is one a retry might fix, so that it ended only because its
// retries ran out (or its last attempt timed out): not a non-retryable error, not a cancellation. It does
// not read the failure's retry state, which the SDK's test environment leaves unspecified.
func gaveUp(err error) bool {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		return !appErr.NonRetryable() && !slices.Contains(nonRetryable, appErr.Type())
	}
	var canceled *temporal.CanceledError
	return err != nil && !errors.As(err, &canceled)
}

// taskName names a task in a question: "SendEmail to carol@example.com", or the step's command.
func (p *program) taskName(id, label string) string {
	if cmd := p.plan.Command(id); label != "" && label != cmd.Name {
		if p.plan.Step(id).ForEach != nil {
			return cmd.Name + " for " + label
		}
		return label
	}
	return p.plan.Command(id).Name + " (step " + id + ")"
}

// suggestFix says what usually fixes a command that keeps failing: the command's own hint (what it depends
// on), else advice by the error's type.
func suggestFix(cmd catalog.Command, errType string) string {
	if spec, ok := catalog.Get(cmd.Name); ok {
		if hint := spec.Hint(errType); hint != "" {
			return hint
		}
	}
	switch {
	case errType == "Timeout":
		return "the task took too long; check that a worker is running, then answer retry"
	}
	return "check the worker's log for the cause, then answer retry"
}

// withArg returns args with one parameter set, leaving args itself alone: other items share its values.
func withArg(args map[string]any, name string, value any) map[string]any {
	out := maps.Clone(args)
	if out == nil {
		out = map[string]any{}
	}
	out[name] = value
	return out
}

// approve is the approval gate of a for_each step with side effects: when more of its items would run
// than the input's approval threshold, and the input did not approve in advance, it asks the user before
// any of them runs. It returns why the step's tasks must not run, or "" when they may.
func (p *program) approve(ctx workflow.Context, id string, scope plan.Scope, items []any) string {
	cmd := p.plan.Command(id)
	if !p.asker.on || p.in.Approved || p.in.ApprovalThreshold <= 0 || cmd.SideEffect != catalog.Writes || len(items) <= p.in.ApprovalThreshold {
		return ""
	}
	scope.ItemName = p.plan.Step(id).ForEach.As
	n := 0
	for _, item := range items {
		scope.Item = item
		if run, err := p.plan.Condition(id, scope); err != nil || run {
			n++
		}
	}
	return p.askApproval(ctx, id, n, false)
}

// askApproval asks to approve a step that would run its command n times (at most n, when upTo: the
// items of a stored list, whose conditions the shards evaluate) when that is over the threshold.
func (p *program) askApproval(ctx workflow.Context, id string, n int, upTo bool) string {
	cmd := p.plan.Command(id)
	if !p.asker.on || p.in.Approved || p.in.ApprovalThreshold <= 0 || cmd.SideEffect != catalog.Writes || n <= p.in.ApprovalThreshold {
		return ""
	}
	times := fmt.Sprintf("%d times", n)
	if upTo {
		times = fmt.Sprintf("up to %d times", n)
	}
	s := p.steps[id]
	s.status.State = StateWaiting
	q := &Question{
		Step:    id,
		Kind:    KindApproval,
		Text:    fmt.Sprintf("Step %s would run %s %s (%s), more than the approval threshold of %d. Approve?", id, cmd.Name, times, p.plan.Step(id).Description, p.in.ApprovalThreshold),
		Options: []catalog.Option{{Value: AnswerApprove, Label: fmt.Sprintf("run all %d", n)}},
	}
	answer := p.asker.ask(ctx, q)
	s.status.State = StateRunning
	switch {
	case answer == AnswerApprove:
		return ""
	case q.By == "timeout":
		return fmt.Sprintf("not approved: %s had no answer within %s", q.ID, q.Timeout)
	case answer == AnswerAbort:
		return p.asker.aborted
	}
	return fmt.Sprintf("not approved: the answer to %s was %s", q.ID, answer)
}
