package workflows

import (
	"time"

	"fmt"

	"go.temporal.io/sdk/workflow"

	"github.com/eaapl/eaapl/bridge"
	"github.com/eaapl/eaapl/catalog"
)

// eventSink is where the interpreter says what happened: each moment of a program that its events mirror
// is one method here, and the events queue in its mirror, which alone calls the bridge activity. Event ids
// are the workflow ID, the topic and what the event is about, so they are the same on every replay and
// retry. While the mirror is off (no Kafka, or an older history) every method does nothing.
type eventSink struct {
	mirror
	workflowID string
	userID     string
	audit      bool // who did what goes on security.events too (versionIdentities)
}

func (e *eventSink) eventID(topic, about string) string {
	return bridge.EventID(e.workflowID, topic, about)
}

func timestamp(ctx workflow.Context) string {
	return workflow.Now(ctx).UTC().Format(time.RFC3339Nano)
}

// dispatch mirrors a scheduled task: task.dispatch, task.priority when it is urgent, and task.chain
// when a for_each step created it.
func (e *eventSink) dispatch(ctx workflow.Context, t catalog.Task, deps []string) {
	for _, ev := range bridge.DispatchEvents(t, deps) {
		e.emit(ctx, ev.ID, ev.Value)
	}
}

// result mirrors a task's end: task.result and its metrics on analytics.data.
func (e *eventSink) result(ctx workflow.Context, r catalog.TaskResult) {
	for _, ev := range bridge.ResultEvents(e.workflowID, r, timestamp(ctx)) {
		e.emit(ctx, ev.ID, ev.Value)
	}
}

// dependency mirrors a step's state as its dependencies see it (task.dependency).
func (e *eventSink) dependency(ctx workflow.Context, id, state string, deps, dependents []string) {
	status := map[string]string{StateDone: "completed", StateRunning: "in_progress", StateNotRun: "not_run"}[state]
	if status == "" {
		status = state
	}
	e.emit(ctx, e.eventID(bridge.TopicTaskDependency, id+"/"+status), bridge.TaskDependency{
		TaskID:         id,
		Dependencies:   nonNil(deps),
		DependentTasks: nonNil(dependents),
		Status:         status,
	})
}

