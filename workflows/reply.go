package workflows

import (
	"cmp"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/eaapl/eaapl/catalog"
	"github.com/eaapl/eaapl/plan"
)

// The await_reply construct ("if he doesn't reply within a day, send it again") is a durable wait with a
// deadline: it asks the plan's reply command (plan.ReplyFinder) whether the reply came, sleeps on a
// durable timer, asks again, and ends at the first reply or at the deadline. Its history grows with the
// polls, so their number is bounded: a day's wait is at most maxReplyPolls activities and timers.

// versionAwaitReply marks histories in which an await_reply step waits for the reply; before it such a
// step failed ("this worker cannot do an await_reply step yet"), and plans with one were refused.
const versionAwaitReply = "await-reply"

// versionReplyPollEvents marks histories in which each poll of an await_reply step is mirrored on Kafka
// like a task (task.dispatch, then task.result and analytics.data); before it the polls had no events,
// and the mirror's batches (its PublishEvents activities) were fewer.
const versionReplyPollEvents = "await-reply-poll-events"

// The time between two polls: a twentieth of the wait, at most a minute, but never so short that a wait
// polls more than maxReplyPolls times, and never under minReplyPoll (the mailbox is not hammered).
const (
	minReplyPoll  = 5 * time.Second
	maxReplyPoll  = time.Minute
	maxReplyPolls = 120
)

// replyPollInterval is the time between two polls of a wait of the given length.
func replyPollInterval(within time.Duration) time.Duration {
	return max(min(within/20, maxReplyPoll), within/maxReplyPolls, minReplyPoll)
}

// replyMatchWords say how a reply was recognised, by the reply command's matched output.
var replyMatchWords = map[string]string{
	"in-reply-to": "its In-Reply-To names the email",
	"references":  "its References name the email",
	"from":        "an email from them after it was sent",
}

// awaitReply waits for a reply from the step's from to the email its to names, until within has passed
// since the wait began (right after the email was sent, the step it depends on). Output: replied, and
// matched (in-reply-to, references or from; empty without a reply). A poll that fails for good (the
// mailbox refused the credentials) fails the step; one that gave up after its retries is tried again at
// the next poll, and fails the step only at the deadline: "no reply" must never be a guess.
func (p *program) awaitReply(ctx workflow.Context, id string, scope plan.Scope) (map[string]any, error) {
	if workflow.GetVersion(ctx, versionAwaitReply, workflow.DefaultVersion, 1) < 1 {
		return nil, fmt.Errorf("this worker cannot do an %s step yet", plan.ConstructAwaitReply)
	}
	a := p.plan.Step(id).AwaitReply
	to, err := p.constructText(id, "to", scope)
	if err != nil {
		return nil, err
	}
	from, err := p.constructText(id, "from", scope)
	if err != nil {
		return nil, err
	}
	within, err := time.ParseDuration(a.Within)
	if err != nil {
		return nil, fmt.Errorf("await_reply.within: %w", err) // Compile checked it
	}
	cmd, ok := p.plan.ReplyCommand(id)
	if !ok {
		return nil, fmt.Errorf("no command to look for the reply with")
	}
	mirrored := workflow.GetVersion(ctx, versionReplyPollEvents, workflow.DefaultVersion, 1) >= 1
	start := workflow.Now(ctx)
	deadline := start.Add(within)
	s := p.steps[id]
	// Its tasks are the reply command's polls: the result table names that command.
	s.status.Command = cmd.Name
	if p.in.DryRun { // the email was previewed, not sent: no reply can come, and the preview shows the send again
		s.status.Reason = fmt.Sprintf("dry run: would wait up to %s for a reply from %s; previewed as no reply", catalog.DescribeDuration(within), from)
		return map[string]any{"replied": false, "matched": ""}, nil
	}
	s.status.State = StateWaiting
	s.status.Reason = fmt.Sprintf("waiting for a reply from %s until %s", from, deadline.UTC().Format("Monday 2 January 15:04:05 MST"))
	args := map[string]any{"message_id": to, "from": from, "since": start.UTC().Format(time.RFC3339Nano)}
	interval := replyPollInterval(within)
	for poll := 1; poll <= maxReplyPolls+2; poll++ {
		out, err := p.pollReply(ctx, id, cmd, args, poll, mirrored)
		now := workflow.Now(ctx)
		switch {
		case temporal.IsCanceledError(err):
			return nil, &stepCanceled{doing: s.status.Reason}
		case err != nil && (!gaveUp(err) || !now.Before(deadline)):
			_, msg := describeError(err)
			return nil, fmt.Errorf("could not tell whether %s replied: %s", from, msg)
		case err == nil && out["replied"] == true:
			matched, _ := out["matched"].(string)
			s.status.Reason = fmt.Sprintf("%s replied (%s)", from, cmp.Or(replyMatchWords[matched], matched))
			return map[string]any{"replied": true, "matched": matched}, nil
		case !now.Before(deadline):
			s.status.Reason = fmt.Sprintf("no reply from %s by %s", from, deadline.UTC().Format("Monday 2 January 15:04:05 MST"))
			return map[string]any{"replied": false, "matched": ""}, nil
		}
		summary := fmt.Sprintf("Wait for a reply from %s until %s", from, deadline.UTC().Format("Monday 2 January 15:04:05 MST"))
		timer := workflow.NewTimerWithOptions(ctx, min(interval, deadline.Sub(now)), workflow.TimerOptions{Summary: summary})
		if err := timer.Get(ctx, nil); err != nil {
			if temporal.IsCanceledError(err) {
				return nil, &stepCanceled{doing: s.status.Reason}
			}
			return nil, err
		}
	}
	return nil, fmt.Errorf("asked %d times whether %s replied, and the deadline has not passed", maxReplyPolls+2, from)
}