// alert raises a system alert about this program.
func (e *eventSink) alert(ctx workflow.Context, about, severity, message string, actionRequired bool) {
	id := e.eventID(bridge.TopicSystemAlerts, about)
	e.emit(ctx, id, bridge.SystemAlert{
		AlertID:            id,
		Timestamp:          timestamp(ctx),
		Severity:           severity,
		Message:            message,
		AffectedComponents: []string{"program:" + e.workflowID},
		ActionRequired:     actionRequired,
	})
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// security puts an audit event on security.events: about makes its id, which is the same on replay.
func (e *eventSink) security(ctx workflow.Context, about, eventType, user, description, severity string) {
	if !e.audit {
		return
	}
	id := e.eventID(bridge.TopicSecurityEvents, about)
	e.emit(ctx, id, bridge.SecurityEvent{
		EventID: id, Timestamp: timestamp(ctx), EventType: eventType, UserID: user, Description: description, Severity: severity,
	})
}

// The audit's event types on security.events (docs/security.md, "Audit").
const (
	EventProgramStarted = "program_started"
	EventAnswered       = "question_answered"
	EventApproval       = "approval"
	EventUnauthorized   = "authorization_failure"
)

// started records who started the program, and its text and plan by their SHA-256.
func (e *eventSink) started(ctx workflow.Context, owner, programSHA, planSHA string) {
	who := owner
	if who == "" {
		who = "nobody (the start carried no identity)"
	}
	e.security(ctx, "started", EventProgramStarted, owner, fmt.Sprintf("program %s started by %s; program text sha256 %s, plan sha256 %s", e.workflowID, who, programSHA, planSHA), "LOW")
}

// unauthorized records an answer refused because of who sent it; n numbers it among the refusals.
func (e *eventSink) unauthorized(ctx workflow.Context, r Refusal, n int) {
	e.security(ctx, fmt.Sprintf("unauthorized/%s/%d", r.Via, n), EventUnauthorized, r.By, fmt.Sprintf("answer by %s to %s of program %s refused: %s", r.Via, r.QuestionID, e.workflowID, r.Reason), "HIGH")
}

// question mirrors a question on feedback.hitl.
func (e *eventSink) question(ctx workflow.Context, q *Question) {
	e.countAsked(ctx, q) // without Kafka; with it, the worker counts the event (metrics.go)
	values := make([]string, len(q.Options))
	for i, o := range q.Options {
		values[i] = o.Value
	}
	e.hitl(ctx, q, q.ID, map[string]any{
		"workflow_id": e.workflowID, "question_id": q.ID, "state": q.State, "kind": q.Kind, "step": q.Step,
		"item": q.Item, "options": values, "default": q.Default, "timeout": q.Timeout, "error": q.Error, "fix": q.Fix,
	})
}

// answer mirrors the answer to a question (or its default at the timeout) on feedback.hitl, and, since
// identities, who answered it on security.events.
func (e *eventSink) answer(ctx workflow.Context, q *Question) {
	e.countAnswered(ctx, q)
	e.hitl(ctx, q, q.ID+"/answer", map[string]any{
		"workflow_id": e.workflowID, "question_id": q.ID, "state": q.State, "kind": q.Kind, "answer": q.Answer, "answered_by": q.By,
	})
	if !e.audit {
		return
	}
	kind, what := EventAnswered, "answered "+q.ID
	if q.Kind == KindApproval {
		kind, what = EventApproval, fmt.Sprintf("answered the approval %s of step %s", q.ID, q.Step)
	}
	by := q.By
	if q.Via != "" {
		by += " by " + q.Via
	}
	// The answer itself may be a person's address (a choice among contacts) or an email's text: only the
	// answers every question shares are quoted.
	answer := "an answer of " + fmt.Sprint(len(q.Answer)) + " bytes"
	switch q.Answer {
	case AnswerSkip, AnswerAbort, AnswerRetry, AnswerApprove:
		answer = q.Answer
	}
	e.security(ctx, q.ID+"/answer", kind, q.By, fmt.Sprintf("%s %s: %s (program %s)", by, what, answer, e.workflowID), "LOW")
}

func (e *eventSink) hitl(ctx workflow.Context, q *Question, about string, context map[string]any) {
	id := e.eventID(bridge.TopicFeedbackHITL, about)
	taskID := q.TaskID
	if taskID == "" {
		taskID = q.Step
	}
	e.emit(ctx, id, bridge.FeedbackHITL{
		FeedbackID: id,
		Timestamp:  timestamp(ctx),
		WorkerID:   q.worker,
		TaskID:     taskID,
		Question:   q.Text,
		Context:    context,
		UserID:     e.userID,
	})
}

// failure reports a task that gave up after its retries: errors.report, and system.alerts since the
// user must decide what happens to it.
func (e *eventSink) failure(ctx workflow.Context, q *Question, r *catalog.TaskResult) {
	id := e.eventID(bridge.TopicErrorsReport, r.TaskID)
	e.emit(ctx, id, bridge.ErrorReport{
		ErrorID:      id,
		Timestamp:    timestamp(ctx),
		WorkerID:     r.WorkerID,
		TaskID:       r.TaskID,
		ErrorType:    r.Error.Type,
		ErrorMessage: r.Error.Message,
	})
	e.alert(ctx, "task-gave-up/"+r.TaskID, "HIGH", fmt.Sprintf("task %s of program %s gave up after %d attempts: %s; the user is asked to retry, skip or abort", r.TaskID, e.workflowID, r.Attempt, r.Error.Message), true)
}