// pollReply asks the reply command once. Its activity id names the step and the poll,
// "wait_for_reply_2/poll-3". When mirrored, the poll goes on Kafka as a task: task.dispatch before it,
// task.result and analytics.data after, their parameters and output sealed like every task's.
func (p *program) pollReply(ctx workflow.Context, id string, cmd catalog.Command, args map[string]any, poll int, mirrored bool) (map[string]any, error) {
	task := catalog.Task{
		TaskID:     fmt.Sprintf("%s/poll-%d", id, poll),
		Command:    cmd.Name,
		Parameters: args,
		Context: catalog.TaskContext{
			WorkflowID:     p.workflowID,
			Step:           id,
			UserID:         p.in.UserID,
			IdempotencyKey: p.workflowID + "/" + id,
		},
		Priority: p.plan.Step(id).Priority,
	}
	// The Web UI names each poll for what it looks for: "Look for a reply from bob@example.com (poll 3)".
	summary := fmt.Sprintf("Look for a reply from %v (poll %d)", args["from"], poll)
	o := activityOptions(cmd, p.plan.Step(id), cmd.Retry, task.TaskID, summary)
	if mirrored {
		p.events.dispatch(ctx, task, p.plan.Deps(id))
	}
	var res catalog.TaskResult
	if err := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, o), cmd.Name, task).Get(ctx, &res); err != nil {
		if mirrored {
			typ, msg := describeError(err)
			p.events.result(ctx, catalog.TaskResult{TaskID: task.TaskID, Status: catalog.StatusFailure, Error: &catalog.TaskError{Type: typ, Message: msg}})
		}
		return nil, err
	}
	if mirrored {
		p.events.result(ctx, res)
	}
	if res.Status != catalog.StatusSuccess {
		return nil, errors.New("the reply command did not succeed")
	}
	return res.Output, nil
}

// constructText is a construct's field as text: an address or a Message-ID.
func (p *program) constructText(id, field string, scope plan.Scope) (string, error) {
	v, err := p.plan.ConstructValue(id, field, scope)
	if err != nil {
		return "", err
	}
	text, ok := v.(string)
	if c, isContact := v.(map[string]any); isContact { // a contact where an address is due
		text, ok = c["email"].(string)
	}
	if !ok || text == "" {
		return "", fmt.Errorf("await_reply.%s is %v, not an address or a Message-ID", field, v)
	}
	return text, nil
}
